"""Synthetic documents: sizes, ground-truth boxes, arithmetic, IBANs, expected JSON, determinism."""

from __future__ import annotations

import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from docpipe.synth import SynthPage, generate, render_page, write_samples
from docpipe.synth.fake import iban_valid, make_iban
from docpipe.types import DocumentResult, Drawing, Invoice

SIZES = {"invoice": {(2480, 3508)}, "drawing": {(3508, 2480), (4961, 3508)}, "other": {(2480, 3508)}}


def _boxes(truth) -> list[tuple[int, int, int, int]]:
    """Every bbox inside a truth model."""
    out = []

    def walk(o):
        if isinstance(o, dict):
            if o.get("bbox"):
                out.append(tuple(o["bbox"]))
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(truth.model_dump())
    return out


@pytest.fixture(scope="module")
def pages() -> dict[str, list[SynthPage]]:
    rng = np.random.default_rng(7)
    return {k: [render_page(k, rng, degrade=i == 0) for i in range(3)] for k in ("invoice", "receipt", "drawing",
                                                                                   "other")}


def test_sizes_and_types(pages):
    for kind, ps in pages.items():
        for p in ps:
            assert p.dpi == 300 and p.doc_type == kind
            assert p.image.mode in ("L", "RGB")
            if kind == "receipt":
                assert p.image.width == 945 and p.image.height > 800
                assert isinstance(p.truth, Invoice)
            else:
                assert p.image.size in SIZES[kind]
            if kind == "invoice":
                assert isinstance(p.truth, Invoice)
            if kind == "drawing":
                assert isinstance(p.truth, Drawing) and p.truth.dimensions
            assert p.words and (p.regions or kind == "other")


def test_boxes_inside_page(pages):
    for ps in pages.values():
        for p in ps:
            w, h = p.image.size
            boxes = [r.bbox for r in p.regions] + [b for _, b in p.words]
            if p.truth is not None:
                boxes += [b for b in _boxes(p.truth)]
            for x0, y0, x1, y1 in boxes:
                assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, (p.doc_type, (x0, y0, x1, y1))


def test_invoice_amounts_add_up():
    rng = np.random.default_rng(11)
    for _ in range(6):
        for kind in ("invoice", "receipt"):
            inv = render_page(kind, rng, degrade=False).truth
            amounts = [Decimal("".join(ch for ch in li.amount.text if ch.isdigit())) for li in
                       inv.line_items]  # printed cents, independent of the locale's separators
            assert sum(amounts) == round(Decimal(str(inv.subtotal.value)) * 100)
            assert round(inv.subtotal.value + inv.total_tax.value, 2) == inv.total.value
            assert inv.currency.value in ("EUR", "USD", "GBP", "CHF")


def test_ibans_pass_mod97():
    rng = np.random.default_rng(3)
    for cc in ("DE", "FR", "NL", "GB", "CH"):
        for _ in range(20):
            assert iban_valid(make_iban(rng, cc))
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE88 3704 0044 0532 0130 00")
    inv = render_page("invoice", rng, degrade=False).truth
    if inv.vendor.iban:
        assert iban_valid(inv.vendor.iban.value)


def test_vertical_dimensions_and_drawing_truth():
    rng = np.random.default_rng(5)
    from docpipe.synth.writer import render_document

    p = render_document("drawing", rng, degrade=False, family="bracket", aligned=True)[0]
    angles = {d.angle for d in p.truth.dimensions}
    assert angles == {0.0, 90.0}
    labels = {r.label for r in p.regions}
    assert {"title_block", "dimension", "view"} <= labels
    assert sum(r.label == "dimension" for r in p.regions) == len(p.truth.dimensions)
    assert p.truth.title_block.drawing_number and p.truth.title_block.scale.value.count(":") == 1


def test_value_boxes_have_ink():
    rng = np.random.default_rng(9)
    for kind in ("invoice", "drawing", "receipt"):
        p = render_page(kind, rng, degrade=False)
        a = np.asarray(p.image.convert("L"))
        boxes = _boxes(p.truth)[:40]
        assert boxes
        for x0, y0, x1, y1 in boxes:
            crop = a[y0:y1, x0:x1]
            assert crop.size and int(crop.max()) - int(crop.min()) > 80, (kind, (x0, y0, x1, y1))


def test_determinism_png_bytes(tmp_path):
    def once(d):
        return [p.read_bytes() for p in generate(d, invoices=0, receipts=0, drawings=1, others=0, seed=3)]

    a, b = once(tmp_path / "a"), once(tmp_path / "b")
    assert a == b
    im1 = render_page("invoice", np.random.default_rng(1)).image
    im2 = render_page("invoice", np.random.default_rng(1)).image
    buf1, buf2 = io.BytesIO(), io.BytesIO()
    im1.save(buf1, "PNG")
    im2.save(buf2, "PNG")
    assert buf1.getvalue() == buf2.getvalue()


def test_write_samples_expected_json(tmp_path):
    paths = write_samples(tmp_path)
    assert len(paths) >= 9
    names = {p.name for p in paths}
    assert {"invoice_en_scan.pdf", "invoice_nl_digital.pdf", "drawing_bracket.tif", "receipt_1.jpg",
            "letter_other.png", "invoice_en_pages.tif"} <= names
    for p in paths:
        exp = tmp_path / "expected" / f"{p.name}.json"
        doc = DocumentResult.model_validate(json.loads(exp.read_text()))
        assert doc.source.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
        assert doc.source.path == p.name and doc.status == "ok"
        assert doc.source.pages == len(doc.pages)
        assert all(pg.dpi == 300 and not pg.lines for pg in doc.pages)
    fr = DocumentResult.model_validate_json((tmp_path / "expected" / "invoice_fr_multipage.pdf.json").read_text())
    assert fr.source.pages == 2 and fr.invoice.total.page == 2
    nl = DocumentResult.model_validate_json((tmp_path / "expected" / "invoice_nl_digital.pdf.json").read_text())
    assert nl.pages[0].text_source == "pdf_text"


def test_committed_samples_match_contract():
    root = Path(__file__).resolve().parents[1] / "sample_docs"
    if not (root / "expected").exists():
        pytest.skip("sample_docs not generated")
    for exp in (root / "expected").glob("*.json"):
        doc = DocumentResult.model_validate_json(exp.read_text())
        f = root / doc.source.path
        assert hashlib.sha256(f.read_bytes()).hexdigest() == doc.source.sha256
