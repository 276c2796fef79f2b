"""Where the small text of a building plan is: text-line boxes found in the ink, after walls and lines go.

Serves floor plans (CAD exports and scans), whose room labels and door and window tags are set in small type
next to filled or hatched walls, dimension and extension lines: Tesseract reads such a tag alone in a crop but
misses it on the whole page. :func:`clean_plan_ink` removes every straight stroke longer than three letter
heights (walls, filled walls along their length, dimension, extension and grid lines; letters have no stroke
that long), and :func:`text_line_boxes` groups the letter-sized blobs that remain into text lines, whose crops
the reader reads again (``docpipe.read``). Image analysis only: nothing here calls OCR.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..geometry import centre_in, union
from ..normalize import fold_accents
from ..ocr import group_lines
from ..types import Line, Word
from .areas import parse_area, room_name
from .levels import parse_level
from .plan_dimensions import parse_plan_length, repair_imperial
from .tags import parse_tag

__all__ = ["better_reading", "clean_plan_ink", "crop_box", "feet_inches_words", "merge_readings", "plan_value",
           "tag_reading", "text_line_boxes"]

Box = tuple[int, int, int, int]

_LINE_LETTERS = 3.0  # a straight stroke longer than this many letter heights is a line, not part of a letter
_BLOB_MIN, _BLOB_MAX = 0.4, 1.8  # letter blob heights, in letter heights (a "²" is small, a "Q" with its tail tall)
_STRIP = ".,;:|!()[]{}"
_SOLID = 0.9  # ink share of its box above which a blob thicker than a stroke is a filled wall stub, not a letter


def clean_plan_ink(gray: np.ndarray, text_px: float) -> np.ndarray:
    """The ink (255 on 0, same shape as ``gray``, a uint8 page) without straight horizontal and vertical strokes
    longer than :data:`_LINE_LETTERS` letter heights (``text_px`` pixels each)."""
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n = max(15, round(_LINE_LETTERS * text_px))
    lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, n), np.uint8))
    cv2.bitwise_or(lines, cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((n, 1), np.uint8)), dst=lines)
    # the lines' own edges (anti-aliasing, scan noise) stay as specks: widen the lines by a pixel first
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    return cv2.subtract(ink, lines)


def text_line_boxes(ink: np.ndarray, text_px: float, *, min_letters: int = 2) -> list[Box]:
    """Boxes (x0, y0, x1, y1, page pixels) of horizontal text lines in ``ink`` (:func:`clean_plan_ink`): runs of
    at least ``min_letters`` letter-sized blobs (or one and a mark: ``9"``) with at most about one letter
    height between neighbours, marks (``'``, ``"``, ``-``) bridging, top to bottom. Specks, arcs longer than
    letters and solid wall stubs are not letters."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return []
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    solid = area >= _SOLID * w * h
    letter = ((h >= _BLOB_MIN * text_px) & (h <= _BLOB_MAX * text_px) & (w <= 2.0 * h) & (w >= 2)
              & (area >= 0.1 * w * h) & ~(solid & (np.minimum(w, h) > 0.25 * text_px)))
    # foot and inch marks, hyphens, commas: they join the digits of 7'-2" into one line, and count with one
    mark = ~letter & (np.maximum(w, h) >= 0.2 * text_px) & (h < _BLOB_MIN * text_px) & (w <= text_px)
    mask = np.zeros(ink.shape, np.uint8)
    for i in np.flatnonzero(letter | mark):
        mask[y[i]:y[i] + h[i], x[i]:x[i] + w[i]] = 255
    # join letters and words of one line (gaps under ~0.9 letter heights), not lines above each other
    kernel = np.ones((max(1, int(0.3 * text_px)), max(3, int(0.9 * text_px))), np.uint8)
    groups = cv2.dilate(mask, kernel)
    m, labels, gstats, _ = cv2.connectedComponentsWithStats(groups, connectivity=8)
    counts = np.bincount(labels[y[letter] + h[letter] // 2, x[letter] + w[letter] // 2], minlength=m)
    marks = np.bincount(labels[y[mark] + h[mark] // 2, x[mark] + w[mark] // 2], minlength=m)
    out = []
    for j in range(1, m):
        if counts[j] < min_letters and not (counts[j] >= 1 and marks[j] >= 1):  # 9" is one digit and a mark
            continue
        gx, gy, gw, gh = (int(v) for v in gstats[j, :4])
        # undo the dilation's growth: back to the letters' extent
        dx, dy = kernel.shape[1] // 2, kernel.shape[0] // 2
        box = (gx + dx, gy + dy, gx + gw - dx, gy + gh - dy)
        if box[3] - box[1] > 4.5 * text_px:  # more than three lines run together (hatching, a symbol): no label
            continue
        out.append(box)
    return sorted(_join_on_line(out, text_px), key=lambda b: (b[1], b[0]))


def _join_on_line(boxes: list[Box], text_px: float) -> list[Box]:
    """Boxes on one line with less than two letter heights between them, joined: a door swing or leader that
    crosses a label takes the letters it touches into its own (too large) blob, which splits the label's line
    in two (``Abste`` ``lraum``); read as one crop, the word comes back whole."""
    boxes = sorted(boxes)
    out: list[list[int]] = []
    for b in boxes:
        for o in out:
            overlap = min(o[3], b[3]) - max(o[1], b[1])
            if overlap >= 0.5 * min(o[3] - o[1], b[3] - b[1]) and b[0] - o[2] <= 2.0 * text_px:
                o[:] = [min(o[0], b[0]), min(o[1], b[1]), max(o[2], b[2]), max(o[3], b[3])]
                break
        else:
            out.append(list(b))
    return [tuple(o) for o in out]


def crop_box(found: Box, words: list[Word], text_px: float, size: tuple[int, int], pad: float) -> Box:
    """The crop to read for a text line found at ``found``: ``pad`` letter heights around it, three times that
    along the line (letters a door swing or leader crosses are in its blob, not the line's box), and grown to
    the page words on its line that reach into it (``7,97`` found, ``m²`` touching a wall), by at most three
    letter heights a side."""
    p = round(pad * text_px)
    x0, y0, x1, y1 = found[0] - 3 * p, found[1] - p, found[2] + 3 * p, found[3] + p
    h = found[3] - found[1]
    for w in words:
        b = w.bbox
        if b[0] < x1 and x0 < b[2] and min(b[3], found[3]) - max(b[1], found[1]) >= 0.5 * min(h, b[3] - b[1]):
            x0, x1 = min(x0, max(b[0] - p, found[0] - 3 * text_px)), max(x1, min(b[2] + p, found[2] + 3 * text_px))
    return (max(0, int(x0)), max(0, int(y0)), min(size[0], int(x1)), min(size[1], int(y1)))


# -- which crops to read, and which reading to keep ---------------------------------------------------------

def plan_value(words: list[Word], imperial: bool = False) -> float:
    """How much of a plan a reading holds: one per door or window tag, plan length (of 100 mm or more; a lone
    ``12`` is no wall), level and area (with its unit), a half for a word of three letters or more read with
    some confidence that can name a room. On ``imperial`` sheets only feet and inches are lengths (``7263``
    is ``7'-6"`` misread). Compares two readings of the same ink."""
    value = 1.0 if parse_area(" ".join(w.text for w in words)) else 0.0
    for w in words:
        t = w.text.strip(_STRIP)
        length = parse_plan_length(t) or parse_plan_length(repair_imperial(t))
        long_enough = length is not None and (length.notation == "ft-in" if imperial else
                                              length.notation == "m" or length.mm >= 100)
        if parse_tag(t) or parse_level(t) is not None or long_enough:
            value += 1.0
        elif t.isalpha() and len(t) >= 3 and room_name(t, 1.0) is not None and w.confidence >= 0.7:
            value += 0.5  # (two letters read doubtfully are as often an arrowhead's "PA")
    return value


def feet_inches_words(words: list[Word]) -> bool:
    """Whether ``words`` (one or two) are each a feet-and-inches length (``10'-0"``, ``3-11"`` with its foot
    mark lost: :func:`~docpipe.drawing.plan_dimensions.repair_imperial`): what an imperial sheet's dimension
    line prints, and no room label, tag or note reads as."""
    if not 1 <= len(words) <= 2:
        return False
    for w in words:
        t = w.text.strip(_STRIP)
        length = parse_plan_length(repair_imperial(t))
        if length is None or length.notation != "ft-in" or not any(c in t for c in "'’\"”″"):
            return False
    return True


def _as_printed(text: str) -> bool:
    """Whether ``text`` parses as a feet-and-inches length without OCR repairs."""
    length = parse_plan_length(text.strip(_STRIP))
    return length is not None and length.notation == "ft-in"


def _wordlike(text: str) -> bool:
    """Three letters or more, and letters three quarters of it (``KovuZiva``; not ``So7/t`` for ``5'-7"``)."""
    letters = sum(c.isalpha() for c in text)
    return letters >= 3 and letters >= 0.75 * len(text)


def better_reading(page_words, crop_words, imperial: bool = False) -> bool:
    """Whether the crop's reading of a text line replaces the page's (``page_words`` inside the crop, maybe
    none): it holds more plan elements (a tag, area or length the page reading lost or garbled), or the same
    words with the language's letters the page reading (``eng``) dropped (``Küche`` for ``Kuche``). Never
    where the page reading has a word of letters (:func:`_wordlike`) read with a confidence under
    :data:`_DOUBTFUL`: a label in a script Tesseract is not set up for reads so, and the crop's surer reading
    of it is no name either."""
    if not crop_words:
        return False
    if any(_wordlike(w.text) and w.confidence < _DOUBTFUL for w in page_words) and \
            not (imperial and feet_inches_words(crop_words)):
        # letters the page reader doubted: a script it cannot read (Greek read "KovuZiva"). Not where the crop
        # reads feet and inches on an imperial sheet: there the page reader read a length as letters
        # (``TOO!`` for ``10'-0"``, ``Sola`` for ``3'-11"``), no label reads ``10'-0"`` in its crop.
        return False
    crop, page = plan_value(crop_words, imperial), plan_value(page_words, imperial)
    a, b = " ".join(w.text for w in page_words), " ".join(w.text for w in crop_words)
    if crop > page and not (page_words and min(w.confidence for w in page_words) >= _SURE
                            and len(b.replace(" ", "")) < len(a.replace(" ", ""))):
        return True  # (a sure reading is not cut short: the plan number EG-51 is no window tag F651)
    if crop < page or a == b:
        return False
    # imperial sheets: one length the crop reads as printed where the page needed letters read for digits
    # repaired (9Q'-6" on the page, 9'-6" at 0.87 in the crop; repaired, 9Q'-6" is 99'-6")
    if imperial and len(page_words) == len(crop_words) == 1 and crop_words[0].confidence >= \
            page_words[0].confidence and _as_printed(crop_words[0].text) and not _as_printed(page_words[0].text):
        return True
    if fold_accents(a) == fold_accents(b):
        return not b.isascii()
    sure = min(w.confidence for w in crop_words) >= 0.8
    # the same value, the page's word part of the crop's (7'-6" read 6", 1135 read 135: characters at the
    # ends lost next to ticks and arrowheads; a word, not a line: "8,71" is part of "8,71 n" too)
    if page > 0 and sure and len(page_words) == len(crop_words) == 1 and a in b and len(a) < len(b):
        return True
    # the same value, read surely in the crop and doubtfully on the page (215 at 0.44 for 275 at 0.96: a line
    # touching the digits)
    if page > 0 and len(crop_words) == len(page_words) and min(w.confidence for w in crop_words) >= 0.9 and \
            min(w.confidence for w in page_words) <= 0.6:
        return True
    # the same value, the page reading in fragments (a line crossing a word): the crop's whole word
    alnum = lambda t: sum(c.isalnum() for c in t)  # noqa: E731
    return page > 0 and sure and len(crop_words) < len(page_words) and alnum(b) >= alnum(a)


def merge_readings(lines: list[Line], readings: list[tuple[Box, list[Word]]],
                   imperial: bool = False) -> list[Line]:
    """``lines`` (a page's) with each crop reading ``(crop box, its words in page pixels)`` that is the
    :func:`better_reading` of the upright page words inside the crop put in their place (crop words under
    :data:`_CROP_MIN_CONFIDENCE` aside). Where the crop's reading as a whole is not better, a page word whose
    one crop word spells it with the language's letters (``Kuche`` read ``Küche``, beside ``7,97`` read
    ``7,971``) takes that word's text and keeps its box, and a word the crop reads the same takes the surer
    of the two confidences. The crops' words come in as lines of their own; ``imperial``: see
    :func:`plan_value`."""
    upright = [w for ln in lines if round(ln.angle) == 0 for w in ln.words]
    replaced: set[int] = set()
    respelt: dict[int, Word] = {}  # page words whose letters the crop read better (Kuche -> Küche)
    new: list[Line] = []
    for box, words in readings:
        inside = [w for w in upright if centre_in(w.bbox, box) and id(w) not in replaced]
        # crop words read less surely are guesses ("4200" at 0.15 for a 1:100), except feet and inches on an
        # imperial sheet where the page reading holds nothing a plan prints: Tesseract doubts a string of marks
        # and digits it reads right (46-6" at 0.15, 3-11" at 0.0 where the page read "aE", "Sola")
        if not (imperial and feet_inches_words(words) and plan_value(inside, imperial) == 0):
            words = [w for w in words if w.confidence >= _CROP_MIN_CONFIDENCE]
        # overlapping crops read the same ink: what one crop brought in is not brought in again
        words = [w for w in words if not any(centre_in(w.bbox, n.bbox) or centre_in(n.bbox, w.bbox)
                                             for ln in new for n in ln.words)]
        if better_reading(inside, words, imperial):
            replaced.update(id(w) for w in inside)
            new += group_lines(words)
            continue
        for w in inside:  # the rest of the line stays as the page read it, a word's letters may not
            same = [c for c in words if centre_in(c.bbox, w.bbox) or centre_in(w.bbox, c.bbox)]
            if len(same) != 1:
                continue
            if same[0].text != w.text and fold_accents(same[0].text) == fold_accents(w.text) and not same[0].text.isascii():
                respelt[id(w)] = w.model_copy(update={"text": same[0].text})
            elif same[0].text == w.text and same[0].confidence > w.confidence:
                # two readings of the word agree: as sure as the surer of them ("Schlafen" at 0.4 on the page
                # next to a wall, 0.96 in the crop)
                respelt[id(w)] = w.model_copy(update={"confidence": same[0].confidence})
    out = []
    for ln in lines:
        if not any(id(w) in replaced or id(w) in respelt for w in ln.words):
            out.append(ln)
        elif rest := [respelt.get(id(w), w) for w in ln.words if id(w) not in replaced]:
            out.append(Line(text=" ".join(w.text for w in rest), bbox=union(w.bbox for w in rest),
                            confidence=round(sum(w.confidence for w in rest) / len(rest), 4), words=rest,
                            angle=ln.angle))
    # (the crops' lines stay lines of their own: grouped again with the page's, two rooms' labels side by
    # side ran into one line, "Slaapkamer 2 {8,44 m2")
    return out + new


_SURE = 0.9  # a page reading this sure is not replaced by a shorter one
_CROP_MIN_CONFIDENCE = 0.4  # crop words read less surely are guesses (at marks, frames, arrowheads)
_DOUBTFUL = 0.55  # as docpipe.drawing.areas.room_name: letters read less surely are no name
_TAG_CONFIDENCE = 0.6  # a reading with a character whitelist reports no confidence of its own


def tag_reading(box: Box, words: list[Word], page_words: list[Word], text_px: float,
                tag_words: list[Word] | None = None) -> bool | list[Word] | None:
    """Door and window tags in small type, which Tesseract reads as words (``wos``, ``wol``, ``Woe``).

    Without ``tag_words``: whether the crop at ``box`` is worth reading again with only the tags' characters:
    it is tag-sized (at most about eight letter heights long, one line), and neither its reading ``words`` nor
    the page words inside it hold a tag as printed, a length, an area or a level. With ``tag_words`` (that
    second reading): those words when they are one door or window tag, with confidence
    :data:`_TAG_CONFIDENCE`, else None."""
    if tag_words is not None:
        texts = [w.text.strip(_STRIP) for w in tag_words]
        if len(texts) != 1 or parse_tag(texts[0]) is None:
            return None
        return [tag_words[0].model_copy(update={"confidence": _TAG_CONFIDENCE})]
    if box[2] - box[0] > 8 * text_px + 2.4 * text_px or box[3] - box[1] > 2.2 * text_px:
        return False
    inside = [w for w in page_words if centre_in(w.bbox, box)]
    for reading in (words, inside):
        if len(reading) > 2 or parse_area(" ".join(w.text for w in reading)):
            return False
        for w in reading:
            t = w.text.strip(_STRIP)
            tag = parse_tag(t)
            length = parse_plan_length(t) or parse_plan_length(repair_imperial(t))
            if (tag and tag.text == t) or parse_level(t) is not None or \
                    (length and (length.notation in ("m", "ft-in") or length.mm >= 100)):
                return False
    return bool(words or inside)
