"""Dimension strings as printed on drawings, with their parsed ground truth (a :class:`DimSpec`).

Covers ``45``, ``120.5``, ``2,5``, ``25 ±0.1``, ``30 +0.02/-0.01`` (stacked), ``Ø25 H7``, ``Ø12 g6``,
``4x Ø6.6``, ``R5``, ``M8x1.25``, ``30°``, ``1x45°``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fonts import Font

HOLE_FITS = ["H7", "H7", "H8", "H6", "F7", "G7", "N7", "P7"]
SHAFT_FITS = ["g6", "h6", "h7", "f7", "k6", "m6", "p6", "js6"]
COARSE_PITCH = {3: 0.5, 4: 0.7, 5: 0.8, 6: 1.0, 8: 1.25, 10: 1.5, 12: 1.75, 16: 2.0, 20: 2.5, 24: 3.0}
FINE_PITCH = {8: 1.0, 10: 1.25, 12: 1.5, 16: 1.5, 20: 1.5, 24: 2.0}


@dataclass
class DimSpec:
    text: str                     # as printed (stacked tolerances joined as "30 +0.02/-0.01")
    parts: list[tuple[str, str]]  # ("main" | "upper" | "lower", string) pieces to draw
    kind: str
    nominal: float | None
    unit: str
    upper: float | None = None
    lower: float | None = None
    fit: str | None = None
    count: int = 1
    pitch: float | None = None
    source: str | None = None

    def items(self, f: Font, small: Font) -> list[tuple[float, float, str, Font]]:
        """Stamp items: the main string on the baseline; a stacked tolerance as two small lines after it."""
        out: list[tuple[float, float, str, Font]] = []
        x = 0.0
        for role, s in self.parts:
            if role == "main":
                out.append((x, 0.0, s, f))
                x += f.length(s + " ")
            elif role == "upper":
                out.append((x, -f.size * 0.42, s, small))
            else:
                out.append((x, f.size * 0.12, s, small))
        return out


def num(x: float, comma: bool = False) -> str:
    s = f"{x:.3f}".rstrip("0").rstrip(".")
    return s.replace(".", ",") if comma else s


def signed(x: float, comma: bool) -> str:
    if x == 0:
        return "0"
    return ("+" if x > 0 else "-") + num(abs(x), comma)


def linear(value: float, rng: np.random.Generator, comma: bool = False, prefix: str = "", kind: str = "linear",
           fit_pool: list[str] | None = None, count: int = 1) -> DimSpec:
    """A length (or, with ``prefix='Ø'``, a diameter) with a random tolerance style."""
    base = prefix + num(value, comma)
    if count > 1:
        base = f"{count}x {base}"
    r = rng.random()
    if fit_pool and r < 0.35:
        fit = fit_pool[int(rng.integers(len(fit_pool)))]
        s = f"{base} {fit}"
        return DimSpec(s, [("main", s)], kind, value, "mm", fit=fit, count=count, source="fit")
    r = rng.random()
    if r < 0.15:
        t = float(rng.choice([0.05, 0.1, 0.2, 0.02, 0.5]))
        s = f"{base} ±{num(t, comma)}"
        return DimSpec(s, [("main", s)], kind, value, "mm", upper=t, lower=-t, count=count, source="drawing")
    if r < 0.27:
        up = float(rng.choice([0.02, 0.05, 0.1, 0.0, 0.2, 0.03]))
        lo = float(rng.choice([-0.01, -0.02, -0.05, 0.0, -0.1]))
        if up == lo == 0:
            up = 0.1
        us, ls = signed(up, comma), signed(lo, comma)
        return DimSpec(f"{base} {us}/{ls}", [("main", base), ("upper", us), ("lower", ls)], kind, value, "mm",
                       upper=up, lower=lo, count=count, source="drawing")
    return DimSpec(base, [("main", base)], kind, value, "mm", count=count)


def diameter(value: float, rng: np.random.Generator, comma: bool = False, hole: bool = True,
             count: int = 1) -> DimSpec:
    pool = None if count > 1 else (HOLE_FITS if hole else SHAFT_FITS)
    return linear(value, rng, comma, "Ø", "diameter", pool, count)


def radius(value: float, comma: bool = False, count: int = 1) -> DimSpec:
    s = ("" if count == 1 else f"{count}x ") + "R" + num(value, comma)
    return DimSpec(s, [("main", s)], "radius", value, "mm", count=count)


def angle(value: float, rng: np.random.Generator | None = None) -> DimSpec:
    s = f"{num(value)}°"
    if rng is not None and rng.random() < 0.2:
        s += " ±0.5°"
        return DimSpec(s, [("main", s)], "angle", value, "deg", upper=0.5, lower=-0.5, source="drawing")
    return DimSpec(s, [("main", s)], "angle", value, "deg")


def chamfer(size: float, comma: bool = False, count: int = 1) -> DimSpec:
    s = ("" if count == 1 else f"{count}x ") + f"{num(size, comma)}x45°"
    return DimSpec(s, [("main", s)], "chamfer", size, "mm", count=count)


def thread(d: int, rng: np.random.Generator, count: int = 1) -> DimSpec:
    fine = d in FINE_PITCH and rng.random() < 0.35
    pitch = FINE_PITCH[d] if fine else COARSE_PITCH[d]
    show = fine or rng.random() < 0.6
    s = f"M{d}x{num(pitch)}" if show else f"M{d}"
    if count > 1:
        s = f"{count}x {s}"
    return DimSpec(s, [("main", s)], "thread", float(d), "mm", count=count, pitch=pitch if show else None)
