"""Tables of drawings (parts lists, revision tables) as rows of cells, from the detector's ``table`` regions.

The page's lines whose centre lies in a ``table`` region (widened by one text height: the detector's boxes are
often a little short) are grouped into rows by their vertical centres (within half a text height). OCR lines
already split where words are more than two text heights apart, so each line is a cell. Columns come from the
row with the most cells; every other row's cells go to the column they overlap most (or the nearest one), and a
column without text in a row is an empty string. The header row (the first) names the table: ``revision``
(Rev, Revision, Änderung, Index ...), ``parts_list`` (Pos, Item, Qty, Menge, Part ...), else ``table``.

Coordinates are page pixels; ``bbox`` is the union of the table's cells.
"""

from __future__ import annotations

import re
import statistics

from ..geometry import centre_in, union
from ..types import Line, Table
from .layout import PageView

_REVISION = re.compile(r"\b(rev(ision)?|änderung|aenderung|index|modification|wijziging)\b", re.I)
_PARTS = re.compile(r"\b(pos(ition)?|item|qty|quantity|menge|stk|st[üu]ck|part\s*(no|number)?|teil|benennung|"
                    r"article|qt[ée]|aantal)\b", re.I)
_MIN_ROWS = 2


def extract_tables(views: list[PageView]) -> list[Table]:
    """One :class:`~docpipe.types.Table` per detected ``table`` region with at least two rows of text."""
    out = []
    for view in views:
        h = view.text_height
        for region in view.page.regions:
            if region.label != "table":
                continue
            x0, y0, x1, y1 = region.bbox
            grown = (x0 - h, y0 - h, x1 + h, y1 + h)  # one text height of slack around the region
            inside = [ln for ln in view.lines if round(ln.angle) == 0 and centre_in(ln.bbox, grown)]
            rows = _rows(inside)
            if len(rows) < _MIN_ROWS:
                continue
            cells = _cells(rows)
            bbox = union(ln.bbox for ln in inside)
            header = " ".join(cells[0])
            label = "revision" if _REVISION.search(header) else "parts_list" if _PARTS.search(header) else "table"
            out.append(Table(label=label, rows=cells, bbox=bbox, page=view.number))
    return out


def _rows(lines: list[Line]) -> list[list[Line]]:
    if not lines:
        return []
    h = statistics.median(ln.bbox[3] - ln.bbox[1] for ln in lines)
    rows: list[list[Line]] = []
    for ln in sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        cy = (ln.bbox[1] + ln.bbox[3]) / 2
        if rows and abs(cy - statistics.fmean((r.bbox[1] + r.bbox[3]) / 2 for r in rows[-1])) <= 0.5 * h:
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return [sorted(r, key=lambda ln: ln.bbox[0]) for r in rows]


def _cells(rows: list[list[Line]]) -> list[list[str]]:
    widest = max(rows, key=len)
    cols = [(ln.bbox[0], ln.bbox[2]) for ln in widest]
    out = []
    for row in rows:
        texts = [""] * len(cols)
        for ln in row:
            def fit(c: tuple[int, int]) -> tuple[float, float]:
                overlap = min(ln.bbox[2], c[1]) - max(ln.bbox[0], c[0])
                return overlap, -abs(ln.bbox[0] - c[0])

            k = max(range(len(cols)), key=lambda i: fit(cols[i]))
            texts[k] = f"{texts[k]} {ln.text}".strip()
        out.append(texts)
    return out
