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

import time
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from .classify import classify, discipline
from .drawing.plan_dimensions import is_feet_inches
from .drawing.repairs import read_dimension
from .geometry import mostly_inside, near, union
from .ingest import RasterPage, gray_pixels
from .language import ALL_LANGS, AUTO, second_pass_lang
from .normalize import parse_date
from .ocr import CpuMeter, OcrEngine, effective_dpi, group_lines, read_quality
from .options import OcrOptions, OrientOptions
from .orient import Orienter, rotate_clockwise
from .read_regions import DEVIATION, covers, read_plan_text, region_dimension_lines
from .types import Line, Page, Word

_ALL_LANGS_BELOW_QUALITY = 0.65  # read_quality under which 'auto' reads the page again with ALL_LANGS
_OSD_BELOW_QUALITY = 0.45  # read_quality under which OSD is consulted ('auto'); upright pages score > 0.6
_MIN_TEXT_PX = 18  # Tesseract reads best with capitals ~20-30 px tall; smaller text is upscaled to this
_MAX_UPSCALE = 3.0
# Larger text is read downscaled to _DOWN_TEXT_PX: pages scanned at 600 dpi and close-up photos (letters
# 35-70 px) cost Tesseract 1.3-3.4x the CPU of the same page at 30 px letters (0.4-1.4 s per pass on the 600-dpi
# SROIE scans, development set), and read as well: the same key fields right on SROIE receipts 1-100.
_MAX_TEXT_PX = 34
_DOWN_TEXT_PX = 30


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
    lang: str | None = None
    """The document language the page's words say, as Tesseract languages (``deu+eng``; None: English or not
    decided), for the document's later pages (:meth:`PageReader.__call__`'s ``lang_hint``)."""


def flatten_background(image: Image.Image) -> Image.Image:
    """Grayscale ``image`` divided by its background (a median blur wider than letters), so paper is white
    however it was lit and ink keeps its contrast; same size."""
    gray = gray_pixels(image)
    k = max(15, (min(gray.shape) // 40) | 1)
    background = cv2.medianBlur(gray, k)
    flat = np.empty_like(gray)
    # In bands of rows: two page-sized float32 arrays were 280 MB on a 600-dpi A4 photo (the same pixels).
    for r in range(0, gray.shape[0], _FLATTEN_ROWS):
        g, b = gray[r:r + _FLATTEN_ROWS].astype(np.float32), background[r:r + _FLATTEN_ROWS].astype(np.float32)
        flat[r:r + _FLATTEN_ROWS] = np.clip(g / np.maximum(b, 1.0) * 255.0, 0, 255).astype(np.uint8)
    return Image.fromarray(flat)


_FLATTEN_ROWS = 512


def estimate_text_height(image: Image.Image) -> float | None:
    """Median height in pixels of letter-sized ink blobs (connected components), or None on a blank page."""
    return text_heights(image)[0]


def text_heights(image: Image.Image) -> tuple[float | None, float | None]:
    """:func:`estimate_text_height` of ``image`` and of ``image`` turned 90 degrees, from one connected-component
    pass (a quarter turn swaps each blob's width and height and keeps the ink threshold): ~0.2-0.3 s saved per
    large drawing sheet."""
    # Page-sized arrays, each dropped as soon as it is used: this is the reader's largest transient allocation.
    gray = gray_pixels(image)
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    del gray
    n, stats = component_stats(ink)
    del ink
    if n <= 1:
        return None, None
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]

    def median_height(w: np.ndarray, h: np.ndarray) -> float | None:
        # Letters: not specks, not rules or frames, roughly as wide as tall.
        keep = (h >= 4) & (h <= 200) & (w >= 2) & (w <= 2.5 * h)
        return float(np.median(h[keep])) if keep.sum() >= 20 else None
    return median_height(w, h), median_height(h, w)


def component_stats(ink: np.ndarray) -> tuple[int, np.ndarray]:
    """(number of labels, stats) of ``ink``'s 8-connected components, as ``cv2.connectedComponentsWithStats``
    gives them. The label image is 16-bit where the labels fit (OpenCV raises past 65,535 of them; then 32-bit
    as before): 2 bytes a pixel, not 4, i.e. 70 MB less on a 600-dpi A4 scan."""
    try:
        n, _, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(ink, 8, cv2.CV_16U, cv2.CCL_DEFAULT)
    except cv2.error:
        n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    return n, stats


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
    gray = gray_pixels(image)
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

    A document's later pages are read with ``lang_hint``, the language its first page's words said
    (``PageText.lang``; with ``--lang auto`` only): the document pass reads in it at once, and the page is read
    again only when it reads poorly or as a receipt (every language) or its own words say yet another language.
    A German or French invoice's second page was otherwise read twice, in English and then in its language
    (each reading ~0.6 s of CPU on a 200-dpi page).
    """

    def __init__(self, orient: OrientOptions, ocr: OcrOptions) -> None:
        self.orient_options = orient
        self.orienter = Orienter(orient)
        self.ocr = OcrEngine(ocr)

    def __call__(self, raster: RasterPage, lang_hint: str | None = None) -> PageText:
        timings: dict[str, float] = {}
        passes: dict[str, float] = {}
        drawing, text_px = False, None
        if raster.pdf_words is not None:
            image, words, rotation, source = raster.image, raster.pdf_words, 0.0, "pdf_text"
            lines = group_lines(words)
        else:
            source = "ocr"
            image, words, rotation, drawing, heights = self._orient_and_read(raster, timings, passes, lang_hint)
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
        lang = second_pass_lang(w.text for w in words) if self.ocr.options.lang == AUTO and not drawing else None
        return PageText(image=image, page=page, words=words, timings=timings, drawing=drawing,
                        text_px=text_px, passes=passes, lang=lang)

    def _orient_and_read(self, raster: RasterPage, timings: dict[str, float], passes: dict[str, float],
                         lang_hint: str | None = None):
        """(upright image, words, rotation, drawing, (letter height, turned letter height)) of a scanned page.
        A drawing's words are those of the sparse pass."""
        t = time.perf_counter
        opts = self.ocr.options
        # The document pass's language: the document's (from its first page) with --lang auto, else the option's.
        first = lang_hint if opts.lang == AUTO and lang_hint not in (None, "eng") else None
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
        words = run("ocr_page", "ocr", lambda: self.read_words(image, height=heights[0], lang=first))
        drawing = sparse_mode and self.drawing_like(image, raster, group_lines(words))
        if self.orient_options.osd == "auto" and read_quality(words) < _OSD_BELOW_QUALITY and not drawing:
            # A drawing reads poorly by nature (sparse text, line art), but what it reads settles its orientation.
            _, turn = run("osd", "orient", lambda: self.orienter.quarter_turn(image))
            if turn:
                # Skew was estimated on the sideways page: start again from the scan, turned upright.
                image, skew2, heights = orient(rotate_clockwise(raster.image, turn))
                rotation, sparse = turn + skew2, None
                words = run("ocr_page", "ocr", lambda: self.read_words(image, height=heights[0], lang=first))
                drawing = sparse_mode and self.drawing_like(image, raster, group_lines(words))
        if drawing:
            if sparse is None:
                sparse = run("ocr_sparse", "ocr", lambda: self.read_words(image, psm=opts.drawing_psm,
                                                                          height=heights[0]))
            return image, sparse, rotation, True, heights
        read_image = image  # the image the kept words were read from (flattened, for a grey photo)
        if read_quality(words) < _OSD_BELOW_QUALITY:
            words, read_image = run("flatten", "ocr", lambda: self._read_flattened(image, words, first))

        def _height(im):  # a flattened image measures its own letters: the grey photo's blobs were specks
            return heights[0] if im is image else "measure"

        receipt = None  # whether the page's lines read as a receipt: asked once, when needed
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
            if second is not None and second != first:
                words = run("ocr_lang", "ocr", lambda: self.read_words(read_image, lang=second,
                                                                       height=_height(read_image)))
        if receipt is None:
            receipt = self.page_kind(image, raster, group_lines(words)) == "receipt"
        if receipt and not _date_lines(group_lines(words)):
            # Till receipts print their date once, in thin type, and a damaged date is the most common miss of
            # their reading (the date's digits read as stray letters and fragments): Tesseract's single-block mode
            # (psm 6) segments such a receipt differently and often reads the line the page mode lost. The page
            # is read that way only when its reading holds no date at all, and only its date lines are taken,
            # in place of the lines they overlap. It reads in English (the engine's default), not the combined
            # languages: on SROIE receipts 1-100 (development set) the pass ran on 20, found the same date lines on
            # all 20 in English alone as with eng+deu+fra+nld, at a third of the CPU (19.5 s against 59.8).
            again = run("ocr_date", "ocr", lambda: self.read_words(read_image, psm=6,
                                                                   height=_height(read_image)))
            words = _with_lines(words, _date_lines(group_lines(again)))
        return image, words, rotation, False, heights

    def _read_flattened(self, image: Image.Image, words: list[Word], lang: str | None = None
                        ) -> tuple[list[Word], Image.Image]:
        """A poor reading of a document page (not a drawing) may be a photo with grey, unevenly lit paper (till
        receipts), where the global threshold loses the letters (Tesseract read 11 words of a clear SROIE
        receipt, 111 after flattening): read the flattened image (same size, same boxes) and keep whichever
        reading has more well-read words, with the image it came from."""
        flat = flatten_background(image)
        again = self.read_words(flat, lang=lang)
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
        """OCR words in ``image`` coordinates, upscaling pages whose text is small in pixels and downscaling those
        whose text is larger than :data:`_MAX_TEXT_PX`. ``height`` is the letter height in pixels when already
        known (:func:`estimate_text_height`, ~0.2-0.4 s on a large sheet), else it is measured here."""
        if height == "measure":
            height = estimate_text_height(image)
        if height and height > _MAX_TEXT_PX:
            factor = _DOWN_TEXT_PX / height
            resample = Image.Resampling.BOX  # area average: the fast, alias-free reduction
        else:
            factor = min(_MAX_UPSCALE, _MIN_TEXT_PX / height) if height else 1.0
            resample = Image.Resampling.LANCZOS
            if factor <= 1.15:
                return self.ocr.read_words(image, dpi=effective_dpi(height), psm=psm, lang=lang)
        scaled = image.resize((round(image.width * factor), round(image.height * factor)), resample)
        words = self.ocr.read_words(scaled, dpi=effective_dpi(height * factor), psm=psm, lang=lang)
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
        keep += [ln for ln in lines if DEVIATION.match(ln.text) and ln not in keep and any(
            near(ln.bbox, k.bbox) for k in keep)]
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
        props = [d for d in detected if d.label == "dimension" and not any(covers(k, d.bbox) for k in known)]
        if not props:
            return page
        with CpuMeter() as m:
            px = text.text_px if text.text_px is not None else estimate_text_height(text.image)
            # on plan pages feet and inches are dimensions too: a vertical 8'-6" the vertical pass read as
            # letters is read again in its region (imperial sheets; part drawings keep their grammar)
            lines = region_dimension_lines(self.ocr, text.image, props, px, reads)
        text.passes["dimension_ocr"] = text.passes.get("dimension_ocr", 0.0) + m.seconds
        kept = [ln for ln in page.lines if not any(mostly_inside(ln.bbox, new.bbox) for new in lines)
                or reads(ln.text)]
        lines = [ln for ln in lines if not any(mostly_inside(ln.bbox, k.bbox) and reads(k.text) for k in kept)]
        return page.model_copy(update={"lines": kept + lines})



def _dimension_reader(page: Page):
    """Whether a line's text reads as a dimension, for :meth:`PageReader.read_dimension_regions`: by the
    part-drawing grammar (:func:`docpipe.drawing.repairs.read_dimension`), and on building plans (lines that
    say ``architectural``) feet and inches too, as the vertical pass keeps them: otherwise a plan's ``7'-6"``
    read by the page or its crops counts as unread, and the region's reading of the same ink (``7"``)
    replaces it. Part drawings are read as before."""
    if discipline([page]) == "architectural":
        return lambda t: read_dimension(t) is not None or is_feet_inches(t)
    return lambda t: read_dimension(t) is not None


def _larger(a: float | None, b: float | None) -> float | None:
    return max(a, b) if a and b else (a or b)


def drop_overlapped(lines: list[Line], vertical: list[Line]) -> list[Line]:
    """``lines`` without those mostly inside a vertical text line (upright-pass misreads of it)."""
    return [ln for ln in lines if not any(mostly_inside(ln.bbox, v.bbox) for v in vertical)]


def _scale_box(b: tuple[int, int, int, int], s: float) -> tuple[int, int, int, int]:
    x0, y0 = int(b[0] * s), int(b[1] * s)
    return (x0, y0, max(x0 + 1, round(b[2] * s)), max(y0 + 1, round(b[3] * s)))
