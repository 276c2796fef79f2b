"""Invoice and receipt field accuracy on real documents rendered as image-only scans. Prints figures; asserts
nothing.

    .venv/bin/python benchmarks/invoice_fields.py [--set invoices|zugferd|invoice2data|sroie] [--limit N]
        [--backend llm|rules] [--llm-model PATH | --llm-url URL --llm-model-name NAME] [--json FILE]

Inputs come from ``../shared/realdocs`` (or ``$DOCPIPE_REALDOCS``); nothing is copied into the repository.
``invoices`` (the default) is the ZUGFeRD PDFs plus the invoice2data PDFs (Orlen, a text file, is skipped):
each PDF is rendered with ``pdftoppm -r 200 -gray`` into a temporary folder and packed into a multi-page TIFF
at 200 dpi, so the pipeline sees a scan with no text layer. ``sroie`` reads the receipt JPEGs as they are.

Pages are read (orient + Tesseract) once and cached as pickles in ``--cache`` (a temporary-folder default,
outside the repository), so the structuring backends are compared on the same words. The cache key holds the
reader's code (``_READER_CODE``): a change to OCR or orientation reads the pages again.

Scoring, per field where the ground truth has a value:
- invoice_number: equal ignoring case, spaces and punctuation (``#BLR_WF..`` == ``BLR_WF..``);
- invoice_date: the same calendar date; total, total_tax: amounts within 0.01; currency: the same ISO code;
- vendor name (and SROIE company, address): CER <= 0.2 between the case-folded, punctuation-free,
  space-collapsed strings (OCR of a name rarely reads every character; 0.2 forgives a few).
A field we leave empty counts as wrong. Confidence is the emitted field's ``confidence``; the table shows how
accuracy varies with it (the point of a confidence: a reviewer can trust the high bins).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from docpipe.eval.metrics import amounts_equal, cer, dates_equal, text_key  # noqa: E402
from docpipe.eval.metrics import parse_date as metric_date  # noqa: E402
from docpipe.normalize import parse_date  # noqa: E402
from docpipe.eval.realdocs import load_invoice2data, load_sroie, load_zugferd, realdocs_root  # noqa: E402
from docpipe.options import IngestOptions, OcrOptions, PipelineOptions, StructureOptions  # noqa: E402

INVOICE_FIELDS = ("invoice_number", "invoice_date", "total", "total_tax", "currency", "vendor.name")
RECEIPT_FIELDS = ("company", "address", "date", "total")
BINS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.85), (0.85, 0.95), (0.95, 1.01))


def fold(s: object) -> str:
    s = unicodedata.normalize("NFKC", "" if s is None else str(s)).casefold()
    s = "".join(ch if ch.isalnum() else " " for ch in s)
    return " ".join(s.split())


def names_match(exp: object, pred: object, max_cer: float = 0.2) -> bool:
    if pred is None or exp is None:
        return False
    a, b = fold(exp), fold(pred)
    return bool(a) and cer(a, b) <= max_cer


def field_ok(name: str, exp: object, pred: object) -> bool:
    if pred is None:
        return False
    if name in ("invoice_date", "date"):
        # The same calendar date; ground truth printed as '01/APR/2017' is read by the pipeline's parser
        # where the metric's does not.
        return dates_equal(exp, pred) or (parse_date(str(exp)) is not None
                                          and parse_date(str(exp)) == metric_date(pred))
    if name in ("total", "total_tax"):
        return amounts_equal(exp, pred)
    if name == "currency":
        return str(exp).upper() == str(pred).upper()
    if name == "invoice_number":
        return text_key(exp).lstrip("#") == text_key(pred).lstrip("#")
    return names_match(exp, pred)


# --- inputs -------------------------------------------------------------------------------------------------


def render_scan(pdf: Path, out_dir: Path) -> Path:
    """``pdf`` as an image-only multi-page TIFF at 200 dpi (grayscale), via pdftoppm."""
    target = out_dir / f"{pdf.stem}.tif"
    if target.exists():
        return target
    tmp = out_dir / f"_{pdf.stem}"
    tmp.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", str(pdf), str(tmp / "p")], check=True)
    pages = [Image.open(p) for p in sorted(tmp.glob("p-*.png"))]
    pages[0].save(target, save_all=True, append_images=pages[1:], dpi=(200, 200), compression="tiff_deflate")
    shutil.rmtree(tmp)
    return target


def invoice_docs(root: Path, which: str, limit: int | None) -> list[tuple[str, Path, dict]]:
    docs = []
    if which in ("invoices", "zugferd"):
        docs += [(f"zugferd/{e.doc_id}", e.pdf, e.fields) for e in load_zugferd(root)]
    if which in ("invoices", "invoice2data"):
        for e in load_invoice2data(root):
            pdf = next((p for p in e.inputs if p.suffix.lower() == ".pdf"), None)
            if pdf is not None:
                docs.append((f"invoice2data/{e.doc_id}", pdf, e.fields))
    return docs[:limit]


# --- reading (cached) ---------------------------------------------------------------------------------------

_reader = None


def _read_job(job: tuple[str, str, str, int]) -> tuple[str, list]:
    """Read every page of one file with a worker-local rules-only pipeline (no LLM in the readers)."""
    global _reader
    key, path, lang, psm = job
    os.environ["OMP_THREAD_LIMIT"] = "1"
    from docpipe.pipeline import Pipeline

    if _reader is None:
        _reader = Pipeline(PipelineOptions(ocr=OcrOptions(lang=lang, psm=psm), workers=1,
                                           structure=StructureOptions(backend="rules")))
    src = _reader.probe(Path(path), Path(path).parent)
    return key, [src, [_reader.read_page(src, n) for n in range(1, src.pages + 1)]]


# The modules whose code decides what the reader sees: a change to any of them makes cached pages stale. The
# reader's options enter as their default values (not options.py's text, which other stages' options share).
_READER_CODE = ("ingest.py", "orient.py", "ocr.py", "read.py")


@functools.cache
def _reader_code_hash() -> str:
    from docpipe.options import IngestOptions, OrientOptions

    defaults = "|".join(o().model_dump_json() for o in (IngestOptions, OrientOptions, OcrOptions)).encode()
    return hashlib.sha256(b"".join((ROOT / "docpipe" / name).read_bytes() for name in _READER_CODE)
                          + defaults).hexdigest()


def _cache_tag(path: Path, lang: str, psm: int) -> str:
    code = _reader_code_hash()
    return hashlib.sha256(f"{path.resolve()}|{lang}|{psm}|{path.stat().st_size}|{code}".encode()).hexdigest()[:16]


def read_all(files: dict[str, Path], cache: Path, lang: str, psm: int, workers: int) -> dict[str, tuple]:
    cache.mkdir(parents=True, exist_ok=True)
    out, jobs = {}, []
    for key, path in files.items():
        tag = _cache_tag(path, lang, psm)
        cpath = cache / f"{tag}.pkl"
        if cpath.exists():
            out[key] = pickle.loads(cpath.read_bytes())
        else:
            jobs.append((key, str(path), lang, psm))
    if jobs:
        print(f"reading {len(jobs)} documents with {workers} workers (cached in {cache}) ...", flush=True)
        t0 = time.perf_counter()
        with ProcessPoolExecutor(workers) as pool:
            for key, value in pool.map(_read_job, jobs):
                path = files[key]
                tag = _cache_tag(path, lang, psm)
                (cache / f"{tag}.pkl").write_bytes(pickle.dumps(value))
                out[key] = value
        print(f"  read in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


# --- scoring ------------------------------------------------------------------------------------------------


def predicted(result, name: str) -> tuple[object, float | None]:
    inv = result.invoice
    if inv is None:
        return None, None
    path = {"vendor.name": ("vendor", "name"), "company": ("vendor", "name"), "address": ("vendor", "address"),
            "date": ("invoice_date",)}.get(name, (name,))
    obj = inv
    for p in path:
        obj = getattr(obj, p, None)
        if obj is None:
            return None, None
    value = obj.value
    return (value.isoformat() if hasattr(value, "isoformat") else value), obj.confidence


def report(rows: list[dict], fields: tuple[str, ...], title: str) -> dict:
    print(f"\n== {title}: {len(rows)} documents")
    per_field = {}
    for f in fields:
        scored = [r["fields"][f] for r in rows if f in r["fields"]]
        ok = sum(s["ok"] for s in scored)
        per_field[f] = {"n": len(scored), "correct": ok, "accuracy": round(ok / len(scored), 3) if scored else None}
    n_all = sum(v["n"] for v in per_field.values())
    ok_all = sum(v["correct"] for v in per_field.values())
    print(f"{'field':16} {'n':>4} {'correct':>8} {'accuracy':>9}")
    for f, v in per_field.items():
        print(f"{f:16} {v['n']:>4} {v['correct']:>8} {v['accuracy'] if v['accuracy'] is not None else '-':>9}")
    print(f"{'all':16} {n_all:>4} {ok_all:>8} {ok_all / n_all if n_all else 0:>9.3f}")
    secs = [r["seconds"] for r in rows]
    llm = [r["llm_seconds"] for r in rows]
    pages = sum(r["pages"] for r in rows)
    print(f"structure seconds per document: {sum(secs) / len(secs):.2f} (LLM {sum(llm) / len(llm):.2f}; "
          f"{sum(llm) / max(1, pages):.2f} per page, {pages} pages); OCR seconds per page: "
          f"{sum(r['ocr_seconds'] for r in rows) / max(1, pages):.2f}")
    print("\naccuracy by confidence (all scored fields)")
    print(f"{'confidence':12} {'n':>4} {'accuracy':>9}")
    table = []
    for lo, hi in BINS:
        cell = [s for r in rows for s in r["fields"].values() if s["conf"] is not None and lo <= s["conf"] < hi]
        acc = sum(s["ok"] for s in cell) / len(cell) if cell else None
        table.append({"bin": [lo, min(hi, 1.0)], "n": len(cell), "accuracy": acc})
        print(f"[{lo:.2f},{min(hi, 1.0):.2f}) {len(cell):>4} {acc if acc is None else round(acc, 3)!s:>9}")
    empty = [s for r in rows for s in r["fields"].values() if s["conf"] is None]
    print(f"{'empty':12} {len(empty):>4}")
    print("\nper document (x = wrong or empty)")
    for r in rows:
        marks = " ".join(f"{f}={'ok' if s['ok'] else 'x'}" for f, s in r["fields"].items())
        print(f"  {r['doc']:50} {r['doc_type']:8} {r['seconds']:6.1f}s  {marks}")
    return {"fields": per_field, "by_confidence": table, "documents": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="invoices", choices=("invoices", "zugferd", "invoice2data", "sroie"))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--backend", default="llm", choices=("rules", "llm"))
    ap.add_argument("--llm-model", type=Path, default=None)
    ap.add_argument("--llm-url", default=None)
    ap.add_argument("--llm-model-name", default=None)
    ap.add_argument("--llm-threads", type=int, default=None)
    ap.add_argument("--llm-ask", default=None, choices=("open", "all"), help="fields asked of the model")
    ap.add_argument("--lang", default="eng+deu+fra+nld")
    ap.add_argument("--psm", type=int, default=OcrOptions().psm)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for reading pages")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "docpipe-bench-cache")
    ap.add_argument("--realdocs", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures and per-document rows here")
    ap.add_argument("--verbose", "-v", action="store_true", help="print expected vs predicted values")
    args = ap.parse_args()

    root = realdocs_root(args.realdocs)
    if root is None:
        sys.exit("realdocs not found: pass --realdocs or set DOCPIPE_REALDOCS")
    scans = args.cache / "scans"
    scans.mkdir(parents=True, exist_ok=True)
    if args.set == "sroie":
        receipts = load_sroie(root, limit=args.limit)
        files = {f"sroie/{r.doc_id}": r.image for r in receipts}
        truth = {f"sroie/{r.doc_id}": {"company": r.company, "address": r.address, "date": r.date,
                                       "total": r.total} for r in receipts}
        fields = RECEIPT_FIELDS
    else:
        docs = invoice_docs(root, args.set, args.limit)
        print(f"rendering {len(docs)} PDFs with pdftoppm -r 200 -gray into {scans} ...", flush=True)
        files = {key: render_scan(pdf, scans) for key, pdf, _ in docs}
        truth = {key: {f: fields_.get(f) for f in INVOICE_FIELDS if fields_.get(f) is not None}
                 for key, _, fields_ in docs}
        fields = INVOICE_FIELDS
    read = read_all(files, args.cache / "pages", args.lang, args.psm, args.workers)

    from docpipe.pipeline import Pipeline

    sopts = {"backend": args.backend}
    for k in ("llm_model", "llm_url", "llm_model_name", "llm_threads", "llm_ask"):
        if getattr(args, k) is not None:
            sopts[k] = getattr(args, k)
    pipe = Pipeline(PipelineOptions(ocr=OcrOptions(lang=args.lang, psm=args.psm), workers=1,
                                    ingest=IngestOptions(), structure=StructureOptions(**sopts)))
    rows = []
    for key in files:
        src, outcomes = read[key]
        t0 = time.perf_counter()
        result, structured = pipe.finish_detailed(src, outcomes)
        seconds = time.perf_counter() - t0
        llm_s = structured.llm_seconds if structured is not None else 0.0
        row = {"doc": key, "doc_type": result.doc_type, "pages": len(result.pages), "seconds": round(seconds, 2),
               "llm_seconds": round(llm_s, 2), "ocr_seconds": sum(o.timings.get("ocr", 0.0) for o in outcomes),
               "fields": {}, "errors": [e.message for e in result.errors]}
        for f in fields:
            if f not in truth[key]:
                continue
            value, conf = predicted(result, f)
            ok = field_ok(f, truth[key][f], value)
            row["fields"][f] = {"ok": ok, "conf": conf, "expected": str(truth[key][f]), "predicted": value}
            if args.verbose and not ok:
                print(f"  {key} {f}: expected {truth[key][f]!r}, got {value!r} (conf {conf})")
        rows.append(row)
        if result.errors:
            print(f"  {key}: {result.errors[0].message}")
    title = f"{args.set} ({args.backend}{', ' + str(args.llm_model or args.llm_url or 'embedded') if args.backend == 'llm' else ''})"
    out = report(rows, fields, title)
    load = os.getloadavg()
    print(f"\nload average during the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    if args.json:
        args.json.write_text(json.dumps({"set": args.set, "backend": args.backend, **out}, indent=1, default=str))


if __name__ == "__main__":
    main()
