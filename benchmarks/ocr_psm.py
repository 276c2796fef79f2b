"""Which Tesseract page segmentation mode reads our documents best? Prints word accuracy, CER and speed per
psm and document kind on synthetic pages (exact ground truth), and optionally on FUNSD forms.

    .venv/bin/python benchmarks/ocr_psm.py [--pages 6] [--psm 4 6 11 12] [--funsd 10]

Prints figures only; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os

from docpipe.eval.realdocs import realdocs_root
from docpipe.eval.ocr_eval import evaluate_ocr_funsd, evaluate_ocr_synthetic
from docpipe.options import OcrOptions, OrientOptions
from docpipe.read import PageReader


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=6, help="synthetic pages per kind")
    ap.add_argument("--psm", type=int, nargs="+", default=[4, 6, 11, 12])
    ap.add_argument("--kinds", nargs="+", default=["invoice", "receipt", "drawing"])
    ap.add_argument("--funsd", type=int, default=0, help="also score this many FUNSD forms")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    print(f"{'set':10} {'psm':>3} {'pages':>5} {'word acc':>8} {'word CER':>8} {'missed':>7} {'page CER':>8} "
          f"{'s/page':>6}")
    for kind in args.kinds:
        for psm in args.psm:
            reader = PageReader(OrientOptions(), OcrOptions(psm=psm))
            rep = evaluate_ocr_synthetic(args.pages, seed=7, reader=reader, kinds=(kind,), workers=args.workers)
            _row(kind, psm, rep.summary())
    root = realdocs_root()
    if args.funsd and root is not None:
        for psm in args.psm:
            reader = PageReader(OrientOptions(), OcrOptions(psm=psm))
            _row("funsd", psm, evaluate_ocr_funsd(root, reader, limit=args.funsd, workers=args.workers).summary())


def _row(name: str, psm: int, s: dict) -> None:
    if not s.get("pages"):
        print(f"{name:10} {psm:>3} no pages ({s})")
        return
    print(f"{name:10} {psm:>3} {s['pages']:>5} {s['word_acc']:>8.3f} {s['word_cer_micro']:>8.3f} "
          f"{s['word_unmatched']:>7.3f} {s['page_cer_mean']:>8.3f} {s['seconds_per_page_reader']:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
