"""The marks around and inside a generated floor plan: dimension chains, level marks, furniture and sanitary
clutter, grid bubbles, north arrow, scale bar, plan title and title block. Used by :class:`.plan.PlanRenderer`,
whose canvas, fonts and truth these draw into and extend.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from . import fake
from .canvas import Box
from .content import gtext
from .fonts import Font
from ..drawing.plan_dimensions import format_plan_length, parse_plan_length
from ..geometry import union
from ..types import Dimension, GroundedDate, GroundedNumber, TitleBlock

if TYPE_CHECKING:
    from .plan import PlanRenderer

PLAN_TITLES = {"en": ["GROUND FLOOR PLAN", "FIRST FLOOR PLAN", "FLOOR PLAN"],
               "de": ["GRUNDRISS ERDGESCHOSS", "GRUNDRISS OBERGESCHOSS", "GRUNDRISS EG"],
               "fr": ["PLAN DU REZ-DE-CHAUSSÉE", "PLAN DE L'ÉTAGE", "PLAN RDC"],
               "nl": ["PLATTEGROND BEGANE GROND", "PLATTEGROND EERSTE VERDIEPING", "PLATTEGROND"]}
TB_LABELS = {"en": ("Project", "Drawing No.", "Scale", "Date", "Architect"),
             "de": ("Projekt", "Plan-Nr.", "Maßstab", "Datum", "Architekt"),
             "fr": ("Projet", "N° de plan", "Échelle", "Date", "Architecte"),
             "nl": ("Project", "Tekening nr.", "Schaal", "Datum", "Architect")}
PROJECTS = {"en": ["Residence {n}", "House {n}", "{n} Residence"], "de": ["Wohnhaus {n}", "Neubau EFH {n}"],
            "fr": ["Maison {n}", "Résidence {n}"], "nl": ["Woning {n}", "Nieuwbouw {n}"]}
UNIT_NOTES = {"de": "Maße in cm", "fr": "Cotes en cm", "nl": "Maten in cm", "en": "Dimensions in cm"}


class PlanMarks:
    def __init__(self, plan: PlanRenderer):
        self.p = plan
        self.cv, self.rng, self.b = plan.cv, plan.rng, plan.b
        self.ticks = fake.pick(self.rng, ["tick", "tick", "arrow", "dot"])
        self.comma = plan.notation == "m" and plan.lang in ("de", "nl", "fr") and self.rng.random() < 0.6
        self.n_chain = 0
        f = plan.f_dim.size
        self.off1, self.off2 = 2.6 * f + 50, 2.6 * f + 50 + 2.3 * f + 20
        self.off_grid = self.off2 + 1.4 * f + 90

    # -- dimension chains ---------------------------------------------------------------------------
    def chains(self) -> None:
        b, r = self.b, self.rng
        xs = self._positions(b.xcuts, b.width)
        ys = self._positions(b.ycuts, b.height)
        self._chain(xs, "bottom", self.off1, parts=True)
        self._chain([0.0, b.width], "bottom", self.off2, overall=True, same_as=self.n_chain)
        self._chain(ys, "left", self.off1, parts=True)
        self._chain([0.0, b.height], "left", self.off2, overall=True, same_as=self.n_chain)
        top = sorted(e for o in b.openings if o.wall.side == "top" for e in (o.at, o.at + o.width))
        if top and r.random() < 0.7:
            self._chain(self._positions(top, b.width), "top", self.off1, parts=True)
        if r.random() < 0.4:
            self._chain([0.0, b.height], "right", self.off1, overall=False)
        if r.random() < 0.6:  # a room's clear width, inside the walls
            room = max(b.rooms, key=lambda rm: (rm.x1 - rm.x0) * (rm.y1 - rm.y0))
            y = room.y1 - 0.22 * (room.y1 - room.y0)
            self._chain([room.x0, room.x1], "inside", 0, parts=True, at=y)

    def _positions(self, cuts, total: float, min_seg: float | None = None) -> list[float]:
        """Chain positions from 0 to ``total`` through ``cuts``, without segments too short for their text."""
        min_seg = min_seg or max(900.0, 4.2 * self.p.f_dim.size / self.p.k)
        out = [0.0]
        for c in sorted(set(cuts)):
            if c - out[-1] >= min_seg and total - c >= min_seg:
                out.append(c)
        return out + [total]

    def _chain(self, pos: list[float], side: str, off: float, *, parts: bool = False, overall: bool = False,
               same_as: int | None = None, at: float | None = None) -> None:
        p, cv = self.p, self.cv
        if same_as is None:
            self.n_chain += 1
        cid = f"c{same_as or self.n_chain}"
        horizontal = side in ("bottom", "top", "inside")
        bw, bh = self.b.width * p.k, self.b.height * p.k
        if side == "bottom":
            line = p.oy + bh + off
        elif side == "top":
            line = p.oy - off
        elif side == "left":
            line = p.ox - off
        elif side == "right":
            line = p.ox + bw + off
        else:
            line = p.oy + at * p.k
        f = p.f_dim
        gap = 0.35 * f.size
        pts = [(p.ox + v * p.k) if horizontal else (p.oy + v * p.k) for v in pos]
        # The extension lines (from the wall face out to the line) are drawn outside the chain's region: with
        # them, an overall chain's box ran from the wall through the inner chain and covered it (IoU ~0.6, so one
        # of the two was always suppressed). The region is the line, its ticks and its texts.
        if side != "inside":
            face = p.oy + bh if side == "bottom" else p.oy if side == "top" else \
                p.ox if side == "left" else p.ox + bw
            ext = (face + math.copysign(20, line - face), line + math.copysign(25, line - face))
            for q in pts:
                if horizontal:
                    cv.line([(q, ext[0]), (q, ext[1])], width=1)
                else:
                    cv.line([(ext[0], q), (ext[1], q)], width=1)
        with cv.region("dimension_line", pad=6):
            if horizontal:
                cv.line([(pts[0] - 30, line), (pts[-1] + 30, line)], width=2)
            else:
                cv.line([(line, pts[0] - 30), (line, pts[-1] + 30)], width=2)
            for q in pts:
                self._tick(q, line, horizontal)
            for a, e, qa, qe in zip(pos, pos[1:], pts, pts[1:]):
                mm = round(e - a, 1)
                text = format_plan_length(mm, p.notation, comma=self.comma)
                mid = (qa + qe) / 2
                if horizontal:
                    fit = p._fit(text, f, (qe - qa) - 24)
                    box = cv.text(mid, line - gap, text, fit, align="c")
                    angle = 0.0
                else:
                    fit = p._fit(text, f, (qe - qa) - 24)
                    h = fit.size * 0.75
                    box = cv.stamp([(0, 0, text, fit)], line - gap - h / 2, mid, angle=90)
                    angle = 90.0
                cv.add_region("dimension", box, pad=4)
                p.taken.append(box)
                nominal = parse_plan_length(text, "cm" if p.notation == "cm" else "mm").mm  # the truth is the print
                p.truth.dimensions.append(Dimension(text=text, kind="linear", nominal=nominal, unit="mm", page=1,
                                                    bbox=box, angle=angle,
                                                    chain=cid if (parts and len(pos) > 2) or overall else None,
                                                    overall=overall, confidence=1.0))

    def _tick(self, q: float, line: float, horizontal: bool) -> None:
        cv, s = self.cv, 16
        x, y = (q, line) if horizontal else (line, q)
        if self.ticks == "tick":
            cv.line([(x - s, y + s), (x + s, y - s)], width=4)
        elif self.ticks == "dot":
            cv.ellipse((x - 7, y - 7, x + 7, y + 7), fill=0)
        else:
            for d in (-1, 1):
                tip = (x, y)
                back = (x + d * 30, y) if horizontal else (x, y + d * 30)
                w = 8
                if horizontal:
                    cv.polygon([tip, (back[0], y - w), (back[0], y + w)], fill=0, width=1)
                else:
                    cv.polygon([tip, (x - w, back[1]), (x + w, back[1])], fill=0, width=1)

    # -- levels ---------------------------------------------------------------------------------------
    def levels(self) -> None:
        p, r, cv = self.p, self.rng, self.cv
        rooms = sorted(self.b.rooms, key=lambda rm: -(rm.x1 - rm.x0) * (rm.y1 - rm.y0))
        values = [0.0] + ([-round(float(r.choice([0.02, 0.15, 0.45])), 2)] if r.random() < 0.5 else [])
        prefix = "OKFF " if p.lang == "de" and r.random() < 0.4 else ""
        for room, v in zip(rooms, values):
            text = (prefix + ("±0.00" if v == 0 else f"{v:+.2f}")).replace(".", "," if r.random() < 0.2 else ".")
            f = p.f_small
            (x0, y0), (x1, y1) = p.px(room.x0, room.y0), p.px(room.x1, room.y1)
            for fx, fy in ((0.12, 0.16), (0.55, 0.16), (0.12, 0.8), (0.55, 0.8)):
                tx, ty = x0 + (x1 - x0) * fx + 40, y0 + (y1 - y0) * fy
                w = f.length(text)
                box = (int(tx - 40), int(ty - f.size), int(tx + w + 8), int(ty + 12))
                if box[2] < x1 - 10 and not any(_hits(box, t) for t in p.taken):
                    break
            else:
                continue
            with cv.region("level_mark", pad=6):
                cv.polygon([(tx - 34, ty - 0.7 * f.size), (tx - 14, ty - 0.7 * f.size), (tx - 24, ty - 4)],
                           fill=0 if r.random() < 0.5 else None, width=2)
                tb = cv.text(tx, ty, text, f)
                cv.line([(tx - 38, ty + 8), (tx + w, ty + 8)], width=2)
            p.taken.append(box)
            p.truth.levels.append(GroundedNumber(value=v, text=text, page=1, bbox=tb, confidence=1.0))

    # -- clutter ------------------------------------------------------------------------------------
    def clutter(self) -> None:
        """Furniture and sanitary symbols (no text): beds, tables, a WC, a bath, a kitchen counter, stairs."""
        p, r, cv = self.p, self.rng, self.cv
        for room in self.b.rooms:
            (x0, y0), (x1, y1) = p.px(room.x0, room.y0), p.px(room.x1, room.y1)
            kind = fake.pick(r, ["bed", "table", "wc", "bath", "counter", "stairs", "none"])
            w, h = (x1 - x0), (y1 - y0)
            for _ in range(4):
                sw, sh = w * float(r.uniform(0.2, 0.35)), h * float(r.uniform(0.2, 0.35))
                cx0 = x0 + 25 if r.random() < 0.5 else x1 - 25 - sw
                cy0 = y0 + 25 if r.random() < 0.5 else y1 - 25 - sh
                box = (int(cx0), int(cy0), int(cx0 + sw), int(cy0 + sh))
                if not any(_hits(box, t, 30) for t in p.taken + [p.symbol_box(o) for o in self.b.openings]):
                    break
            else:
                continue
            X0, Y0, X1, Y1 = box
            if kind == "bed":
                cv.rect(box, width=2)
                cv.rect((X0 + 8, Y0 + 8, X0 + (X1 - X0) * 0.45, Y0 + (Y1 - Y0) * 0.2), width=2)
                cv.rect((X0 + (X1 - X0) * 0.55, Y0 + 8, X1 - 8, Y0 + (Y1 - Y0) * 0.2), width=2)
            elif kind == "table":
                cv.ellipse(box, width=2)
                for ax, ay in ((0.5, -0.08), (0.5, 1.08), (-0.08, 0.5), (1.08, 0.5)):
                    px_, py_ = X0 + (X1 - X0) * ax, Y0 + (Y1 - Y0) * ay
                    cv.rect((px_ - 14, py_ - 14, px_ + 14, py_ + 14), width=2)
            elif kind == "wc":
                cv.rect((X0, Y0, X0 + 60, Y0 + 30), width=2)
                cv.ellipse((X0 + 5, Y0 + 30, X0 + 55, Y0 + 100), width=2)
            elif kind == "bath":
                cv.rect(box, width=2)
                cv.ellipse((X0 + 14, Y0 + 14, X1 - 14, Y1 - 14), width=2)
            elif kind == "counter":
                cv.rect((X0, Y0, X1, Y0 + min(70, Y1 - Y0)), width=2)
                for i in range(2):
                    cx = X0 + (X1 - X0) * (0.3 + 0.3 * i)
                    cv.ellipse((cx - 18, Y0 + 16, cx + 18, Y0 + 52), width=2)
            elif kind == "stairs":
                cv.rect(box, width=2)
                n = 8
                for i in range(1, n):
                    x = X0 + (X1 - X0) * i / n
                    cv.line([(x, Y0), (x, Y1)], width=1)
                cv.line([(X0 + 10, (Y0 + Y1) / 2), (X1 - 30, (Y0 + Y1) / 2)], width=2)
                cv.polygon([(X1 - 10, (Y0 + Y1) / 2), (X1 - 34, (Y0 + Y1) / 2 - 10), (X1 - 34, (Y0 + Y1) / 2 + 10)],
                           fill=0, width=1)
            p.taken.append(box)

    # -- grid, north arrow, scale bar, titles ------------------------------------------------------------
    def grid(self) -> None:
        p, cv = self.p, self.cv
        if self.rng.random() < 0.3:
            return
        f = p.f_small
        rad = int(f.size * 0.9)
        bw, bh = self.b.width * p.k, self.b.height * p.k
        xs = [self.b.outer_t / 2] + sorted(set(self.b.xcuts)) + [self.b.width - self.b.outer_t / 2]
        ys = [self.b.outer_t / 2] + sorted(set(self.b.ycuts)) + [self.b.height - self.b.outer_t / 2]
        xs = [x for i, x in enumerate(xs) if i == 0 or x - xs[i - 1] > 3 * rad / p.k]
        ys = [y for i, y in enumerate(ys) if i == 0 or y - ys[i - 1] > 3 * rad / p.k]
        for i, x in enumerate(xs):
            cx, cy = p.ox + x * p.k, p.oy + bh + self.off_grid
            with cv.region("grid_bubble", pad=4):
                cv.ellipse((cx - rad, cy - rad, cx + rad, cy + rad), width=2)
                cv.text(cx, cy + f.size * 0.36, "ABCDEFGHJK"[i % 10], f, align="c")
            cv.dashed((cx, p.oy + bh + 20), (cx, cy - rad), dash=30, gap=10, width=1, dot=True)
        for j, y in enumerate(ys):
            cx, cy = p.ox - self.off_grid, p.oy + y * p.k
            with cv.region("grid_bubble", pad=4):
                cv.ellipse((cx - rad, cy - rad, cx + rad, cy + rad), width=2)
                cv.text(cx, cy + f.size * 0.36, str(j + 1), f, align="c")

    def north_arrow(self, c: tuple[float, float]) -> None:
        cv, (x, y) = self.cv, c
        with cv.region("north_arrow", pad=6):
            cv.ellipse((x - 90, y - 90, x + 90, y + 90), width=3)
            cv.polygon([(x, y - 85), (x - 35, y + 60), (x, y + 30)], fill=0, width=2)
            cv.polygon([(x, y - 85), (x + 35, y + 60), (x, y + 30)], fill=None, width=2)
            cv.text(x, y - 105, "N", self.p.f_name, align="c")

    def scale_bar(self, at: tuple[float, float]) -> None:
        p, cv, (x, y) = self.p, self.cv, at
        unit_mm, labels = (304.8 * 4, ["0", "4", "8", "16 ft"]) if p.imperial else (1000.0, ["0", "1", "2", "5 m"])
        marks = [0, 1, 2, 4] if p.imperial else [0, 1, 2, 5]
        seg = unit_mm * p.k
        for i in range(marks[-1]):
            cv.rect((x + i * seg, y, x + (i + 1) * seg, y + 22), outline=0, fill=0 if i % 2 == 0 else None, width=2)
        for m_, lab in zip(marks, labels):
            cv.text(x + m_ * seg, y - 14, lab, p.f_small, align="c")

    def plan_title(self) -> None:
        p = self.p
        title = fake.pick(self.rng, PLAN_TITLES[p.lang])
        scale = f"1/{'4' if p.scale == 48 else '8'}\" = 1'-0\"" if p.imperial else f"1:{p.scale}"
        bh = self.b.height * p.k
        y = p.oy + bh + self.off_grid + 170
        f = Font(p.f_name.path, int(p.f_name.size * 1.1))
        box = p.cv.text(p.ox, y, title, f)
        p.cv.text(box[2] + 40, y, ("M " if p.lang == "de" else "") + scale, p.f_small)
        if p.notation == "cm" and self.rng.random() < 0.7:
            p.cv.text(p.ox, y + 60, UNIT_NOTES[p.lang], p.f_small)

    def title_block(self, box: Box) -> None:
        p, r, cv = self.p, self.rng, self.cv
        x0, y0, x1, y1 = box
        labels = TB_LABELS[p.lang]
        d = dt.date(2018, 1, 1) + dt.timedelta(days=int(r.integers(0, 2800)))
        date_text = d.isoformat() if p.lang == "en" and not p.imperial else \
            (d.isoformat() if p.imperial else f"{d.day:02d}.{d.month:02d}.{d.year}")
        surname = fake.person(r).split()[-1]
        project = fake.pick(r, PROJECTS[p.lang]).format(n=surname)
        number = fake.pick(r, [f"A-{r.integers(100, 399)}", f"PL-{fake.digits(r, 3)}", f"EG-{fake.digits(r, 2)}",
                               f"{fake.digits(r, 4)}-{fake.digits(r, 2)}"])
        scale = f"1/{'4' if p.scale == 48 else '8'}\" = 1'-0\"" if p.imperial else f"1:{p.scale}"
        architect = fake.company(r, "en", fake.pick(r, ["de", "gb", "nl", "fr"]), with_bank=False).name
        values = [project, number, scale, date_text, architect]
        fl, fv = Font(p.f_small.path, 24), Font(p.f_small.path, 38)
        w = 1500
        bx0 = x1 - w
        cols = [0.34, 0.16, 0.14, 0.14, 0.22]
        tb = TitleBlock()
        with cv.region("title_block", pad=4):
            cv.rect((bx0, y0, x1, y1), width=4)
            x = bx0
            for lab, val, fr in zip(labels, values, cols):
                cw = w * fr
                cv.line([(x, y0), (x, y1)], width=2)
                cv.text(x + 14, y0 + 50, lab, fl)
                fvv = p._fit(val, fv, cw - 28)
                vb = cv.text(x + 14, y0 + 108, val, fvv)
                if lab == labels[3]:
                    tb.date = GroundedDate(value=d, text=val, page=1, bbox=vb, confidence=1.0)
                else:
                    key = {labels[0]: "title", labels[1]: "drawing_number", labels[2]: "scale",
                           labels[4]: "company"}[lab]
                    setattr(tb, key, gtext(val, val, 1, vb))
                x += cw
        p.truth.title_block = tb


def _hits(a: Box, b: Box, pad: int = 10) -> bool:
    return a[0] - pad < b[2] and b[0] < a[2] + pad and a[1] - pad < b[3] and b[1] < a[3] + pad


__all__ = ["PlanMarks", "union"]
