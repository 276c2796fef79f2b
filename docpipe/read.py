"""Read: from a rasterized page to upright words and lines (orient + OCR, or the PDF text layer).

The PDF text layer is used where a page has one (``text_source: "pdf_text"``); otherwise the page is deskewed,
OCRed, and, when the first pass reads poorly, checked with Tesseract OSD for a quarter turn and read again.
Small, low-resolution images (below ~150 dpi effective) are upscaled for Tesseract and the boxes scaled back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from PIL import Image

from .ingest import RasterPage
from .ocr import OcrEngine, group_lines, read_quality
from .options import OcrOptions, OrientOptions
from .orient import Orienter
from .types import Line, Page, Word

_OSD_BELOW_QUALITY = 0.45  # read_quality under which OSD is consulted ('auto' mode); upright pages score > 0.6
_MIN_OCR_DPI = 200  # Tesseract reads best with ~20-30 px capital height; smaller scans are upscaled


@dataclass
class PageText:
    """A read page: the upright image (kept out of serialised models), its words, lines and metadata."""

    image: Image.Image
    page: Page
    words: list[Word]
    timings: dict[str, float] = field(default_factory=dict)


class PageReader:
    """Orient and read pages. Build once per worker; ``__call__`` per page."""

    def __init__(self, orient: OrientOptions, ocr: OcrOptions) -> None:
        self.orient_options = orient
        self.orienter = Orienter(orient)
        self.ocr = OcrEngine(ocr)

    def __call__(self, raster: RasterPage) -> PageText:
        t = time.perf_counter
        timings: dict[str, float] = {}
        image = raster.image
        if raster.pdf_words is not None:
            words, rotation, source = raster.pdf_words, 0.0, "pdf_text"
        else:
            source = "ocr"
            t0 = t()
            rotation = 0.0
            if self.orient_options.osd == "always":
                image, turn = self.orienter.quarter_turn(image)
                rotation += turn
            image, skew = self.orienter.deskew(image)
            rotation += skew
            timings["orient"] = t() - t0
            t0 = t()
            words = self.read_words(image, raster.dpi)
            timings["ocr"] = t() - t0
            if self.orient_options.osd == "auto" and read_quality(words) < _OSD_BELOW_QUALITY:
                t0 = t()
                turned, turn = self.orienter.quarter_turn(image)
                timings["orient"] += t() - t0
                if turn:
                    t0 = t()
                    # Skew was estimated on the sideways page: re-estimate on the upright one.
                    image, skew2 = self.orienter.deskew(turned)
                    rotation = turn + skew2
                    words = self.read_words(image, raster.dpi)
                    timings["ocr"] += t() - t0
        lines = group_lines(words)
        page = Page(number=raster.number, width=image.width, height=image.height, dpi=raster.dpi,
                    rotation=round(rotation % 360, 2), text_source=source, lines=lines)
        return PageText(image=image, page=page, words=words, timings=timings)

    def read_words(self, image: Image.Image, dpi: int) -> list[Word]:
        """OCR words in ``image`` coordinates, upscaling low-resolution images for Tesseract."""
        factor = _MIN_OCR_DPI / dpi if dpi < _MIN_OCR_DPI else 1.0
        if factor <= 1.0:
            return self.ocr.read_words(image, dpi=dpi)
        big = image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS)
        words = self.ocr.read_words(big, dpi=_MIN_OCR_DPI)
        return [w.model_copy(update={"bbox": _scale_box(w.bbox, 1 / factor)}) for w in words]


def _scale_box(b: tuple[int, int, int, int], s: float) -> tuple[int, int, int, int]:
    x0, y0 = int(b[0] * s), int(b[1] * s)
    return (x0, y0, max(x0 + 1, round(b[2] * s)), max(y0 + 1, round(b[3] * s)))


def lines_text(lines: list[Line]) -> str:
    return "\n".join(ln.text for ln in lines)
