"""Scan degradations: paper tint, blur, skew, noise, specks, JPEG artefacts. Parameters come from ``rng``.

Ground truth never depends on these: skew rotates the image about its centre keeping the canvas size, and the
ground-truth boxes stay in the upright frame (the pipeline deskews before it compares).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageFilter


@dataclass
class DegradeParams:
    paper: int = 245          # background grey level, 0-255
    tint: bool = False        # yellowish paper (RGB output)
    ink: float = 1.0          # ink darkness factor (<1 fades the ink)
    blur: float = 0.6         # gaussian blur radius, px
    skew: float = 0.0         # degrees, counter-clockwise
    noise: float = 4.0        # gaussian noise sigma, grey levels
    specks: float = 0.0       # fraction of pixels turned to salt/pepper
    jpeg: int | None = 80     # JPEG quality of a round trip, None for none


def draw_params(rng: np.random.Generator, strength: float = 1.0, color: bool = True) -> DegradeParams:
    """Random parameters; ``strength`` 0..1 scales how rough the scan looks."""
    s = strength
    return DegradeParams(
        paper=int(255 - rng.uniform(0, 28) * s),
        tint=bool(color and rng.random() < 0.25 * s),
        ink=float(1 - rng.uniform(0, 0.35) * s),
        blur=float(rng.uniform(0.0, 1.2) * s),
        skew=float(rng.uniform(-3, 3) * s),
        noise=float(rng.uniform(0, 9) * s),
        specks=float(rng.uniform(0, 0.0015) * s) if rng.random() < 0.35 else 0.0,
        jpeg=int(rng.uniform(45, 90)) if rng.random() < 0.7 * s + 0.1 else None,
    )


def apply(im: Image.Image, p: DegradeParams, rng: np.random.Generator) -> Image.Image:
    """Degrade a mode "L" page; returns "L", or "RGB" when ``p.tint``. About 0.2-0.4 s for an A4 page."""
    # ink fade and paper level: map 0 (ink) .. 255 (white) to ink_level .. paper, through a lookup table
    ink_level = 255 * (1 - p.ink)
    im = im.point([int(ink_level + v * (p.paper - ink_level) / 255.0) for v in range(256)])
    if p.blur > 0.3:
        im = im.filter(ImageFilter.GaussianBlur(p.blur))
    if abs(p.skew) > 0.05:
        im = im.rotate(p.skew, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=p.paper)
    if p.noise > 0.5:
        # half-resolution noise, upsampled: grainier than per-pixel noise and cheaper to draw
        w, h = im.size
        n = rng.standard_normal(((h + 1) // 2, (w + 1) // 2), dtype=np.float32) * p.noise + 128
        noise = Image.fromarray(n.clip(0, 255).astype(np.uint8), "L").resize((w, h), Image.Resampling.BILINEAR)
        im = ImageChops.add(im, noise, scale=1.0, offset=-128)
    if p.specks > 0:
        a = np.array(im)
        k = int(a.size * p.specks)
        ys, xs = rng.integers(0, a.shape[0], k), rng.integers(0, a.shape[1], k)
        a[ys, xs] = np.where(rng.random(k) < 0.6, 30, 255).astype(np.uint8)
        im = Image.fromarray(a, "L")
    if p.tint:
        im = Image.merge("RGB", [im, im.point([int(v * 0.975) for v in range(256)]),
                                 im.point([int(v * 0.9) for v in range(256)])])
    if p.jpeg:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=p.jpeg)
        im = Image.open(io.BytesIO(buf.getvalue()))
        im.load()
    return im


def degrade(im: Image.Image, rng: np.random.Generator, strength: float = 1.0, color: bool = True) -> Image.Image:
    return apply(im, draw_params(rng, strength, color), rng)
