"""The pipeline: ingest -> read (orient + OCR) -> classify -> structure -> validate -> write.

:class:`Pipeline` runs one document in-process (what a Prefect task calls). :func:`run_batch` runs a folder
with page-level parallelism: each page is a job in a pool of worker processes, each worker holding its own
``Pipeline`` (models and engines loaded once per worker); a document's later pages are queued once its first
page is read, with the language that page's words said (``PageOutcome.lang``), so that they are read in it at
once instead of in English first (other documents' pages keep the workers busy meanwhile); a document is
finished (classified, structured, validated) in a worker once its pages are read, and written by the parent,
which alone touches the output folder and its manifest.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import resource
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .calibrate import Calibrator, calibrate_invoice, review_reasons
from .classify import classify
from .errors import DocpipeError, ModelLoadError
from .ingest import SourceFile, find_inputs, load_page, probe, relative_name, sniff
from .options import PipelineOptions
from .output import OutputFolder, output_name
from .overlay import render_overlays
from .read import PageReader
from .structure import Structured, Structurer
from .structure.invoice import confirmed_vendor_name
from .structure.layout import PageView
from .types import DocumentResult, Drawing, ErrorRecord, Invoice, Page, Source
from .validate import check_drawing, check_invoice


@dataclass
class PageOutcome:
    """A read page (or the error that stopped it), small enough to send between processes."""

    number: int
    page: Page | None = None
    error: ErrorRecord | None = None
    timings: dict[str, float] = field(default_factory=dict)
    lang: str | None = None  # the language the page's words say (PageText.lang): the later pages' lang_hint


def error_record(exc: BaseException, *, page: int | None = None, stage: str | None = None) -> ErrorRecord:
    """An ``errors`` entry for an exception. Unexpected exceptions keep their type and message."""
    if isinstance(exc, DocpipeError):
        return ErrorRecord(stage=stage or exc.stage, page=page, kind=type(exc).__name__, message=str(exc))
    return ErrorRecord(stage=stage or "pipeline", page=page, kind=type(exc).__name__,
                       message=f"unexpected error: {exc}; please report it with the input file if you can")


class Pipeline:
    """All stages, built once from options. ``process`` runs one document in this process."""

    def __init__(self, options: PipelineOptions | None = None) -> None:
        self.options = options or PipelineOptions()
        self.reader = PageReader(self.options.orient, self.options.ocr)
        self.structurer = Structurer(self.options.structure)
        self._detector = None  # loaded on the first page, once per process (torch is a large import)
        review = self.options.review
        self.calibrator = Calibrator.load(review.calibration_path()) if review.calibrate else None
        self.review_threshold = review.threshold  # None: the calibration file's default per document kind

    def probe(self, path: Path, root: Path) -> SourceFile:
        return probe(path, root, self.options.ingest)

    def read_page(self, src: SourceFile, number: int, lang_hint: str | None = None) -> PageOutcome:
        """One page read (and its regions detected). ``lang_hint``: the language the document's first page
        said (its outcome's ``lang``), for a later page (:class:`~docpipe.read.PageReader`)."""
        t0 = time.perf_counter()
        try:
            raster = load_page(src, number, self.options.ingest)
            t1 = time.perf_counter()
            text = self.reader(raster, lang_hint=lang_hint)
            timings = {"rasterize": t1 - t0, **text.timings}
        except Exception as e:  # one bad page must not lose the others
            return PageOutcome(number=number, error=error_record(e, page=number),
                               timings={"rasterize": time.perf_counter() - t0})
        page, error = text.page, None
        if self.options.detect.enabled:
            t2 = time.perf_counter()
            try:
                detected = self.detector.detect(text.image, proposals=text.drawing)
                page = page.model_copy(update={"regions": self.detector.regions(detected)})
            except Exception as e:  # the page keeps its text; the document becomes 'partial'
                detected, error = [], error_record(e, page=number, stage="detect")
            timings["detect"] = time.perf_counter() - t2
            if detected and text.drawing:  # dimension regions read one by one (docpipe.read)
                t2 = time.perf_counter()
                try:
                    page = self.reader.read_dimension_regions(text, page, detected)
                except Exception as e:
                    error = error_record(e, page=number, stage="ocr")
                timings["dimension_ocr"] = time.perf_counter() - t2
        return PageOutcome(number=number, page=page, error=error, timings=timings, lang=text.lang)

    def read_pages(self, src: SourceFile) -> list[PageOutcome]:
        """Every page of ``src`` in order, the later ones with the language the first page's words said, as
        :func:`run_batch` reads them across its workers."""
        first = self.read_page(src, 1)
        return [first, *(self.read_page(src, n, first.lang) for n in range(2, src.pages + 1))]

    @property
    def detector(self):
        if self._detector is None:
            from .detect import load_detector

            self._detector = load_detector(options=self.options.detect)
        return self._detector

    def finish(self, src: SourceFile, outcomes: list[PageOutcome], errors: list[ErrorRecord] | None = None
               ) -> DocumentResult:
        """Classify, structure and validate a document from its read pages."""
        return self.finish_detailed(src, outcomes, errors)[0]

    def finish_detailed(self, src: SourceFile, outcomes: list[PageOutcome], errors: list[ErrorRecord] | None = None
                        ) -> tuple[DocumentResult, Structured | None]:
        """:meth:`finish`, and the document's :class:`~docpipe.structure.Structured` (model time, fields
        asked, sources; None when no page was read or the structuring itself raised). A fault of the model
        keeps the rules' reading: the document is ``partial`` with an ``errors`` entry and needs review."""
        errors = list(errors or [])
        timings: dict[str, float] = {}
        for o in outcomes:
            for k, v in o.timings.items():
                timings[k] = timings.get(k, 0.0) + v
            if o.error:
                errors.append(o.error)
        pages = [o.page for o in sorted(outcomes, key=lambda o: o.number) if o.page is not None]
        source = Source(path=src.rel, sha256=src.sha256, media_type=src.media_type, pages=src.pages)
        if not pages:
            return DocumentResult(source=source, status="failed", errors=errors or [ErrorRecord(
                stage="read", kind="InputError", message="no page could be read")],
                timings_s=_rounded(timings)), None
        t = time.perf_counter()
        doc_type, type_margin = classify(pages)
        timings["classify"] = time.perf_counter() - t
        payload: Invoice | Drawing | None = None
        structured: Structured | None = None
        reasons: list[str] = []
        t = time.perf_counter()
        try:
            structured = self.structurer(doc_type, pages)
        except Exception as e:  # the rules themselves failed (a model fault is in structured.errors)
            errors.append(error_record(e, stage="structure"))
        timings["structure"] = time.perf_counter() - t
        if structured is not None:
            payload = structured.payload
            errors.extend(structured.errors)
            if structured.llm_seconds:
                timings["llm"] = structured.llm_seconds  # part of "structure"
        t = time.perf_counter()
        if isinstance(payload, Invoice):
            reasons = check_invoice(payload, receipt=doc_type == "receipt", type_margin=type_margin)
            if self.calibrator is not None and doc_type in ("invoice", "receipt"):
                reasons += self._calibrate(payload, pages, doc_type, structured)
        elif isinstance(payload, Drawing):
            reasons = check_drawing(payload)
        elif doc_type in ("invoice", "receipt", "drawing"):
            payload = Invoice() if doc_type != "drawing" else Drawing()
            reasons = ["structuring failed; fields are empty"]
        # Values the LLM gave that are not on the page were dropped, or the model failed: say so (empty for the
        # rules backend).
        reasons = [*(structured.notes if structured is not None else []), *reasons]
        timings["validate"] = time.perf_counter() - t
        if len(pages) < src.pages:
            reasons.append(f"{src.pages - len(pages)} of {src.pages} pages could not be read")
        return DocumentResult(
            source=source, doc_type=doc_type, status="partial" if errors else "ok",
            needs_review=bool(reasons), review_reasons=reasons,
            invoice=payload if isinstance(payload, Invoice) else None,
            drawing=payload if isinstance(payload, Drawing) else None,
            pages=pages, errors=errors, timings_s=_rounded(timings)), structured

    def _calibrate(self, inv: Invoice, pages: list[Page], doc_type: str, structured: Structured | None) -> list[str]:
        """Key fields' confidences become calibrated probabilities (:mod:`docpipe.calibrate`); returns a review
        reason for each key field below the review threshold."""
        views = [PageView(p) for p in pages]
        cal = calibrate_invoice(inv, views, kind=doc_type, sources=structured.sources if structured else {},
                                model_p=structured.model_p if structured else {}, calibrator=self.calibrator,
                                confirmed_vendor=confirmed_vendor_name(views) if doc_type == "invoice" else None)
        threshold = self.review_threshold if self.review_threshold is not None \
            else self.calibrator.threshold_for(doc_type)
        return review_reasons(cal, threshold=threshold)

    def process(self, path: Path, root: Path | None = None) -> DocumentResult:
        """One document, start to end, in this process. Never raises for a bad input: the result says."""
        root = root if root is not None else path.parent
        try:
            src = self.probe(path, root)
        except Exception as e:
            return failed_result(path, root, e)
        return self.finish(src, self.read_pages(src))


def failed_result(path: Path, root: Path, exc: BaseException) -> DocumentResult:
    """The record of a document that could not be opened at all."""
    rel = relative_name(path, root)
    try:
        with open(path, "rb") as f:
            media = sniff(f.read(2048))
        from .ingest import sha256_file

        digest = sha256_file(path)
    except OSError:
        media, digest = "application/octet-stream", None
    return DocumentResult(source=Source(path=rel, sha256=digest, media_type=media, pages=0), status="failed",
                          errors=[error_record(exc, stage="ingest")])


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in timings.items()}


# --- batch -----------------------------------------------------------------------------------------------

log = logging.getLogger("docpipe")
_worker_pipeline: Pipeline | None = None  # one per worker process, built by _init_worker
_worker_loads = 0  # pipelines (models: torch + detector; the LLM on first use) built in this worker process
_worker_start_cpu = 0.0  # CPU seconds of this worker's start: imports, pipeline, detector


def _init_worker(options: PipelineOptions, idle_workers=None) -> None:
    """Build the worker's pipeline, once per worker process: torch's import (~2 s), the detector and the
    embedded model are then reused by every job the process runs. ``idle_workers`` (a shared integer the batch
    keeps up to date) lets the embedded model borrow idle workers' cores at the end of a batch."""
    global _worker_pipeline, _worker_loads, _worker_start_cpu
    _tune_malloc()
    _worker_pipeline = Pipeline(options)
    _worker_loads += 1
    if idle_workers is not None:
        _worker_pipeline.structurer.share_idle_cores(lambda: idle_workers.value)
    if options.detect.enabled:
        try:  # load the model now, not on the first page's clock
            _worker_pipeline.detector
        except Exception:  # noqa: S110 - reported per page by read_page, with its message
            pass
    _worker_start_cpu = _cpu_seconds()  # a forked worker's counters start at zero


def _cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


@dataclass(frozen=True)
class WorkerNote:
    """What a job's worker reports with its result: which process, how often it built its pipeline, what its
    start cost, and its resident memory after the job (bytes, after returning freed heap to the system)."""

    pid: int
    loads: int
    start_cpu: float
    rss: int


_libc = None


def _release_memory() -> int:
    """Return freed heap to the system (glibc ``malloc_trim``: page images and arrays of the job just done) and
    read this process's resident set size, in bytes."""
    libc = _load_libc()
    if libc:
        libc.malloc_trim(0)
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


_M_MMAP_THRESHOLD = -3  # glibc mallopt parameters
_M_ARENA_MAX = -8


def _tune_malloc() -> None:
    """In a worker process (glibc only): blocks of 1 MiB and more (page images, label and pixel arrays of
    5-75 MB) get their own mapping, returned to the system when freed, instead of the heap, where glibc's
    adaptive threshold put them after the first large free and they stayed resident; and two malloc arenas
    instead of eight per core for the threads of torch, llama.cpp and the result queue."""
    libc = _load_libc()
    if libc:
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
        libc.mallopt(_M_ARENA_MAX, 2)


def _load_libc():
    global _libc
    if _libc is None:
        try:  # glibc by its soname: ctypes.util.find_library would fork this large process to run ldconfig
            _libc = ctypes.CDLL("libc.so.6")
            _libc.malloc_trim.argtypes = [ctypes.c_size_t]
            _libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
            _libc = False
    return _libc


def _note() -> WorkerNote:
    return WorkerNote(pid=os.getpid(), loads=_worker_loads, start_cpu=_worker_start_cpu, rss=_release_memory())


def _read_page_job(src: SourceFile, number: int, lang_hint: str | None = None) -> tuple[PageOutcome, WorkerNote]:
    assert _worker_pipeline is not None
    return _worker_pipeline.read_page(src, number, lang_hint), _note()


def _ready(_: int) -> WorkerNote | None:
    return _note() if _worker_pipeline is not None else None


def _finish_job(src: SourceFile, outcomes: list[PageOutcome]) -> tuple[DocumentResult, WorkerNote]:
    assert _worker_pipeline is not None
    return _worker_pipeline.finish(src, outcomes), _note()


@dataclass
class BatchSummary:
    total: int = 0
    ok: int = 0
    partial: int = 0
    failed: int = 0
    skipped: int = 0
    excluded: int = 0
    needs_review: int = 0
    pages: int = 0
    seconds: float = 0.0
    workers_started: int = 0  # worker processes that ran jobs (each loads the pipeline once)
    workers_recycled: int = 0  # times the pool was replaced because a worker's memory passed the limit
    pipeline_loads: int = 0  # pipelines built, summed over the worker processes (== workers_started)
    worker_start_cpu: list[float] = field(default_factory=list)  # CPU seconds of each worker's start
    worker_peak_rss: dict[int, int] = field(default_factory=dict)  # per worker pid: largest RSS after a job, bytes

    @property
    def exit_code(self) -> int:
        """0 when every document is ok, 1 when any failed or is partial."""
        return 1 if (self.failed or self.partial) else 0


ProgressCallback = Callable[[DocumentResult | None, str, float], None]


@dataclass
class _Doc:
    src: SourceFile
    started: float
    outcomes: list[PageOutcome] = field(default_factory=list)

    @property
    def lang_hint(self) -> str | None:
        """Its first page's language, for its later pages (Pipeline.read_pages); None until page 1 is read."""
        return next((o.lang for o in self.outcomes if o.number == 1), None)


def run_batch(input_path: Path, out_dir: Path, options: PipelineOptions | None = None, *,
              resume: bool = True, exclude: tuple[str, ...] = (), overlays: str = "none", on_total: Callable[[int], None] | None = None,
              on_document: ProgressCallback | None = None) -> BatchSummary:
    """Process every file under ``input_path`` into ``out_dir``. Documents already in the manifest with the
    same sha256 are skipped when ``resume`` is true; files matching ``exclude`` globs or the input folder's
    ``.docpipeignore`` are not processed and are counted in ``summary.excluded``. ``overlays`` ("none",
    "review": documents that need review, "all") writes ``out_dir/overlays/<name>.page<N>.png`` with regions and
    grounded fields drawn on the page. ``on_document(result_or_None_if_skipped, rel_path, s)``
    is called as each document finishes."""
    options = options or PipelineOptions()
    t_start = time.perf_counter()
    summary = BatchSummary()
    files, excluded = find_inputs(input_path, exclude)
    summary.total = len(files)
    summary.excluded = len(excluded)
    if on_total:
        on_total(len(files))
    with OutputFolder(out_dir) as out:
        done = out.finished() if resume else {}

        def record(result: DocumentResult, seconds: float) -> None:
            out.write(result, seconds)
            if result.pages and (overlays == "all" or (overlays == "review" and result.needs_review)):
                source = input_path if input_path.is_file() else input_path / result.source.path
                try:
                    render_overlays(source, result, out_dir / "overlays",
                                    output_name(result.source.path).removesuffix(".json"), options.ingest)
                except Exception as e:  # the result is written; a missing picture must not stop the batch
                    log.warning("overlay of %s not written: %s", result.source.path, e)
            setattr(summary, result.status, getattr(summary, result.status) + 1)
            summary.needs_review += result.needs_review
            summary.pages += len(result.pages)
            if on_document:
                on_document(result, result.source.path, seconds)

        queue: list[SourceFile] = []
        for path in files:
            t0 = time.perf_counter()
            rel = relative_name(path, input_path)
            try:
                src = probe(path, input_path, options.ingest)
            except Exception as e:
                failed = failed_result(path, input_path, e)
                if resume and (rel, failed.source.sha256) in done:
                    summary.skipped += 1
                    if on_document:
                        on_document(None, rel, 0.0)
                    continue
                record(failed, time.perf_counter() - t0)
                continue
            if resume and (src.rel, src.sha256) in done:
                summary.skipped += 1
                if on_document:
                    on_document(None, src.rel, 0.0)
                continue
            queue.append(src)
        if queue:
            _run_pool(queue, options, record, summary)
    summary.seconds = time.perf_counter() - t_start
    return summary


def _run_pool(queue: list[SourceFile], options: PipelineOptions,
              record: Callable[[DocumentResult, float], None], summary: BatchSummary | None = None) -> None:
    """Page jobs and finish jobs over a process pool, one job per worker in flight. Workers live for the whole
    batch (each builds its pipeline once: torch, detector, model), unless one reports more resident memory
    after a job than ``options.recycle_memory_mib``: then no new job starts until the jobs in flight are done,
    and the pool is replaced. A crashed worker (segfault, out of memory) breaks the pool: it is rebuilt and the
    jobs in flight are retried once. A document over its time limit gets a failed record; the workers are
    replaced (a stuck Tesseract or poppler cannot be stopped alone) and the other jobs in flight start again."""
    workers = max(1, options.workers)
    summary = summary if summary is not None else BatchSummary()
    rss_limit = options.recycle_memory_mib * 2**20
    ctx = mp.get_context("forkserver")
    idle_workers = ctx.RawValue("i", 0)  # read by the workers' models between prompt chunks (no lock needed)
    make_pool = lambda: ProcessPoolExecutor(  # noqa: E731
        workers, mp_context=ctx, initializer=_init_worker, initargs=(options, idle_workers))
    pool = make_pool()
    seen: dict[int, WorkerNote] = {}
    recycle = False  # a worker is over the memory limit: drain, then replace the pool

    def noted(note: WorkerNote | None, *, after_job: bool = True) -> None:
        nonlocal recycle
        if note is None:
            return
        if note.pid not in seen:
            summary.workers_started += 1
            summary.pipeline_loads += note.loads
            summary.worker_start_cpu.append(round(note.start_cpu, 3))
        seen[note.pid] = note
        summary.worker_peak_rss[note.pid] = max(summary.worker_peak_rss.get(note.pid, 0), note.rss)
        if after_job and rss_limit and note.rss > rss_limit and not recycle:
            log.info("worker %d holds %.0f MiB after a job (limit %d MiB): replacing the workers once the jobs "
                     "in flight are done", note.pid, note.rss / 2**20, options.recycle_memory_mib)
            recycle = True
    docs: dict[str, _Doc] = {}
    jobs: list[tuple] = []  # (kind, rel, page or None), in submission order
    for src in queue:
        docs[src.rel] = _Doc(src=src, started=0.0)
        jobs.append(("page", src.rel, 1))  # the later pages follow the first (its language: Pipeline.read_pages)
    jobs.reverse()  # pop() from the end keeps the input order
    pending: dict[Future, tuple] = {}
    retried: set[tuple] = set()
    done: set[str] = set()

    def submit(job: tuple) -> None:
        kind, rel, n = job
        doc = docs[rel]
        doc.started = doc.started or time.perf_counter()
        if kind == "page":
            fut = pool.submit(_read_page_job, doc.src, n, doc.lang_hint)
        else:
            fut = pool.submit(_finish_job, doc.src, doc.outcomes)
        pending[fut] = job

    def restart(keep: list[tuple]) -> None:
        """Stop every worker (a stuck or crashed one cannot be stopped alone) and requeue ``keep``."""
        nonlocal pool
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        jobs.extend(keep)
        for _, rel, _ in keep:
            docs[rel].started = 0.0  # their clock restarts with the new workers
        pending.clear()
        start_pool()

    def start_pool() -> None:
        nonlocal pool
        pool = make_pool()
        # Start the new workers (and load their models) before the clocks of the requeued documents run.
        try:
            for note in pool.map(_ready, range(workers)):
                noted(note, after_job=False)
        except BrokenProcessPool as e:
            raise ModelLoadError("worker processes crash as they start; run with --workers 1 to see why") from e

    try:
        while jobs or pending:
            if recycle and not pending:
                pool.shutdown(wait=True)
                summary.workers_recycled += 1
                recycle = False
                start_pool()
            # One job per worker in flight: a submitted job starts at once, so its clock is honest.
            while jobs and len(pending) < workers and not recycle:
                job = jobs.pop()
                if job[1] not in done:
                    submit(job)
            idle_workers.value = workers - len(pending)
            if not pending:
                continue
            finished, _ = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            broken = False
            for fut in finished:
                job = pending.pop(fut)
                kind, rel, n = job
                doc = docs[rel]
                if rel in done:
                    continue
                try:
                    value, note = fut.result()
                    noted(note)
                except BrokenProcessPool:
                    broken = True
                    if job in retried:
                        err = DocpipeError("a worker process crashed twice on this "
                                           f"{'page' if kind == 'page' else 'document'} (out of memory or a "
                                           "crash in poppler/tesseract); check the file")
                        value = (PageOutcome(number=n, error=error_record(err, page=n, stage="read"))
                                 if kind == "page" else _finish_failed(doc, err))
                    else:
                        retried.add(job)
                        jobs.append(job)
                        continue
                except Exception as e:
                    value = (PageOutcome(number=n, error=error_record(e, page=n)) if kind == "page"
                             else _finish_failed(doc, e))
                if kind == "page":
                    doc.outcomes.append(value)
                    if n == 1:  # the later pages next, in order, before other documents' pages
                        jobs.extend(("page", rel, k) for k in range(doc.src.pages, 1, -1))
                    if len(doc.outcomes) == doc.src.pages:
                        jobs.append(("finish", rel, None))
                else:
                    done.add(rel)
                    record(value, time.perf_counter() - doc.started)
            now = time.perf_counter()
            late = {rel for _, rel, _ in pending.values()
                    if rel not in done and now - docs[rel].started > _time_limit(docs[rel].src, options)}
            for rel in late:
                doc = docs[rel]
                limit = _time_limit(doc.src, options)
                err = DocpipeError(f"processing took longer than the limit of {limit:.0f} s and was stopped; "
                                   "check the file, or raise --timeout-per-page")
                done.add(rel)
                record(_finish_failed(doc, err, stage="pipeline"), now - doc.started)
            if broken or late:
                restart([job for job in pending.values() if job[1] not in done])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _time_limit(src: SourceFile, options: PipelineOptions) -> float:
    return options.timeout_per_page * max(1, src.pages)


def _finish_failed(doc: _Doc, exc: BaseException, stage: str = "structure") -> DocumentResult:
    src = doc.src
    errors = [o.error for o in doc.outcomes if o.error] + [error_record(exc, stage=stage)]
    return DocumentResult(
        source=Source(path=src.rel, sha256=src.sha256, media_type=src.media_type, pages=src.pages),
        status="failed", errors=errors)
