"""Read: from a rasterized page to upright words and lines (orient + OCR, or the PDF text layer).

The PDF text layer is used where a page has one (``text_source: "pdf_text"``). Otherwise the page is deskewed
and OCRed; when the first pass reads poorly, Tesseract OSD is consulted for a quarter turn and the page read
again. A drawing is read in sparse-text mode (a page whose ink looks like a drawing's is read so first, and
skips the document pass and OSD when those lines classify as a drawing; see :class:`PageReader`), and once
more turned 90 degrees for vertical dimension text (kept only where it parses as a dimension, or is a deviation stacked beside one);
after detection, the detector's dimension proposals are read one by one at their angle
(:meth:`PageReader.read_dimension_regions`, called by the pipeline). Scans whose text is small in pixels (low
resolution) are upscaled for Tesseract and the boxes scaled back.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from .classify import classify, discipline
from .drawing.plan_dimensions import is_feet_inches
from .drawing.repairs import read_dimension
from .geometry import iou, mostly_inside, union
from .ingest import RasterPage
from .language import ALL_LANGS, AUTO, second_pass_lang
from .normalize import parse_date
from .ocr import CpuMeter, OcrEngine, group_lines, read_quality
from .options import OcrOptions, OrientOptions
from .orient import Orienter, rotate_clockwise
from .types import Line, Page, Word

_ALL_LANGS_BELOW_QUALITY = 0.65  # read_quality under which 'auto' reads the page again with ALL_LANGS
_OSD_BELOW_QUALITY = 0.45  # read_quality under which OSD is consulted ('auto'); upright pages score > 0.6
_MIN_TEXT_PX = 18  # Tesseract reads best with capitals ~20-30 px tall; smaller text is upscaled to this
_MAX_UPSCALE = 3.0


@dataclass
class PageText:
    """A read page: the upright image (kept out of serialised models), its words, lines and metadata."""

    image: Image.Image
    page: Page
    words: list[Word]
    timings: dict[str, float] = field(default_factory=dict)
    drawing: bool = False  # read as a drawing (sparse and vertical passes); dimension regions apply
    text_px: float | None = None  # median letter height of a drawing page (estimate_text_height), measured once
    passes: dict[str, float] = field(default_factory=dict)  # CPU seconds per pass (PageReader), Tesseract included


def flatten_background(image: Image.Image) -> Image.Image:
    """Grayscale ``image`` divided by its background (a median blur wider than letters), so paper is white
    however it was lit and ink keeps its contrast; same size."""
    gray = np.asarray(image.convert("L"))
    k = max(15, (min(gray.shape) // 40) | 1)
    background = cv2.medianBlur(gray, k).astype(np.float32)
    flat = np.clip(gray.astype(np.float32) / np.maximum(background, 1.0) * 255.0, 0, 255)
    return Image.fromarray(flat.astype(np.uint8))


def estimate_text_height(image: Image.Image) -> float | None:
    """Median height in pixels of letter-sized ink blobs (connected components), or None on a blank page."""
    return text_heights(image)[0]


def text_heights(image: Image.Image) -> tuple[float | None, float | None]:
    """:func:`estimate_text_height` of ``image`` and of ``image`` turned 90 degrees, from one connected-component
    pass (a quarter turn swaps each blob's width and height and keeps the ink threshold): ~0.2-0.3 s saved per
    large drawing sheet."""
    # One page-sized byte array, thresholded in place; the int32 label image (4 bytes a pixel, ~70 MB on a
    # 300-dpi A3 sheet) is dropped at once: this is the reader's largest transient allocation.
    ink = np.array(image.convert("L"))
    cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU, dst=ink)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    del ink
    if n <= 1:
        return None, None
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]

    def median_height(w: np.ndarray, h: np.ndarray) -> float | None:
        # Letters: not specks, not rules or frames, roughly as wide as tall.
        keep = (h >= 4) & (h <= 200) & (w >= 2) & (w <= 2.5 * h)
        return float(np.median(h[keep])) if keep.sum() >= 20 else None
    return median_height(w, h), median_height(h, w)


_SHEET_SIDE = 1000  # px: looks_like_drawing works on a copy this long
_SHEET_BIG_INK = 0.55  # share of the ink in blobs longer than 4% of the page's long side (outlines, frames)
_SHEET_CURVED_INK = 0.02  # share of the ink in such blobs that is neither a horizontal nor a vertical stroke


def looks_like_drawing(image: Image.Image) -> bool:
    """A cheap guess (~30 ms, no OCR) that a page is a technical drawing: most of its ink is in large connected
    blobs (part outlines, frames, dimension lines) rather than letters, and part of that is curved or slanted
    (circles, arcs, arrowheads), which table rules and form boxes are not.

    Measured on a 1000-px copy: all 7 eDOCr2 sheets and both sample drawings pass; none of the 39 shared
    invoices as scans, 18 of the first 20 SROIE receipts and the sample invoices, letter and receipt. It only
    orders the passes (:class:`PageReader`): a page guessed wrongly is read as before, at the price of one
    sparse pass."""
    gray = np.asarray(image.convert("L"))
    scale = _SHEET_SIDE / max(gray.shape)
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return False
    area = stats[1:, cv2.CC_STAT_AREA]
    big = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]) > 0.04 * max(gray.shape)
    total = float(area.sum())
    if area[big].sum() < _SHEET_BIG_INK * total:
        return False
    mask = np.isin(labels, np.flatnonzero(big) + 1).astype(np.uint8) * 255
    straight = cv2.bitwise_or(cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, 15), np.uint8)),
                              cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((15, 1), np.uint8)))
    return np.count_nonzero(cv2.subtract(mask, straight)) >= _SHEET_CURVED_INK * total


def _date_lines(lines: list[Line]) -> list[Line]:
    """The lines that hold a printed date (:func:`docpipe.normalize.parse_date` on windows of 1-3 words)."""
    out = []
    for ln in lines:
        texts = [w.text for w in ln.words]
        if any(parse_date(" ".join(texts[i:i + n])) for i in range(len(texts)) for n in (1, 2, 3)
               if i + n <= len(texts)):
            out.append(ln)
    return out


def _same_row(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two line boxes overlap across and share more than half of the lower one's height."""
    shared = min(a[3], b[3]) - max(a[1], b[1])
    return min(a[2], b[2]) > max(a[0], b[0]) and shared > 0.5 * min(a[3] - a[1], b[3] - b[1])


def _with_lines(words: list[Word], lines: list[Line]) -> list[Word]:
    """``words`` with the words of ``lines`` (another reading of the same image) in place of the lines of
    ``words`` they overlap on the same row (:func:`_same_row`): the other reading's line replaces the whole
    line it was read again as, also where the two readings ended the line at different words."""
    if not lines:
        return words
    kept = [w for ln in group_lines(words) if not any(_same_row(ln.bbox, new.bbox) for new in lines)
            for w in ln.words]
    return kept + [w for ln in lines for w in ln.words]


class PageReader:
    """Orient and read pages. Build once per worker; ``__call__`` per page.

    The order of the passes on a scanned page (each pass's CPU seconds land in ``PageText.passes``):

    - ``deskew`` (and OSD first with ``osd="always"``), then ``text_height``: the letter height of the page
      and of the page turned (:func:`text_heights`), measured once for every pass;
    - a page that :func:`looks_like_drawing` is read in sparse mode first (``ocr_sparse``, psm 11); when those
      lines classify as a drawing the page is one, and its orientation is settled (sideways or upside-down
      text does not read as a title block and dimensions): no document pass, no OSD;
    - otherwise the document pass (``ocr_page``, psm 4); ``osd`` when it reads poorly and does not read as a
      drawing either (a quarter turn found: deskew and read again); a poor reading of a document page is
      read again flattened (``flatten``), a page in another language again in it (``ocr_lang``); a page
      whose lines classify as a drawing gets the sparse pass now (reused when the guess already ran it);
    - a drawing then gets ``ocr_vertical``, the page turned 90 degrees, for vertical dimensions; the
      detector's dimension regions come later (``dimension_ocr``, :meth:`read_dimension_regions`).
    """

    def __init__(self, orient: OrientOptions, ocr: OcrOptions) -> None:
        self.orient_options = orient
        self.orienter = Orienter(orient)
        self.ocr = OcrEngine(ocr)

    def __call__(self, raster: RasterPage) -> PageText:
        timings: dict[str, float] = {}
        passes: dict[str, float] = {}
        drawing, text_px = False, None
        if raster.pdf_words is not None:
            image, words, rotation, source = raster.image, raster.pdf_words, 0.0, "pdf_text"
            lines = group_lines(words)
        else:
            source = "ocr"
            image, words, rotation, drawing, heights = self._orient_and_read(raster, timings, passes)
            lines = group_lines(words)
            if drawing:
                text_px = heights[0]  # for the dimension regions too
                if self.ocr.options.vertical_text:
                    t0 = time.perf_counter()
                    with CpuMeter() as m:
                        # Vertical dimensions are as tall as the page's upright letters; the turned page's own
                        # median blob height is the upright letters' width, smaller: it upscaled low-resolution
                        # sheets 2.6x instead of 1.6x (eDOCr2 LIU0010; same 67 of 80 dimensions found, 2
                        # fewer wrong ones, ~0.6 s less CPU there).
                        vertical = self.read_vertical_dimensions(image, height=_larger(*heights))
                        lines = drop_overlapped(lines, vertical) + vertical
                        words = [w for ln in lines for w in ln.words]
                    passes["ocr_vertical"] = m.seconds
                    timings["ocr"] = timings.get("ocr", 0.0) + time.perf_counter() - t0
                if self._plan_page(image, raster, lines):
                    t0 = time.perf_counter()
                    with CpuMeter() as m:
                        lang = None if self.ocr.options.lang == AUTO else self.ocr.options.lang
                        lines = read_plan_text(self.ocr, image, lines, text_px, lang)
                        words = [w for ln in lines for w in ln.words]
                    passes["ocr_plan_text"] = m.seconds
                    timings["ocr"] = timings.get("ocr", 0.0) + time.perf_counter() - t0
        page = Page(number=raster.number, width=image.width, height=image.height, dpi=raster.dpi,
                    rotation=round(rotation % 360, 2), text_source=source, lines=lines)
        return PageText(image=image, page=page, words=words, timings=timings, drawing=drawing,
                        text_px=text_px, passes=passes)

    def _orient_and_read(self, raster: RasterPage, timings: dict[str, float], passes: dict[str, float]):
        """(upright image, words, rotation, drawing, (letter height, turned letter height)) of a scanned page.
        A drawing's words are those of the sparse pass."""
        t = time.perf_counter
        opts = self.ocr.options
        sparse_mode = opts.drawing_psm != opts.psm  # drawings get their own pass at all

        def run(name: str, key: str, fn):
            t0 = t()
            with CpuMeter() as m:
                out = fn()
            passes[name] = passes.get(name, 0.0) + m.seconds
            timings[key] = timings.get(key, 0.0) + t() - t0
            return out

        def orient(image: Image.Image):
            im, skew = run("deskew", "orient", lambda: self.orienter.deskew(image))
            return im, skew, run("text_height", "ocr", lambda: text_heights(im))

        image, rotation = raster.image, 0.0
        if self.orient_options.osd == "always":
            image, turn = run("osd", "orient", lambda: self.orienter.quarter_turn(image))
            rotation += turn
        image, skew, heights = orient(image)
        rotation += skew
        sparse: list[Word] | None = None  # the sparse pass of ``image``, once read
        if sparse_mode and run("drawing_guess", "ocr", lambda: looks_like_drawing(image)):
            sparse = run("ocr_sparse", "ocr", lambda: self.read_words(image, psm=opts.drawing_psm,
                                                                      height=heights[0]))
            if self.drawing_like(image, raster, group_lines(sparse)):
                return image, sparse, rotation, True, heights
        words = run("ocr_page", "ocr", lambda: self.read_words(image, height=heights[0]))
        drawing = sparse_mode and self.drawing_like(image, raster, group_lines(words))
        if self.orient_options.osd == "auto" and read_quality(words) < _OSD_BELOW_QUALITY and not drawing:
            # A drawing reads poorly by nature (sparse text, line art), but what it reads settles its orientation.
            _, turn = run("osd", "orient", lambda: self.orienter.quarter_turn(image))
            if turn:
                # Skew was estimated on the sideways page: start again from the scan, turned upright.
                image, skew2, heights = orient(rotate_clockwise(raster.image, turn))
                rotation, sparse = turn + skew2, None
                words = run("ocr_page", "ocr", lambda: self.read_words(image, height=heights[0]))
                drawing = sparse_mode and self.drawing_like(image, raster, group_lines(words))
        if drawing:
            if sparse is None:
                sparse = run("ocr_sparse", "ocr", lambda: self.read_words(image, psm=opts.drawing_psm,
                                                                          height=heights[0]))
            return image, sparse, rotation, True, heights
        read_image = image  # the image the kept words were read from (flattened, for a grey photo)
        if read_quality(words) < _OSD_BELOW_QUALITY:
            words, read_image = run("flatten", "ocr", lambda: self._read_flattened(image, words))

        def _height(im):  # a flattened image measures its own letters: the grey photo's blobs were specks
            return heights[0] if im is image else "measure"
        receipt = None  # whether the page's lines read as a receipt: asked once, when needed
        lang = None  # the languages of the kept reading (None: the first reading's)
        if opts.lang == AUTO:
            # A page that reads poorly (noisy scans) or reads as a receipt (thermal till prints, which read
            # poorly even when the words come out) is read again with every installed document language, from
            # the image its kept words came from: the combined models read such scans better even when they are
            # English (SROIE receipts 1-50, development figures: 0.870 of the key fields with every language
            # against 0.830 when only poorly read pages were). Other pages are read again only when their words
            # say German, French or Dutch.
            poor = read_quality(words) < _ALL_LANGS_BELOW_QUALITY
            receipt = None if poor else self.page_kind(image, raster, group_lines(words)) == "receipt"
            second = ALL_LANGS if poor or receipt else second_pass_lang(w.text for w in words)
            if second is not None:
                lang = second
                words = run("ocr_lang", "ocr", lambda: self.read_words(read_image, lang=second,
                                                                       height=_height(read_image)))
        if receipt is None:
            receipt = self.page_kind(image, raster, group_lines(words)) == "receipt"
        if receipt and not _date_lines(group_lines(words)):
            # Till receipts print their date once, in thin type, and a damaged date is the most common miss of
            # their reading (the line read as 'Date a 0 AS 16:01: 18'): Tesseract's single-block mode (psm 6)
            # segments such a receipt differently and often reads the line the page mode lost. The page is read
            # that way only when its reading holds no date at all, and only its date lines are taken, in
            # place of the words they cover.
            again = run("ocr_date", "ocr", lambda: self.read_words(read_image, psm=6, lang=lang,
                                                                   height=_height(read_image)))
            words = _with_lines(words, _date_lines(group_lines(again)))
        return image, words, rotation, False, heights

    def _read_flattened(self, image: Image.Image, words: list[Word]) -> tuple[list[Word], Image.Image]:
        """A poor reading of a document page (not a drawing) may be a photo with grey, unevenly lit paper (till
        receipts), where the global threshold loses the letters (Tesseract read 11 words of a clear SROIE
        receipt, 111 after flattening): read the flattened image (same size, same boxes) and keep whichever
        reading has more well-read words, with the image it came from."""
        flat = flatten_background(image)
        again = self.read_words(flat)
        good = lambda ws: read_quality(ws) * len(ws)  # noqa: E731 - confident words of 3+ characters
        return (again, flat) if good(again) > good(words) else (words, image)

    def drawing_like(self, image: Image.Image, raster: RasterPage, lines: list[Line]) -> bool:
        """Whether the page's OCR lines look like a drawing's (:func:`docpipe.classify.classify` on them)."""
        return self.page_kind(image, raster, lines) == "drawing"

    @staticmethod
    def _plan_page(image: Image.Image, raster: RasterPage, lines: list[Line]) -> bool:
        """Whether a drawing page's lines say building plan (:func:`docpipe.classify.discipline`)."""
        probe = Page(number=1, width=image.width, height=image.height, dpi=raster.dpi, text_source="ocr",
                     lines=lines)
        return discipline([probe]) == "architectural"

    @staticmethod
    def page_kind(image: Image.Image, raster: RasterPage, lines: list[Line]) -> str:
        """The document type a page's OCR lines suggest (:func:`docpipe.classify.classify` on them)."""
        probe = Page(number=1, width=image.width, height=image.height, dpi=raster.dpi, text_source="ocr",
                     lines=lines)
        return classify([probe])[0]

    def read_words(self, image: Image.Image, *, psm: int | None = None, height: float | None | str = "measure",
                   lang: str | None = None) -> list[Word]:
        """OCR words in ``image`` coordinates, upscaling pages whose text is small in pixels. ``height`` is the
        letter height in pixels when already known (:func:`estimate_text_height`, ~0.2-0.4 s on a large sheet),
        else it is measured here."""
        if height == "measure":
            height = estimate_text_height(image)
        factor = min(_MAX_UPSCALE, _MIN_TEXT_PX / height) if height else 1.0
        if factor <= 1.15:
            return self.ocr.read_words(image, dpi=_effective_dpi(height), psm=psm, lang=lang)
        big = image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS)
        words = self.ocr.read_words(big, dpi=_effective_dpi(height * factor), psm=psm, lang=lang)
        return [w.model_copy(update={"bbox": _scale_box(w.bbox, 1 / factor)}) for w in words]

    def read_vertical_dimensions(self, image: Image.Image, *, height: float | None | str = "measure") -> list[Line]:
        """Lines of text that reads bottom to top (turned 90 degrees) and parses as a dimension, in the
        upright page's coordinates, with ``angle`` 90."""
        turned = image.transpose(Image.Transpose.ROTATE_270)  # clockwise: bottom-to-top text becomes level
        words = self.read_words(turned, psm=self.ocr.options.drawing_psm, height=height)
        h = image.height
        lines = group_lines(words)
        keep = [ln for ln in lines if read_dimension(ln.text) is not None or is_feet_inches(ln.text)]  # plans: 12'-6"
        # Deviations stacked beside a vertical size ("+0.03" over "-0.03") do not parse alone: keep those
        # close to a kept size, for the drawing rules to join (docpipe.structure.stacks).
        keep += [ln for ln in lines if _DEVIATION.match(ln.text) and ln not in keep and any(
            _near(ln.bbox, k.bbox) for k in keep)]
        out = []
        for line in keep:
            # A point (xr, yr) of the turned image is (yr, h - xr) on the page.
            mapped = [w.model_copy(update={"bbox": (w.bbox[1], h - w.bbox[2], w.bbox[3], h - w.bbox[0])})
                      for w in line.words]
            box = union(w.bbox for w in mapped)
            out.append(Line(text=line.text, bbox=box, confidence=line.confidence, words=mapped, angle=90.0))
        return out


    def read_dimension_regions(self, text: PageText, page: Page, detected) -> Page:
        """``page`` with the dimensions read in the detector's ``dimension`` regions added to its lines.

        For drawing pages only (``text.drawing``) and when ``OcrOptions.dimension_regions`` is on. Each region
        that no page-OCR line already reads as a dimension is cut out with a margin, turned level when its
        text is vertical (the detector's flag, or a box much taller than wide), scaled so that its letters are
        ~30 px tall, and all crops are stacked into one image that Tesseract reads as a block (psm 6); the
        crops that reading leaves without a dimension are stacked again and read as sparse text (psm 11): one
        process start per mode instead of one per crop. A crop's text is kept where it reads as a dimension
        (:func:`docpipe.drawing.repairs.read_dimension`: the parser decides, not the detector's
        confidence), with deviations stacked beside it; it replaces the page-OCR lines inside it that did
        not read as one (misreads of the same ink). ``detected`` are
        :class:`docpipe.detect.DetectedRegion` in ``text.image`` pixels.
        """
        if not (text.drawing and self.ocr.options.dimension_regions):
            return page
        reads = _dimension_reader(page)
        known = [ln.bbox for ln in page.lines if reads(ln.text)]
        props = [d for d in detected if d.label == "dimension" and not any(_covers(k, d.bbox) for k in known)]
        if not props:
            return page
        with CpuMeter() as m:
            px = text.text_px if text.text_px is not None else estimate_text_height(text.image)
            lines = region_dimension_lines(self.ocr, text.image, props, px)
        text.passes["dimension_ocr"] = text.passes.get("dimension_ocr", 0.0) + m.seconds
        kept = [ln for ln in page.lines if not any(mostly_inside(ln.bbox, new.bbox) for new in lines)
                or reads(ln.text)]
        lines = [ln for ln in lines if not any(mostly_inside(ln.bbox, k.bbox) and reads(k.text) for k in kept)]
        return page.model_copy(update={"lines": kept + lines})

_DEVIATION = re.compile(r"^[+\-±]?\s?(?:\d+[.,]\d+|[.,]\d+|0)$")


def _dimension_reader(page: Page):
    """Whether a line's text reads as a dimension, for :meth:`PageReader.read_dimension_regions`: by the
    part-drawing grammar (:func:`docpipe.drawing.repairs.read_dimension`), and on building plans (lines that
    say ``architectural``) feet and inches too, as the vertical pass keeps them: otherwise a plan's ``7'-6"``
    read by the page or its crops counts as unread, and the region's reading of the same ink (``7"``)
    replaces it. Part drawings are read as before."""
    if discipline([page]) == "architectural":
        return lambda t: read_dimension(t) is not None or is_feet_inches(t)
    return lambda t: read_dimension(t) is not None


def _near(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Within two text heights of each other (boxes in one frame)."""
    h = max(a[3] - a[1], b[3] - b[1])
    return max(a[0] - b[2], b[0] - a[2]) <= 2 * h and max(a[1] - b[3], b[1] - a[3]) <= 2 * h


_REGION_LETTER_PX = 30  # letter height the crops are scaled to (Tesseract's sweet spot is ~20-40 px)
_STRIP_GAP = 0.6  # white space between stacked crops, in crop heights
# The strip is read as a block of lines (psm 6), and the crops that reading leaves without a dimension as sparse
# text (psm 11). Each reads some crops the other misses (eDOCr2 sheets: 60 of 80 dimensions found with either
# alone); per crop the block reading wins where it parses.
_STRIP_PSMS = (6, 11)
# ... with at most three letter heights between crops: the white of a tall crop's gap cost Tesseract time
# (~0.03 s of CPU per million pixels) and read nothing (eDOCr2: the same 67 of 80 dimensions with the cap).
_STRIP_GAP_MAX = 3 * _REGION_LETTER_PX
# No character whitelist: Tesseract's LSTM models have no Ø or ± to allow, and a whitelist of digits, signs
# and fit letters on the psm-6 reading found the same 63 of 80 eDOCr2 dimensions as none (CER 0.056 both).


def region_dimension_lines(engine: OcrEngine, image: Image.Image, regions, text_px: float | None) -> list[Line]:
    """Dimension lines read in ``regions`` (see :meth:`PageReader.read_dimension_regions`), page coordinates."""
    gray = image.convert("L")
    scale = min(3.0, max(0.5, _REGION_LETTER_PX / text_px)) if text_px else 1.0
    crops = []  # (turned crop image scaled, crop box on the page, map from turned-crop point to crop point, angle)
    slanted = []  # crops of slanted text, turned level, read only where their upright crop does not parse
    for d in regions:
        x0, y0, x1, y1 = d.bbox
        vertical = d.angle == 90 or (y1 - y0) > 1.4 * (x1 - x0)
        # The detector's boxes on real drawings are often short of the text's ends ("Ø1" of "Ø140"): widen
        # along the reading direction more than across it.
        length, across = ((y1 - y0), (x1 - x0)) if vertical else ((x1 - x0), (y1 - y0))
        ml, ma = round(max(0.4 * length, across)) + 4, round(0.3 * across) + 4
        mx, my = (ma, ml) if vertical else (ml, ma)
        box = (max(0, x0 - mx), max(0, y0 - my), min(image.width, x1 + mx), min(image.height, y1 + my))
        crop = gray.crop(box)
        cw, ch = crop.size
        slant = _slant(crop)
        if slant is not None:
            slanted.append((_scaled(crop.rotate(slant, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC),
                                    scale), box, _unrotate(slant, cw, ch), round(-slant, 1)))
        if vertical:
            crops.append((_scaled(crop.transpose(Image.Transpose.ROTATE_270), scale), box,
                          lambda u, v, ch=ch: (v, ch - u), 90.0))  # (u, v) of the turned crop is (v, ch - u)
        else:
            crops.append((_scaled(crop, scale), box, lambda u, v: (u, v), 0.0))
    n_upright = len(crops)
    crops += slanted
    dpi = _effective_dpi(text_px * scale if text_px else None)
    # The block reading (psm 6) of every crop first; the sparse reading (psm 11) only of the crops it left
    # without a dimension: an upright crop, and a slanted one whose upright crop is still unread (one strip
    # each: one Tesseract process per mode, not one per crop).
    per_reading = [_read_strip(engine, crops, range(len(crops)), dpi, scale, _STRIP_PSMS[0])]
    block = per_reading[0]
    todo = [i for i in range(n_upright) if not block[i]]
    todo += [n_upright + k for k, sl in enumerate(slanted) if not block[n_upright + k]
             and any(crops[i][1] == sl[1] for i in todo)]
    if todo:
        per_reading.append(_read_strip(engine, crops, todo, dpi, scale, _STRIP_PSMS[1]))
    out: list[Line] = []
    for i in range(n_upright):
        lines = next((r[i] for r in per_reading if r[i]), [])
        if not lines:  # the same region turned along its slant, if it has one
            j = next((n_upright + k for k, sl in enumerate(slanted) if sl[1] == crops[i][1]), None)
            lines = next((r[j] for r in per_reading if r[j]), []) if j is not None else []
        out += [ln for ln in lines if not any(mostly_inside(ln.bbox, o.bbox) or mostly_inside(o.bbox, ln.bbox)
                                                for o in out)]  # overlapping proposals read the same ink
    return out


def _read_strip(engine: OcrEngine, crops, indices, dpi: int, scale: float, psm: int) -> list[list[Line]]:
    """The crops ``indices`` stacked into one white strip and read once with ``psm``: per crop of ``crops``,
    its dimension lines in page pixels (empty for crops not in ``indices``)."""
    chosen = [crops[i] for i in indices]
    pad = 20
    width = max(c[0].width for c in chosen) + 2 * pad
    tops, y = [], pad
    for c, *_ in chosen:
        tops.append(y)
        y += c.height + max(20, min(_STRIP_GAP_MAX, round(_STRIP_GAP * c.height)))
    strip = Image.new("L", (width, y + pad), 255)
    for (c, *_), top in zip(chosen, tops):
        strip.paste(c, (pad, top))
    lines = _crop_lines(engine.read_words(strip, dpi=dpi, psm=psm), chosen, tops, pad, scale)
    out: list[list[Line]] = [[] for _ in crops]
    for i, ls in zip(indices, lines):
        out[i] = ls
    return out


def _crop_lines(words: list[Word], crops, tops: list[int], pad: int, scale: float) -> list[list[Line]]:
    """Per crop, the lines of one strip reading that parse as dimensions (and deviations beside them), mapped
    back to page pixels."""
    per_crop: list[list[tuple[Word, tuple[int, int, int, int]]]] = [[] for _ in crops]
    for w in words:
        cy = (w.bbox[1] + w.bbox[3]) / 2
        i = max((k for k, t in enumerate(tops) if t <= cy), default=None)
        if i is None or cy > tops[i] + crops[i][0].height:
            continue
        c, box, to_crop, _ = crops[i]
        # strip -> scaled turned crop -> turned crop -> crop (its four corners: the crop may be turned by any
        # angle) -> page
        u0, v0 = (w.bbox[0] - pad) / scale, (w.bbox[1] - tops[i]) / scale
        u1, v1 = (w.bbox[2] - pad) / scale, (w.bbox[3] - tops[i]) / scale
        pts = [to_crop(u, v) for u, v in ((u0, v0), (u1, v0), (u0, v1), (u1, v1))]
        px0, py0 = box[0] + max(0, int(min(x for x, _ in pts))), box[1] + max(0, int(min(y for _, y in pts)))
        page_box = (px0, py0, max(px0 + 1, box[0] + round(max(x for x, _ in pts))),
                    max(py0 + 1, box[1] + round(max(y for _, y in pts))))
        per_crop[i].append((w.model_copy(update={"bbox": page_box}), w.bbox))
    out: list[list[Line]] = []
    for (c, box, _, angle), items in zip(crops, per_crop):
        lines: list[Line] = []
        out.append(lines)
        if not items:
            continue
        # group in the crop's reading frame (strip boxes), then carry the page boxes along
        frame_words = [pw.model_copy(update={"bbox": sb}) for pw, sb in items]
        back = dict(zip((id(f) for f in frame_words), (pw for pw, _ in items)))
        # a line that does not parse as a whole keeps its longest leading run that does ("70.5" of
        # "70.5 a 7", where the stacked tolerance beside it was misread)
        groups = [_leading_dimension(g) for g in group_lines(frame_words)]
        # a lone character from a crop is too often a fragment (of slanted text, an arrowhead): not kept
        keep = [g for g in groups if len(g.text) >= 2 and read_dimension(g.text) is not None]
        keep += [g for g in groups if _DEVIATION.match(g.text) and g not in keep and any(
            _near(g.bbox, k.bbox) for k in keep)]
        for g in keep:
            mapped = [back[id(fw)] for fw in g.words]
            pbox = union(w.bbox for w in mapped)
            lines.append(Line(text=g.text, bbox=pbox, confidence=g.confidence, words=mapped, angle=angle))
    return out


def _leading_dimension(line: Line) -> Line:
    """``line`` if it reads as a dimension, else its longest leading run of words that does (or ``line``)."""
    if read_dimension(line.text) is not None:
        return line
    for j in range(len(line.words) - 1, 0, -1):
        words = line.words[:j]
        text = " ".join(w.text for w in words)
        if read_dimension(text) is not None:
            return Line(text=text, bbox=union(w.bbox for w in words), confidence=min(w.confidence for w in words),
                        words=list(words))
    return line


def _scaled(im: Image.Image, scale: float) -> Image.Image:
    return im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.Resampling.LANCZOS)


def _unrotate(angle: float, w: int, h: int):
    """Map a point of ``im.rotate(angle, expand=True)`` (``im`` of size w x h) back to ``im``."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    rw = abs(w * c) + abs(h * s)
    rh = abs(w * s) + abs(h * c)

    def back(u: float, v: float) -> tuple[float, float]:
        dx, dy = u - rw / 2, v - rh / 2
        return c * dx - s * dy + w / 2, s * dx + c * dy + h / 2
    return back


_SLANT_MIN, _SLANT_MAX = 12.0, 78.0  # degrees off the axes for a crop to count as slanted


def _slant(crop: Image.Image) -> float | None:
    """The rotation (degrees, for ``Image.rotate``) that levels the longest straight strokes of a crop (the
    dimension or leader line its text runs along), when they are clearly off both axes; else None. Text along
    a slanted dimension line reads left to right along it, so turning the line level sets the text upright."""
    a = np.asarray(crop)
    _, ink = cv2.threshold(a, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    side = min(a.shape)
    segs = cv2.HoughLinesP(ink, 1, np.pi / 180, threshold=max(20, side // 3), minLineLength=max(20, side // 2),
                           maxLineGap=3)
    if segs is None:
        return _blob_slant(ink)
    votes: dict[int, float] = {}
    for x1, y1, x2, y2 in segs.reshape(-1, 4).tolist():
        ang = math.degrees(math.atan2(-(y2 - y1), x2 - x1)) % 180  # counter-clockwise, image y points down
        votes[round(ang / 3) * 3 % 180] = votes.get(round(ang / 3) * 3 % 180, 0.0) + math.hypot(x2 - x1, y2 - y1)
    best = max(votes, key=votes.get)
    signed = best - 180 if best > 90 else best  # (-90, 90]: the text reads left to right along the line
    return float(-signed) if _SLANT_MIN <= abs(signed) <= _SLANT_MAX else _blob_slant(ink)


def _blob_slant(ink: np.ndarray) -> float | None:
    """Like :func:`_slant`, from the text itself: the direction through the centres of three or more
    letter-sized blobs (text along an arc, or without a straight line beside it), by principal axis."""
    n, _, stats, centres = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h = stats[1:, cv2.CC_STAT_HEIGHT]
    w = stats[1:, cv2.CC_STAT_WIDTH]
    size = np.maximum(h, w)
    keep = (size >= 6) & (size <= 0.6 * min(ink.shape))
    pts = centres[1:][keep]
    if len(pts) < 3:
        return None
    pts = pts - pts.mean(axis=0)
    _, sv, vt = np.linalg.svd(pts, full_matrices=False)
    if sv[0] < 2.5 * max(sv[1], 1e-6):
        return None  # not strung out along one direction
    dx, dy = vt[0]
    ang = math.degrees(math.atan2(-dy, dx)) % 180
    signed = ang - 180 if ang > 90 else ang
    return float(-signed) if _SLANT_MIN <= abs(signed) <= _SLANT_MAX else None


def _covers(known: tuple[int, int, int, int], region: tuple[int, int, int, int]) -> bool:
    """A page-OCR dimension line already reads this region: it overlaps it well or sits inside it."""
    return iou(known, region) >= 0.3 or mostly_inside(known, region)


def _effective_dpi(text_px: float | None) -> int:
    """The resolution to tell Tesseract, from the letters' height in the image it reads: body text of
    ~18 px is ~200 dpi. Telling it 300 for upscaled low-resolution scans cost 3 points of word CER on FUNSD
    (0.144 vs 0.174); the nominal dpi of an image is often missing or wrong."""
    if not text_px:
        return 300
    return int(min(1200, max(70, round(200 * text_px / 18))))


def _larger(a: float | None, b: float | None) -> float | None:
    return max(a, b) if a and b else (a or b)


def drop_overlapped(lines: list[Line], vertical: list[Line]) -> list[Line]:
    """``lines`` without those mostly inside a vertical text line (upright-pass misreads of it)."""
    return [ln for ln in lines if not any(mostly_inside(ln.bbox, v.bbox) for v in vertical)]


def _scale_box(b: tuple[int, int, int, int], s: float) -> tuple[int, int, int, int]:
    x0, y0 = int(b[0] * s), int(b[1] * s)
    return (x0, y0, max(x0 + 1, round(b[2] * s)), max(y0 + 1, round(b[3] * s)))



# -- plans: small text read again in crops ------------------------------------------------------------------

_PLAN_CROP_PAD = 0.4  # margin around a text line's box, in letter heights
_PLAN_MAX_CROPS = 160  # a plan sheet has ~60-120 text lines; more is hatching or a dense sheet: bounded cost
# Door and window tags in small type read as words ("wos", "wol" for W08, W01): read again with only the
# letters and digits tags are made of (Tesseract 5's LSTM honours the whitelist).
_TAG_CHARS = "CDFMPTWO0123456789"


def read_plan_text(engine: OcrEngine, image: Image.Image, lines: list[Line], text_px: float | None,
                   lang: str | None = None) -> list[Line]:
    """Building plans only (pages read as drawings whose lines say ``architectural``): ``lines`` with the
    text lines of the page read again in crops of the page without its walls and straight lines
    (:mod:`docpipe.drawing.plan_text`), where the crop reads a tag, area, length, level or room name the page
    reading lost or garbled, or the language's letters it dropped. The crops are stacked into one strip
    read once (psm 6) with ``lang``, by default the language of the sheet's labels alone
    (:func:`docpipe.drawing.plan_language.plan_language`: ``deu`` reads ``Küche`` where ``eng+deu`` reads
    ``Kuche``); the tag-sized crops that reading leaves without a clean tag are stacked
    again and read with the tags' characters only. Crops on vertical text lines are left to the vertical
    pass. Two Tesseract runs a page, whatever the number of crops (at most :data:`_PLAN_MAX_CROPS`)."""
    from .drawing.plan_language import plan_language
    from .drawing.plan_text import (clean_plan_ink, crop_box, imperial_sheet, merge_readings, tag_reading,
                                    text_line_boxes)

    vertical = [ln.bbox for ln in lines if round(ln.angle) != 0]
    upright = [w for ln in lines if round(ln.angle) == 0 for w in ln.words]
    # The letters' height from the words read: the page's blob median is low on imperial sheets, whose foot and
    # inch marks are blobs too (13 px against 28 px digits on a generated A3 sheet)
    heights = sorted(w.bbox[3] - w.bbox[1] for w in upright if sum(c.isalnum() for c in w.text) >= 2)
    text_px = float(heights[len(heights) // 2]) if len(heights) >= 10 else text_px
    if not text_px:
        return lines
    clean = clean_plan_ink(np.asarray(image.convert("L")), text_px)
    boxes = []
    for found in text_line_boxes(clean, text_px):
        box = crop_box(found, upright, text_px, image.size, _PLAN_CROP_PAD)
        if not any(mostly_inside(box, v) or mostly_inside(v, box) for v in vertical):
            boxes.append(box)
    boxes = boxes[:_PLAN_MAX_CROPS]
    if not boxes:
        return lines
    lang = lang or plan_language(w.text for w in upright)
    paper = Image.fromarray(255 - clean)  # black text on white, walls and lines gone
    scale = min(3.0, max(0.5, _REGION_LETTER_PX / text_px))
    dpi = _effective_dpi(text_px * scale)
    readings = _read_crops(engine, paper, boxes, scale, dpi=dpi, psm=6, lang=lang)
    again = [i for i, (b, ws) in enumerate(zip(boxes, readings)) if tag_reading(b, ws, upright, text_px)]
    if again:
        tags = _read_crops(engine, paper, [boxes[i] for i in again], scale, dpi=dpi, psm=6, lang="eng",
                           config=f"-c tessedit_char_whitelist={_TAG_CHARS}")
        for i, ws in zip(again, tags):
            readings[i] = tag_reading(boxes[i], readings[i], upright, text_px, ws) or readings[i]
    return merge_readings(lines, list(zip(boxes, readings)), imperial=imperial_sheet(upright))


def _read_crops(engine: OcrEngine, paper: Image.Image, boxes, scale: float, *, dpi: int, psm: int, lang: str,
                config: str = "") -> list[list[Word]]:
    """Per box of ``paper``, the words one reading of all the crops stacked into a strip finds in it, in page
    pixels."""
    crops = [_scaled(paper.crop(b), scale) for b in boxes]
    pad, gap = 20, max(20, round(0.8 * _REGION_LETTER_PX))
    tops, y = [], pad
    for c in crops:
        tops.append(y)
        y += c.height + gap
    strip = Image.new("L", (max(c.width for c in crops) + 2 * pad, y + pad), 255)
    for c, top in zip(crops, tops):
        strip.paste(c, (pad, top))
    out: list[list[Word]] = [[] for _ in boxes]
    for w in engine.read_words(strip, dpi=dpi, psm=psm, lang=lang, config=config):
        cy = (w.bbox[1] + w.bbox[3]) / 2
        i = max((k for k, t in enumerate(tops) if t <= cy), default=None)
        if i is None or cy > tops[i] + crops[i].height:
            continue
        bx, by = boxes[i][0], boxes[i][1]
        x0, y0 = bx + int((w.bbox[0] - pad) / scale), by + int((w.bbox[1] - tops[i]) / scale)
        x1, y1 = bx + round((w.bbox[2] - pad) / scale), by + round((w.bbox[3] - tops[i]) / scale)
        out[i].append(w.model_copy(update={"bbox": (max(bx, x0), max(by, y0), max(x0 + 1, x1), max(y0 + 1, y1))}))
    return out
