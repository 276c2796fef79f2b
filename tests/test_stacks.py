"""Stacked tolerances and limit dimensions are joined into one dimension with one box."""

from __future__ import annotations

from docpipe.geometry import union
from docpipe.structure.drawing import extract_drawing
from docpipe.structure.layout import PageView
from docpipe.types import Line, Page, Word


def _line(*words: tuple[str, tuple[int, int, int, int]], angle: float = 0.0) -> Line:
    ws = [Word(text=t, bbox=b, confidence=0.9) for t, b in words]
    return Line(text=" ".join(t for t, _ in words), bbox=union(w.bbox for w in ws), confidence=0.9, words=ws, angle=angle)


def _dims(*lines: Line):
    page = Page(number=1, width=3000, height=2000, dpi=300, text_source="ocr", lines=list(lines))
    return extract_drawing([PageView(page)]).dimensions


def test_tolerance_stack_right_of_the_size():
    dims = _dims(_line(("Ø16,5", (500, 500, 600, 540))), _line(("+0,1", (610, 490, 660, 510))),
                 _line(("0", (610, 525, 625, 545))))
    assert len(dims) == 1
    d = dims[0]
    assert (d.text, d.nominal, d.upper_deviation, d.lower_deviation) == ("Ø16,5 +0,1 0", 16.5, 0.1, 0.0)
    assert d.bbox == (500, 490, 660, 545)


def test_upper_deviation_over_a_lower_one_on_the_row():
    dims = _dims(_line(("35.36", (500, 500, 600, 540)), ("-0.03", (610, 515, 680, 545))),
                 _line(("+0.03", (610, 470, 680, 500))))
    assert [(d.nominal, d.upper_deviation, d.lower_deviation) for d in dims] == [(35.36, 0.03, -0.03)]


def test_limit_dimension_one_over_the_other():
    dims = _dims(_line(("16.00", (500, 500, 600, 540))), _line(("15.50", (500, 550, 600, 590))))
    assert len(dims) == 1
    d = dims[0]
    assert (d.text, d.nominal, d.upper_deviation, d.lower_deviation) == ("16.00 15.50", 16.0, 0.0, -0.5)  # the parser: nominal = fewer decimals
    assert d.bbox == (500, 500, 600, 590)


def test_vertical_stack_in_the_text_frame():
    # reads bottom to top: the size is lower on the page, the deviations above it, the upper one further left
    dims = _dims(_line(("35.00", (1222, 1272, 1261, 1394)), ("-0.20", (1224, 1144, 1262, 1258)), angle=90.0),
                 _line(("0.00", (1174, 1144, 1214, 1240)), angle=90.0))
    assert [(d.nominal, d.upper_deviation, d.lower_deviation, d.angle) for d in dims] == [(35.0, 0.0, -0.2, 90.0)]


def test_separate_sizes_side_by_side_stay_apart():
    dims = _dims(_line(("25", (500, 500, 540, 540))), _line(("30", (900, 500, 940, 540))),
                 _line(("16.00", (1500, 500, 1600, 540))), _line(("18.50", (1500, 550, 1600, 590))))
    assert sorted(d.text for d in dims) == ["16.00", "18.50", "25", "30"]  # 18.5 is not within 10 % of 16


def test_a_symbol_far_beside_a_size_is_not_part_of_it():
    # a surface mark 0.9 text heights right of "100" that Tesseract reads as "REF"
    dims = _dims(_line(("100", (686, 1124, 745, 1155)), ("REF", (773, 1124, 836, 1155))),
                 _line(("Ø25", (200, 200, 270, 240)), ("H7", (282, 200, 320, 240))))
    got = {d.text: d for d in dims}
    assert set(got) == {"100", "Ø25 H7"}
    assert got["100"].bbox == (686, 1124, 745, 1155) and not got["100"].tolerance_source


def test_unbalanced_bracket_from_a_leader_line():
    dims = _dims(_line(("12,5)", (827, 550, 892, 581))))
    assert [(d.text, d.nominal) for d in dims] == [("12,5", 12.5)]


def test_boxes_without_the_shape_of_text_are_dropped():
    dims = _dims(_line(("25", (500, 500, 540, 540))), _line(("2", (1839, 747, 1915, 748))),
                 _line(("4", (396, 1482, 556, 1793))), _line(("30", (900, 500, 940, 540))))
    assert sorted(d.text for d in dims) == ["25", "30"]


def test_two_readings_of_the_same_ink_keep_the_longer():
    vertical_misread = _line(("7", (696, 976, 724, 1016)), angle=90.0)
    dims = _dims(_line(("R5", (696, 976, 752, 1017))), vertical_misread, _line(("30", (900, 500, 940, 540))))
    assert sorted(d.text for d in dims) == ["30", "R5"]
