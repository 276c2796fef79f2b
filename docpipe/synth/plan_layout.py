"""The building behind a generated floor plan: footprint, rooms, walls, doors and windows, in millimetres.

Coordinates are millimetres from the footprint's top-left outer corner, x right, y down. Rooms come from
guillotine cuts of the footprint (each cut an inner wall across one part); every inner wall gets a door, the
outer walls an entrance and windows. :mod:`.plan` draws this and records the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MM_PER_INCH = 25.4


@dataclass
class Wall:
    """An axis-aligned wall: ``axis`` the centre line's fixed coordinate, from ``a`` to ``b`` along it."""

    horizontal: bool
    axis: float
    a: float
    b: float
    thickness: float
    outer: bool = False
    side: str = ""  # outer walls: "top" | "bottom" | "left" | "right"


@dataclass
class Opening:
    kind: str  # door | window
    wall: Wall
    at: float  # start along the wall
    width: float
    height: float
    tag: str = ""
    swing: int = 1  # doors: which side of the wall the leaf opens to (+1 / -1)
    hinge: int = 0  # doors: 0 hinge at ``at``, 1 at ``at + width``


@dataclass
class Room:
    x0: float
    y0: float
    x1: float
    y1: float  # clear inner extent (wall faces), mm
    name: str = ""


@dataclass
class Building:
    width: float
    height: float
    outer_t: float
    inner_t: float
    imperial: bool
    rooms: list[Room] = field(default_factory=list)
    walls: list[Wall] = field(default_factory=list)
    openings: list[Opening] = field(default_factory=list)
    xcuts: list[float] = field(default_factory=list)  # inner wall axes (vertical walls), mm
    ycuts: list[float] = field(default_factory=list)


def _snap(v: float, q: float) -> float:
    return round(v / q) * q


def make_building(rng: np.random.Generator, imperial: bool, n_rooms: int) -> Building:
    """A footprint split into ``n_rooms`` rooms (fewer when parts get too small), with openings."""
    q = 6 * MM_PER_INCH if imperial else 50.0  # dimensions round to half feet or 5 cm
    W = _snap(rng.uniform(8000, 15000), q)
    H = _snap(rng.uniform(6500, 11000), q)
    outer_t = 12 * MM_PER_INCH if imperial else float(rng.choice([300, 365, 400]))
    inner_t = 6 * MM_PER_INCH if imperial else float(rng.choice([100, 115, 150]))
    b = Building(W, H, outer_t, inner_t, imperial)
    parts = [(outer_t, outer_t, W - outer_t, H - outer_t)]  # clear extents of the parts
    min_side = 2200.0
    tries = 0
    while len(parts) < n_rooms and tries < 40:
        tries += 1
        i = int(rng.integers(len(parts)))
        x0, y0, x1, y1 = parts[i]
        vertical = (x1 - x0) > (y1 - y0) if rng.random() < 0.75 else rng.random() < 0.5
        lo, hi = (x0, x1) if vertical else (y0, y1)
        if hi - lo < 2 * min_side + inner_t:
            continue
        axis = _snap(rng.uniform(lo + min_side + inner_t / 2, hi - min_side - inner_t / 2), q)
        if axis - inner_t / 2 - lo < min_side * 0.95 or hi - axis - inner_t / 2 < min_side * 0.95:
            continue
        if vertical:
            b.walls.append(Wall(False, axis, y0, y1, inner_t))  # a wall along y: not horizontal
            b.xcuts.append(axis)
            parts[i:i + 1] = [(x0, y0, axis - inner_t / 2, y1), (axis + inner_t / 2, y0, x1, y1)]
        else:
            b.walls.append(Wall(True, axis, x0, x1, inner_t))
            b.ycuts.append(axis)
            parts[i:i + 1] = [(x0, y0, x1, axis - inner_t / 2), (x0, axis + inner_t / 2, x1, y1)]
    b.rooms = [Room(*p) for p in parts]
    h = outer_t / 2
    b.walls[:0] = [Wall(True, h, 0, W, outer_t, True, "top"), Wall(True, H - h, 0, W, outer_t, True, "bottom"),
                   Wall(False, h, 0, H, outer_t, True, "left"), Wall(False, W - h, 0, H, outer_t, True, "right")]
    _place_openings(rng, b)
    return b


def _free_intervals(b: Building, wall: Wall) -> list[tuple[float, float]]:
    """Stretches of ``wall`` that no perpendicular wall meets, mm along it."""
    blocked = []
    for o in b.walls:
        if o is wall or o.horizontal == wall.horizontal:
            continue
        if o.a - wall.thickness <= wall.axis <= o.b + wall.thickness and wall.a - 1 <= o.axis <= wall.b + 1:
            blocked.append((o.axis - o.thickness / 2, o.axis + o.thickness / 2))
    free, at = [], wall.a
    for lo, hi in sorted(blocked):
        if lo > at:
            free.append((at, min(lo, wall.b)))
        at = max(at, hi)
    if wall.b > at:
        free.append((at, wall.b))
    return [iv for iv in free if iv[1] - iv[0] > 1]


def _place_openings(rng: np.random.Generator, b: Building) -> None:
    door_w = [32 * MM_PER_INCH, 36 * MM_PER_INCH] if b.imperial else [800.0, 900.0, 1000.0]
    margin = 150.0
    pos_q = MM_PER_INCH if b.imperial else 10.0  # openings sit on whole inches or centimetres
    for wall in b.walls:
        free = [iv for iv in _free_intervals(b, wall) if iv[1] - iv[0] > 0]
        if not wall.outer:  # one door in each inner wall, in its longest free stretch
            a, e = max(free, key=lambda iv: iv[1] - iv[0])
            w = float(rng.choice(door_w))
            if e - a >= w + 2 * margin:
                at = _snap(rng.uniform(a + margin, e - margin - w), pos_q)
                b.openings.append(Opening("door", wall, at, w, 2100.0, swing=int(rng.choice([-1, 1])),
                                          hinge=int(rng.integers(2))))
            continue
        for a, e in free:
            room = e - a
            if room < 1600:
                continue
            if rng.random() < 0.85:
                w = _snap(float(rng.uniform(900, min(2400, room - 700))), 6 * MM_PER_INCH if b.imperial else 100)
                if w < 600:
                    continue
                at = _snap(a + (room - w) * float(rng.uniform(0.3, 0.7)), pos_q)
                if at - a < 350 or e - (at + w) < 350:
                    continue
                b.openings.append(Opening("window", wall, at, w, float(rng.choice([1200, 1400, 1500, 1800]))))
    # the entrance: a door in a free stretch of an outer wall without a window
    for wall in sorted((w for w in b.walls if w.outer), key=lambda _: rng.random()):
        for a, e in _free_intervals(b, wall):
            used = [o for o in b.openings if o.wall is wall and a <= o.at <= e]
            if used or e - a < 1400:
                continue
            w = float(rng.choice(door_w)) + (100 if not b.imperial else 4 * MM_PER_INCH)
            at = _snap(a + (e - a - w) / 2, pos_q)
            b.openings.append(Opening("door", wall, at, w, 2100.0, swing=1 if wall.side in ("top", "left") else -1))
            return
