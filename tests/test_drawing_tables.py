"""Drawing tables (revision tables, parts lists) as rows of cells from the detector's table regions."""

from __future__ import annotations

from docpipe.structure.drawing import extract_drawing
from docpipe.structure.layout import PageView
from docpipe.types import Line, Page, Region, Word


def _line(text: str, x: int, y: int, h: int = 30) -> Line:
    words, cx = [], x
    for t in text.split():
        words.append(Word(text=t, bbox=(cx, y, cx + 18 * len(t), y + h), confidence=0.9))
        cx += 18 * len(t) + 12
    return Line(text=text, bbox=(x, y, words[-1].bbox[2], y + h), confidence=0.9, words=words)


def _drawing(lines, regions):
    page = Page(number=1, width=5000, height=3500, dpi=300, text_source="ocr", lines=lines, regions=regions)
    return extract_drawing([PageView(page)])


def test_revision_table_rows_and_columns():
    cols = (3300, 3480, 4260, 4620)
    rows = [("Rev.", "Description", "Date", "Name"), ("A", "Initial release", "2020-10-23", "AB"),
            ("", "Chamfer added", "2022-08-24", "RW")]  # a cell OCR did not read stays empty
    lines = [_line(t, x, 140 + 60 * i) for i, r in enumerate(rows) for t, x in zip(r, cols) if t]
    lines.append(_line("25", 1500, 1500))  # a dimension elsewhere on the sheet
    d = _drawing(lines, [Region(label="table", bbox=(3310, 150, 4700, 250), confidence=0.6)])
    assert len(d.tables) == 1
    t = d.tables[0]
    assert t.label == "revision" and t.page == 1
    assert t.rows == [list(r) for r in rows]
    assert t.bbox[0] == 3300 and t.bbox[1] == 140
    # the dates inside the table are not dimensions; the size outside is
    assert [x.text for x in d.dimensions] == ["25"]


def test_parts_list_label_and_no_table_without_rows():
    lines = [_line("Pos", 300, 300), _line("Qty", 500, 300), _line("Part", 700, 300),
             _line("1", 300, 360), _line("2", 500, 360), _line("Bolt M8", 700, 360)]
    d = _drawing(lines, [Region(label="table", bbox=(290, 290, 900, 400), confidence=0.5),
                         Region(label="table", bbox=(2000, 2000, 2500, 2200), confidence=0.5)])
    assert [(t.label, t.rows) for t in d.tables] == [("parts_list", [["Pos", "Qty", "Part"], ["1", "2", "Bolt M8"]])]
