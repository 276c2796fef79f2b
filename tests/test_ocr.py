"""OCR: words, confidences and line grouping on rendered text."""

import numpy as np
import pytest

from docpipe.ocr import OcrEngine, group_lines, read_quality
from docpipe.options import OcrOptions
from docpipe.types import Word

from .conftest import render_lines


def W(text, x0, y0, x1, y1, c=0.9):
    return Word(text=text, bbox=(x0, y0, x1, y1), confidence=c)


def test_reads_words_with_boxes():
    img = render_lines([
        (200, 200, "ACME Widgets GmbH"), (1600, 350, "Invoice No: INV-2025-0042"),
        (200, 1000, "Description"), (1200, 1000, "Qty"), (1500, 1000, "Unit price"), (2000, 1000, "Amount"),
        (200, 1080, "Steel bracket"), (1200, 1080, "2"), (1500, 1080, "10.00"), (2000, 1080, "20.00"),
        (1500, 1400, "Total EUR"), (2000, 1400, "1,234.56")])
    words = OcrEngine(OcrOptions()).read_words(img, dpi=300)
    texts = [w.text for w in words]
    assert "INV-2025-0042" in texts and "1,234.56" in texts and "Qty" in texts
    assert "2" in texts, "single-character cells (quantities) must not be dropped"
    total = next(w for w in words if w.text == "1,234.56")
    assert 1990 < total.bbox[0] < 2010 and 1395 < total.bbox[1] < 1420 and 0.5 < total.confidence <= 1


def test_any_image_mode_reaches_tesseract_and_no_temp_file_is_left(tmp_path, monkeypatch):
    """Images go to Tesseract as PNM files (PNG encoding cost ~0.3 s per page): every mode must convert
    (transparency onto white, 16-bit to 8-bit), and the file must be gone afterwards, also on errors."""
    import tempfile

    from PIL import Image

    from docpipe.errors import OcrError

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    base = render_lines([(100, 100, "Invoice 4711"), (100, 200, "Total 99.50")], size=(1200, 400))
    rgba = Image.new("RGBA", base.size, (0, 0, 0, 0))  # black ink on a transparent background
    rgba.putalpha(base.point(lambda v: 255 - v))
    modes = {"L": base, "1": base.convert("1"), "RGB": base.convert("RGB"), "RGBA": rgba,
             "P": base.convert("P"), "LA": base.convert("LA"),
             "I;16": Image.fromarray(np.asarray(base, dtype=np.uint16) * 257)}  # a full-range 16-bit scan
    engine = OcrEngine(OcrOptions())
    for mode, img in modes.items():
        texts = [w.text for w in engine.read_words(img, dpi=300)]
        assert "4711" in texts and "99.50" in texts, (mode, texts)
    with pytest.raises(OcrError):
        engine.read_words(base, dpi=300, config="--not-an-option")
    assert list(tmp_path.iterdir()) == []


def test_only_tesseract_gets_the_thread_limit(monkeypatch):
    """OMP_THREAD_LIMIT=1 goes to Tesseract's processes, not to this one (where it would also bind the OpenMP
    runtime of torch and llama.cpp); a limit the user set is kept."""
    import os

    import pytesseract

    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    OcrEngine(OcrOptions())
    assert "OMP_THREAD_LIMIT" not in os.environ
    env = pytesseract.pytesseract.environ
    assert env["OMP_THREAD_LIMIT"] == "1" and dict(env.items())["PATH"] == os.environ["PATH"]
    monkeypatch.setenv("OMP_THREAD_LIMIT", "3")
    assert dict(env.items())["OMP_THREAD_LIMIT"] == "3"


def test_group_lines_reading_order_and_column_gaps():
    words = [W("Total", 1500, 500, 1600, 530), W("Qty", 100, 100, 170, 130), W("Description", 180, 102, 400, 130),
             W("99.00", 1620, 502, 1720, 530), W("Item", 100, 500, 180, 530)]
    lines = group_lines(words)
    assert [ln.text for ln in lines] == ["Qty Description", "Item", "Total 99.00"]
    assert lines[0].bbox == (100, 100, 400, 130)


def test_read_quality_separates_text_from_fragments():
    good = [W("invoice", 0, 0, 10, 10, 0.95), W("total", 0, 0, 10, 10, 0.9)]
    bad = [W("~", 0, 0, 10, 10, 0.3), W("ii", 0, 0, 10, 10, 0.2), W("invoice", 0, 0, 10, 10, 0.8)]
    assert read_quality(good) == 1.0 and read_quality(bad) < 0.45 and read_quality([]) == 0.0
