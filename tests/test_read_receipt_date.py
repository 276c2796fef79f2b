"""A receipt page whose reading holds no date is read once more in single-block mode (psm 6), and that
reading's date lines replace the words they cover (docpipe.read.PageReader; thin till print loses the date
line in the page mode). Tesseract is replaced by a fake that answers per mode, so the test checks the logic."""

import datetime as dt
import random

import pytest

from docpipe.ingest import RasterPage
from docpipe.language import ALL_LANGS
from docpipe.options import OcrOptions, OrientOptions
from docpipe.read import PageReader, _date_lines, _with_lines
from docpipe.ocr import group_lines
from docpipe.types import Word

from .conftest import render_lines

ROW = 40


def _row(y: int, text: str, conf: float = 0.95) -> list[Word]:
    return [Word(text=t, bbox=(20 + 90 * i, y, 100 + 90 * i, y + 30), confidence=conf)
            for i, t in enumerate(text.split())]


def _receipt(rng: random.Random, date_row: str) -> tuple[list[Word], int]:
    rows = ["KEDAI MAJU SDN BHD", f"No. {rng.randint(1, 99)}, Jalan Besar", "TAX INVOICE", date_row,
            f"ITEM {rng.randint(1, 9)} {rng.randint(1, 9)}.50", f"TOTAL {rng.randint(10, 99)}.50",
            f"CASH {rng.randint(100, 200)}.00", "CHANGE 1.00", "THANK YOU PLEASE COME AGAIN"]
    return [w for i, text in enumerate(rows) for w in _row(100 + ROW * i, text)], 100 + ROW * 3


def _reader(monkeypatch, first: list[Word], block: list[Word]):
    reader = PageReader(OrientOptions(osd="never"), OcrOptions(lang="auto"))
    calls = []
    reader.langs = []  # (psm, lang) of every reading

    def fake(image, **kw):
        calls.append(kw.get("psm"))
        reader.langs.append((kw.get("psm"), kw.get("lang")))
        return list(block if kw.get("psm") == 6 else first)

    monkeypatch.setattr(reader.ocr, "read_words", fake)
    return reader, calls


def _read(reader, size=(600, 1800)):  # a till roll's shape by default
    image = render_lines([(10, 10, "x")]).resize(size)
    return reader(RasterPage(number=1, image=image, dpi=300, pdf_words=None))


@pytest.mark.parametrize("seed", range(12))
def test_a_receipt_without_a_date_gets_the_date_line_of_a_block_reading(monkeypatch, seed):
    rng = random.Random(seed)
    day = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
    printed = day.strftime(rng.choice(("%d-%m-%Y", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y")))
    damaged = " ".join(rng.choice(("a", "0", "AS", "Js", "1%", "|")) for _ in range(3))
    first, y = _receipt(rng, f"Date {damaged} 16:01: 18")  # the page mode's damaged reading of the date line
    block = _row(y - 3, f"Date : {printed} 16:01:18") + _row(100 + ROW * 5, "TOTAL 99.90")
    reader, calls = _reader(monkeypatch, first, block)
    text = _read(reader)
    assert calls.count(6) == 1 and "ocr_date" in text.passes
    # the receipt is read again in every language, the date pass in the first reading's language only (the
    # engine's default: English under 'auto'), which found the same date lines at a third of the CPU
    assert (None, ALL_LANGS) in reader.langs and (6, None) in reader.langs
    lines = [ln.text for ln in text.page.lines]
    assert f"Date : {printed} 16:01:18" in lines and not any(ln.startswith(f"Date {damaged}") for ln in lines)
    # only the date lines are taken from the block reading: the rest is the page mode's reading
    assert "TOTAL 99.90" not in lines and sum(ln.startswith("TOTAL ") for ln in lines) == 1


def test_a_receipt_with_a_date_or_a_page_that_is_no_receipt_is_not_read_again(monkeypatch):
    rng = random.Random(1)
    first, _ = _receipt(rng, "Date : 05/03/2024 10:12")
    reader, calls = _reader(monkeypatch, first, _row(100, "Date : 06/03/2024"))
    _read(reader)
    assert 6 not in calls
    letter = [w for i, t in enumerate(["Dear Sir or Madam,", "we write to you about the meeting of our",
                                       "association next month in the town hall.", "Yours faithfully"])
              for w in _row(100 + ROW * i, t)]
    reader, calls = _reader(monkeypatch, letter, _row(100, "Date : 06/03/2024"))
    _read(reader, size=(2480, 3508))
    assert 6 not in calls


def test_date_lines_and_their_replacement():
    lines = group_lines(_row(100, "Datum 14. März 2025") + _row(200, "Invoice 2025-17") + _row(300, "Total 12.50"))
    assert [ln.text for ln in _date_lines(lines)] == ["Datum 14. März 2025"]
    old = _row(300, "T0tal 1Z.5O RM 1") + _row(400, "kept")  # the old line runs on further right
    new = group_lines(_row(302, "Total 12.50"))
    assert [w.text for w in _with_lines(old, new)] == ["kept", "Total", "12.50"]
    assert _with_lines(old, []) == old
