"""Interim rule-based line items: find the table header row, then read rows until the totals.

Columns come from the header words' x-positions (description, quantity, unit, unit price, amount). A row whose
right-most token is an amount is an item; a text-only row right under an item continues its description.
Without a header (receipts), rows of text ending in an amount above the first total row are items.
"""

from __future__ import annotations

import re

from ..normalize import parse_amount
from ..types import LineItem
from .layout import PageView, Span, amounts_in, grounded_number, grounded_text

_I = re.I
HEADERS = {
    "description": re.compile(r"^(description|item|items|article|product|service|details|bezeichnung|"
                              r"beschreibung|artikel|leistung|position|d[ée]signation|libell[ée]|produit|"
                              r"omschrijving|artikel|product)$", _I),
    "quantity": re.compile(r"^(qty|quantity|menge|anzahl|qt[ée]|quantit[ée]|aantal|hours|hrs|stk|units?)\.?$", _I),
    "unit_price": re.compile(r"^(price|rate|unit\s*price|einzelpreis|preis|e-?preis|prix|p\.?u\.?|"
                             r"prix\s*unitaire|prijs|stukprijs|tarief|eenheidsprijs)\.?$", _I),
    "amount": re.compile(r"^(amount|total|line\s*total|betrag|gesamt|gesamtpreis|summe|montant|total\s*ht|"
                         r"bedrag|totaal)$", _I),
}
_STOP = re.compile(r"sub-?\s*total|zwischensumme|sous-?\s*total|subtotaal|\btotal\b|gesamtbetrag|\bsumme\b|"
                   r"totaal|netto|\bvat\b|\btax\b|mwst|\btva\b|\bbtw\b|\bgst\b|\bsst\b|cash|change|rounding|"
                   r"tender|balance|payment|amount\s*due", _I)
_QTY = re.compile(r"^\d{1,5}([.,]\d{1,3})?$")


def _header_columns(view: PageView, row) -> dict[str, tuple[int, int]] | None:
    cols: dict[str, tuple[int, int]] = {}
    words = [w for ln in row for w in ln.words]
    i = 0
    while i < len(words):
        for n in (2, 1):  # 'unit price', 'line total' span two words
            if i + n > len(words):
                continue
            text = " ".join(w.text.strip(":") for w in words[i:i + n])
            for key, rx in HEADERS.items():
                if key not in cols and rx.match(text):
                    cols[key] = (words[i].bbox[0], words[i + n - 1].bbox[2])
                    i += n - 1
                    break
            else:
                continue
            break
        i += 1
    return cols if len(cols) >= 3 or (len(cols) == 2 and "amount" in cols) else None


def extract_line_items(views: list[PageView]) -> list[LineItem]:
    items: list[LineItem] = []
    header_found = False
    for view in views:
        rows = view.rows()
        start, cols = None, None
        for idx, row in enumerate(rows):
            cols = _header_columns(view, row)
            if cols:
                start = idx + 1
                header_found = True
                break
        if start is None:
            continue
        items.extend(_read_rows(view, rows[start:], cols))
    if not header_found:
        for view in views:
            items.extend(_read_rows(view, view.rows(), None))
    return items


def _read_rows(view: PageView, rows, cols) -> list[LineItem]:
    items: list[LineItem] = []
    last_bottom = None
    for row in rows:
        text = " ".join(ln.text for ln in row)
        if _STOP.search(text):
            if items or cols:
                break
            continue
        amounts = [a for ln in row for a in amounts_in(view.span(ln))]
        if not amounts:
            # A text-only row just under an item continues its description (wrapped text).
            if items and cols and last_bottom is not None and row[0].bbox[1] - last_bottom < 1.2 * view.text_height:
                desc = items[-1].description
                if desc is not None and row[0].bbox[0] < cols.get("quantity", (10**9,))[0]:
                    span = view.span(row[0])
                    items[-1].description = desc.model_copy(update={
                        "value": f"{desc.value} {span.text}", "text": f"{desc.text} {span.text}",
                        "bbox": _union(desc.bbox, span.bbox)})
                    last_bottom = row[0].bbox[3]
            elif items:
                break  # the table ended
            continue
        amount_span, amount = amounts[-1]
        first_num_x = amounts[0][0].bbox[0]
        desc_words = tuple(w for ln in row for w in ln.words
                           if w.bbox[2] <= first_num_x and not _QTY.match(w.text))
        if cols and "quantity" in cols:
            desc_words = tuple(w for w in desc_words if w.bbox[2] <= cols["quantity"][0] + view.text_height)
        if not desc_words or sum(ch.isalpha() for w in desc_words for ch in w.text) < 2:
            continue
        item = LineItem(description=grounded_text(Span(view.number, desc_words), None, 0.7),
                        amount=grounded_number(amount_span, amount, 0.8))
        numbers = [(Span(view.number, (w,)), parse_amount(w.text)) for ln in row for w in ln.words
                   if _QTY.match(w.text) and w.bbox[0] >= desc_words[-1].bbox[2]]
        if cols:
            item.quantity = _in_column(numbers, cols.get("quantity"), view.text_height)
            item.unit_price = _in_column(amounts[:-1], cols.get("unit_price"), view.text_height, 0.75)
        if item.quantity is None and len(amounts) >= 2 and numbers and numbers[0][0].bbox[0] < amounts[-2][0].bbox[0]:
            item.quantity = grounded_number(numbers[0][0], numbers[0][1], 0.6)
        if item.unit_price is None and len(amounts) >= 2:
            item.unit_price = grounded_number(*amounts[-2], 0.6)
        items.append(item)
        last_bottom = max(ln.bbox[3] for ln in row)
    return items


def _in_column(cands, col, h, certainty=0.8):
    if not col:
        return None
    x0, x1 = col
    best = None
    for span, value in cands:
        if value is None:
            continue
        b = span.bbox
        # Numbers are right-aligned under their header, so compare centres with some slack.
        if b[2] >= x0 - 2 * h and b[0] <= x1 + 2 * h:
            dist = abs((b[0] + b[2]) / 2 - (x0 + x1) / 2)
            if best is None or dist < best[0]:
                best = (dist, span, value)
    return grounded_number(best[1], best[2], certainty) if best else None


def _union(a, b):
    if a is None:
        return b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
