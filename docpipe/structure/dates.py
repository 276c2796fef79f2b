"""The document's order of day and month, for numeric dates such as ``03/11/2017``.

Every reader parses numeric dates day first (most of the world, and every EN/DE/FR/NL document from Europe).
A document can say otherwise, and then its ambiguous dates (day and month both 12 or less) are read month
first. The evidence, strongest first:

1. a date on the page that only one order can read (``11/23/2017`` is month first, ``23/11/2017`` day first):
   a document uses one convention throughout;
2. the payment term: a term of N days printed with an invoice date and a due date that are N days apart in
   one order only (``Invoice Date 04/02/2024``, ``Due Date 05/02/2024``, ``net 30 days``: 2 April to 2 May);
3. US conventions: amounts in US dollars (a ``USD`` code, or two ``$12.34`` amounts: a lone ``$`` is often OCR
   noise) on an English document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from ..normalize import parse_date
from ..types import GroundedDate, Invoice
from .layout import PageView

_NUMERIC = re.compile(r"(?<![\d.])(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})(?![\d.])")
_TERM = re.compile(r"(\d{1,3})\s*(days?|jours?|tagen?|dagen|giorni|d[íi]as)\b", re.I)
_USD = re.compile(r"\bUSD\b|US\$")
_DOLLAR_AMOUNT = re.compile(r"\$\s?\d[\d,]*\.\d{2}\b")
_ENGLISH = re.compile(r"\b(invoice|date|due|total|amount|bill|payment|terms)\b", re.I)


# Certainty factor of a numeric date whose day and month are zero-padded differently (see mixed_padding).
MIXED_PADDING = 0.5


def mixed_padding(text: str) -> bool:
    """Whether a numeric date pads its day and month differently: ``4-06-19``, ``09/3/2021``. Date printers
    (tills, invoicing software) use one format, padding both or neither, so one of the two lost a digit to OCR
    (the thin first digit of a thermal print: ``24-06-19`` read as ``4-06-19``). Where the other part is 10 or
    more (``7/12/2018``) the padding cannot be told and the date is not suspect."""
    m = _NUMERIC.search(text)
    if not m:
        return False
    a, b = m.group(1), m.group(2)
    return (len(a) == 1 and b.startswith("0")) or (len(b) == 1 and a.startswith("0"))


def _ambiguous(text: str) -> tuple[int, int, int] | None:
    m = _NUMERIC.search(text)
    if not m:
        return None
    a, b = int(m.group(1)), int(m.group(2))
    return (a, b, int(m.group(3))) if a <= 12 and b <= 12 and a != b else None


def dayfirst(views: Sequence[PageView], inv: Invoice | None = None) -> bool:
    """Whether this document's numeric dates are day first (see the module docstring for the evidence)."""
    dmy = mdy = 0
    text = []
    for view in views:
        for line in view.lines:
            text.append(line.text)
            for m in _NUMERIC.finditer(line.text):
                a, b = int(m.group(1)), int(m.group(2))
                if a > 12 >= b:
                    dmy += 1
                elif b > 12 >= a:
                    mdy += 1
    if dmy != mdy:
        return dmy > mdy
    terms = {int(m.group(1)) for t in text for m in _TERM.finditer(t)}
    if inv is not None and inv.invoice_date is not None and terms:
        # The due date as the rules read it, else any other date on the page (its label may not have read).
        others = [inv.due_date.text] if inv.due_date is not None else [
            m.group(0) for t in text for m in _NUMERIC.finditer(t) if m.group(0) not in inv.invoice_date.text]
        orders = {o for due in others if (o := _by_term(inv.invoice_date.text, due, terms)) is not None}
        if len(orders) == 1:
            return orders.pop()
    joined = "\n".join(text)
    # US dollars (a USD code, or at least two '$12.34' amounts: one '$' is often OCR noise) on an English page.
    dollars = bool(_USD.search(joined)) or len(_DOLLAR_AMOUNT.findall(joined)) >= 2
    return not (dollars and len(_ENGLISH.findall(joined)) >= 3)


def _by_term(issued: str, due: str, terms: set[int]) -> bool | None:
    """The order (True: day first) in which ``due`` - ``issued`` is one of the printed terms, if only one."""
    fits = []
    for first in (True, False):
        a, b = parse_date(issued, dayfirst=first), parse_date(due, dayfirst=first)
        if a is not None and b is not None and any(abs((b - a).days - n) <= 1 for n in terms):
            fits.append(first)
    return fits[0] if len(fits) == 1 else None


def apply_date_order(inv: Invoice, views: Sequence[PageView]) -> None:
    """Re-read ``inv``'s ambiguous numeric dates month first when the document is month first (in place)."""
    if dayfirst(views, inv):
        return
    for name in ("invoice_date", "due_date"):
        g: GroundedDate | None = getattr(inv, name)
        if g is None or _ambiguous(g.text) is None:
            continue
        value = parse_date(g.text, dayfirst=False)
        if isinstance(value, dt.date) and value != g.value:
            setattr(inv, name, g.model_copy(update={"value": value}))
