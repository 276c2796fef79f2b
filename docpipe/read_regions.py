"""Reading crops of a drawing page again: the detector's dimension regions (turned level, scaled, stacked into
one strip that Tesseract reads at once) and, on building plans, small text in crops of the page with its walls
and straight lines removed. Used by :class:`docpipe.read.PageReader` (the read stage)."""

from __future__ import annotations

import math
import re

import cv2
import numpy as np
from PIL import Image

from .drawing.repairs import read_dimension
from .geometry import iou, mostly_inside, near, union
from .ocr import OcrEngine, effective_dpi, group_lines
from .types import Line, Word

# A tolerance printed alone beside a size ('+0.03' over '-0.03'): kept when close to a kept size.
DEVIATION = re.compile(r"^[+\-±]?\s?(?:\d+[.,]\d+|[.,]\d+|0)$")

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


def _is_dimension(text: str) -> bool:
    return read_dimension(text) is not None


def region_dimension_lines(engine: OcrEngine, image: Image.Image, regions, text_px: float | None,
                           reads=_is_dimension) -> list[Line]:
    """Dimension lines read in ``regions`` (see :meth:`PageReader.read_dimension_regions`), page coordinates;
    ``reads(text)``: whether a crop's line is a dimension (by default the part-drawing grammar,
    :func:`docpipe.drawing.repairs.read_dimension`; on building plans feet and inches too)."""
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
    dpi = effective_dpi(text_px * scale if text_px else None)
    # The block reading (psm 6) of every crop first; the sparse reading (psm 11) only of the crops it left
    # without a dimension: an upright crop, and a slanted one whose upright crop is still unread (one strip
    # each: one Tesseract process per mode, not one per crop).
    per_reading = [_read_strip(engine, crops, range(len(crops)), dpi, scale, _STRIP_PSMS[0], reads)]
    block = per_reading[0]
    todo = [i for i in range(n_upright) if not block[i]]
    todo += [n_upright + k for k, sl in enumerate(slanted) if not block[n_upright + k]
             and any(crops[i][1] == sl[1] for i in todo)]
    if todo:
        per_reading.append(_read_strip(engine, crops, todo, dpi, scale, _STRIP_PSMS[1], reads))
    out: list[Line] = []
    for i in range(n_upright):
        lines = next((r[i] for r in per_reading if r[i]), [])
        if not lines:  # the same region turned along its slant, if it has one
            j = next((n_upright + k for k, sl in enumerate(slanted) if sl[1] == crops[i][1]), None)
            lines = next((r[j] for r in per_reading if r[j]), []) if j is not None else []
        out += [ln for ln in lines if not any(mostly_inside(ln.bbox, o.bbox) or mostly_inside(o.bbox, ln.bbox)
                                                for o in out)]  # overlapping proposals read the same ink
    return out


def _read_strip(engine: OcrEngine, crops, indices, dpi: int, scale: float, psm: int,
                reads=_is_dimension) -> list[list[Line]]:
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
    lines = _crop_lines(engine.read_words(strip, dpi=dpi, psm=psm), chosen, tops, pad, scale, reads)
    out: list[list[Line]] = [[] for _ in crops]
    for i, ls in zip(indices, lines):
        out[i] = ls
    return out


def _crop_lines(words: list[Word], crops, tops: list[int], pad: int, scale: float,
                reads=_is_dimension) -> list[list[Line]]:
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
        groups = [_leading_dimension(g, reads) for g in group_lines(frame_words)]
        # a lone character from a crop is too often a fragment (of slanted text, an arrowhead): not kept
        keep = [g for g in groups if len(g.text) >= 2 and reads(g.text)]
        keep += [g for g in groups if DEVIATION.match(g.text) and g not in keep and any(
            near(g.bbox, k.bbox) for k in keep)]
        for g in keep:
            mapped = [back[id(fw)] for fw in g.words]
            pbox = union(w.bbox for w in mapped)
            lines.append(Line(text=g.text, bbox=pbox, confidence=g.confidence, words=mapped, angle=angle))
    return out


def _leading_dimension(line: Line, reads=_is_dimension) -> Line:
    """``line`` if it reads as a dimension, else its longest leading run of words that does (or ``line``)."""
    if reads(line.text):
        return line
    for j in range(len(line.words) - 1, 0, -1):
        words = line.words[:j]
        text = " ".join(w.text for w in words)
        if reads(text):
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


def covers(known: tuple[int, int, int, int], region: tuple[int, int, int, int]) -> bool:
    """A page-OCR dimension line already reads this region: it overlaps it well or sits inside it."""
    return iou(known, region) >= 0.3 or mostly_inside(known, region)


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
    from .drawing.plan_dimensions import imperial_sheet
    from .drawing.plan_language import plan_language
    from .drawing.plan_text import (
        clean_plan_ink,
        crop_box,
        merge_readings,
        tag_reading,
        text_line_boxes,
    )

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
    dpi = effective_dpi(text_px * scale)
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
