"""Flow ``digitize-folder``: every new or changed document of a folder, one Prefect task per document.

The task wraps the library (``docpipe.pipeline.Pipeline``): probe, read each page, then classify/structure/
validate inside the ``docpipe-structure`` concurrency limit, write the JSON atomically, and return a small dict
(results persisted by Prefect are these dicts, in ``<out>/.prefect-results``; no images or pages). The flow,
in its own process, holds the output folder's lock, skips documents the manifest already has (same path and
sha256), appends manifest lines as tasks finish, delivers to sinks, and publishes artifacts.

Incremental ingestion has two layers: the manifest (``OutputFolder.finished``) skips unchanged files before a
task is created; the Prefect cache (key: sha256 + relative path + options + code version) reuses a finished
task's result when the output file exists but the manifest lacks it (a crash before the append, a deleted
manifest, a failed delivery). Only ``TransientError`` retries.

    python -m flows.digitize --input DIR --out DIR [--workers N | --dask-workers N | --dask-address tcp://…]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.concurrency.sync import concurrency
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from docpipe import errors as docpipe_errors
from docpipe.errors import TransientError
from docpipe.ingest import find_inputs, relative_name, sha256_file
from docpipe.options import PipelineOptions
from docpipe.output import MANIFEST, OutputFolder, output_name, write_atomic
from docpipe.overlay import render_overlays
from docpipe.pipeline import Pipeline, failed_result
from docpipe.types import DocumentResult, ManifestLine
from flows.artifacts import key_fields, publish, summary_markdown
from flows.params import (DigitizeParams, add_arguments, cache_key, check_api_for_dask, check_dask_cluster,
                          params_from_args)

STRUCTURE_LIMIT = "docpipe-structure"
RETRIES = 2
RESULTS_DIR = ".prefect-results"
OVERLAYS_DIR = "overlays"


def task_runner(*, workers: int | None = None, dask_address: str | None = None, dask_workers: int = 0) -> Any:
    """Threads in this process by default; a Dask cluster (remote address, or N local worker processes)."""
    if dask_address or dask_workers:
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": ":0"})
    return ThreadPoolTaskRunner(max_workers=workers or os.cpu_count() or 1)


def task_runner_from_env() -> Any:
    """For deployments (the flow-run process imports this module): DOCPIPE_DASK_ADDRESS, DOCPIPE_DASK_WORKERS,
    DOCPIPE_FLOW_WORKERS choose the task runner, the same choices as the command-line flags."""
    env = os.environ.get
    return task_runner(workers=int(env("DOCPIPE_FLOW_WORKERS") or 0) or None,
                       dask_address=env("DOCPIPE_DASK_ADDRESS") or None,
                       dask_workers=int(env("DOCPIPE_DASK_WORKERS") or 0))


# --- the task --------------------------------------------------------------------------------------------

_pipelines: dict[str, tuple[Pipeline, threading.Lock]] = {}  # per process, keyed by options JSON
_pipelines_lock = threading.Lock()


def _pipeline(options_json: str) -> tuple[Pipeline, threading.Lock]:
    """The process's Pipeline for these options, and a lock for its structuring stage (an embedded LLM must
    not be called from two threads at once). Built once per process and kept for every later task: a thread
    runner's process, a Dask worker, a work pool's flow-run process each import torch and load the detector
    once (here, under the lock, so that two threads cannot load it twice) and the LLM once (on first use,
    under the structuring lock). Nothing recycles these processes; Dask restarts a worker only past its own
    memory limit (``dask worker --memory-limit``)."""
    with _pipelines_lock:
        if options_json not in _pipelines:
            pipe = Pipeline(PipelineOptions.model_validate_json(options_json))
            if pipe.options.detect.enabled:
                try:
                    pipe.detector
                except Exception:  # noqa: S110 - reported per page by read_page, with its message
                    pass
            _pipelines[options_json] = (pipe, threading.Lock())
        return _pipelines[options_json]


def _transient_kinds() -> set[str]:
    kinds, todo = set(), [TransientError]
    while todo:
        cls = todo.pop()
        kinds.add(cls.__name__)
        todo += cls.__subclasses__()
    return kinds | {n for n, c in vars(docpipe_errors).items() if isinstance(c, type)
                    and issubclass(c, TransientError)}


def _retry_only_transient(task: Any, task_run: Any, state: Any) -> bool:
    return isinstance(state.data, TransientError)


def _cache_key(context: Any, p: dict[str, Any]) -> str | None:
    return cache_key(p["sha256"], p["rel"], p["options_json"], p["overlays"])


@task(name="process-document", task_run_name="{rel}", retries=RETRIES, retry_delay_seconds=[5, 30],
      retry_condition_fn=_retry_only_transient, cache_key_fn=_cache_key, persist_result=True,
      result_serializer="json")
def process_document(path: str, root: str, rel: str, sha256: str | None, out_dir: str, options_json: str,
                     overlays: str = "review") -> dict[str, Any]:
    """One document start to end; writes ``out_dir/<output_name(rel)>`` and returns a small summary dict."""
    from prefect.runtime import task_run

    # No OMP_THREAD_LIMIT here: docpipe.ocr gives it to Tesseract's processes only (set in this process, it
    # would also pin the OpenMP runtime of torch and llama.cpp to one thread).
    t0 = time.perf_counter()
    (pipe, structure_lock), src_path, root_path, out = _pipeline(options_json), Path(path), Path(root), Path(out_dir)
    try:
        src = pipe.probe(src_path, root_path)
    except Exception as e:  # unreadable, corrupt, unsupported: a failed record, not a failed task
        result = failed_result(src_path, root_path, e)
    else:
        outcomes = pipe.read_pages(src)
        # This process's lock first, then a slot of the global limit (not held while waiting for the lock).
        with structure_lock, concurrency(STRUCTURE_LIMIT, occupy=1, strict=False):
            result = pipe.finish(src, outcomes)
    transient = [e for e in result.errors if e.kind in _transient_kinds()]
    if transient and task_run.get_run_count() <= RETRIES:
        raise TransientError(f"{rel}: {transient[0].message}")  # Prefect retries; the last try keeps it
    name = output_name(result.source.path)
    write_atomic(out / name, result.model_dump_json(indent=2) + "\n")
    drawn: list[str] = []
    if result.pages and (overlays == "all" or (overlays == "review" and result.needs_review)):
        try:
            files = render_overlays(src_path, result, out / OVERLAYS_DIR, name.removesuffix(".json"),
                                    pipe.options.ingest)
            drawn = [f.relative_to(out).as_posix() for f in files]
        except Exception as e:  # an overlay is a convenience; the document itself is done
            get_run_logger().warning("no overlay for %s: %s", rel, e)
    return {"path": result.source.path, "sha256": result.source.sha256, "status": result.status,
            "doc_type": result.doc_type, "needs_review": result.needs_review,
            "review_reasons": result.review_reasons[:5], "key_fields": key_fields(result),
            "errors": [f"{e.kind}: {e.message}"[:300] for e in result.errors[:5]],
            "pages": len(result.pages), "seconds": round(time.perf_counter() - t0, 3), "output": name,
            "overlays": drawn}


# --- the flow --------------------------------------------------------------------------------------------

def ensure_structure_limit(slots: int) -> None:
    """Create the ``docpipe-structure`` global concurrency limit when missing (an existing one is kept)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            try:
                client.read_global_concurrency_limit_by_name(STRUCTURE_LIMIT)
            except ObjectNotFound:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=STRUCTURE_LIMIT, limit=slots))
    except Exception as e:  # without the limit, concurrency() is a no-op: slower to be safe is not needed
        get_run_logger().warning("could not create the %r concurrency limit: %s", STRUCTURE_LIMIT, e)


def _append_manifest(out: Path, info: dict[str, Any]) -> None:
    line = ManifestLine(path=info["path"], sha256=info["sha256"], status=info["status"],
                        doc_type=info["doc_type"], needs_review=info["needs_review"], output=info["output"],
                        seconds=info["seconds"])
    with open(out / MANIFEST, "a", encoding="utf-8") as f:
        f.write(line.model_dump_json() + "\n")
        f.flush()
        os.fsync(f.fileno())


def _move(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(src, dest)


@flow(name="digitize-folder", task_runner=task_runner_from_env(), persist_result=False)
def digitize_folder(params: DigitizeParams) -> dict[str, Any]:
    """Digitize the new or changed documents of ``params.input`` into ``params.out``."""
    logger = get_run_logger()
    t0 = time.perf_counter()
    inp, out = Path(params.input).resolve(), Path(params.out).resolve()
    processed = params.processed_path().resolve()
    exclude = list(params.exclude)
    if processed.is_relative_to(inp) and processed != inp:
        exclude.append(processed.relative_to(inp).as_posix() + "/")
    ensure_structure_limit(params.structure_slots)
    options_json = params.options_json()
    rows: list[dict[str, Any]] = []
    delivery_failures: list[str] = []
    task_failures: list[str] = []
    with OutputFolder(out) as folder, contextlib.ExitStack() as stack:
        done = folder.finished()
        files, excluded = find_inputs(inp, tuple(exclude))
        sinks = []
        for spec in filter(None, (params.sink, params.webhook)):
            from docpipe.sinks import open_sink

            sinks.append(stack.enter_context(open_sink(spec)))
        storage = out / RESULTS_DIR
        variants = {refresh: process_document.with_options(result_storage=storage, refresh_cache=refresh)
                    for refresh in (False, True)}
        futures, recorded, skipped = {}, [], 0
        for p in files:
            rel = relative_name(p, inp)
            try:
                sha = sha256_file(p)
            except OSError:
                sha = None
            if (rel, sha) in done:
                skipped += 1
                recorded.append((p, rel))
                continue
            refresh = not (out / output_name(rel)).exists()  # a cache hit must not stand for a missing file
            fut = variants[refresh].submit(str(p), str(inp), rel, sha, str(out), options_json, params.overlays)
            futures[fut] = (p, rel)
        logger.info("%d documents: %d to process, %d unchanged, %d excluded", len(files), len(futures), skipped,
                    len(excluded))
        for fut in as_completed(list(futures)):
            p, rel = futures[fut]
            try:
                info = fut.result()
            except Exception as e:  # not a bad document (those come back 'failed'): a crash or a bug
                task_failures.append(f"{rel}: {type(e).__name__}: {e}")
                rows.append({"path": rel, "status": "failed", "run": "task failed", "errors": [str(e)]})
                continue
            info["run"] = "cached" if fut.state.name == "Cached" else "processed"
            rows.append(info)
            try:
                if sinks:
                    result = DocumentResult.model_validate_json((out / info["output"]).read_text("utf-8"))
                    for sink in sinks:
                        sink.write(result, output_path=str(out / info["output"]))
            except Exception as e:  # not in the manifest, so the next run delivers it again (from cache)
                delivery_failures.append(f"{rel}: {type(e).__name__}: {e}")
                continue
            _append_manifest(out, info)
            recorded.append((p, rel))
        if params.move_processed:
            for p, rel in recorded:
                if p.exists():
                    _move(p, processed / rel)
    seconds = time.perf_counter() - t0
    params_line = f"`{inp}` → `{out}`" + (f", sink `{params.sink}`" if params.sink else "")
    summary = summary_markdown(rows, found=len(files), skipped=skipped, excluded=len(excluded),
                               seconds=seconds, delivery_failures=delivery_failures + task_failures,
                               params_line=params_line)
    publish(rows, summary, out, params.overlay_artifacts)
    totals = {"found": len(files), "processed": sum(r.get("run") == "processed" for r in rows),
              "cached": sum(r.get("run") == "cached" for r in rows), "skipped": skipped,
              "excluded": len(excluded), "failed": sum(r["status"] == "failed" for r in rows),
              "needs_review": sum(bool(r.get("needs_review")) for r in rows), "seconds": round(seconds, 2)}
    logger.info("done: %s", totals)
    if task_failures or delivery_failures:
        raise RuntimeError(f"{len(task_failures)} task failures, {len(delivery_failures)} delivery failures; "
                           "see the summary artifact (they are retried on the next run)")
    return totals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flows.digitize", description=__doc__.split("\n\n")[0])
    add_arguments(ap)
    a = ap.parse_args(argv)
    check_api_for_dask(a)
    if a.dask_address:
        check_dask_cluster(a.dask_address)
    runner = task_runner(workers=a.workers, dask_address=a.dask_address, dask_workers=a.dask_workers)
    state = digitize_folder.with_options(task_runner=runner)(params_from_args(a), return_state=True)
    if state.is_completed():
        print(state.result())
        return 0
    print(f"flow run {state.name}: {state.message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    # Run the module's flow and task objects under their importable name (flows.digitize, not __main__), so
    # that Dask workers unpickle them by reference.
    from flows.digitize import main as _main

    sys.exit(_main())
