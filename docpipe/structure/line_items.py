"""Interim rule-based line items: find the table header row, then read rows until the totals.

Columns come from the header words' x-positions (description, quantity, unit, unit price, amount). A row whose
right-most token is an amount is an item; a text-only row right under an item continues its description.
Without a header (receipts), rows of text ending in an amount above the first total row are items.
"""

from __future__ import annotations

import re

from ..geometry import union
from ..normalize import parse_amount
from ..types import LineItem
from .layout import PageView, Span, amounts_in, grounded_number, grounded_text

_I = re.I
HEADERS = {
    "description": re.compile(r"^(description|item|items|article|product|service|details|bezeichnung|"
                              r"beschreibung|artikel|leistung|position|d[ée]signation|libell[ée]|produit|"
                              r"omschrijving|artikel|product)$", _I),
    "quantity": re.compile(r"^(qty|quantity|menge|anzahl|qt[ée]|quantit[ée]|aantal|hours|hrs|stk|units?|"
                           r"unit[ée]|einheit|eenheid)\.?$", _I),
    "unit_price": re.compile(r"^(price|rate|unit\s*price|einzelpreis|preis|e-?preis|prix|p\.?u\.?|"
                             r"prix\s*unitaire|prijs|stukprijs|tarief|eenheidsprijs|"
                             r"(netto|brutto|st[üu]ck)preis|net\s*price|prix\s*(ht|net))\.?$", _I),
    "amount": re.compile(r"^(amount|total|line\s*total|betrag|gesamt|gesamtpreis|summe|montant|total\s*ht|"
                         r"bedrag|totaal|(netto|brutto|positions|gesamt)betrag|net\s*amount|montant\s*(ht|ttc)|"
                         r"total\s*ttc|prix\s*total)$", _I),
}
_STOP = re.compile(r"sub-?\s*total|zwischensumme|sous-?\s*total|subtotaal|\btotal\b|gesamtbetrag|\bsumme\b|"
                   r"totaal|netto|\bvat\b|\btax\b|mwst|\btva\b|\bbtw\b|\bgst\b|\bsst\b|cash|change|rounding|"
                   r"tender|balance|payment|amount\s*due|"
                   # a VAT breakdown or the document's sums after the items ('Umsatzsteueraufschlüsselung',
                   # 'Positionssumme', 'Belegsummen', 'récapitulatif TVA')
                   r"steuer|aufschl[üu]sselung|positionssumme|belegsumme|r[ée]capitulatif|base\s*ht", _I)
_CENTS = re.compile(r"[.,]\d{2}\b")
_QTY = re.compile(r"^\d{1,5}([.,]\d{1,3})?([a-zA-Z]{1,3})?$")  # '2', '30,5', and '2m' (unit glued on by OCR)


def _quantity(text: str) -> float | None:
    return parse_amount(re.sub(r"[a-zA-Z]+$", "", text))


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
        if not cols:
            # Without a table header (receipts), an item row ends in a price with cents; other rows
            # (addresses, dates, card numbers) are passed over rather than ending the list.
            if not amounts or not _CENTS.search(amounts[-1][0].text):
                continue
        if not amounts:
            # A text-only row just under an item continues its description (wrapped text).
            if items and last_bottom is not None and row[0].bbox[1] - last_bottom < 1.2 * view.text_height:
                desc = items[-1].description
                if desc is not None and row[0].bbox[0] < cols.get("quantity", (10**9,))[0]:
                    span = view.span(row[0])
                    items[-1].description = desc.model_copy(update={
                        "value": f"{desc.value} {span.text}", "text": f"{desc.text} {span.text}",
                        "bbox": span.bbox if desc.bbox is None else union([desc.bbox, span.bbox])})
                    last_bottom = row[0].bbox[3]
            elif items:
                break  # the table ended
            continue
        amount_span, amount = amounts[-1]
        words = [w for ln in row for w in ln.words]
        unread = False
        if cols and "amount" in cols and not _under_column(amount_span.bbox, cols["amount"], view.text_height):
            if not any(_under_column(w.bbox, cols["amount"], view.text_height) for w in words):
                continue  # a number elsewhere in the row (a detail line's price), not an item
            unread = True  # something stands in the amount column but does not read as an amount
        desc_words = _description_words(words, amounts, cols, view.text_height)
        if not desc_words or sum(ch.isalpha() for w in desc_words for ch in w.text) < 2:
            continue
        item = LineItem(description=grounded_text(Span(view.number, tuple(desc_words)), None, 0.7),
                        amount=None if unread else grounded_number(amount_span, amount, 0.8))
        after = [w for w in words if w.bbox[0] >= desc_words[-1].bbox[2]]
        numbers = [(Span(view.number, (w,)), _quantity(w.text)) for w in after if _QTY.match(w.text)]
        if cols:
            item.quantity = _in_column(numbers, cols.get("quantity"), view.text_height)
            item.unit_price = _in_column([a for a in amounts[:-1] if a[0].bbox[0] >= desc_words[-1].bbox[2]],
                                         cols.get("unit_price"), view.text_height, 0.75)
        if item.quantity is None and len(amounts) >= 2 and numbers and numbers[0][0].bbox[0] < amounts[-2][0].bbox[0]:
            item.quantity = grounded_number(numbers[0][0], numbers[0][1], 0.6)
        if item.unit_price is None and len(amounts) >= 2 and amounts[-2][0].bbox[0] >= desc_words[-1].bbox[2] \
                and (item.quantity is None or amounts[-2][0].bbox != item.quantity.bbox):
            item.unit_price = grounded_number(*amounts[-2], 0.6)
        if item.quantity is not None:
            item.unit = _unit_after(after, item.quantity.bbox, view)
        items.append(item)
        last_bottom = max(ln.bbox[3] for ln in row)
    return items


def _under_column(b, col, h) -> bool:
    """Whether box ``b`` stands under the header column ``col`` (right- or left-aligned, some slack)."""
    return b[2] >= col[0] - 2 * h and b[0] <= col[1] + 2 * h


def _description_words(words, amounts, cols, h):
    """The description cell of a row: with a header, the words from the description column up to the first
    numeric column; without one, the words before the first amount that follows some text (so a leading
    row number is not the start of the numbers)."""
    if cols and "description" in cols:
        numeric = [cols[k][0] for k in ("quantity", "unit_price", "amount") if k in cols and cols[k][0] > cols[
            "description"][0]]
        right = min(numeric) - 0.5 * h if numeric else float("inf")
        return [w for w in words if w.bbox[2] > cols["description"][0] - 2 * h and w.bbox[2] <= right]
    first_text = next((i for i, w in enumerate(words) if sum(ch.isalpha() for ch in w.text) >= 2), None)
    if first_text is None:
        return []
    start_x = words[first_text].bbox[0]
    stop = min((a[0].bbox[0] for a in amounts if a[0].bbox[0] > start_x), default=float("inf"))
    return [w for w in words[first_text:] if w.bbox[2] <= stop and not _QTY.match(w.text)]


_UNIT = re.compile(r"^(pcs?|pc\.|ea|each|st|stk|stck|kg|g|t|m|m2|m²|m3|m³|l|h|hrs?|std|uur|days?|tage?|dagen|jours?|"
                   r"box|doos|karton|carton|set|pack|pkg|roll|rol|lfm|mm|cm|km|x)\.?$", re.I)


def _unit_after(words, qty_box, view):
    """A unit word ('kg', 'ea', 'Stk') right after the quantity, in the same cell."""
    for w in words:
        if w.bbox[0] >= qty_box[2] and w.bbox[0] - qty_box[2] <= view.text_height and _UNIT.match(w.text):
            return grounded_text(Span(view.number, (w,)), w.text.rstrip("."), 0.7)
        if w.bbox == qty_box and (m := re.search(r"\d([a-zA-Z]{1,3})$", w.text)) and _UNIT.match(m.group(1)):
            return grounded_text(Span(view.number, (w,)), m.group(1), 0.6)
    return None


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
