"""Evaluate the region detector: per-class AP@0.5 and mAP on held-out synthetic pages, recall of dimension
boxes on real drawings (eDOCr2, DOP/Roboflow).

    python -m models.detector.evaluate [--weights models/detector/detector.pt] [--pages 200] [--json out.json]
        [--baseline other.pt]

- **Synthetic**: pages ``0..pages-1`` of the ``val`` split (seed range ``VAL_SEED``, never used in training),
  rendered afresh at 300 dpi with the generator's scan degradations except skew (the pipeline deskews first),
  and passed through the real inference path (:meth:`docpipe.detect.Detector.detect`) at full size. AP is the
  area under the all-point interpolated precision-recall curve (VOC 2010+), IoU >= 0.5.
- **eDOCr2** (7 drawings, 80 dimension boxes; ``other_info`` ignored): recall of ``dimension`` detections at
  IoU >= 0.2, the upstream scoring rule, also at IoU >= 0.5; at confidence 0.3 (the stage default) and 0.1.
- **DOP/Roboflow** (19 images of 600 x 400 px, 185 boxes): these are cropped views whose text is already about
  as tall, in pixels, as dimension text on a full synthetic page at the detector's input size, so they are run
  at their native size (long side 600) and, for comparison, at 800 and 1024.

Real sets are read from ``../shared/realdocs`` (or ``$DOCPIPE_REALDOCS``) and skipped when absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from docpipe.detect.labels import CLASSES

IOU = 0.5
PLAN_CLASSES = CLASSES[CLASSES.index("door"):]
"""The floor-plan classes, appended after the 12 of the weights trained before them."""


def mean_ap(res: dict, classes) -> float | None:
    vals = [res[c] for c in classes if res.get(c) is not None]
    return float(np.mean(vals)) if vals else None


def _iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clip(0)
    inter = wh[..., 0] * wh[..., 1]
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter + 1e-9)


def average_precision(preds: list[tuple[np.ndarray, np.ndarray]], gts: list[np.ndarray],
                      iou: float = IOU) -> float | None:
    """AP of one class over images: ``preds[i] = (boxes (K,4), scores (K,))``, ``gts[i]`` boxes (M,4).
    None when there is no ground truth of the class."""
    n_gt = sum(len(g) for g in gts)
    if n_gt == 0:
        return None
    recs = []  # (score, is_true_positive)
    for (pb, ps), g in zip(preds, gts):
        order = np.argsort(-ps)
        pb, ps = pb[order], ps[order]
        m = _iou_matrix(pb, g)
        used = np.zeros(len(g), bool)
        for k in range(len(pb)):
            tp = False
            if len(g):
                cand = np.where(~used, m[k], -1)
                j = int(np.argmax(cand))
                if cand[j] >= iou:
                    used[j] = True
                    tp = True
            recs.append((ps[k], tp))
    if not recs:
        return 0.0
    recs.sort(key=lambda r: -r[0])
    tp = np.cumsum([r[1] for r in recs])
    fp = np.cumsum([not r[1] for r in recs])
    recall = tp / n_gt
    precision = tp / np.maximum(tp + fp, 1)
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    idx = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


def per_class_ap(pages: list[tuple[list, np.ndarray, np.ndarray]], classes=CLASSES, iou: float = IOU) -> dict:
    """``pages``: per page ``(detections, gt_boxes, gt_labels)`` where detections have ``label``, ``bbox``,
    ``confidence`` (labels as strings). Returns ``{class: AP or None}`` plus ``mAP`` over classes with GT."""
    out: dict[str, float | None] = {}
    for ci, c in enumerate(classes):
        preds, gts = [], []
        for dets, gb, gl in pages:
            d = [x for x in dets if x.label == c]
            preds.append((np.array([x.bbox for x in d], float).reshape(-1, 4),
                          np.array([x.confidence for x in d], float)))
            gts.append(np.asarray(gb, float).reshape(-1, 4)[np.asarray(gl) == ci])
        out[c] = average_precision(preds, gts, iou)
    vals = [v for v in out.values() if v is not None]
    out["mAP"] = float(np.mean(vals)) if vals else None
    return out


def recall_at(gt: list[np.ndarray], pred: list[np.ndarray], iou: float) -> tuple[int, int]:
    """(matched, total): each GT box matched one-to-one to the best unused prediction with IoU >= ``iou``."""
    hit = total = 0
    for g, p in zip(gt, pred):
        total += len(g)
        m = _iou_matrix(np.asarray(g, float).reshape(-1, 4), np.asarray(p, float).reshape(-1, 4))
        used = np.zeros(m.shape[1], bool)
        for i in np.argsort(-m.max(axis=1) if m.size else np.zeros(len(g))):
            if m.shape[1] == 0:
                break
            cand = np.where(~used, m[i], -1)
            j = int(np.argmax(cand))
            if cand[j] >= iou:
                used[j] = True
                hit += 1
    return hit, total


# --- runs ---------------------------------------------------------------------------------------------------


def eval_synthetic(det, n_pages: int, log=print, baseline=None) -> dict:
    """AP per class on ``n_pages`` fresh ``val`` pages; with ``baseline`` (another detector) the same pages
    through it too, under ``"baseline"``. ``"without_plans"`` repeats the figures over the pages that are not
    floor plans (the page kinds of the weights trained before the plan classes)."""
    from .data import LABEL_INDEX, kind_for, render_full

    dets = {"main": det} if baseline is None else {"main": det, "baseline": baseline}
    pages: dict[str, list] = {k: [] for k in dets}
    kinds, t_det = [], dict.fromkeys(dets, 0.0)
    for i in range(n_pages):
        im, regions = render_full("val", i)
        kinds.append(kind_for(i))
        gb = np.array([r.bbox for r in regions if r.label in LABEL_INDEX], float).reshape(-1, 4)
        gl = np.array([LABEL_INDEX[r.label] for r in regions if r.label in LABEL_INDEX], int)
        for k, d in dets.items():
            t = time.perf_counter()
            found = d.detect(im)
            t_det[k] += time.perf_counter() - t
            pages[k].append((found, gb, gl))
        if (i + 1) % 50 == 0:
            log(f"  synthetic {i + 1}/{n_pages}")
    out = {}
    for k in dets:
        res = per_class_ap(pages[k])
        res["pages"] = n_pages
        res["detect_s_per_page"] = t_det[k] / max(1, n_pages)
        res["without_plans"] = per_class_ap([p for p, kind in zip(pages[k], kinds) if kind != "plan"])
        res["without_plans"]["pages"] = sum(kind != "plan" for kind in kinds)
        for r in (res, res["without_plans"]):
            r["mAP_first12"] = mean_ap(r, [c for c in CLASSES if c not in PLAN_CLASSES])
            r["mAP_plan_classes"] = mean_ap(r, PLAN_CLASSES)
        out[k] = res
    res = out["main"]
    if baseline is not None:
        res["baseline"] = out["baseline"]
    return res


def eval_real(det_factory, root: Path | None, thresholds=(0.3, 0.1), log=print) -> dict:
    """Recall of ``dimension`` detections on eDOCr2 and DOP at each confidence threshold (0.3 is the stage's
    default). ``det_factory(max_side)`` gives a detector with a threshold at or below the lowest one."""
    from PIL import Image

    from docpipe.eval.realdocs import load_dop_boxes, load_edocr2, realdocs_root

    root = realdocs_root(root)
    if root is None:
        log("realdocs not found: skipping the real-drawing recalls")
        return {}

    def run(det, path):
        with Image.open(path) as im:
            return [(x.bbox, x.confidence) for x in det.detect(im.convert("L")) if x.label == "dimension"]

    def score(gts, raw, thr):
        preds = [[b for b, c in r if c >= thr] for r in raw]
        h2, n = recall_at(gts, preds, 0.2)
        h5, _ = recall_at(gts, preds, 0.5)
        k = sum(len(p) for p in preds)
        return {"boxes": n, "recall@0.2": h2 / n if n else None, "recall@0.5": h5 / n if n else None,
                "predicted": k, "precision@0.2": h2 / k if k else None}

    out: dict = {"edocr2": {}, "dop": {}}
    det = det_factory(None)
    drawings = load_edocr2(root)
    gts = [[b.box for b in d.boxes if not b.ignore] for d in drawings]
    raw = [run(det, d.image) for d in drawings]
    for thr in thresholds:
        r = score(gts, raw, thr)
        r["per_drawing"] = {d.doc_id: {"gt": len(g), "pred": sum(c >= thr for _, c in p),
                                       "hit@0.2": recall_at([g], [[b for b, c in p if c >= thr]], 0.2)[0]}
                            for d, g, p in zip(drawings, gts, raw)}
        out["edocr2"][f"thr_{thr}"] = r
    dop = load_dop_boxes(root)
    gts = [d.boxes for d in dop]
    for side in (600, 800, 1024):
        det = det_factory(side)
        raw = [run(det, d.image) for d in dop]
        for thr in thresholds:
            out["dop"][f"side_{side}_thr_{thr}"] = score(gts, raw, thr)
    return out


def format_report(res: dict) -> str:
    lines = []
    syn = res.get("synthetic")
    if syn:
        base = syn.get("baseline")
        wp, bwp = syn.get("without_plans", {}), (base or {}).get("without_plans", {})
        f = lambda v: "   n/a" if v is None else f"{v:6.3f}"  # noqa: E731
        lines.append(f"held-out synthetic pages: {syn['pages']}  (AP@0.5 per class; then over the "
                     f"{wp.get('pages', '?')} pages that are not floor plans)"
                     + ("; baseline = --baseline weights on the same pages" if base else ""))
        head = f"  {'class':14s} {'all':>6s} {'no plan':>7s}"
        if base:
            head += f" {'base all':>8s} {'base no plan':>12s}"
        lines.append(head)
        for c in (*CLASSES, "mAP", "mAP_first12", "mAP_plan_classes"):
            row = f"  {c:14s} {f(syn.get(c))} {f(wp.get(c)):>7s}"
            if base:
                row += f" {f(base.get(c)):>8s} {f(bwp.get(c)):>12s}"
            lines.append(row)
        lines.append(f"  detect s/page (full 300-dpi page in, this machine, torch threads as set): "
                     f"{syn['detect_s_per_page']:.3f}" + (f" (baseline {base['detect_s_per_page']:.3f})" if base else ""))
    for k, ed in res.get("real", {}).get("edocr2", {}).items():
        lines.append(f"eDOCr2 dimension boxes ({k}): {ed['boxes']}, recall@0.2 {ed['recall@0.2']:.3f}, "
                     f"recall@0.5 {ed['recall@0.5']:.3f}; {ed['predicted']} dimension detections, precision@0.2 "
                     f"{ed['precision@0.2'] or 0:.3f}")
        for name, v in ed["per_drawing"].items():
            lines.append(f"  {name:14s} gt {v['gt']:3d}  pred {v['pred']:3d}  hit@0.2 {v['hit@0.2']:3d}")
    for k, v in res.get("real", {}).get("dop", {}).items():
        lines.append(f"DOP dimension boxes ({k}): {v['boxes']}, recall@0.2 {v['recall@0.2']:.3f}, "
                     f"recall@0.5 {v['recall@0.5']:.3f}; {v['predicted']} detections, precision@0.2 "
                     f"{v['precision@0.2'] or 0:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", type=Path, default=None, help="weights file (default: the committed one)")
    ap.add_argument("--pages", type=int, default=200, help="held-out synthetic pages")
    ap.add_argument("--realdocs", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--threshold", type=float, default=0.05, help="low, so the PR curve is complete")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="also run these weights on the same synthetic pages and real drawings (a comparison)")
    args = ap.parse_args(argv)

    from docpipe.detect import load_detector
    from docpipe.options import DetectOptions

    def factory(side, weights=args.weights):
        kw = {"threads": args.threads, "threshold": args.threshold}
        if side:
            kw["max_side"] = side
        return load_detector(path=weights, options=DetectOptions(**kw))

    det = factory(None)
    base = factory(None, args.baseline) if args.baseline else None
    res: dict = {"weights_sha256": det.sha256}
    if args.pages:
        res["synthetic"] = eval_synthetic(det, args.pages, log=lambda m: print(m, file=sys.stderr), baseline=base)
    # recall at the stage's default threshold (0.3, what the pipeline passes on) and at 0.1
    res["real"] = eval_real(factory, args.realdocs)
    print(format_report(res))
    if base is not None:
        res["baseline"] = {"weights_sha256": base.sha256,
                           "real": eval_real(lambda side: factory(side, args.baseline), args.realdocs)}
        print(f"\nbaseline {args.baseline}:")
        print(format_report({"real": res["baseline"]["real"]}))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    return res


if __name__ == "__main__":
    main()
