"""Evaluation: compare outputs with expected JSON, and measure OCR on FUNSD scans and synthetic pages.

One entry point, :func:`run_eval`, for the ``docpipe eval`` command::

    run_eval("folder", pred=Path("out"), expected=Path("sample_docs/expected"))
    run_eval("funsd", workers=2)                 # realdocs from $DOCPIPE_REALDOCS or ../shared/realdocs
    run_eval("synthetic-ocr", limit=20)          # needs docpipe.synth.render_page
    run_eval("edocr2", workers=2)                # pipeline dimensions vs eDOCr2 GT, DOP box recall
    run_eval("invoices", options=PipelineOptions(ocr=OcrOptions(lang="eng+deu+fra+nld")), limit=3)
    run_eval("receipts")                         # key fields, reliability, auto-accept on SROIE
    run_eval("plans", limit=20, workers=2)       # generated floor plans: rooms, plan dimensions, openings

Modules: :mod:`.metrics` (CER/WER, IoU, field comparison), :mod:`.realdocs` (ground-truth loaders),
:mod:`.compare` (folder comparison), :mod:`.ocr_eval` (OCR accuracy), :mod:`.drawing_eval` (dimensions on
real drawings), :mod:`.plans` (generated floor plans), :mod:`.fields` (key fields of real invoices and receipts: accuracy, reliability, auto-accept).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..options import PipelineOptions
from .realdocs import realdocs_root

TARGETS = ("folder", "funsd", "synthetic-ocr", "edocr2", "invoices", "receipts", "plans")
_FIELD_SETS = {"invoices": "invoices", "receipts": "sroie"}  # target -> docpipe.eval.fields set


def run_eval(target: str, *, pred: Path | None = None, expected: Path | None = None, realdocs: Path | None = None,
             limit: int | None = None, workers: int = 1, json_out: Path | None = None, seed: int = 0,
             quiet: bool = False, options: PipelineOptions | None = None, cache: Path | None = None,
             verbose: bool = False) -> dict:
    """Run one evaluation, print a readable report (unless ``quiet``) and return it as a dict.

    - ``folder``: compare ``pred`` (our JSON outputs) with ``expected`` (contract JSON), by file name.
    - ``funsd``: OCR the FUNSD test forms (``limit`` forms; all 50 by default) with ``workers`` processes.
    - ``synthetic-ocr``: OCR ``limit`` (default 20) synthetic pages rendered with ``seed``.
    - ``edocr2``: run the pipeline (rules backend) over the eDOCr2 drawings (``limit`` of them) and the DOP
      drawings with ``workers`` processes; dimension recall, precision and CER per drawing, DOP box recall.
    - ``invoices`` / ``receipts``: the pipeline (``options``, default ``PipelineOptions()``; its OCR language
      and mode also read the pages) over the real invoices rendered as 200-dpi scans / the SROIE receipts
      (``limit`` of them), pages read with ``workers`` processes and cached in ``cache``
      (:data:`.fields.DEFAULT_CACHE`); per-field accuracy, the reliability table with the expected calibration
      error, auto-accept coverage and precision (:mod:`.fields`). Without the realdocs set the report only says
      ``skipped`` and why.

    - ``plans``: generate ``limit`` (default 20) floor plans from seeds ``seed`` (default 5000, kept for this
      evaluation) on, run the pipeline (rules), score dimension strings, nominal mm, rooms, door and window
      counts (:mod:`.plans`).

    ``folder`` also reports the key fields of the invoices and receipts the same way, from the predicted
    documents' confidences and ``needs_review``.

    ``json_out``, if given, receives the same dict as JSON. Raises :class:`InputError` for a bad target or a
    missing folder, with what to pass instead.
    """
    if target == "folder":
        from .compare import compare_folder

        if pred is None or expected is None:
            raise InputError("eval folder needs both --pred (our outputs) and --expected (expected JSON) folders")
        for p in (pred, expected):
            if not Path(p).is_dir():
                raise InputError(f"folder {str(p)!r} does not exist")
        rep = compare_folder(Path(pred), Path(expected))
        text, data = rep.format_report(), rep.to_json()
    elif target == "funsd":
        from .ocr_eval import evaluate_ocr_funsd

        root = realdocs_root(realdocs)
        if root is None or not (root / "funsd").is_dir():
            raise InputError("the realdocs folder with funsd/ was not found; pass --realdocs or set DOCPIPE_REALDOCS")
        rep = evaluate_ocr_funsd(root, limit=limit, workers=workers)
        text, data = rep.format_report(), rep.to_json()
    elif target == "synthetic-ocr":
        from .ocr_eval import evaluate_ocr_synthetic

        rep = evaluate_ocr_synthetic(limit or 20, seed, workers=workers)
        text, data = rep.format_report(), rep.to_json()
    elif target == "edocr2":
        from .drawing_eval import evaluate_drawings

        root = realdocs_root(realdocs)
        if root is None or not (root / "drawings" / "edocr2_gt").is_dir():
            raise InputError("the realdocs folder with drawings/edocr2_gt/ was not found; pass --realdocs or set "
                             "DOCPIPE_REALDOCS")
        rep = evaluate_drawings(root, workers=workers, limit=limit)
        text, data = rep.format_report(verbose=True), rep.to_json()
    elif target == "plans":
        from .plans import EVAL_SEED, evaluate_plans

        rep = evaluate_plans(limit or 20, seed or EVAL_SEED, workers=workers)
        text, data = rep.format_report(verbose=verbose), rep.to_json()
    elif target in _FIELD_SETS:
        text, data = _eval_fields(_FIELD_SETS[target], realdocs=realdocs, limit=limit, workers=workers,
                                  options=options or PipelineOptions(), cache=cache, verbose=verbose)
    else:
        raise InputError(f"unknown eval target {target!r}; choose one of {', '.join(TARGETS)}")
    data = {"target": target, **data}
    if not quiet:
        print(text)
    if json_out is not None:
        Path(json_out).write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return data


def _eval_fields(which: str, *, realdocs: Path | None, limit: int | None, workers: int, options: PipelineOptions,
                 cache: Path | None, verbose: bool) -> tuple[str, dict]:
    from . import fields

    root = realdocs_root(realdocs)
    why = fields.missing_set(root, which)
    if why is not None:
        return f"skipped: {why}", {"skipped": why}
    rows, names, threshold = fields.run_set(which, root, options, cache=cache or fields.DEFAULT_CACHE, limit=limit,
                                            workers=workers, verbose=verbose)
    summary = fields.summarize(rows, names, threshold=threshold)
    title = fields.set_title(which, options.structure)
    text = fields.format_summary(summary, title, rows, note=fields.DEVELOPMENT_NOTE)
    return text, {"set": which, "backend": options.structure.backend, "lang": options.ocr.lang,
                  "development_figures": True, **summary, "documents": rows}


__all__ = ["TARGETS", "realdocs_root", "run_eval"]
