"""The region detector network: a small anchor-free single-stage detector for 2 CPU cores (pure torch).

Shape of the computation (input long side 1024, A4 landscape 1024 x 724):

- **Input**: one channel, ``ink = 1 - grey/255`` (white paper is 0, so padding with zeros is padding with
  paper), the page downscaled so that its long side is ``max_side`` (see :mod:`docpipe.detect`).
- **Backbone**: the first convolution already has stride 4 (5x5, 1 -> 24 channels), then depthwise-separable
  residual blocks at strides 4, 8, 16 and 32; the stride-32 stage uses dilations 1, 2, 4 and a global-context
  vector (page kind: drawing or invoice) so that the centre of a title block or line-items table sees its edges.
- **Neck**: a light FPN (48 channels) back down to stride 4, where dimension text (10-15 px tall at this scale)
  still covers a few cells.
- **Heads at stride 4** (TTFNet-style, Liu et al. 2019, which trains in far fewer steps than CenterNet):
  ``heat`` (one logit per class; an elliptical Gaussian peak at each box centre), ``box`` (distances left, top,
  right, bottom from the cell centre to the box edges, input pixels, predicted as ``exp``), and ``vert`` (one
  logit: the text in the box runs vertically, for dimension text turned 90 degrees). The box distances are
  shared by all classes (4 channels), or, with ``DetectorConfig.box_per_class``, one set of 4 per class
  (``4 * C`` channels, class ``c`` in channels ``4c .. 4c+3``), so that a cell inside two boxes of different
  classes (a dimension chain and one of its texts) can regress both.

Nothing here downloads weights; a model is built randomly initialised and loaded from a state dict.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .labels import CLASSES, STRIDE  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class DetectorConfig:
    """Architecture hyper-parameters; stored inside the weights file so a file rebuilds its own network."""

    classes: tuple[str, ...] = CLASSES
    widths: tuple[int, int, int, int] = (32, 48, 80, 128)  # channels at strides 4, 8, 16, 32
    depths: tuple[int, int, int, int] = (2, 2, 2, 3)  # residual blocks per stage
    stem: int = 24
    neck: int = 48
    head_blocks: int = 1
    max_side: int = 1024  # input long side the model was trained for, pixels
    extra: dict = field(default_factory=dict)
    box_per_class: bool = False  # box head: 4 distances per class (4 * C channels) instead of 4 shared ones

    def to_dict(self) -> dict:
        d = asdict(self)
        d["classes"], d["widths"], d["depths"] = list(self.classes), list(self.widths), list(self.depths)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DetectorConfig:
        d = dict(d)
        for k in ("classes", "widths", "depths"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)


def tiny_config(**kw) -> DetectorConfig:
    """A very small network of the same architecture, for fast tests."""
    return DetectorConfig(widths=(8, 8, 16, 16), depths=(1, 1, 1, 1), stem=8, neck=8, **kw)


class ConvBN(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1, dilation: int = 1,
                 act: bool = True):
        pad = (k - 1) // 2 * dilation
        layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, pad, dilation=dilation, groups=groups,
                                             bias=False), nn.BatchNorm2d(cout)]
        if act:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class SepBlock(nn.Module):
    """Depthwise 3x3 (stride, dilation) then pointwise 1x1; residual when the shape is kept."""

    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1):
        super().__init__()
        self.dw = ConvBN(cin, cin, 3, stride, groups=cin, dilation=dilation)
        self.pw = ConvBN(cin, cout, 1, act=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pw(self.dw(x))
        return F.relu(y + x if self.residual else y, inplace=True)


def _stage(cin: int, cout: int, depth: int, stride: int, dilations: tuple[int, ...] = ()) -> nn.Sequential:
    blocks = [SepBlock(cin, cout, stride)]
    for i in range(depth):
        d = dilations[i % len(dilations)] if dilations else 1
        blocks.append(SepBlock(cout, cout, 1, d))
    return nn.Sequential(*blocks)


class RegionNet(nn.Module):
    """Page image in, dense maps out. ``forward(x)`` takes ``(N, 1, H, W)`` with H, W multiples of 32 and
    returns ``heat`` logits ``(N, C, H/4, W/4)``, ``box`` distances ``(N, 4, H/4, W/4)`` in input pixels
    (left, top, right, bottom, all > 0; ``(N, 4 * C, H/4, W/4)`` with ``cfg.box_per_class``, class ``c`` in
    channels ``4c .. 4c+3``) and ``vert`` logits ``(N, 1, H/4, W/4)``."""

    def __init__(self, cfg: DetectorConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or DetectorConfig()
        w4, w8, w16, w32 = cfg.widths
        d4, d8, d16, d32 = cfg.depths
        self.stem = ConvBN(1, cfg.stem, 5, stride=4)  # stride early: most of the cost is at full resolution
        self.s4 = _stage(cfg.stem, w4, d4, 1)
        self.s8 = _stage(w4, w8, d8, 2)
        self.s16 = _stage(w8, w16, d16, 2)
        self.s32 = _stage(w16, w32, d32, 2, dilations=(1, 2, 4))
        self.context = nn.Linear(w32, w32)  # global page context (kind of document), added back to s32
        n = cfg.neck
        self.lat = nn.ModuleList([ConvBN(c, n, 1) for c in (w4, w8, w16, w32)])
        self.smooth = nn.ModuleList([SepBlock(n, n) for _ in range(3)])
        self.head = nn.Sequential(*[SepBlock(n, n) for _ in range(cfg.head_blocks)])
        self.heat = nn.Conv2d(n, len(cfg.classes), 1)
        self.box = nn.Conv2d(n, 4 * len(cfg.classes) if cfg.box_per_class else 4, 1)
        self.vert = nn.Conv2d(n, 1, 1)
        self._init()

    def _init(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        for conv in (self.heat, self.box, self.vert):
            nn.init.normal_(conv.weight, std=0.01)
        nn.init.constant_(self.heat.bias, -math.log((1 - 0.01) / 0.01))  # prior 0.01: focal-loss start
        nn.init.constant_(self.box.bias, math.log(16.0))
        nn.init.zeros_(self.vert.bias)

    def forward(self, x: torch.Tensor, *, dense_box: bool = True) -> dict:
        """The dense maps of ``x`` (see the class docstring). With ``dense_box=False`` and a per-class box head,
        ``box`` is not computed for every cell and class: it is a function ``box(b, labels, i, j) -> (4, K)``
        giving the distances of class ``labels[k]`` at cell ``(i[k], j[k])`` of image ``b`` (what
        :func:`docpipe.detect.decode.decode` needs at the heatmap peaks; the same numbers as the dense map at a
        fraction of the cost). A shared box head always returns the dense map."""
        c4 = self.s4(self.stem(x))
        c8 = self.s8(c4)
        c16 = self.s16(c8)
        c32 = self.s32(c16)
        g = self.context(c32.mean(dim=(2, 3)))
        c32 = F.relu(c32 + g[:, :, None, None])
        p = self.lat[3](c32)
        for i, c in ((2, c16), (1, c8), (0, c4)):
            p = self.smooth[i](self.lat[i](c) + F.interpolate(p, size=c.shape[-2:], mode="nearest"))
        h = self.head(p)
        if dense_box or not self.cfg.box_per_class:
            box = torch.exp(self.box(h).clamp(-4.0, 8.0))
        else:
            def box(b: int, labels: torch.Tensor, i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
                return self.box_at(h, b, labels, i, j)
        return {"heat": self.heat(h), "box": box, "vert": self.vert(h)}

    def box_at(self, feat: torch.Tensor, b: int, labels: torch.Tensor, i: torch.Tensor,
               j: torch.Tensor) -> torch.Tensor:
        """Box distances ``(4, K)`` of class ``labels[k]`` at cell ``(i[k], j[k])`` of image ``b``, from the head
        features ``feat`` (N, neck, h, w): the box head's 1x1 convolution evaluated at those cells only."""
        f = feat[b, :, i, j]  # (n, K)
        w = self.box.weight.reshape(-1, 4, f.shape[0])  # (C or 1, 4, n)
        bias = self.box.bias.reshape(-1, 4)
        sel = labels if self.cfg.box_per_class else torch.zeros_like(labels)
        d = torch.einsum("kcn,nk->ck", w[sel], f) + bias[sel].T
        return torch.exp(d.clamp(-4.0, 8.0))


def build(cfg: DetectorConfig | None = None) -> RegionNet:
    return RegionNet(cfg)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
