"""A learned vendor-name ranker, measured side by side with the pipeline's vendor names (issue 13, item 3: "a
learned candidate ranker with calibrated scores, with the model asked only when the ranker is unsure").

    DOCPIPE_REALDOCS=../shared/realdocs .venv/bin/python benchmarks/vendor_ranker.py [--pipeline-json F]

1. Training data, generated only: ``docpipe.synth.generate`` writes ``--invoices`` invoices (default 160, seed 8801:
   none of sample_docs' or the quality guard's seeds) with their ground truth, and the pipeline reads them (rules
   only, no detector) into ``--work`` (kept: a second run reuses them).
2. Every text candidate of page 1 (``docpipe.structure.llm.candidates.collect``: word windows of a line, up to eight
   words) is a row: layout and wording features (position, height against the page's letters and the top third's
   tallest line, a legal form at the end, whole line or first words, word count, capitals, digits, a buyer or
   delivery label in the five lines above, a seller heading there, the name in the page's web or e-mail domain,
   repeated in a footer or elsewhere, a bare field label, a street or postcode, inside the customer's block) and
   whether it is the vendor's name (``docpipe.eval.metrics.text_similar``). An L2-regularised logistic regression
   is fitted on the first three quarters of the documents, its top-1 reported on the last quarter, then refitted
   on all of them.
3. On the shared real invoices (development set, never trained on; read from the benchmark's OCR cache): the
   ranker's top-1 against the rules' vendor and, with ``--pipeline-json`` (``benchmarks/invoice_fields.py --set
   invoices --json F``), the pipeline's (rules and model); the ranker as the decider where its score reaches
   tau, the pipeline elsewhere; and the ranker's agreement with the pipeline as evidence (right when they agree).

Prints figures; asserts nothing. Not shipped in the pipeline (see the README's confidence section for why).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docpipe.eval.metrics import text_similar  # noqa: E402
from docpipe.structure.headings import BUYER_HEADING, SELLER_HEADING  # noqa: E402
from docpipe.structure.invoice import LABELS, customer_block  # noqa: E402
from docpipe.structure.layout import PageView  # noqa: E402
from docpipe.structure.llm.candidates import collect  # noqa: E402
from docpipe.structure.vendor import LEGAL_FORM_END, fold, page_domains  # noqa: E402
from docpipe.types import DocumentResult  # noqa: E402
from models.calibration.fit import fit_logistic  # noqa: E402

LAMBDA = 1.0
FEATURES = ("top", "y", "x", "h", "tallest", "form", "whole", "words", "caps", "digit", "buyer_near",
            "seller_near", "domain", "footer", "label", "street", "first_win", "repeats", "in_customer")

_BUYER_NEAR = re.compile(r"bill\s*to|ship\s*to|sold\s*to|invoice\s*to|deliver|liefer|factur[ée]\s*[àa]|"
                         r"adresse\s*de\s*livraison|afleveradres|factuuradres|" + BUYER_HEADING.pattern, re.I)
_STREET = re.compile(r"\d{4,5}\s+[A-ZÄÖÜa-zäöü]|stra(ss|ß)e|str\.|\bweg\b|\bstreet\b|\broad\b|\brue\b|\bavenue\b|"
                     r"\blaan\b|\bplein\b|\bgasse\b|\bplatz\b", re.I)


def _is_label(text: str) -> bool:
    t = text.strip(" :;,.#-")
    return not t or any(rx.fullmatch(t) for rx in LABELS.values())


def candidate_features(views: Sequence[PageView]) -> list[tuple[str, list[float]]]:
    """(text, feature vector in :data:`FEATURES` order) of each text candidate on page 1."""
    if not views:
        return []
    cands = collect(list(views))
    v0 = views[0]
    H, W = max(1, v0.page.height), max(1, v0.page.width)
    doms = page_domains(views)
    block, _ = customer_block(v0)
    cust = {id(w) for sp in block for w in sp.words}
    footer = [fold(ln.text) for v in views for ln in v.lines if ln.bbox[1] > 0.75 * v.page.height]
    every = [fold(ln.text) for v in views for ln in v.lines]
    tallest = max((ln.bbox[3] - ln.bbox[1] for ln in v0.lines if ln.bbox[1] < 0.3 * H), default=1)
    letters = v0.text_height or 20
    index = {id(ln): i for i, ln in enumerate(v0.lines)}
    out = []
    for c in cands.by_kind.get("text", []):
        view, line = cands.lines[c.line]
        t = c.value if isinstance(c.value, str) else c.text
        if view is not v0 or not 3 <= len(t) <= 60:
            continue
        x0, y0, x1, y1 = c.span.bbox
        i = index.get(id(line), 0)
        above = [ln for ln in v0.lines[max(0, i - 5):i] if ln.bbox[0] < x1 and ln.bbox[2] > x0]
        key = fold(t)
        f = {
            "top": float(y0 < 0.3 * H), "y": y0 / H, "x": x0 / W, "h": min(3.0, (y1 - y0) / letters),
            "tallest": float((y1 - y0) >= 0.9 * tallest and y0 < 0.3 * H),
            "form": float(bool(LEGAL_FORM_END.search(t))), "whole": float(len(c.span.words) == len(line.words)),
            "words": len(c.span.words) / 8,
            "caps": sum(ch.isupper() for ch in t) / max(1, sum(ch.isalpha() for ch in t)),
            "digit": float(bool(re.search(r"\d", t))),
            "buyer_near": float(any(_BUYER_NEAR.search(ln.text) for ln in above)),
            "seller_near": float(any(SELLER_HEADING.search(ln.text) for ln in above)),
            "domain": float(any(d in key or (len(key) >= 4 and key in d) for d in doms)),
            "footer": float(y0 < 0.75 * H and len(key) >= 5 and any(key in ft for ft in footer)),
            "label": float(_is_label(t)), "street": float(bool(_STREET.search(t))),
            "first_win": float(c.span.words[0] is line.words[0]),
            "repeats": min(3, sum(key in a for a in every)) / 3 if len(key) >= 5 else 0.0,
            "in_customer": float(any(id(w) in cust for w in c.span.words)),
        }
        out.append((t, [f[k] for k in FEATURES]))
    return out


@dataclass(frozen=True)
class VendorRanker:
    weights: tuple[float, ...]
    bias: float

    def score(self, x: Sequence[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, x))
        return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))

    def pick(self, rows: Sequence[tuple[str, Sequence[float]]]) -> tuple[str, float] | None:
        """The best-scored (text, features) row as (text, score), or None without a row."""
        scored = [(self.score(x), t) for t, x in rows]
        if not scored:
            return None
        s, t = max(scored, key=lambda st: st[0])
        return t, s

    def best(self, views: Sequence[PageView]) -> tuple[str, float] | None:
        """The ranker's vendor name on these pages and its score, or None without a text candidate."""
        return self.pick(candidate_features(views))


def generate_and_read(work: Path, invoices: int, seed: int) -> Path:
    from docpipe.options import DetectOptions, PipelineOptions, StructureOptions
    from docpipe.pipeline import run_batch
    from docpipe.synth import generate

    docs, out = work / "docs", work / "out"
    if not (docs / "expected").is_dir():
        generate(docs, invoices=invoices, receipts=0, drawings=0, others=0, seed=seed)
    if not (out / "_manifest.jsonl").exists() or len(list(out.glob("*.json"))) < invoices:
        (docs / ".docpipeignore").write_text("expected/\n")
        run_batch(docs, out, PipelineOptions(workers=1, structure=StructureOptions(backend="rules"),
                                             detect=DetectOptions(enabled=False)))
    return docs


def rows_of(work: Path, docs: Path) -> list[tuple[str, str, list[tuple[str, list[float]]]]]:
    data = []
    for p in sorted((work / "out").glob("*.json")):
        exp = docs / "expected" / p.name
        if not exp.exists():
            continue
        res = DocumentResult.model_validate_json(p.read_text())
        truth = (((json.loads(exp.read_text()).get("invoice") or {}).get("vendor") or {}).get("name") or {})
        if res.doc_type != "invoice" or res.invoice is None or not truth.get("value"):
            continue
        data.append((p.name, truth["value"], candidate_features([PageView(pg) for pg in res.pages])))
    return data


def matrix(data) -> tuple[np.ndarray, np.ndarray]:
    X = [x for _, _, rows in data for _, x in rows]
    y = [1.0 if text_similar(t, truth) else 0.0 for _, truth, rows in data for t, _ in rows]
    return np.array(X, dtype=float).reshape(len(X), len(FEATURES)), np.array(y)


def top1(ranker: VendorRanker, data) -> int:
    return sum(text_similar(p[0], truth) for _, truth, rows in data if (p := ranker.pick(rows)) is not None)


def real_invoices(ranker: VendorRanker) -> list[tuple[str, str | None, str | None, tuple[str, float] | None]]:
    """(document, truth, rules' vendor, ranker's pick) of each shared real invoice, from the benchmark's cache."""
    from docpipe.eval import fields as F
    from docpipe.eval.realdocs import realdocs_root
    from docpipe.options import PipelineOptions, StructureOptions
    from docpipe.pipeline import Pipeline

    root = realdocs_root(None)
    if root is None:
        sys.exit("realdocs not found: set DOCPIPE_REALDOCS")
    files, truth, _ = F.load_set("invoices", root, F.DEFAULT_CACHE / "scans", None, lambda s: None)
    opts = PipelineOptions(structure=StructureOptions(backend="rules"))
    read = F.read_all(files, F.DEFAULT_CACHE / "pages", opts.ocr.lang, opts.ocr.psm, 1, lambda s: None)
    pipe = Pipeline(opts)
    out = []
    for key in files:
        res = pipe.finish(*read[key])
        rules = res.invoice.vendor.name.value if res.invoice and res.invoice.vendor.name else None
        out.append((key, (truth.get(key) or {}).get("vendor.name"), rules,
                    ranker.best([PageView(p) for p in res.pages])))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/docpipe-ranker"))
    ap.add_argument("--invoices", type=int, default=160)
    ap.add_argument("--seed", type=int, default=8801)
    ap.add_argument("--pipeline-json", type=Path, default=None,
                    help="benchmarks/invoice_fields.py --set invoices --json output, for the pipeline's figures")
    args = ap.parse_args(argv)
    docs = generate_and_read(args.work, args.invoices, args.seed)
    data = rows_of(args.work, docs)
    cut = len(data) * 3 // 4
    w, b = fit_logistic(*matrix(data[:cut]), lam=LAMBDA)
    held = top1(VendorRanker(tuple(w), b), data[cut:])
    print(f"{len(data)} generated invoices with a vendor name, {sum(len(r) for _, _, r in data)} candidates; "
          f"held-out top-1 (fitted on the first {cut}): {held}/{len(data) - cut}")
    w, b = fit_logistic(*matrix(data), lam=LAMBDA)
    ranker = VendorRanker(tuple(float(v) for v in w), float(b))
    print("weights:", {k: round(v, 2) for k, v in zip(FEATURES, ranker.weights)}, "bias", round(ranker.bias, 2))
    prod = {}
    if args.pipeline_json is not None:
        prod = {d["doc"]: d["fields"].get("vendor.name", {}) for d in json.loads(args.pipeline_json.read_text())["documents"]}
    rows = [(k, t, r, p) for k, t, r, p in real_invoices(ranker) if t]
    n = len(rows)
    rk = sum(p is not None and text_similar(p[0], t) for _, t, _, p in rows)
    ru = sum(r is not None and text_similar(r, t) for _, t, r, _ in rows)
    print(f"\nreal invoices with a vendor name in the truth: {n}; right: ranker top-1 {rk}, rules {ru}" +
          (f", pipeline (rules and model) {sum(bool(prod.get(k, {}).get('ok')) for k, *_ in rows)}" if prod else ""))
    if not prod:
        return
    for tau in (0.3, 0.5, 0.7, 0.9):
        sure = [(k, t, p) for k, t, _, p in rows if p is not None and p[1] >= tau]
        keys = {k for k, _, _ in sure}
        hybrid = sum(text_similar(p[0], t) for _, t, p in sure) + sum(bool(prod.get(k, {}).get("ok"))
                                                                      for k, *_ in rows if k not in keys)
        print(f"  the ranker decides where its score >= {tau}: {len(sure)} of {n} "
              f"({sum(text_similar(p[0], t) for _, t, p in sure)} right); with the pipeline elsewhere {hybrid}/{n}")
    agree = [(k, bool(prod.get(k, {}).get("ok"))) for k, t, _, p in rows
             if p is not None and prod.get(k, {}).get("predicted") and fold(p[0]) == fold(str(prod[k]["predicted"]))]
    print(f"  the ranker's pick is the pipeline's vendor on {len(agree)} of {n}: {sum(ok for _, ok in agree)} right; "
          f"elsewhere {sum(bool(prod.get(k, {}).get('ok')) for k, *_ in rows) - sum(ok for _, ok in agree)} of "
          f"{n - len(agree)} right")


if __name__ == "__main__":
    main()
