"""Dimension regions read one by one: cropped, turned level, batched into one Tesseract call."""

from __future__ import annotations

from PIL import Image

from docpipe.detect import DetectedRegion
from docpipe.options import OcrOptions, OrientOptions
from docpipe.read import PageReader, PageText
from docpipe.types import Page

from .conftest import render_lines


def _text(image: Image.Image, drawing: bool = True) -> PageText:
    page = Page(number=1, width=image.width, height=image.height, dpi=300, text_source="ocr", lines=[])
    return PageText(image=image, page=page, words=[], drawing=drawing)


def test_horizontal_and_vertical_regions_are_read():
    img = render_lines([(400, 400, "Ø25 H7")], size=(1600, 1200), font_px=40)
    side = Image.new("L", (300, 60), 255)
    from PIL import ImageDraw, ImageFont

    ImageDraw.Draw(side).text((10, 5), "120.5", font=ImageFont.truetype(
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 40), fill=0)
    img.paste(side.transpose(Image.Transpose.ROTATE_90), (1200, 500))  # reads bottom to top
    # boxes a little short of the text's ends, as the detector's are on real drawings
    regions = [DetectedRegion("dimension", (420, 400, 540, 450), 0.15),
               DetectedRegion("dimension", (1205, 560, 1255, 740), 0.12, angle=90),
               DetectedRegion("title_block", (0, 0, 100, 100), 0.9)]
    reader = PageReader(OrientOptions(), OcrOptions())
    text = _text(img)
    page = reader.read_dimension_regions(text, text.page, regions)
    got = {ln.text.replace(" ", ""): ln for ln in page.lines}
    assert "Ø25H7" in got or "025H7" in got or "@25H7" in got, got.keys()
    assert "120.5" in got, got.keys()
    assert got["120.5"].angle == 90.0
    x0, y0, x1, y1 = got["120.5"].bbox
    assert 1195 <= x0 and x1 <= 1270 and 500 <= y0 and y1 <= 820  # mapped back to page pixels


def test_not_a_drawing_or_switched_off_changes_nothing():
    img = render_lines([(400, 400, "25")], size=(1000, 800))
    regions = [DetectedRegion("dimension", (390, 390, 480, 460), 0.2)]
    text = _text(img, drawing=False)
    assert PageReader(OrientOptions(), OcrOptions()).read_dimension_regions(text, text.page, regions) is text.page
    text = _text(img)
    off = PageReader(OrientOptions(), OcrOptions(dimension_regions=False))
    assert off.read_dimension_regions(text, text.page, regions) is text.page


def test_slanted_text_is_read_along_its_line():
    from PIL import ImageDraw, ImageFont

    tile = Image.new("L", (420, 90), 255)
    d = ImageDraw.Draw(tile)
    d.text((40, 8), "R12.5", font=ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 44), fill=0)
    d.line((0, 70, 419, 70), fill=0, width=3)  # the leader line the text sits on
    turned = tile.rotate(35, expand=True, fillcolor=255)  # reads up and to the right at 35 degrees
    img = Image.new("L", (1400, 1000), 255)
    img.paste(turned, (500, 300))
    w, h = turned.size
    region = DetectedRegion("dimension", (500 + w // 4, 300 + h // 4, 500 + 3 * w // 4, 300 + 3 * h // 4), 0.1)
    text = _text(img)
    page = PageReader(OrientOptions(), OcrOptions()).read_dimension_regions(text, text.page, [region])
    got = [ln for ln in page.lines if "12.5" in ln.text]
    assert got, [ln.text for ln in page.lines]
    assert abs(got[0].angle - 35) <= 6
    x0, y0, x1, y1 = got[0].bbox
    assert 480 <= x0 and x1 <= 520 + w and 280 <= y0 and y1 <= 320 + h


def test_a_misread_tail_does_not_lose_the_size():
    from docpipe.read_regions import _leading_dimension
    from docpipe.types import Line, Word

    words = [Word(text=t, bbox=(x, 0, x + 40, 30), confidence=0.8) for t, x in (("70.5", 0), ("a", 60), ("7", 90))]
    line = Line(text="70.5 a 7", bbox=(0, 0, 130, 30), confidence=0.8, words=words)
    got = _leading_dimension(line)
    assert got.text == "70.5" and got.bbox == (0, 0, 40, 30)
    assert _leading_dimension(got) is got


def test_slant_from_the_letters_when_no_line_runs_along_them():
    from PIL import ImageDraw, ImageFont

    from docpipe.read_regions import _slant

    tile = Image.new("L", (360, 80), 255)
    ImageDraw.Draw(tile).text((20, 10), "45,0°", font=ImageFont.truetype(
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 48), fill=0)
    turned = tile.rotate(-60, expand=True, fillcolor=255)  # reads down and to the right, no line beside it
    rot = _slant(turned)
    assert rot is not None and abs(rot - 60) <= 8  # Image.rotate(60) sets it level again
    assert _slant(tile) is None  # level text is not slanted
