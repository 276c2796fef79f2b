"""Business rules that choose among alternative candidates before a document is flagged for review.

- tax not above the subtotal: swapped when it is (both positive); a tax above 27 % of the total (the highest
  VAT rate, :func:`..invoice.plausible_tax`) is no tax: not taken from the candidates, and cleared when read.
- subtotal + tax = total (within 0.01): when the chosen amounts disagree, search the document's amount
  candidates for a triple that adds up and keeps two of the three chosen values (then the chosen total,
  then the later-printed amounts win ties); failing that, the largest amount with a subtotal and a non-zero
  tax that add up to it (the gross total of a positive invoice is its largest amount). Found: those fields
  take the alternatives (confidence x 0.9); not found: the three keep their values with confidence x 0.7,
  and validation flags the document.
- due date not before the invoice date: a later date on a line labelled as a due date replaces it.

The remaining checks (ISO 4217, IBAN mod-97, VAT formats, line items sum) are in :mod:`docpipe.validate`,
which turns every failure into a review reason.
"""

from __future__ import annotations

from ...types import GroundedDate, GroundedNumber, Invoice
from ...validate import TOLERANCE
from ..invoice import LABELS, drop_implausible_tax, plausible_tax
from .candidates import Candidate, Candidates

_TOTALS = ("subtotal", "total_tax", "total")


def _number(c: Candidate, confidence: float) -> GroundedNumber:
    return GroundedNumber(value=float(c.value), text=c.text, confidence=round(confidence, 4), page=c.span.page,
                          bbox=c.span.bbox)


def _adds_up(s: float, x: float, t: float) -> bool:
    return abs(round(s + x, 2) - t) <= TOLERANCE + 1e-9


def fix_totals(inv: Invoice, cands: Candidates) -> set[str]:
    """Re-choose subtotal/tax/total among candidates when they do not add up. Returns the names of the fields
    whose value was replaced (empty: none). A tax above the subtotal (both positive) is a swap: no VAT rate is
    above 100 %."""
    replaced: set[str] = set()
    if inv.subtotal and inv.total_tax and 0 < inv.subtotal.value < inv.total_tax.value:
        inv.subtotal, inv.total_tax = inv.total_tax, inv.subtotal
        replaced |= {"subtotal", "total_tax"}
    cur = {k: getattr(inv, k) for k in _TOTALS}
    if any(v is None for v in cur.values()):
        return replaced
    if _adds_up(cur["subtotal"].value, cur["total_tax"].value, cur["total"].value):
        return replaced
    amounts = cands.by_kind.get("amount", [])
    by_value: dict[float, list[int]] = {}
    for i, c in enumerate(amounts):
        by_value.setdefault(round(float(c.value), 2), []).append(i)
    best = None
    for i, s in enumerate(amounts):
        for j, x in enumerate(amounts):
            if i == j:
                continue
            t_val = round(float(s.value) + float(x.value), 2)
            for k in by_value.get(t_val, []):
                if k in (i, j):
                    continue
                t = amounts[k]
                kept = sum(abs(float(c.value) - cur[name].value) <= 0.005
                           for name, c in (("subtotal", s), ("total_tax", x), ("total", t)))
                if kept < 2 or 0 < float(s.value) < float(x.value) or not plausible_tax(x.value, t.value):
                    continue
                # A zero tax makes any amount printed twice a 'triple' (s + 0 = s): no evidence, unless the
                # chosen tax was zero already.
                if abs(float(x.value)) < 0.005 and abs(cur["total_tax"].value) >= 0.005:
                    continue
                score = (kept, abs(float(t.value) - cur["total"].value) <= 0.005, k, i)
                if best is None or score > best[0]:
                    best = (score, s, x, t)
    if best is None:
        best = _largest_total_triple(amounts, by_value)
    if best is None:
        for name in _TOTALS:
            g = cur[name]
            setattr(inv, name, g.model_copy(update={"confidence": round(g.confidence * 0.7, 4)}))
        return replaced
    _, s, x, t = best
    for name, c in (("subtotal", s), ("total_tax", x), ("total", t)):
        if abs(float(c.value) - cur[name].value) > 0.005:
            setattr(inv, name, _number(c, c.span.confidence * 0.9))
            replaced.add(name)
    return replaced


def complete_subtotal(inv: Invoice, cands: Candidates) -> bool:
    """Invoices whose rules read the tax and the total but no subtotal (a net line under a label the rules do
    not know, or only the line items' sum printed): the subtotal is a printed amount that closes subtotal + tax
    = total (another span than the tax's and the total's, the best read if several). Set in place; True when
    one was found. The arithmetic settles it, so the model is not asked for it (on the real invoices its pick of
    an unlabelled subtotal broke the sum both times it was asked)."""
    x, t = inv.total_tax, inv.total
    if inv.subtotal is not None or x is None or t is None:
        return False
    want = round(t.value - x.value, 2)
    if not 0 < x.value <= want or not plausible_tax(x.value, t.value):
        return False
    taken = {(g.page, tuple(g.bbox)) for g in (x, t) if g.bbox is not None}
    found = [c for c in cands.by_kind.get("amount", []) if abs(float(c.value) - want) <= 0.005
             and (c.span.page, tuple(c.span.bbox)) not in taken]
    if not found:
        return False
    c = max(found, key=lambda c: c.span.confidence)
    inv.subtotal = _number(c, c.span.confidence * 0.9)
    return True


def _largest_total_triple(amounts: list[Candidate], by_value: dict[float, list[int]]):
    """When the chosen amounts are mostly wrong: the gross total of a (positive) invoice is its largest amount;
    take it when a subtotal and a non-zero tax on the page add up to it (tax not above the subtotal)."""
    if not amounts:
        return None
    k = max(range(len(amounts)), key=lambda i: (float(amounts[i].value), i))
    t = amounts[k]
    if float(t.value) <= 0:
        return None
    for i, s in enumerate(amounts):
        x_val = round(float(t.value) - float(s.value), 2)
        for j in by_value.get(x_val, []):
            x = amounts[j]
            if len({i, j, k}) == 3 and 0 < float(x.value) <= float(s.value) and plausible_tax(x.value, t.value):
                return ((0,), s, x, t)
    return None


def fix_due_date(inv: Invoice, cands: Candidates) -> set[str]:
    """A due date before the invoice date: replaced by a later date on a line labelled as a due date. Returns
    ``{"due_date"}`` when replaced, else an empty set."""
    if not (inv.invoice_date and inv.due_date) or inv.due_date.value >= inv.invoice_date.value:
        return set()
    for c in cands.by_kind.get("date", []):
        if c.value >= inv.invoice_date.value and LABELS["due_date"].search(cands.lines[c.line][1].text):
            inv.due_date = GroundedDate(value=c.value, text=c.text, confidence=round(c.span.confidence * 0.9, 4),
                                        page=c.span.page, bbox=c.span.bbox)
            return {"due_date"}
    return set()


def apply_rules(inv: Invoice, cands: Candidates, *, totals: bool = True) -> tuple[list[str], set[str]]:
    """Apply the rules in place; returns notes for the review reasons (none when a rule was satisfied by an
    alternative: the values are then consistent) and the names of the fields an alternative replaced.
    ``totals=False`` leaves the amounts alone: a receipt's total that the payment confirms is not replaced by a
    subtotal + tax that adds up (rounding, discounts and service charges sit between them on receipts;
    validation still flags the difference)."""
    replaced = fix_totals(inv, cands) if totals else set()
    replaced |= fix_due_date(inv, cands)
    drop_implausible_tax(inv)  # the model's pick too: no tax is above 27 % of its total
    return [], replaced
