"""Fit the field-confidence calibration (``docpipe.calibrate``) with 5-fold cross-validation.

Recipe (reproduces ``models/calibration/calibration.json``)::

    .venv/bin/python -m models.calibration.fit collect --out /tmp/calib_rows.json   # runs the pipeline (~15 min)
    .venv/bin/python -m models.calibration.fit fit --rows /tmp/calib_rows.json --write

``collect`` runs the default pipeline (embedded LLM, ``--llm-ask`` default), with calibration off, over the
shared development sets as ``benchmarks/invoice_fields.py`` reads them (39 real invoices rendered as 200-dpi
image-only scans; SROIE receipts 1-100 as scanned), and writes one row per key field: the evidence
(``docpipe.calibrate.field_features``), whether the value is right (the benchmark's scoring), and per document
the business-rule failures. ``fit`` fits one L2-regularised logistic model per (document kind, key field) and
a pooled one per kind, reports **out-of-fold** figures (folds by document; each document's probabilities come
from a model that never saw it): the reliability table, the expected calibration error, and auto-accept
coverage and precision for each review threshold; picks the default threshold (the lowest with out-of-fold
auto-accept precision >= 0.95 on each kind), then refits on all rows and writes the file.

Only these few calibration parameters are fitted on the shared sets; nothing else is learned from them.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from docpipe.calibrate import (  # noqa: E402
    DEFAULT_CALIBRATION, FIELD_FEATURES, KEY_FIELDS, Calibrator, FieldModel, field_features)

BANDS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.85), (0.85, 0.9), (0.9, 0.95), (0.95, 1.0001))
TRUTH_NAMES = {  # benchmark field name -> calibrate's flat name
    "invoice": {"invoice_number": "invoice_number", "invoice_date": "invoice_date", "total": "total",
                "total_tax": "total_tax", "currency": "currency", "vendor.name": "vendor_name"},
    "receipt": {"company": "vendor_name", "address": "vendor_address", "date": "invoice_date", "total": "total"},
}
LAMBDA = 1.0  # L2 penalty on the weights (not the bias): a few dozen documents per field
FOLDS = 5


# --- collect -------------------------------------------------------------------------------------------------


def collect(args) -> None:
    from docpipe.eval import fields as bench
    from docpipe.eval.realdocs import load_sroie, realdocs_root
    from docpipe.options import OcrOptions, PipelineOptions, ReviewOptions, StructureOptions
    from docpipe.pipeline import Pipeline
    from docpipe.structure.invoice import confirmed_vendor_name
    from docpipe.structure.layout import PageView

    root = realdocs_root(args.realdocs)
    if root is None:
        sys.exit("realdocs not found: pass --realdocs or set DOCPIPE_REALDOCS")
    scans = args.cache / "scans"
    scans.mkdir(parents=True, exist_ok=True)
    sets = []
    if "invoices" in args.sets:
        docs = bench.invoice_docs(root, "invoices", None)
        files = {k: bench.render_scan(pdf, scans) for k, pdf, _ in docs}
        truth = {k: {f: v.get(f) for f in bench.INVOICE_FIELDS if v.get(f) is not None} for k, _, v in docs}
        sets.append(("invoice", files, truth))
    if "sroie" in args.sets:
        receipts = load_sroie(root, limit=args.sroie_limit)
        files = {f"sroie/{r.doc_id}": r.image for r in receipts}
        truth = {f"sroie/{r.doc_id}": {"company": r.company, "address": r.address, "date": r.date,
                                       "total": r.total} for r in receipts}
        sets.append(("receipt", files, truth))
    sopts = {} if args.llm_ask is None else {"llm_ask": args.llm_ask}
    args.lang = args.lang or OcrOptions().lang
    pipe = Pipeline(PipelineOptions(ocr=OcrOptions(lang=args.lang), workers=1,
                                    structure=StructureOptions(**sopts), review=ReviewOptions(calibrate=False)))
    rows, docs_out = [], []
    for kind, files, truth in sets:
        read = bench.read_all(files, args.cache / "pages", args.lang, OcrOptions().psm, args.workers)
        for i, key in enumerate(files):
            src, outcomes = read[key]
            t0 = time.perf_counter()
            result, structured = pipe.finish_detailed(src, outcomes)
            secs = time.perf_counter() - t0
            inv = structured.payload if structured is not None else None
            doc_kind = result.doc_type if result.doc_type in ("invoice", "receipt") else kind
            views = [PageView(p) for p in result.pages]
            sources = structured.sources if structured is not None else {}
            model_p = structured.model_p if structured is not None else {}
            confirmed = confirmed_vendor_name(views) if views and doc_kind == "invoice" else None
            doc = {"doc": key, "set": kind, "doc_type": result.doc_type, "rule_reasons": list(result.review_reasons),
                   "errors": [e.message for e in result.errors], "seconds": round(secs, 2), "fields": {}}
            for bench_name, name in TRUTH_NAMES[kind].items():
                x = (field_features(name, inv, views, sources, model_p, confirmed_vendor=confirmed)
                     if inv is not None and hasattr(inv, "vendor") else None)
                value, _ = bench.predicted(result, bench_name)
                if bench_name not in truth[key]:
                    if x is not None:  # emitted but not in the ground truth: it still decides the review
                        rows.append({"doc": key, "kind": kind, "field": name, "ok": None, "present": True,
                                     "features": x, "source": sources.get(name), "value": str(value),
                                     "expected": None})
                    continue
                ok = bench.field_ok(bench_name, truth[key][bench_name], value)
                row = {"doc": key, "kind": kind, "field": name, "ok": bool(ok), "present": x is not None,
                       "features": x, "source": sources.get(name), "value": None if value is None else str(value),
                       "expected": str(truth[key][bench_name])}
                rows.append(row)
                doc["fields"][name] = ok
            docs_out.append(doc)
            _write_rows(args.out, rows, docs_out, args)  # after every document: a long run can be stopped
            print(f"[{i + 1}/{len(files)}] {key}: {secs:.1f}s "
                  + " ".join(f"{n}={'ok' if v else 'x'}" for n, v in doc["fields"].items()), flush=True)
    _write_rows(args.out, rows, docs_out, args)
    print(f"wrote {len(rows)} field rows of {len(docs_out)} documents to {args.out}")


def _write_rows(path: Path, rows: list[dict], docs: list[dict], args) -> None:
    from docpipe.options import StructureOptions

    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"rows": rows, "docs": docs, "lang": args.lang,
                               "llm_ask": args.llm_ask or StructureOptions().llm_ask}, indent=1))
    tmp.replace(path)


# --- fit -----------------------------------------------------------------------------------------------------


def fit_logistic(X: np.ndarray, y: np.ndarray, lam: float = LAMBDA) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton steps; the bias gets a tiny penalty so a field that is
    always right (or wrong) still has a finite bias."""
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    w = np.zeros(d + 1)
    pen = np.full(d + 1, lam)
    pen[-1] = 0.05
    for _ in range(100):
        z = A @ w
        p = 1 / (1 + np.exp(-z))
        g = A.T @ (p - y) + pen * w
        H = (A * (p * (1 - p))[:, None]).T @ A + np.diag(pen)
        step = np.linalg.solve(H, g)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w[:-1], float(w[-1])


def _matrix(rows: list[dict], features: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    X = np.array([[r["features"].get(f, 0.0) for f in features] for r in rows], dtype=float).reshape(len(rows),
                                                                                                     len(features))
    y = np.array([1.0 if r["ok"] else 0.0 for r in rows])
    return X, y


def fit_models(rows: list[dict]) -> dict[str, dict[str, FieldModel]]:
    """Per kind: a model per key field over its features, and the pooled ``"*"`` model over ``logit_raw``."""
    models: dict[str, dict[str, FieldModel]] = {}
    for kind in KEY_FIELDS:
        per = {}
        kind_rows = [r for r in rows if r["kind"] == kind and r["present"]]
        if not kind_rows:
            continue
        for name in KEY_FIELDS[kind]:
            fr = [r for r in kind_rows if r["field"] == name]
            feats = FIELD_FEATURES[name]
            if len(fr) < 5:
                continue
            w, b = fit_logistic(*_matrix(fr, feats))
            per[name] = FieldModel(feats, tuple(float(v) for v in w), b)
        w, b = fit_logistic(*_matrix(kind_rows, ("logit_raw",)))
        per["*"] = FieldModel(("logit_raw",), (float(w[0]),), b)
        models[kind] = per
    return models


def folds_of(docs: list[str], k: int = FOLDS, seed: int = 0) -> dict[str, int]:
    order = sorted(docs)
    random.Random(seed).shuffle(order)
    return {d: i % k for i, d in enumerate(order)}


def out_of_fold(rows: list[dict]) -> list[float | None]:
    """Each row's probability from a model fitted on the other folds' documents."""
    fold = folds_of(sorted({r["doc"] for r in rows}))
    probs: list[float | None] = [None] * len(rows)
    for k in range(FOLDS):
        train = [r for r in rows if fold[r["doc"]] != k]
        cal = Calibrator(models=fit_models(train))
        for i, r in enumerate(rows):
            if fold[r["doc"]] == k and r["present"]:
                probs[i] = cal.probability(r["kind"], r["field"], r["features"])
    return probs


def reliability(pairs: list[tuple[float, bool]]) -> tuple[list[dict], float]:
    table, ece, n = [], 0.0, len(pairs)
    for lo, hi in BANDS:
        cell = [(p, ok) for p, ok in pairs if lo <= p < hi]
        if cell:
            mean_p = sum(p for p, _ in cell) / len(cell)
            acc = sum(ok for _, ok in cell) / len(cell)
            ece += len(cell) / n * abs(mean_p - acc)
            table.append({"band": [lo, min(hi, 1.0)], "n": len(cell), "mean_confidence": round(mean_p, 3),
                          "share_right": round(acc, 3)})
        else:
            table.append({"band": [lo, min(hi, 1.0)], "n": 0, "mean_confidence": None, "share_right": None})
    return table, round(ece, 4)


def auto_accept(docs: list[dict], probs_by_doc: dict[str, dict[str, float]], threshold: float,
                kind: str) -> dict:
    """Coverage and precision of ``needs_review: false`` at ``threshold``: a document is accepted when no
    business rule failed and every key field present reaches the threshold."""
    sel = [d for d in docs if d["set"] == kind]
    accepted = [d for d in sel if not d["rule_reasons"] and not d["errors"] and probs_by_doc.get(d["doc"])
                and all(p >= threshold for p in probs_by_doc[d["doc"]].values())]
    right = [d for d in accepted if all(d["fields"].values())]
    return {"documents": len(sel), "accepted": len(accepted), "fully_right": len(right),
            "coverage": round(len(accepted) / len(sel), 3) if sel else None,
            "precision": round(len(right) / len(accepted), 3) if accepted else None,
            "fully_right_all": sum(all(d["fields"].values()) for d in sel)}


def fit(args) -> None:
    data = json.loads(args.rows.read_text())
    all_rows, docs = data["rows"], data["docs"]
    rows = [r for r in all_rows if r["ok"] is not None]  # scored fields: fitting and accuracy
    unscored = [r for r in all_rows if r["ok"] is None]  # emitted, not in the ground truth: review only
    oof = out_of_fold(rows)
    report: dict = {"rows": len(rows), "documents": len(docs), "lang": data.get("lang"), "llm_ask": data.get("llm_ask")}
    print(f"{len(rows)} key-field rows, {len(docs)} documents (lang {data.get('lang')}, llm_ask {data.get('llm_ask')})")
    for kind in KEY_FIELDS:
        kr = [(r, p) for r, p in zip(rows, oof) if r["kind"] == kind]
        if not kr:
            continue
        pairs = [(p, r["ok"]) for r, p in kr if p is not None]
        raw = [(1 / (1 + math.exp(-r["features"]["logit_raw"])), r["ok"]) for r, p in kr if p is not None]
        acc = sum(r["ok"] for r, _ in kr) / len(kr)
        table, ece = reliability(pairs)
        raw_table, raw_ece = reliability(raw)
        hi = [ok for p, ok in pairs if p >= 0.9]
        print(f"\n== {kind}: {len(kr)} fields scored, accuracy {acc:.3f} (empty counts as wrong)")
        for name in KEY_FIELDS[kind]:
            fr = [r for r, _ in kr if r["field"] == name]
            if fr:
                print(f"  {name:16} n={len(fr):3} accuracy {sum(r['ok'] for r in fr) / len(fr):.3f}")
        print(f"out-of-fold reliability (ECE {ece}; the heuristic scores before: ECE {raw_ece})")
        print(f"  {'band':12} {'n':>4} {'mean conf':>9} {'right':>6}   heuristic: {'n':>4} {'right':>6}")
        for t, rt in zip(table, raw_table):
            b = f"[{t['band'][0]:.2f},{t['band'][1]:.2f})"
            print(f"  {b:12} {t['n']:>4} {t['mean_confidence'] if t['n'] else '-':>9} "
                  f"{t['share_right'] if t['n'] else '-':>6}   {rt['n']:>14} {rt['share_right'] if rt['n'] else '-':>6}")
        print(f"  confidence >= 0.9: {len(hi)} fields, {sum(hi) / len(hi) if hi else float('nan'):.3f} right")
        report[kind] = {"accuracy": round(acc, 3), "reliability": table, "ece": ece, "heuristic_ece": raw_ece,
                        "high_band": {"n": len(hi), "share_right": round(sum(hi) / len(hi), 3) if hi else None}}
    probs_by_doc: dict[str, dict[str, float]] = {}
    for r, p in zip(rows, oof):
        if p is not None:
            probs_by_doc.setdefault(r["doc"], {})[r["field"]] = p
    fold = folds_of(sorted({r["doc"] for r in rows}))
    for k in range(FOLDS):  # unscored fields get their probability from the model of their document's fold
        cal = Calibrator(models=fit_models([r for r in rows if fold.get(r["doc"]) != k]))
        for r in unscored:
            if fold.get(r["doc"], 0) == k:
                probs_by_doc.setdefault(r["doc"], {})[r["field"]] = cal.probability(r["kind"], r["field"],
                                                                                    r["features"])
    print("\nout-of-fold auto-accept (needs_review false) by threshold")
    sweep = {}
    for t in [x / 100 for x in range(50, 100)]:
        sweep[t] = {kind: auto_accept(docs, probs_by_doc, t, kind) for kind in KEY_FIELDS}
    # The lowest threshold from which on every higher one keeps precision >= 0.95 on each kind (a single lucky
    # threshold with one accepted document does not count).
    good = {t: all(v["precision"] is None or v["precision"] >= 0.95 for v in per.values() if v["documents"])
            for t, per in sweep.items()}
    chosen = None
    for t in sorted(sweep, reverse=True):
        if not good[t]:
            break
        chosen = t
    for t, per in sweep.items():
        if round(t * 100) % 5 == 0 or t == chosen:
            print(f"  t={t:.2f} " + "  ".join(f"{k}: {v['accepted']}/{v['documents']} accepted "
                                              f"({v['coverage']}), {v['precision']} fully right"
                                              for k, v in per.items() if v["documents"]))
    chosen = chosen if chosen is not None else 0.99
    per_kind = {}
    for kind in KEY_FIELDS:  # the same rule per document kind: its own default threshold
        pk = None
        for t in sorted(sweep, reverse=True):
            v = sweep[t][kind]
            if not v["documents"]:
                break
            if v["precision"] is not None and v["precision"] < 0.95:
                break
            pk = t
        if pk is not None:
            # Of the thresholds that accept as many documents as the lowest good one, the highest: the same
            # measured coverage with the most margin for documents unlike the development sets.
            pk = max(t for t in sweep if t >= pk and sweep[t][kind]["accepted"] == sweep[pk][kind]["accepted"])
            per_kind[kind] = pk
            print(f"  {kind}: default threshold {pk:.2f}: {sweep[pk][kind]['accepted']}/{sweep[pk][kind]['documents']} "
                  f"accepted ({sweep[pk][kind]['coverage']}), {sweep[pk][kind]['precision']} fully right (out-of-fold)")
    report["thresholds"] = per_kind
    report["auto_accept_per_kind"] = {k: sweep[t][k] for k, t in per_kind.items()}
    print(f"chosen default threshold: {chosen:.2f} (lowest from which out-of-fold precision stays >= 0.95 on each "
          "kind)")
    report["threshold"] = chosen
    report["auto_accept"] = sweep[chosen]
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    if args.write:
        cal = Calibrator(models=fit_models(rows), threshold=chosen, thresholds=per_kind,
                         meta={"fitted_on": "shared development sets: 39 real invoices (200-dpi scans), "
                               "SROIE receipts 1-100", "rows": len(rows), "documents": len(docs),
                               "command": "python -m models.calibration.fit fit --rows ROWS --write",
                               "out_of_fold": {k: report.get(k) for k in KEY_FIELDS},
                               "auto_accept_out_of_fold": report["auto_accept_per_kind"]})
        DEFAULT_CALIBRATION.parent.mkdir(parents=True, exist_ok=True)
        tmp = DEFAULT_CALIBRATION.with_suffix(".tmp")
        tmp.write_text(json.dumps(cal.to_json(), indent=1) + "\n")
        tmp.replace(DEFAULT_CALIBRATION)
        print(f"wrote {DEFAULT_CALIBRATION}")


def main(argv: list[str] | None = None) -> None:
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect", help="run the pipeline over the development sets and write evidence rows")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--sets", nargs="+", default=["invoices", "sroie"], choices=("invoices", "sroie"))
    c.add_argument("--sroie-limit", type=int, default=100)
    c.add_argument("--lang", default=None, help="OCR languages (default: the pipeline's default)")
    c.add_argument("--llm-ask", default=None, choices=("open", "all"))
    c.add_argument("--workers", type=int, default=2)
    c.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "docpipe-bench-cache")
    c.add_argument("--realdocs", type=Path, default=None)
    f = sub.add_parser("fit", help="cross-validate, report out-of-fold figures, optionally write the file")
    f.add_argument("--rows", type=Path, required=True)
    f.add_argument("--json", type=Path, default=None, help="write the out-of-fold report here")
    f.add_argument("--write", action="store_true", help=f"write {DEFAULT_CALIBRATION.relative_to(ROOT)}")
    args = ap.parse_args(argv)
    collect(args) if args.cmd == "collect" else fit(args)


if __name__ == "__main__":
    main()
