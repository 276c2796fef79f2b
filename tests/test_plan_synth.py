"""Generated floor plans (docpipe.synth.plan): the ground truth is what is printed, and it is consistent.

Seeds here (1-40) are for generator and rule tests; the plan evaluation uses seeds from 5000 on.
"""

import numpy as np
import pytest

from docpipe.drawing.areas import parse_area
from docpipe.drawing.levels import parse_level
from docpipe.drawing.plan_dimensions import parse_plan_length
from docpipe.drawing.tags import parse_tag
from docpipe.synth.plan import render_plan
from docpipe.synth.writer import generate

SEEDS = range(1, 21)


@pytest.fixture(scope="module")
def plans():
    return {s: render_plan(np.random.default_rng(s)) for s in SEEDS}


def test_every_printed_string_parses_to_its_truth(plans):
    for s, (cv, t) in plans.items():
        for d in t.dimensions:
            for u in ("mm", "cm"):
                p = parse_plan_length(d.text, u)
                if p is not None and p.mm == d.nominal:
                    break
            else:
                raise AssertionError((s, d.text, d.nominal))
        for room in t.rooms:
            assert parse_area(room.area_m2.text)[0] == room.area_m2.value, (s, room.area_m2.text)
        for o in t.openings:
            tag = parse_tag(o.tag.text)
            assert tag is not None and tag.kind == o.kind and tag.width_mm == o.width_mm, (s, o.tag.text)
        for lv in t.levels:
            assert parse_level(lv.text) == lv.value, (s, lv.text)


def test_chains_add_up_to_their_overall(plans):
    checked = 0
    for s, (cv, t) in plans.items():
        chains = {}
        for d in t.dimensions:
            if d.chain:
                chains.setdefault(d.chain, []).append(d)
        for cid, dims in chains.items():
            overall = [d for d in dims if d.overall]
            parts = [d for d in dims if not d.overall]
            if overall and len(parts) > 1:
                assert sum(d.nominal for d in parts) == pytest.approx(overall[0].nominal, abs=0.5), (s, cid)
                checked += 1
    assert checked >= 2 * len(plans)  # the bottom and the left chain of every sheet at least


def test_variety_and_boxes_inside_the_sheet(plans):
    notations, langs, angles = set(), set(), set()
    for s, (cv, t) in plans.items():
        assert t.discipline == "architectural" and t.rooms and t.openings and len(t.dimensions) >= 6
        assert t.quantities.doors + t.quantities.windows == len(t.openings)
        for d in t.dimensions:
            x0, y0, x1, y1 = d.bbox
            assert 0 <= x0 < x1 <= cv.width and 0 <= y0 < y1 <= cv.height
            angles.add(d.angle)
            notations.add("ft-in" if "'" in d.text else "m" if "." in d.text or "," in d.text else "int")
        langs.add(t.rooms[0].name.value)
        labels = {r.label for r in cv.regions}
        assert {"door", "window", "room_label", "dimension_line", "dimension"} <= labels
    assert angles == {0.0, 90.0} and {"ft-in", "m", "int"} <= notations and len(langs) >= 10


def test_same_seed_same_plan_and_generate_writes_plans(tmp_path):
    a, ta = render_plan(np.random.default_rng(7))
    b, tb = render_plan(np.random.default_rng(7))
    assert ta == tb and a.im.tobytes() == b.im.tobytes()
    paths = generate(tmp_path, invoices=0, receipts=0, drawings=0, others=0, plans=2, seed=3)
    assert len(paths) == 2 and all((tmp_path / "expected" / (p.name + ".json")).exists() for p in paths)


def test_door_and_dimension_line_regions_are_the_symbols_and_rows(plans):
    """The detector's targets: a door's region is its symbol (the gap and the swing quadrant, as the truth's
    ``symbol_bbox``), not the whole circle of the swing around the hinge; a dimension line's region is its row
    (line, ticks, texts) without the extension lines, so that an overall chain and the chain inside it are two
    separate boxes (overlapping, the two could never both survive the detector's NMS at IoU 0.5)."""
    from docpipe.geometry import iou

    def inside(a, b, tol=1):
        return a[0] >= b[0] - tol and a[1] >= b[1] - tol and a[2] <= b[2] + tol and a[3] <= b[3] + tol

    for s, (cv, t) in plans.items():
        doors = [r.bbox for r in cv.regions if r.label == "door"]
        symbols = [o.symbol_bbox for o in t.openings if o.kind == "door"]
        assert len(doors) >= len(symbols), s  # the truth lists the openings whose tag was placed
        for sb in symbols:
            assert max(iou(sb, d) for d in doors) > 0.8, (s, sb)
        rows = [r.bbox for r in cv.regions if r.label == "dimension_line"]
        for i, a in enumerate(rows):
            assert all(iou(a, b) < 0.3 for b in rows[i + 1:]), (s, a)
        for d in t.dimensions:
            assert any(inside(d.bbox, r) for r in rows), (s, d.text)
