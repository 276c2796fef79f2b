"""Headings that carry fields: the document's title line, and labelled party sections.

Two layouts the field labels of :mod:`.invoice` miss, both common across vendors and languages:

- **A title that prints the number (and often the date)**: ``Rechnung Nr. 4711 vom 05.03.2024``,
  ``Teilrechnung (326) Nr. R-17``, ``Facture FA-2024-0009``, ``Invoice #1043``, ``Credit note CN-88 dated
  2 May 2024``, ``Factuur 2024-118``. German titles are compounds (``Schluss-``, ``Abschlags-``, ``Miet-``,
  ``Handelsrechnung``), credit notes and corrections included (``Gutschrift``, ``Rechnungskorrektur``,
  ``Avoir``, ``Creditnota``). The number is the first ID after the title word: right after it (with only an
  EDI document-type code in parentheses between), or after a number label (``Nr.``, ``No.``, ``N°``, ``#``)
  within a few words (``Rechnung der Stadtwerke Nr. 12``). A date after ``vom``/``du``/``of``/``dated``/``van``
  in the same line is the invoice date.
- **Labelled party sections** (EN 16931 visualisations, ERP print-outs, form-like invoices): a heading that
  names the role (``Verkäufer``, ``Seller``, ``Supplier``, ``Vendeur``, ``Verkoper``; ``Käufer``, ``Buyer``,
  ``Acheteur``, ``Koper``) followed by labelled rows, one of them ``Name:``. The name row under a seller
  heading is the vendor's name, under a buyer heading the customer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..types import Line
from .layout import PageView, Span, dates_in

_I = re.I
_TITLE_WORD = re.compile(
    r"(tax|proforma|pro-forma|commercial|final)?\s*invoice|credit\s*note|debit\s*note|"
    r"[a-zäöüß-]*rechnung|rechnungskorrektur|gutschrift|storno(rechnung)?|facture|avoir|"
    r"factuur|creditnota|creditfactuur|fattura|factura", _I)
_NUMBER_LABEL = re.compile(r"(n[°ºo]\.?|nr\.?|no\.?|num(ber|mer|[ée]ro)?\.?|#)[:.]?", _I)
_ID = re.compile(r"#?[A-Z0-9][A-Z0-9\-/._]{1,30}", _I)
_DATE_INTRO = re.compile(r"(vom|du|of|dated|van|from|datum|date|issued|on|le|am|del)[:.]?", _I)
_GLUED_LABEL = re.compile(r"(n[°º]\.?|nr\.|no\.|#)(?P<id>[A-Z0-9].*)", _I)
MAX_WORDS_BEFORE_LABEL = 3


@dataclass(frozen=True)
class TitleFields:
    """What a title line gives: the number's span and value, the date's, and how sure the rule is."""

    line: Line
    number: tuple[Span, str, float] | None
    date: tuple[Span, object, float] | None


def _is_id(text: str) -> bool:
    t = text.strip(":,;")
    return bool(_ID.fullmatch(t)) and any(ch.isdigit() for ch in t)


def _title_start(line: Line) -> int | None:
    """Index of the word after the title word(s) when ``line`` starts with a document title, else None."""
    words = [w.text for w in line.words]
    for n in (2, 1):  # 'Tax Invoice', 'Credit note' before 'Invoice'
        if len(words) >= n and _TITLE_WORD.fullmatch(" ".join(words[:n]).strip(":")):
            return n
    return None


def title_fields(view: PageView, line: Line) -> TitleFields | None:
    """The invoice number (and date) a title line prints; None when ``line`` is no such title."""
    start = _title_start(line)
    if start is None:
        return None
    words = line.words
    i, skipped, labelled = start, 0, False
    number = None
    while i < len(words):
        t = words[i].text
        if t.startswith("(") and not labelled:  # a document type code (UNTDID 1001, '(380)') or a qualifier
            while i < len(words) and not words[i].text.rstrip(",.;:").endswith(")"):
                i += 1
            i += 1
            continue
        if _NUMBER_LABEL.fullmatch(t):
            labelled = True
            i += 1
            continue
        glued = _GLUED_LABEL.fullmatch(t)
        if glued and _is_id(glued.group("id")):  # 'Facture n°562044387'
            number = (Span(view.number, (words[i],)), glued.group("id").strip(":,;"), 0.9)
            break
        if _is_id(t) and not dates_in(Span(view.number, (words[i],))):
            if labelled or skipped == 0:
                number = (Span(view.number, (words[i],)), t.strip(":,;").lstrip("#"), 0.9 if labelled else 0.85)
            break
        if labelled or not t.isalpha() or skipped >= MAX_WORDS_BEFORE_LABEL:
            break
        skipped += 1
        i += 1
    if number is None:
        return None
    date = None
    rest = words[i + 1:]
    for k, w in enumerate(rest):
        if _DATE_INTRO.fullmatch(w.text) and k + 1 < len(rest):
            found = dates_in(Span(view.number, tuple(rest[k + 1:k + 4])))
            if found:
                date = (found[0][0], found[0][1], 0.9)
            break
    return TitleFields(line=line, number=number, date=date)


def find_title(views: list[PageView]) -> TitleFields | None:
    """The first title line with a number, page by page in reading order."""
    for view in views:
        for line in view.lines:
            found = title_fields(view, line)
            if found is not None:
                return found
    return None


# --- party sections --------------------------------------------------------------------------------------------

SELLER_HEADING = re.compile(
    r"(verk[äa]ufer|seller|supplier|vendor|vendeur|fournisseur|verkoper|leverancier|lieferant|"
    r"rechnungssteller|leistungserbringer|prestataire|[ée]metteur)(\s*/\s*\w+)?", _I)
BUYER_HEADING = re.compile(
    r"(k[äa]ufer|buyer|customer|acheteur|client|koper|klant|kunde|rechnungsempf[äa]nger|leistungsempf[äa]nger|"
    r"destinataire|afnemer)(\s*/\s*\w+)?", _I)
_NAME_LABEL = re.compile(r"(name|firma|company|raison\s*sociale|nom|naam|bedrijf)\b\s*:?", _I)
SECTION_LINES = 10  # rows under a heading searched for its Name row


def _heading(line: Line) -> str | None:
    text = line.text.strip(" :")
    if SELLER_HEADING.fullmatch(text):
        return "vendor"
    if BUYER_HEADING.fullmatch(text):
        return "customer"
    return None


def party_names(view: PageView) -> dict[str, Span]:
    """``{"vendor": span, "customer": span}`` for the sections this page heads with a role and labels with a
    ``Name:`` row (either may be missing)."""
    out: dict[str, Span] = {}
    lines = sorted(view.lines, key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    for i, line in enumerate(lines):
        role = _heading(line)
        if role is None or role in out:
            continue
        for other in lines[i + 1:i + 1 + SECTION_LINES]:
            if _heading(other) is not None:
                break
            m = _NAME_LABEL.match(other.text)
            if not m or other.bbox[0] > line.bbox[0] + 3 * view.text_height:
                continue
            label_words = len(other.text[:m.end()].split())
            if label_words < len(other.words):  # 'Name: <company>' on one line
                out[role] = view.span(other, label_words)
            else:  # 'Name:' with the value in the next column, on one line or several
                right = view.same_row(other, right_of=other.bbox[2])
                if right:
                    out[role] = _value_block(view, right[0], other)
            break
    return out


def _value_block(view: PageView, first: Line, label: Line) -> Span:
    """``first`` and the lines of its column just above or below it that no label of their own stands beside
    (a two-line name printed beside one ``Name:`` label), top down."""
    h = view.text_height
    col = [ln for ln in view.lines if abs(ln.bbox[0] - first.bbox[0]) <= h and ln is not first]

    def unlabelled(ln: Line) -> bool:
        return not any(o.bbox[2] < first.bbox[0] - h / 2 and o.bbox[0] < first.bbox[0]
                       and abs((o.bbox[1] + o.bbox[3]) / 2 - (ln.bbox[1] + ln.bbox[3]) / 2) < 0.6 * h
                       for o in view.lines if o is not label)

    block = [first]
    for direction in (-1, 1):
        edge = first
        while True:
            nxt = [ln for ln in col if ln not in block and 0 <= direction * ((ln.bbox[1] + ln.bbox[3]) / 2
                   - (edge.bbox[1] + edge.bbox[3]) / 2) <= 2.0 * h and unlabelled(ln)]
            if not nxt or len(block) >= 3:
                break
            edge = min(nxt, key=lambda ln: abs(ln.bbox[1] - edge.bbox[1]))
            block.append(edge)
    block.sort(key=lambda ln: ln.bbox[1])
    return Span(view.number, tuple(w for ln in block for w in ln.words))
