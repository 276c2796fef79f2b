"""Typed candidate spans of a document: the only values the LLM may choose for typed fields.

Each :class:`Candidate` is a :class:`~docpipe.structure.layout.Span` of page words with its kind and
normalised value, so whatever the model picks is grounded (text, page, bbox) by construction. Kinds:
``date``, ``amount``, ``id`` (invoice/order numbers), ``iban``, ``vat``, ``email``, ``currency``, and
``text`` (word windows of a line, for names and addresses).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ...normalize import iban_valid, normalise_vat_id, word_currency
from ..layout import PageView, Span, amounts_in, dates_in

_ID = re.compile(r"^[#]?[A-Z0-9][A-Z0-9\-/._]{1,34}$", re.I)
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_MONEYISH = re.compile(r"[.,]\d{2}(?!\d)|[€$£¥]|\b[A-Z]{3}\b")
_SEPARATOR = re.compile(r"^[-+|·•–—/*]+$")
_REG_NO = re.compile(r"^\(?\d{3,}")  # company registration numbers printed after the name
TEXT_WINDOW = 8  # longest word window offered as a name/address choice


@dataclass(frozen=True)
class Candidate:
    kind: str
    span: Span
    value: Any
    line: int  # index of the line in the document's reading order (see :class:`Candidates`)

    @property
    def text(self) -> str:
        return self.span.text


@dataclass
class Candidates:
    """All candidates of a document, by kind, in reading order; ``lines`` holds (page view, line) pairs."""

    lines: list[tuple[PageView, Any]]
    by_kind: dict[str, list[Candidate]] = field(default_factory=lambda: defaultdict(list))

    def texts(self, kind: str) -> list[str]:
        """Distinct printed texts of ``kind``, first occurrence order (what the model copies)."""
        seen: dict[str, None] = {}
        for c in self.by_kind.get(kind, []):
            seen.setdefault(choice_text(c.text), None)
        return list(seen)

    def matching(self, kind: str, text: str) -> list[Candidate]:
        key = choice_text(text)
        return [c for c in self.by_kind.get(kind, []) if choice_text(c.text) == key]


def choice_text(text: str) -> str:
    """The form offered to the model: no trailing punctuation, single spaces, no quotes or backslashes."""
    return " ".join(text.replace('"', "'").replace("\\", "/").split()).strip(" :;,")


def collect(views: list[PageView]) -> Candidates:
    cands = Candidates(lines=[(v, ln) for v in views for ln in v.lines])
    add = cands.by_kind
    for idx, (view, line) in enumerate(cands.lines):
        span = view.span(line)
        date_words = set()
        for sub, value in dates_in(span):
            add["date"].append(Candidate("date", sub, value, idx))
            date_words.update(id(w) for w in sub.words)
        for sub, value in amounts_in(span):
            if _MONEYISH.search(sub.text) and not (set(map(id, sub.words)) & date_words):
                add["amount"].append(Candidate("amount", sub, value, idx))
        for w in line.words:
            t = w.text.strip(":;,()")
            one = Span(view.number, (w,))
            if _EMAIL.match(t):
                add["email"].append(Candidate("email", one, t, idx))
            elif _ID.match(t) and any(ch.isdigit() for ch in t) and id(w) not in date_words and len(t) >= 3:
                add["id"].append(Candidate("id", one, t, idx))
            code = word_currency(w.text, line.text)
            if code:
                add["currency"].append(Candidate("currency", one, code, idx))
        _add_ids(cands, view, line, idx)
        words = line.words
        for i in range(len(words)):
            if _SEPARATOR.match(words[i].text):
                continue
            for j in range(i + 1, min(len(words), i + TEXT_WINDOW) + 1):
                if j > i + 1 and (_SEPARATOR.match(words[j - 1].text) or words[j - 2].text.endswith((",", ";"))
                                  or _REG_NO.match(words[j - 1].text)):
                    break  # a name does not run across ' - ', ' + ', ' | ', a comma or a '(123456-X)' number
                sub = Span(view.number, tuple(words[i:j]))
                if sum(ch.isalpha() for ch in sub.text) >= 2:
                    add["text"].append(Candidate("text", sub, choice_text(sub.text), idx))
    return cands


def _add_ids(cands: Candidates, view: PageView, line, idx: int) -> None:
    """IBANs and VAT IDs, which OCR often splits into groups ('DE89 3704 0044 ...', 'DE 123 456 789')."""
    words = line.words
    for i, w in enumerate(words):
        if not re.match(r"^[A-Z]{2}[0-9A-Z]*$", w.text.strip(":,.")):
            continue
        for j in range(min(len(words), i + 9), i, -1):
            span = Span(view.number, tuple(words[i:j]))
            s = span.text.replace(" ", "").strip(":,.")
            if iban_valid(s):
                cands.by_kind["iban"].append(Candidate("iban", span, s.upper(), idx))
                break
            vat = normalise_vat_id(s)
            if vat:
                cands.by_kind["vat"].append(Candidate("vat", span, vat, idx))
                break
