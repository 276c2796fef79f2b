"""Plan rules on readings as OCR gives them (docpipe.structure.plan): room labels read together with what
stands beside them, areas whose unit was lost, and door and window counts from misread tags. Pages are built
here word by word, in the shapes the reader returned on generated plans (development seeds 6000-6039; the
plan evaluation's seeds from 5000 to 5019 are not used).
"""

from docpipe.ocr import group_lines
from docpipe.structure.layout import PageView
from docpipe.structure.plan import extract_plan
from docpipe.types import Drawing, Page, Word


def _page(*items):
    """Words (text, x0, y0) 30 px tall, each about 22 px a character wide, as one read page."""
    words = [Word(text=t, bbox=(x, y, x + 22 * len(t), y + 30), confidence=c[0] if c else 0.9)
             for t, x, y, *c in items]
    return Page(number=1, width=4000, height=3000, dpi=300, text_source="ocr", lines=group_lines(words))


def _plan(page):
    return extract_plan([PageView(page)], Drawing(discipline="architectural"), exclude=[])


def _rooms(page):
    return sorted((r.name.value if r.name else None, r.area_m2.value) for r in _plan(page).rooms)


def test_a_one_line_label_keeps_the_name_and_drops_a_tag_or_mark_before_it():
    page = _page(("W3", 1000, 500), ("|", 1060, 500), ("Office", 1090, 500), ("100", 1240, 500),
                 ("SF", 1320, 500),
                 ("DA", 2000, 500), ("Study", 2060, 500), ("158", 2190, 500), ("sq", 2270, 500), ("ft", 2330, 500))
    assert _rooms(page) == [("Office", 9.29), ("Study", 14.68)]


def test_two_labels_side_by_side_read_as_one_line_name_each_its_own_room():
    page = _page(("Slaapkamer", 1000, 500), ("2", 1230, 500), ("Studeerkamer", 1300, 500),
                 ("7,81", 1040, 545), ("m²", 1140, 545), ("8,44", 1400, 545), ("m²", 1500, 545))
    assert _rooms(page) == [("Slaapkamer 2", 7.81), ("Studeerkamer", 8.44)]


def test_marks_read_after_a_name_are_no_part_of_it():
    page = _page(("Badkamer", 1000, 500), ("(ow", 1190, 500), ("15,26", 1040, 545), ("m²", 1170, 545))
    assert _rooms(page) == [("Badkamer", 15.26)]


def test_an_area_whose_unit_was_lost_after_a_name_on_its_line():
    page = _page(("Werkkamer", 1000, 500), ("8,71", 1230, 500),
                 ("Kuche", 2000, 500), ("7,97", 2140, 500), ("2", 2240, 500))
    assert _rooms(page) == [("Kuche", 7.97), ("Werkkamer", 8.71)]
    # a bare number alone, with no name, is no room
    assert _rooms(_page(("8,71", 1230, 500), ("3600", 2000, 900), ("2400", 2400, 900))) == []


def test_a_tag_number_read_twice_counts_once_and_a_lone_tag_sets_no_numbering():
    # W1..W4 on the sheet, W4 also read for a misread W3; D1 and D3 read, D2 read as P2
    page = _page(("W1", 500, 300), ("W2", 900, 300), ("W4", 1300, 300), ("W4", 1700, 300),
                 ("D1", 500, 1500), ("P2", 900, 1500), ("D3", 1300, 1500))
    q = _plan(page).quantities
    assert q.windows == 4  # W1, W2, W4 and the W3 the numbering shows
    assert q.doors == 4  # D1, D3 read, D2 by the numbering, and P2 (no P1 inferred from it alone)


def test_a_name_read_in_one_line_with_a_lower_tag_and_a_wall_edge_is_still_over_its_area():
    """``C0912`` set lower beside the name and a wall's edge read as a tall ``l`` share the name's line; the
    name's own words are right over the area (``8,47`` whose m² was lost)."""
    words = [Word(text="S|c0912", bbox=(2028, 1831, 2188, 1872), confidence=0.59),
             Word(text="l", bbox=(2229, 1789, 2260, 1904), confidence=0.0),
             Word(text="Schlafen", bbox=(2296, 1790, 2486, 1829), confidence=0.96),
             Word(text="8,47", bbox=(2324, 1854, 2460, 1889), confidence=0.9)]
    page = Page(number=1, width=4000, height=3000, dpi=300, text_source="ocr", lines=group_lines(words))
    assert _rooms(page) == [("Schlafen", 8.47)]


def test_an_imperial_string_misread_two_ways_takes_the_reading_its_chain_adds_up_with():
    """``51-5"`` (the foot mark read as 1), ``g'-6"`` (8 or 9 feet), ``55"`` (5'-5" with the foot mark lost):
    the chain's overall decides."""
    from docpipe.drawing.chains import assign_chains, settle_by_sum
    from docpipe.drawing.plan_dimensions import imperial_alternatives, parse_plan_length, repair_imperial
    from docpipe.types import Dimension

    def dim(text, x0, y, mm=None):
        mm = mm or parse_plan_length(repair_imperial(text)).mm
        return Dimension(text=text, kind="linear", nominal=mm, unit="mm", page=1, bbox=(x0, y, x0 + 90, y + 30),
                         confidence=0.9)
    for misread, printed_mm in (("51-5\"", 1651.0), ("g'-6\"", 2590.8), ("55\"", 1651.0)):
        overall = 1524.0 + printed_mm + 1219.2
        dims = [dim("5'-0\"", 100, 500), dim(misread, 400, 500), dim("4'-0\"", 700, 500),
                dim("overall", 430, 600, overall)]
        got = settle_by_sum(dims, [imperial_alternatives(d.text) for d in dims])
        assert got[1].nominal == printed_mm and got[1].confidence < 0.9 and got[3].overall
    # a chain that adds up as read keeps its readings
    dims = [dim("5'-0\"", 100, 500), dim("g'-6\"", 400, 500), dim("14'-6\"", 430, 600)]
    assert settle_by_sum(dims, [imperial_alternatives(d.text) for d in dims]) == assign_chains(dims)


def _imperial_chain(*items):
    """A page of an imperial sheet: a chain of lengths on one dimension line (``items``: (text, x0) or
    (text, x0, confidence)), words 30 px tall at y 500."""
    return _page(*[(t, x, 500, *c) for t, x, *c in items])


def test_feet_and_inches_whose_foot_mark_and_hyphen_were_lost_between_two_words():
    """Imperial sheets: ``7`` ``6"`` read as two words close together is ``7'-6"`` (the foot mark and the
    hyphen lost); a number further off on the line stays apart from the inch string beside it."""
    page = _imperial_chain(("5'-0\"", 100), ("7", 600), ("6\"", 650), ("4'-0\"", 1100))
    assert [(d.text, d.nominal) for d in _plan(page).dimensions] == \
        [("5'-0\"", 1524.0), ("7 6\"", 2286.0), ("4'-0\"", 1219.2)]
    page = _imperial_chain(("5'-0\"", 100), ("7", 600), ("6\"", 760), ("4'-0\"", 1100))  # 4 letter heights off
    assert ("6\"", 152.4) in [(d.text, d.nominal) for d in _plan(page).dimensions]
    from docpipe.drawing.plan_dimensions import repair_imperial
    assert repair_imperial("7 6\"") == "7'-6\"" and repair_imperial("7 13\"") == "7 13\""


def test_a_doubted_bare_inch_string_in_a_chain_of_feet_and_inches_without_overall_is_split():
    """``55"`` read at 0.02 among feet-and-inch strings with no overall to check them: ``5'-5"``. A sure
    ``36"`` stays, and so does ``10"`` (under a foot, printed as inches), and a chain with an overall lets the
    sum decide."""
    def nominal(text, conf, overall=None):
        items = [("10'-9\"", 100), ("4'-0\"", 400), (text, 700, conf), ("6'-10\"", 1000)]
        page = _imperial_chain(*items) if overall is None else _page(*[(t, x, 500, *c) for t, x, *c in items],
                                                                     (overall, 500, 600))
        return next(d.nominal for d in _plan(page).dimensions if d.text == text)
    assert nominal("55\"", 0.02) == 1651.0
    assert nominal("36\"", 0.9) == 914.4
    assert nominal("10\"", 0.02) == 254.0
    assert nominal("55\"", 0.02, overall="25'-4\"") == 1397.0  # adds up as read: 10'-9" + 4' + 55" + 6'-10"


def test_a_string_read_longer_than_the_sheet_takes_its_reading_that_fits():
    """``51-8"`` (51'-8" as repaired) on a sheet whose longest length is 31'-6": the foot mark was read as
    ``1``, 5'-8". A longest string with no other reading, or one that fits as read, stays."""
    def nominals(text):
        page = _page(("7'-1\"", 100, 500), (text, 400, 500), ("8'-7\"", 700, 500), ("31'-6\"", 300, 900),
                     ("14'-0\"", 1200, 900))
        return {d.text: d.nominal for d in _plan(page).dimensions}
    assert nominals("51-8\"")["51-8\""] == 1727.2
    assert nominals("21-8\"")["21-8\""] == 6604.0  # 21'-8" fits within 31'-6"
    assert nominals("41'-8\"")["41'-8\""] == 12700.0  # no other reading


def test_a_chain_without_overall_adds_up_to_the_overall_of_the_parallel_chain_over_the_same_stretch():
    """The parts along the top of a building (no overall of their own, ``g'-5"``: 8 or 9 feet) and the
    overall along its bottom (48'-0") measure the same width: 8'-5". A chain over another stretch is left."""
    top = [("5'-2\"", 100), ("4'-0\"", 400), ("g'-5\"", 700), ("4'-0\"", 1000), ("9'-10\"", 1300),
           ("16'-7\"", 1600)]
    bottom = [("10'-6\"", 100), ("9'-6\"", 500), ("17'-0\"", 1000), ("11'-0\"", 1600)]

    def g_reading(shift=0):
        page = _page(*[(t, x + shift, 300) for t, x in top], *[(t, x, 2000) for t, x in bottom],
                     ("48'-0\"", 850, 2100))
        return next(d.nominal for d in _plan(page).dimensions if d.text == "g'-5\"")
    assert g_reading() == 2565.4
    assert g_reading(shift=600) == 2870.2  # another stretch: 9'-5" as repaired


def test_a_metric_digit_ocr_confuses_is_mended_where_it_alone_makes_the_chain_add_up():
    """``4250`` read for ``4750`` (2 for 7) in a chain whose overall is 10600: the only one-digit reading of
    any string that adds up. Where two strings could be mended the same way, the chain stays as read."""
    from docpipe.drawing.plan_dimensions import metric_alternatives

    def nominals(*parts, overall="10600"):
        page = _page(*[(t, 300 + 400 * k, 500) for k, t in enumerate(parts)], (overall, 500, 600))
        return [d.nominal for d in _plan(page).dimensions if not d.overall]
    assert nominals("5850", "4250") == [5850.0, 4750.0]
    assert nominals("5850", "4750") == [5850.0, 4750.0]
    assert nominals("4250", "5850", "4250", overall="14850") == [4250.0, 5850.0, 4250.0]  # 4750 either one
    assert 7750.0 in metric_alternatives("7.15", 7150.0) and 4750.0 in metric_alternatives("425", 4250.0)
    assert metric_alternatives("12'-6\"", 3810.0) == []
