"""Training data for the region detector: a cache of synthetic pages, augmentation, and dense targets.

**Cache** (``.cache/detector/<split>/<index>.npz``, gitignored): each entry is one page from
:func:`docpipe.synth.render_page`, with the synthetic scan degradations of :mod:`docpipe.synth.degrade` applied
at 300 dpi *except skew* (the pipeline deskews before it detects, and the generator's skew rotates the image but
not the boxes), then downscaled to a long side of :data:`CACHE_SIDE` pixels. Entries hold ``image`` (uint8
grey, H x W), ``boxes`` (float32 n x 4, cache pixels), ``labels`` (int64 class indices of
:data:`docpipe.detect.model.CLASSES`), ``vert`` (uint8, 1 for vertical dimension text) and ``kind``.
Page ``i`` of split ``train`` is drawn from ``numpy.random.default_rng([TRAIN_SEED, i])``, of ``val`` from
``VAL_SEED``: the held-out pages come from a different seed range, and the same index gives the same page.

**Augmentation** (training only, our own, on the cached image): scale jitter of the long side, zoomed crops of
drawings and floor plans (real drawings are often cropped views with larger text), small rotations with the
boxes rotated too, contrast/gamma, blur and noise.

**Targets** (TTFNet): per class an elliptical Gaussian heatmap, peak 1 at each box centre; box distances
(left, top, right, bottom) in input pixels at the cells of the box's central area, weighted by the Gaussian and
normalised per box to ``log(area)``; a vertical-text flag at the same cells for dimension boxes. With a
shared box head (one set of distances per cell) smaller boxes win the cells they overlap; with a per-class box
head (``per_class=True``) each class has its own distances and weights, so a cell can regress one box of every
class that covers it (smaller boxes win only over boxes of their own class).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from docpipe.detect.labels import CLASSES, STRIDE
from docpipe.geometry import iou

CACHE_SIDE = 1280
TRAIN_SEED, VAL_SEED = 1, 2
ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / ".cache" / "detector"
ALPHA = 0.54  # Gaussian spread relative to the box (TTFNet)
BETA = 0.54  # share of the box (per side) whose cells regress the box
LABEL_INDEX = {c: i for i, c in enumerate(CLASSES)}
DIMENSION = LABEL_INDEX["dimension"]


def kind_for(index: int) -> str:
    """Deterministic mix of page kinds: 8 drawings, 3 floor plans, 5 invoices, 2 receipts, 2 letters in every
    20 pages (before the plan classes: 10 drawings, 6 invoices, 2 receipts, 2 letters)."""
    r = index % 20
    return ("drawing" if r < 8 else "plan" if r < 11 else "invoice" if r < 16 else "receipt" if r < 18
            else "other")


LANDSCAPE_KINDS = ("drawing", "plan")
"""Kinds rendered on landscape sheets (zoomed-crop augmentation, batched together)."""


def _render(split: str, index: int):
    from docpipe.synth import degrade as dg
    from docpipe.synth import render_page

    seed = TRAIN_SEED if split == "train" else VAL_SEED
    rng = np.random.default_rng([seed, index])
    kind = kind_for(index)
    page = render_page(kind, rng, degrade=False)
    params = dg.draw_params(rng, float(rng.uniform(0.3, 1.0)), color=True)
    params.skew = 0.0  # boxes stay upright; our own augmentation rotates image and boxes together
    return dg.apply(page.image, params, rng).convert("L"), page, kind


def render_full(split: str, index: int):
    """Page ``index`` of ``split`` at 300 dpi, as cached but not downscaled: ``(grey image, regions)``."""
    im, page, _ = _render(split, index)
    return im, page.regions


def render_entry(split: str, index: int) -> dict:
    """Render page ``index`` of ``split`` and return the cache entry (not written)."""
    im, page, kind = _render(split, index)
    s = CACHE_SIDE / max(im.size)
    size = (max(1, round(im.width * s)), max(1, round(im.height * s)))
    small = im.resize(size, Image.Resampling.BILINEAR)
    dims = list(page.truth.dimensions) if kind in LANDSCAPE_KINDS and page.truth is not None else []
    boxes, labels, vert = [], [], []
    for r in page.regions:
        if r.label not in LABEL_INDEX:
            continue
        v = 0
        if r.label == "dimension" and dims:
            best = max(dims, key=lambda d: iou(d.bbox, r.bbox))
            v = int(abs(best.angle - 90) < 1 and iou(best.bbox, r.bbox) > 0.3)
        boxes.append([c * s for c in r.bbox])
        labels.append(LABEL_INDEX[r.label])
        vert.append(v)
    return dict(image=np.asarray(small, dtype=np.uint8), boxes=np.array(boxes, np.float32).reshape(-1, 4),
                labels=np.array(labels, np.int64), vert=np.array(vert, np.uint8), kind=kind,
                page_size=np.array(im.size, np.int64), scale=np.float64(s))


def write_entry(args: tuple[str, int, Path]) -> float:
    """Render entry ``(split, index)`` into ``path`` (atomically); returns the seconds it took."""
    split, index, path = args
    t = time.time()
    entry = render_entry(split, index)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")  # two writers never share a name
    np.savez_compressed(tmp, **entry)
    os.replace(tmp, path)  # atomic: an interrupted run never leaves half an entry
    return time.time() - t


def entry_path(split: str, index: int, cache: Path = CACHE_DIR) -> Path:
    return cache / split / f"{index:05d}.npz"


def build_cache(split: str, n: int, *, workers: int = 2, cache: Path = CACHE_DIR, log=print) -> list[Path]:
    """Make sure entries ``0..n-1`` of ``split`` exist (renders only the missing ones); returns their paths."""
    (cache / split).mkdir(parents=True, exist_ok=True)
    paths = [entry_path(split, i, cache) for i in range(n)]
    todo = [(split, i, p) for i, p in enumerate(paths) if not p.exists()]
    if todo:
        log(f"rendering {len(todo)} {split} pages into {cache / split} with {workers} processes")
        t0 = time.time()
        # one torch-free process per core; "spawn" would re-import slowly, fork is fine (no threads yet)
        with mp.get_context("fork").Pool(workers) as pool:
            for k, _ in enumerate(pool.imap_unordered(write_entry, todo, chunksize=4), 1):
                if k % 100 == 0 or k == len(todo):
                    el = time.time() - t0
                    log(f"  {split}: {k}/{len(todo)} pages, {el / 60:.1f} min, {el / k * workers:.2f} s/page/process")
    return paths


def load_entry(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


# --- augmentation -------------------------------------------------------------------------------------------


def _rotate(im: Image.Image, boxes: np.ndarray, deg: float) -> tuple[Image.Image, np.ndarray]:
    """Rotate counter-clockwise by ``deg`` about the centre (canvas kept); boxes become the upright box around
    their rotated corners, shrunk back by the growth a rotated box of text would not have."""
    w, h = im.size
    im = im.rotate(deg, resample=Image.Resampling.BILINEAR, fillcolor=255)
    if len(boxes) == 0:
        return im, boxes
    a = math.radians(deg)
    c, s = math.cos(a), math.sin(a)
    cx, cy = w / 2, h / 2
    out = []
    for x0, y0, x1, y1 in boxes:
        xs = np.array([x0, x1, x1, x0]) - cx
        ys = np.array([y0, y0, y1, y1]) - cy
        # image y axis points down: a ccw turn on screen is x' = c x + s y, y' = -s x + c y
        rx, ry = c * xs + s * ys + cx, -s * xs + c * ys + cy
        bw, bh = x1 - x0, y1 - y0
        gx = (rx.max() - rx.min() - bw) / 2 * 0.5  # keep half of the growth
        gy = (ry.max() - ry.min() - bh) / 2 * 0.5
        out.append([rx.min() + gx, ry.min() + gy, rx.max() - gx, ry.max() - gy])
    return im, np.array(out, np.float32)


def augment(entry: dict, rng: np.random.Generator, side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                             np.ndarray]:
    """A training view of a cache entry at long side ``side`` (jittered): image (uint8), boxes, labels, vert."""
    im = Image.fromarray(entry["image"])
    boxes = entry["boxes"].copy()
    labels, vert = entry["labels"].copy(), entry["vert"].copy()
    if str(entry["kind"]) in LANDSCAPE_KINDS and rng.random() < 0.3:
        # zoomed crop: a window of 35-80% of the sheet, like a cropped view; boxes cut by the window are kept
        # only when most of them stays visible
        W, H = im.size
        f = rng.uniform(0.35, 0.8)
        cw, ch = int(W * f), int(H * f * rng.uniform(0.8, 1.2))
        ch = min(ch, H)
        x0, y0 = int(rng.integers(0, W - cw + 1)), int(rng.integers(0, H - ch + 1))
        im = im.crop((x0, y0, x0 + cw, y0 + ch))
        if len(boxes):
            b = boxes - np.array([x0, y0, x0, y0], np.float32)
            cb = b.copy()
            cb[:, [0, 2]] = cb[:, [0, 2]].clip(0, cw)
            cb[:, [1, 3]] = cb[:, [1, 3]].clip(0, ch)
            area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
            vis = (cb[:, 2] - cb[:, 0]).clip(0) * (cb[:, 3] - cb[:, 1]).clip(0)
            keep = vis >= 0.7 * area
            boxes, labels, vert = cb[keep], labels[keep], vert[keep]
    if rng.random() < 0.5:
        im, boxes = _rotate(im, boxes, float(rng.uniform(-1.0, 1.0)))
    s = side / max(im.size)
    im = im.resize((max(32, round(im.width * s)), max(32, round(im.height * s))), Image.Resampling.BILINEAR)
    boxes = boxes * s
    if rng.random() < 0.3:
        im = im.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 0.9))))
    a = np.asarray(im, dtype=np.float32)
    if rng.random() < 0.5:  # contrast and paper level
        lo, hi = rng.uniform(0, 60), rng.uniform(200, 255)
        a = lo + a * (hi - lo) / 255.0
    if rng.random() < 0.3:
        a = a + rng.normal(0, rng.uniform(2, 10), a.shape)
    return a.clip(0, 255).astype(np.uint8), boxes.astype(np.float32), labels, vert


# --- targets ------------------------------------------------------------------------------------------------


def make_targets(boxes: np.ndarray, labels: np.ndarray, vert: np.ndarray, out_h: int, out_w: int,
                 n_classes: int = len(CLASSES), per_class: bool = False) -> dict[str, np.ndarray]:
    """Dense TTFNet targets on the ``out_h x out_w`` grid (cell ``(i, j)`` is input point
    ``(j * STRIDE + STRIDE / 2, i * STRIDE + STRIDE / 2)``); boxes in input pixels. ``reg`` (box corners
    x0, y0, x1, y1) is ``(4, h, w)`` with weights ``reg_w`` ``(h, w)``, or with ``per_class`` ``(C, 4, h, w)``
    and ``(C, h, w)``: the regression target of each class separately."""
    heat = np.zeros((n_classes, out_h, out_w), np.float32)
    reg = np.zeros((n_classes, 4, out_h, out_w) if per_class else (4, out_h, out_w), np.float32)
    reg_w = np.zeros((n_classes, out_h, out_w) if per_class else (out_h, out_w), np.float32)
    vt = np.zeros((out_h, out_w), np.float32)
    vw = np.zeros((out_h, out_w), np.float32)
    if len(boxes) == 0:
        return dict(heat=heat, reg=reg, reg_w=reg_w, vert=vt, vert_w=vw)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    ys = (np.arange(out_h, dtype=np.float32) + 0.5) * STRIDE
    xs = (np.arange(out_w, dtype=np.float32) + 0.5) * STRIDE
    for k in np.argsort(-areas):  # large first: smaller boxes overwrite the regression targets they overlap
        x0, y0, x1, y1 = boxes[k]
        w, h = x1 - x0, y1 - y0
        if w < 2 or h < 2:
            continue
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        sx, sy = max(ALPHA * w / 6, 1.5), max(ALPHA * h / 6, 1.5)
        gx = np.exp(-((xs - cx) ** 2) / (2 * sx * sx))
        gy = np.exp(-((ys - cy) ** 2) / (2 * sy * sy))
        g = gy[:, None] * gx[None, :]
        c = labels[k]
        np.maximum(heat[c], g, out=heat[c])
        ci, cj = min(int(cy // STRIDE), out_h - 1), min(int(cx // STRIDE), out_w - 1)
        heat[c, ci, cj] = 1.0
        # regression cells: the central BETA part of the box (at least the centre cell)
        bx, by = max(BETA * w / 2, STRIDE / 2), max(BETA * h / 2, STRIDE / 2)
        j0, j1 = max(0, int((cx - bx) // STRIDE)), min(out_w, int((cx + bx) // STRIDE) + 1)
        i0, i1 = max(0, int((cy - by) // STRIDE)), min(out_h, int((cy + by) // STRIDE) + 1)
        if j1 <= j0 or i1 <= i0:
            continue
        gw = g[i0:i1, j0:j1].copy()
        gw[min(ci, i1 - 1) - i0, min(cj, j1 - 1) - j0] = 1.0
        gw = gw / gw.sum() * math.log(max(w * h, 4.0))
        rw, rg = (reg_w[c], reg[c]) if per_class else (reg_w, reg)
        rw[i0:i1, j0:j1] = gw
        rg[0, i0:i1, j0:j1] = x0
        rg[1, i0:i1, j0:j1] = y0
        rg[2, i0:i1, j0:j1] = x1
        rg[3, i0:i1, j0:j1] = y1
        if c == DIMENSION:
            vt[i0:i1, j0:j1] = float(vert[k])
            vw[i0:i1, j0:j1] = 1.0
        else:
            vw[i0:i1, j0:j1] = 0.0
    return dict(heat=heat, reg=reg, reg_w=reg_w, vert=vt, vert_w=vw)


class TrainSet:
    """Indexable training views (for ``torch.utils.data.DataLoader``): item ``i`` is a fresh augmentation of
    cache entry ``i`` (the random state comes from the worker's generator, seeded per epoch)."""

    def __init__(self, paths: list[Path], side: int, jitter: tuple[float, float] = (0.72, 1.08), seed: int = 0):
        self.paths, self.side, self.jitter, self.seed = paths, side, jitter, seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> dict:
        rng = np.random.default_rng([self.seed, self.epoch, i])
        entry = load_entry(self.paths[i])
        side = int(self.side * rng.uniform(*self.jitter))
        im, boxes, labels, vert = augment(entry, rng, side)
        return dict(image=im, boxes=boxes, labels=labels, vert=vert)


def collate(items: list[dict], per_class: bool = False) -> dict:
    """Pad a batch to a common size (multiples of 32; padding is white paper) and build the targets
    (``per_class``: box targets per class, for a per-class box head; see :func:`make_targets`)."""
    import torch

    H = max(it["image"].shape[0] for it in items)
    W = max(it["image"].shape[1] for it in items)
    H, W = -(-H // 32) * 32, -(-W // 32) * 32
    x = np.zeros((len(items), 1, H, W), np.float32)
    tg: dict[str, list] = {}
    for n, it in enumerate(items):
        h, w = it["image"].shape
        x[n, 0, :h, :w] = 1.0 - it["image"] / 255.0
        t = make_targets(it["boxes"], it["labels"], it["vert"], H // STRIDE, W // STRIDE, per_class=per_class)
        for k, v in t.items():
            tg.setdefault(k, []).append(v)
    out = {"image": torch.from_numpy(x)}
    out.update({k: torch.from_numpy(np.stack(v)) for k, v in tg.items()})
    return out


def orientation_batches(paths: list[Path], batch: int, rng: np.random.Generator) -> list[list[int]]:
    """Batches of indices whose pages share an orientation (landscape drawings vs portrait invoices), so that
    padding to a common size wastes little."""
    land = [i for i, p in enumerate(paths) if kind_for(int(p.stem)) in LANDSCAPE_KINDS]
    port = [i for i, p in enumerate(paths) if kind_for(int(p.stem)) not in LANDSCAPE_KINDS]
    out = []
    for group in (land, port):
        g = list(rng.permutation(group))
        out += [g[k:k + batch] for k in range(0, len(g), batch)]
    return [out[k] for k in rng.permutation(len(out))]
