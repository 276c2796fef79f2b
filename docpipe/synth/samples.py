"""The fixed sample set committed under ``sample_docs/`` (fixed seeds: the same files every time)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import degrade as dg
from .content import make_invoice
from .drawing import render_drawing
from .invoice import render_invoice
from .other import render_other
from .receipt import render_receipt
from .writer import SynthPage, render_document, write_document


def _invoice(seed: int, language: str, n_items: int, layout: str, want_pages: int, cond=lambda c: True):
    """First seed from ``seed`` whose invoice has ``want_pages`` pages and satisfies ``cond``."""
    for s in range(seed, seed + 200):
        rng = np.random.default_rng(s)
        c = make_invoice(rng, language, n_items)
        if not cond(c):
            continue
        canvases, truth = render_invoice(c, rng, layout)
        if len(canvases) == want_pages:
            return canvases, truth, rng
    raise RuntimeError(f"no {want_pages}-page {language} invoice found from seed {seed}")


def _pages(canvases, truth, doc_type, rng, params=None) -> list[SynthPage]:
    out = []
    for i, cv in enumerate(canvases):
        im = dg.apply(cv.im, params(rng), rng) if params else cv.im
        out.append(SynthPage(im, 300, list(cv.regions), list(cv.words), truth, doc_type, i + 1))
    return out


def _scan(strength: float):
    def draw(rng):
        p = dg.draw_params(rng, strength, color=False)
        p.skew = float(np.clip(p.skew, -2.0, 2.0)) or 0.8
        p.jpeg = None  # the file format compresses
        p.noise = min(p.noise, 3.0)  # keep the committed files small
        return p
    return draw


def write_plan_samples(out_dir: Path) -> list[Path]:
    """The two floor plans: metric (German labels, mm chains, a clean CAD export) and imperial (feet and inches,
    square feet, scanned)."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng(1111)
    pages = render_document("plan", rng, degrade=False, lang="de", notation="mm", sheet="A3", title_block=True,
                            imperial=False)
    paths = [write_document(out_dir, "plan_metric.png", pages)]
    rng = np.random.default_rng(1212)
    pages = render_document("plan", rng, degrade=False, imperial=True, sheet="A3", title_block=True)
    paths.append(write_document(out_dir, "plan_imperial.tif",
                                [SynthPage(dg.apply(p.image, _scan(0.6)(rng), rng), 300, p.regions, p.words, p.truth,
                                           "drawing", 1) for p in pages]))
    return paths


def write_samples(out_dir: Path) -> list[Path]:
    """Write the eleven sample documents (nine, then the two plans) and their expected JSON into ``out_dir``."""
    out_dir = Path(out_dir)
    paths = []
    cv, t, rng = _invoice(101, "en", 6, "classic", 1)
    paths.append(write_document(out_dir, "invoice_en_scan.pdf", _pages(cv, t, "invoice", rng, _scan(0.8))))
    cv, t, rng = _invoice(202, "de", 5, "metabox", 1, lambda c: c.currency == "EUR" and len(c.taxes) == 2)
    paths.append(write_document(out_dir, "invoice_de_scan.pdf", _pages(cv, t, "invoice", rng, _scan(0.9))))
    cv, t, rng = _invoice(303, "fr", 26, "centered", 2)
    paths.append(write_document(out_dir, "invoice_fr_multipage.pdf", _pages(cv, t, "invoice", rng, _scan(0.6))))
    cv, t, rng = _invoice(404, "nl", 7, "twocol", 1)
    paths.append(write_document(out_dir, "invoice_nl_digital.pdf", _pages(cv, t, "invoice", rng), digital=cv))
    rng = np.random.default_rng(505)
    rc, rt = render_receipt(rng, "en")
    paths.append(write_document(out_dir, "receipt_1.jpg", _pages([rc], rt, "receipt", rng, _scan(0.7))))
    rng = np.random.default_rng(606)
    dc, dt_ = render_drawing(rng, family="flange", sheet="A4")
    light = lambda r: dg.DegradeParams(paper=250, blur=0.5, skew=0.4, noise=0.0, jpeg=None)  # noqa: E731
    paths.append(write_document(out_dir, "drawing_flange.png", _pages([dc], dt_, "drawing", rng, light)))
    rng = np.random.default_rng(707)
    dc, dt_ = render_drawing(rng, family="bracket", sheet="A3", aligned=True)
    paths.append(write_document(out_dir, "drawing_bracket.tif", _pages([dc], dt_, "drawing", rng, _scan(0.8))))
    rng = np.random.default_rng(808)
    oc = render_other(rng)
    paths.append(write_document(out_dir, "letter_other.png", _pages([oc], None, "other", rng, light)))
    cv, t, rng = _invoice(909, "en", 24, "band", 2)
    paths.append(write_document(out_dir, "invoice_en_pages.tif", _pages(cv, t, "invoice", rng, _scan(0.7))))
    return paths + write_plan_samples(out_dir)
