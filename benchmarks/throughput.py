"""Throughput: pages per minute of the whole pipeline and of OCR alone on the same folder, seconds per stage,
peak RSS of the worker processes. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/throughput.py [FOLDER] [--workers N] [--synth N]

FOLDER defaults to sample_docs/. ``--synth N`` first generates a mixed folder of N synthetic documents
(invoices, receipts, drawings, letters) with ``docpipe.synth.generate`` and measures that instead.
The OCR-only pass rasterizes each page and runs Tesseract once (psm 4) in the same number of worker
processes: it is the bound the pipeline cannot beat on these cores.
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
from docpipe.options import IngestOptions, OcrOptions, PipelineOptions  # noqa: E402
from docpipe.pipeline import run_batch  # noqa: E402


def _ocr_only(job: tuple[str, str, int]) -> int:
    path, root, number = job
    os.environ["OMP_THREAD_LIMIT"] = "1"
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", type=Path, default=ROOT / "sample_docs")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--synth", type=int, default=0, help="generate a mixed folder of N documents first")
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
    out = tmp / "out"
    with WorkerMemory() as mem:
        summary = run_batch(folder, out, PipelineOptions(workers=args.workers))
    stages: dict[str, float] = {}
    types: dict[str, int] = {}
    for p in out.glob("*.json"):
        doc = json.loads(p.read_text())
        types[doc["doc_type"]] = types.get(doc["doc_type"], 0) + 1
        for k, v in doc["timings_s"].items():
            stages[k] = stages.get(k, 0.0) + v
    ppm = summary.pages / summary.seconds * 60
    peak = mem.peak_per_worker()
    mib = 1024 * 1024
    print(f"folder: {folder} ({summary.total} documents, {summary.pages} pages; {types})")
    print(f"workers: {args.workers}, cores: {os.cpu_count()}")
    print(f"pipeline: {summary.seconds:.1f} s wall, {ppm:.1f} pages/min "
          f"({summary.ok} ok, {summary.partial} partial, {summary.failed} failed)")
    print("seconds per page by stage (summed over workers): " + ", ".join(
        f"{k} {v / max(1, summary.pages):.2f}" for k, v in sorted(stages.items(), key=lambda kv: -kv[1])))
    print(f"peak RSS per worker process: max {max(peak.values(), default=0) / mib:.0f} MiB over {len(peak)} workers; "
          "tools: " + ", ".join(f"{k} {v / mib:.0f} MiB" for k, v in sorted(mem.tool_peak.items())))
    if not args.skip_ocr_bound:
        pages, secs = ocr_bound(folder, args.workers)
        bound = pages / secs * 60
        print(f"OCR only (rasterize + one Tesseract pass): {secs:.1f} s, {bound:.1f} pages/min; "
              f"pipeline / OCR-only = {ppm / bound:.2f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
