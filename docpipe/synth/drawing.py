"""Engineering drawings: frame, title block, orthographic views with dimensions, GD&T frames, notes, tables.

Sheets are A4 landscape (3508 x 2480 px) or A3 landscape (4961 x 3508 px) at 300 dpi. Every dimension text is
a ground-truth :class:`~docpipe.types.Dimension` (bbox of the whole text, angle 0 or 90) and a ``dimension``
region; each view's geometry extent is a ``view`` region (dimension lines excluded).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from . import fake, parts
from .canvas import Box, Canvas
from .content import gtext
from .dimtext import DimSpec
from .fonts import TECHNICAL, Font, font
from ..geometry import union
from ..types import Dimension, Drawing, GroundedDate, Table, TitleBlock

PX_MM = 300 / 25.4
SHEETS = {"A4": (3508, 2480), "A3": (4961, 3508)}
MATERIALS = ["S235JR", "S355J2", "C45", "42CrMo4", "1.4301", "1.4404", "AlMg3", "EN AW-6082 T6", "EN AW-7075",
             "CuZn39Pb3", "PA6", "POM-C", "GJL-250"]
NOTES = ["BREAK ALL SHARP EDGES", "REMOVE ALL BURRS", "ALL DIMENSIONS IN MM", "DO NOT SCALE DRAWING",
         "SURFACE FINISH Ra 3.2 UNLESS OTHERWISE STATED", "ANODISE BLACK", "HEAT TREAT TO 45-50 HRC",
         "PAINT RAL 7035", "MATERIAL CERTIFICATE EN 10204 3.1 REQUIRED", "MARK PART NUMBER ON SURFACE A"]
LABELS = {
    "en": dict(company="Company", title="Title", drawing_number="Drawing No.", revision="Rev.", sheet="Sheet",
               scale="Scale", material="Material", general_tolerance="General tolerance", drawn_by="Drawn by",
               date="Date", checked="Checked"),
    "de": dict(company="Firma", title="Benennung", drawing_number="Zeichnungsnummer", revision="Index",
               sheet="Blatt", scale="Maßstab", material="Werkstoff", general_tolerance="Allgemeintoleranz",
               drawn_by="Gezeichnet", date="Datum", checked="Geprüft"),
}


def arrow(cv: Canvas, tip, towards, size: float = 34) -> None:
    """Filled arrowhead with its tip at ``tip``, pointing from ``towards`` to ``tip``."""
    dx, dy = tip[0] - towards[0], tip[1] - towards[1]
    n = math.hypot(dx, dy) or 1
    ux, uy = dx / n, dy / n
    bx, by = tip[0] - ux * size, tip[1] - uy * size
    w = size * 0.18
    cv.polygon([tip, (bx - uy * w, by + ux * w), (bx + uy * w, by - ux * w)], fill=0, outline=0, width=1)


def _hits(b: Box, boxes: list[Box], pad: int = 10) -> bool:
    return any(b[0] - pad < o[2] and o[0] < b[2] + pad and b[1] - pad < o[3] and o[1] < b[3] + pad for o in boxes)


class DrawingRenderer:
    def __init__(self, rng: np.random.Generator, family: str | None = None, sheet: str | None = None,
                 aligned: bool | None = None, comma: bool | None = None):
        self.rng = rng
        self.family = family or fake.pick(rng, list(parts.FAMILIES))
        self.sheet = sheet or ("A4" if rng.random() < 0.6 else "A3")
        W, H = SHEETS[self.sheet]
        self.cv = Canvas(W, H)
        self.aligned = aligned if aligned is not None else rng.random() < 0.8
        self.comma = comma if comma is not None else rng.random() < 0.3
        fam = fake.pick(rng, TECHNICAL)
        k = 1.0 if self.sheet == "A4" else 1.2
        self.fd = font(fam, rng.uniform(40, 52) * k)
        self.fsm = font(fam, self.fd.size * 0.68)
        self.flab = font(fam, rng.uniform(22, 27) * k)
        self.fval = font(fam, rng.uniform(36, 44) * k)
        self.fvalb = font(fam, self.fval.size * 1.15, bold=True)
        self.thick = int(rng.integers(5, 8))
        self.thin = int(rng.integers(2, 4))
        self.taken: list[Box] = []
        self.dims: list[Dimension] = []
        self.tables: list[Table] = []
        self.notes = []
        self.tb = TitleBlock()
        self.lang = "de" if rng.random() < 0.25 else "en"

    # -- sheet --------------------------------------------------------------------------------------
    def frame(self) -> tuple[int, int, int, int]:
        cv, r = self.cv, self.rng
        m = int(10 * PX_MM)
        left = int(20 * PX_MM) if r.random() < 0.5 else m
        f = (left, m, cv.width - m, cv.height - m)
        cv.rect(f, width=self.thick + 1)
        if r.random() < 0.6:  # zone markers
            zf = font("dejavu-sans", 30)
            nx = 8 if self.sheet == "A4" else 12
            for i in range(nx):
                x = f[0] + (f[2] - f[0]) * (i + 0.5) / nx
                cv.text(x, m - 30, str(i + 1), zf, align="c")
                cv.line([(f[0] + (f[2] - f[0]) * i / nx, m - 50), (f[0] + (f[2] - f[0]) * i / nx, m)], width=2)
            ny = 6 if self.sheet == "A4" else 8
            for j in range(ny):
                y = f[1] + (f[3] - f[1]) * (j + 0.5) / ny
                cv.text((left - 0) / 2 if left > m else m / 2, y + 11, "ABCDEFGH"[j], zf, align="c")
        return f

    def title_block(self, f, title: str, scale: str) -> Box:
        cv, r, L = self.cv, self.rng, LABELS[self.lang]
        w = int(r.uniform(150, 180) * PX_MM * (0.85 if self.sheet == "A4" else 1.0))
        rh = int(self.flab.size * 1.2 + self.fval.size * 1.5)
        rows = [[("company", 0.5), ("title", 0.5)],
                [("drawing_number", 0.42), ("revision", 0.14), ("sheet", 0.2), ("scale", 0.24)],
                [("material", 0.45), ("general_tolerance", 0.55)],
                [("drawn_by", 0.35), ("date", 0.35), ("checked", 0.3)]]
        if r.random() < 0.5:
            rows = [rows[1], rows[0], rows[3], rows[2]] if r.random() < 0.5 else rows[::-1]
        x1, y1 = f[2], f[3]
        x0, y0 = x1 - w, y1 - rh * len(rows)
        d = dt.date(2019, 1, 1) + dt.timedelta(days=int(r.integers(0, 2500)))
        dtext = d.isoformat() if r.random() < 0.6 else f"{d.day:02d}.{d.month:02d}.{d.year}"
        company = fake.company(r, "en", fake.pick(r, ["de", "gb", "nl", "fr"]), with_bank=False).name
        values = dict(company=company, title=title,
                      drawing_number=fake.pick(r, [f"DWG-{fake.digits(r, 5)}", f"ZN-{d.year}-{fake.digits(r, 3)}",
                                                   f"{fake.digits(r, 3)}.{fake.digits(r, 3)}.{fake.digits(r, 2)}",
                                                   f"A{fake.digits(r, 4)}-{fake.digits(r, 2)}"]),
                      revision=fake.pick(r, ["A", "B", "C", "01", "02", "0"]),
                      sheet=fake.pick(r, ["1/1", "1 of 1", "1/1"]), scale=scale,
                      material=fake.pick(r, MATERIALS),
                      general_tolerance=fake.pick(r, ["ISO 2768-m", "ISO 2768-mK", "ISO 2768-f", "DIN ISO 2768-m"]),
                      drawn_by=f"{fake.pick(r, 'ABCDEHJKLMPRST')}. {fake.person(r).split()[-1]}", date=dtext,
                      checked=f"{fake.pick(r, 'ABCDEHJKLMPRST')}. {fake.person(r).split()[-1]}")
        with cv.region("title_block", pad=4):
            cv.rect((x0, y0, x1, y1), width=self.thick)
            y = y0
            for row in rows:
                x = x0
                if y > y0:
                    cv.line([(x0, y), (x1, y)], width=self.thin)
                for key, fr in row:
                    cw = w * fr
                    if x > x0:
                        cv.line([(x, y), (x, y + rh)], width=self.thin)
                    cv.text(x + 12, y + self.flab.size * 1.05, L[key], self.flab)
                    v = values[key]
                    fv = self.fvalb if key in ("title", "drawing_number") else self.fval
                    while fv.length(v) > cw - 24 and fv.size > 20:
                        fv = Font(fv.path, fv.size - 2)
                    box = cv.text(x + 14, y + rh - self.fval.size * 0.45, v, fv)
                    if key == "date":
                        self.tb.date = GroundedDate(value=d, text=v, page=1, bbox=box, confidence=1.0)
                    elif key != "checked":
                        setattr(self.tb, key, gtext(v, v, 1, box))
                    x += cw
                y += rh
        return (x0, y0, x1, y1)

    def table(self, x1, y1, kind: str, anchor_bottom: bool = True) -> Box:
        cv, r = self.cv, self.rng
        if kind == "revision":
            head = ["Rev.", "Description", "Date", "Name"]
            descr = ["Initial release", "Hole pattern changed", "Tolerance updated", "Material changed",
                     "Chamfer added"]
            body = []
            for i in range(int(r.integers(1, 4))):
                d = dt.date(2020, 1, 1) + dt.timedelta(days=int(r.integers(0, 1500)))
                body.append([chr(65 + i), descr[i] if i == 0 else fake.pick(r, descr[1:]), d.isoformat(),
                             fake.pick(r, ["JS", "MK", "AB", "TL", "RW"])])
            fr = [0.12, 0.5, 0.23, 0.15]
        else:
            head = ["Pos.", "Qty", "Description", "Material"]
            body = [[str(i + 1), str(int(r.integers(1, 9))),
                     fake.pick(r, ["Base plate", "Hex bolt M8x25", "Washer 8.4", "Bush", "Cover", "Nut M8",
                                   "Dowel pin 6m6x20", "Spacer"]), fake.pick(r, MATERIALS)]
                    for i in range(int(r.integers(2, 5)))]
            fr = [0.1, 0.1, 0.45, 0.35]
        rows = [head] + body
        rh = int(self.fval.size * 1.45)
        w = int(r.uniform(110, 140) * PX_MM)
        x0 = x1 - w
        y0 = y1 - rh * len(rows) if anchor_bottom else y1
        with cv.region("table", pad=4) as boxes:
            cv.rect((x0, y0, x1, y0 + rh * len(rows)), width=self.thin + 1)
            for i, row in enumerate(rows):
                yy = y0 + rh * i
                if i:
                    cv.line([(x0, yy), (x1, yy)], width=self.thin)
                x = x0
                for j, cell in enumerate(row):
                    if i == 0 and j:
                        cv.line([(x, y0), (x, y0 + rh * len(rows))], width=self.thin)
                    fv = self.flab if i == 0 else Font(self.fval.path, int(self.fval.size * 0.85))
                    cv.text(x + 10, yy + rh * 0.7, cell, fv)
                    x += w * fr[j]
        box = union(boxes)
        self.tables.append(Table(label="revision" if kind == "revision" else "parts_list", rows=rows,
                                 bbox=cv.clip(box), page=1))
        self.taken.append(box)
        return box

    def notes_block(self, x0, y1) -> Box:
        cv, r = self.cv, self.rng
        picks = list(r.choice(len(NOTES), int(r.integers(2, 6)), replace=False))
        lh = int(self.fval.size * 1.4)
        y = y1 - lh * (len(picks) + 1)
        with cv.region("notes", pad=10) as boxes:
            cv.text(x0, y, "NOTES:" if self.lang == "en" or r.random() < 0.5 else "HINWEISE:", self.fvalb)
            for i, k in enumerate(picks):
                y += lh
                line = f"{i + 1}. {NOTES[k]}"
                box = cv.text(x0, y, line, self.fval)
                self.notes.append(gtext(NOTES[k], line, 1, box))
        b = union(boxes)
        self.taken.append(b)
        return b

    # -- views and dimensions -------------------------------------------------------------------
    def geometry(self, v: parts.View, ox: float, oy: float, s: float) -> Box:
        cv = self.cv
        X = lambda x: ox + x * s  # noqa: E731
        Y = lambda y: oy + y * s  # noqa: E731
        dash, gap = 22, 11
        with cv.region("view", pad=15) as boxes:
            for it in v.items:
                k = it[0]
                if k == "outline":
                    pts = [(X(a), Y(b)) for a, b in it[1]]
                    cv.line(pts + [pts[0]], width=self.thick)
                elif k == "circle":
                    _, cx, cy, rr = it
                    cv.ellipse((X(cx - rr), Y(cy - rr), X(cx + rr), Y(cy + rr)), width=self.thick - 1)
                elif k == "line":
                    cv.line([(X(it[1]), Y(it[2])), (X(it[3]), Y(it[4]))], width=self.thick)
                elif k == "hidden":
                    cv.dashed((X(it[1]), Y(it[2])), (X(it[3]), Y(it[4])), dash, gap, width=self.thin)
                elif k == "center":
                    cv.dashed((X(it[1]), Y(it[2])), (X(it[3]), Y(it[4])), 45, 10, width=self.thin, dot=True)
                elif k == "ccircle":
                    _, cx, cy, rr = it
                    bx = (X(cx - rr), Y(cy - rr), X(cx + rr), Y(cy + rr))
                    step = max(2.0, 360 * 30 / (2 * math.pi * rr * s))
                    a = 0.0
                    while a < 360:
                        cv.arc(bx, a, min(360, a + step), width=self.thin)
                        a += step * 1.5
                elif k == "cross":
                    _, cx, cy, rr = it
                    e = rr * s + 25
                    cv.line([(X(cx) - e, Y(cy)), (X(cx) + e, Y(cy))], width=self.thin)
                    cv.line([(X(cx), Y(cy) - e), (X(cx), Y(cy) + e)], width=self.thin)
        return union(boxes)

    def _size(self, spec: DimSpec) -> tuple[int, int]:
        items = spec.items(self.fd, self.fsm)
        b = union([(bb[0] + dx, bb[1] + dy, bb[2] + dx, bb[3] + dy)
                   for dx, dy, s, f in items for bb in [self.cv.measure(s, f)]])
        return b[2] - b[0], b[3] - b[1]

    def put_text(self, spec: DimSpec, cx: float, cy: float, angle: int) -> Box:
        box = self.cv.stamp(spec.items(self.fd, self.fsm), cx, cy, angle)
        self.cv.add_region("dimension", box, pad=6)
        self.taken.append(box)
        self.dims.append(Dimension(
            text=spec.text, kind=spec.kind, nominal=spec.nominal, unit=spec.unit, upper_deviation=spec.upper,
            lower_deviation=spec.lower, fit=spec.fit, count=spec.count, pitch=spec.pitch,
            tolerance_source=spec.source, page=1, bbox=self.cv.clip(box), angle=angle, confidence=1.0))
        return box

    def dimension(self, d, ox, oy, s, vbox: Box) -> None:
        cv, th = self.cv, self.thin
        X = lambda x: ox + x * s  # noqa: E731
        Y = lambda y: oy + y * s  # noqa: E731
        k = d[0]
        gap_t, step = 95, int(self.fd.size * 2.2)
        if k == "h":
            _, xa, xb, ya, yb, side, tier, spec = d
            yd = vbox[3] + gap_t + tier * step if side == "bottom" else vbox[1] - gap_t - tier * step
            sg = 1 if side == "bottom" else -1
            for x, y in ((X(xa), Y(ya)), (X(xb), Y(yb))):
                cv.line([(x, y + sg * 10), (x, yd + sg * 22)], width=th)
            tw, tht = self._size(spec)
            a, b = X(xa), X(xb)
            if tw + 90 < b - a:
                cv.line([(a, yd), (b, yd)], width=th)
                arrow(cv, (a, yd), (a + 10, yd))
                arrow(cv, (b, yd), (b - 10, yd))
                cx = (a + b) / 2
            else:  # too narrow: arrows outside, text beyond the right extension line
                cv.line([(a - 60, yd), (b + tw + 60, yd)], width=th)
                arrow(cv, (a, yd), (a - 10, yd))
                arrow(cv, (b, yd), (b + 10, yd))
                cx = b + 40 + tw / 2
            self.put_text(spec, cx, yd - 14 - tht / 2, 0)
        elif k in ("v", "vin"):
            if k == "v":
                _, ya, yb, xa, xb, side, tier, spec = d
                xd = vbox[0] - gap_t - tier * step if side == "left" else vbox[2] + gap_t + tier * step
                sg = -1 if side == "left" else 1
                for x, y in ((X(xa), Y(ya)), (X(xb), Y(yb))):
                    cv.line([(x + sg * 10, y), (xd + sg * 22, y)], width=th)
            else:
                _, x, ya, yb, spec = d
                xd, side = X(x), "left"
            tw, tht = self._size(spec)
            a, b = Y(ya), Y(yb)
            along = tw if self.aligned else tht
            if along + 90 < b - a:
                cv.line([(xd, a), (xd, b)], width=th)
                arrow(cv, (xd, a), (xd, a + 10))
                arrow(cv, (xd, b), (xd, b - 10))
                cy = (a + b) / 2
            else:
                cv.line([(xd, a - 60), (xd, b + along + 60)], width=th)
                arrow(cv, (xd, a), (xd, a - 10))
                arrow(cv, (xd, b), (xd, b + 10))
                cy = b + 40 + along / 2
            if self.aligned:
                self.put_text(spec, xd - 14 - tht / 2, cy, 90)
            elif side == "left":
                self.put_text(spec, xd - 20 - tw / 2, cy, 0)
            else:
                self.put_text(spec, xd + 20 + tw / 2, cy, 0)
        elif k == "leader":
            _, px, py, spec = d
            self.leader(spec, X(px), Y(py), vbox)
        elif k == "angle":
            _, cx, cy, rr, a0, a1, spec = d
            bx = (X(cx - rr), Y(cy - rr), X(cx + rr), Y(cy + rr))
            cv.arc(bx, a0, a1, width=th)
            R = rr * s
            for ang, sg in ((a0, 1), (a1, -1)):
                t = math.radians(ang)
                tip = (X(cx) + R * math.cos(t), Y(cy) + R * math.sin(t))
                back = (tip[0] - sg * math.sin(t) * 30, tip[1] + sg * math.cos(t) * 30)
                arrow(cv, tip, back, 30)
                cv.line([(X(cx), Y(cy)), (X(cx) + (R + 30) * math.cos(t), Y(cy) + (R + 30) * math.sin(t))], width=th)
            am = math.radians((a0 + a1) / 2)
            tw, tht = self._size(spec)
            dd = R + 30 + max(tw, tht) / 2
            self.put_text(spec, X(cx) + dd * math.cos(am), Y(cy) + dd * math.sin(am), 0)

    def leader(self, spec: DimSpec, px: float, py: float, vbox: Box) -> None:
        cv = self.cv
        tw, tht = self._size(spec)
        best = None
        for dist in (150, 260, 380, 520, 700):
            for deg in (-45, -135, 45, 135, -60, -120, 60, 120):
                t = math.radians(deg)
                kx, ky = px + math.cos(t) * dist, py + math.sin(t) * dist
                sg = 1 if math.cos(t) >= 0 else -1
                cx = kx + sg * (20 + tw / 2)
                cy = ky - 12 - tht / 2
                box = (int(cx - tw / 2), int(cy - tht / 2), int(cx + tw / 2), int(cy + tht / 2))
                inside = 0 < box[0] and box[2] < cv.width and 0 < box[1] and box[3] < cv.height
                if inside and not _hits(box, self.taken, 14):
                    best = (kx, ky, sg, cx, cy)
                    break
            if best:
                break
        if best is None:
            t = math.radians(-45)
            kx, ky, sg = px + 150 * math.cos(t), py + 150 * math.sin(t), 1
            best = (kx, ky, sg, kx + 20 + tw / 2, ky - 12 - tht / 2)
        kx, ky, sg, cx, cy = best
        cv.line([(px, py), (kx, ky), (kx + sg * (tw + 40), ky)], width=self.thin)
        arrow(cv, (px, py), (kx, ky))
        self.put_text(spec, cx, cy, 0)

    def gdt(self, vboxes: list[Box]) -> None:
        cv, r = self.cv, self.rng
        h = int(self.fd.size * 1.5)
        tol = fake.pick(r, ["Ø0.05", "0.1", "0.02", "Ø0.1", "0.05", "0.01"])
        datums = fake.pick(r, [["A"], ["A", "B"], ["A", "B", "C"], []])
        sym = fake.pick(r, ["position", "flatness", "perpendicularity", "parallelism"])
        if sym == "flatness":
            datums = []
        cells = [h] + [int(self.fd.length(tol) + 40)] + [h] * len(datums)
        w = sum(cells)
        target = vboxes[0]
        gap = 60 + 2 * int(self.fd.size * 2.2) + 40
        for cand in ((target[0], target[3] + gap), (target[2] + gap, target[1]), (target[0], target[1] - h - gap),
                     (target[2] + gap, target[3] - h), (target[0] - w - gap, target[1])):
            box = (int(cand[0]), int(cand[1]), int(cand[0] + w), int(cand[1] + h))
            if 200 < box[0] and box[2] < cv.width - 200 and 200 < box[1] and box[3] < cv.height - 200 and \
                    not _hits(box, self.taken, 40):
                break
        else:
            return
        x0, y0 = box[0], box[1]
        with cv.region("gdt_frame", pad=6) as boxes:
            cv.rect(box, width=self.thin + 1)
            x = x0
            for cw in cells[:-1]:
                x += cw
                cv.line([(x, y0), (x, y0 + h)], width=self.thin + 1)
            c = (x0 + h / 2, y0 + h / 2)
            q = h * 0.3
            if sym == "position":
                cv.ellipse((c[0] - q, c[1] - q, c[0] + q, c[1] + q), width=3)
                cv.line([(c[0] - q * 1.4, c[1]), (c[0] + q * 1.4, c[1])], width=3)
                cv.line([(c[0], c[1] - q * 1.4), (c[0], c[1] + q * 1.4)], width=3)
            elif sym == "flatness":
                cv.polygon([(c[0] - q, c[1] + q * 0.5), (c[0] - q * 0.4, c[1] - q * 0.5),
                            (c[0] + q * 1.1, c[1] - q * 0.5), (c[0] + q * 0.5, c[1] + q * 0.5)], width=3)
            elif sym == "perpendicularity":
                cv.line([(c[0] - q, c[1] + q), (c[0] + q, c[1] + q)], width=3)
                cv.line([(c[0], c[1] + q), (c[0], c[1] - q)], width=3)
            else:
                for dx in (-q * 0.5, q * 0.3):
                    cv.line([(c[0] + dx - q * 0.3, c[1] + q), (c[0] + dx + q * 0.3, c[1] - q)], width=3)
            x = x0 + h
            cv.text(x + 20, y0 + h * 0.72, tol, self.fd)
            x += cells[1]
            for dl in datums:
                cv.text(x + h / 2, y0 + h * 0.72, dl, self.fd, align="c")
                x += h
        self.taken.append(union(boxes))
        # leader from the frame to the nearest edge of the view
        sx, sy = x0 + h / 2, (y0 + h if y0 > target[3] else y0)
        ty = target[3] - 16 if y0 > target[3] else target[1] + 16
        if target[0] < sx < target[2]:
            cv.line([(sx, sy), (sx, ty)], width=self.thin)
            arrow(cv, (sx, ty), (sx, sy))

    def render(self) -> tuple[Canvas, Drawing]:
        r, cv = self.rng, self.cv
        f = self.frame()
        title, views = parts.FAMILIES[self.family](r, self.comma)
        # space: title block bottom-right, notes bottom-left, optional tables
        tb = self.title_block(f, title, "1:1")  # placeholder scale, replaced below
        area_top = f[1] + 80
        if r.random() < 0.35:
            rb = self.table(f[2], f[1], "revision", anchor_bottom=False)
            area_top = rb[3] + 40
        if r.random() < 0.3:
            self.table(f[2], tb[1], "parts")
        nb = self.notes_block(f[0] + 80, f[3] - 60) if r.random() < 0.75 else None
        bottom = min(tb[1], nb[1] if nb else tb[1]) - 60
        area = (f[0] + 60, area_top, f[2] - 60, bottom)
        M = int(self.fd.size * 4.2)

        def fit(vs):
            ncol, nrow = max(v.col for v in vs) + 1, max(v.row for v in vs) + 1
            colw = [max(v.w for v in vs if v.col == c) for c in range(ncol)]
            rowh = [max(v.h for v in vs if v.row == q) for q in range(nrow)]
            for k in (5, 2, 1, 0.5, 0.2, 0.1):
                if sum(colw) * PX_MM * k + ncol * 2 * M <= area[2] - area[0] and \
                        sum(rowh) * PX_MM * k + nrow * 2 * M <= area[3] - area[1]:
                    return k, ncol, nrow, colw, rowh
            return 0.05, ncol, nrow, colw, rowh

        best = fit(views)
        if len({v.row for v in views}) > 1:
            flat = [parts.View(v.w, v.h, i, 0, v.items, v.dims) for i, v in enumerate(views)]
            alt = fit(flat)
            if alt[0] > best[0]:
                views, best = flat, alt
        scale, ncol, nrow, colw, rowh = best
        s = PX_MM * scale
        stext = f"{scale:g}:1" if scale >= 1 else f"1:{1 / scale:g}"
        # re-draw the scale cell value: the title block was drawn with a placeholder, so patch the value
        self._patch_scale(stext)
        exw = (area[2] - area[0] - sum(colw) * s - ncol * 2 * M) / (ncol + 1)
        exh = (area[3] - area[1] - sum(rowh) * s - nrow * 2 * M) / (nrow + 1)
        vboxes = []
        placed = []
        for v in views:
            cx0 = area[0] + exw * (v.col + 1) + sum(colw[:v.col]) * s + (2 * v.col) * M + M
            cy0 = area[1] + exh * (v.row + 1) + sum(rowh[:v.row]) * s + (2 * v.row) * M + M
            ox = cx0 + (colw[v.col] - v.w) * s / 2
            oy = cy0 + (rowh[v.row] - v.h) * s / 2
            vb = self.geometry(v, ox, oy, s)
            vboxes.append(vb)
            placed.append((v, ox, oy))
        self.taken += vboxes
        for v, ox, oy in placed:
            ob = (int(ox), int(oy), int(ox + v.w * s), int(oy + v.h * s))
            for d in sorted(v.dims, key=lambda d: d[0] in ("leader", "angle")):
                self.dimension(d, ox, oy, s, ob)
        if r.random() < 0.5:
            self.gdt(vboxes)
        return cv, Drawing(title_block=self.tb, dimensions=self.dims, notes=self.notes, tables=self.tables)

    def _patch_scale(self, stext: str) -> None:
        g = self.tb.scale
        cv = self.cv
        x0, y0, x1, y1 = g.bbox
        cv.draw.rectangle((x0 - 2, y0 - 2, x1 + 2, y1 + 2), fill=255)
        # drop the placeholder's word record and draw the real value at the same baseline
        cv.words = [(w, b) for w, b in cv.words if b != g.bbox]
        base = y1 - cv.measure("1:1", self.fval)[3]
        box = cv.text(x0 - cv.measure("1:1", self.fval)[0], base, stext, self.fval)
        self.tb.scale = gtext(stext, stext, 1, box)


def render_drawing(rng: np.random.Generator, **kw) -> tuple[Canvas, Drawing]:
    return DrawingRenderer(rng, **kw).render()
