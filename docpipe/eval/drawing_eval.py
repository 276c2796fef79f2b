"""End-to-end dimension accuracy on real drawings: the pipeline's ``drawing.dimensions`` against the eDOCr2
ground truth, and dimension-box recall on the DOP drawings.

**eDOCr2** (``drawings/edocr2_gt``, 7 drawings, 80 dimension boxes, eDOCr2's protocol): each drawing runs
through the real :class:`docpipe.pipeline.Pipeline` (default options, except that the structuring backend can
be ``rules``: the LLM never touches dimensions). Predicted dimensions are matched to ground-truth dimension
boxes one to one, greedily by IoU, at IoU >= 0.2 (eDOCr2's ``test_all.py`` lets every ground-truth box take its
best prediction, so one prediction may count twice there; we do not). ``other_info`` boxes are ignored: a
prediction that overlaps one (IoU >= 0.2, or its centre inside) counts neither as a hit nor against precision.

Per drawing: ground-truth count, predictions, matches, recall, precision, mean CER over the matched pairs
(``cer``, the acceptance figure), the eDOCr2-style CER of the concatenated matched texts (``cer_concat``),
the share of matched texts that are exactly right after normalisation, and the pipeline's seconds.

Texts are compared after :func:`dim_text_key`:

- NFKC, then every diameter sign (``Ø ø ⌀ ∅ Φ φ``) becomes ``⌀`` (the GT writes ``⌀``; Tesseract reads ``Ø``,
  and a drawing's font decides which glyph is used, not the reader); ``º``/``˚`` become ``°``; ``×`` and a
  count's ``X`` (``4X``) become ``x``; ``+/-`` and ``+-`` become ``±``; unicode minus/dashes become ``-``;
- a decimal comma becomes a point (the German drawings write ``200,00``; we keep the page's characters in
  ``text`` but the GT and the reading are the same number either way);
- all whitespace is removed: stacked tolerances are flattened with arbitrary spaces in the GT
  (``"⌀16,5 +0,1 0"``), and where a space goes is layout, not reading;
- the GT sometimes writes the upper deviation of a stacked tolerance *before* the nominal
  (``"+0.03 35.36-0.03"``, ``"+0.40 4x⌀6.60-0.10"``, ``"0.00 35.00-0.20"``); such a leading deviation (signed,
  or a zero) is moved behind the nominal (``"35.36+0.03-0.03"``), the order in which we write stacks (size,
  then the deviations top to bottom).

**DOP** (``drawings/dop_roboflow_boxes``, 19 small drawings, 204 boxes as loaded, no text): recall at IoU >= 0.2
(and 0.5) of the pipeline's dimension boxes, of the detector's ``dimension`` regions at the stage's threshold,
and of its dimension proposals (``DetectOptions.dimension_threshold``). The pipeline's dimensions need the page
to be classified as a drawing; these 600x400 crops mostly are not (their errors say so).
"""

from __future__ import annotations

import os
import re
import statistics
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..geometry import Box, centre_in, iou
from .metrics import cer, levenshtein, match_boxes
from .realdocs import load_dop_boxes, load_edocr2

IOU_THRESHOLD = 0.2  # eDOCr2's protocol

_DIAMETER = str.maketrans({c: "⌀" for c in "Øø∅Φφϕ"} | {"º": "°", "˚": "°", "×": "x", "−": "-", "–": "-",
                                                       "—": "-", "‐": "-", "‑": "-", "‒": "-"})
_LEADING_DEV = re.compile(r"^([+-]\d*[.,]?\d+|0(?:[.,]0+)?)\s+(\S.*?)$")


def dim_text_key(s: str) -> str:
    """The comparison form of a dimension text (see the module docstring)."""
    s = unicodedata.normalize("NFKC", s.translate(_DIAMETER)).translate(_DIAMETER).strip()
    m = _LEADING_DEV.match(s)
    if m and re.match(r"[\d⌀R]|\d+x", m.group(2)):
        rest = m.group(2)
        # "+0.03 35.36-0.03": the deviation goes after the nominal, before the lower deviation
        n = re.match(r"((?:\d+x)?[⌀R]?\d+(?:[.,]\d+)?)(.*)$", rest)
        if n:
            s = f"{n.group(1)}{m.group(1)}{n.group(2)}"
    s = re.sub(r"\+\s*/\s*-|\+\s*-(?=\s*[\d.,])", "±", s)
    s = re.sub(r"(?<=\d)X(?=\s*[⌀RM\d])", "x", s)
    s = re.sub(r"(?<=\d),(?=\d)", ".", s)
    s = re.sub(r"(?<=[±+\-]),(?=\d)", ".", s)
    return "".join(s.split())


@dataclass
class DrawingScore:
    doc_id: str
    n_gt: int
    n_pred: int  # predictions, less those on other_info boxes
    n_ignored: int  # predictions on other_info boxes
    matched: int
    exact: int
    cer_sum: float
    edits: int
    ref_chars: int
    seconds: float
    pairs: list[dict] = field(default_factory=list)  # per GT box: gt text, predicted text or None, iou, cer
    unmatched_pred: list[dict] = field(default_factory=list)
    error: str | None = None

    @property
    def recall(self) -> float | None:
        return self.matched / self.n_gt if self.n_gt else None

    @property
    def precision(self) -> float | None:
        return self.matched / self.n_pred if self.n_pred else None

    @property
    def cer(self) -> float | None:
        return self.cer_sum / self.matched if self.matched else None

    @property
    def cer_concat(self) -> float | None:
        return self.edits / self.ref_chars if self.ref_chars else None

    def to_json(self) -> dict:
        d = asdict(self)
        d.update(recall=self.recall, precision=self.precision, cer=self.cer, cer_concat=self.cer_concat)
        return d


def score_drawing(doc_id: str, gt: list[tuple[str, Box]], ignore: list[Box], pred: list[tuple[str, Box]],
                  seconds: float = 0.0) -> DrawingScore:
    """Match ``pred`` (text, box) to ``gt`` (text, box) one to one at IoU >= 0.2; predictions on ``ignore``
    boxes (other_info) are left out of precision."""
    def on_ignored(b: Box) -> bool:
        return any(iou(b, g) >= IOU_THRESHOLD or centre_in(b, g) for g in ignore)

    kept = [p for p in pred if not on_ignored(p[1])]
    matches = match_boxes([b for _, b in gt], [b for _, b in kept], IOU_THRESHOLD)
    by_gt = {m.gt: m for m in matches}
    s = DrawingScore(doc_id, len(gt), len(kept), len(pred) - len(kept), len(matches), 0, 0.0, 0, 0, seconds)
    for i, (text, box) in enumerate(gt):
        m = by_gt.get(i)
        if m is None:
            s.pairs.append({"gt": text, "box": [round(v) for v in box], "pred": None})
            continue
        ref, hyp = dim_text_key(text), dim_text_key(kept[m.pred][0])
        c = cer(ref, hyp)
        s.cer_sum += c
        s.edits += levenshtein(ref, hyp)
        s.ref_chars += len(ref)
        s.exact += ref == hyp
        s.pairs.append({"gt": text, "box": [round(v) for v in box], "pred": kept[m.pred][0],
                        "iou": round(m.iou, 3), "cer": round(c, 3)})
    used = {m.pred for m in matches}
    s.unmatched_pred = [{"pred": t, "box": list(b)} for j, (t, b) in enumerate(kept) if j not in used]
    return s


@dataclass
class DrawingReport:
    drawings: list[DrawingScore]
    dop: dict
    options: dict
    wall_seconds: float
    load_average: tuple[float, float, float] | None

    def totals(self) -> dict:
        ok = [d for d in self.drawings if d.error is None]
        n_gt, n_pred, matched = (sum(getattr(d, k) for d in ok) for k in ("n_gt", "n_pred", "matched"))
        edits, ref = sum(d.edits for d in ok), sum(d.ref_chars for d in ok)
        cers = [p["cer"] for d in ok for p in d.pairs if p.get("pred") is not None]
        secs = [d.seconds for d in ok]
        return {"drawings": len(self.drawings), "errors": len(self.drawings) - len(ok), "n_gt": n_gt,
                "n_pred": n_pred, "matched": matched, "recall": matched / n_gt if n_gt else None,
                "precision": matched / n_pred if n_pred else None,
                "cer": statistics.fmean(cers) if cers else None,
                "cer_concat": edits / ref if ref else None,
                "exact": sum(d.exact for d in ok),
                "mean_recall_per_drawing": statistics.fmean(d.recall for d in ok if d.recall is not None)
                if ok else None,
                "seconds_mean": statistics.fmean(secs) if secs else None,
                "seconds_max": max(secs) if secs else None}

    def to_json(self) -> dict:
        return {"edocr2": {"totals": self.totals(), "drawings": [d.to_json() for d in self.drawings]},
                "dop": self.dop, "options": self.options, "wall_seconds": self.wall_seconds,
                "load_average": self.load_average}

    def format_report(self, verbose: bool = False) -> str:
        def f(v, nd=3):
            return "  n/a" if v is None else f"{v:.{nd}f}"

        out = [f"eDOCr2 drawings: dimension output vs ground truth (IoU >= {IOU_THRESHOLD}, one-to-one, "
               "other_info ignored)",
               f"{'drawing':15s} {'gt':>4s} {'pred':>5s} {'hit':>4s} {'recall':>7s} {'prec':>6s} {'CER':>6s} "
               f"{'CERcat':>7s} {'exact':>6s} {'sec':>6s}"]
        for d in self.drawings:
            if d.error:
                out.append(f"{d.doc_id:15s} error: {d.error}")
                continue
            out.append(f"{d.doc_id:15s} {d.n_gt:4d} {d.n_pred:5d} {d.matched:4d} {f(d.recall):>7s} "
                       f"{f(d.precision):>6s} {f(d.cer):>6s} {f(d.cer_concat):>7s} {d.exact:6d} {d.seconds:6.1f}")
        t = self.totals()
        out.append(f"{'total':15s} {t['n_gt']:4d} {t['n_pred']:5d} {t['matched']:4d} {f(t['recall']):>7s} "
                   f"{f(t['precision']):>6s} {f(t['cer']):>6s} {f(t['cer_concat']):>7s} {t['exact']:6d} "
                   f"{f(t['seconds_mean'], 1):>6s} (mean s)")
        out.append(f"mean of per-drawing recalls {f(t['mean_recall_per_drawing'])}; CER = mean over matched pairs "
                   "of edit distance / GT length after normalisation; CERcat = eDOCr2's concatenated CER")
        if verbose:
            for d in self.drawings:
                out.append(f"-- {d.doc_id}")
                for p in d.pairs:
                    out.append(f"   gt {p['gt']!r:24s} -> {p['pred']!r} " + (f"(IoU {p['iou']}, CER {p['cer']})"
                                                                           if p.get("pred") is not None else ""))
                for p in d.unmatched_pred:
                    out.append(f"   extra {p['pred']!r} at {p['box']}")
        for k, v in self.dop.items():
            if isinstance(v, dict) and "recall@0.2" in v:
                out.append(f"DOP {k}: {v['boxes']} boxes, {v['predicted']} predicted, recall@0.2 {f(v['recall@0.2'])}, "
                           f"recall@0.5 {f(v['recall@0.5'])}, precision@0.2 {f(v['precision@0.2'])}")
        if self.dop:
            out.append(f"DOP: {self.dop.get('pages_not_classified_drawing')} of 19 pages not classified as drawings; "
                       f"{self.dop.get('seconds_mean', 0):.1f} s per page")
        la = self.load_average
        out.append(f"wall {self.wall_seconds:.0f} s; options {self.options}; load average at the end "
                   f"{'n/a' if la is None else ' '.join(f'{x:.2f}' for x in la)}")
        return "\n".join(out)


# --- running the pipeline ---------------------------------------------------------------------------------

_pipeline = None


def _init(options) -> None:
    global _pipeline
    from ..pipeline import Pipeline

    _pipeline = Pipeline(options)


def _run_one(path: Path) -> tuple[list[tuple[str, Box]], list[Box], list[Box], float, str | None]:
    """(dimensions as (text, box), detector dimension regions, dimension proposals at the detector's
    ``dimension_threshold``, seconds, error) of one image. The proposals are detected again on the image as
    stored, outside the timed run."""
    assert _pipeline is not None
    t0 = time.perf_counter()
    res = _pipeline.process(Path(path))
    secs = time.perf_counter() - t0
    if res.drawing is None:
        dims = []
    else:
        dims = [(d.text, tuple(d.bbox)) for d in res.drawing.dimensions if d.page == 1]
    regions = [tuple(r.bbox) for p in res.pages[:1] for r in p.regions if r.label == "dimension"]
    proposals = []
    if _pipeline.options.detect.enabled:
        from PIL import Image

        with Image.open(path) as im:
            proposals = [d.bbox for d in _pipeline.detector.detect(im.convert("L"), proposals=True)
                         if d.label == "dimension"]
    err = "; ".join(e.message for e in res.errors) or None
    if res.doc_type != "drawing":
        err = (err + "; " if err else "") + f"classified as {res.doc_type!r}"
    return dims, regions, proposals, secs, err


def _map(paths: list[Path], options, workers: int) -> list:
    if workers <= 1:
        _init(options)
        return [_run_one(p) for p in paths]
    with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=(options,)) as pool:
        return list(pool.map(_run_one, paths))


def _recall(gts: list[list[Box]], preds: list[list[Box]], thr: float) -> int:
    return sum(len(match_boxes(g, p, thr)) for g, p in zip(gts, preds))


def evaluate_drawings(root: Path, *, options=None, workers: int = 1, limit: int | None = None,
                      dop: bool = True) -> DrawingReport:
    """Run the pipeline over the eDOCr2 drawings (and the DOP drawings when ``dop``) and score it.

    ``options`` is a :class:`docpipe.options.PipelineOptions`; by default the defaults with the ``rules``
    structuring backend. ``workers`` processes run drawings side by side (seconds per drawing are then
    measured under that load)."""
    from ..options import PipelineOptions, StructureOptions

    options = options or PipelineOptions(structure=StructureOptions(backend="rules"))
    t0 = time.perf_counter()
    drawings = load_edocr2(root)[:limit] if limit else load_edocr2(root)
    paths = [d.image for d in drawings]
    dops = load_dop_boxes(root) if dop else []
    results = _map(paths + [d.image for d in dops], options, workers)
    scores = []
    for d, (dims, _, _, secs, err) in zip(drawings, results[:len(drawings)]):
        s = score_drawing(d.doc_id, [(b.text, b.box) for b in d.dimensions], [b.box for b in d.boxes if b.ignore],
                          dims, secs)
        s.error = err
        scores.append(s)
    dop_rep: dict = {}
    if dops:
        gts = [d.boxes for d in dops]
        n = sum(len(g) for g in gts)
        rest = results[len(drawings):]
        for name, preds in (("pipeline dimensions", [[b for _, b in r[0]] for r in rest]),
                            (f"detector regions (>= {options.detect.threshold})", [r[1] for r in rest]),
                            (f"detector proposals (>= {options.detect.dimension_threshold})", [r[2] for r in rest])):
            k = sum(len(p) for p in preds)
            h2 = _recall(gts, preds, 0.2)
            dop_rep[name] = {"boxes": n, "predicted": k, "recall@0.2": h2 / n if n else None,
                             "recall@0.5": _recall(gts, preds, 0.5) / n if n else None,
                             "precision@0.2": h2 / k if k else None}
        dop_rep["seconds_mean"] = statistics.fmean(r[3] for r in rest)
        dop_rep["pages_not_classified_drawing"] = sum(1 for r in rest if r[4] and "classified as" in r[4])
    try:
        la = os.getloadavg()
    except OSError:
        la = None
    opts = {"structure": options.structure.backend, "detect": options.detect.enabled,
            "detect_threshold": options.detect.threshold, "workers": workers}
    return DrawingReport(scores, dop_rep, opts, time.perf_counter() - t0, la)
