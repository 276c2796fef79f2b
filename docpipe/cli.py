"""The ``docpipe`` command line: run, schema, eval, synth.

Exit codes of ``docpipe run``: 0 every document ok, 1 at least one document failed or partial, 2 usage error
(bad option, missing input folder, output folder locked by another run).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__
from .detect import DetectOptions
from .errors import DocpipeError
from .options import IngestOptions, OcrOptions, OrientOptions, PipelineOptions, ReviewOptions, StructureOptions
from .types import EXPORTED_MODELS

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="docpipe: scanned invoices, receipts and drawings to grounded, validated JSON, offline.")
err = Console(stderr=True)

_STATUS_STYLE = {"ok": "green", "partial": "yellow", "failed": "red"}


@app.callback(invoke_without_command=True)
def _main(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False):
    if version:
        typer.echo(__version__)
        raise typer.Exit(0)


@app.command()
def run(
    input: Annotated[Path, typer.Argument(help="Folder of documents (searched recursively) or a single file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: one JSON per document + _manifest.jsonl.")],
    workers: Annotated[int, typer.Option(help="Worker processes; pages run in parallel. Default: CPU cores.")] = 0,
    dpi: Annotated[int, typer.Option(help="Rasterization resolution for PDF pages.")] = 300,
    force_ocr: Annotated[bool, typer.Option("--force-ocr", help="Ignore PDF text layers; OCR every page.")] = False,
    lang: Annotated[str, typer.Option(help="Tesseract languages, '+'-joined, e.g. eng+deu+fra+nld; 'auto': "
                                      "English, and German/French/Dutch pages read again with their language.")
                    ] = OcrOptions().lang,
    psm: Annotated[int, typer.Option(help="Tesseract page segmentation mode.")] = OcrOptions().psm,
    max_pages: Annotated[int, typer.Option(help="Fail documents with more pages than this.")] = 500,
    max_pixels: Annotated[int, typer.Option(help="Fail pages larger than this many pixels.")] = 200_000_000,
    osd: Annotated[str, typer.Option(help="Quarter-turn detection: auto (when a page reads poorly), always, never.")] = "auto",
    timeout_per_page: Annotated[float, typer.Option(
        help="Stop a document after this many seconds per page; it gets a failed record.")] = 180.0,
    recycle_memory_mib: Annotated[int, typer.Option(
        help="Replace the worker processes when one holds more than this many MiB after a job (0: never); "
             "otherwise each worker loads torch, the detector and the model once per batch.")
    ] = PipelineOptions.model_fields["recycle_memory_mib"].default,
    detect: Annotated[bool, typer.Option("--detect/--no-detect",
                                         help="Find page regions with the CNN detector (models/detector).")] = True,
    overlays: Annotated[str, typer.Option(
        help="Draw regions and fields on page images into OUT/overlays/: none, review (documents that need "
             "review) or all.")] = "none",
    exclude: Annotated[list[str] | None, typer.Option(
        help="Glob of input paths not to process (repeatable); also read from INPUT/.docpipeignore.")] = None,
    resume: Annotated[bool, typer.Option("--resume/--no-resume",
                                         help="Skip documents already in the output manifest (same sha256).")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or per-document lines.")] = False,
    llm: Annotated[bool, typer.Option("--llm/--no-llm", help="Structure invoices, receipts and title blocks with "
                                      "the LLM choosing among grounded candidates (embedded model unless --llm-url); "
                                      "--no-llm: deterministic rules only.")] = True,
    llm_model: Annotated[Path | None, typer.Option(help="GGUF model file for the embedded LLM (implies --llm). "
                                                   "Default: models/llm/ (make setup) or $DOCPIPE_LLM_MODEL.")] = None,
    llm_engine: Annotated[str, typer.Option(
        help="What runs the embedded LLM: llamacpp (default; 9% faster per document on 2 CPU cores, same "
             "answers) or transformers (the same weights on torch, converted once into "
             "~/.cache/docpipe/transformers; --llm-model may then also be a folder of transformers weights). See "
             "models/llm/MODEL_CARD.md, 'Engines'.")] = StructureOptions().llm_engine,
    llm_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server, e.g. http://host:8000/v1 (implies "
                                                "--llm); API key from $DOCPIPE_LLM_API_KEY.")] = None,
    llm_model_name: Annotated[str | None, typer.Option(help="Model name on the --llm-url server.")] = None,
    llm_ask: Annotated[str, typer.Option(help="open: ask the LLM only the fields the rules leave open (faster); "
                                         "all: every field.")] = "open",
    llm_receipts: Annotated[bool, typer.Option(
        "--llm-receipts",
        help="Also ask the LLM the fields the receipt rules leave open. Default: receipts are read by the rules "
             "alone (the embedded 0.5B model's answers there were right 3 times of 16 on SROIE receipts, "
             "development set).")] = StructureOptions().llm_receipts,
    llm_retries: Annotated[int, typer.Option(
        help="Retries of an --llm-url request that failed transiently (connection error, timeout, HTTP 429/5xx), "
             "with back-off.")] = StructureOptions().llm_retries,
    review_threshold: Annotated[float | None, typer.Option(
        help="A document is auto-accepted (needs_review false) only when every key field present reaches this "
             "confidence and no business rule failed. Default: the threshold in "
             "models/calibration/calibration.json.")] = None,
    calibration: Annotated[Path | None, typer.Option(
        help="Calibration file for the key fields' confidences. Default: $DOCPIPE_CALIBRATION, else "
             "models/calibration/calibration.json.")] = None,
    calibrate: Annotated[bool, typer.Option("--calibrate/--no-calibrate", help="--no-calibrate: keep the heuristic "
                                            "scores as confidences (not calibrated probabilities).")] = True,
) -> None:
    """Digitize every document under INPUT into OUT."""
    from .pipeline import run_batch

    try:
        options = PipelineOptions(
            ingest=IngestOptions(dpi=dpi, force_ocr=force_ocr, max_pages=max_pages, max_pixels=max_pixels),
            orient=OrientOptions(osd=osd), detect=DetectOptions(enabled=detect), ocr=OcrOptions(lang=lang, psm=psm),
            structure=StructureOptions(backend="llm" if (llm or llm_model or llm_url) else "rules",
                                       llm_model=llm_model, llm_url=llm_url, llm_model_name=llm_model_name,
                                       llm_ask=llm_ask, llm_retries=llm_retries, llm_engine=llm_engine,
                                       llm_receipts=llm_receipts),
            review=ReviewOptions(calibrate=calibrate, calibration=calibration, threshold=review_threshold),
            workers=workers or (os.cpu_count() or 1), timeout_per_page=timeout_per_page,
            recycle_memory_mib=recycle_memory_mib)
    except ValueError as e:
        err.print(f"[red]invalid option:[/red] {e}")
        raise typer.Exit(2) from None
    if options.structure.backend == "llm":
        from .structure import Structurer

        try:  # a missing model or llama-cpp-python is a usage error here, not a crash in every worker
            backend = Structurer(options.structure).llm.backend
            if hasattr(backend, "prepare"):  # transformers: convert a GGUF once here, not in every worker
                backend.prepare()
        except DocpipeError as e:
            err.print(f"[red]error:[/red] {e}")
            raise typer.Exit(2) from None
    if overlays not in ("none", "review", "all"):
        err.print(f"[red]invalid option:[/red] --overlays must be none, review or all, not {overlays!r}")
        raise typer.Exit(2)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, disable=quiet)
    task = progress.add_task("documents", total=None)

    def on_document(result, rel, seconds):
        if result is None:
            line = f"[dim]skipped (already done)[/dim] {rel}"
        else:
            style = _STATUS_STYLE[result.status]
            review = " [yellow]needs review[/yellow]" if result.needs_review else ""
            why = f": {result.errors[0].message}" if result.errors else ""
            line = f"[{style}]{result.status:7}[/{style}] {result.doc_type:8} {rel} ({seconds:.1f} s){review}{why}"
        if not quiet:
            progress.console.print(line, highlight=False)
        progress.advance(task)

    try:
        with progress:
            summary = run_batch(input, out, options, resume=resume, exclude=tuple(exclude or ()), overlays=overlays,
                                on_total=lambda n: progress.update(task, total=n), on_document=on_document)
    except DocpipeError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    ppm = summary.pages / summary.seconds * 60 if summary.seconds else 0.0
    err.print(f"{summary.total} documents: {summary.ok} ok, {summary.partial} partial, {summary.failed} failed, "
              f"{summary.skipped} already done, {summary.excluded} excluded, {summary.needs_review} need review; {summary.pages} pages in "
              f"{summary.seconds:.1f} s ({ppm:.1f} pages/min). Output: {out}")
    raise typer.Exit(summary.exit_code)


@app.command()
def schema(out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the JSON Schema files.")] = Path("schemas")
           ) -> None:
    """Export the output contract as JSON Schema (document.schema.json, manifest_line.schema.json)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, model in EXPORTED_MODELS.items():
        path = out / f"{name}.schema.json"
        path.write_text(json.dumps(model.model_json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        typer.echo(str(path))


@app.command("eval")
def eval_cmd(
    target: Annotated[str, typer.Argument(
        help="folder (compare --pred with --expected), invoices (real invoices as 200-dpi scans), receipts "
             "(SROIE), funsd, synthetic-ocr, edocr2 (real drawings), plans (--limit generated floor plans, seeds "
             "5000+).")],
    pred: Annotated[Path | None, typer.Option(help="Folder of docpipe output JSON.")] = None,
    expected: Annotated[Path | None, typer.Option(help="Folder of expected JSON (e.g. sample_docs/expected).")] = None,
    realdocs: Annotated[Path | None, typer.Option(help="Root of the real-document sets (default ../shared/realdocs"
                                                       " or $DOCPIPE_REALDOCS).")] = None,
    limit: Annotated[int | None, typer.Option(help="Evaluate at most this many documents.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes for OCR (reading pages). Default: CPU cores.")] = 0,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON here.")] = None,
    lang: Annotated[str, typer.Option(help="invoices/receipts: Tesseract languages, '+'-joined (part of the page "
                                      "cache's key).")] = OcrOptions().lang,
    cache: Annotated[Path | None, typer.Option(help="invoices/receipts: folder of rendered scans and read pages "
                                               "(default: docpipe-bench-cache in the temporary folder).")] = None,
    backend: Annotated[str, typer.Option(help="invoices/receipts: structuring backend, llm or rules.")
                       ] = StructureOptions().backend,
    llm_model: Annotated[Path | None, typer.Option(help="invoices/receipts: GGUF model file for the embedded LLM.")
                         ] = None,
    llm_ask: Annotated[str | None, typer.Option(help="invoices/receipts: open (fields the rules leave open) or all."
                                                )] = None,
    llm_engine: Annotated[str | None, typer.Option(help="invoices/receipts: what runs the embedded LLM, llamacpp or "
                                                   "transformers.")] = None,
    llm_receipts: Annotated[bool, typer.Option("--llm-receipts", help="receipts: also ask the LLM "
                                               "the fields the receipt rules leave open.")] = False,
    review_threshold: Annotated[float | None, typer.Option(
        help="invoices/receipts: auto-accept threshold on every key field's confidence. Default: the threshold "
             "in models/calibration/calibration.json.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="invoices/receipts: print expected and predicted "
                                          "values of wrong fields.")] = False,
) -> None:
    """Measure accuracy: key fields with reliability and auto-accept, OCR CER/WER, region and dimension
    recall/precision."""
    from .eval import run_eval

    try:
        options = None
        if target in ("invoices", "receipts"):
            sopts: dict = {"backend": backend}
            if llm_model is not None:
                sopts["llm_model"] = llm_model
            if llm_ask is not None:
                sopts["llm_ask"] = llm_ask
            if llm_engine is not None:
                sopts["llm_engine"] = llm_engine
            sopts["llm_receipts"] = llm_receipts
            options = PipelineOptions(ocr=OcrOptions(lang=lang), workers=1, structure=StructureOptions(**sopts),
                                      review=ReviewOptions(threshold=review_threshold))
        run_eval(target, pred=pred, expected=expected, realdocs=realdocs, limit=limit,
                 workers=workers or (os.cpu_count() or 1), json_out=json_out, options=options, cache=cache,
                 verbose=verbose)
    except (ValueError, FileNotFoundError, DocpipeError) as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None


@app.command()
def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write documents and expected/<name>.json into.")],
    samples: Annotated[bool, typer.Option("--samples", help="Write the fixed sample set (sample_docs/).")] = False,
    invoices: Annotated[int, typer.Option(help="Number of invoices.")] = 4,
    receipts: Annotated[int, typer.Option(help="Number of receipts.")] = 2,
    drawings: Annotated[int, typer.Option(help="Number of drawings.")] = 2,
    others: Annotated[int, typer.Option(help="Number of other documents.")] = 1,
    plans: Annotated[int, typer.Option(help="Number of floor plans (architectural drawings).")] = 0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same documents.")] = 0,
) -> None:
    """Generate synthetic documents with exact ground truth."""
    from .synth import generate, write_samples

    paths = write_samples(out) if samples else generate(out, invoices=invoices, receipts=receipts,
                                                       drawings=drawings, others=others, plans=plans, seed=seed)
    typer.echo(f"wrote {len(paths)} documents to {out}")


if __name__ == "__main__":  # pragma: no cover
    app()
