"""Key-field accuracy and calibration of invoices and receipts: per-field accuracy, a reliability table with the
expected calibration error, and auto-accept coverage and precision.

Two sources of scored documents, one report (:func:`summarize`, :func:`format_summary`):

- the shared real documents (``docpipe eval invoices|receipts``, ``benchmarks/invoice_fields.py``): the
  invoice PDFs rendered as 200-dpi image-only scans (:func:`render_scan`), the SROIE receipt photos as they are;
  pages are read once and cached (:func:`read_all`), then structured by the pipeline (:func:`run_set`);
- a run's output folder against expected JSON (``docpipe eval folder``; :func:`document_row`).

Scoring of one key field, where the ground truth has a value (:func:`field_ok`):

- invoice number: equal ignoring case, spaces and punctuation (``#BLR_WF..`` == ``BLR_WF..``);
- dates: the same calendar date; totals and tax: amounts within 0.01; currency: the same ISO code;
- names and addresses: CER <= 0.2 between the case-folded, punctuation-free, space-collapsed strings (OCR of a
  name rarely reads every character; 0.2 forgives a few).

A field we leave empty counts as wrong; it has no confidence and so stays out of the reliability table (it is
counted on the table's ``empty`` line). A document is *fully right* when every scored key field is right (a
document with no scored field counts as fully right, as in ``models/calibration/fit.py``) and *auto-accepted*
when its result says ``needs_review: false``. Confidences are in ``[0, 1]``; a band ``[lo, hi)`` holds
``lo <= p < hi``, and the last band also holds ``p == 1``.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image

from ..calibrate import KEY_FIELDS
from ..normalize import parse_date
from ..options import OcrOptions, OrientOptions, PipelineOptions, StructureOptions
from .metrics import amounts_equal, cer, dates_equal, text_key
from .metrics import parse_date as metric_date
from .realdocs import load_invoice2data, load_sroie, load_zugferd

INVOICE_FIELDS = ("invoice_number", "invoice_date", "total", "total_tax", "currency", "vendor.name")
"""Scored fields of the real invoices, named as the ground truth names them (``vendor.name``)."""
RECEIPT_FIELDS = ("company", "address", "date", "total")
"""Scored fields of the SROIE receipts, named as SROIE names them."""
BANDS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.85), (0.85, 0.9), (0.9, 0.95), (0.95, 1.0))
"""Confidence bands of the reliability table (the last one closed at 1)."""
HIGH_CONFIDENCE = 0.9
SETS = {"invoices": ("einvoice_zugferd", "invoice2data"), "zugferd": ("einvoice_zugferd",),
        "invoice2data": ("invoice2data",), "sroie": ("sroie",)}
"""The real-document sets and the realdocs sub-folders each needs."""
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "docpipe-bench-cache"
"""Rendered scans (``scans/``) and read pages (``pages/``), outside the repository."""

ROOT = Path(__file__).resolve().parents[2]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --- matching -----------------------------------------------------------------------------------------------


def fold(s: object) -> str:
    """NFKC, case-folded, every non-alphanumeric character a space, spaces collapsed."""
    s = unicodedata.normalize("NFKC", "" if s is None else str(s)).casefold()
    s = "".join(ch if ch.isalnum() else " " for ch in s)
    return " ".join(s.split())


def names_match(exp: object, pred: object, max_cer: float = 0.2) -> bool:
    """CER of the folded strings <= ``max_cer`` (an empty expected name matches nothing)."""
    if pred is None or exp is None:
        return False
    a, b = fold(exp), fold(pred)
    return bool(a) and cer(a, b) <= max_cer


def field_ok(name: str, exp: object, pred: object) -> bool:
    """Whether ``pred`` is right for the field ``name`` whose ground truth is ``exp`` (module docstring)."""
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


_PATHS = {"vendor.name": ("vendor", "name"), "company": ("vendor", "name"), "address": ("vendor", "address"),
          "date": ("invoice_date",), "vendor_name": ("vendor", "name"), "vendor_address": ("vendor", "address")}


def predicted(result, name: str) -> tuple[object, float | None]:
    """The value (dates as ISO strings) and confidence of field ``name`` of a ``DocumentResult``; (None, None)
    when the field is empty. ``name`` is a benchmark name (``vendor.name``, ``company``, ``date``) or a key
    field of :data:`docpipe.calibrate.KEY_FIELDS` (``vendor_name``)."""
    inv = result.invoice
    if inv is None:
        return None, None
    obj = inv
    for p in _PATHS.get(name, (name,)):
        obj = getattr(obj, p, None)
        if obj is None:
            return None, None
    value = obj.value
    return (value.isoformat() if hasattr(value, "isoformat") else value), obj.confidence


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
    """``(key, pdf, ground truth)`` of the ZUGFeRD and/or invoice2data PDFs (Orlen, a text file, is skipped)."""
    docs = []
    if which in ("invoices", "zugferd"):
        docs += [(f"zugferd/{e.doc_id}", e.pdf, e.fields) for e in load_zugferd(root)]
    if which in ("invoices", "invoice2data"):
        for e in load_invoice2data(root):
            pdf = next((p for p in e.inputs if p.suffix.lower() == ".pdf"), None)
            if pdf is not None:
                docs.append((f"invoice2data/{e.doc_id}", pdf, e.fields))
    return docs[:limit]


def missing_set(root: Path | None, which: str) -> str | None:
    """Why the set ``which`` cannot be evaluated under ``root`` (None when it can)."""
    if root is None:
        return "the realdocs folder was not found; pass --realdocs or set DOCPIPE_REALDOCS"
    absent = [d for d in SETS[which] if not (root / d).is_dir()]
    return f"{root} has no {', '.join(d + '/' for d in absent)}" if absent else None


def load_set(which: str, root: Path, scans: Path, limit: int | None = None, log: Callable[[str], None] = _stderr
             ) -> tuple[dict[str, Path], dict[str, dict], tuple[str, ...]]:
    """The files to read, their ground truth (field -> value, only where known) and the scored fields."""
    if which == "sroie":
        receipts = load_sroie(root, limit=limit)
        files = {f"sroie/{r.doc_id}": r.image for r in receipts}
        truth = {f"sroie/{r.doc_id}": {"company": r.company, "address": r.address, "date": r.date,
                                       "total": r.total} for r in receipts}
        return files, truth, RECEIPT_FIELDS
    docs = invoice_docs(root, which, limit)
    scans.mkdir(parents=True, exist_ok=True)
    log(f"rendering {len(docs)} PDFs with pdftoppm -r 200 -gray into {scans} ...")
    files = {key: render_scan(pdf, scans) for key, pdf, _ in docs}
    truth = {key: {f: fields_.get(f) for f in INVOICE_FIELDS if fields_.get(f) is not None}
             for key, _, fields_ in docs}
    return files, truth, INVOICE_FIELDS


# --- reading (cached) ---------------------------------------------------------------------------------------

_reader = None


def _read_job(job: tuple[str, str, str, int]) -> tuple[str, list]:
    """Read every page of one file with a worker-local rules-only pipeline (no LLM in the readers)."""
    global _reader
    key, path, lang, psm = job
    # No OMP_THREAD_LIMIT here: docpipe.ocr gives it to Tesseract's processes only.
    from ..pipeline import Pipeline

    if _reader is None:
        _reader = Pipeline(PipelineOptions(ocr=OcrOptions(lang=lang, psm=psm), workers=1,
                                           structure=StructureOptions(backend="rules")))
    src = _reader.probe(Path(path), Path(path).parent)
    return key, [src, _reader.read_pages(src)]


# The modules whose code decides what the reader sees: a change to any of them makes cached pages stale. The
# reader's options enter as their default values (not options.py's text, which other stages' options share).
_READER_CODE = ("ingest.py", "orient.py", "ocr.py", "read.py", "read_regions.py", "language.py")


@functools.cache
def _reader_code_hash() -> str:
    from ..options import IngestOptions

    defaults = "|".join(o().model_dump_json() for o in (IngestOptions, OrientOptions, OcrOptions)).encode()
    return hashlib.sha256(b"".join((ROOT / "docpipe" / name).read_bytes() for name in _READER_CODE)
                          + defaults).hexdigest()


def _cache_tag(path: Path, lang: str, psm: int) -> str:
    code = _reader_code_hash()
    return hashlib.sha256(f"{path.resolve()}|{lang}|{psm}|{path.stat().st_size}|{code}".encode()).hexdigest()[:16]


def read_all(files: dict[str, Path], cache: Path, lang: str, psm: int, workers: int,
             log: Callable[[str], None] = print) -> dict[str, tuple]:
    """``key -> (SourceFile, [PageOutcome, ...])`` for every file, read with ``workers`` processes where the
    cache (``cache/<tag>.pkl``, tag from the file's path and size, ``lang``, ``psm`` and the reader's code)
    has no copy yet."""
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
        log(f"reading {len(jobs)} documents with {workers} workers (cached in {cache}) ...")
        t0 = time.perf_counter()
        with ProcessPoolExecutor(workers) as pool:
            for key, value in pool.map(_read_job, jobs):
                path = files[key]
                tag = _cache_tag(path, lang, psm)
                (cache / f"{tag}.pkl").write_bytes(pickle.dumps(value))
                out[key] = value
        log(f"  read in {time.perf_counter() - t0:.0f} s")
    return out


# --- scored rows --------------------------------------------------------------------------------------------


def score(truth: Mapping[str, object], fields: Iterable[str], result) -> dict[str, dict]:
    """``field -> {ok, conf, expected, predicted}`` for each of ``fields`` the ground truth has."""
    out = {}
    for f in fields:
        if f not in truth:
            continue
        value, conf = predicted(result, f)
        out[f] = {"ok": field_ok(f, truth[f], value), "conf": conf, "expected": str(truth[f]), "predicted": value}
    return out


def document_row(name: str, expected, pred) -> dict | None:
    """The scored row of one output document against its expected ``DocumentResult``: the key fields of the
    expected kind (:data:`docpipe.calibrate.KEY_FIELDS`) that the expected document has; None when it is
    neither an invoice nor a receipt."""
    if expected.doc_type not in KEY_FIELDS or expected.invoice is None:
        return None
    truth = {}
    for f in KEY_FIELDS[expected.doc_type]:
        value, _ = predicted(expected, f)
        if value is not None:
            truth[f] = value
    return {"doc": name, "kind": expected.doc_type, "doc_type": pred.doc_type, "needs_review": pred.needs_review,
            "fields": score(truth, KEY_FIELDS[expected.doc_type], pred)}


# --- figures ------------------------------------------------------------------------------------------------


def _band_of(p: float, bands: Sequence[tuple[float, float]]) -> int | None:
    for i, (lo, hi) in enumerate(bands):
        if lo <= p < hi or (i == len(bands) - 1 and p == hi):
            return i
    return None


def reliability(pairs: Iterable[tuple[float, bool]], bands: Sequence[tuple[float, float]] = BANDS
                ) -> tuple[list[dict], float | None]:
    """Rows ``{band, n, mean_confidence, share_right}`` (None where a band is empty) of ``(confidence, right)``
    pairs, and the expected calibration error: the mean over bands of ``|mean confidence - share right|``
    weighted by the band's share of the pairs (None without pairs). Pairs outside every band are ignored."""
    cells: list[list[tuple[float, bool]]] = [[] for _ in bands]
    for p, ok in pairs:
        i = _band_of(p, bands)
        if i is not None:
            cells[i].append((p, bool(ok)))
    n = sum(len(c) for c in cells)
    rows, ece = [], 0.0
    for (lo, hi), cell in zip(bands, cells):
        if not cell:
            rows.append({"band": [lo, hi], "n": 0, "mean_confidence": None, "share_right": None})
            continue
        mean_p = sum(p for p, _ in cell) / len(cell)
        right = sum(ok for _, ok in cell) / len(cell)
        ece += len(cell) / n * abs(mean_p - right)
        rows.append({"band": [lo, hi], "n": len(cell), "mean_confidence": mean_p, "share_right": right})
    return rows, (ece if n else None)


def _share(a: int, b: int) -> float | None:
    return a / b if b else None


def auto_accept(rows: Sequence[dict]) -> dict:
    """Coverage (accepted / documents) and precision (fully right among accepted) of ``needs_review: false``,
    and how many documents are fully right overall."""
    accepted = [r for r in rows if not r["needs_review"]]
    right = [r for r in rows if all(s["ok"] for s in r["fields"].values())]
    accepted_right = [r for r in accepted if all(s["ok"] for s in r["fields"].values())]
    return {"documents": len(rows), "accepted": len(accepted), "coverage": _share(len(accepted), len(rows)),
            "accepted_right": len(accepted_right), "precision": _share(len(accepted_right), len(accepted)),
            "fully_right": len(right), "fully_right_share": _share(len(right), len(rows))}


def high_confidence(pairs: Iterable[tuple[float, bool]], at: float = HIGH_CONFIDENCE) -> dict:
    """How many pairs have a confidence of at least ``at``, and the share of them right."""
    hi = [ok for p, ok in pairs if p >= at]
    return {"at": at, "n": len(hi), "share_right": _share(sum(hi), len(hi))}


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


def summarize(rows: Sequence[dict], fields: Sequence[str], *, threshold: float | None = None) -> dict:
    """Every figure of the report from scored rows (each ``{doc, needs_review, fields: {name: {ok, conf}}}``)."""
    per_field = {}
    for f in fields:
        scored = [r["fields"][f] for r in rows if f in r["fields"]]
        ok = sum(s["ok"] for s in scored)
        per_field[f] = {"n": len(scored), "correct": ok, "accuracy": _r(_share(ok, len(scored)), 3)}
    n_all = sum(v["n"] for v in per_field.values())
    ok_all = sum(v["correct"] for v in per_field.values())
    pairs = [(s["conf"], s["ok"]) for r in rows for s in r["fields"].values() if s["conf"] is not None]
    table, ece = reliability(pairs)
    table = [{**t, "mean_confidence": _r(t["mean_confidence"]), "share_right": _r(t["share_right"])} for t in table]
    high = high_confidence(pairs)
    out = {"n_documents": len(rows), "fields": per_field,
           "all": {"n": n_all, "correct": ok_all, "accuracy": _r(_share(ok_all, n_all), 3)},
           "reliability": table, "ece": _r(ece), "empty": sum(1 for r in rows for s in r["fields"].values()
                                                             if s["conf"] is None),
           "high_confidence": {**high, "share_right": _r(high["share_right"])},
           "auto_accept": {k: _r(v) if isinstance(v, float) else v for k, v in auto_accept(rows).items()},
           "review_threshold": threshold}
    if rows and all("seconds" in r for r in rows):
        pages = sum(r["pages"] for r in rows)
        out["timing"] = {"structure_s_per_doc": _r(sum(r["seconds"] for r in rows) / len(rows), 2),
                         "llm_s_per_doc": _r(sum(r["llm_seconds"] for r in rows) / len(rows), 2),
                         "llm_s_per_page": _r(sum(r["llm_seconds"] for r in rows) / max(1, pages), 2),
                         "ocr_s_per_page": _r(sum(r["ocr_seconds"] for r in rows) / max(1, pages), 2),
                         "pages": pages}
    return out


def _f(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def format_summary(summary: dict, title: str, rows: Sequence[dict] = (), *, note: str | None = None) -> str:
    """The printed report: per-field accuracy, reliability table with ECE, auto-accept; one line per row of
    ``rows`` (pass none to leave the per-document list out)."""
    out = [f"== {title}: {summary['n_documents']} documents"]
    if note:
        out.append(note)
    out.append(f"{'field':16} {'n':>4} {'correct':>8} {'accuracy':>9}")
    for f, v in summary["fields"].items():
        out.append(f"{f:16} {v['n']:>4} {v['correct']:>8} {_f(v['accuracy']):>9}")
    a = summary["all"]
    out.append(f"{'all':16} {a['n']:>4} {a['correct']:>8} {_f(a['accuracy']):>9}")
    if t := summary.get("timing"):
        out.append(f"structure seconds per document: {t['structure_s_per_doc']:.2f} (LLM {t['llm_s_per_doc']:.2f}; "
                   f"{t['llm_s_per_page']:.2f} per page, {t['pages']} pages); OCR seconds per page: "
                   f"{t['ocr_s_per_page']:.2f}")
    out += ["", f"reliability (fields with a value; expected calibration error {_f(summary['ece'])})",
            f"{'confidence':12} {'n':>4} {'mean conf':>9} {'share right':>11}"]
    for b in summary["reliability"]:
        lo, hi = b["band"]
        band = f"[{lo:.2f},{hi:.2f}{']' if b is summary['reliability'][-1] else ')'}"
        out.append(f"{band:12} {b['n']:>4} {_f(b['mean_confidence']):>9} {_f(b['share_right']):>11}")
    out.append(f"{'empty':12} {summary['empty']:>4}  (no value: counted wrong, not in the table)")
    h = summary["high_confidence"]
    out.append(f"confidence >= {h['at']:.2f}: {h['n']} fields, {_f(h['share_right'])} right")
    aa = summary["auto_accept"]
    threshold = summary.get("review_threshold")
    at = f" at review threshold {threshold:.2f}" if threshold is not None else ""
    out += ["", f"auto-accept (needs_review false{at})",
            f"accepted {aa['accepted']} of {aa['documents']} documents (coverage {_f(aa['coverage'])}); fully right "
            f"among accepted {aa['accepted_right']} (precision {_f(aa['precision'])}); fully right overall "
            f"{aa['fully_right']} of {aa['documents']}"]
    if rows:
        out += ["", "per document (x = wrong or empty; auto = accepted without review)"]
        for r in rows:
            marks = " ".join(f"{f}={'ok' if s['ok'] else 'x'}" for f, s in r["fields"].items())
            secs = f" {r['seconds']:6.1f}s" if "seconds" in r else ""
            out.append(f"  {r['doc']:50} {r['doc_type']:8}{secs} {'review' if r['needs_review'] else 'auto':6} "
                       f"{marks}")
    return "\n".join(out)


# --- running a set ------------------------------------------------------------------------------------------


def run_set(which: str, root: Path, options: PipelineOptions, *, cache: Path = DEFAULT_CACHE,
            limit: int | None = None, workers: int = 1, verbose: bool = False,
            log: Callable[[str], None] = _stderr) -> tuple[list[dict], tuple[str, ...], float]:
    """Score the pipeline (``options``; its OCR language and mode also read the pages) on a real-document set
    (:data:`SETS`). Returns the scored rows, the scored fields and the review threshold the pipeline used."""
    from ..pipeline import Pipeline

    files, truth, fields = load_set(which, root, cache / "scans", limit, log)
    read = read_all(files, cache / "pages", options.ocr.lang, options.ocr.psm, workers, log)
    pipe = Pipeline(options)
    rows = []
    for key in files:
        src, outcomes = read[key]
        t0 = time.perf_counter()
        result, structured = pipe.finish_detailed(src, outcomes)
        seconds = time.perf_counter() - t0
        llm_s = structured.llm_seconds if structured is not None else 0.0
        row = {"doc": key, "doc_type": result.doc_type, "pages": len(result.pages), "seconds": round(seconds, 2),
               "llm_seconds": round(llm_s, 2), "ocr_seconds": sum(o.timings.get("ocr", 0.0) for o in outcomes),
               "asked": list(structured.asked) if structured is not None else [],
               "needs_review": result.needs_review, "review_reasons": list(result.review_reasons),
               "fields": score(truth[key], fields, result), "errors": [e.message for e in result.errors]}
        if verbose:
            for f, s in row["fields"].items():
                if not s["ok"]:
                    log(f"  {key} {f}: expected {truth[key][f]!r}, got {s['predicted']!r} (conf {s['conf']})")
        rows.append(row)
        if result.errors:
            log(f"  {key}: {result.errors[0].message}")
    return rows, fields, pipe.review_threshold


def set_title(which: str, structure: StructureOptions) -> str:
    """``invoices (llm, embedded)``: the set and the structuring backend."""
    model = f", {structure.llm_model or structure.llm_url or 'embedded'}" if structure.backend == "llm" else ""
    return f"{which} ({structure.backend}{model})"


DEVELOPMENT_NOTE = ("development figures: the calibration (models/calibration) was fitted, and the rules were "
                    "developed, on these documents")
