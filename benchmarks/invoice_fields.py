"""Invoice and receipt field accuracy on real documents rendered as image-only scans. Prints figures; asserts
nothing.

    .venv/bin/python benchmarks/invoice_fields.py [--set invoices|zugferd|invoice2data|sroie] [--limit N]
        [--backend llm|rules] [--llm-model PATH] [--llm-engine llamacpp|transformers]
        [--llm-url URL --llm-model-name NAME] [--json FILE]

Inputs come from ``../shared/realdocs`` (or ``$DOCPIPE_REALDOCS``); nothing is copied into the repository.
``invoices`` (the default) is the ZUGFeRD PDFs plus the invoice2data PDFs (Orlen, a text file, is skipped):
each PDF is rendered with ``pdftoppm -r 200 -gray`` into a temporary folder and packed into a multi-page TIFF
at 200 dpi, so the pipeline sees a scan with no text layer. ``sroie`` reads the receipt JPEGs as they are.

Pages are read (orient + Tesseract) once and cached as pickles in ``--cache`` (a temporary-folder default,
outside the repository), so the structuring backends are compared on the same words. The cache key holds the
reader's code (``docpipe.eval.fields._READER_CODE``): a change to OCR or orientation reads the pages again.

The logic lives in :mod:`docpipe.eval.fields` (``docpipe eval invoices`` / ``docpipe eval receipts`` run the
same); this script keeps the benchmark's options (backend, server, threads, psm, ``--set``).

Scoring, per field where the ground truth has a value:
- invoice_number: equal ignoring case, spaces and punctuation (``#BLR_WF..`` == ``BLR_WF..``);
- invoice_date: the same calendar date; total, total_tax: amounts within 0.01; currency: the same ISO code;
- vendor name (and SROIE company, address): CER <= 0.2 between the case-folded, punctuation-free,
  space-collapsed strings (OCR of a name rarely reads every character; 0.2 forgives a few).
A field we leave empty counts as wrong. Confidence is the emitted field's ``confidence`` (a calibrated
probability): the reliability table sets each band's mean confidence against the share right, with the
expected calibration error; auto-accept shows how many documents come out with ``needs_review: false``
(coverage) and how many of those are fully right (precision).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docpipe.eval import fields as _fields  # noqa: E402
from docpipe.eval.fields import (  # noqa: E402,F401  (names models/calibration/fit.py uses)
    BANDS, DEFAULT_CACHE, INVOICE_FIELDS, RECEIPT_FIELDS, field_ok, fold, invoice_docs, names_match, predicted,
    read_all, render_scan)
from docpipe.eval.realdocs import realdocs_root  # noqa: E402
from docpipe.options import IngestOptions, OcrOptions, PipelineOptions, ReviewOptions, StructureOptions  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="invoices", choices=tuple(_fields.SETS))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--backend", default="llm", choices=("rules", "llm"))
    ap.add_argument("--llm-model", type=Path, default=None)
    ap.add_argument("--llm-engine", default=None, choices=("llamacpp", "transformers"),
                    help="what runs the embedded model (default: StructureOptions' default)")
    ap.add_argument("--llm-url", default=None)
    ap.add_argument("--llm-model-name", default=None)
    ap.add_argument("--llm-threads", type=int, default=None)
    ap.add_argument("--llm-ask", default=None, choices=("open", "all"), help="fields asked of the model")
    ap.add_argument("--llm-receipts", action="store_true", default=None,
                    help="also ask the model the fields the receipt rules leave open")
    ap.add_argument("--lang", default=OcrOptions().lang)
    ap.add_argument("--psm", type=int, default=OcrOptions().psm)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for reading pages")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--realdocs", type=Path, default=None)
    ap.add_argument("--review-threshold", type=float, default=None,
                    help="auto-accept threshold (default: the calibration file's)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures and per-document rows here")
    ap.add_argument("--verbose", "-v", action="store_true", help="print expected vs predicted values")
    args = ap.parse_args()

    root = realdocs_root(args.realdocs)
    if root is None:
        sys.exit("realdocs not found: pass --realdocs or set DOCPIPE_REALDOCS")
    if (why := _fields.missing_set(root, args.set)) is not None:
        sys.exit(why)
    sopts = {"backend": args.backend}
    for k in ("llm_model", "llm_engine", "llm_url", "llm_model_name", "llm_threads", "llm_ask",
              "llm_receipts"):
        if getattr(args, k) is not None:
            sopts[k] = getattr(args, k)
    options = PipelineOptions(ocr=OcrOptions(lang=args.lang, psm=args.psm), workers=1, ingest=IngestOptions(),
                              structure=StructureOptions(**sopts),
                              review=ReviewOptions(threshold=args.review_threshold))
    rows, names, threshold = _fields.run_set(args.set, root, options, cache=args.cache, limit=args.limit,
                                             workers=args.workers, verbose=args.verbose,
                                             log=lambda line: print(line, flush=True))
    summary = _fields.summarize(rows, names, threshold=threshold)
    print()
    print(_fields.format_summary(summary, _fields.set_title(args.set, options.structure), rows))
    load = os.getloadavg()
    print(f"\nload average during the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    if args.json:
        args.json.write_text(json.dumps({"set": args.set, "backend": args.backend, **summary, "documents": rows},
                                        indent=1, default=str))


if __name__ == "__main__":
    main()
