"""Openings of plans pair the detector's door and window symbols with their tags; ``quantities`` reconciles the
two. Generated plans "read" perfectly (the generator's words) and "detect" perfectly (the generator's symbol
regions), then one tag or one symbol is taken away."""

from __future__ import annotations

import numpy as np

from docpipe.geometry import centre_in, intersection
from docpipe.structure.drawing import extract_drawing
from docpipe.structure.layout import PageView
from docpipe.structure.plan import symbol_tag_mismatches
from docpipe.synth.plan import render_plan
from docpipe.types import Region
from docpipe.validate import check_drawing

from tests.test_plans import page_of


def _plan(seed, **kw):
    cv, truth = render_plan(np.random.default_rng(seed), **kw)
    page = page_of(cv, [d.bbox for d in truth.dimensions if d.angle == 90])
    symbols = [Region(label=r.label, bbox=r.bbox, confidence=0.9) for r in cv.regions
               if r.label in ("door", "window")]
    return page, truth, symbols


def _region_of(truth_opening, symbols):
    """The generated symbol region of a truth opening (the region is the truth's ``symbol_bbox``, the wall gap
    and a door's swing, padded)."""
    return max(symbols, key=lambda r: intersection(r.bbox, truth_opening.symbol_bbox)).bbox


def _without_tag(page, opening):
    """``page`` without the word of ``opening``'s tag (OCR lost it)."""
    lost = lambda w: w.text == opening.tag.value and centre_in(w.bbox, opening.bbox)  # noqa: E731
    keep = [ln.model_copy(update={"words": [w for w in ln.words if not lost(w)]}) for ln in page.lines]
    keep = [ln.model_copy(update={"text": " ".join(w.text for w in ln.words)}) for ln in keep if ln.words]
    return page.model_copy(update={"lines": keep})


def _counts(truth):
    return sum(o.kind == "door" for o in truth.openings), sum(o.kind == "window" for o in truth.openings)


def test_every_tag_takes_its_own_symbol_and_the_counts_agree():
    for seed in range(200, 206):
        page, truth, symbols = _plan(seed)
        got = extract_drawing([PageView(page.model_copy(update={"regions": symbols}))])
        want = sorted((o.tag.value, _region_of(o, symbols)) for o in truth.openings)  # sized tags repeat
        assert len(got.openings) == len(truth.openings) == len(symbols), seed
        assert sorted((o.tag.value, o.symbol_bbox) for o in got.openings) == want, seed
        assert (got.quantities.doors, got.quantities.windows) == _counts(truth)
        assert symbol_tag_mismatches(got.openings) == []
        assert not [r for r in check_drawing(got) if "symbols" in r]


def test_without_symbols_the_openings_come_from_the_tags_alone():
    page, truth, _ = _plan(200)
    got = extract_drawing([PageView(page)])
    assert all(o.symbol_bbox is None and o.tag is not None for o in got.openings)
    assert (got.quantities.doors, got.quantities.windows) == _counts(truth)
    assert symbol_tag_mismatches(got.openings) == []  # no detector, no disagreement


def test_an_opening_whose_tag_ocr_lost_is_counted_from_its_symbol():
    page, truth, symbols = _plan(211)  # sized tags (M1021, C1518): no numbering counts a lost tag
    assert all(o.tag.value[0] in "MC" for o in truth.openings)
    lost = next(o for o in truth.openings if o.kind == "door")
    page = _without_tag(page, lost)
    full = extract_drawing([PageView(page.model_copy(update={"regions": symbols}))])
    untagged = [o for o in full.openings if o.tag is None]
    assert [(o.kind, o.symbol_bbox) for o in untagged] == [("door", _region_of(lost, symbols))]
    assert untagged[0].bbox == untagged[0].symbol_bbox and 0 < untagged[0].confidence < 0.9
    assert (full.quantities.doors, full.quantities.windows) == _counts(truth)
    reasons = check_drawing(full)
    assert any(r.startswith("doors: ") and "1 symbols without a tag" in r for r in reasons), reasons
    # from the tags alone the door is lost, and the take-off is surer when symbols and tags agree
    tags_only = extract_drawing([PageView(page)])
    assert tags_only.quantities.doors == _counts(truth)[0] - 1


def test_a_numbered_tag_lost_counts_once_from_the_numbering_and_its_symbol():
    for seed in range(135, 170):  # numbered window tags W1..Wn (at least 4), as in test_plans
        page, truth, symbols = _plan(seed, lang="de")
        windows = sorted((o for o in truth.openings if o.kind == "window"), key=lambda o: int(o.tag.value[1:]))
        if len(windows) >= 4 and windows[0].tag.value[-1] == "1":
            break
    page = _without_tag(page, windows[1])
    got = extract_drawing([PageView(page.model_copy(update={"regions": symbols}))])
    assert got.quantities.windows == len(windows)  # the numbering and the symbol both stand for the lost tag
    assert sum(o.kind == "window" and o.tag is None for o in got.openings) == 1


def test_a_symbol_the_detector_missed_leaves_the_tag_counted_and_asks_for_review():
    page, truth, symbols = _plan(201)
    door = next(o for o in truth.openings if o.kind == "door")
    symbols = [r for r in symbols if r.bbox != _region_of(door, symbols)]
    got = extract_drawing([PageView(page.model_copy(update={"regions": symbols}))])
    assert (got.quantities.doors, got.quantities.windows) == _counts(truth)
    lone = [o for o in got.openings if o.symbol_bbox is None]
    assert [o.tag.value for o in lone] == [door.tag.value]
    assert any(r.startswith("doors: ") and "1 tags without a symbol" in r for r in check_drawing(got))
    agree = extract_drawing([PageView(page.model_copy(update={"regions": _plan(201)[2]}))])
    assert got.quantities.confidence < agree.quantities.confidence
