"""Building plans: classification (drawing, architectural), rooms, openings, levels, plan dimensions and chains,
from generated plans "read" perfectly (the generator's own words and boxes, no OCR), so each rule is tested
alone. Seeds 100-200 are for these rule tests; the plan evaluation uses seeds from 5000 on.
"""

import numpy as np
import pytest

from docpipe.classify import classify, discipline
from docpipe.drawing.chains import assign_chains, chain_mismatches
from docpipe.ocr import group_lines
from docpipe.structure.drawing import extract_drawing
from docpipe.structure.layout import PageView
from docpipe.synth.drawing import render_drawing
from docpipe.synth.invoice import render_invoice
from docpipe.synth.content import make_invoice
from docpipe.synth.plan import render_plan
from docpipe.types import Dimension, Line, Page, Word
from docpipe.validate import check_drawing


def page_of(cv, vertical_boxes=()) -> Page:
    """The canvas's words as a read page: words inside a vertical dimension's box form a line at 90 degrees."""
    words = [Word(text=t, bbox=b, confidence=0.95) for t, b in cv.words]
    inside = lambda w, b: b[0] <= (w.bbox[0] + w.bbox[2]) / 2 <= b[2] and b[1] <= (w.bbox[1] + w.bbox[3]) / 2 <= b[3]  # noqa: E731
    vertical, rest = [], []
    for w in words:
        (vertical if any(inside(w, b) for b in vertical_boxes) else rest).append(w)
    lines = group_lines(rest)
    for b in vertical_boxes:
        ws = sorted((w for w in vertical if inside(w, b)), key=lambda w: -w.bbox[3])
        if ws:
            lines.append(Line(text=" ".join(w.text for w in ws), bbox=b, confidence=0.95, words=ws, angle=90.0))
    return Page(number=1, width=cv.width, height=cv.height, dpi=300, text_source="ocr", lines=lines)


def plan(seed, **kw):
    cv, truth = render_plan(np.random.default_rng(seed), **kw)
    return page_of(cv, [d.bbox for d in truth.dimensions if d.angle == 90]), truth


@pytest.mark.parametrize("seed", range(100, 112))
def test_plans_are_architectural_drawings(seed):
    page, _ = plan(seed, title_block=seed % 3 != 0)  # a third are CAD exports without a title block
    assert classify([page])[0] == "drawing" and discipline([page]) == "architectural"


@pytest.mark.parametrize("seed", range(100, 106))
def test_mechanical_drawings_stay_mechanical_and_invoices_stay_invoices(seed):
    cv, _ = render_drawing(np.random.default_rng(seed))
    page = page_of(cv)
    assert classify([page])[0] == "drawing" and discipline([page]) == "mechanical"
    rng = np.random.default_rng(seed)
    canvases, _ = render_invoice(make_invoice(rng, None, None), rng, None)
    assert classify([page_of(canvases[0])])[0] == "invoice"


@pytest.mark.parametrize("seed", range(120, 132))
def test_rooms_openings_levels_and_dimensions_from_a_perfect_reading(seed):
    page, truth = plan(seed)
    got = extract_drawing([PageView(page)])
    assert got.discipline == "architectural"
    rooms = {(r.name.value, r.area_m2.value) for r in got.rooms if r.name}
    assert rooms == {(r.name.value, r.area_m2.value) for r in truth.rooms}
    assert sorted(o.tag.value for o in got.openings) == sorted(o.tag.value for o in truth.openings)
    assert all(o.kind == t.kind and o.width_mm == t.width_mm for o, t in zip(
        sorted(got.openings, key=lambda o: o.tag.value), sorted(truth.openings, key=lambda o: o.tag.value)))
    assert sorted(lv.value for lv in got.levels) == sorted(lv.value for lv in truth.levels)
    assert sorted((d.text, d.nominal) for d in got.dimensions) == sorted((d.text, d.nominal) for d in truth.dimensions)
    assert {d.text for d in got.dimensions if d.overall} == {d.text for d in truth.dimensions if d.overall}
    q = got.quantities
    assert (q.rooms, q.doors, q.windows) == (len(truth.rooms), sum(o.kind == "door" for o in truth.openings),
                                             sum(o.kind == "window" for o in truth.openings))
    for el in [*got.rooms, *got.openings, *got.dimensions]:
        assert 0 < el.confidence <= 1 and el.page == 1
    assert not [r for r in check_drawing(got) if "chain" in r]  # generated chains add up


def test_imperial_and_centimetre_sheets():
    for kw, unit in (({"imperial": True}, "ft-in"), ({"notation": "cm", "lang": "de"}, "cm")):
        page, truth = plan(133, **kw)
        got = extract_drawing([PageView(page)])
        assert sorted(d.nominal for d in got.dimensions) == sorted(d.nominal for d in truth.dimensions), unit
        assert all(abs(r.area_m2.value - t.area_m2.value) < 0.005 for r, t in zip(
            sorted(got.rooms, key=lambda r: r.bbox), sorted(truth.rooms, key=lambda r: r.bbox)))


def test_a_chain_that_does_not_add_up_is_a_review_reason():
    def dim(text, x0, y, overall=False):
        return Dimension(text=text, kind="linear", nominal=float(text), unit="mm", page=1,
                         bbox=(x0, y, x0 + 80, y + 30), confidence=0.9, overall=overall)
    dims = assign_chains([dim("3600", 100, 500), dim("2400", 600, 500), dim("6100", 350, 600)])
    assert {d.chain for d in dims} == {"c1"} and [d.overall for d in dims] == [False, False, True]
    reasons = chain_mismatches(dims)
    assert len(reasons) == 1 and "6000 mm" in reasons[0] and "6100" in reasons[0]
    assert chain_mismatches(assign_chains([dim("3600", 100, 500), dim("2400", 600, 500), dim("6000", 350, 600)])) == []


def test_labels_in_an_unread_script_invent_no_rooms_but_numbers_and_tags_are_read():
    page, truth = plan(134, script="greek")
    got = extract_drawing([PageView(page)])
    assert got.discipline == "architectural"
    assert all(r.name is None for r in got.rooms)  # no invented names
    assert sorted(r.area_m2.value for r in got.rooms) == sorted(r.area_m2.value for r in truth.rooms)
    assert len(got.openings) == len(truth.openings) and len(got.dimensions) == len(truth.dimensions)


@pytest.mark.parametrize("read, tag", [("Wwo03", "W03"), ("wo2", "W02"), ("DO04", "D04"), ("DOS", "D05"),
                                       ("Mo921", "M0921"), ("™1021", "M1021"), ("¢1014", "C1014"), ("F1O", "F10")])
def test_tag_readings_repaired(read, tag):
    from docpipe.drawing.tags import parse_tag

    assert parse_tag(read).text == tag


@pytest.mark.parametrize("read, mm", [("2-7", 787.4), ("27-0", 8229.6), ("12-0\"", 3657.6), ("41'/6\"", 12649.2),
                                      ("2.6\"", 762.0), ("T'-6\"", 2286.0), ("10'-0”\"", 3048.0)])
def test_imperial_readings_repaired_on_imperial_sheets(read, mm):
    from docpipe.drawing.plan_dimensions import parse_plan_length, repair_imperial

    assert parse_plan_length(repair_imperial(read)).mm == mm
    assert repair_imperial("3.60") == "3.60" and parse_plan_length("2-7") is None  # metric sheets: not repaired


def test_numbered_tags_missed_by_ocr_are_counted_from_the_numbering():
    for seed in range(135, 160):  # the first generated sheet with numbered window tags
        page, truth = plan(seed, lang="de")
        windows = sorted((o for o in truth.openings if o.kind == "window"), key=lambda o: int(o.tag.value[1:]))
        if len(windows) >= 4 and windows[0].tag.value[-1] == "1":
            break
    keep = {id(w) for w in page.lines for w in w.words if w.text != windows[1].tag.value}  # OCR lost one tag
    lines = [ln.model_copy(update={"words": [w for w in ln.words if id(w) in keep]}) for ln in page.lines]
    lines = [ln.model_copy(update={"text": " ".join(w.text for w in ln.words)}) for ln in lines if ln.words]
    got = extract_drawing([PageView(page.model_copy(update={"lines": lines}))])
    assert len([o for o in got.openings if o.kind == "window"]) == len(windows) - 1
    assert got.quantities.windows == len(windows)


def _crop(cv, truth, size=1000):
    """A ``size``-pixel square crop of a generated plan around its first room label, as a read page."""
    r = truth.rooms[0].bbox
    x0, y0 = max(0, (r[0] + r[2]) // 2 - size // 2), max(0, (r[1] + r[3]) // 2 - size // 2)
    words = [Word(text=t, bbox=(b[0] - x0, b[1] - y0, b[2] - x0, b[3] - y0), confidence=0.9) for t, b in cv.words
             if b[0] >= x0 and b[1] >= y0 and b[2] <= x0 + size and b[3] <= y0 + size]
    return Page(number=1, width=size, height=size, dpi=300, text_source="ocr", lines=group_lines(words))


def test_a_small_crop_of_a_plan_is_a_plan_not_a_receipt():
    """A 1000 x 1000 crop at 300 dpi is as narrow as a till roll; its tags and chains say it is a plan."""
    from docpipe.drawing.tags import parse_tag

    checked = 0
    for seed in range(140, 200):
        cv, truth = render_plan(np.random.default_rng(seed), notation="mm", imperial=False)
        page = _crop(cv, truth)
        words = [w.text for ln in page.lines for w in ln.words]
        sized = [w for w in words if (t := parse_tag(w)) and t.width_mm]
        lengths = [w for w in words if w.isdigit() and len(w) >= 3]
        if len(sized) >= 3 and len(lengths) >= 3:
            assert classify([page])[0] == "drawing" and discipline([page]) == "architectural", (seed, words)
            checked += 1
    assert checked >= 3


@pytest.mark.parametrize("word", ["will", "Wall", "Tool", "DOOR", "W", "A1"])
def test_words_are_not_tags(word):
    from docpipe.drawing.tags import parse_tag

    assert parse_tag(word) is None
