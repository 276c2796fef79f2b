"""The end-to-end drawing evaluation: text normalisation, one-to-one matching, other_info handling."""

from __future__ import annotations

import pytest

from docpipe.eval.drawing_eval import dim_text_key, score_drawing


@pytest.mark.parametrize("a,b", [
    ("⌀15", "Ø15"), ("200,00", "200.00"), ("⌀16,5 +0,1 0", "Ø16.5+0.1 0"), ("+0.03 35.36-0.03", "35.36 +0.03 -0.03"),
    ("+0.40 4x⌀6.60-0.10", "4X Ø6.60 +0.40 -0.10"), ("3±0.02", "3 +/-0.02"), ("0.00 35.00-0.20", "35.00 0.00 -0.20"), ("45,0°", "45.0º"),
])
def test_text_key_equates_spellings(a, b):
    assert dim_text_key(a) == dim_text_key(b)


def test_text_key_keeps_differences():
    assert dim_text_key("R10") != dim_text_key("10")
    assert dim_text_key("2,5 +0,2 0") != dim_text_key("2,0 +0,2")


def test_score_one_to_one_and_ignored():
    gt = [("20", (0, 0, 10, 10)), ("30", (100, 0, 110, 10))]
    ignore = [(200, 200, 300, 300)]
    pred = [("20", (0, 0, 10, 10)), ("2O", (1, 0, 10, 10)), ("31", (100, 0, 111, 11)), ("X1", (250, 250, 260, 260))]
    s = score_drawing("d", gt, ignore, pred, seconds=1.0)
    assert (s.n_gt, s.n_pred, s.n_ignored, s.matched) == (2, 3, 1, 2)
    assert s.recall == 1.0 and s.precision == pytest.approx(2 / 3)
    assert s.cer == pytest.approx(0.25)  # 0 for "20", 1/2 for "30" vs "31"
    assert s.exact == 1
    assert [p["pred"] for p in s.unmatched_pred] == ["2O"]


def test_score_below_iou_is_a_miss():
    s = score_drawing("d", [("20", (0, 0, 10, 10))], [], [("20", (8, 8, 30, 30))])
    assert s.matched == 0 and s.recall == 0.0 and s.cer is None


@pytest.mark.realdocs
def test_pipeline_on_a_real_drawing():
    """One eDOCr2 sheet end to end (skipped without ../shared/realdocs): most of its dimensions found and read."""
    from docpipe.eval.drawing_eval import evaluate_drawings
    from docpipe.eval.realdocs import realdocs_root

    root = realdocs_root()
    if root is None or not (root / "drawings" / "edocr2_gt").is_dir():
        pytest.skip("../shared/realdocs is absent (set DOCPIPE_REALDOCS to point at it)")
    rep = evaluate_drawings(root, limit=1, dop=False)  # Adapterplatte: 12 dimensions, decimal commas
    d = rep.drawings[0]
    assert d.doc_id == "Adapterplatte" and d.error is None
    assert d.recall >= 0.75 and d.cer <= 0.1
    assert "edocr2" in rep.to_json() and "Adapterplatte" in rep.format_report()
