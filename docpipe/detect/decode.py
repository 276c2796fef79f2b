"""From the network's dense maps to boxes: heatmap peaks, box distances at the peaks, per-class NMS.

All coordinates here are pixels of the network input (the downscaled page); :mod:`docpipe.detect` scales them
back to page pixels. Cell ``(i, j)`` of a stride-``s`` map stands for the input point
``(j * s + s / 2, i * s + s / 2)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Detections:
    """Boxes of one image: ``boxes`` (K, 4) as ``x0, y0, x1, y1`` input pixels, ``scores`` (K,) in [0, 1],
    ``labels`` (K,) class indices, ``vertical`` (K,) probability that the text in the box runs vertically."""

    boxes: torch.Tensor
    scores: torch.Tensor
    labels: torch.Tensor
    vertical: torch.Tensor

    def __len__(self) -> int:
        return int(self.scores.numel())


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise IoU of boxes ``a`` (N, 4) and ``b`` (M, 4); returns (N, M)."""
    area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
    area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-9), torch.zeros_like(inter))


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou: float) -> torch.Tensor:
    """Greedy non-maximum suppression; returns the indices kept, best score first."""
    order = torch.argsort(scores, descending=True)
    if order.numel() == 0:
        return order
    ious = box_iou(boxes[order], boxes[order])
    keep: list[int] = []
    suppressed = torch.zeros(order.numel(), dtype=torch.bool)
    for k in range(order.numel()):
        if suppressed[k]:
            continue
        keep.append(k)
        suppressed |= ious[k] > iou
    return order[torch.tensor(keep, dtype=torch.long)]


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, iou: float) -> torch.Tensor:
    """NMS within each class (boxes of different classes never suppress each other)."""
    keep = [idx[nms(boxes[idx], scores[idx], iou)] for c in labels.unique()
            for idx in [torch.nonzero(labels == c).flatten()]]
    if not keep:
        return torch.zeros(0, dtype=torch.long)
    keep_t = torch.cat(keep)
    return keep_t[torch.argsort(scores[keep_t], descending=True)]


def decode(heat: torch.Tensor, box, vert: torch.Tensor | None = None, *, stride: int = 4,
           threshold: float = 0.3, top_k: int = 300, nms_iou: float = 0.5) -> list[Detections]:
    """Decode a batch. ``heat``: class logits (N, C, h, w); ``box``: distances left, top, right, bottom in input
    pixels, shared by the classes (N, 4, h, w) or per class (N, 4 * C, h, w), class ``c`` in channels
    ``4c .. 4c+3``, or a function ``box(b, labels, i, j) -> (4, K)`` giving the distances of those classes at those
    cells of image ``b`` (``RegionNet(..., dense_box=False)``); ``vert``: vertical-text logits (N, 1, h, w) or None.

    A detection is a cell that is the maximum of its 3x3 neighbourhood in its class channel, with
    ``sigmoid(logit) >= threshold``; its box is the cell's point minus/plus the four distances (of its class,
    when the distances are per class)."""
    prob = torch.sigmoid(heat)
    peaks = prob * (F.max_pool2d(prob, 3, stride=1, padding=1) == prob)
    n, c, h, w = prob.shape
    per_class = not callable(box) and box.shape[1] != 4
    if per_class and box.shape[1] != 4 * c:
        raise ValueError(f"box map has {box.shape[1]} channels; expected 4 or 4 * {c} classes")
    out = []
    for b in range(n):
        flat = peaks[b].reshape(-1)
        k = min(top_k, flat.numel())
        scores, idx = torch.topk(flat, k)
        sel = scores >= threshold
        scores, idx = scores[sel], idx[sel]
        labels = idx // (h * w)
        cell = idx % (h * w)
        i, j = cell // w, cell % w
        px = j.float() * stride + stride / 2
        py = i.float() * stride + stride / 2
        if callable(box):
            d = box(b, labels, i, j)  # (4, K), computed at the peaks only
        elif per_class:
            d = box[b].reshape(c, 4, h, w)[labels, :, i, j].T  # (4, K): the distances of each peak's class
        else:
            d = box[b, :, i, j]  # (4, K)
        boxes = torch.stack([px - d[0], py - d[1], px + d[2], py + d[3]], dim=1)
        v = torch.sigmoid(vert[b, 0, i, j]) if vert is not None else torch.zeros_like(scores)
        keep = batched_nms(boxes, scores, labels, nms_iou)
        out.append(Detections(boxes[keep], scores[keep], labels[keep], v[keep]))
    return out
