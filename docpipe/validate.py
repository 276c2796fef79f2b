"""Validate: business rules over a structured document; each failed rule is a review reason.

Invoices: line items sum to the subtotal (or, for gross-priced items, to the total), subtotal + tax = total
(±0.01, also ±0.01 per line item for rounding; on receipts a tax-inclusive subtotal equal to the total), no
total below the subtotal (beyond a cash rounding) when no tax was read, each
item's quantity x unit price = its amount unless the item amounts add up to the document's sums, due date not
before the invoice date, ISO 4217 currency, IBAN mod-97, VAT ID format, key fields present. Drawings: a drawing
number, tolerances whose upper limit is not below the lower one; plans: dimension chains that add up, door and
window symbols that agree with the tags read (:func:`docpipe.structure.plan.symbol_tag_mismatches`).
"""

from __future__ import annotations

from .normalize import ISO_4217, iban_valid, normalise_vat_id
from .drawing.chains import chain_mismatches
from .structure.plan import symbol_tag_mismatches
from .types import Drawing, Invoice

TOLERANCE = 0.01  # currency units: rounding of printed amounts
CASH_ROUNDING = 0.05  # a cash total rounded to 5 cents (Malaysia, Switzerland, ...), below its subtotal


SURE_TYPE = 0.6
"""Classification margin (:func:`docpipe.classify.classify`) under which a document read as a receipt may be an
invoice (a hotel or shop invoice scored close to both): the invoice's number is then required too."""


def check_invoice(inv: Invoice, *, receipt: bool = False, type_margin: float = 1.0) -> list[str]:
    reasons: list[str] = []
    required = ("total", "invoice_date") if receipt else ("invoice_number", "invoice_date", "total")
    for name in required:
        if getattr(inv, name) is None:
            reasons.append(f"{name.replace('_', ' ')} not found")
    if receipt and type_margin < SURE_TYPE and inv.invoice_number is None:
        reasons.append(f"invoice number not found (read as a receipt by a small margin, {type_margin:.2f}: it may "
                       "be an invoice)")
    if not receipt and inv.vendor.name is None:
        reasons.append("vendor name not found")
    items = [li.amount.value for li in inv.line_items if li.amount is not None]
    reconciled = False  # the item amounts add up to the subtotal (or, gross-priced, to the total)
    if inv.subtotal and items and len(items) == len(inv.line_items):
        total_items = round(sum(items), 2)
        slack = TOLERANCE * max(1, len(items))
        # Gross-priced items (B2C invoices print line amounts including VAT) sum to the total instead.
        gross = inv.total is not None and abs(total_items - inv.total.value) <= slack
        reconciled = gross or abs(total_items - inv.subtotal.value) <= slack
        if not reconciled:
            reasons.append(f"line items sum to {total_items:.2f}, not the subtotal {inv.subtotal.value:.2f}")
    if inv.subtotal and inv.total_tax and inv.total:
        expected = round(inv.subtotal.value + inv.total_tax.value, 2)
        # Receipts price with the tax included: their subtotal is the total, the tax a share of it (at most a
        # 25% rate's, 20% of the gross).
        included = receipt and abs(inv.subtotal.value - inv.total.value) <= TOLERANCE \
            and 0 <= inv.total_tax.value <= 0.2 * inv.total.value + TOLERANCE
        if abs(expected - inv.total.value) > TOLERANCE and not included:
            reasons.append(f"total {inv.total.value:.2f} does not equal subtotal + tax ({expected:.2f})")
    sign = -1 if inv.subtotal and inv.subtotal.value < 0 else 1  # a credit note's sums are negative
    if inv.subtotal and inv.total and inv.total_tax is None \
            and sign * inv.total.value < sign * inv.subtotal.value - CASH_ROUNDING - TOLERANCE:
        # Only a discount takes a document below its subtotal, and none was read: one of the two is misread
        # (thermal receipts print subtotal, total and payment in the same faint digits).
        reasons.append(f"total {inv.total.value:.2f} is below the subtotal {inv.subtotal.value:.2f} and no tax or "
                       "discount explains it")
    # When the amounts add up to the document's sums they are confirmed; an item whose quantity x unit price
    # differs from its amount then prints a discount, a price per 10 or 100 units or a net price beside a
    # gross amount (tables of discounted and insurance-tax invoices): its price, not the document, is in doubt.
    for li in inv.line_items if not reconciled else ():
        if li.quantity and li.unit_price and li.amount:
            if abs(li.quantity.value * li.unit_price.value - li.amount.value) > max(TOLERANCE, 0.005 * li.amount.value):
                desc = li.description.value[:40] if li.description else "?"
                reasons.append(f"line item '{desc}': quantity x unit price does not equal the amount")
    if inv.invoice_date and inv.due_date and inv.due_date.value < inv.invoice_date.value:
        reasons.append("due date is before the invoice date")
    if inv.currency and inv.currency.value not in ISO_4217:
        reasons.append(f"currency {inv.currency.value!r} is not a known ISO 4217 code")
    for who, party in (("vendor", inv.vendor), ("customer", inv.customer)):
        if party.iban and not iban_valid(party.iban.value):
            reasons.append(f"{who} IBAN fails the mod-97 check")
        if party.vat_id and not normalise_vat_id(party.vat_id.value):
            reasons.append(f"{who} VAT ID {party.vat_id.value!r} has no known format")
    return reasons


def check_drawing(drawing: Drawing) -> list[str]:
    reasons: list[str] = []
    if drawing.title_block.drawing_number is None:
        reasons.append("drawing number not found")
    if drawing.discipline == "architectural":  # plans: the parts of a chain add up to its printed overall
        reasons += chain_mismatches(drawing.dimensions)
        reasons += symbol_tag_mismatches(drawing.openings)
    for d in drawing.dimensions:
        if d.upper_deviation is not None and d.lower_deviation is not None and d.upper_deviation < d.lower_deviation:
            reasons.append(f"dimension {d.text!r}: upper deviation below the lower one")
    return reasons
