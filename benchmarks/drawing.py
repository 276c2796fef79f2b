"""Drawing pages: CPU seconds per page, split into the reader's passes, and the eDOCr2 dimension figures.

    python benchmarks/drawing.py [--workers 2] [--repeat 1] [--no-realdocs] [--per-call] [--json out.json]

Pages: the drawings in ``sample_docs/`` and, when ``../shared/realdocs`` (or ``$DOCPIPE_REALDOCS``) is there,
the 7 eDOCr2 sheets. Each page runs the pipeline's stages as ``Pipeline.read_page`` + ``finish`` do (rules
backend: the LLM never touches dimensions), in a worker process of its own (one page at a time per worker, one
torch thread). The machine is shared, so the figures are **CPU seconds**, not wall time: this process's
(``RUSAGE_SELF``, every thread) plus its Tesseract processes' (``RUSAGE_CHILDREN``) and its Tesseract helper's
(``docpipe.ocr.helper_cpu_seconds``; ``--per-call`` runs a tesseract process per reading instead), around the page:

- ``cpu``: the whole page, rasterizing to the drawing's JSON;
- per pass, from ``PageText.passes`` (:class:`docpipe.read.PageReader`: the calling thread's CPU with the
  Tesseract processes it ran, counted from ``wait4``): ``deskew``, ``text_height``, ``drawing_guess``,
  ``ocr_sparse`` (psm 11), ``ocr_page`` (the document pass, psm 4: drawings whose ink does not look like a
  drawing's), ``osd``, ``ocr_vertical`` (the page turned 90 degrees), ``dimension_ocr`` (the detector's dimension
  regions); and ``rasterize``, ``detect``, ``structure`` (classify, drawing rules, validation) measured here.

On the eDOCr2 sheets the dimensions are scored as ``docpipe eval edocr2`` does (one-to-one at IoU >= 0.2,
``other_info`` ignored): recall, precision, CER, and whether every sheet was classified ``drawing``. The load
average is printed. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSES = ("rasterize", "deskew", "text_height", "drawing_guess", "ocr_sparse", "ocr_page", "osd", "ocr_vertical",
          "detect", "dimension_ocr", "structure")
_pipe = None


def cpu_seconds() -> float:
    """CPU seconds of this process (every thread), of its finished child processes (Tesseract) and of its
    Tesseract helper (docpipe.tesseract_server, alive)."""
    from docpipe.ocr import helper_cpu_seconds

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime + helper_cpu_seconds()


def _init(keep_loaded: bool = True) -> None:
    global _pipe
    # No OMP_THREAD_LIMIT here: docpipe.ocr gives it to Tesseract's processes only.
    from docpipe.options import OcrOptions, PipelineOptions, StructureOptions
    from docpipe.pipeline import Pipeline

    _pipe = Pipeline(PipelineOptions(structure=StructureOptions(backend="rules"),
                                     ocr=OcrOptions(keep_loaded=keep_loaded)))
    _pipe.detector  # load now, not on the first page's clock


def _page(path: str) -> dict:
    """CPU seconds (whole page and per pass), wall seconds, dimensions of page 1 of ``path``."""
    from docpipe.ingest import load_page, probe
    from docpipe.pipeline import PageOutcome

    assert _pipe is not None
    p = Path(path)
    cpu: dict[str, float] = {}
    w0, c0 = time.perf_counter(), cpu_seconds()
    src = probe(p, p.parent, _pipe.options.ingest)
    raster = load_page(src, 1, _pipe.options.ingest)
    cpu["rasterize"] = cpu_seconds() - c0
    text = _pipe.reader(raster)
    page = text.page
    c1 = cpu_seconds()
    detected = _pipe.detector.detect(text.image, proposals=text.drawing)
    page = page.model_copy(update={"regions": _pipe.detector.regions(detected)})
    cpu["detect"] = cpu_seconds() - c1
    if detected and text.drawing:
        page = _pipe.reader.read_dimension_regions(text, page, detected)
    c2 = cpu_seconds()
    result = _pipe.finish(src, [PageOutcome(number=1, page=page)])
    cpu["structure"] = cpu_seconds() - c2
    cpu["cpu"] = cpu_seconds() - c0
    wall = time.perf_counter() - w0
    cpu.update(getattr(text, "passes", {}))  # (older readers had no per-pass figures)
    dims = [(d.text, tuple(d.bbox)) for d in result.drawing.dimensions if d.page == 1] if result.drawing else []
    return {"page": p.name, "path": str(p), "size": f"{text.image.width}x{text.image.height}",
            "doc_type": result.doc_type, "dimensions": dims, "cpu": cpu, "wall": wall,
            "discipline": result.drawing.discipline if result.drawing else None}


def pages(realdocs: bool) -> tuple[list[Path], dict]:
    """The drawing pages, and the eDOCr2 ground truth by image path (empty without the realdocs)."""
    out = sorted(p for p in (ROOT / "sample_docs").iterdir() if p.name.startswith("drawing_"))
    truth = {}
    if realdocs:
        from docpipe.eval.realdocs import load_edocr2, realdocs_root

        root = realdocs_root(None)
        if root is not None and (root / "drawings" / "edocr2_gt").is_dir():
            for d in load_edocr2(root):
                out.append(d.image)
                truth[str(d.image)] = d
    return out, truth


def _row(name: str, cpu: dict, cols: tuple[str, ...], extra: str = "") -> str:
    return f"{name[:22]:22s} {extra:>14s} " + " ".join(f"{cpu.get(k, 0.0):8.2f}" for k in cols)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-realdocs", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--per-call", action="store_true", help="a tesseract process per reading, as before the helper")
    args = ap.parse_args(argv)

    paths, truth = pages(not args.no_realdocs)
    jobs = [str(p) for p in paths] * args.repeat
    load_before = os.getloadavg()
    with ProcessPoolExecutor(max_workers=args.workers, initializer=_init,
                             initargs=(not args.per_call,)) as pool:
        list(pool.map(time.sleep, [0.0] * args.workers))  # workers up and models loaded before the clock
        t0 = time.perf_counter()
        rows = list(pool.map(_page, jobs))
        wall = time.perf_counter() - t0
    load_after = os.getloadavg()
    cols = (*PASSES, "cpu")
    print("CPU seconds per page (process + Tesseract), by pass; 'cpu' is the whole page")
    print(f"{'page':22s} {'type dims':>14s} " + " ".join(f"{k[:8]:>8s}" for k in cols))
    for r in rows:
        print(_row(r["page"], r["cpu"], cols, f"{r['doc_type'][:8]} {len(r['dimensions']):4d}"))
    groups = {"mean sample_docs": [r for r in rows if r["path"] not in truth],
              "mean eDOCr2": [r for r in rows if r["path"] in truth]}
    means = {}
    for name, sel in groups.items():
        if sel:
            means[name] = {k: statistics.fmean(r["cpu"].get(k, 0.0) for r in sel) for k in cols}
            print(_row(name, means[name], cols, f"{len(sel)} pages"))
    print(f"{len(rows)} pages, {args.workers} worker(s): wall {wall:.1f} s, {wall / len(rows):.2f} s per page; "
          f"max page CPU {max(r['cpu']['cpu'] for r in rows):.2f} s; load average before "
          f"{' '.join(f'{x:.2f}' for x in load_before)}, after {' '.join(f'{x:.2f}' for x in load_after)}")
    out = {"rows": rows, "mean_cpu": means, "wall_seconds": wall, "workers": args.workers,
           "load_before": load_before, "load_after": load_after}
    if truth:
        from docpipe.eval.drawing_eval import score_drawing

        scored = [r for r in rows if r["path"] in truth][:len(truth)]
        scores = []
        for r in scored:
            d = truth[r["path"]]
            scores.append(score_drawing(d.doc_id, [(b.text, b.box) for b in d.dimensions],
                                        [b.box for b in d.boxes if b.ignore], r["dimensions"]))
        gt, pred, hit = (sum(getattr(s, k) for s in scores) for k in ("n_gt", "n_pred", "matched"))
        cers = [p["cer"] for s in scores for p in s.pairs if p.get("pred") is not None]  # per matched pair
        as_drawing = sum(r["doc_type"] == "drawing" for r in scored)
        mechanical = sum(r.get("discipline") == "mechanical" for r in scored)
        print(f"eDOCr2: {as_drawing} of {len(scored)} sheets classified drawing, {mechanical} mechanical; "
              f"dimensions {hit} of {gt} found "
              f"(recall {hit / gt:.3f}), {pred} predicted (precision {hit / max(1, pred):.3f}), "
              f"CER {statistics.fmean(cers) if cers else 0:.3f}")
        out["edocr2"] = {"sheets": len(scored), "classified_drawing": as_drawing, "mechanical": mechanical, "gt": gt, "predicted": pred,
                         "matched": hit, "recall": hit / gt, "precision": hit / max(1, pred)}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str))
    return out


if __name__ == "__main__":
    main()
