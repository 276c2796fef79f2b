"""OCR repairs before parsing (docpipe.drawing.repairs), over generated dimension strings: Tesseract has no Ø
or ± in its LSTM character sets, and misreads digits beside them. Cases come from tests/gen_cases.py (seeded)."""

from __future__ import annotations

import random
import shutil

import pytest

from docpipe.drawing.repairs import read_dimension, repair_ocr_text
from docpipe.drawing.dimensions import parse_dimension

from .gen_cases import (
    PM_MISREADS,
    clean_dimension,
    misread,
    number,
    tolerance_value,
    word,
)

FIELDS = ("kind", "nominal", "upper_deviation", "lower_deviation", "fit", "count")
SEEDS = range(300)


def fields(p):
    return tuple(getattr(p, f) for f in FIELDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_misreadings_are_read_back_as_printed(seed):
    rng = random.Random(seed)
    clean = clean_dimension(rng)
    read, done = misread(rng, clean)
    while not done:  # a string without the sign or digit a confusion needs: draw again
        clean = clean_dimension(rng)
        read, done = misread(rng, clean)
    got, want = read_dimension(read), parse_dimension(clean)
    assert got is not None, (clean, read, done)
    assert (got.text, fields(got)) == (clean, fields(want)), (read, done)


@pytest.mark.parametrize("seed", range(100))
def test_clean_readings_unchanged(seed):
    clean = clean_dimension(random.Random(seed))
    got = read_dimension(clean)
    assert got is not None and got.text == clean and fields(got) == fields(parse_dimension(clean))


@pytest.mark.parametrize("seed", range(40))
def test_decimals_below_one_are_not_diameters(seed):
    rng = random.Random(seed)
    s = f"0{rng.choice('.,')}{rng.randint(1, 99)}"  # '0,8', '0.25': the leading zero is no misread Ø
    assert repair_ocr_text(s) == s
    p = read_dimension(s)
    assert p is not None and p.kind == "linear" and p.text == s


@pytest.mark.parametrize("seed", range(40))
def test_zero_and_one_in_radius_and_spaces_kept(seed):
    rng = random.Random(seed)
    sep = rng.choice(".,")
    count = f"{rng.randint(2, 8)}x "
    digits = f"{rng.randint(1, 9)}" if rng.random() < 0.5 else "1"
    clean = f"{count}R0{sep}{digits}"
    read = f"{count}R{rng.choice('Oo')}{sep}{rng.choice('ilI|') if digits == '1' else digits}"
    assert repair_ocr_text(read) == clean  # the space after the count is kept
    assert read_dimension(read).kind == "radius" and read_dimension(read).nominal == float(f"0.{digits}")


@pytest.mark.parametrize("seed", range(40))
def test_bracket_without_partner_dropped(seed):
    rng = random.Random(seed)
    size = number(rng, 2, 300)
    read = rng.choice((f"{size})", f"({size}"))  # a leader line through a reference size's other bracket
    p = read_dimension(read)
    assert p is not None and p.text == size and p.nominal == float(size.replace(",", "."))


@pytest.mark.parametrize("seed", range(60))
def test_spaced_plus_stays_one_sided(seed):
    """A '+t' set apart from the size: a stacked deviation whose '0' was not read, a one-sided tolerance or a ±
    the text cannot prove; read as printed (upper +t, lower not read), not as ±t."""
    rng = random.Random(seed)
    sep = rng.choice(".,")
    size, t = number(rng, 2, 300, sep), tolerance_value(rng, sep)
    prefix = rng.choice(("", "Ø", "2x Ø"))
    p = read_dimension(f"{prefix}{size} +{t}")
    assert p is not None and p.text == f"{prefix}{size} +{t}"
    assert p.upper_deviation == float(t.replace(",", ".")) and p.lower_deviation is None
    # with its stacked zero read, the same text is the full one-sided tolerance
    q = read_dimension(f"{prefix}{size} +{t} 0")
    assert (q.upper_deviation, q.lower_deviation) == (float(t.replace(",", ".")), 0.0)


@pytest.mark.parametrize("seed", range(60))
def test_plus_glued_to_the_size_is_a_plus_minus(seed):
    """A '+t' in the size's own OCR word was set in line with it: the ± written once (ISO 14405-1, ASME Y14.5)."""
    rng = random.Random(seed)
    sep = rng.choice(".,")
    size, t = number(rng, 2, 300, sep), tolerance_value(rng, sep)
    prefix = rng.choice(("", "Ø", "0", "@", "2xØ"))  # with a misread Ø as well
    p = read_dimension(f"{prefix}{size}+{t}")
    v = float(t.replace(",", "."))
    assert p is not None and (p.upper_deviation, p.lower_deviation) == (v, -v)
    assert p.text == f"{'Ø' if prefix in ('0', '@') else prefix}{size}±{t}"


@pytest.mark.parametrize("seed", range(30))
def test_one_sided_limits_and_minus_stay(seed):
    rng = random.Random(seed)
    sep = rng.choice(".,")
    size, t = number(rng, 2, 300, sep), tolerance_value(rng, sep)
    p = read_dimension(f"{size} MAX")
    assert (p.upper_deviation, p.lower_deviation) == (0.0, None)
    p = read_dimension(f"{size} -{t}")  # a ± is never read as a minus: a lone '-t' stays one-sided
    assert (p.upper_deviation, p.lower_deviation) == (None, -float(t.replace(",", ".")))


@pytest.mark.parametrize("seed", range(30))
def test_a_lone_four_is_not_a_plus_minus(seed):
    """'14.2 40.1' may be two sizes side by side: the 4 is repaired only after a '+' ('+40.1')."""
    rng = random.Random(seed)
    size, t = number(rng, 2, 300, "."), tolerance_value(rng, ".")
    p = read_dimension(f"{size} 4{t}")
    assert p is None or p.lower_deviation is None
    assert repair_ocr_text(f"{size} +4{t}") == f"{size} ±{t}"


@pytest.mark.parametrize("seed", range(40))
def test_not_dimensions(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 99)
    texts = [f"0 {rng.randint(10, 99)}",  # a lone zero apart from a number is no Ø
             f"{rng.choice(('DATE', 'SHEET', 'REV', 'PART', 'QTY'))} {n}", f"SCALE 1:{rng.randint(2, 10)}",
             f"{word(rng).upper()}", f"{word(rng).capitalize()} {n}", ""]
    for text in texts:
        assert read_dimension(text) is None, text


def test_pm_misreadings_are_the_documented_ones():
    assert set(PM_MISREADS) == {"£", "+£", "+4"}
    assert repair_ocr_text("14.2 £0.1") == "14.2 ±0.1" and repair_ocr_text("14.2+£0.1") == "14.2±0.1"


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_plus_minus_through_tesseract():
    """End to end on rendered text: Tesseract reads ± as '+' (or '£', '4'); the glued form comes back as ±, the
    spaced form as printed, as ±, or (a lone '4') not at all, and never with a wrong size or value."""
    from PIL import Image, ImageDraw, ImageFont

    from docpipe.ocr import OcrEngine
    from docpipe.options import OcrOptions

    from .conftest import FONT

    engine = OcrEngine(OcrOptions())

    rng = random.Random(2026)
    font = ImageFont.truetype(FONT, 40)
    checked = {"glued": 0, "spaced": 0}
    for k in range(10):
        sep = rng.choice(".,")
        size, t = f"{rng.randint(10, 180)}{sep}{rng.randint(10, 99)}", tolerance_value(rng, sep)
        gap = " " if k % 2 else ""
        img = Image.new("L", (700, 120), 255)
        ImageDraw.Draw(img).text((30, 30), f"{size}{gap}±{t}", font=font, fill=0)
        read = " ".join(w.text for w in engine.read_words(img, dpi=300, psm=7))  # words as a run joins them
        if size not in read or not read.endswith(t[1:]):
            continue  # misread the digits: not what this test is about
        p = read_dimension(read)
        v = float(t.replace(",", "."))
        if gap and p is None:
            assert read == f"{size} 4{t}", read  # the one misreading left alone (test_a_lone_four_...)
            continue
        assert p is not None and p.nominal == float(size.replace(",", ".")), read
        if gap:
            assert p.upper_deviation == v and p.lower_deviation in (None, -v), read
        else:
            assert (p.upper_deviation, p.lower_deviation) == (v, -v), read
        checked["spaced" if gap else "glued"] += 1
    assert min(checked.values()) >= 3, checked  # the test saw enough of both forms to mean something


def _words(size: str, dev: str, h: int, dev_h: int, rise: int, angle: float, x: int = 400, y: int = 300):
    """The size's and the deviation's OCR words with boxes: the deviation ``dev_h`` tall, its centre ``rise`` px
    above the size's centre (in the text's own frame; at 90 degrees the text reads bottom to top)."""
    from docpipe.types import Word

    w_size, w_dev = int(len(size) * 0.55 * h), int(len(dev) * 0.55 * dev_h)
    cy = y + h / 2 - rise
    along = [(x, x + w_size), (x + w_size + h // 3, x + w_size + h // 3 + w_dev)]
    across = [(y, y + h), (int(cy - dev_h / 2), int(cy + dev_h / 2))]
    boxes = []
    for (a0, a1), (c0, c1) in zip(along, across):
        # at 90 degrees the reading direction runs up the page (page y falls) and the letters' tops point left
        boxes.append((a0, c0, a1, c1) if round(angle) != 90 else (c0, 2000 - a1, c1, 2000 - a0))
    return [Word(text=size, bbox=boxes[0], confidence=0.9), Word(text=dev, bbox=boxes[1], confidence=0.9)]


@pytest.mark.parametrize("seed", range(60))
def test_spaced_plus_in_line_with_the_size_is_a_plus_minus(seed):
    """Boxes as evidence: a '+t' word as tall as the size and on its centre line is the ± form (ISO 14405-1,
    ASME Y14.5: one value, in line); a smaller or raised one is the upper half of a stack, read as printed."""
    rng = random.Random(seed)
    sep = rng.choice(".,")
    size, t = f"{rng.choice(('', 'Ø', '0', '@'))}{number(rng, 2, 300, sep)}", tolerance_value(rng, sep)
    dev, angle, h = f"+{t}", rng.choice((0.0, 90.0)), rng.randint(20, 60)
    v = float(t.replace(",", "."))
    text = f"{size} {dev}"
    in_line = _words(size, dev, h, int(h * rng.uniform(0.85, 1.1)), int(h * rng.uniform(-0.12, 0.12)), angle)
    p = read_dimension(text, in_line, angle)
    assert (p.upper_deviation, p.lower_deviation) == (v, -v) and p.text.endswith(f" ±{t}")
    small = _words(size, dev, h, int(h * rng.uniform(0.45, 0.7)), int(h * rng.uniform(0, 0.3)), angle)
    raised = _words(size, dev, h, int(h * rng.uniform(0.9, 1.0)), int(h * rng.uniform(0.35, 0.6)), angle)
    for stacked in (small, raised):
        p = read_dimension(text, stacked, angle)
        assert (p.upper_deviation, p.lower_deviation) == (v, None) and p.text.endswith(f" +{t}")
    # without boxes the text alone is no evidence, and a minus is never a ±
    assert read_dimension(text).lower_deviation is None
    assert read_dimension(f"{size} -{t}", _words(size, f"-{t}", h, h, 0, angle), angle).upper_deviation is None
