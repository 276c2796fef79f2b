"""The parameters of the ``digitize-folder`` flow: one pydantic model, shown as a form in the Prefect UI."""

from __future__ import annotations

import argparse
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

import docpipe
from docpipe.options import OcrOptions, PipelineOptions

PROCESSED = "processed"


class DigitizeParams(BaseModel):
    """What to read, where to write, how to process, and where to deliver."""

    model_config = ConfigDict(extra="forbid")

    input: str = Field(description="folder of documents (PDF, PNG, JPEG, TIFF), read recursively")
    out: str = Field(description="output folder: one JSON per document and _manifest.jsonl")
    pipeline: PipelineOptions = Field(default_factory=lambda: PipelineOptions(workers=1),
                                      description="stage options (the 'workers' field is not used by the flow)")
    exclude: list[str] = Field(default_factory=list, description="globs on relative paths to leave out")
    move_processed: bool = Field(False, description="move each input with a record to processed_dir")
    processed_dir: str | None = Field(None, description="where processed inputs go; default <input>/processed")
    overlays: Literal["none", "review", "all"] = Field(
        "review", description="write page overlays (out/overlays/*.png) for documents needing review, or all")
    overlay_artifacts: int = Field(10, ge=0, description="at most this many overlay image artifacts per run")
    structure_slots: int = Field(1, ge=1, description="runs of the structuring stage at once (all workers); "
                                 "sets the 'docpipe-structure' concurrency limit if it does not exist yet")
    sink: str | None = Field(None, description="sqlite:///path.db or postgresql+psycopg://user:pw@host/db")
    webhook: str | None = Field(None, description="URL to POST each finished document to")

    def processed_path(self) -> Path:
        return Path(self.processed_dir) if self.processed_dir else Path(self.input) / PROCESSED

    def options_json(self) -> str:
        """The pipeline options that change results (``workers`` does not), as canonical JSON."""
        return self.pipeline.model_dump_json(exclude={"workers"})


@lru_cache(maxsize=1)
def code_version() -> str:
    """``docpipe.__version__`` plus a hash of the library's source files: a code change invalidates caches."""
    root = Path(docpipe.__file__).parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return f"{docpipe.__version__}+{h.hexdigest()[:16]}"


def cache_key(sha256: str | None, rel: str, options_json: str, overlays: str) -> str | None:
    """The Prefect cache key of one document: same file content, name, options and code -> same result.

    The relative path is part of the key because the output file name is derived from it. ``None`` (no
    caching) for a file that could not be hashed.
    """
    if not sha256:
        return None
    h = hashlib.sha256("\0".join((sha256, rel, options_json, overlays, code_version())).encode())
    return f"docpipe-{h.hexdigest()}"


# --- command line (flows.digitize, flows.deploy) ---------------------------------------------------------

def check_api_for_dask(a: argparse.Namespace) -> None:
    """Dask workers are other processes: without a Prefect server each would start a temporary one of its own."""
    from prefect.settings import get_current_settings

    if (a.dask_workers or a.dask_address) and not get_current_settings().api.url:
        raise SystemExit("--dask-workers/--dask-address need a Prefect server: start one (`make server`) and "
                         "export PREFECT_API_URL=http://127.0.0.1:4200/api")


def worker_code_version() -> str:
    """Run on a Dask scheduler or worker by :func:`check_dask_cluster`: importable there only when docpipe is
    installed with its ``flows`` package, the same condition as unpickling the flow's tasks."""
    return code_version()


def check_dask_cluster(address: str, timeout: float = 30.0) -> None:
    """Fail early, saying what to do, when the Dask scheduler or a worker at ``address`` cannot import the
    flow's tasks or runs other docpipe code than this process (its results would not match the cache keys).

    Without this check every task fails with Dask's "Error during deserialization of the task graph"."""
    from distributed import Client

    mine = code_version()
    fix = ("install docpipe there from the same checkout (`make setup`, or `.venv/bin/pip install -e .`), "
           "start `dask scheduler` and `dask worker` with that virtualenv's `dask`, and restart them after a "
           "code update")
    try:
        with Client(address, timeout=timeout, set_as_default=False) as client:
            seen = {"scheduler": client.run_on_scheduler(worker_code_version)}
            seen.update(client.run(worker_code_version))
    except OSError as e:
        raise SystemExit(f"cannot reach the Dask scheduler at {address}: {e}") from None
    except Exception as e:  # the scheduler or a worker could not unpickle flows.params: not installed there
        raise SystemExit(f"the Dask cluster at {address} cannot import docpipe's flows "
                         f"({type(e).__name__}: {e}): {fix}") from None
    other = {who: v for who, v in seen.items() if v != mine}
    if other:
        raise SystemExit(f"the Dask cluster at {address} runs other docpipe code than this process ({mine}): "
                         + ", ".join(f"{who}: {v}" for who, v in sorted(other.items())) + f"; {fix}")


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--input", required=True, help="folder of documents")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--sink", help="sqlite:///path.db or postgresql+psycopg://user:pw@host/db")
    ap.add_argument("--webhook", help="URL that receives each finished document (POST)")
    ap.add_argument("--overlays", choices=["none", "review", "all"], default="review")
    ap.add_argument("--move-processed", action="store_true", help="move finished inputs to --processed-dir")
    ap.add_argument("--processed-dir", help="default: <input>/processed")
    ap.add_argument("--exclude", action="append", default=[], help="glob on relative paths (repeatable)")
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--lang", default=OcrOptions().lang, help="Tesseract languages, e.g. eng+deu, or auto")
    ap.add_argument("--llm", action=argparse.BooleanOptionalAction, default=True,
                    help="structure with the embedded LLM choosing among grounded candidates; --no-llm: "
                    "deterministic rules only (like `docpipe run --no-llm`)")
    ap.add_argument("--llm-engine", choices=["llamacpp", "transformers"], default=None,
                    help="what runs the embedded LLM (default llamacpp; see `docpipe run --help`)")
    ap.add_argument("--detect", action=argparse.BooleanOptionalAction, default=True,
                    help="find page regions with the CNN detector; --no-detect: whole-page reading")
    ap.add_argument("--structure-slots", type=int, default=1)
    ap.add_argument("--workers", type=int, help="threads for document tasks (default: CPU count)")
    ap.add_argument("--dask-workers", type=int, default=0, help="a local Dask cluster with N processes")
    ap.add_argument("--dask-address", help="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786")


def params_from_args(a: argparse.Namespace) -> DigitizeParams:
    pipeline = PipelineOptions.model_validate({
        "workers": 1, "ingest": {"dpi": a.dpi}, "ocr": {"lang": a.lang}, "detect": {"enabled": a.detect},
        "structure": {"backend": "llm" if a.llm else "rules",
                      **({"llm_engine": a.llm_engine} if getattr(a, "llm_engine", None) else {})}})
    return DigitizeParams(input=str(Path(a.input).resolve()), out=str(Path(a.out).resolve()), pipeline=pipeline,
                          sink=a.sink, webhook=a.webhook, overlays=a.overlays, move_processed=a.move_processed,
                          processed_dir=a.processed_dir, exclude=a.exclude, structure_slots=a.structure_slots)
