"""The digitize-folder flow on the same folder with 1 and 2 workers: first run, second run, cache-only run.

    .venv/bin/python benchmarks/flow_workers.py [--docs 8] [--runner threads|dask] [--folder DIR]
        [--mix INVOICES,RECEIPTS,DRAWINGS] [--no-llm] [--no-detect] [--lang eng]

For each worker count, into a fresh output folder: the first run processes every document; the second run over
the unchanged folder reprocesses nothing (the manifest skips them before any task is created); a third run
with the manifest deleted shows the Prefect cache (every task ``Cached``). Workers are threads of the flow
process (``ThreadPoolTaskRunner``; Tesseract runs in subprocesses, so threads do scale) or, with
``--runner dask``, processes of a local Dask cluster (``DaskTaskRunner``; cluster start-up is included).
Uses ``PREFECT_API_URL`` when set, else a temporary local server (started before timing). Prints figures;
asserts nothing.

Figures of 1 December 2026 (40 documents, 1 against 2 Dask workers, on 2 cores shared with other jobs) are in
docs/orchestration.md, section 4, with the command:

    PREFECT_API_URL=… .venv/bin/python benchmarks/flow_workers.py --runner dask --docs 40 --mix 20,20,0 \
        --no-llm --no-detect --lang eng
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for `flows`
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from docpipe.options import PipelineOptions  # noqa: E402
from docpipe.output import MANIFEST  # noqa: E402
from flows.digitize import digitize_folder, task_runner  # noqa: E402
from flows.params import DigitizeParams  # noqa: E402


def make_folder(root: Path, docs: int, mix: tuple[int, int, int] | None = None) -> Path:
    folder = root / "inbox"
    try:
        from docpipe.synth import generate

        if mix:
            n_inv, n_rcp, n_drw = mix
        else:
            n_inv = max(1, docs // 2)
            n_drw = max(1, docs // 4)
            n_rcp = max(0, docs - n_inv - n_drw)
        generate(folder, invoices=n_inv, receipts=n_rcp, drawings=n_drw, others=0, seed=7)
    except ImportError:  # synth not available: plain rendered invoices
        from PIL import Image, ImageDraw

        folder.mkdir(parents=True)
        for i in range(docs):
            img = Image.new("L", (2480, 3508), 255)
            d = ImageDraw.Draw(img)
            for j, line in enumerate(["INVOICE", f"Invoice No: A-{i}", "Total EUR 10.00"]):
                d.text((200, 200 + 120 * j), line, fill=0, font_size=60)
            img.save(folder / f"doc_{i:03d}.png", dpi=(300, 300))
    return folder


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (Dask worker processes once the cluster has
    closed, Tesseract processes), user + system."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(params: DigitizeParams, runner_kind: str, workers: int) -> tuple[float, dict, float]:
    """Wall seconds, the flow's totals, and the cores used on average (CPU seconds / wall seconds)."""
    runner = (task_runner(dask_workers=workers) if runner_kind == "dask" else task_runner(workers=workers))
    t0, c0 = time.perf_counter(), cpu_seconds()
    state = digitize_folder.with_options(task_runner=runner)(params, return_state=True)
    seconds = time.perf_counter() - t0
    cores = (cpu_seconds() - c0) / seconds
    return seconds, (state.result() if state.is_completed() else {"state": state.name}), cores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=8)
    ap.add_argument("--runner", choices=["threads", "dask"], default="threads")
    ap.add_argument("--folder", type=Path, help="an existing folder of documents (default: generate one)")
    ap.add_argument("--mix", help="INVOICES,RECEIPTS,DRAWINGS of a generated folder (default: half invoices, "
                    "a quarter drawings, the rest receipts)")
    ap.add_argument("--llm", action=argparse.BooleanOptionalAction, default=True,
                    help="--no-llm: the rules backend (StructureOptions(backend='rules'))")
    ap.add_argument("--detect", action=argparse.BooleanOptionalAction, default=True,
                    help="--no-detect: no region detector")
    ap.add_argument("--lang", help="Tesseract languages (default: the pipeline's, 'auto')")
    a = ap.parse_args()
    mix = tuple(int(n) for n in a.mix.split(",")) if a.mix else None
    pipeline = {"workers": 1, "structure": {"backend": "llm" if a.llm else "rules"},
                "detect": {"enabled": a.detect}} | ({"ocr": {"lang": a.lang}} if a.lang else {})
    if a.runner == "dask" and not os.environ.get("PREFECT_API_URL"):
        sys.exit("--runner dask needs a Prefect server (Dask workers are other processes): `make server` and "
                 "export PREFECT_API_URL=http://127.0.0.1:4200/api")
    tmp = Path(tempfile.mkdtemp(prefix="docpipe-flowbench-"))
    folder = a.folder or make_folder(tmp, sum(mix) if mix else a.docs, mix)
    files = [p for p in folder.rglob("*") if p.is_file() and "expected" not in p.parts and p.name[0] != "."]
    print(f"folder {folder}: {len(files)} documents; runner: {a.runner}; CPUs: {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}; options {pipeline}")
    empty = tmp / "empty"
    empty.mkdir()
    run(DigitizeParams(input=str(empty), out=str(tmp / "warmup")), "threads", 1)  # start the API first

    print(f"{'workers':>7}  {'first run':>10}  {'s/doc':>6}  {'cores':>5}  {'second run':>10}  {'cache only':>10}  "
          "first-run result")
    firsts = {}
    for workers in (1, 2):
        out = tmp / f"out-{workers}"
        params = DigitizeParams(input=str(folder), out=str(out), pipeline=PipelineOptions.model_validate(pipeline),
                                exclude=["expected/"], overlays="none")
        first, totals, cores = run(params, a.runner, workers)
        second, totals2, _ = run(params, a.runner, workers)
        (out / MANIFEST).unlink()
        cached, totals3, _ = run(params, a.runner, workers)
        n = max(1, totals.get("processed", 0))
        firsts[workers] = first
        print(f"{workers:>7}  {first:>9.1f}s  {first / n:>6.2f}  {cores:>5.2f}  {second:>9.1f}s  {cached:>9.1f}s  "
              f"processed={totals.get('processed')} failed={totals.get('failed')}; second: "
              f"processed={totals2.get('processed')} skipped={totals2.get('skipped')}; cache-only: "
              f"cached={totals3.get('cached')}", flush=True)
    print(f"first run, 2 workers against 1: {firsts[1] / firsts[2]:.2f}x faster (cores: CPU seconds of this "
          f"process and its children per wall second; under 2 with 2 workers when other work shares the CPUs; "
          f"load average now {os.getloadavg()[0]:.1f})")
    print(f"(outputs under {tmp})")


if __name__ == "__main__":
    main()
