"""Floor plans with exact ground truth: walls, doors, windows, room labels, dimension chains, tags, levels.

A3 landscape (4961 x 3508 px) or A4 landscape (3508 x 2480 px) at 300 dpi; scale 1:50 or 1:100 (imperial
1/4" or 1/8" = 1'-0"). The truth is a :class:`~docpipe.types.Drawing` with ``discipline="architectural"``:
every dimension text (with its ``chain`` id and ``overall`` flag), room label (name and area as printed),
door and window tag, and level mark, each with the ink box of its text. The building comes from
:mod:`.plan_layout`; marks around it (chains, grid, north arrow, scale bar, title block) from :mod:`.plan_marks`.
"""

from __future__ import annotations

import math

import numpy as np

from . import fake
from .canvas import Box, Canvas
from .content import gtext
from .fonts import SANS, TECHNICAL, Font, font
from .plan_layout import MM_PER_INCH, Building, Opening as LayoutOpening, Wall, make_building
from .plan_marks import PlanMarks
from ..drawing.areas import SQFT_M2
from ..geometry import union
from ..types import Drawing, GroundedNumber, Opening, Quantities, Room

SHEETS = {"A4": (3508, 2480), "A3": (4961, 3508)}
PX_PER_PAPER_MM = 300 / 25.4
LANGS = ("en", "de", "fr", "nl")
ROOM_NAMES = {
    "en": ["Living room", "Kitchen", "Bedroom", "Bathroom", "Hall", "WC", "Study", "Storage", "Dining room",
           "Utility", "Bedroom 2", "Office"],
    "de": ["Wohnen", "Küche", "Schlafen", "Bad", "Flur", "WC", "Arbeiten", "Abstellraum", "Essen", "Kind",
           "Diele", "Gast"],
    "fr": ["Séjour", "Cuisine", "Chambre", "Salle de bains", "Entrée", "WC", "Bureau", "Rangement", "Cellier",
           "Chambre 2", "Buanderie", "Salon"],
    "nl": ["Woonkamer", "Keuken", "Slaapkamer", "Badkamer", "Hal", "Toilet", "Werkkamer", "Berging", "Eetkamer",
           "Washok", "Slaapkamer 2", "Studeerkamer"],
}
# Labels in a script the OCR is not set up for (tests of "no invented rooms"): Greek, which DejaVu prints.
GREEK_NAMES = ["Σαλόνι", "Κουζίνα", "Υπνοδωμάτιο", "Μπάνιο", "Διάδρομος", "Αποθήκη", "Γραφείο", "Τραπεζαρία"]
TAG_SCHEMES = ("sized", "de", "en", "fr")


def _area_text(m2: float, lang: str, imperial: bool, rng) -> tuple[str, float]:
    """The printed area and its value in m² (square feet printed whole, converted as the reader does)."""
    if imperial:
        sqft = int(round(m2 / SQFT_M2))
        return f"{sqft} {fake.pick(rng, ['SF', 'sq ft', 'SQ FT'])}", round(sqft * SQFT_M2, 2)
    v = round(m2, 2)
    unit = fake.pick(rng, ["m²", "m²", "m2"])
    s = f"{v:.2f}"
    return (s.replace(".", ",") if lang != "en" else s) + f" {unit}", v


class PlanRenderer:
    def __init__(self, rng: np.random.Generator, *, lang: str | None = None, imperial: bool | None = None,
                 notation: str | None = None, sheet: str | None = None, title_block: bool | None = None,
                 script: str = "latin", n_rooms: int | None = None):
        self.rng = r = rng
        self.imperial = bool(r.random() < 0.25) if imperial is None else imperial
        self.lang = "en" if self.imperial else (lang or fake.pick(r, list(LANGS)))
        self.notation = "ft-in" if self.imperial else (notation or fake.pick(r, ["mm", "mm", "mm", "m", "cm"]))
        self.script = script
        self.with_title_block = bool(r.random() < 0.8) if title_block is None else title_block
        self.b: Building = make_building(r, self.imperial, n_rooms or int(r.integers(4, 8)))
        self.sheet, self.scale = self._sheet_and_scale(sheet)
        W, H = SHEETS[self.sheet]
        self.cv = Canvas(W, H)
        fam = fake.pick(r, TECHNICAL if r.random() < 0.6 else SANS)
        k = 1.0 if self.sheet == "A4" else 1.15
        self.f_dim = font(fam, r.uniform(30, 36) * k)
        self.f_name = font(fam, r.uniform(38, 46) * k)
        self.f_area = font(fam, r.uniform(32, 38) * k)
        self.f_tag = font(fam, r.uniform(28, 33) * k, bold=r.random() < 0.3)
        self.f_small = font(fam, r.uniform(26, 30) * k)
        self.wall_style = fake.pick(r, ["filled", "filled", "hatched", "double"])
        self.thin = int(r.integers(2, 4))
        self.taken: list[Box] = []
        self.truth = Drawing(discipline="architectural")

    # -- scale and placement --------------------------------------------------------------------
    def _sheet_and_scale(self, sheet: str | None) -> tuple[str, int]:
        scales = [48, 96] if self.imperial else [50, 100]
        for name in ([sheet] if sheet else (["A4", "A3"] if self.rng.random() < 0.4 else ["A3", "A4"])):
            W, H = SHEETS[name]
            for s in scales:
                k = PX_PER_PAPER_MM / s
                if self.b.width * k + 1100 < W and self.b.height * k + 1300 < H:
                    return name, s
        return sheet or "A3", scales[-1]

    @property
    def k(self) -> float:
        """Pixels per millimetre of building."""
        return PX_PER_PAPER_MM / self.scale

    def px(self, x: float, y: float) -> tuple[float, float]:
        return self.ox + x * self.k, self.oy + y * self.k

    # -- drawing ------------------------------------------------------------------------------------
    def render(self) -> tuple[Canvas, Drawing]:
        cv, r = self.cv, self.rng
        W, H = SHEETS[self.sheet]
        m = 120
        cv.rect((m, m, W - m, H - m), width=5)
        tb_h = 420 if self.with_title_block else 0
        area = (m + 520, m + 330, W - m - 380, H - m - tb_h - 470)
        bw, bh = self.b.width * self.k, self.b.height * self.k
        self.ox = area[0] + (area[2] - area[0] - bw) * float(r.uniform(0.2, 0.8))
        self.oy = area[1] + max(0.0, (area[3] - area[1] - bh)) * float(r.uniform(0.2, 0.8))
        for wall in self.b.walls:
            self._wall(wall)
        for o in self.b.openings:
            self._opening_symbol(o)
        self._rooms()
        self._tags()
        marks = PlanMarks(self)
        marks.chains()
        if not self.imperial:
            marks.levels()
        marks.clutter()
        marks.grid()
        marks.north_arrow((W - m - 260, m + 240))
        marks.scale_bar((m + 80, m + 120))
        marks.plan_title()
        if self.with_title_block:
            marks.title_block((m, H - m - tb_h, W - m, H - m))
        t = self.truth
        doors = sum(o.kind == "door" for o in t.openings)
        t.quantities = Quantities(rooms=len(t.rooms), doors=doors, windows=len(t.openings) - doors,
                                  floor_area_m2=round(sum(rm.area_m2.value for rm in t.rooms if rm.area_m2), 2),
                                  confidence=1.0)
        return cv, t

    def _wall_rect(self, wall: Wall, a: float, b: float) -> Box:
        h = wall.thickness / 2
        if wall.horizontal:
            (x0, y0), (x1, y1) = self.px(a, wall.axis - h), self.px(b, wall.axis + h)
        else:
            (x0, y0), (x1, y1) = self.px(wall.axis - h, a), self.px(wall.axis + h, b)
        return (x0, y0, x1, y1)

    def _wall(self, wall: Wall) -> None:
        at = wall.a
        pieces = []
        for o in sorted((o for o in self.b.openings if o.wall is wall), key=lambda o: o.at):
            pieces.append((at, o.at))
            at = o.at + o.width
        pieces.append((at, wall.b))
        for a, b in pieces:
            if b - a < 1:
                continue
            box = self._wall_rect(wall, a, b)
            if self.wall_style == "filled":
                self.cv.rect(box, outline=0, fill=0, width=1)
            else:
                self.cv.rect(box, outline=0, width=self.thin + (1 if wall.outer else 0))
                if self.wall_style == "hatched" and wall.outer:
                    self._hatch(box, 22)

    def _hatch(self, box: Box, step: int) -> None:
        x0, y0, x1, y1 = box
        c = int(x0 - y1)
        while c < x1 - y0:
            lo, hi = max(x0, y0 + c), min(x1, y1 + c)
            if hi - lo > 2:
                self.cv.line([(lo, lo - c), (hi, hi - c)], width=1)
            c += step

    def _opening_frame(self, o: LayoutOpening) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
        """(start of the gap on the wall's axis, unit vector along the wall, unit normal), in mm."""
        w = o.wall
        if w.horizontal:
            return (o.at, w.axis), (1.0, 0.0), (0.0, 1.0)
        return (w.axis, o.at), (0.0, 1.0), (1.0, 0.0)

    def symbol_box(self, o: LayoutOpening) -> Box:
        """The symbol's box in page pixels: the gap in the wall, and a door's swing."""
        (sx, sy), (ax, ay), (nx, ny) = self._opening_frame(o)
        t = o.wall.thickness / 2
        pts = [(sx + ax * d + nx * e, sy + ay * d + ny * e) for d in (0, o.width) for e in (-t, t)]
        if o.kind == "door":
            pts += [(sx + ax * d + nx * o.swing * (t + o.width), sy + ay * d + ny * o.swing * (t + o.width))
                    for d in (0, o.width)]
        p = [self.px(x, y) for x, y in pts]
        return tuple(int(v) for v in (min(a for a, _ in p), min(b for _, b in p), max(a for a, _ in p) + 1,
                                      max(b for _, b in p) + 1))

    def _opening_symbol(self, o: LayoutOpening) -> None:
        cv = self.cv
        (sx, sy), (ax, ay), (nx, ny) = self._opening_frame(o)
        t = o.wall.thickness / 2
        if o.kind == "window":
            with cv.region("window", pad=4):
                for e in (-t, -t / 4, t / 4, t) if self.rng.random() < 0.5 else (-t, 0.0, t):
                    cv.line([self.px(sx + nx * e, sy + ny * e), self.px(sx + ax * o.width + nx * e,
                                                                       sy + ay * o.width + ny * e)], width=2)
                for d in (0, o.width):
                    cv.line([self.px(sx + ax * d - nx * t, sy + ay * d - ny * t),
                             self.px(sx + ax * d + nx * t, sy + ay * d + ny * t)], width=2)
            return
        # A door's region is its symbol box (the gap and the swing quadrant), not the union of what is drawn:
        # the canvas notes an arc by its whole ellipse, which put the box around the full circle of the swing
        # (centred on the hinge, half of it outside the room).
        hinge = o.width * o.hinge
        face = o.swing * t
        hx, hy = sx + ax * hinge + nx * face, sy + ay * hinge + ny * face
        lx, ly = hx + nx * o.swing * o.width, hy + ny * o.swing * o.width
        jd = o.width - hinge
        jx, jy = sx + ax * jd + nx * face, sy + ay * jd + ny * face
        cv.line([self.px(hx, hy), self.px(lx, ly)], width=self.thin + 1)
        a1 = math.degrees(math.atan2(ly - hy, lx - hx)) % 360
        a2 = math.degrees(math.atan2(jy - hy, jx - hx)) % 360
        start = a1 if (a2 - a1) % 360 == 90 else a2
        cx, cy = self.px(hx, hy)
        rad = o.width * self.k
        cv.arc((cx - rad, cy - rad, cx + rad, cy + rad), start, start + 90, width=2)
        cv.add_region("door", self.symbol_box(o), pad=4)

    # -- rooms --------------------------------------------------------------------------------------
    def _fit(self, s: str, f: Font, width: float) -> Font:
        while f.length(s) > width and f.size > 22:
            f = Font(f.path, f.size - 2)
        return f

    def _rooms(self) -> None:
        r, cv = self.rng, self.cv
        names = GREEK_NAMES if self.script == "greek" else ROOM_NAMES[self.lang]
        order = list(r.permutation(len(names)))
        one_line = r.random() < 0.3
        for i, room in enumerate(self.b.rooms):
            name = names[order[i % len(names)]]
            room.name = name
            m2 = (room.x1 - room.x0) * (room.y1 - room.y0) / 1e6
            atext, aval = _area_text(m2, self.lang, self.imperial, r)
            (x0, y0), (x1, y1) = self.px(room.x0, room.y0), self.px(room.x1, room.y1)
            room_w = (x1 - x0) * 0.8
            lw = min(room_w, max(self.f_name.length(name), self.f_area.length(atext)) + 20)
            cx, cy = self._label_centre(r, (x0, y0, x1, y1), lw, 2.6 * self.f_name.size)
            with cv.region("room_label", pad=8):
                if one_line:
                    fn = self._fit(f"{name} {atext}", self.f_name, room_w)
                    fa = Font(fn.path, max(20, int(fn.size * 0.85)))
                    gap = fn.length(" ")
                    total = fn.length(name) + gap + fa.length(atext)
                    nbox = cv.text(cx - total / 2, cy, name, fn)
                    abox = cv.text(cx - total / 2 + fn.length(name) + gap, cy, atext, fa)
                else:
                    fn = self._fit(name, self.f_name, room_w)
                    fa = self._fit(atext, self.f_area, room_w)
                    nbox = cv.text(cx, cy - 0.2 * fn.size, name, fn, align="c")
                    abox = cv.text(cx, cy + 1.15 * fa.size, atext, fa, align="c")
            self.taken += [nbox, abox]
            box = union([nbox, abox])
            self.truth.rooms.append(Room(name=gtext(name, name, 1, nbox),
                                         area_m2=GroundedNumber(value=aval, text=atext, page=1, bbox=abox,
                                                                confidence=1.0),
                                         page=1, bbox=box, confidence=1.0))

    def _label_centre(self, r, room: Box, w: float, h: float) -> tuple[float, float]:
        """A label centre in ``room`` whose box (``w`` x ``h``) clears the door swings and windows."""
        x0, y0, x1, y1 = room
        symbols = [self.symbol_box(o) for o in self.b.openings]
        jitter = (float(r.uniform(-0.1, 0.1)), float(r.uniform(-0.1, 0.1)))
        for fx, fy in ((0.5, 0.5), (0.5, 0.3), (0.5, 0.7), (0.3, 0.5), (0.7, 0.5), (0.35, 0.3), (0.65, 0.7)):
            cx, cy = x0 + (x1 - x0) * (fx + jitter[0]), y0 + (y1 - y0) * (fy + jitter[1])
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if not any(box[0] < s[2] and s[0] < box[2] and box[1] < s[3] and s[1] < box[3] for s in symbols):
                return cx, cy
            jitter = (0.0, 0.0)
        return (x0 + x1) / 2, (y0 + y1) / 2

    # -- tags -----------------------------------------------------------------------------------
    def _tags(self) -> None:
        r = self.rng
        scheme = "en" if self.imperial else {"de": "de", "fr": "fr"}.get(self.lang, "en")
        scheme = "sized" if not self.imperial and r.random() < 0.4 else scheme
        counters = {"door": 0, "window": 0}
        pad2 = r.random() < 0.5
        for o in sorted(self.b.openings, key=lambda o: (o.kind, o.wall.side, o.at)):
            counters[o.kind] += 1
            n = counters[o.kind]
            num = f"{n:02d}" if pad2 else str(n)
            if scheme == "sized":
                o.tag = f"{'M' if o.kind == 'door' else 'C'}{int(round(o.width / 100)):02d}" \
                        f"{int(round(o.height / 100)):02d}"
            else:
                letter = {"de": ("T", "F"), "fr": ("P", "F"), "en": ("D", "W")}[scheme][o.kind != "door"]
                o.tag = f"{letter}{num}"
            box = self._place_tag(o)
            if box is None:
                continue
            width = height = None
            if scheme == "sized":
                width, height = float(int(round(o.width / 100)) * 100), float(int(round(o.height / 100)) * 100)
            self.truth.openings.append(Opening(kind=o.kind, tag=gtext(o.tag, o.tag, 1, box), width_mm=width,
                                               height_mm=height, symbol_bbox=self.symbol_box(o), page=1,
                                               bbox=box, confidence=1.0))

    def _place_tag(self, o: LayoutOpening) -> Box | None:
        """The tag beside its opening: outside for windows, on the side the door does not open to; the other
        side where that is taken."""
        (sx, sy), (ax, ay), (nx, ny) = self._opening_frame(o)
        f = self.f_tag
        w, h = f.length(o.tag), f.size * 0.75
        sides = [-o.swing, o.swing] if o.kind == "door" else [self._outside(o.wall)]
        for side in sides:
            mx, my = sx + ax * o.width / 2, sy + ay * o.width / 2
            px, py = self.px(mx, my)
            off = o.wall.thickness / 2 * self.k + 0.9 * f.size + (w / 2 if nx else h / 2)
            cx, cy = px + nx * side * off, py + ny * side * off
            box = (int(cx - w / 2) - 4, int(cy - h / 2) - 4, int(cx + w / 2) + 4, int(cy + h / 2) + 4)
            if any(box[0] < t[2] and t[0] < box[2] and box[1] < t[3] and t[1] < box[3] for t in self.taken):
                continue
            tb = self.cv.text(cx, cy + h / 2, o.tag, f, align="c")
            self.taken.append(tb)
            return tb
        return None

    def _outside(self, wall: Wall) -> int:
        return -1 if wall.side in ("top", "left") else 1


def render_plan(rng: np.random.Generator, **kw) -> tuple[Canvas, Drawing]:
    """One floor plan and its ground truth; ``kw``: ``lang`` (en/de/fr/nl), ``imperial``, ``notation``
    (mm/m/cm), ``sheet`` (A3/A4), ``title_block``, ``script`` (latin/greek), ``n_rooms``."""
    return PlanRenderer(rng, **kw).render()


__all__ = ["render_plan", "PlanRenderer", "MM_PER_INCH"]
