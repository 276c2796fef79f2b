"""Axis-aligned boxes: union, overlap and containment tests, written once.

A box is an ``(x0, y0, x1, y1)`` tuple in pixels, origin top-left, x to the right and y down, with
``x0 <= x1`` and ``y0 <= y1``; ``(x1, y1)`` is the far corner (exclusive, as in PIL), so a box's area is
``(x1 - x0) * (y1 - y0)``. Integers and floats both work; nothing here rounds.
"""

from __future__ import annotations

from collections.abc import Iterable

Box = tuple[float, float, float, float]


def union(boxes: Iterable[Box]) -> Box:
    """The smallest box holding all of ``boxes`` (at least one)."""
    boxes = list(boxes)
    if not boxes:
        raise ValueError("union of no boxes")
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def intersection(a: Box, b: Box) -> float:
    """The area the two boxes share, square pixels (0 when they are apart or only touch)."""
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    return ix * iy if ix > 0 and iy > 0 else 0


def iou(a: Box, b: Box) -> float:
    """Intersection over union, in ``[0, 1]``; 0 for degenerate boxes."""
    inter = intersection(a, b)
    if not inter:
        return 0.0
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / u if u > 0 else 0.0


def overlaps(a: Box, b: Box) -> bool:
    """True when the boxes share some area (touching edges do not count)."""
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def centre_in(a: Box, b: Box) -> bool:
    """True when the centre of ``a`` lies inside ``b`` (edges included)."""
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


def inside(box: Box, outer: Box, pad: float = 0) -> bool:
    """True when all of ``box`` lies within ``outer`` grown by ``pad`` pixels on every side."""
    return (box[0] >= outer[0] - pad and box[1] >= outer[1] - pad
            and box[2] <= outer[2] + pad and box[3] <= outer[3] + pad)


def mostly_inside(a: Box, b: Box, share: float = 0.5) -> bool:
    """True when more than ``share`` (0-1) of ``a``'s area lies inside ``b``; False for a degenerate ``a``."""
    own = (a[2] - a[0]) * (a[3] - a[1])
    return own > 0 and intersection(a, b) / own > share


def near(a: Box, b: Box) -> bool:
    """Within two text heights of each other (boxes in one frame; the height is the taller box's)."""
    h = max(a[3] - a[1], b[3] - b[1])
    return max(a[0] - b[2], b[0] - a[2]) <= 2 * h and max(a[1] - b[3], b[1] - a[3]) <= 2 * h
