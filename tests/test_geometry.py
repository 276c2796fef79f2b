"""docpipe.geometry: boxes (x0, y0, x1, y1), pixels, origin top-left."""

import random

import pytest

from docpipe import geometry as g
from docpipe.eval import metrics


def test_union():
    assert g.union([(10, 20, 30, 40)]) == (10, 20, 30, 40)
    assert g.union(b for b in [(10, 20, 30, 40), (0, 25, 15, 50)]) == (0, 20, 30, 50)
    with pytest.raises(ValueError):
        g.union([])


def test_iou_overlaps_centre():
    assert g.iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert g.iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert g.iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0  # touching edges share no area
    assert g.iou((0, 0, 0, 10), (0, 0, 0, 10)) == 0.0  # degenerate
    assert g.overlaps((0, 0, 10, 10), (9, 9, 20, 20)) and not g.overlaps((0, 0, 10, 10), (10, 0, 20, 10))
    assert g.centre_in((8, 8, 12, 12), (0, 0, 10, 10)) and not g.centre_in((9, 9, 13, 13), (0, 0, 10, 10))


def test_inside_and_mostly_inside():
    assert g.inside((2, 2, 8, 8), (0, 0, 10, 10)) and g.inside((0, 0, 10, 10), (0, 0, 10, 10))
    assert not g.inside((-5, 2, 8, 8), (0, 0, 10, 10)) and g.inside((-5, 2, 8, 8), (0, 0, 10, 10), pad=5)
    assert g.mostly_inside((0, 0, 10, 10), (4, 0, 20, 10))  # 60% inside
    assert not g.mostly_inside((0, 0, 10, 10), (5, 0, 20, 10))  # exactly half is not more than half
    assert g.mostly_inside((0, 0, 10, 10), (5, 0, 20, 10), share=0.4)
    assert not g.mostly_inside((0, 0, 0, 10), (0, 0, 20, 20))  # no area


def test_same_answers_as_eval_metrics():
    """docpipe.eval.metrics still has its own iou/overlaps/centre_in: the two must agree, so that switching
    the evaluation code to docpipe.geometry changes no figure."""
    rng = random.Random(0)
    for _ in range(2000):
        a, b = ([rng.randint(0, 30) for _ in range(4)] for _ in range(2))
        a = (min(a[0], a[2]), min(a[1], a[3]), max(a[0], a[2]), max(a[1], a[3]))
        b = (min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3]))
        assert g.iou(a, b) == metrics.iou(a, b)
        assert g.overlaps(a, b) == metrics.overlaps(a, b)
        assert g.centre_in(a, b) == metrics.centre_in(a, b)
