"""Receipt rules: the shop's name and address from the header, the total paid from the closing rows.

A till receipt prints, top down: sometimes a brand or greeting, the trading name (often with a legal form:
``Sdn Bhd``, ``S/B``, ``Ltd``, ``GmbH``, ``Enterprise``, ``Trading``), a registration number, the address
lines, then phone, tax ID, a title (``TAX INVOICE``), and at the end the totals and the payment
(``CASH 50.00`` / ``CHANGE 11.85``). The rules here read that shape:

- header rows are the page's rows (lines side by side joined) from the top, without noise (OCR confidence
  under :data:`NOISE_CONF`, or fewer than two letters or digits); the scan ends at the document title;
- the name is the first row with a legal form (the registered name, which receipts print under a brand),
  else the first row that reads as a name; a registration number after it is cut off;
- the address is the run of rows after the name, skipping registration numbers and dates, up to a contact,
  tax-ID or title row, at most :data:`MAX_ADDRESS_ROWS`, and at most one row without digits after the row
  that holds the postcode;
- the total is the amount on a row labelled as the total; the amount paid (tender minus change) decides
  between labelled totals when it equals one, then the final-total labels (nett, grand, rounded, inclusive of
  tax, payable) beat a plain ``Total``, then rows above the payment beat rows below it (tax summaries).

Confidence = certainty x OCR confidence, where the OCR confidence of a name or address is the mean over its
words (a field of 15 words read to within a few characters is right although its worst word is not; the
total is one word). The certainties are the accuracies measured on the other half of the SROIE sample
(receipts 51-100 of ``benchmarks/invoice_fields.py --set sroie``, not the 50 the acceptance figure uses):
name 0.95 with a legal form (n=26), 0.9 without (n=20); address 0.95 when it ends at a postcode, contact or
title row (n=43), else 0.6, and 0.5 without a digit (no house number, no postcode); total 1.0 when the payment confirms it (n=23), 0.95 for a final-total label
(n=8), 0.9 for the amount paid (n=2), 0.6 for a plain ``Total`` (n=7, 4 right), 0.4 for a total printed only
below the payment (a tax summary's column, mostly).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..types import GroundedNumber, GroundedText, Line
from .layout import PageView, Span, amounts_in, dates_in, grounded_number

NOISE_CONF = 0.4  # mean word confidence under which a line is OCR noise (logos, stamps, handwriting)
MAX_ADDRESS_ROWS = 5
HEADER_ROWS = 14  # rows scanned for the name and address

_I = re.I
# Legal forms that end a registered name: Malaysian and Singaporean ``Sdn Bhd`` (with the OCR's o/0, B/8 and
# D/0 confusions), its short form ``S/B`` (only before a bracket or at the end of the row: ``S/B`` is also a
# unit), ``Berhad``, ``Pte Ltd``, ``Co. (M)`` (company, Malaysia), the sole-proprietor names ``Enterprise`` and
# ``Trading``, and the common English and German forms.
_STRONG_FORM = re.compile(
    r"\b(s[do0]n\.?\s*[be8]h[do0]|[s5]\s?/\s?[b83](?=\s*(\(|$))|berhad|bhd|ltd|limited|gmbh|plc|pte|inc|llc|corp|"
    r"co\.?\s*\(m\)|enterprises?|trading)(?![^\W\d_])", _I)
_TITLE = re.compile(r"\b(tax\s*invoice|invoice|receipt|guest\s*check|cashier|bill\s*(no|#)|order\s*(no|#)|"
                    r"rechnung|quittung|kassenbon|facture|ticket|factuur|kassabon)\b|^\W*cash\W*$", _I)
_CONTACT = re.compile(r"\b(tel|telephone|phone|fax|h/?p|mobile|hotline|e-?mail|website|www)\b|@|https?:|"
                      r"\.com\b|^\W*[tf]\s*:", _I)
_TAX_ID = re.compile(r"\b(gst|sst|vat|tva|btw|ust|mwst|steuer|tax\s*id|tin|abn|siret|kvk|reg(istration)?\.?\s*no)",
                     _I)
_REG = re.compile(r"\b(co|company|comp)\.?\s*(no|reg|registration)\b|\broc\b|\bregistration\b", _I)
_GREETING = re.compile(r"\b(welcome|thank|thanks|danke|merci|bedankt|willkommen|bienvenue|welkom)\b", _I)
# A postcode: five or four digits before a town, or a UK-style 'OX1 3HX'; see :func:`_has_postcode` for the
# premises and lot numbers that look like one.
_POSTCODE = re.compile(r"(?<![\d\-/.])(?P<code>\d{5}|\d{4}(\s?[A-Z]{2})?)(?=[\s,.]+[^\W\d_]{2,}|\s*$)"
                       r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b", _I)
# Words that designate the number after them as a premises or land-lot number, not a postcode: 'Lot', 'No.',
# 'Unit', 'Blk', 'Plot', 'Suite', and 'PT' (the prefix of Malaysian land-title lot numbers).
_DESIGNATORS = frozenset({"lot", "no", "unit", "blk", "block", "plot", "suite", "apt", "flat", "pt"})
# A registration number in brackets at the end of a name row: 'ACME HARDWARE (123456-X)'.
_PAREN_REG = re.compile(r"\s*\(?\s*[A-Z]{0,2}\d{3,}[\s!\-]*[A-Z]?\s*\)?\s*$")

# The total: labels of the final amount, of a plain total, and rows that are not the total.
_FINAL = re.compile(
    r"\b(nett?|grand)\s*total|total\s*(amount\s*)?(payable|due|to\s*pay)|amount\s*(due|payable)|"
    r"total\s*\W*\s*inc(l|lusive)?\b|total\s*sales?\s*\W*\s*inc(l|lusive)?\b|round(ed|ing)?\s*total|"
    r"total\s*(after|rounded)|\bpayable\b|\bbalance\s*due\b|gesamtbetrag|zu\s*zahlen|montant\s*ttc|"
    r"total\s*ttc|te\s*betalen", _I)
_TAX_ROW = re.compile(r"\b(gst|vat|sst|tax|mwst|ust|tva|btw)\b", _I)
_INCL = re.compile(r"\b(incl?|inclusive|including|inkl|ttc)\b", _I)
_PLAIN_TOTAL = re.compile(r"\btotal\b|\bsumme\b|\btotaal\b", _I)
_NOT_TOTAL = re.compile(r"sub\s*-?\s*total|\b(qty|quantity|items?|item\(s\)|quantity\(s\)|savings?|discount|"
                        r"points?|excl|excluding|before|tax|gst|vat|sst|pcs|units?)\b|total\s*\W*\s*\d*\s*%", _I)
_TENDER = re.compile(r"\b(cash|tender(ed)?|paid|payment|received|visa|master\s*card|mastercard|card|credit|debit|amex|"
                     r"e-?wallet|bar|espèces|contant)\b", _I)
# the change given; OCR reads the g of small print as q
_CHANGE = re.compile(r"\b(chan[gq]e|rückgeld|wechselgeld|rendu|monnaie|wisselgeld)\b", _I)


@dataclass
class _Row:
    lines: list[Line]
    span: Span

    @property
    def text(self) -> str:
        return self.span.text

    @property
    def top(self) -> float:
        return min(_band(ln)[0] for ln in self.lines)

    @property
    def bottom(self) -> float:
        return max(_band(ln)[1] for ln in self.lines)


def _noise(line: Line) -> bool:
    return line.confidence < NOISE_CONF or sum(ch.isalnum() for ch in line.text) < 2


def line_rows(lines: list[Line]) -> list[list[Line]]:
    """Lines side by side, left to right, top down: a line joins a row when its vertical centre lies within
    the row's first line (by the lines' own heights: a page's median text height misjudges receipts whose
    name is printed large)."""
    rows: list[tuple[tuple[float, float], list[Line]]] = []
    for ln in sorted(lines, key=lambda ln: sum(_band(ln)) / 2):
        y0, y1 = _band(ln)
        cy = (y0 + y1) / 2
        for (r0, r1), row in rows[-3:]:
            if r0 <= cy <= r1:
                row.append(ln)
                break
        else:
            rows.append(((y0, y1), [ln]))
    return [sorted(r, key=lambda ln: ln.bbox[0]) for _, r in rows]


def _band(line: Line) -> tuple[float, float]:
    """A line's vertical extent by its letters' median top and bottom: a '|' or a bracket read from a
    border can make the line's box several rows tall."""
    words = [w for w in line.words if sum(ch.isalnum() for ch in w.text) >= 1] or line.words
    tops = sorted(w.bbox[1] for w in words)
    bottoms = sorted(w.bbox[3] for w in words)
    return float(tops[len(tops) // 2]), float(bottoms[len(bottoms) // 2])


def _rows(view: PageView) -> list[_Row]:
    out = []
    for row in line_rows([ln for ln in view.lines if not _noise(ln)]):
        out.append(_Row(row, Span(view.number, tuple(w for ln in row for w in ln.words))))
    return out


_CONNECTORS = frozenset({"company", "corporation", "and"})  # words of a legal form, not of a name ('CO.' is short)


def _letters_words(text: str) -> list[str]:
    return [t for t in re.findall(r"[^\W\d_]{3,}", text)]


def _is_phone(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 7 and not re.search(r"[^\W\d_]", text)


def _is_reg(text: str) -> bool:
    """A company registration number row: Malaysian SSM numbers, digits and a check letter, bare or in brackets
    ('(123456-X)', '000123456-A'), or labelled ('Co. No: 000123456-A', 'ROC 12345')."""
    if _REG.search(text):
        return True
    words = [w for w in _letters_words(text) if w.lower() not in ("reg", "company")]
    return not words and sum(ch.isdigit() for ch in text) >= 4 and "," not in text


def _is_date(row: _Row) -> bool:
    return bool(dates_in(row.span)) and len(_letters_words(row.text)) <= 2 and "," not in row.text


def _kind(row: _Row) -> str:
    t = row.text
    if _TITLE.search(t):
        return "title"
    if _CONTACT.search(t) or _is_phone(t):
        return "contact"
    if _TAX_ID.search(t):
        return "tax"
    if _is_reg(t):
        return "reg"
    if _is_date(row):
        return "date"
    if _STRONG_FORM.search(t):
        return "legal"
    return "text"


def _name_like(row: _Row) -> bool:
    t = _PAREN_REG.sub("", row.text)  # 'ACME HARDWARE (123456-X)': the registration number is not the name
    chars = [ch for ch in t if not ch.isspace()]
    alpha = sum(ch.isalpha() for ch in chars)
    conf = sum(ln.confidence for ln in row.lines) / len(row.lines)
    digits = sum(ch.isdigit() for ch in chars)
    # Not an address line ('Lot 7, Jalan Besar 12/3'): a name has at most two digits ('88 Mini Market').
    return (conf >= 0.6 and alpha >= 4 and alpha >= 0.6 * len(chars) and digits <= 2
            and not _GREETING.search(t) and len(_letters_words(t)) >= 1)


def _cut_name(row: _Row) -> tuple[Span, str]:
    """The row's words up to its legal form (or without a trailing registration number), and the value."""
    text = row.text
    m = None
    for m in _STRONG_FORM.finditer(text):
        pass
    end = m.end() if m else len(_PAREN_REG.sub("", text)) or len(text)
    value = text[:end].strip(" ,:;(")
    words, pos, keep = row.span.words, 0, []
    for w in words:
        if pos < end:
            keep.append(w)
        pos += len(w.text) + 1
    # Specks read as short words before the name ('xl ACME MART'): short low-confidence words go.
    while len(keep) > 1 and keep[0].confidence < 0.5 and sum(ch.isalnum() for ch in keep[0].text) <= 2:
        value = value[len(keep[0].text):].lstrip()
        keep.pop(0)
    return Span(row.span.page, tuple(keep or words)), value


@dataclass
class ReceiptHeader:
    name: GroundedText | None
    address: GroundedText | None


def receipt_header(view: PageView) -> ReceiptHeader:
    """The shop's name and address from the top rows of a receipt page (see the module docstring)."""
    rows = [r for r in _rows(view) if r.top < view.page.height * 0.6][:HEADER_ROWS]
    kinds = [_kind(r) for r in rows]
    # The header ends at the document title ('TAX INVOICE'), unless the title is the first row (above the
    # name); after it come the customer (another legal name) and the items.
    named = [k == "legal" or (k == "text" and _name_like(r)) for r, k in zip(rows, kinds)]
    end = next((i for i, k in enumerate(kinds) if k == "title" and i > 0), len(rows))
    legal = [i for i in range(end) if kinds[i] == "legal"]
    name_rows: list[int] = []
    if legal:
        i = legal[0]
        name_rows = [i]
        before = rows[i].text[: _STRONG_FORM.search(rows[i].text).start()]
        # A name printed over two rows, the second holding only its legal form and connectors: 'ACME BOOK' over
        # 'CO. (M) SDN BHD', 'TAN BROTHERS' over '& CO. LTD', 'ACME TRADING' over 'COMPANY SDN BHD'.
        if (not [w for w in _letters_words(before) if w.lower() not in _CONNECTORS] and i > 0
                and kinds[i - 1] == "text" and _name_like(rows[i - 1])):
            name_rows = [i - 1, i]
    else:
        first = next((i for i in range(end) if named[i]), None)
        if first is not None:
            name_rows = [first]
    if not name_rows:
        return ReceiptHeader(None, None)
    name = _name(rows, name_rows)
    address = _address(view, rows, kinds, name_rows[-1] + 1, end)
    return ReceiptHeader(name, address)


def _name(rows: list[_Row], idx: list[int]) -> GroundedText:
    parts = [_cut_name(rows[i]) for i in idx]
    span = Span(parts[0][0].page, tuple(w for s, _ in parts for w in s.words))
    value = " ".join(v for _, v in parts)
    legal = bool(_STRONG_FORM.search(value))
    return _mean_grounded(span, value, 0.95 if legal else 0.9)


def _address(view: PageView, rows: list[_Row], kinds: list[str], start: int, end: int) -> GroundedText | None:
    picked: list[_Row] = []
    ended = end < len(rows)  # a title row follows the header
    postcode = False
    for i in range(start, end):
        row, kind = rows[i], kinds[i]
        if picked and row.top - picked[-1].bottom > 2.5 * view.text_height:
            ended = False
            break
        if kind in ("contact", "tax", "reg", "legal"):
            if picked:
                ended = True
                break
            continue  # registration numbers, phone or tax ID printed between the name and the address
        if kind == "date":
            continue
        if postcode:  # one more row after the postcode: a region or country name ('MALAYSIA')
            if not re.search(r"\d", row.text) and len(row.text.split()) <= 3 and not _ends_with_country(
                    picked[-1].text):
                picked.append(row)
            break
        picked.append(row)
        postcode = _has_postcode(row.text)
        if len(picked) >= MAX_ADDRESS_ROWS:
            ended = False
            break
    if not picked:
        return None
    span = Span(view.number, tuple(w for r in picked for w in r.span.words))
    value = ", ".join(r.text.strip(" ,") for r in picked)
    # An address with neither a house number nor a postcode is likely some other line (a former name, a slogan).
    certainty = (0.95 if (ended or postcode) else 0.6) if re.search(r"\d", value) else 0.5
    return _mean_grounded(span, value, certainty)


# Country names an address ends with (postal addresses of every class of document put the country last): after
# '10115 Berlin, Germany' or '75001 Paris, France' the next short row is a branch or outlet name, not the address.
_COUNTRIES = frozenset({
    "malaysia", "singapore", "indonesia", "thailand", "philippines", "brunei", "vietnam", "india", "china",
    "hong kong", "japan", "australia", "new zealand", "united kingdom", "uk", "england", "scotland", "wales",
    "ireland", "usa", "united states", "canada", "germany", "deutschland", "austria", "österreich",
    "switzerland", "schweiz", "suisse", "france", "belgium", "belgique", "belgië", "belgie", "nederland",
    "netherlands", "the netherlands", "luxembourg", "italy", "italia", "spain", "españa", "portugal", "denmark",
    "sweden", "norway", "finland", "poland", "polska"})


def _ends_with_country(text: str) -> bool:
    """Whether the address row ``text`` ends with a country name ('..., 75001 Paris, France')."""
    words = re.sub(r"[^\w\s.]", " ", text).lower().replace(".", " ").split()
    return any(" ".join(words[-n:]) in _COUNTRIES for n in (1, 2) if len(words) >= n)


def _has_postcode(text: str) -> bool:
    """Whether ``text`` holds a postcode (:data:`_POSTCODE`) that no designator word (:data:`_DESIGNATORS`, or
    dotted initials such as 'A.B.', the way lot and title references are abbreviated) marks as a premises or
    lot number: in 'Lot 12345, Jalan Besar' or 'No. 1234 Main Road' the number is not a postcode."""
    for m in _POSTCODE.finditer(text):
        if m.group("code") is None:
            return True  # UK style: letters and digits, never a house number
        prev = (text[: m.start()].split() or [""])[-1]
        if prev.strip(".,:#").replace(".", "").lower() in _DESIGNATORS or re.fullmatch(r"(?:[^\W\d_]\.)+,?", prev):
            continue
        return True
    return False


def _mean_grounded(span: Span, value: str, certainty: float) -> GroundedText:
    """A grounded string whose confidence is ``certainty`` x the mean OCR confidence of its words."""
    ocr = sum(w.confidence for w in span.words) / len(span.words)
    return GroundedText(value=value, text=span.text, confidence=round(ocr * certainty, 4), page=span.page,
                        bbox=span.bbox)


# -- the total -----------------------------------------------------------------------------------------------


def _row_amounts(view: PageView, row: list[Line], label_end_x: int) -> list[tuple[Span, float]]:
    out = []
    for ln in row:
        for span, value in amounts_in(view.span(ln)):
            if span.bbox[0] >= label_end_x and re.search(r"\d[.,]\d{2}(?!\d)", span.text):
                out.append((span, value))
    return out


def receipt_total(views: list[PageView]) -> GroundedNumber | None:
    """The total paid on a receipt (see the module docstring), or None when no row is labelled as a total."""
    labelled: list[tuple[int, int, Span, float]] = []  # (strength, order, span, value)
    printed: list[tuple[Span, float]] = []  # amounts above the first payment row
    tender: list[tuple[int, float, Span]] = []
    change: list[tuple[int, float]] = []
    order = 0
    for view in views:
        for row in line_rows(view.lines):
            order += 1
            head = " ".join(ln.text for ln in row)
            amounts = _row_amounts(view, row, _label_end(row))
            if not amounts:
                continue
            span, value = amounts[-1]
            if not tender:
                printed.append((span, value))
            label = head[: max(0, head.find(span.words[0].text))] or head
            if _CHANGE.search(label):
                change.append((order, value))
            elif _TAX_ROW.search(label) and not _INCL.search(label):
                continue
            elif _FINAL.search(label):
                labelled.append((2, order, span, value))
            elif _PLAIN_TOTAL.search(label) and not _NOT_TOTAL.search(label):
                labelled.append((1, order, span, value))
            elif _TENDER.search(label) and not _PLAIN_TOTAL.search(label):
                tender.append((order, value, span))
    if not labelled and not tender:
        return None
    paid, with_change = None, False
    if tender:
        t_order, t_value, t_span = tender[0]
        later_change = [v for o, v in change if o > t_order]
        with_change = bool(later_change)
        paid = round(t_value - (later_change[0] if later_change else 0.0), 2)
    confirmed = [c for c in labelled if paid is not None and abs(c[3] - paid) <= 0.005]
    if confirmed:
        strength, _, span, value = max(confirmed, key=lambda c: (c[0], c[1]))
        return grounded_number(span, value, 1.0)
    if with_change and paid is not None and paid > 0:
        # The total's row did not read as one (label misread or missing), but the payment and its change did:
        # the amount paid, where it is printed above the payment (the tender row itself when no change was due).
        same = [s for s, v in printed if abs(v - paid) <= 0.005]
        if same:
            return grounded_number(same[-1], paid, 0.9)
    first_payment = min([o for o, _, _ in tender] + [o for o, _ in change], default=None)
    above = [c for c in labelled if first_payment is None or c[1] < first_payment]
    if above:
        best = max(above, key=lambda c: (c[0], c[1]))
        return grounded_number(best[2], best[3], 0.95 if best[0] == 2 else 0.6)
    if not labelled:
        return None
    # Only totals printed below the payment: often a tax summary's 'Total' column.
    best = max(labelled, key=lambda c: (c[0], c[1]))
    return grounded_number(best[2], best[3], 0.4)


def _label_end(row: list[Line]) -> int:
    """x where the row's label ends: the right edge of the last word before the first amount-like word."""
    words = [w for ln in row for w in ln.words]
    x = row[0].bbox[0]
    for w in words:
        if re.search(r"\d", w.text):
            break
        x = w.bbox[2]
    return x
