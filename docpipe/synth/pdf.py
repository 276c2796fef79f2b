"""Replay a :class:`~docpipe.synth.canvas.Canvas` display list as a born-digital PDF page (reportlab).

1 px at 300 dpi = 72/300 pt. Text is drawn with the same TrueType files and sizes as the raster, without
kerning on either side, so the PDF text layer lands on the raster's pixels (to within a pixel or two).
"""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas

from .canvas import Canvas

K = 72 / 300


def _font_name(path: str) -> str:
    name = "synth-" + Path(path).stem
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, path))
    return name


def write_pdf(pages: list[Canvas], path: Path) -> None:
    """Write ``pages`` as a PDF with a real text layer. Supports text, line, rect, ellipse, polygon."""
    c = rl_canvas.Canvas(str(path), invariant=1)
    for cv in pages:
        wpt, hpt = cv.width * K, cv.height * K
        c.setPageSize((wpt, hpt))
        Y = lambda y: hpt - y * K  # noqa: E731
        for op in cv.ops:
            kind = op[0]
            if kind == "text":
                _, x, y, s, f, fill = op
                c.setFillGray(fill / 255)
                c.setFont(_font_name(f.path), f.size * K)
                c.drawString(x * K, Y(y), s)
            elif kind == "line":
                _, pts, width, fill = op
                c.setStrokeGray(fill / 255)
                c.setLineWidth(width * K)
                p = c.beginPath()
                p.moveTo(pts[0][0] * K, Y(pts[0][1]))
                for x, y in pts[1:]:
                    p.lineTo(x * K, Y(y))
                c.drawPath(p, stroke=1, fill=0)
            elif kind in ("rect", "ellipse"):
                _, (x0, y0, x1, y1), outline, fill, width = op
                if fill is not None:
                    c.setFillGray(fill / 255)
                if outline is not None:
                    c.setStrokeGray(outline / 255)
                c.setLineWidth(width * K)
                if kind == "rect":
                    c.rect(x0 * K, Y(y1), (x1 - x0) * K, (y1 - y0) * K, stroke=int(outline is not None),
                           fill=int(fill is not None))
                else:
                    c.ellipse(x0 * K, Y(y1), x1 * K, Y(y0), stroke=int(outline is not None),
                              fill=int(fill is not None))
            elif kind == "polygon":
                _, pts, outline, fill, width = op
                if fill is not None:
                    c.setFillGray(fill / 255)
                c.setStrokeGray((outline if outline is not None else 0) / 255)
                c.setLineWidth(width * K)
                p = c.beginPath()
                p.moveTo(pts[0][0] * K, Y(pts[0][1]))
                for x, y in pts[1:]:
                    p.lineTo(x * K, Y(y))
                p.close()
                c.drawPath(p, stroke=int(outline is not None), fill=int(fill is not None))
            else:
                raise ValueError(f"cannot replay {kind!r} in a PDF; draw it from text, lines and shapes")
        c.showPage()
    c.save()
