"""Grounding: every value the model returns is matched back to page words, or dropped with a note.

Typed values (dates, amounts, numbers, currencies) must equal a candidate's printed text; names are matched
exactly to a word window of a line, else to the closest window within a character error rate of
:data:`MAX_CER` (servers write free strings); address blocks to runs of consecutive lines. When the same text
is printed in several places, the occurrence on a line that carries the field's label wins (then the last one
for totals, the first one otherwise). A value that matches nothing becomes a review note and is not emitted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from ...eval.metrics import levenshtein
from ...normalize import parse_amount, parse_date
from ..invoice import LABELS
from ..layout import Span
from .candidates import Candidate, Candidates, choice_text
from .schema import FieldSpec

MAX_CER = 0.25
_LABEL_FOR = {"invoice_number": "invoice_number", "invoice_date": "invoice_date", "due_date": "due_date",
              "subtotal": "subtotal", "total_tax": "total_tax", "total": "total"}
_LAST_WINS = {"total", "subtotal", "total_tax"}


@dataclass(frozen=True)
class Grounded:
    """A model value matched to page words: ``value`` is normalised (date, float, code or string)."""

    span: Span
    value: Any
    exact: bool = True


@dataclass
class Block:
    """Consecutive lines offered as one address choice."""

    text: str
    spans: list[Span]


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", s).split())


def _cer(a: str, b: str) -> float:
    a, b = _fold(a), _fold(b)
    return levenshtein(a, b) / max(1, len(a)) if a else 1.0


def _prefer(field: str, matches: list[Candidate], cands: Candidates) -> Candidate:
    label = LABELS.get(_LABEL_FOR.get(field, ""), None)
    if label is not None:
        labelled = [c for c in matches if label.search(cands.lines[c.line][1].text)]
        if labelled:
            matches = labelled
    return matches[-1] if field in _LAST_WINS else matches[0]


def ground_value(spec: FieldSpec, value: Any, cands: Candidates, blocks: dict[str, Block]) -> Grounded | None:
    """The page span of one returned value, or None when it is not on the page."""
    if value is None:
        return None
    text = choice_text(str(value))
    if not text:
        return None
    if spec.kind == "currency":
        code = text.upper()
        matches = [c for c in cands.by_kind.get("currency", []) if c.value == code]
        return Grounded(matches[0].span, code) if matches else None
    if spec.kind in ("date", "amount", "id"):
        matches = cands.matching(spec.kind, text)
        if not matches and spec.kind in ("date", "amount"):
            # A server may normalise ('2018-03-05', '529.87'): match by value instead of print.
            want = parse_date(text) if spec.kind == "date" else parse_amount(text)
            matches = [c for c in cands.by_kind.get(spec.kind, []) if want is not None and c.value == want]
            if matches:
                c = _prefer(spec.name, matches, cands)
                return Grounded(c.span, c.value, exact=False)
        if not matches and spec.kind == "id":
            key = _fold(text).replace(" ", "")
            matches = [c for c in cands.by_kind.get("id", []) + cands.by_kind.get("text", [])
                       if _fold(c.text).replace(" ", "") == key]
            if matches:
                return Grounded(matches[0].span, choice_text(matches[0].text), exact=False)
        if not matches:
            return None
        c = _prefer(spec.name, matches, cands)
        return Grounded(c.span, c.value if spec.kind != "id" else choice_text(c.text))
    if spec.kind == "block":
        if text in blocks:
            b = blocks[text]
            return Grounded(Span(b.spans[0].page, tuple(w for s in b.spans for w in s.words)), b.text)
        best = min(blocks.values(), key=lambda b: _cer(text, b.text), default=None)
        if best is not None and _cer(text, best.text) <= MAX_CER:
            return Grounded(Span(best.spans[0].page, tuple(w for s in best.spans for w in s.words)), best.text,
                            exact=False)
        spec = FieldSpec(spec.name, "text", spec.description)  # a one-line address: try line windows
    exact = [c for c in cands.by_kind.get("text", []) if c.value == text]
    if exact:
        return Grounded(exact[0].span, text)
    folded = [c for c in cands.by_kind.get("text", []) if _fold(c.value) == _fold(text)]
    if folded:
        return Grounded(folded[0].span, folded[0].value, exact=False)
    scored = [(c, _cer(text, c.value)) for c in cands.by_kind.get("text", [])
              if abs(len(c.value) - len(text)) <= max(3, len(text) // 3)]
    best = min(scored, key=lambda t: t[1], default=None)
    if best is not None and best[1] <= MAX_CER:
        return Grounded(best[0].span, best[0].value, exact=False)
    return None


def ground_reply(fields: tuple[FieldSpec, ...], reply: dict[str, Any], cands: Candidates,
                 blocks: dict[str, Block]) -> tuple[dict[str, Grounded], list[str]]:
    """Grounded values by field name, and a review note for each value that is not on the page."""
    out: dict[str, Grounded] = {}
    notes: list[str] = []
    for spec in fields:
        value = reply.get(spec.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        g = ground_value(spec, value, cands, blocks)
        if g is None:
            shown = str(value)[:40]
            notes.append(f"{spec.name.replace('_', ' ')} {shown!r} from the LLM is not on the page; dropped")
        else:
            out[spec.name] = g
    return out, notes
