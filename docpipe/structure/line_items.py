"""Interim rule-based line items: find the table header row, then read rows until the totals.

Columns come from the header words' x-positions (description, quantity, unit, unit price, amount). A row whose
right-most token is an amount is an item; a text-only row right under an item continues its description.
Without a header (receipts), rows of text ending in an amount above the first total row are items.

Table layouts that need more than one row per item (ERP and e-invoice renderings, grouped quotes):
- a row with its quantity or unit price but an empty amount cell takes the amount from the row just under it
  (the amount is centred on a two-line description);
- a second header line ('excl. VAT') before the first item is not the end of the table;
- a section subtotal (the sum of the section's items) followed by more items, and a detail line with a stop
  word but no amount ('Tax: 5%') inside an item, do not end the table either.
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
                           r"unit[ée]|einheit|eenheid|nombre|nb|nbre|stuks)\.?$", _I),
    "unit_price": re.compile(r"^(price|rate|unit\s*price|einzelpreis|preis|e-?preis|prix|p\.?u\.?|"
                             r"prix\s*unitaire|prijs|stukprijs|tarief|eenheidsprijs|"
                             r"(netto|brutto|st[üu]ck)preis|net\s*price|prix\s*(ht|net)|"
                             # German compounds: 'VK-Preis', 'Listenpreis' (not 'Gesamtpreis', an amount)
                             r"(?!gesamt)[a-zäöü]+-?preis)\.?$", _I),
    "amount": re.compile(r"^(amount|total|line\s*total|betrag|gesamt|gesamtpreis|summe|montant|total\s*ht|"
                         r"bedrag|totaal|(netto|brutto|positions|gesamt)betrag|net\s*amount|montant\s*(ht|ttc)|"
                         r"total\s*ttc|prix\s*total|line\s*amount|extension|"
                         # German compounds: 'Zeilenbetrag', 'Positionsbetrag', 'Nettobetrag'
                         r"[a-zäöü]+betrag|gesamtpreis)$", _I),
}
_STOP = re.compile(r"sub-?\s*total|zwischensumme|sous-?\s*total|subtotaal|\btotal\b|gesamtbetrag|\bsumme\b|"
                   r"totaal|netto|\bvat\b|\btax\b|mwst|\btva\b|\bbtw\b|\bgst\b|\bsst\b|"
                   # whole words: a product name may hold them ('StandardExchange', 'Tendering service')
                   r"\b(cash|change|rounding|tender(ed)?|balance|payment)\b|amount\s*due|"
                   # a VAT breakdown or the document's sums after the items ('Umsatzsteueraufschlüsselung',
                   # 'Positionssumme', 'Belegsummen', 'récapitulatif TVA')
                   r"steuer|aufschl[üu]sselung|positionssumme|belegsumme|r[ée]capitulatif|base\s*ht", _I)
# The document's sums after the items, as thermal receipts print them and OCR reads them (all receipts and
# till slips): a quantity total ('TOT QTY', 'Total Qty', glued 'TotalQty', 'TTL ITEMS'); 'total' with its l read
# as i, 1 or | ('Totai'); a tax-code summary row, a code and its rate with only amounts after them ('SR @ 6%
# 11.55 0.70', 'A 19% 10.00 1.90', 'ZR 0%': GST and VAT breakdowns), not an item whose name holds a rate ('UHT
# 3.5% MILK').
_SUMS = re.compile(r"\b(tot|ttl|tota[li1|])\.?\s*(qty|quantity|items?)\b|\btota[i1|]\b|"
                   r"^\W*[a-z]{1,3}\s*[@&=:]?\s*\d{1,2}([.,]\d{1,2})?\s*%[^a-z]*$", _I)
# Long stop words matched one OCR edit away ('Raounding', 'Subtota1', 'Balanse'): thermal prints lose and add
# letters. Short ones ('change', a letter from 'charge') must match exactly.
_NEAR_STOP = ("rounding", "subtotal", "tendered", "balance", "payment")
_CENTS = re.compile(r"[.,]\d{2}\b")
_QTY = re.compile(r"^\d{1,5}([.,]\d{1,3})?([a-zA-Z]{1,3})?$")  # '2', '30,5', and '2m' (unit glued on by OCR)


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` or one substitution, insertion or deletion away from it, the inserted or
    deleted letter not the last ('Balanced' is another word than 'balance', 'Raounding' is 'rounding')."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_) - 1))


def ends_items(text: str) -> bool:
    """Whether a row's text is a stop row: the document's sums, tax, payment (:data:`_STOP`, :data:`_SUMS`,
    :data:`_NEAR_STOP`), not an item."""
    if _STOP.search(text) or _SUMS.search(text):
        return True
    return any(_one_edit(tok, stop) for tok in re.findall(r"[^\W_]{6,}", text.casefold()) for stop in _NEAR_STOP)


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
    if not (len(cols) >= 3 or (len(cols) == 2 and "amount" in cols)):
        return None
    if "description" in cols and all(w.bbox[0] >= cols["description"][0] for w in words):
        # The description header is the row's first: its cell runs from the table's left edge, wherever the
        # header stands over it (a centred 'Désignation' over left-aligned text).
        cols[_FROM_LEFT] = (0, 0)
    return cols


_FROM_LEFT = "description_from_left"


def extract_line_items(views: list[PageView], *, receipt: bool = False) -> list[LineItem]:
    """The line items of a document's pages. On a ``receipt`` the items come before its sums: a sums row with
    an amount ends the items even before one was read (the rows under it are the payment, the change and the
    tax analysis: card approval codes and tax bases read as items otherwise)."""
    items: list[LineItem] = []
    header_found = False
    for view in views:
        rows = view.rows()
        start, cols = None, None
        for idx, row in enumerate(rows):
            # A row holding a price is no header ('Total Qty: 3 12.00 63.19' under a receipt's items).
            cols = None if any(_CENTS.search(ln.text) for ln in row) else _header_columns(view, row)
            if cols:
                start = idx + 1
                header_found = True
                break
        if start is None:
            continue
        items.extend(_read_rows(view, rows[start:], cols))
    if not header_found:
        for view in views:
            items.extend(_read_rows(view, view.rows(), None, receipt=receipt))
    return items


def _read_rows(view: PageView, rows, cols, *, receipt: bool = False) -> list[LineItem]:
    items: list[LineItem] = []
    last_bottom = None
    h = view.text_height
    pending: tuple[LineItem, int] | None = None  # an item row whose amount cell is on the row under it
    section_start, after_section = 0, False
    for idx, row in enumerate(rows):
        text = " ".join(ln.text for ln in row)
        amounts = [a for ln in row for a in amounts_in(view.span(ln))]
        words = [w for ln in row for w in ln.words]
        if ends_items(text):
            money = [a for a in amounts if _CENTS.search(a[0].text)]
            if cols and not items and not money:
                continue  # a second header line ('excl. VAT', 'ohne MwSt.') above the first item
            if items and not money and _item_ahead(view, rows, idx + 1, cols, 1):
                continue  # a detail line inside an item ('Tax: 5%', 'VAT exempt')
            if items and money and _item_ahead(view, rows, idx + 1, cols, 2) and abs(
                    money[-1][1] - sum(it.amount.value for it in items[section_start:] if it.amount)) < 0.005:
                section_start, after_section, last_bottom = len(items), True, None
                continue  # a section's subtotal, with more sections after it
            if items or cols or (receipt and money):
                break
            continue
        if cols and "amount" in cols and not _amount_cell_used(words, cols, h):
            item = _item_without_amount(view, words, amounts, cols)
            if item is not None:
                pending = (item, max(ln.bbox[3] for ln in row))
                continue
        if pending is not None:
            item, bottom = pending
            pending = None
            if _amount_cell_below(row, amounts, words, bottom, cols, h):
                amount_span, amount = amounts[-1]
                item.amount = grounded_number(amount_span, amount, 0.75)
                extra = [w for w in _description_words(words, amounts, cols, h) if w.bbox[2] <= amount_span.bbox[0]]
                if extra and item.description is not None:
                    item.description = _extended(item.description, Span(view.number, tuple(extra)))
                items.append(item)
                last_bottom, after_section = max(ln.bbox[3] for ln in row), False
                continue
        if not cols:
            # Without a table header (receipts), an item row ends in a price with cents; other rows
            # (addresses, dates, card numbers) are passed over rather than ending the list.
            if not amounts or not _CENTS.search(amounts[-1][0].text):
                continue
        if not amounts:
            if after_section:
                continue  # the next section's heading ('--- Food ---')
            # A text-only row just under an item continues its description (wrapped text).
            if items and last_bottom is not None and row[0].bbox[1] - last_bottom < 1.2 * view.text_height:
                desc = items[-1].description
                if desc is not None and row[0].bbox[0] < cols.get("quantity", (10**9,))[0]:
                    items[-1].description = _extended(desc, view.span(row[0]))
                    last_bottom = row[0].bbox[3]
            elif items and not _item_ahead(view, rows, idx + 1, cols, 3):
                break  # the table ended (detail lines between items, 'Period: 01.10. to 31.10.', do not end it)
            continue
        amount_span, amount = amounts[-1]
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
        last_bottom, after_section = max(ln.bbox[3] for ln in row), False
    return items


def _extended(desc, span: Span):
    """A description continued by the words of ``span`` (its next line)."""
    return desc.model_copy(update={"value": f"{desc.value} {span.text}", "text": f"{desc.text} {span.text}",
                                   "bbox": span.bbox if desc.bbox is None else union([desc.bbox, span.bbox])})


def _amount_cell_used(words, cols, h) -> bool:
    """Whether anything but a percentage (a tax rate's cell runs close) stands under the amount header."""
    return any(_under_column(w.bbox, cols["amount"], h) and not w.text.endswith("%") for w in words)


def _numbers_in_columns(words, amounts, cols, h):
    """The numbers of a row that stand under the quantity or unit price header."""
    nums = [(Span(0, (w,)), _quantity(w.text)) for w in words if _QTY.match(w.text)] + list(amounts)
    return [(s, v) for s, v in nums if v is not None
            and any(k in cols and _under_column(s.bbox, cols[k], h) for k in ("quantity", "unit_price"))]


def _item_without_amount(view: PageView, words, amounts, cols) -> LineItem | None:
    """An item row with a description and a quantity or unit price but nothing in the amount column: the
    amount stands on the row under it (a cell centred on a two-line description). None for other rows."""
    h = view.text_height
    if not _numbers_in_columns(words, amounts, cols, h):
        return None
    desc_words = _description_words(words, amounts, cols, h)
    if not desc_words or sum(ch.isalpha() for w in desc_words for ch in w.text) < 2:
        return None
    item = LineItem(description=grounded_text(Span(view.number, tuple(desc_words)), None, 0.7))
    after = [w for w in words if w.bbox[0] >= desc_words[-1].bbox[2]]
    numbers = [(Span(view.number, (w,)), _quantity(w.text)) for w in after if _QTY.match(w.text)]
    item.quantity = _in_column(numbers, cols.get("quantity"), h, 0.75)
    item.unit_price = _in_column([a for a in amounts if a[0].bbox[0] >= desc_words[-1].bbox[2]],
                                 cols.get("unit_price"), h, 0.7)
    if item.quantity is not None:
        item.unit = _unit_after(after, item.quantity.bbox, view)
    return item


def _amount_cell_below(row, amounts, words, bottom, cols, h) -> bool:
    """Whether ``row``, right under a row that lacks its amount, holds that amount: an amount under the amount
    header and no quantity or unit price of its own (which would make it the next item)."""
    return bool(amounts) and row[0].bbox[1] - bottom < 1.6 * h \
        and _under_column(amounts[-1][0].bbox, cols["amount"], h) \
        and not _numbers_in_columns(words, amounts[:-1], cols, h)


def _item_ahead(view: PageView, rows, start: int, cols, text_rows: int) -> bool:
    """Whether an item row (an amount with cents, and a description) follows ``rows[start]``, past at most
    ``text_rows`` rows of text only; a stop word first means the table has ended."""
    h = view.text_height
    for row in rows[start:start + text_rows + 1]:
        text = " ".join(ln.text for ln in row)
        if ends_items(text):
            return False
        all_amounts = [a for ln in row for a in amounts_in(view.span(ln))]
        amounts = [a for a in all_amounts if _CENTS.search(a[0].text)]
        words = [w for ln in row for w in ln.words]
        if cols and "amount" in cols and not _amount_cell_used(words, cols, h) \
                and _item_without_amount(view, words, all_amounts, cols) is not None:
            return True  # an item whose amount is on the row under it
        if not amounts:
            continue
        if cols and "amount" in cols and not _under_column(amounts[-1][0].bbox, cols["amount"], h):
            return False
        desc = _description_words(words, amounts, cols, h)
        return sum(ch.isalpha() for w in desc for ch in w.text) >= 2
    return False


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
        left = float("-inf") if _FROM_LEFT in cols else cols["description"][0] - 2 * h
        return [w for w in words if left < w.bbox[2] <= right and not (_QTY.match(w.text) and any(
            k in cols and _under_column(w.bbox, cols[k], h) for k in ("quantity", "unit_price")))]
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
