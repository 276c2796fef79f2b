"""Throughput: pages per minute of the whole pipeline and of OCR alone on the same folder, seconds per stage,
peak RSS of the worker processes. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/throughput.py [FOLDER] [--workers N] [--synth N | --real-mix]

FOLDER defaults to sample_docs/. ``--synth N`` first generates a mixed folder of N synthetic documents
(invoices, receipts, drawings, letters) with ``docpipe.synth.generate`` and measures that instead.
``--real-mix`` measures the mixed real folder of issue 14, linked together from ``../shared/realdocs`` (or
``$DOCPIPE_REALDOCS``): the shared invoices rendered as 200-dpi image-only scans (``docpipe.eval.fields
.render_scan``, cached in ``docpipe-bench-cache/scans`` in the temporary folder), the first 20 SROIE receipts and
the 7 eDOCr2 sheets. The OCR-only pass rasterizes each page and runs Tesseract once (psm 4) in the same number
of worker processes: it is the bound the pipeline cannot beat on these cores.

Peak RSS is sampled per worker process (every 0.5 s; the model weights are mapped from their file, so the
resident part of them counts in every worker's RSS although the page cache holds one copy); the workers
started and the CPU seconds of the start (imports, detector, first model load) are printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._workers import WorkerMemory  # noqa: E402
from docpipe.ingest import find_inputs, load_page, probe  # noqa: E402
from docpipe.ocr import OcrEngine  # noqa: E402
from docpipe.options import IngestOptions, OcrOptions, PipelineOptions, StructureOptions  # noqa: E402
from docpipe.pipeline import run_batch  # noqa: E402


def _ocr_only(job: tuple[str, str, int]) -> int:
    path, root, number = job
    # No OMP_THREAD_LIMIT here: docpipe.ocr gives it to Tesseract's processes only, as in the pipeline.
    src = probe(Path(path), Path(root), IngestOptions())
    page = load_page(src, number, IngestOptions(force_ocr=True))
    OcrEngine(OcrOptions()).read_words(page.image, dpi=page.dpi)
    return 1


def ocr_bound(folder: Path, workers: int) -> tuple[int, float]:
    files, _ = find_inputs(folder)
    jobs = []
    for f in files:
        try:
            src = probe(f, folder, IngestOptions())
        except Exception:
            continue
        jobs += [(str(f), str(folder), n) for n in range(1, src.pages + 1)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        pages = sum(pool.map(_ocr_only, jobs))
    return pages, time.perf_counter() - t0


def real_mix(folder: Path) -> Path:
    """Link the mixed real folder (see the module docstring) into ``folder``; returns it."""
    from docpipe.eval.fields import DEFAULT_CACHE, invoice_docs, render_scan
    from docpipe.eval.realdocs import load_edocr2, load_sroie, realdocs_root

    root = realdocs_root(None)
    if root is None:
        raise SystemExit("--real-mix: ../shared/realdocs (or $DOCPIPE_REALDOCS) not found")
    scans = DEFAULT_CACHE / "scans"
    scans.mkdir(parents=True, exist_ok=True)
    links = {f"invoices/{pdf.stem}.tif": render_scan(pdf, scans) for _, pdf, _ in invoice_docs(root, "invoices", None)}
    links |= {f"receipts/{r.image.name}": r.image for r in load_sroie(root, limit=20)}
    links |= {f"drawings/{d.image.name}": d.image for d in load_edocr2(root)}
    for name, target in links.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).symlink_to(Path(target).resolve())
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", type=Path, default=ROOT / "sample_docs")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--synth", type=int, default=0, help="generate a mixed folder of N documents first")
    ap.add_argument("--real-mix", action="store_true", help="the mixed real folder: invoices as scans, 20 SROIE "
                    "receipts, the eDOCr2 sheets")
    ap.add_argument("--no-llm", action="store_true", help="rules-only structuring")
    ap.add_argument("--skip-ocr-bound", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="docpipe-bench-"))
    folder = args.folder
    if args.synth:
        from docpipe.synth import generate

        folder = tmp / "in"
        n = args.synth
        generate(folder, invoices=n * 4 // 10, receipts=n * 2 // 10, drawings=n * 3 // 10,
                 others=n - n * 4 // 10 - n * 2 // 10 - n * 3 // 10, seed=11)
    if args.real_mix:
        folder = real_mix(tmp / "in")
    out = tmp / "out"
    options = PipelineOptions(workers=args.workers,
                              structure=StructureOptions(backend="rules" if args.no_llm else "llm"))
    with WorkerMemory(period=0.5) as mem:
        summary = run_batch(folder, out, options)
    stages: dict[str, float] = {}
    types: dict[str, int] = {}
    by_type: dict[str, dict[str, float]] = {}  # per document type: pages and seconds per stage
    for p in out.glob("*.json"):
        doc = json.loads(p.read_text())
        types[doc["doc_type"]] = types.get(doc["doc_type"], 0) + 1
        kind = by_type.setdefault(doc["doc_type"], {"pages": 0})
        kind["pages"] += len(doc["pages"])
        for k, v in doc["timings_s"].items():
            stages[k] = stages.get(k, 0.0) + v
            kind[k] = kind.get(k, 0.0) + v
    ppm = summary.pages / summary.seconds * 60
    peak = mem.peak_per_worker()
    mib = 1024 * 1024
    print(f"folder: {folder} ({summary.total} documents, {summary.pages} pages; {types})")
    print(f"workers: {args.workers}, cores: {os.cpu_count()}")
    print(f"pipeline: {summary.seconds:.1f} s wall, {ppm:.1f} pages/min "
          f"({summary.ok} ok, {summary.partial} partial, {summary.failed} failed)")
    print("seconds per page by stage (summed over workers): " + ", ".join(
        f"{k} {v / max(1, summary.pages):.2f}" for k, v in sorted(stages.items(), key=lambda kv: -kv[1])))
    for kind, t in sorted(by_type.items()):
        n = max(1, int(t.pop("pages")))
        print(f"  {kind} ({n} pages), seconds per page: " + ", ".join(
            f"{k} {v / n:.2f}" for k, v in sorted(t.items(), key=lambda kv: -kv[1]) if v / n >= 0.005))
    print("peak RSS per worker process: " + ", ".join(f"{v / mib:.0f}" for v in sorted(peak.values(), reverse=True))
          + f" MiB (max {max(peak.values(), default=0) / mib:.0f} MiB = {max(peak.values(), default=0) / 2**30:.2f} GiB "
          f"over {len(peak)} worker processes); tools: "
          + ", ".join(f"{k} {v / mib:.0f} MiB" for k, v in sorted(mem.tool_peak.items())))
    print(f"worker starts: {summary.workers_started} processes for {summary.pages} pages "
          f"({summary.workers_recycled} recycled for memory); start CPU per worker (imports, detector, model): "
          + ", ".join(f"{s:.2f} s" for s in summary.worker_start_cpu))
    if not args.skip_ocr_bound:
        pages, secs = ocr_bound(folder, args.workers)
        bound = pages / secs * 60
        print(f"OCR only (rasterize + one Tesseract pass): {secs:.1f} s, {bound:.1f} pages/min; "
              f"pipeline / OCR-only = {ppm / bound:.2f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
