"""Orient: skew estimation and quarter-turn detection on rendered pages."""

import pytest
from PIL import Image

from docpipe.options import OrientOptions
from docpipe.orient import Orienter, detect_quarter_turn, estimate_skew, rotate_clockwise


@pytest.mark.parametrize("skew", [0.0, 1.2, -2.5, 3.0])
def test_estimate_skew_recovers_angle(text_page, skew):
    tilted = text_page.rotate(skew, fillcolor=255)  # PIL turns counter-clockwise
    assert estimate_skew(tilted, 5.0) == pytest.approx(skew, abs=0.25)


def test_blank_page_has_no_skew():
    assert estimate_skew(Image.new("L", (1000, 1400), 255), 5.0) == 0.0


def test_deskew_keeps_canvas(text_page):
    out, angle = Orienter(OrientOptions()).deskew(text_page.rotate(2.0, fillcolor=255))
    assert out.size == text_page.size and angle == pytest.approx(2.0, abs=0.25)


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_osd_finds_quarter_turns(text_page, turn):
    sideways = rotate_clockwise(text_page, -turn % 360)
    assert detect_quarter_turn(sideways) == turn
    assert rotate_clockwise(sideways, turn).size == text_page.size
