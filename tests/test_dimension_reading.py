"""OCR repairs before parsing: Tesseract has no Ø or ± in its LSTM character sets."""

from __future__ import annotations

import pytest

from docpipe.dimension_reading import read_dimension, repair_ocr_text


@pytest.mark.parametrize("read,text,kind,nominal,up,lo", [
    ("038 H12", "Ø38 H12", "diameter", 38.0, 0.25, 0.0),
    ("O42", "Ø42", "diameter", 42.0, None, None),
    ("D 16,5", "Ø16,5", "diameter", 16.5, None, None),
    ("2x P—19,9", "2x Ø19,9", "diameter", 19.9, None, None),
    ("Di5", "Ø15", "diameter", 15.0, None, None),
    ("2x RO,15", "2x R0,15", "radius", 0.15, None, None),
    ("@38 H12", "Ø38 H12", "diameter", 38.0, 0.25, 0.0),
    ("70.50 +0.05", "70.50 ±0.05", "linear", 70.5, 0.05, -0.05),
    ("021,5+0,1", "Ø21,5 ±0,1", "diameter", 21.5, 0.1, -0.1),
])
def test_repairs(read, text, kind, nominal, up, lo):
    p = read_dimension(read)
    assert p is not None
    assert (p.text, p.kind, p.nominal, p.upper_deviation, p.lower_deviation) == (text, kind, nominal, up, lo)


@pytest.mark.parametrize("text", ["0,8", "0.5", "25", "R10", "M8", "1x45°", "35.36 -0.03", "25 MAX"])
def test_clean_readings_unchanged(text):
    p = read_dimension(text)
    assert p is not None and p.text == text


@pytest.mark.parametrize("text", ["0 25", "DATE 12", "Dia 5", "SCALE 1:2", "", "ABC"])
def test_not_dimensions(text):
    assert read_dimension(text) is None


def test_repair_keeps_decimals_and_spaces():
    assert repair_ocr_text("0,8") == "0,8"
    assert repair_ocr_text("2x RO,2") == "2x R0,2"
