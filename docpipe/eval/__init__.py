"""Evaluation: compare outputs with expected JSON, and measure OCR on FUNSD scans and synthetic pages.

One entry point, :func:`run_eval`, for the ``docpipe eval`` command::

    run_eval("folder", pred=Path("out"), expected=Path("sample_docs/expected"))
    run_eval("funsd", workers=2)                 # realdocs from $DOCPIPE_REALDOCS or ../shared/realdocs
    run_eval("synthetic-ocr", limit=20)          # needs docpipe.synth.render_page
    run_eval("edocr2", workers=2)                # pipeline dimensions vs eDOCr2 GT, DOP box recall

Modules: :mod:`.metrics` (CER/WER, IoU, field comparison), :mod:`.realdocs` (ground-truth loaders),
:mod:`.compare` (folder comparison), :mod:`.ocr_eval` (OCR accuracy), :mod:`.drawing_eval` (dimensions on
real drawings).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from .realdocs import realdocs_root

TARGETS = ("folder", "funsd", "synthetic-ocr", "edocr2")


def run_eval(target: str, *, pred: Path | None = None, expected: Path | None = None, realdocs: Path | None = None,
             limit: int | None = None, workers: int = 1, json_out: Path | None = None, seed: int = 0,
             quiet: bool = False) -> dict:
    """Run one evaluation, print a readable report (unless ``quiet``) and return it as a dict.

    - ``folder``: compare ``pred`` (our JSON outputs) with ``expected`` (contract JSON), by file name.
    - ``funsd``: OCR the FUNSD test forms (``limit`` forms; all 50 by default) with ``workers`` processes.
    - ``synthetic-ocr``: OCR ``limit`` (default 20) synthetic pages rendered with ``seed``.
    - ``edocr2``: run the pipeline (rules backend) over the eDOCr2 drawings (``limit`` of them) and the DOP
      drawings with ``workers`` processes; dimension recall, precision and CER per drawing, DOP box recall.

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
    else:
        raise InputError(f"unknown eval target {target!r}; choose one of {', '.join(TARGETS)}")
    data = {"target": target, **data}
    if not quiet:
        print(text)
    if json_out is not None:
        Path(json_out).write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return data


__all__ = ["TARGETS", "realdocs_root", "run_eval"]
