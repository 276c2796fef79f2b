"""Ingest: type sniffing, page counting, rasterization, PDF text layers, clear errors for bad files."""

import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from docpipe.errors import InputError
from docpipe.ingest import find_inputs, load_page, probe, sniff
from docpipe.options import IngestOptions

from .conftest import render_lines

OPTS = IngestOptions()


def _digital_pdf(path, pages=1, encrypt=None):
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    for p in range(pages):
        c.setFont("Helvetica", 12)
        c.drawString(72, 800, f"Invoice number INV-{p + 1:04d} dated 14.03.2025")
        c.drawString(72, 780, "Total amount due EUR 1,234.56")
        c.showPage()
    c.save()


@pytest.mark.parametrize("head,media", [
    (b"%PDF-1.7\n", "application/pdf"), (b"junk\n%PDF-1.4", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n....", "image/png"), (b"\xff\xd8\xff\xe0", "image/jpeg"),
    (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"), (b"PK\x03\x04", "application/octet-stream"),
])
def test_sniff_by_content(head, media):
    assert sniff(head) == media


def test_find_inputs_recursive_skips_hidden(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.png").write_bytes(b"x")
    (tmp_path / "y.txt").write_text("y")
    (tmp_path / ".hidden").write_text("h")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "z").write_text("z")
    found, excluded = find_inputs(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a/b/x.png", "y.txt"] and excluded == []


def test_exclusions_from_option_and_ignore_file(tmp_path):
    for rel in ("expected/a.json", "docs/README.md", "scan.pdf", "sub/keep.png", "sub/skip.tmp"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    (tmp_path / ".docpipeignore").write_text("# comment\nexpected/\nREADME.md\n")
    found, excluded = find_inputs(tmp_path, exclude=("*.tmp",))
    rel = lambda ps: [p.relative_to(tmp_path).as_posix() for p in ps]  # noqa: E731
    assert rel(found) == ["scan.pdf", "sub/keep.png"]
    assert rel(excluded) == ["docs/README.md", "expected/a.json", "sub/skip.tmp"]


def test_type_comes_from_content_not_name(tmp_path):
    png_named_pdf = tmp_path / "scan.pdf"
    render_lines([(10, 10, "hello")], size=(400, 200)).save(png_named_pdf, format="PNG")
    src = probe(png_named_pdf, tmp_path, OPTS)
    assert src.media_type == "image/png" and src.pages == 1


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"hello world, not a document", "unsupported file type"),
    (b"%PDF-1.4\n1 0 obj garbage", "corrupt or truncated"),
    (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "corrupt or truncated"),
])
def test_bad_files_raise_clear_input_errors(tmp_path, content, message):
    f = tmp_path / "bad.bin"
    f.write_bytes(content)
    with pytest.raises(InputError, match=message):
        probe(f, tmp_path, OPTS)


def test_password_protected_pdf_says_so(tmp_path):
    f = tmp_path / "locked.pdf"
    _digital_pdf(f, encrypt="secret")
    with pytest.raises(InputError, match="password"):
        src = probe(f, tmp_path, OPTS)
        load_page(src, 1, OPTS)


def test_max_pages(tmp_path):
    f = tmp_path / "three.pdf"
    _digital_pdf(f, pages=3)
    with pytest.raises(InputError, match="--max-pages"):
        probe(f, tmp_path, IngestOptions(max_pages=2))


def test_pixel_cap(tmp_path):
    f = tmp_path / "big.png"
    Image.new("L", (3000, 3000), 255).save(f)
    with pytest.raises(InputError, match="pixels"):
        probe(f, tmp_path, IngestOptions(max_pixels=1_000_000))


def test_multipage_tiff(tmp_path):
    f = tmp_path / "pages.tif"
    pages = [render_lines([(50, 50, f"page {i}")], size=(600, 800)) for i in range(3)]
    pages[0].save(f, save_all=True, append_images=pages[1:], dpi=(200, 200))
    src = probe(f, tmp_path, OPTS)
    assert src.pages == 3 and src.media_type == "image/tiff"
    page = load_page(src, 3, OPTS)
    assert page.image.size == (600, 800) and page.dpi == 200 and page.image.mode == "L"


def test_pdf_text_layer_words_in_pixels(tmp_path):
    f = tmp_path / "digital.pdf"
    _digital_pdf(f)
    src = probe(f, tmp_path, OPTS)
    page = load_page(src, 1, IngestOptions(dpi=150))
    w, h = page.image.size
    assert abs(w - 595.27 * 150 / 72) <= 1 and abs(h - 841.89 * 150 / 72) <= 1  # poppler rounds up
    words = {w.text: w for w in page.pdf_words}
    assert "INV-0001" in words and "1,234.56" in words
    x0, y0, x1, y1 = words["INV-0001"].bbox
    # drawn at x = 72 pt + width of the preceding words; y = top of a 12 pt line at 800 pt from the bottom
    assert x0 > 72 * 150 / 72 and abs(y1 - (841.89 - 800) * 150 / 72) < 8


def test_force_ocr_ignores_text_layer(tmp_path):
    f = tmp_path / "digital.pdf"
    _digital_pdf(f)
    src = probe(f, tmp_path, OPTS)
    assert load_page(src, 1, IngestOptions(dpi=100, force_ocr=True)).pdf_words is None
