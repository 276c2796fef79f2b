"""Ingest: find input files, identify them by content, count pages, rasterize one page at a time.

Types are detected from magic bytes, never from the file name. PDF pages are rasterized with pdf2image
(poppler's ``pdftoppm``) at ``IngestOptions.dpi``; images keep their own pixels, and their ``dpi`` comes from
the file's metadata when plausible (70-1200), else 300 is assumed. A born-digital PDF page's text layer is
read with pdfplumber and its word boxes converted from PDF points to page pixels (``x * dpi / 72``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import InputError, ModelLoadError
from .options import IngestOptions
from .types import Word

MEDIA_PDF = "application/pdf"
MEDIA_PNG = "image/png"
MEDIA_JPEG = "image/jpeg"
MEDIA_TIFF = "image/tiff"
MEDIA_UNKNOWN = "application/octet-stream"
SUPPORTED = "PDF, PNG, JPEG and TIFF"

# Files docpipe itself writes or that are never documents; everything else found is reported.
_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


def sniff(head: bytes) -> str:
    """The media type from a file's first bytes (at least 1 KiB for PDFs with leading junk)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MEDIA_PNG
    if head.startswith(b"\xff\xd8\xff"):
        return MEDIA_JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return MEDIA_TIFF
    # The PDF spec allows junk before the header; readers accept it within the first 1024 bytes.
    if b"%PDF-" in head[:1024]:
        return MEDIA_PDF
    return MEDIA_UNKNOWN


IGNORE_FILE = ".docpipeignore"


def find_inputs(root: Path, exclude: tuple[str, ...] = ()) -> tuple[list[Path], list[Path]]:
    """Every regular file under ``root`` (recursively, sorted), and the files excluded on purpose.

    Unsupported files are returned too, so that each gets a ``failed`` record rather than being skipped.
    Hidden files and folders are not inputs. Files matching an ``exclude`` glob or a line of
    ``root/.docpipeignore`` (globs on the '/'-separated relative path; a pattern ending in '/' excludes a
    folder) are returned as excluded, so the caller can report them. ``root`` may also be a single file.
    """
    if root.is_file():
        return [root], []
    if not root.is_dir():
        raise InputError(f"input folder {str(root)!r} does not exist; pass a folder of documents or a file")
    patterns = list(exclude)
    ignore = root / IGNORE_FILE
    if ignore.is_file():
        patterns += [ln.strip() for ln in ignore.read_text(encoding="utf-8").splitlines()
                     if ln.strip() and not ln.lstrip().startswith("#")]
    found, excluded = [], []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or p.name in _IGNORED_NAMES or not p.is_file():
            continue
        (excluded if _excluded(rel.as_posix(), patterns) else found).append(p)
    return found, excluded


def _excluded(rel: str, patterns: list[str]) -> bool:
    for pat in patterns:
        if pat.endswith("/"):
            if rel.startswith(pat) or fnmatch.fnmatch(rel.split("/", 1)[0] + "/", pat):
                return True
        elif fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel.rsplit("/", 1)[-1], pat):
            return True
    return False


def relative_name(path: Path, root: Path) -> str:
    """The input's path relative to the input folder, '/'-separated (the file's name if root is the file)."""
    if root.is_file():
        return path.name
    return path.relative_to(root).as_posix()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class SourceFile:
    """An input file, identified and checked, before any page is rasterized."""

    path: Path
    rel: str
    sha256: str | None
    media_type: str
    pages: int = 0


@dataclass
class RasterPage:
    """One page ready for the image stages. ``pdf_words`` is set when the page has a usable text layer."""

    number: int
    image: Image.Image  # mode "L", page pixels
    dpi: int
    pdf_words: list[Word] | None = None
    timings: dict[str, float] = field(default_factory=dict)


def probe(path: Path, root: Path, options: IngestOptions) -> SourceFile:
    """Identify ``path`` and count its pages. Raises :class:`InputError` with a message a user can act on."""
    rel = relative_name(path, root)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(2048)
    except OSError as e:
        raise InputError(f"cannot read the file: {e.strerror or e}; check its permissions") from e
    src = SourceFile(path=path, rel=rel, sha256=None, media_type=sniff(head))
    src.sha256 = sha256_file(path)
    if size == 0:
        raise InputError("the file is empty (0 bytes); re-export or re-scan it")
    if src.media_type == MEDIA_UNKNOWN:
        raise InputError(
            f"unsupported file type (content starts with {head[:8]!r}); docpipe reads {SUPPORTED}. "
            "If this is a document, convert it to PDF first"
        )
    if src.media_type == MEDIA_PDF:
        src.pages = _pdf_page_count(path)
    else:
        src.pages = _image_page_count(path, options)
    if src.pages == 0:
        raise InputError("the document has no pages")
    if src.pages > options.max_pages:
        raise InputError(
            f"the document has {src.pages} pages, more than the limit of {options.max_pages}; "
            "raise it with --max-pages if this is intended"
        )
    return src


def _pdf_page_count(path: Path) -> int:
    from pdf2image import pdfinfo_from_path
    from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError

    try:
        info = pdfinfo_from_path(str(path), timeout=60)
    except PDFInfoNotInstalledError as e:
        raise ModelLoadError("poppler's pdfinfo is not installed; run `make setup` (Debian: poppler-utils)") from e
    except PDFPageCountError as e:
        msg = str(e)
        if "Incorrect password" in msg or "encrypted" in msg.lower():
            raise InputError("the PDF is password-protected; remove the password and rerun") from e
        raise InputError(f"the PDF is corrupt or truncated (poppler: {_last_line(msg)}); re-export it") from e
    except Exception as e:  # pdfinfo timed out or printed something unparseable
        raise InputError(f"the PDF could not be opened (poppler: {_last_line(str(e))}); re-export it") from e
    return int(info.get("Pages", 0))


def _last_line(msg: str) -> str:
    lines = [ln.strip() for ln in msg.strip().splitlines() if ln.strip()]
    return lines[-1][:200] if lines else "no detail"


def _open_image(path: Path, options: IngestOptions) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = options.max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise InputError(
            f"the image is larger than the limit of {options.max_pixels:,} pixels (possible decompression "
            "bomb); raise --max-pixels if it is genuine"
        ) from e
    except Exception as e:
        raise InputError(f"the image is corrupt or truncated ({e}); re-export or re-scan it") from e
    w, h = img.size
    if w * h > options.max_pixels:
        raise InputError(f"the image is {w}x{h} pixels, more than the limit of {options.max_pixels:,}")
    return img


def _image_page_count(path: Path, options: IngestOptions) -> int:
    with _open_image(path, options) as img:
        return int(getattr(img, "n_frames", 1))


def _image_dpi(img: Image.Image) -> int:
    dpi = img.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    return value if 70 <= value <= 1200 else 300


def load_page(src: SourceFile, number: int, options: IngestOptions) -> RasterPage:
    """Rasterize page ``number`` (1-based) of ``src`` into a grayscale image."""
    if src.media_type == MEDIA_PDF:
        return _load_pdf_page(src.path, number, options)
    img = _open_image(src.path, options)
    try:
        img.seek(number - 1)
        dpi = _image_dpi(img)
        gray = to_gray(img)
    except Exception as e:
        raise InputError(f"the image is corrupt or truncated: page {number} cannot be decoded ({e}); "
                         "re-export or re-scan it") from e
    finally:
        img.close()
    return RasterPage(number=number, image=gray, dpi=dpi)


def to_gray(img: Image.Image) -> Image.Image:
    """A loaded greyscale (``L``) copy of any PIL image; transparent pixels become white paper."""
    if img.mode in ("RGBA", "LA", "P"):
        # Transparent pixels become white paper, not black.
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, rgba)
    if img.mode in ("I;16", "I;16B", "I", "F"):
        img = img.point(lambda v: v / 256).convert("L") if img.mode.startswith("I;16") else img.convert("L")
    out = img.convert("L")
    out.load()
    return out


def gray_pixels(image: Image.Image) -> np.ndarray:
    """The pixels of ``image`` in grey as a read-only array. Pillow hands numpy a copy of its buffer, so an ``L``
    image is copied once here, not twice as through ``image.convert("L")`` (each page-sized copy is 35 MB on a
    600-dpi A4 scan)."""
    return np.asarray(image if image.mode == "L" else image.convert("L"))


def _load_pdf_page(path: Path, number: int, options: IngestOptions) -> RasterPage:
    from pdf2image import convert_from_path

    size_pt, words = pdf_page_layer(path, number, options.dpi, read_words=not options.force_ocr)
    if size_pt and size_pt[0] * size_pt[1] * (options.dpi / 72) ** 2 > options.max_pixels:
        w, h = (round(v * options.dpi / 72) for v in size_pt)
        raise InputError(
            f"page {number} would be {w}x{h} pixels at {options.dpi} dpi, more than the limit of "
            f"{options.max_pixels:,}; lower --dpi or raise --max-pixels"
        )
    try:
        images = convert_from_path(
            str(path), dpi=options.dpi, first_page=number, last_page=number, grayscale=True, timeout=300
        )
    except Exception as e:
        raise InputError(f"page {number} of the PDF could not be rasterized (poppler: {_last_line(str(e))})") from e
    if not images:
        raise InputError(f"page {number} of the PDF could not be rasterized (poppler returned no image)")
    img = images[0].convert("L")
    return RasterPage(number=number, image=img, dpi=options.dpi, pdf_words=words)


def pdf_page_layer(
    path: Path, number: int, dpi: int, *, read_words: bool = True
) -> tuple[tuple[float, float] | None, list[Word] | None]:
    """A PDF page's size in points and its text-layer words in pixels at ``dpi``.

    The words are None when the page has no usable text layer (a scan, fewer than 5 words, undecodable
    glyphs, or a rotated page, which we leave to OCR and orientation detection). The size is None when
    pdfplumber cannot parse the file (poppler may still rasterize it).
    """
    import pdfplumber

    try:
        with pdfplumber.open(str(path)) as pdf:
            page = pdf.pages[number - 1]
            size = (float(page.width), float(page.height))
            if not read_words or (page.rotation or 0) % 360 != 0:
                return size, None
            raw = page.extract_words(keep_blank_chars=False, use_text_flow=False)
    except Exception:
        # The text layer is an optimisation: if pdfplumber cannot parse it, OCR reads the page instead.
        return None, None
    scale = dpi / 72.0
    words = []
    for w in raw:
        text = w["text"].strip()
        if not text or "(cid:" in text:
            continue
        x0, y0 = int(w["x0"] * scale), int(w["top"] * scale)
        box = (x0, y0, max(x0 + 1, round(w["x1"] * scale)), max(y0 + 1, round(w["bottom"] * scale)))
        words.append(Word(text=text, bbox=box, confidence=1.0))
    if len(words) < 5 or sum(len(w.text) for w in words) < 20:
        return size, None
    return size, words
