"""Reading photographed pages whose paper is grey and unevenly lit (till receipts): the background is flattened
and the page read again when the first reading is poor."""

import numpy as np
from PIL import Image

from docpipe.options import OcrOptions, OrientOptions
from docpipe.read import PageReader, estimate_text_height, flatten_background

from .conftest import render_lines


def _photo(clean: Image.Image, paper: float = 120) -> Image.Image:
    """``clean`` under a lamp: bright in the middle, grey paper at the edges, some sensor noise."""
    g = np.asarray(clean.convert("L")).astype(np.float32) / 255
    yy, xx = np.mgrid[0:g.shape[0], 0:g.shape[1]]
    h, w = g.shape
    light = paper + (250 - paper) * np.exp(-(((xx - w / 2) / (w / 2.2)) ** 2 + ((yy - h / 2) / (h / 2.2)) ** 2))
    noisy = light * (0.25 + 0.75 * g) + np.random.default_rng(0).normal(0, 6, g.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def test_flattened_photo_is_read_again_and_clean_pages_are_not():
    clean = render_lines([(150, 150 + i * 70, "TOTAL 12.50 thank you come again") for i in range(10)],
                         size=(1100, 900), font_px=36)
    photo = _photo(clean)
    flat = flatten_background(photo)
    assert flat.size == photo.size
    assert estimate_text_height(photo) < 10 < estimate_text_height(flat)  # specks vs letters
    reader = PageReader(OrientOptions(osd="never"), OcrOptions())
    words, used = reader._read_flattened(photo, [])  # as if the first reading found nothing
    assert sum(w.text == "TOTAL" for w in words) >= 8
    # the image the words came from, which a second reading (another language) reads too
    assert np.array_equal(np.asarray(used), np.asarray(flat))
    assert all(0 <= w.bbox[0] < w.bbox[2] <= photo.width for w in words)  # boxes in the photo's pixels


def test_a_page_that_reads_well_is_read_once(monkeypatch):
    from docpipe.ingest import RasterPage

    clean = render_lines([(150, 150 + i * 70, "TOTAL 12.50 thank you come again") for i in range(10)],
                         size=(1100, 900), font_px=36)
    reader = PageReader(OrientOptions(osd="never"), OcrOptions())

    def fail(*a, **k):
        raise AssertionError("a page that reads well is not read again")

    monkeypatch.setattr(reader, "_read_flattened", fail)
    assert len(reader(RasterPage(number=1, image=clean, dpi=300)).words) >= 60


def test_large_letters_are_read_downscaled_with_boxes_in_the_page_pixels(monkeypatch):
    # A 600-dpi scan or a close-up photo: letters of ~45 px are read at ~30 px (less CPU for the same words),
    # and the words' boxes come back in the page's own pixels.
    page = render_lines([(150, 150 + i * 150, "TOTAL 12.50 thank you") for i in range(6)], size=(1800, 1100),
                        font_px=64)
    height = estimate_text_height(page)
    assert height > 34
    reader = PageReader(OrientOptions(osd="never"), OcrOptions())
    sizes = []
    real = reader.ocr.read_words

    def spy(image, **kw):
        sizes.append(image.size)
        return real(image, **kw)

    monkeypatch.setattr(reader.ocr, "read_words", spy)
    words = reader.read_words(page, height=height)
    assert sizes and sizes[0][0] < page.width * 0.8  # read downscaled
    totals = [w for w in words if w.text == "TOTAL"]
    assert len(totals) == 6
    # boxes in page pixels: the first TOTAL starts near x=150, y=150 and is about as tall as the letters
    first = min(totals, key=lambda w: w.bbox[1])
    assert abs(first.bbox[0] - 150) < 15 and abs(first.bbox[1] - 150) < 30
    assert first.bbox[3] - first.bbox[1] > 30
    sizes.clear()
    reader.read_words(render_lines([(150, 150, "TOTAL 12.50")], size=(900, 400), font_px=36), height=None)
    assert sizes == [(900, 400)]  # letters of a usual size: read as they are
