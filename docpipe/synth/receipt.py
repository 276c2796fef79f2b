"""Till receipts: 80 mm thermal paper (945 px wide at 300 dpi), monospace, light grey and slightly faded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from PIL import Image

from . import fake
from .canvas import Canvas
from .content import Truth, gnum, gtext, make_invoice, money
from .fonts import MONO, Font, font
from ..geometry import union
from ..types import Invoice

W = 945
SHOP_ITEMS = {
    "en": ["MILK 1L", "BREAD WHOLEMEAL", "APPLES 1KG", "COFFEE BEANS", "BANANAS", "CHEDDAR 200G", "ORANGE JUICE",
           "PASTA 500G", "TOMATOES", "EGGS 6PK", "CHOCOLATE BAR", "WATER 1.5L", "BATTERIES AA", "NOTEBOOK A5"],
    "de": ["VOLLMILCH 1L", "BROETCHEN", "AEPFEL 1KG", "KAFFEE BOHNEN", "BANANEN", "GOUDA 200G", "O-SAFT",
           "NUDELN 500G", "TOMATEN", "EIER 10ER", "SCHOKOLADE", "MINERALWASSER", "BATTERIEN AA", "BREZEL"],
    "fr": ["LAIT 1L", "BAGUETTE", "POMMES 1KG", "CAFE GRAINS", "BANANES", "COMTE 200G", "JUS D'ORANGE",
           "PATES 500G", "TOMATES", "OEUFS X6", "CHOCOLAT NOIR", "EAU 1.5L", "CROISSANT", "YAOURT NATURE"],
    "nl": ["MELK 1L", "BRUINBROOD", "APPELS 1KG", "KOFFIEBONEN", "BANANEN", "KAAS JONG 200G", "SINAASAPPELSAP",
           "PASTA 500G", "TOMATEN", "EIEREN 6ST", "CHOCOLADE", "SPA BLAUW 1.5L", "STROOPWAFELS", "HAGELSLAG"],
}
R_LABELS = {"en": ("SUBTOTAL", "TAX", "TOTAL", "RECEIPT", "THANK YOU FOR SHOPPING WITH US"),
            "de": ("ZWISCHENSUMME", "MWST", "SUMME", "BON-NR.", "VIELEN DANK FUER IHREN EINKAUF"),
            "fr": ("SOUS-TOTAL", "TVA", "TOTAL", "TICKET", "MERCI DE VOTRE VISITE"),
            "nl": ("SUBTOTAAL", "BTW", "TOTAAL", "BON", "BEDANKT EN TOT ZIENS")}


def render_receipt(rng: np.random.Generator, language: str | None = None) -> tuple[Canvas, Invoice]:
    c = make_invoice(rng, language, n_items=0)
    lg = c.lang
    sub_l, tax_l, tot_l, no_l, thanks = R_LABELS[lg]
    fam = fake.pick(rng, MONO)
    size = float(rng.uniform(28, 34))
    f = font(fam, size)
    fbig = font(fam, size * rng.uniform(1.3, 1.8), bold=True)
    lh = int(size * rng.uniform(1.25, 1.45))
    ink = int(rng.uniform(35, 100))
    ml, mr = int(rng.uniform(45, 80)), W - int(rng.uniform(45, 80))
    cv = Canvas(W, 4800)
    T = Truth()
    y = int(rng.uniform(120, 200))
    # header: shop name, address
    name = c.vendor.name.upper() if rng.random() < 0.6 else c.vendor.name
    fname = fbig
    while fname.length(name) > mr - ml and fname.size > f.size * 0.8:
        fname = Font(fname.path, fname.size - 2)
    if fname.length(name) > mr - ml:
        name = c.vendor.name.split()[0].upper()
    with cv.region("header"):
        box = cv.text(W / 2, y, name, fname, align="c", fill=ink)
        T.text("vendor.name", name if name != c.vendor.name.upper() else c.vendor.name, name, 1, box)
    y += int(lh * 1.5)
    with cv.region("parties"):
        b, y = _lines(cv, W / 2, y, c.vendor.address_lines, f, "c", ink, lh)
        T.text("vendor.address", c.vendor.address, "\n".join(c.vendor.address_lines), 1, b)
        cv.text(W / 2, y, f"{c.L['phone']} {c.vendor.phone}", f, align="c", fill=ink)
        y += lh
        if c.vendor.vat_id and rng.random() < 0.6:
            lab = c.L["vat_id"] + " "
            line = lab + c.vendor.vat_id
            bx = cv.text(W / 2, y, line, f, align="c", fill=ink)
            x0 = bx[0] - cv.measure(line, f)[0] + f.length(lab)
            T.text("vendor.vat_id", c.vendor.vat_id.replace(" MWST", ""), c.vendor.vat_id, 1,
                   (int(x0), bx[1], bx[2], bx[3]))
            y += lh
    y += lh // 2
    # date, time, receipt number
    when = dt.time(int(rng.integers(7, 21)), int(rng.integers(0, 60)))
    dtext = c.fdate(c.date) if c.date_style not in ("us_long", "fr_long", "nl_long") else c.date.strftime("%d/%m/%Y")
    with cv.region("meta"):
        bd = cv.text(ml, y, dtext, f, fill=ink)
        T.date("invoice_date", c.date, dtext, 1, bd)
        cv.text(mr, y, f"{when:%H:%M}", f, align="r", fill=ink)
        y += lh
        if rng.random() < 0.7:
            num = fake.digits(rng, 4)
            cv.text(ml, y, no_l + " ", f, fill=ink)
            bn = cv.text(ml + f.length(no_l + " "), y, num, f, fill=ink)
            T.text("invoice_number", num, num, 1, bn)
            y += lh
    y += lh // 2
    cv.text(ml, y, "-" * int((mr - ml) / f.length("-")), f, fill=ink, record=False)
    y += lh
    # items (net prices; tax added below, so that subtotal + tax = total)
    rate = c.rates[0]
    n = int(rng.integers(1, 12))
    items = []
    with cv.region("line_items", pad=8):
        for i in range(n):
            desc = fake.pick(rng, SHOP_ITEMS[lg])
            qty = Decimal(int(rng.choice([1, 1, 1, 2, 3, 4])))
            price = money(Decimal(float(rng.uniform(0.3, 25))))
            amt = qty * price
            items.append(amt)
            if qty > 1:
                t = f"{c.qty(qty)} x {c.num(price)}"
                cv.text(ml + 40, y, t, f, fill=ink)
                bq = cv.measure(c.qty(qty), f)
                T.item(i, "quantity", gnum(qty, c.qty(qty), 1, (ml + 40 + bq[0], y + bq[1], ml + 40 + bq[2], y + bq[3])))
                pt = c.num(price)
                pb = cv.measure(pt, f)
                px = ml + 40 + f.length(t) - f.length(pt)
                T.item(i, "unit_price", gnum(price, pt, 1, (int(px + pb[0]), y + pb[1], int(px + pb[2]), y + pb[3])))
                y += lh
            bd = cv.text(ml, y, desc, f, fill=ink)
            T.item(i, "description", gtext(desc, desc, 1, bd))
            at = c.num(amt)
            ba = cv.text(mr - f.length(" A"), y, at, f, align="r", fill=ink)
            cv.text(mr, y, "A", f, align="r", fill=ink)
            T.item(i, "amount", gnum(amt, at, 1, ba))
            y += lh
    cv.text(ml, y, "-" * int((mr - ml) / f.length("-")), f, fill=ink, record=False)
    y += lh
    subtotal = sum(items, Decimal(0))
    tax = money(subtotal * Decimal(rate) / 100)
    total = subtotal + tax
    cur = c.cur_token()
    with cv.region("totals"):
        cv.text(ml, y, sub_l, f, fill=ink)
        T.num("subtotal", subtotal, c.num(subtotal), 1, cv.text(mr, y, c.num(subtotal), f, align="r", fill=ink))
        y += lh
        cv.text(ml, y, f"{tax_l} A {rate.replace('.', c.num_style[1])}%", f, fill=ink)
        T.num("total_tax", tax, c.num(tax), 1, cv.text(mr, y, c.num(tax), f, align="r", fill=ink))
        y += int(lh * 1.4)
        cv.text(ml, y, tot_l, fbig, fill=ink)
        tt = c.num(total)
        bt = cv.text(mr, y, tt, fbig, align="r", fill=ink)
        T.num("total", total, tt, 1, bt)
        bc = cv.text(mr - fbig.length(tt + " "), y, cur, fbig, align="r", fill=ink)
        T.currency(c.currency, cur, 1, bc)
        y += int(lh * 1.6)
        pay = fake.pick(rng, [c.L["card"], c.L["cash"], "VISA", "MAESTRO", "MASTERCARD"])
        cv.text(ml, y, pay, f, fill=ink)
        cv.text(mr, y, tt, f, align="r", fill=ink)
        y += lh
    y += lh
    with cv.region("notes"):
        cv.text(W / 2, y, thanks, f, align="c", fill=ink)
        y += lh
        if rng.random() < 0.5:
            cv.text(W / 2, y, c.vendor.email, f, align="c", fill=ink)
            y += lh
    height = int(y + rng.uniform(150, 300))
    cv.im = cv.im.crop((0, 0, W, height))
    cv.height = height
    cv.im = _fade(cv.im, rng)
    return cv, T.invoice()


def _lines(cv, x, y, lines, f, align, fill, lh):
    boxes = []
    for ln in lines:
        boxes.append(cv.text(x, y, ln, f, align=align, fill=fill))
        y += lh
    return union(boxes), y


def _fade(im: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Thermal print fades unevenly: lighten the ink by a smooth random field."""
    w, h = im.size
    field = rng.uniform(0.0, 0.45, (max(2, h // 400), 3)).astype(np.float32)
    field = np.asarray(Image.fromarray((field * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BILINEAR),
                       dtype=np.float32) / 255
    a = np.asarray(im, dtype=np.float32)
    a = a + (255 - a) * field
    return Image.fromarray(a.clip(0, 255).astype(np.uint8), "L")


__all__ = ["render_receipt", "Font"]
