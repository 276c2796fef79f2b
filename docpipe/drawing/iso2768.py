"""ISO 2768-1 general tolerances: the +- tolerance a dimension gets from the title block when it has none.

Classes: ``f`` (fine), ``m`` (medium), ``c`` (coarse), ``v`` (very coarse).

- linear sizes: nominal in mm, tolerance +- in mm (ISO 2768-1 table 1), 0.5 mm up to 4000 mm;
- radii and chamfer heights (``kind="radius"`` or ``"chamfer"``): nominal in mm, +- mm (table 2), from 0.5 mm;
- angles (``kind="angle"``): ``nominal`` is the length of the **shorter leg** of the angle in mm (not the
  angle itself), tolerance +- in **degrees** (table 3).

Below 0.5 mm the standard says the tolerance must be written next to the nominal size, so those raise
ValueError, as do sizes the class does not cover (class f over 2000 mm, class v up to 3 mm).
"""

from __future__ import annotations

import bisect
import re

__all__ = ["CLASSES", "general_tolerance", "parse_general_tolerance"]

CLASSES = ("f", "m", "c", "v")

# Table 1, linear sizes: upper bounds (mm, inclusive) of "over 0.5 up to 3", "over 3 up to 6", ...
_LINEAR_BOUNDS = (3, 6, 30, 120, 400, 1000, 2000, 4000)
_LINEAR = {
    "f": (0.05, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, None),
    "m": (0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0),
    "c": (0.2, 0.3, 0.5, 0.8, 1.2, 2.0, 3.0, 4.0),
    "v": (None, 0.5, 1.0, 1.5, 2.5, 4.0, 6.0, 8.0),
}
# Table 2, external radii and chamfer heights: 0.5-3, over 3-6, over 6.
_RADIUS_BOUNDS = (3, 6, float("inf"))
_RADIUS = {"f": (0.2, 0.5, 1.0), "m": (0.2, 0.5, 1.0), "c": (0.4, 1.0, 2.0), "v": (0.4, 1.0, 2.0)}
# Table 3, angles by shorter leg length: up to 10, over 10-50, over 50-120, over 120-400, over 400 (degrees).
_ANGLE_BOUNDS = (10, 50, 120, 400, float("inf"))
_ANGLE = {
    "f": (1.0, 0.5, 20 / 60, 10 / 60, 5 / 60),
    "m": (1.0, 0.5, 20 / 60, 10 / 60, 5 / 60),
    "c": (1.5, 1.0, 0.5, 15 / 60, 10 / 60),
    "v": (3.0, 2.0, 1.0, 0.5, 20 / 60),
}


def general_tolerance(nominal: float, tol_class: str = "m", kind: str = "linear") -> float:
    """Symmetric general tolerance (+- value) for a size without an explicit tolerance.

    ``nominal`` in mm (for ``kind="angle"``: the shorter leg length in mm). Returns mm, or degrees for angles.
    ``kind`` is one of linear, diameter (same as linear), radius, chamfer, angle.
    """
    cls = tol_class.strip().lower()
    if cls not in CLASSES:
        raise ValueError(f"unknown ISO 2768-1 tolerance class {tol_class!r}; use one of f, m, c, v")
    if kind in ("linear", "diameter"):
        bounds, table, low = _LINEAR_BOUNDS, _LINEAR, 0.5
    elif kind in ("radius", "chamfer"):
        bounds, table, low = _RADIUS_BOUNDS, _RADIUS, 0.5
    elif kind == "angle":
        bounds, table, low = _ANGLE_BOUNDS, _ANGLE, 0.0
    else:
        raise ValueError(f"ISO 2768-1 has no general tolerance for kind {kind!r}")
    if nominal < low or (kind == "angle" and nominal <= 0):
        raise ValueError(f"{nominal!r} mm is below the range of ISO 2768-1 ({kind}); tolerance must be stated")
    i = bisect.bisect_left(bounds, nominal)
    value = table[cls][i] if i < len(bounds) else None
    if value is None:
        raise ValueError(f"ISO 2768-1 class {cls!r} gives no {kind} tolerance for {nominal!r} mm")
    return value


_WORDS = {"fine": "f", "medium": "m", "coarse": "c", "very coarse": "v"}
# "ISO 2768-mK", "DIN ISO 2768 m", "ISO 2768-1 f", "ISO2768-c", "ISO 2768 (medium)". The optional second
# letter H/K/L is the ISO 2768-2 geometrical class, which we ignore here.
_GT_RE = re.compile(
    r"(?<![0-9])2768(?:\s*-\s*[12](?![0-9]))?\s*[-\u2013\u2014:/]?\s*\(?\s*"
    r"(?:(?P<word>very\s+coarse|fine|medium|coarse)\b|(?P<cls>[fmcv])(?:[hkl])?\b)",
    re.IGNORECASE,
)


def parse_general_tolerance(text: str) -> str | None:
    """The ISO 2768-1 class ('f', 'm', 'c' or 'v') named in a title-block string, or None."""
    m = _GT_RE.search(text)
    if not m:
        return None
    if m.group("word"):
        return _WORDS[" ".join(m.group("word").lower().split())]
    return m.group("cls").lower()
