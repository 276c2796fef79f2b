"""Layout queries over read pages, and typed candidate spans, for grounded extraction.

A :class:`Span` is a run of consecutive words of one line on one page: every extracted value is built from a
span, so it carries the printed ``text``, the ``page`` and the union ``bbox`` of its words. Coordinates are
page pixels (see ``docpipe.types``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..geometry import union
from ..types import GroundedDate, GroundedNumber, GroundedText, Line, Page, Word
from ..normalize import parse_amount, parse_date


@dataclass(frozen=True)
class Span:
    page: int
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        return union(w.bbox for w in self.words)

    @property
    def confidence(self) -> float:
        return min(w.confidence for w in self.words)


def grounded_text(span: Span, value: str | None = None, certainty: float = 1.0) -> GroundedText:
    """A grounded string; ``certainty`` (0-1) scales the OCR confidence by how sure the rule is."""
    return GroundedText(value=value if value is not None else span.text, text=span.text,
                        confidence=round(span.confidence * certainty, 4), page=span.page, bbox=span.bbox)


def grounded_number(span: Span, value: float, certainty: float = 1.0) -> GroundedNumber:
    return GroundedNumber(value=value, text=span.text, confidence=round(span.confidence * certainty, 4),
                          page=span.page, bbox=span.bbox)


def grounded_date(span: Span, value: Any, certainty: float = 1.0) -> GroundedDate:
    return GroundedDate(value=value, text=span.text, confidence=round(span.confidence * certainty, 4),
                        page=span.page, bbox=span.bbox)


def _cy(b: tuple[int, int, int, int]) -> float:
    return (b[1] + b[3]) / 2


class PageView:
    """Geometric queries over one page's lines."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.number = page.number
        self.lines: list[Line] = [ln for ln in page.lines if ln.words]
        heights = sorted(w.bbox[3] - w.bbox[1] for ln in self.lines for w in ln.words)
        self.text_height = heights[len(heights) // 2] if heights else 30

    def span(self, line: Line, start: int = 0, end: int | None = None) -> Span:
        return Span(self.number, tuple(line.words[start:end]))

    def find(self, pattern: re.Pattern[str]) -> Iterator[tuple[Line, int, int]]:
        """Lines whose text matches ``pattern``, with the word index range [start, end) of the match."""
        for line in self.lines:
            m = pattern.search(line.text)
            if not m:
                continue
            start, end = word_range(line, m.start(), m.end())
            yield line, start, end

    def same_row(self, line: Line, *, right_of: int | None = None) -> list[Line]:
        """Other lines whose vertical centre lies within ``line``'s band, left to right."""
        y0, y1 = line.bbox[1], line.bbox[3]
        pad = 0.25 * (y1 - y0)
        out = [ln for ln in self.lines if ln is not line and y0 - pad <= _cy(ln.bbox) <= y1 + pad
               and (right_of is None or ln.bbox[0] >= right_of)]
        return sorted(out, key=lambda ln: ln.bbox[0])

    def below(self, box: tuple[int, int, int, int], *, max_lines: int = 3, max_gap: float = 2.5) -> list[Line]:
        """Lines under ``box`` that overlap its x-range (or start within a text height of it), top down,
        stopping at a vertical gap above ``max_gap`` text heights."""
        x0, _, x1, y1 = box
        h = self.text_height
        cands = sorted((ln for ln in self.lines if ln.bbox[1] >= y1 - 0.3 * h
                        and min(x1, ln.bbox[2]) - max(x0, ln.bbox[0]) > -0.5 * h
                        and ln.bbox[0] >= x0 - 3 * h), key=lambda ln: ln.bbox[1])
        out: list[Line] = []
        last = y1
        for ln in cands:
            if ln.bbox[1] - last > max_gap * h or len(out) >= max_lines:
                break
            out.append(ln)
            last = ln.bbox[3]
        return out

    def rows(self) -> list[list[Line]]:
        """Lines grouped into rows across columns (vertical centres within half a text height)."""
        rows: list[list[Line]] = []
        for ln in sorted(self.lines, key=lambda ln: _cy(ln.bbox)):
            if rows and abs(_cy(ln.bbox) - _cy(rows[-1][0].bbox)) <= 0.5 * self.text_height:
                rows[-1].append(ln)
            else:
                rows.append([ln])
        return [sorted(r, key=lambda ln: ln.bbox[0]) for r in rows]


def word_range(line: Line, start: int, end: int) -> tuple[int, int]:
    """Word indexes [i, j) of ``line.words`` covering characters [start, end) of ``line.text``."""
    pos, first, last = 0, None, 0
    for i, w in enumerate(line.words):
        w_end = pos + len(w.text)
        if w_end > start and pos < end:
            first = i if first is None else first
            last = i + 1
        pos = w_end + 1
    return (first if first is not None else len(line.words)), last


def windows(words: tuple[Word, ...] | list[Word], max_len: int) -> Iterator[tuple[int, int]]:
    """Word index ranges [i, j), longest first at each start, up to ``max_len`` words."""
    n = len(words)
    for i in range(n):
        for j in range(min(n, i + max_len), i, -1):
            yield i, j


def find_values(span: Span, parse: Callable[[str], Any], max_len: int) -> list[tuple[Span, Any]]:
    """Non-overlapping sub-spans that ``parse`` accepts, left to right, longest match first."""
    out = []
    taken = -1
    for i, j in windows(span.words, max_len):
        if i <= taken:
            continue
        sub = Span(span.page, span.words[i:j])
        value = parse(sub.text)
        if value is not None:
            out.append((sub, value))
            taken = j - 1
    return out


def amounts_in(span: Span) -> list[tuple[Span, float]]:
    """Amounts in a span; a percentage ('19%', '19 %') is not an amount, nor is a bare year or a date."""
    out = []
    for sub, value in find_values(span, _amount_token, 2):
        nxt = _next_word(span, sub)
        if nxt is not None and nxt.text.startswith("%"):
            continue
        out.append((sub, value))
    return out


def _amount_token(text: str) -> float | None:
    if text.endswith("%") or re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}", text):
        return None
    if " " in text:  # '1 234,56', 'EUR 12.00' or '30. 70' (OCR split the cents) only: never join two numbers
        a, b = text.split(" ", 1)
        if re.fullmatch(r"[-+]?\d+[.,]", a) and re.fullmatch(r"\d{2}", b):
            return parse_amount(a + b)
        if not (re.fullmatch(r"\d{1,3}", a) and re.fullmatch(r"\d{3}([.,]\d{1,2})?", b)) and not (
            re.fullmatch(r"[A-Z]{3}|[€$£]", a) or re.fullmatch(r"[A-Z]{3}|[€$£]", b)
        ):
            return None
    if not re.search(r"\d", text):
        return None
    return parse_amount(text)


def dates_in(span: Span, dayfirst: bool = True) -> list[tuple[Span, Any]]:
    return find_values(span, lambda t: parse_date(t, dayfirst=dayfirst), 3)


def _next_word(span: Span, sub: Span) -> Word | None:
    idx = span.words.index(sub.words[-1])
    return span.words[idx + 1] if idx + 1 < len(span.words) else None
