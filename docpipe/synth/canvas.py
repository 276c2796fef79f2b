"""A drawing surface that remembers what it drew: word boxes, region boxes and a display list.

Coordinates are pixels at 300 dpi, origin top-left. Text is positioned by its **baseline** (``y``) and aligned
left / right / centre on ``x``. Every word drawn is recorded with its ink box (for OCR evaluation); every
primitive is recorded in ``ops`` so that :mod:`docpipe.synth.pdf` can replay a page as a born-digital PDF.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from PIL import Image, ImageDraw

from ..geometry import union
from ..types import Region
from .fonts import Font

Box = tuple[int, int, int, int]


def _fix(b: tuple[float, float, float, float]) -> Box:
    x0, y0, x1, y1 = (int(round(v)) for v in b)
    return (x0, y0, max(x1, x0 + 1), max(y1, y0 + 1))


class Canvas:
    def __init__(self, width: int, height: int, background: int = 255):
        self.width, self.height = width, height
        self.im = Image.new("L", (width, height), background)
        self.draw = ImageDraw.Draw(self.im)
        self.words: list[tuple[str, Box]] = []
        self.regions: list[Region] = []
        self.ops: list[tuple] = []
        self._groups: list[list[Box]] = []

    # -- bookkeeping ---------------------------------------------------------------------------
    def _note(self, box: Box) -> None:
        for g in self._groups:
            g.append(box)

    def clip(self, b: Box) -> Box:
        x0, y0, x1, y1 = b
        x0, y0 = max(0, min(x0, self.width - 2)), max(0, min(y0, self.height - 2))
        return (x0, y0, max(x0 + 1, min(x1, self.width - 1)), max(y0 + 1, min(y1, self.height - 1)))

    @contextmanager
    def region(self, label: str, pad: int = 12) -> Iterator[list[Box]]:
        """Everything drawn inside the block becomes one ground-truth region ``label`` (union box + ``pad``)."""
        boxes: list[Box] = []
        self._groups.append(boxes)
        try:
            yield boxes
        finally:
            self._groups.remove(boxes)
        if boxes:
            x0, y0, x1, y1 = union(boxes)
            self.regions.append(Region(label=label, bbox=self.clip((x0 - pad, y0 - pad, x1 + pad, y1 + pad)),
                                       confidence=1.0))

    def add_region(self, label: str, box: Box, pad: int = 0) -> None:
        x0, y0, x1, y1 = box
        self.regions.append(Region(label=label, bbox=self.clip((x0 - pad, y0 - pad, x1 + pad, y1 + pad)),
                                   confidence=1.0))

    # -- text ----------------------------------------------------------------------------------
    def measure(self, s: str, f: Font) -> Box:
        """Ink box of ``s`` drawn with its baseline-left at the origin."""
        return _fix(f.pil.getbbox(s, anchor="ls"))

    def text(self, x: float, y: float, s: str, f: Font, fill: int = 0, align: str = "l",
             record: bool = True) -> Box:
        """Draw ``s`` with baseline ``y``; ``align`` l/r/c on ``x``. Returns the ink box of the whole string."""
        if align != "l":
            w = f.length(s)
            x = x - w if align == "r" else x - w / 2
        x, y = int(round(x)), int(round(y))
        self.draw.text((x, y), s, font=f.pil, fill=fill, anchor="ls")
        self.ops.append(("text", x, y, s, f, fill))
        box = self.measure(s, f)
        box = (box[0] + x, box[1] + y, box[2] + x, box[3] + y)
        if record:
            self._record_words(x, y, s, f)
        self._note(box)
        return box

    def _record_words(self, x: int, y: int, s: str, f: Font, transform=None) -> None:
        pos = 0
        for w in s.split(" "):
            if w.strip():
                off = f.length(s[:pos])
                b = f.pil.getbbox(w, anchor="ls")
                box = _fix((x + off + b[0], y + b[1], x + off + b[2], y + b[3]))
                if transform:
                    box = transform(box)
                self.words.append((w, box))
            pos += len(w) + 1

    def stamp(self, items: list[tuple[float, float, str, Font]], x: float, y: float, angle: int = 0,
              fill: int = 0) -> Box:
        """Draw a group of strings ``(dx, dy_baseline, text, font)`` as one block whose ink box is centred on
        ``(x, y)``, upright (angle 0) or rotated 90° counter-clockwise (reads bottom to top). Returns the box."""
        items = [(int(round(dx)), int(round(dy)), s, f) for dx, dy, s, f in items]
        boxes = [(b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)
                 for dx, dy, s, f in items for b in [self.measure(s, f)]]
        ux0, uy0, ux1, uy1 = union(boxes)
        w, h = ux1 - ux0, uy1 - uy0
        if angle == 0:
            ox, oy = int(round(x - w / 2)) - ux0, int(round(y - h / 2)) - uy0
            out = []
            for dx, dy, s, f in items:
                out.append(self.text(ox + dx, oy + dy, s, f, fill=fill))
            return union(out)
        # rotated: render into a mask, turn it, paste it
        mask = Image.new("L", (w + 4, h + 4), 0)
        md = ImageDraw.Draw(mask)
        for dx, dy, s, f in items:
            md.text((dx - ux0 + 2, dy - uy0 + 2), s, font=f.pil, fill=255, anchor="ls")
        mw = mask.width
        mask = mask.transpose(Image.Transpose.ROTATE_90)
        px, py = int(round(x - mask.width / 2)), int(round(y - mask.height / 2))
        self.im.paste(fill, (px, py, px + mask.width, py + mask.height), mask)

        def rot(b: Box) -> Box:  # local mask box -> page box after a 90° ccw turn
            return (px + b[1], py + mw - b[2], px + b[3], py + mw - b[0])

        for dx, dy, s, f in items:
            lx, ly = dx - ux0 + 2, dy - uy0 + 2
            self._record_words(lx, ly, s, f, transform=rot)
        box = rot((2, 2, w + 2, h + 2))
        self.ops.append(("image", box))
        self._note(box)
        return box

    # -- shapes --------------------------------------------------------------------------------
    def line(self, pts: list[tuple[float, float]], width: int = 3, fill: int = 0) -> Box:
        pts = [(int(round(a)), int(round(b))) for a, b in pts]
        self.draw.line(pts, fill=fill, width=width)
        self.ops.append(("line", pts, width, fill))
        h = width // 2 + 1
        box = (min(p[0] for p in pts) - h, min(p[1] for p in pts) - h,
               max(p[0] for p in pts) + h, max(p[1] for p in pts) + h)
        self._note(box)
        return box

    def rect(self, box: Box, outline: int | None = 0, fill: int | None = None, width: int = 3) -> Box:
        box = tuple(int(round(v)) for v in box)
        self.draw.rectangle(box, outline=outline, fill=fill, width=width)
        self.ops.append(("rect", box, outline, fill, width))
        self._note(box)
        return box

    def ellipse(self, box: Box, outline: int | None = 0, fill: int | None = None, width: int = 3) -> Box:
        box = tuple(int(round(v)) for v in box)
        self.draw.ellipse(box, outline=outline, fill=fill, width=width)
        self.ops.append(("ellipse", box, outline, fill, width))
        self._note(box)
        return box

    def polygon(self, pts: list[tuple[float, float]], outline: int | None = 0, fill: int | None = None,
                width: int = 3) -> Box:
        pts = [(int(round(a)), int(round(b))) for a, b in pts]
        self.draw.polygon(pts, outline=outline, fill=fill, width=width)
        self.ops.append(("polygon", pts, outline, fill, width))
        box = (min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts))
        self._note(box)
        return box

    def arc(self, box: Box, start: float, end: float, width: int = 3, fill: int = 0) -> Box:
        box = tuple(int(round(v)) for v in box)
        self.draw.arc(box, start, end, fill=fill, width=width)
        self.ops.append(("arc", box, start, end, width, fill))
        self._note(box)
        return box

    def dashed(self, a: tuple[float, float], b: tuple[float, float], dash: float = 24, gap: float = 12,
               width: int = 2, fill: int = 0, dot: bool = False) -> None:
        """A dashed line (hidden edges) or, with ``dot``, a dash-dot centre line."""
        import math

        (x0, y0), (x1, y1) = a, b
        n = math.hypot(x1 - x0, y1 - y0)
        if n < 1:
            return
        ux, uy = (x1 - x0) / n, (y1 - y0) / n
        t = 0.0
        while t < n:
            e = min(n, t + dash)
            self.line([(x0 + ux * t, y0 + uy * t), (x0 + ux * e, y0 + uy * e)], width=width, fill=fill)
            t = e + gap
            if dot and t < n:
                self.line([(x0 + ux * t, y0 + uy * t), (x0 + ux * min(n, t + 3), y0 + uy * min(n, t + 3))],
                          width=width, fill=fill)
                t += 3 + gap
