"""Part families for drawings: geometry of each orthographic view in millimetres plus where to dimension it.

A view is a :class:`View` with a size (``w`` x ``h`` mm, origin top-left, y down), geometry ``items`` and
dimension ``dims``. Geometry: ``("outline", [(x, y), ...])`` closed polygon, ``("circle", cx, cy, r)``,
``("hidden", x0, y0, x1, y1)``, ``("center", x0, y0, x1, y1)``, ``("ccircle", cx, cy, r)`` (centre-line circle),
``("cross", cx, cy, r)`` (centre mark), ``("line", x0, y0, x1, y1)``.
Dimensions: ``("h", xa, xb, ya, yb, side, tier, spec)`` (side "top"/"bottom"), ``("v", ya, yb, xa, xb, side,
tier, spec)`` (side "left"/"right"), ``("vin", x, y0, y1, spec)`` (vertical, inside the outline),
``("leader", px, py, spec)``, ``("angle", cx, cy, r, a0, a1, spec)`` (degrees, clockwise from 3 o'clock).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import dimtext as D


@dataclass
class View:
    w: float
    h: float
    col: int
    row: int
    items: list = field(default_factory=list)
    dims: list = field(default_factory=list)


def _c(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def rounded_rect(w: float, h: float, r: float = 0.0, ch: float = 0.0) -> list[tuple[float, float]]:
    if ch > 0:
        return [(ch, 0), (w - ch, 0), (w, ch), (w, h - ch), (w - ch, h), (ch, h), (0, h - ch), (0, ch)]
    if r <= 0:
        return [(0, 0), (w, 0), (w, h), (0, h)]
    pts = []
    for cx, cy, a0 in ((w - r, r, -90), (w - r, h - r, 0), (r, h - r, 90), (r, r, 180)):
        for k in range(7):
            a = math.radians(a0 + 15 * k)
            pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def circle_pts(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    return [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a))) for a in range(0, 360, 3)]


def plate(rng: np.random.Generator, comma: bool) -> tuple[str, list[View]]:
    L, W = float(_c(rng, range(80, 201, 10))), float(_c(rng, range(50, 131, 10)))
    t = float(_c(rng, [6, 8, 10, 12, 15, 20]))
    e = float(_c(rng, [8, 10, 12, 15]))
    d = float(_c(rng, [5.5, 6.6, 9.0, 11.0]))
    D0 = float(_c(rng, [16, 20, 25, 30, 40]))
    corner = _c(rng, ["r", "ch", "none"])
    r = float(_c(rng, [3, 5, 8])) if corner == "r" else 0.0
    ch = float(_c(rng, [2, 3, 5])) if corner == "ch" else 0.0
    top = View(L, W, 0, 1)
    top.items.append(("outline", rounded_rect(L, W, r, ch)))
    holes = [(e, e), (L - e, e), (L - e, W - e), (e, W - e)]
    thread = rng.random() < 0.3
    for hx, hy in holes:
        top.items += [("circle", hx, hy, d / 2), ("cross", hx, hy, d / 2)]
    top.items += [("circle", L / 2, W / 2, D0 / 2), ("cross", L / 2, W / 2, D0 / 2),
                  ("center", -3, W / 2, L + 3, W / 2), ("center", L / 2, -3, L / 2, W + 3)]
    top.dims += [("h", 0, L, W, W, "bottom", 0, D.linear(L, rng, comma)),
                 ("v", 0, W, 0, 0, "left", 0, D.linear(W, rng, comma)),
                 ("h", 0, e, e, e, "top", 0, D.linear(e, rng, comma)),
                 ("h", e, L - e, e, e, "top", 1, D.linear(L - 2 * e, rng, comma)),
                 ("v", 0, e, L - e, L - e, "right", 0, D.linear(e, rng, comma)),
                 ("v", e, W - e, L - e, L - e, "right", 1, D.linear(W - 2 * e, rng, comma)),
                 ("leader", L - e + d / 2 * 0.7, W - e - d / 2 * 0.7,
                  D.thread(int(_c(rng, [4, 5, 6, 8, 10])), rng, 4) if thread else D.diameter(d, rng, comma, count=4)),
                 ("leader", L / 2 + D0 / 2 * 0.7, W / 2 - D0 / 2 * 0.7, D.diameter(D0, rng, comma))]
    if r:
        top.dims.append(("leader", r * 0.3, W - r * 0.3, D.radius(r, comma, 4 if rng.random() < 0.5 else 1)))
    if ch:
        top.dims.append(("leader", ch / 2, W - ch / 2, D.chamfer(ch, comma, 4 if rng.random() < 0.5 else 1)))
    front = View(L, t, 0, 0)
    front.items.append(("outline", rounded_rect(L, t)))
    for hx in (e, L - e):
        front.items += [("hidden", hx - d / 2, 0, hx - d / 2, t), ("hidden", hx + d / 2, 0, hx + d / 2, t),
                        ("center", hx, -2, hx, t + 2)]
    front.items += [("hidden", L / 2 - D0 / 2, 0, L / 2 - D0 / 2, t), ("hidden", L / 2 + D0 / 2, 0, L / 2 + D0 / 2, t),
                    ("center", L / 2, -2, L / 2, t + 2)]
    front.dims.append(("v", 0, t, L, L, "right", 0, D.linear(t, rng, comma)))
    views = [front, top] if rng.random() < 0.7 else [top]
    if len(views) == 1:
        top.row = 0
    return _c(rng, ["BASE PLATE", "MOUNTING PLATE", "COVER PLATE", "ADAPTER PLATE"]), views


def flange(rng: np.random.Generator, comma: bool) -> tuple[str, list[View]]:
    OD = float(_c(rng, [100, 120, 140, 160, 180, 200]))
    bore = float(_c(rng, [20, 25, 30, 40, 50]))
    hub = bore + float(_c(rng, [20, 30, 40]))
    pcd = (OD + hub) / 2 + 5
    n = int(_c(rng, [4, 6, 8]))
    d = float(_c(rng, [9.0, 11.0, 13.5, 18.0]))
    t = float(_c(rng, [12, 15, 18, 20, 25]))
    hh = float(_c(rng, [15, 20, 25, 30]))
    R = OD / 2
    front = View(OD, OD, 0, 0)
    front.items += [("outline", circle_pts(R, R, R)), ("circle", R, R, hub / 2), ("circle", R, R, bore / 2),
        ("ccircle", R, R, pcd / 2), ("center", -4, R, OD + 4, R), ("center", R, -4, R, OD + 4)]
    a0 = float(_c(rng, [0, 45 if n == 4 else 30, 90 / n]))
    for k in range(n):
        a = math.radians(a0 + 360 * k / n)
        hx, hy = R + pcd / 2 * math.cos(a), R + pcd / 2 * math.sin(a)
        front.items += [("circle", hx, hy, d / 2), ("cross", hx, hy, d / 2)]
    ha = math.radians(a0)
    front.dims += [("leader", R + (pcd / 2) * math.cos(ha) + d / 2 * 0.7, R + (pcd / 2) * math.sin(ha) - d / 2 * 0.7,
                    D.diameter(d, rng, comma, count=n)),
                   ("leader", R + pcd / 2 * math.cos(math.radians(a0 + 180 / n)),
                    R + pcd / 2 * math.sin(math.radians(a0 + 180 / n)), D.linear(pcd, rng, comma, "Ø", "diameter")),
                   ("leader", R + bore / 2 * 0.707, R + bore / 2 * 0.707, D.diameter(bore, rng, comma))]
    if rng.random() < 0.8:
        front.dims.append(("angle", R, R, pcd / 2 + 8, a0, a0 + 360 / n, D.angle(360 / n, rng)))
    side = View(t + hh, OD, 1, 0)
    y0 = (OD - hub) / 2
    side.items += [("outline", [(0, 0), (t, 0), (t, y0), (t + hh, y0), (t + hh, y0 + hub), (t, y0 + hub),
                                (t, OD), (0, OD)]),
                   ("hidden", 0, R - bore / 2, t + hh, R - bore / 2), ("hidden", 0, R + bore / 2, t + hh, R + bore / 2),
                   ("center", -4, R, t + hh + 4, R)]
    for yy in (R - pcd / 2, R + pcd / 2):
        side.items += [("hidden", 0, yy - d / 2, t, yy - d / 2), ("hidden", 0, yy + d / 2, t, yy + d / 2),
                       ("center", -2, yy, t + 2, yy)]
    side.dims += [("v", 0, OD, 0, 0, "left", 0, D.linear(OD, rng, comma, "Ø", "diameter")),
                  ("v", y0, y0 + hub, t + hh, t + hh, "right", 0, D.diameter(hub, rng, comma, hole=False)),
                  ("h", 0, t, OD, OD, "bottom", 0, D.linear(t, rng, comma)),
                  ("h", 0, t + hh, OD, y0 + hub, "bottom", 1, D.linear(t + hh, rng, comma)),
                  ("h", t, t + hh, 0, y0, "top", 0, D.linear(hh, rng, comma)),
                  ("leader", t + hh, y0 + 1, D.chamfer(float(_c(rng, [1, 1.5, 2])), comma))]
    return _c(rng, ["FLANGE", f"FLANGE DN{int(bore)}", "WELD NECK FLANGE", "HUB FLANGE"]), [front, side]


def bracket(rng: np.random.Generator, comma: bool) -> tuple[str, list[View]]:
    a, b = float(_c(rng, range(60, 161, 10))), float(_c(rng, range(50, 131, 10)))
    t = float(_c(rng, [6, 8, 10, 12]))
    w = float(_c(rng, [30, 40, 50, 60, 80]))
    R = float(_c(rng, [3, 5, 6, 8]))
    d = float(_c(rng, [6.6, 8.5, 9.0, 11.0]))
    hx = float(round((t + a) / 2 / 5) * 5 + 5)
    side = View(a, b, 0, 0)
    fil = [(t + R - R * math.cos(math.radians(k * 15)), b - t - R + R * math.sin(math.radians(k * 15)))
           for k in range(7)]
    side.items += [("outline", [(0, 0), (t, 0)] + fil + [(a, b - t), (a, b), (0, b)]),
                   ("hidden", hx - d / 2, b - t, hx - d / 2, b), ("hidden", hx + d / 2, b - t, hx + d / 2, b),
                   ("center", hx, b - t - 3, hx, b + 3)]
    side.dims += [("h", 0, a, b, b, "bottom", 0, D.linear(a, rng, comma)),
                  ("v", 0, b, 0, 0, "left", 0, D.linear(b, rng, comma)),
                  ("v", b - t, b, a, a, "right", 0, D.linear(t, rng, comma)),
                  ("h", 0, t, 0, 0, "top", 0, D.linear(t, rng, comma)),
                  ("h", 0, hx, b - t, b - t, "top", 1, D.linear(hx, rng, comma)),
                  ("leader", t + R - R * 0.707, b - t - R + R * 0.707, D.radius(R, comma))]
    top = View(a, w, 0, 1)
    s = float(round(w / 2 / 5) * 5)
    top.items += [("outline", rounded_rect(a, w)), ("line", t, 0, t, w)]
    for yy in ((w - s) / 2, (w + s) / 2):
        top.items += [("circle", hx, yy, d / 2), ("cross", hx, yy, d / 2)]
    top.dims += [("v", 0, w, a, a, "right", 0, D.linear(w, rng, comma)),
                 ("v", (w - s) / 2, (w + s) / 2, 0, 0, "left", 0, D.linear(s, rng, comma)),
                 ("leader", hx + d / 2 * 0.7, (w - s) / 2 - d / 2 * 0.7, D.diameter(d, rng, comma, count=2))]
    return _c(rng, ["MOUNTING BRACKET", "ANGLE BRACKET", "SUPPORT BRACKET", "L-BRACKET"]), [side, top]


def shaft(rng: np.random.Generator, comma: bool) -> tuple[str, list[View]]:
    n = int(rng.integers(2, 5))
    ds = sorted({float(_c(rng, [12, 16, 20, 25, 30, 35, 40, 50])) for _ in range(n + 1)}, reverse=True)[:n]
    n = len(ds)
    ls = [float(_c(rng, [15, 20, 25, 30, 40, 50, 60])) for _ in range(n)]
    order = list(range(n))
    if n >= 3 and rng.random() < 0.6:  # biggest step in the middle
        order = [1, 0] + list(range(2, n))
    dmax = ds[0]
    L = sum(ls)
    v = View(L, dmax, 0, 0)
    x, ch = 0.0, float(_c(rng, [0.5, 1, 1.5]))
    top_pts = []
    for k, i in enumerate(order):
        r = ds[i] / 2
        top_pts += [(x, dmax / 2 - r), (x + ls[k], dmax / 2 - r)]
        x += ls[k]
    outline = top_pts + [(px, dmax - py) for px, py in reversed(top_pts)]
    v.items += [("outline", outline), ("center", -4, dmax / 2, L + 4, dmax / 2)]
    x = 0.0
    thread_end = rng.random() < 0.5 and ds[order[-1]] in D.COARSE_PITCH
    for k, i in enumerate(order):
        r = ds[i] / 2
        if k:
            v.items.append(("line", x, dmax / 2 - max(r, ds[order[k - 1]] / 2), x,
                            dmax / 2 + max(r, ds[order[k - 1]] / 2)))
        last = k == n - 1
        if last and thread_end:
            spec = D.thread(int(ds[i]), rng)
            v.dims.append(("leader", x + ls[k] * 0.6, dmax / 2 - r, spec))
            v.items.append(("line", x + ls[k] * 0.2, dmax / 2 - r * 0.85, L, dmax / 2 - r * 0.85))
            v.items.append(("line", x + ls[k] * 0.2, dmax / 2 + r * 0.85, L, dmax / 2 + r * 0.85))
        else:
            v.dims.append(("vin", x + ls[k] / 2, dmax / 2 - r, dmax / 2 + r, D.diameter(ds[i], rng, comma, hole=False)))
        v.dims.append(("h", x, x + ls[k], dmax / 2 + r, dmax / 2 + r, "bottom", 0, D.linear(ls[k], rng, comma)))
        x += ls[k]
    v.dims.append(("h", 0, L, dmax / 2 + ds[order[0]] / 2, dmax / 2 + ds[order[-1]] / 2, "bottom", 1,
                   D.linear(L, rng, comma)))
    v.dims.append(("leader", 0.3, dmax / 2 - ds[order[0]] / 2 + 0.3, D.chamfer(ch, comma, 2 if rng.random() < .5 else 1)))
    views = [v]
    if rng.random() < 0.5:
        e = View(dmax, dmax, 1, 0)
        e.items += [("outline", circle_pts(dmax / 2, dmax / 2, dmax / 2)), ("cross", dmax / 2, dmax / 2, dmax / 2)]
        views.append(e)
    return _c(rng, ["DRIVE SHAFT", "STEPPED SHAFT", "PIN", "AXLE"]), views


FAMILIES = {"plate": plate, "flange": flange, "bracket": bracket, "shaft": shaft}
