"""Train the region detector on synthetic pages, time-boxed for 2 CPU cores.

    python -m models.detector.train --pages 2400 --minutes 80 --start-pages 200 --out models/detector/detector.pt

(the command that made the committed weights; see MODEL_CARD.md). Recipe, all of it inside ``--minutes`` of
wall-clock time (``--cpu-minutes`` additionally bounds the trainer's CPU time, so that a busy machine trains
as much as an idle one, only slower):

1. **Cache** (``.cache/detector/``, see :mod:`models.detector.data`): the ``val`` pages and the first
   ``--start-pages`` training pages are rendered with ``--workers`` processes (2 on 2 cores). Entries already in
   the cache are reused: the same index always gives the same page.
2. **Train** with one torch thread while one background process goes on rendering the remaining training
   pages up to ``--pages`` (so the two cores are busy with training and rendering at once, instead of one
   after the other). Each epoch walks over every training page present at its start, in batches of pages of
   the same orientation, each page freshly augmented. AdamW, linear warm-up then cosine decay over the time
   left, an exponential moving average (EMA) of the weights, which is what gets saved.
   Losses (TTFNet): focal loss on the class heatmaps, GIoU on the boxes, BCE on the vertical-text flag.
   With ``--box-per-class`` the box head has 4 distances per class and each class's box is regressed at its
   own cells (a dimension chain's centre also regresses the chain where one of its texts covers the cell).
3. **Validate** every ``--eval-minutes`` on ``--val-pages`` cached held-out pages (AP@0.5 per class, mAP) and
   save the EMA weights each time; the file written last is the final model.

The weights file is a ``torch.save`` dict ``{"config", "state_dict", "meta"}`` (fp32; loads with
``weights_only=True``). Training is time-boxed, so two runs see slightly different numbers of steps; the data
(pages and their order of rendering) is fixed by the seeds.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

from .data import (CACHE_DIR, TrainSet, build_cache, collate, entry_path, load_entry,
                   orientation_batches)


def _log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def _background_render(n: int, cache: Path) -> None:
    """Child process: render the missing training pages in index order (one core)."""
    from .data import write_entry

    for i in range(n):
        p = entry_path("train", i, cache)
        if not p.exists():
            write_entry(("train", i, p))


def losses(out: dict, tg: dict, stride: int = 4) -> dict:
    import torch
    import torch.nn.functional as F

    logit = out["heat"]
    gt = tg["heat"]
    pos = gt >= 1.0
    n_pos = pos.sum().clamp(min=1)
    logp, log1mp = F.logsigmoid(logit), F.logsigmoid(-logit)
    p = torch.sigmoid(logit)
    focal = -(torch.where(pos, (1 - p) ** 2 * logp, (1 - gt) ** 4 * p ** 2 * log1mp)).sum() / n_pos

    w = tg["reg_w"]
    m = w > 0
    if m.any():
        n, c, h, wd = logit.shape
        ys = (torch.arange(h, dtype=torch.float32) + 0.5) * stride
        xs = (torch.arange(wd, dtype=torch.float32) + 0.5) * stride
        py, px = torch.meshgrid(ys, xs, indexing="ij")
        if w.dim() == 4:  # per-class targets (N, C, h, w): each class's box channels at its own cells
            d = out["box"].reshape(n, c, 4, h, wd).permute(0, 1, 3, 4, 2)[m]  # (K, 4)
            t = tg["reg"].permute(0, 1, 3, 4, 2)[m]
        else:
            d = out["box"].permute(0, 2, 3, 1)[m]  # (K, 4)
            t = tg["reg"].permute(0, 2, 3, 1)[m]
        pxk, pyk = px.expand(m.shape)[m], py.expand(m.shape)[m]
        pb = torch.stack([pxk - d[:, 0], pyk - d[:, 1], pxk + d[:, 2], pyk + d[:, 3]], 1)
        giou = _giou(pb, t)
        wk = w[m]
        box = ((1 - giou) * wk).sum() / wk.sum().clamp(min=1e-6)
    else:
        box = logit.sum() * 0
    vw = tg["vert_w"]
    if (vw > 0).any():
        vb = F.binary_cross_entropy_with_logits(out["vert"][:, 0], tg["vert"], weight=vw, reduction="sum")
        vert = vb / vw.sum()
    else:
        vert = logit.sum() * 0
    total = focal + 5.0 * box + 0.5 * vert
    return {"total": total, "heat": focal.detach(), "box": box.detach(), "vert": vert.detach()}


def _giou(a, b):
    import torch

    area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.maximum(a[:, :2], b[:, :2])
    rb = torch.minimum(a[:, 2:], b[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[:, 0] * wh[:, 1]
    union = area_a + area_b - inter
    iou = inter / union.clamp(min=1e-6)
    clt = torch.minimum(a[:, :2], b[:, :2])
    crb = torch.maximum(a[:, 2:], b[:, 2:])
    cwh = (crb - clt).clamp(min=0)
    carea = (cwh[:, 0] * cwh[:, 1]).clamp(min=1e-6)
    return iou - (carea - union) / carea


def validate(model, paths: list[Path], side: int) -> dict:
    """AP@0.5 per class on cached held-out pages (boxes in cache pixels)."""
    from PIL import Image

    from docpipe.detect import Detector
    from docpipe.options import DetectOptions

    from .evaluate import per_class_ap

    was_training = model.training
    det = Detector(model, DetectOptions(weights=None, threshold=0.05, max_side=side))
    pages = []
    for p in paths:
        e = load_entry(p)
        dets = det.detect(Image.fromarray(e["image"]))
        pages.append((dets, e["boxes"], e["labels"]))
    model.train(was_training)
    return per_class_ap(pages)


def init_from(model, path: Path) -> str:
    """Warm start: copy every weight of the file at ``path`` into ``model``. The file's classes must be a prefix
    of the model's (classes are appended, never reordered): the heatmap head's channels of the old classes are
    copied, the new channels keep the fresh initialisation of :class:`~docpipe.detect.model.RegionNet`
    (weights N(0, 0.01), bias at the focal-loss prior 0.01). A model with a per-class box head
    (``box_per_class``) warm-started from a shared one gets the old 4 box channels in every class's slot; from a
    per-class file with fewer classes, the old classes' slots are copied and the new ones keep their fresh
    initialisation. Returns a line for the log."""
    import torch

    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    old = list(ckpt["config"]["classes"])
    new = list(model.cfg.classes)
    if new[:len(old)] != old:
        raise ValueError(f"{path}: its classes {old} are not a prefix of the model's {new}")
    for k in ("stem", "widths", "depths", "neck", "head_blocks"):
        if k in ckpt["config"] and k in model.cfg.to_dict() and ckpt["config"][k] != model.cfg.to_dict()[k]:
            raise ValueError(f"{path}: network differs ({k} {ckpt['config'][k]} != {model.cfg.to_dict()[k]})")
    sd = model.state_dict()
    partial, tiled = [], []
    with torch.no_grad():
        for k, v in ckpt["state_dict"].items():
            if k not in sd:
                raise ValueError(f"{path}: unexpected weight {k}")
            if sd[k].shape == v.shape:
                sd[k].copy_(v)
            elif k.startswith("heat.") and sd[k].shape[1:] == v.shape[1:] and v.shape[0] == len(old):
                sd[k][:len(old)].copy_(v)
                partial.append(k)
            elif (k.startswith("box.") and model.cfg.box_per_class and sd[k].shape[1:] == v.shape[1:]
                  and sd[k].shape[0] == 4 * len(new) and v.shape[0] in (4, 4 * len(old))):
                if v.shape[0] == 4:  # shared distances: the same start for every class
                    sd[k].copy_(v.repeat(len(new), *([1] * (v.dim() - 1))))
                    tiled.append(k)
                else:
                    sd[k][:v.shape[0]].copy_(v)
                    partial.append(k)
            else:
                raise ValueError(f"{path}: weight {k} has shape {tuple(v.shape)}, model {tuple(sd[k].shape)}")
        missing = [k for k in sd if k not in ckpt["state_dict"]]
    if missing:
        raise ValueError(f"{path}: weights missing for {missing}")
    return (f"warm start from {path}: all {len(sd)} tensors copied ({', '.join(partial) or 'none'} for the first "
            f"{len(old)} classes only" + (f"; {', '.join(tiled)} shared 4 channels copied into each of the "
                                          f"{len(new)} classes' slots" if tiled else "")
            + f"); new classes: {new[len(old):] or 'none'}")


def save(model, cfg, path: Path, meta: dict) -> None:
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    torch.save({"config": cfg.to_dict(), "state_dict": sd, "meta": meta}, tmp)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Train the region detector (see the module docstring).")
    ap.add_argument("--pages", type=int, default=2400, help="training pages (cache entries 0..pages-1)")
    ap.add_argument("--val-pages", type=int, default=60, help="held-out pages used for validation")
    ap.add_argument("--start-pages", type=int, default=300, help="training pages rendered before training")
    ap.add_argument("--minutes", type=float, default=88.0, help="wall-clock budget of the whole recipe")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("detector.pt"))
    ap.add_argument("--cache", type=Path, default=CACHE_DIR)
    ap.add_argument("--workers", type=int, default=2, help="render processes before training")
    ap.add_argument("--side", type=int, default=1024, help="input long side (jittered x0.72-1.08)")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads of the trainer")
    ap.add_argument("--eval-minutes", type=float, default=20.0)
    ap.add_argument("--cpu-minutes", type=float, default=None,
                    help="also stop when the trainer has used this much CPU time (same amount of training on a "
                    "busy machine; the wall-clock --minutes still caps the recipe)")
    ap.add_argument("--ema", type=float, default=0.995, help="decay of the weight average")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tiny", action="store_true", help="tiny network (smoke tests of this recipe)")
    ap.add_argument("--box-per-class", action="store_true",
                    help="box head with 4 distances per class (DetectorConfig.box_per_class) instead of 4 shared")
    ap.add_argument("--init", type=Path, default=None,
                    help="warm start from this weights file (same network; classes it lacks are new heatmap "
                    "channels, see init_from)")
    args = ap.parse_args(argv)

    t0 = time.time()
    deadline = t0 + args.minutes * 60
    _log(f"recipe start: {vars(args)}")
    val_paths = build_cache("val", args.val_pages, workers=args.workers, cache=args.cache, log=_log)
    build_cache("train", min(args.start_pages, args.pages), workers=args.workers, cache=args.cache, log=_log)
    bg = None
    if any(not entry_path("train", i, args.cache).exists() for i in range(args.pages)):
        bg = mp.get_context("fork").Process(target=_background_render, args=(args.pages, args.cache), daemon=True)
        bg.start()
        _log(f"background renderer pid {bg.pid} fills the cache up to {args.pages} training pages")

    import torch

    from docpipe.detect.model import DetectorConfig, build, count_parameters, tiny_config

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    kw = {"max_side": args.side, "box_per_class": args.box_per_class}
    cfg = tiny_config(**kw) if args.tiny else DetectorConfig(**kw)
    model = build(cfg)
    if args.init is not None:
        _log(init_from(model, args.init))
    model.train()
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    decay_params = [p for n, p in model.named_parameters() if p.ndim > 1]
    other_params = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay_params, "weight_decay": 1e-4},
                             {"params": other_params, "weight_decay": 0.0}], lr=args.lr)
    _log(f"model: {count_parameters(model)} parameters; {cfg.to_dict()}")

    train_start = time.time()
    # keep time for the last validation and save (about a minute for 120 pages)
    train_end = deadline - max(60.0, args.val_pages * 0.6)
    warmup = 50
    step, epoch, seen = 0, 0, 0
    next_eval = time.time() + args.eval_minutes * 60
    history = []
    rng = np.random.default_rng(args.seed)
    ema_decay = args.ema
    cpu0 = time.process_time()
    run_loss: dict[str, float] = {}
    stop = False

    def do_eval(final: bool = False) -> dict:
        t = time.time()
        res = validate(ema, val_paths, args.side)
        meta = {"step": step, "epoch": epoch, "images_seen": seen, "train_minutes": (time.time() - train_start) / 60,
                "val": res, "args": {k: str(v) for k, v in vars(args).items()}}
        history.append({"step": step, "images": seen, "minutes": (time.time() - t0) / 60, **res})
        save(ema, cfg, args.out, meta)
        aps = " ".join(f"{c}={v:.2f}" for c, v in res.items() if c != "mAP" and v is not None)
        _log(f"val ({'final' if final else 'step ' + str(step)}, {time.time() - t:.0f}s): mAP {res['mAP']:.3f}  {aps}")
        return res

    while not stop:
        n_avail = 0
        while n_avail < args.pages and entry_path("train", n_avail, args.cache).exists():
            n_avail += 1
        paths = [entry_path("train", i, args.cache) for i in range(n_avail)]
        ds = TrainSet(paths, args.side, seed=args.seed)
        ds.epoch = epoch
        batches = orientation_batches(paths, args.batch, rng)
        _log(f"epoch {epoch}: {n_avail} training pages, {len(batches)} batches")
        for bidx in batches:
            now = time.time()
            if now >= train_end:
                stop = True
                break
            frac = (now - train_start) / max(1.0, train_end - train_start)
            if args.cpu_minutes:
                cpu_frac = (time.process_time() - cpu0) / (args.cpu_minutes * 60)
                if cpu_frac >= 1.0:
                    stop = True
                    break
                frac = max(frac, cpu_frac)
            lr = args.lr * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))
            for g in opt.param_groups:
                g["lr"] = lr
            batch = collate([ds[i] for i in bidx], per_class=cfg.box_per_class)
            out = model(batch["image"])
            ls = losses(out, batch)
            opt.zero_grad(set_to_none=True)
            ls["total"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            d = min(ema_decay, (1 + step) / (10 + step))
            with torch.no_grad():
                for pe, pm in zip(ema.state_dict().values(), model.state_dict().values()):
                    if pe.dtype.is_floating_point:
                        pe.mul_(d).add_(pm.detach(), alpha=1 - d)
                    else:
                        pe.copy_(pm)
            step += 1
            seen += len(bidx)
            for k, v in ls.items():
                fv = float(v.detach())
                run_loss[k] = 0.98 * run_loss.get(k, fv) + 0.02 * fv
            if step % 25 == 0:
                el = time.time() - train_start
                _log(f"step {step} ep {epoch} imgs {seen} lr {lr:.2e} loss {run_loss['total']:.3f} "
                     f"(heat {run_loss['heat']:.3f} box {run_loss['box']:.3f} vert {run_loss['vert']:.3f}) "
                     f"{el / seen:.2f}s/img wall, {(time.process_time() - cpu0) / seen:.2f}s/img cpu")
            if time.time() >= next_eval:
                do_eval()
                next_eval = time.time() + args.eval_minutes * 60
        epoch += 1
    if bg is not None and bg.is_alive():
        bg.terminate()  # our own child; the pages it rendered stay in the cache
        bg.join()
    res = do_eval(final=True)
    n_cached = sum(entry_path("train", i, args.cache).exists() for i in range(args.pages))
    summary = {"steps": step, "epochs": epoch, "images_seen": seen, "train_pages_cached": n_cached,
               "total_minutes": (time.time() - t0) / 60, "train_minutes": (time.time() - train_start) / 60,
               "final_val": res, "history": history}
    args.out.with_suffix(".train.json").write_text(json.dumps(summary, indent=2) + "\n")
    _log(f"done in {(time.time() - t0) / 60:.1f} min: {step} steps, {seen} images, {n_cached} pages cached; "
         f"weights {args.out}")


if __name__ == "__main__":
    main(sys.argv[1:])
