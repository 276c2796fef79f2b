"""Random invoice / receipt content whose amounts add up exactly (``Decimal``, rounded half-up to cents)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from . import fake, lang
from ..types import (GroundedCurrency, GroundedDate, GroundedNumber, GroundedText, Invoice, LineItem, Party)

CENT = Decimal("0.01")


def money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Item:
    desc: str
    qty: Decimal
    unit: str
    price: Decimal
    amount: Decimal
    rate: str


@dataclass
class InvoiceContent:
    lang: str
    country: str
    currency: str
    num_style: tuple[str, str]
    date_style: str
    vendor: fake.Party
    customer: fake.Party
    number: str
    po: str | None
    customer_no: str | None
    terms: str | None
    date: dt.date
    due: dt.date | None
    items: list[Item]
    taxes: list[tuple[str, Decimal, Decimal]]  # (rate, base, tax)
    subtotal: Decimal
    total_tax: Decimal
    total: Decimal
    show_amount_due: bool
    currency_style: str  # "symbol_before" | "code_after" | "code_before"
    rates: tuple[str, ...] = ()
    L: dict[str, str] = field(default_factory=dict)

    def num(self, x: Decimal) -> str:
        return lang.fmt_num(x, self.num_style)

    def qty(self, x: Decimal) -> str:
        return lang.fmt_qty(x, self.num_style)

    def fdate(self, d: dt.date) -> str:
        return lang.fmt_date(d, self.date_style)

    def cur_token(self) -> str:
        return lang.CURRENCY_SYMBOL[self.currency] if self.currency_style == "symbol_before" else self.currency


def make_invoice(rng: np.random.Generator, language: str | None = None, n_items: int | None = None) -> InvoiceContent:
    language = language or fake.pick(rng, ["en", "de", "fr", "nl"])
    if language == "en":
        country = fake.pick(rng, ["gb", "gb", "us", "de"])
        currency = {"gb": "GBP", "us": "USD", "de": "EUR"}[country]
        if country == "de":
            country = "gb"  # an English invoice in EUR from a UK company
        rates = fake.pick(rng, lang.TAX_RATES["us" if country == "us" else "gb"])
    elif language == "de":
        country = "ch" if rng.random() < 0.2 else "de"
        currency = "CHF" if country == "ch" else "EUR"
        rates = fake.pick(rng, lang.TAX_RATES[country])
    else:
        country, currency = language, "EUR"
        rates = fake.pick(rng, lang.TAX_RATES[language])
    if rng.random() < 0.55:
        rates = rates[:1]
    num_style = fake.pick(rng, lang.NUMBER_STYLES["ch" if country == "ch" else language])
    date_style = fake.pick(rng, lang.DATE_STYLES[language])
    if country == "us":
        date_style = fake.pick(rng, ["us_long", "iso"])
    vendor = fake.company(rng, language, country)
    foreign = rng.random() < 0.2
    cust_country = fake.pick(rng, ["de", "fr", "nl", "gb"]) if foreign else country
    customer = fake.company(rng, language, cust_country, with_bank=False, foreign=foreign)
    if rng.random() < 0.5:
        customer.vat_id = None

    n = n_items if n_items is not None else int(rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 15]))
    names = lang.ITEMS[language]
    items = []
    for i in range(n):
        desc = fake.pick(rng, names)
        if rng.random() < 0.5:
            qty = Decimal(int(rng.integers(1, 25)))
        elif rng.random() < 0.5:
            qty = Decimal(int(rng.integers(1, 80))) / Decimal(2)
        else:
            qty = Decimal(1)
        price = money(Decimal(float(np.exp(rng.uniform(np.log(0.8), np.log(2500))))))
        rate = rates[0] if len(rates) == 1 or rng.random() < 0.7 else rates[1]
        items.append(Item(desc, qty, fake.pick(rng, lang.UNITS[language]), price, money(qty * price), rate))
    subtotal = sum((it.amount for it in items), Decimal(0))
    taxes = []
    for r in rates:
        base = sum((it.amount for it in items if it.rate == r), Decimal(0))
        if base:
            taxes.append((r, base, money(base * Decimal(r) / 100)))
    total_tax = sum((t for _, _, t in taxes), Decimal(0))
    date = dt.date(2023, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1100)))
    due = date + dt.timedelta(days=int(fake.pick(rng, [7, 14, 30, 30, 45, 60]))) if rng.random() < 0.75 else None
    year = date.year
    number = fake.pick(rng, [f"INV-{year}-{int(rng.integers(1, 9999)):04d}", f"RE-{year}-{fake.digits(rng, 5)}",
                             f"F{year}-{fake.digits(rng, 4)}", f"{year}/{fake.digits(rng, 4)}", fake.digits(rng, 6),
                             f"{fake.digits(rng, 2)}-{fake.digits(rng, 5)}"])
    po = fake.pick(rng, [f"PO-{fake.digits(rng, 5)}", f"45{fake.digits(rng, 8)}", f"BST-{fake.digits(rng, 4)}"]) \
        if rng.random() < 0.5 else None
    return InvoiceContent(
        lang=language, country=country, currency=currency, num_style=num_style, date_style=date_style,
        vendor=vendor, customer=customer, number=number, po=po,
        customer_no=f"K-{fake.digits(rng, 5)}" if rng.random() < 0.4 else None,
        terms=fake.pick(rng, lang.TERMS[language]) if rng.random() < 0.7 else None,
        date=date, due=due, items=items, taxes=taxes, subtotal=subtotal, total_tax=total_tax,
        total=subtotal + total_tax, show_amount_due=rng.random() < 0.3,
        currency_style=fake.pick(rng, ["symbol_before", "code_after", "code_before"]),
        L=lang.LABELS[language], rates=tuple(rates),
    )


class Truth:
    """Collects grounded fields as they are printed; the first printing of a field wins."""

    def __init__(self) -> None:
        self.f: dict[str, object] = {}
        self.items: dict[int, dict[str, object]] = {}

    def text(self, key: str, value: str, text: str, page: int, box) -> None:
        self.f.setdefault(key, GroundedText(value=value, text=text, page=page, bbox=box, confidence=1.0))

    def num(self, key: str, value: Decimal, text: str, page: int, box) -> None:
        self.f.setdefault(key, GroundedNumber(value=float(value), text=text, page=page, bbox=box, confidence=1.0))

    def date(self, key: str, value: dt.date, text: str, page: int, box) -> None:
        self.f.setdefault(key, GroundedDate(value=value, text=text, page=page, bbox=box, confidence=1.0))

    def currency(self, value: str, text: str, page: int, box) -> None:
        self.f.setdefault("currency", GroundedCurrency(value=value, text=text, page=page, bbox=box, confidence=1.0))

    def item(self, i: int, key: str, g) -> None:
        self.items.setdefault(i, {})[key] = g

    def invoice(self) -> Invoice:
        f = self.f
        party = lambda p: Party(**{k: f.get(f"{p}.{k}") for k in ("name", "address", "vat_id", "iban")})  # noqa
        return Invoice(
            invoice_number=f.get("invoice_number"), purchase_order=f.get("purchase_order"),
            payment_terms=f.get("payment_terms"), invoice_date=f.get("invoice_date"), due_date=f.get("due_date"),
            currency=f.get("currency"), vendor=party("vendor"), customer=party("customer"),
            subtotal=f.get("subtotal"), total_tax=f.get("total_tax"), total=f.get("total"),
            amount_due=f.get("amount_due"),
            line_items=[LineItem(**self.items[i]) for i in sorted(self.items)],
        )


def gnum(value: Decimal, text: str, page: int, box) -> GroundedNumber:
    return GroundedNumber(value=float(value), text=text, page=page, bbox=box, confidence=1.0)


def gtext(value: str, text: str, page: int, box) -> GroundedText:
    return GroundedText(value=value, text=text, page=page, bbox=box, confidence=1.0)
