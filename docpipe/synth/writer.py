"""Pages in memory (:func:`render_page`), and documents on disk with expected JSON (:func:`generate`,
:func:`write_samples`).

Expected JSON goes to ``<out>/expected/<name>.json`` with the contract's naming rule (relative path, ``/`` ->
``__``, extension kept). Bounding boxes are in the upright page at 300 dpi; scan skew is not reflected in them.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from . import degrade as dg
from .canvas import Canvas
from .content import make_invoice
from .drawing import render_drawing
from .invoice import render_invoice
from .other import render_other
from .pdf import write_pdf
from .plan import render_plan
from .receipt import render_receipt
from ..types import DocumentResult, Drawing, Invoice, Page, Region, Source

DPI = 300
FIXED_DATE = time.gmtime(1735689600)  # 2025-01-01T00:00:00Z
KINDS = ("invoice", "receipt", "drawing", "other")
MEDIA = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".tif": "image/tiff"}


@dataclass
class SynthPage:
    """One rendered page. ``regions``/``words``/``truth`` boxes are pixels of the upright page at ``dpi``.

    ``truth`` is the whole document's ground truth (its fields say on which ``page`` they are printed);
    ``page_number`` is this page's 1-based number in that document."""

    image: Image.Image
    dpi: int = DPI
    regions: list[Region] = field(default_factory=list)
    words: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    truth: Invoice | Drawing | None = None
    doc_type: str = "other"
    page_number: int = 1
    text_source: str = "ocr"


def render_document(kind: str, rng: np.random.Generator, *, degrade: bool = True, strength: float | None = None,
                    color: bool = True, **kw) -> list[SynthPage]:
    """All pages of one document of ``kind``. ``kw`` goes to the kind's renderer (language, layout, family ...)."""
    if kind == "invoice":
        c = make_invoice(rng, kw.pop("language", None), kw.pop("n_items", None))
        canvases, truth = render_invoice(c, rng, kw.pop("layout", None))
    elif kind == "receipt":
        cv, truth = render_receipt(rng, kw.pop("language", None))
        canvases = [cv]
    elif kind == "drawing":
        cv, truth = render_drawing(rng, **kw)
        canvases = [cv]
    elif kind == "other":
        canvases, truth = [render_other(rng)], None
    elif kind == "plan":  # a floor plan: doc_type "drawing", discipline "architectural"
        cv, truth = render_plan(rng, **kw)
        canvases = [cv]
    else:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)} or plan")
    out = []
    for i, cv in enumerate(canvases):
        im = cv.im
        if degrade:
            s = float(rng.uniform(0.3, 1.0)) if strength is None else strength
            im = dg.degrade(im, rng, s, color)
        out.append(SynthPage(im, DPI, list(cv.regions), list(cv.words), truth,
                             "drawing" if kind == "plan" else kind, i + 1))
    return out


def render_page(kind: str, rng: np.random.Generator, *, degrade: bool = True) -> SynthPage:
    """One page for detector training or OCR evaluation: a random page of a fresh document of ``kind``
    (``invoice``, ``receipt``, ``drawing``, ``other``); invoices with many items span several pages."""
    pages = render_document(kind, rng, degrade=False)
    page = pages[0] if len(pages) == 1 or rng.random() < 0.6 else pages[int(rng.integers(len(pages)))]
    if degrade:
        page.image = dg.degrade(page.image, rng, float(rng.uniform(0.3, 1.0)))
    return page


# -- files ----------------------------------------------------------------------------------------

def _save(pages: list[SynthPage], path: Path, canvases: list[Canvas] | None = None) -> None:
    ext = path.suffix.lower()
    ims = [p.image for p in pages]
    if ext == ".pdf" and canvases is not None:
        write_pdf(canvases, path)
    elif ext == ".pdf":
        ims = [im.convert("L") if im.mode not in ("L", "RGB") else im for im in ims]
        ims[0].save(path, "PDF", resolution=float(DPI), save_all=True, append_images=ims[1:], quality=60,
                     creationDate=FIXED_DATE, modDate=FIXED_DATE)  # fixed dates: same seed, same bytes
    elif ext == ".tif":
        ims = [im.convert("L") for im in ims]
        ims[0].save(path, "TIFF", dpi=(DPI, DPI), save_all=True, append_images=ims[1:], compression="jpeg",
                    quality=60)
    elif ext == ".jpg":
        ims[0].save(path, "JPEG", dpi=(DPI, DPI), quality=70)
    elif ext == ".png":
        ims[0].convert("L").save(path, "PNG", dpi=(DPI, DPI), optimize=True)
    else:
        raise ValueError(f"unsupported extension {ext}")


def expected_name(rel: str) -> str:
    return rel.replace("/", "__") + ".json"


def write_document(out_dir: Path, rel: str, pages: list[SynthPage], *, digital: list[Canvas] | None = None) -> Path:
    """Write the file ``out_dir/rel`` and ``out_dir/expected/<name>.json``; returns the document path."""
    out_dir = Path(out_dir)
    path = out_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(pages, path, digital)
    first = pages[0]
    doc_type = first.doc_type
    result = DocumentResult(
        source=Source(path=rel, sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                      media_type=MEDIA[path.suffix.lower()], pages=len(pages)),
        doc_type=doc_type, status="ok",
        invoice=first.truth if doc_type in ("invoice", "receipt") else None,
        drawing=first.truth if doc_type == "drawing" else None,
        pages=[Page(number=i + 1, width=p.image.width, height=p.image.height, dpi=DPI, rotation=0,
                    text_source="pdf_text" if digital is not None else "ocr", regions=p.regions)
               for i, p in enumerate(pages)],
    )
    result = DocumentResult.model_validate(result.model_dump())
    exp = out_dir / "expected" / expected_name(rel)
    exp.parent.mkdir(parents=True, exist_ok=True)
    tmp = exp.with_suffix(".tmp")
    tmp.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(exp)
    return path


def generate(out_dir: Path, *, invoices: int, receipts: int, drawings: int, others: int, plans: int = 0,
             seed: int = 0) -> list[Path]:
    """A folder of random documents with expected JSON. Same arguments, same files (adding plans does not change
    the other documents)."""
    out = []
    fmts = {"invoice": [".pdf", ".pdf", ".pdf", ".png", ".tif", ".jpg"], "receipt": [".jpg", ".png"],
            "drawing": [".png", ".tif", ".pdf"], "other": [".png", ".pdf"]}
    for k, (kind, n) in enumerate(zip(KINDS, (invoices, receipts, drawings, others))):
        for i in range(n):
            rng = np.random.default_rng([seed, k, i])
            ext = fmts[kind][int(rng.integers(len(fmts[kind])))]
            pages = render_document(kind, rng, degrade=True, color=ext in (".jpg",))
            out.append(write_document(Path(out_dir), f"{kind}_{i:04d}{ext}", pages))
    for i in range(plans):
        out.append(write_plan(Path(out_dir), f"plan_{i:04d}", np.random.default_rng([seed, len(KINDS), i])))
    return out


def write_plan(out_dir: Path, stem: str, rng: np.random.Generator, **kw) -> Path:
    """One floor plan: a clean CAD-export look (PNG, no degradation) or a scanned look (TIFF or PDF with the
    scan degradations), chosen by ``rng``; ``kw`` goes to :func:`~docpipe.synth.plan.render_plan`."""
    scanned = rng.random() < 0.6
    pages = render_document("plan", rng, degrade=False, **kw)
    if scanned:
        for pg in pages:
            pg.image = dg.degrade(pg.image, rng, float(rng.uniform(0.3, 0.8)), color=False)
    ext = _plan_ext(rng, scanned)
    return write_document(out_dir, f"{stem}{ext}", pages)


def _plan_ext(rng: np.random.Generator, scanned: bool) -> str:
    return (".tif", ".pdf", ".png")[int(rng.integers(3))] if scanned else ".png"
