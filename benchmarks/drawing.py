"""Drawing pages: seconds per page, split into stages, with dimension OCR included.

    python benchmarks/drawing.py [--workers 2] [--repeat 1] [--no-realdocs] [--json out.json]

Pages: the drawings in ``sample_docs/`` and, when ``../shared/realdocs`` (or ``$DOCPIPE_REALDOCS``) is there,
the 7 eDOCr2 sheets. Each page runs the pipeline's own stages in a worker process (``OMP_THREAD_LIMIT=1``,
one torch thread), timed one by one:

- ``rasterize``: load the page image; ``orient``: deskew (and OSD when the first read is poor);
- ``ocr_page``: the first full-page OCR pass (psm 4), whose lines also decide that the page is a drawing;
- ``ocr_sparse``: the drawing pass (psm 11) and ``ocr_vertical``: the 90-degree pass for vertical dimensions;
- ``detect``: the region detector, with dimension proposals;
- ``dimension_ocr``: the dimension regions read in one batched Tesseract call (``read_dimension_regions``);
- ``structure``: classify, drawing rules (title block, dimensions, stacks), validation.

``total`` is their sum, run one after the other here; ``pipeline`` is the same page through
``Pipeline.read_page`` + ``finish`` as a batch runs it, where the sparse and the vertical pass run side by side
(two Tesseract processes), so it is lower than ``total`` when a core is free. With ``--workers 2`` two pages
run side by side, and ``s per page run`` (wall-clock over the page runs: each page runs twice, staged and as
the pipeline) is the throughput figure of a 2-core machine;
with ``--workers 1`` the figures are the latency of one page with both cores to itself. The load average
is printed: the machine is shared, and the figures move with what else runs. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STAGES = ("rasterize", "orient", "ocr_page", "ocr_sparse", "ocr_vertical", "detect", "dimension_ocr", "structure")
_pipe = None


def _init() -> None:
    global _pipe
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from docpipe.options import PipelineOptions, StructureOptions
    from docpipe.pipeline import Pipeline

    _pipe = Pipeline(PipelineOptions(structure=StructureOptions(backend="rules")))
    _pipe.detector  # load now, not on the first page's clock


def _page(path: str) -> dict:
    """Stage seconds of page 1 of ``path``, in the order the pipeline runs them."""
    from docpipe.ingest import load_page, probe
    from docpipe.ocr import group_lines
    from docpipe.read import PageText, drop_overlapped, estimate_text_height
    from docpipe.types import Page

    assert _pipe is not None
    reader, t = _pipe.reader, {}
    p = Path(path)
    c = time.perf_counter
    t0 = c()
    src = probe(p, p.parent, _pipe.options.ingest)
    raster = load_page(src, 1, _pipe.options.ingest)
    t["rasterize"] = c() - t0
    t0 = c()
    image, skew = reader.orienter.deskew(raster.image)
    t["orient"] = c() - t0
    t0 = c()
    lines = group_lines(reader.read_words(image))
    t["ocr_page"] = c() - t0
    drawing = reader.drawing_like(image, raster, lines)
    t0 = c()
    text_px = estimate_text_height(image) if drawing else None
    words = reader.read_words(image, psm=reader.ocr.options.drawing_psm, height=text_px) if drawing else []
    t["ocr_sparse"] = c() - t0
    t0 = c()
    if drawing:
        vertical = reader.read_vertical_dimensions(image)
        lines = drop_overlapped(group_lines(words), vertical) + vertical
    t["ocr_vertical"] = c() - t0
    page = Page(number=1, width=image.width, height=image.height, dpi=raster.dpi, rotation=skew, text_source="ocr",
                lines=lines)
    text = PageText(image=image, page=page, words=[w for ln in lines for w in ln.words], drawing=drawing,
                    text_px=text_px)
    t0 = c()
    detected = _pipe.detector.detect(image, proposals=drawing)
    page = page.model_copy(update={"regions": _pipe.detector.regions(detected)})
    t["detect"] = c() - t0
    t0 = c()
    page = reader.read_dimension_regions(text, page, detected)
    t["dimension_ocr"] = c() - t0
    t0 = c()
    from docpipe.pipeline import PageOutcome

    result = _pipe.finish(src, [PageOutcome(number=1, page=page)])
    t["structure"] = c() - t0
    t["total"] = sum(t[k] for k in STAGES)
    t0 = c()
    _pipe.finish(src, [_pipe.read_page(src, 1)])
    t["pipeline"] = c() - t0
    n_dims = len(result.drawing.dimensions) if result.drawing else 0
    return {"page": p.name, "size": f"{image.width}x{image.height}", "doc_type": result.doc_type,
            "dimensions": n_dims, "seconds": t}


def pages(realdocs: bool) -> list[Path]:
    out = sorted(p for p in (ROOT / "sample_docs").iterdir() if p.name.startswith("drawing_"))
    if realdocs:
        from docpipe.eval.realdocs import load_edocr2, realdocs_root

        root = realdocs_root(None)
        if root is not None and (root / "drawings" / "edocr2_gt").is_dir():
            out += [d.image for d in load_edocr2(root)]
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-realdocs", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    paths = [str(p) for p in pages(not args.no_realdocs)] * args.repeat
    load_before = os.getloadavg()
    with ProcessPoolExecutor(max_workers=args.workers, initializer=_init) as pool:
        list(pool.map(time.sleep, [0.0] * args.workers))  # workers up and models loaded before the clock
        t0 = time.perf_counter()
        rows = list(pool.map(_page, paths))
        wall = time.perf_counter() - t0
    load_after = os.getloadavg()
    print(f"{'page':22s} {'size':>10s} {'dims':>4s} " + " ".join(f"{k[:9]:>9s}" for k in (*STAGES, "total", "pipeline")))
    for r in rows:
        s = r["seconds"]
        print(f"{r['page'][:22]:22s} {r['size']:>10s} {r['dimensions']:4d} "
              + " ".join(f"{s[k]:9.2f}" for k in (*STAGES, "total", "pipeline")))
    means = {k: statistics.fmean(r["seconds"][k] for r in rows) for k in (*STAGES, "total", "pipeline")}
    print(f"{'mean':22s} {'':>10s} {'':>4s} " + " ".join(f"{means[k]:9.2f}" for k in (*STAGES, "total", "pipeline")))
    # every page runs twice (staged, then as the pipeline): a page's share of the wall-clock is half of it
    print(f"{len(rows)} pages, {args.workers} worker(s): wall {wall:.1f} s for two runs of each page, "
          f"{wall / (2 * len(rows)):.2f} s per page run; "
          f"max page latency {max(r['seconds']['total'] for r in rows):.2f} s; load average before "
          f"{' '.join(f'{x:.2f}' for x in load_before)}, after {' '.join(f'{x:.2f}' for x in load_after)}")
    out = {"rows": rows, "mean_seconds": means, "wall_seconds": wall, "workers": args.workers,
           "wall_per_page_run": wall / (2 * len(rows)), "load_before": load_before, "load_after": load_after}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
