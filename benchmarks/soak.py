"""Memory soak: run the pipeline over ~N generated pages and print peak RSS per worker process and its trend.

    .venv/bin/python benchmarks/soak.py [--pages 1000] [--workers 2] [--distinct 40]

A mixed set of ``--distinct`` synthetic documents (invoices, receipts, drawings, letters) is generated once
and copied under new names until the folder holds about ``--pages`` pages. Worker RSS is sampled every
second (psutil); the trend compares the mean worker RSS over the first and the last fifth of the run.
Workers are replaced only when one holds more than ``PipelineOptions.recycle_memory_mib`` after a job. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._workers import WorkerMemory  # noqa: E402
from docpipe.options import PipelineOptions  # noqa: E402
from docpipe.pipeline import run_batch  # noqa: E402


def build_folder(folder: Path, pages: int, distinct: int) -> int:
    from docpipe.synth import generate

    seed_dir = folder.parent / "seed"
    n = distinct
    generate(seed_dir, invoices=n * 4 // 10, receipts=n * 2 // 10, drawings=n * 3 // 10,
             others=n - n * 4 // 10 - n * 2 // 10 - n * 3 // 10, seed=23)
    docs = [(p, json.loads((seed_dir / "expected" / f"{p.name}.json").read_text())["source"]["pages"])
            for p in sorted(seed_dir.iterdir()) if p.is_file()]
    folder.mkdir(parents=True)
    total, copy = 0, 0
    while total < pages:
        for path, n_pages in docs:
            if total >= pages:
                break
            shutil.copy(path, folder / f"c{copy:04d}_{path.name}")
            total += n_pages
        copy += 1
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--distinct", type=int, default=40)
    ap.add_argument("--every", type=int, default=100, help="print a progress line every N pages")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="docpipe-soak-"))
    n_pages = build_folder(tmp / "in", args.pages, args.distinct)
    mib = 1024 * 1024
    t0 = time.perf_counter()
    done = {"pages": 0, "next": args.every}
    print(f"soak: {n_pages} pages, {args.workers} workers, load average {os.getloadavg()[0]:.1f}", flush=True)

    def progress(result, rel, seconds) -> None:
        done["pages"] += len(result.pages) if result is not None and result.pages else 1
        if done["pages"] >= done["next"]:
            done["next"] += args.every
            now = mem.samples[-1] if mem.samples else {}
            el = time.perf_counter() - t0
            print(f"  {done['pages']:5d} pages {el:6.0f} s {done['pages'] / el * 60:5.1f} pages/min; worker RSS now "
                  + (", ".join(f"{v / mib:.0f}" for v in now.values()) or "-") + f" MiB; load {os.getloadavg()[0]:.1f}",
                  flush=True)

    with WorkerMemory() as mem:
        summary = run_batch(tmp / "in", tmp / "out", PipelineOptions(workers=args.workers), on_document=progress)
    wall = time.perf_counter() - t0
    peak = mem.peak_per_worker()
    samples = mem.samples
    tool_peak = mem.tool_peak
    k = max(1, len(samples) // 5)

    def mean_worker(chunk):
        vals = [v for rss in chunk for v in rss.values()]
        return sum(vals) / len(vals) / mib if vals else 0.0

    print(f"{summary.total} documents, {summary.pages} pages ({n_pages} planned) in {wall:.0f} s: "
          f"{summary.pages / wall * 60:.1f} pages/min with {args.workers} workers; "
          f"{summary.ok} ok, {summary.partial} partial, {summary.failed} failed")
    print(f"worker processes seen: {len(peak)} (replaced above {PipelineOptions().recycle_memory_mib} MiB after a job)")
    print(f"peak RSS per worker: max {max(peak.values()) / mib:.0f} MiB, median "
          f"{sorted(peak.values())[len(peak) // 2] / mib:.0f} MiB")
    print(f"mean worker RSS: first fifth {mean_worker(samples[:k]):.0f} MiB, last fifth "
          f"{mean_worker(samples[-k:]):.0f} MiB")
    tenth = max(1, len(samples) // 10)
    print("mean / max worker RSS per tenth of the run (MiB): " + "; ".join(
        f"{mean_worker(samples[i:i + tenth]):.0f}/{max([v for r in samples[i:i + tenth] for v in r.values()] or [0]) / mib:.0f}"
        for i in range(0, tenth * 10, tenth)))
    print("peak RSS of external tools: " + ", ".join(f"{n} {v / mib:.0f} MiB" for n, v in sorted(tool_peak.items())))
    print(f"parent RSS at the end: {psutil.Process().memory_info().rss / mib:.0f} MiB")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
