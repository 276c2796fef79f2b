"""Stacked dimension text: tolerances printed one above the other, and limit dimensions.

OCR reads a stacked tolerance as separate lines (``35.36 -0.03`` with ``+0.03`` above it, or ``Ø16,5`` with
``+0,1`` over ``0`` to its right) and a limit dimension as two numbers one over the other (``16.00`` over
``15.50``). :func:`join_stacks` puts them back together, so that the dimension carries its deviations and its
box covers all of its text. All geometry is in the text's own frame: for text that reads bottom to top
(``angle`` 90) page boxes are turned so that "right of" is the reading direction and "above" the side the
letters' tops point to.

A found dimension is ``(span, parsed, angle)`` as built by :mod:`docpipe.structure.drawing`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..drawing.repairs import repair_ocr_text
from ..drawing.dimensions import ParsedDimension, parse_dimension
from ..geometry import union
from ..types import Word
from .layout import PageView, Span

Found = tuple[Span, ParsedDimension, float]

_DEVIATION = re.compile(r"^[+\-±]?\s?(?:\d+[.,]\d+|[.,]\d+|0)$")
_NUMBER = re.compile(r"^\d+[.,]\d+$")


def _frame(b: tuple[int, int, int, int], angle: float) -> tuple[int, int, int, int]:
    """A page box in the text's frame (x along the reading direction, y down the letters)."""
    x0, y0, x1, y1 = b
    return (-y1, x0, -y0, x1) if round(angle) == 90 else b


def join_stacks(view: PageView, found: list[Found]) -> list[Found]:
    """``found`` with stacked deviations and limit pairs joined into one dimension each (see module doc)."""
    used: set[int] = set()  # id() of words taken into another dimension
    own = {id(w) for span, _, _ in found for w in span.words}
    out: list[Found] = []
    joined: set[int] = set()
    for span, parsed, angle in found:
        if any(id(w) in used for w in span.words):
            continue  # taken into an earlier dimension
        new = _limit_pair(span, parsed, angle, found, used) or _tolerance_stack(view, span, parsed, angle, own, used)
        if new is not None:
            joined.add(id(new))
        out.append(new or (span, parsed, angle))
    # a dimension whose words a later one took in (the lower limit read on its own) goes
    return [f for f in out if id(f) in joined or not any(id(w) in used for w in f[0].words)]


def _tolerance_stack(view: PageView, span: Span, parsed: ParsedDimension, angle: float, own: set[int],
                     used: set[int]) -> Found | None:
    """Deviation lines stacked right of the size (one above the other), joined to it."""
    if parsed.kind == "angle" or parsed.tolerance_source == "fit" or "LIMITS" in parsed.qualifiers:
        return None
    if parsed.upper_deviation is not None and parsed.lower_deviation is not None:
        return None
    words = list(span.words)
    boxes = [_frame(w.bbox, angle) for w in words]
    x0, y0, x1, y1 = union(boxes)
    h = max(1, y1 - y0)
    # where the stack starts: after the size, or at a deviation word already in the span
    dev_at = next((i for i, w in enumerate(words) if i and _DEVIATION.match(w.text) and w.text[0] in "+-±"), None)
    sx = boxes[dev_at][0] if dev_at is not None else x1
    cands: list[tuple[Word, tuple[int, int, int, int]]] = []
    mine = {id(w) for w in words}
    for line in view.lines:
        if round(line.angle) != round(angle) or len(line.words) > 2:
            continue
        for w in line.words:
            # a signed word may have been read as a dimension of its own ("-0.03" as 0.03 is not, "+0,1" is)
            if id(w) in used or id(w) in mine or not _DEVIATION.match(w.text) or (id(w) in own and w.text[0] not in "+-±"):
                continue
            b = _frame(w.bbox, angle)
            wh = b[3] - b[1]
            cy = (b[1] + b[3]) / 2
            if (sx - 0.6 * h <= b[0] <= sx + 1.2 * h and wh <= 1.2 * h and y0 - 0.9 * h <= cy <= y1 + 0.9 * h
                    and not (abs(cy - (y0 + y1) / 2) < 0.2 * h and wh >= 0.7 * h)):  # same row, same size: beside
                cands.append((w, b))
    if not cands:
        return None
    stack = [(w, b) for w, b in zip(words[dev_at:], boxes[dev_at:])] if dev_at is not None else []
    stack += sorted(cands, key=lambda c: abs(c[1][0] - sx))[: 2 - len(stack)]
    stack.sort(key=lambda c: (c[1][1] + c[1][3]) / 2)
    if len(stack) == 2:
        (_, ba), (_, bb) = stack
        if min(ba[3], bb[3]) - max(ba[1], bb[1]) > 0.5 * min(ba[3] - ba[1], bb[3] - bb[1]):
            return None  # side by side, not one over the other
    elif abs((stack[0][1][1] + stack[0][1][3]) / 2 - (y0 + y1) / 2) < 0.25 * h or stack[0][0].text[0] not in "+-":
        return None  # one deviation on the size's own row is not a stack (and read_dimension saw it already)
    base = words[:dev_at] if dev_at is not None else words
    # parse_dimension, not read_dimension: a '+t' in a stack is a one-sided deviation (the other one, often a
    # lone '0', was not read), not a '±' read as '+'
    text = " ".join([*(w.text for w in base), *(w.text for w, _ in stack)])
    new = parse_dimension(repair_ocr_text(text))
    if new is None or new.nominal != parsed.nominal or (new.upper_deviation is None and new.lower_deviation is None):
        return None
    all_words = tuple(base) + tuple(w for w, _ in stack)
    for w, _ in stack:
        used.add(id(w))
    return Span(span.page, all_words), new, angle


def _limit_pair(span: Span, parsed: ParsedDimension, angle: float, found: list[Found],
                used: set[int]) -> Found | None:
    """Two sizes one over the other, within 10 % of each other: a limit dimension (upper limit on top)."""
    if parsed.kind not in ("linear", "diameter") or len(span.words) != 1 or parsed.upper_deviation is not None:
        return None
    w0 = span.words[0]
    m = re.match(r"^(Ø?)(\d+[.,]\d+)$", w0.text)
    if not m:
        return None
    b0 = _frame(w0.bbox, angle)
    h = b0[3] - b0[1]
    for other, op, oa in found:
        if other is span or round(oa) != round(angle) or len(other.words) != 1:
            continue
        w1 = other.words[0]
        if id(w1) in used or not _NUMBER.match(w1.text):
            continue
        b1 = _frame(w1.bbox, angle)
        overlap = min(b0[2], b1[2]) - max(b0[0], b1[0])
        gap = max(b1[1] - b0[3], b0[1] - b1[3])
        if overlap < 0.5 * min(b0[2] - b0[0], b1[2] - b1[0]) or not -0.2 * h <= gap <= 0.8 * h:
            continue
        top, bottom = (w0, w1) if b0[1] < b1[1] else (w1, w0)
        a, b = (re.sub(r"^Ø", "", t.text).replace(",", ".") for t in (top, bottom))
        new = parse_dimension(f"{m.group(1)}{a}/{b}")
        if new is None or "LIMITS" not in new.qualifiers:
            continue
        used.add(id(w1))
        return Span(span.page, (top, bottom)), replace(new, text=f"{top.text} {bottom.text}"), angle
    return None
