"""Hostile and broken inputs: each gets a failed record with an actionable message, the rest of the batch
succeeds; no run opens a network connection."""

import io
import json
import socket

import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from docpipe.options import IngestOptions, PipelineOptions
from docpipe.pipeline import Pipeline, run_batch

from .conftest import render_lines


def _pdf(pages=1, encrypt=None) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt)
    for i in range(pages):
        c.drawString(72, 800, f"Invoice number INV-{i} total EUR 12.00 page {i}")
        c.showPage()
    c.save()
    return buf.getvalue()


def _image(fmt: str, size=(400, 300)) -> bytes:
    buf = io.BytesIO()
    render_lines([(20, 20, "Invoice 42")], size=size).save(buf, format=fmt)
    return buf.getvalue()


def _bomb_png() -> bytes:
    # A valid PNG header claiming 60000 x 60000 pixels: must be refused before decoding.
    buf = io.BytesIO()
    Image.new("1", (60000, 60000)).save(buf, format="PNG")
    return buf.getvalue()


HOSTILE = {
    "empty.pdf": (b"", "empty"),
    "text_named.pdf": (b"just some text, not a PDF at all", "unsupported file type"),
    "png_named.jpg": (None, None),  # a real PNG behind a .jpg name: read by content, succeeds
    "truncated.pdf": (lambda: _pdf()[:300], "corrupt or truncated"),
    "truncated.png": (lambda: _image("PNG")[:100], "corrupt or truncated"),
    "truncated.jpg": (lambda: _image("JPEG")[:200], "truncated"),
    "truncated.tif": (lambda: _image("TIFF")[:150], "corrupt or truncated"),
    "locked.pdf": (lambda: _pdf(encrypt="secret"), "password"),
    "bomb.png": (_bomb_png, "larger than the limit"),
    "many_pages.pdf": (lambda: _pdf(pages=30), "--max-pages"),
    "zip.pdf": (b"PK\x03\x04\x14\x00\x00\x00 this is a zip file", "unsupported file type"),
}
ODD_NAMES = ["name with spaces.png", "quote's \"double\".png", "$(touch pwned);.png", "rechnung_ü€.png"]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    src, out = root / "in", root / "out"
    src.mkdir()
    for name, (content, _) in HOSTILE.items():
        data = _image("PNG") if content is None else (content() if callable(content) else content)
        (src / name).write_bytes(data)
    for name in ODD_NAMES:
        (src / name).write_bytes(_image("PNG"))
    opts = PipelineOptions(workers=2, ingest=IngestOptions(max_pages=20, max_pixels=50_000_000))
    return src, out, run_batch(src, out, opts)


def test_every_hostile_file_gets_a_clear_failed_record(hostile_run):
    src, out, summary = hostile_run
    for name, (_, message) in HOSTILE.items():
        record = json.loads((out / f"{name}.json").read_text())
        if message is None:
            assert record["status"] == "ok", record["errors"]
            continue
        assert record["status"] == "failed", name
        assert message in record["errors"][0]["message"], (name, record["errors"])
        assert record["errors"][0]["kind"] == "InputError"


def test_odd_file_names_are_processed_safely(hostile_run):
    src, out, summary = hostile_run
    for name in ODD_NAMES:
        record = json.loads((out / f"{name}.json").read_text())
        assert record["status"] == "ok" and record["source"]["path"] == name
    assert not (src / "pwned").exists() and not (out / "pwned").exists()
    manifest = [json.loads(x) for x in (out / "_manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == len(HOSTILE) + len(ODD_NAMES) == summary.total
    assert summary.ok == len(ODD_NAMES) + 1


def test_a_default_run_opens_no_network_connection(tmp_path, monkeypatch):
    """The pipeline (as each worker runs it) with sockets refused: it must not try to connect anywhere."""
    attempts = []

    def refuse(self, address, *a, **k):
        attempts.append(address)
        raise OSError("network disabled by test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(None, address))
    page = tmp_path / "inv.png"
    render_lines([(100, 100, "INVOICE"), (100, 200, "Invoice No: A-1"), (100, 300, "Total EUR 5.00")],
                 size=(1240, 1754)).save(page)
    (tmp_path / "digital.pdf").write_bytes(_pdf())
    pipeline = Pipeline(PipelineOptions(workers=1))
    for f in ("inv.png", "digital.pdf"):
        assert pipeline.process(tmp_path / f, tmp_path).status == "ok"
    assert attempts == []
