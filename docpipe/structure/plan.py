"""Building plans (``discipline: architectural``): rooms, openings, levels, plan dimensions and the take-off.

Rule-based over the read lines, every element grounded in page words. Order matters: room labels first (their
areas are numbers a dimension reader would take), then tags and levels, then the dimension strings that remain,
grouped into chains (:mod:`docpipe.drawing.chains`).

- **Rooms**: an area (:func:`docpipe.drawing.areas.parse_area`) with the name printed before it on the line or
  on the line just above. Where OCR lost the ``m²`` (a superscript), a two-decimal number centred under a
  name is taken as the area, less surely. A name that does not read as words gives ``name: null``.
- **Openings**: words that are door or window tags (:mod:`docpipe.drawing.tags`), each paired with the nearest
  ``door``/``window`` symbol the detector found beside it (``symbol_bbox``, :func:`_pair_symbols`); a symbol left
  without a tag is an opening of its own (``tag: null``), so an opening whose tag OCR lost still counts.
- **Levels**: signed metres (:mod:`docpipe.drawing.levels`), also after a level symbol OCR read as ``v``.
- **Dimensions**: word runs that parse as plan lengths (:mod:`docpipe.drawing.plan_dimensions`), in the sheet's
  notation, horizontal or vertical (the reader's 90-degree pass), outside the title block.

Confidences are the words' OCR confidence scaled by how sure each rule is; they are not calibrated on plans yet.
"""

from __future__ import annotations

import math
import re

from ..drawing.areas import SQFT_M2, parse_area, room_name
from ..drawing.chains import (SUM_TOLERANCE_MM, reread, settle_by_opposite_overall, settle_by_sum,
                              settle_by_unique_sum)
from ..drawing.levels import parse_level
from ..drawing.plan_dimensions import (
    LOST_MARKS,
    imperial_alternatives,
    imperial_sheet,
    metric_alternatives,
    parse_plan_length,
    repair_imperial,
    sheet_integer_unit,
)
from ..drawing.tags import parse_tag
from ..geometry import centre_in, union
from ..types import Dimension, Drawing, GroundedNumber, Line, Opening, Quantities, Room, Word
from .layout import PageView, Span, grounded_number, grounded_text

_STRIP = ".,;:|!()[]{}"
_BARE_AREA = re.compile(r"^\d{1,3}[.,]\d{2}$")  # an area whose m² OCR did not read
_MIN_MM = 100.0  # plans print no length under 10 cm on a dimension line; smaller numbers are scale bars, grids


def extract_plan(views: list[PageView], drawing: Drawing, exclude: list[tuple[int, int, int, int]]) -> Drawing:
    """``drawing`` with the plan elements filled in; ``exclude`` are boxes on page 1 (title block, notes,
    tables) whose words are no plan element."""
    used: set[int] = set()  # id() of words taken by an element
    rooms, openings, levels, dims = [], [], [], []
    alternatives: list[list[float]] = []  # per dimension, other values it may have been printed as
    digits: list[list[float]] = []  # per dimension, metric values one confused digit away (chains decide alone)
    for view in views:
        skip = exclude if view.number == 1 else []
        lines = [ln for ln in view.lines if not any(centre_in(ln.bbox, b) for b in skip)]
        imperial = imperial_sheet(w for ln in lines for w in ln.words)
        rooms += _rooms(view, lines, used, imperial)
        openings += _pair_symbols(view, _openings(view, lines, used))
        levels += _levels(view, lines, used)
        found = _dimensions(view, lines, used, imperial)
        dims += found
        alternatives += [imperial_alternatives(d.text) if imperial else [] for d in found]
        digits += [[] if imperial or d.nominal is None else metric_alternatives(d.text, d.nominal) for d in found]
    drawing.rooms, drawing.openings, drawing.levels = rooms, openings, levels
    # the readings' checks in turn: the chain's own overall, the sheet's longest length, a parallel chain's
    # overall, the sheet's notation (each only where the ones before did not decide); metric sheets: a digit
    # OCR confuses, where it alone makes a chain add up (settle_by_unique_sum)
    settled = settle_by_opposite_overall(_within_the_sheet(settle_by_sum(dims, alternatives), alternatives),
                                         alternatives)
    settled = settle_by_unique_sum(settled, digits)
    drawing.dimensions = _split_bare_inches(settled, alternatives)
    drawing.quantities = _quantities(rooms, openings)
    return drawing


def _clean(w: Word) -> str:
    return w.text.strip(_STRIP)


# -- rooms ------------------------------------------------------------------------------------------------

def _rooms(view: PageView, lines: list[Line], used: set[int], imperial: bool) -> list[Room]:
    out = []
    for line in lines:
        if round(line.angle) != 0:
            continue
        hit = _area_words(line, imperial)
        if hit is None:
            continue
        start, end, value, certainty = hit
        area_words = line.words[start:end]
        name_span = None
        if start > 0:  # "Wohnen 24,50 m²" on one line
            before = _name_run(line.words[:start], Span(view.number, tuple(area_words)).bbox, last=True)
            name_span = Span(view.number, tuple(before)) if before else None
        else:
            above = _line_above(lines, Span(view.number, tuple(area_words)).bbox)
            if above is not None:
                name_span = _name_words(view, above, used, Span(view.number, tuple(area_words)).bbox)
        name = room_name(name_span.text, name_span.confidence) if name_span is not None else None
        if certainty < 0.9 and name is None:
            continue  # a bare number is an area only under a readable name
        if name is not None and (parse_tag(name) or parse_level(name) is not None):
            name = None
        area_span = Span(view.number, tuple(area_words))
        area = grounded_number(area_span, value, certainty)
        grounded_name = grounded_text(name_span, name, 0.85) if name is not None else None
        words = list(area_words) + (list(name_span.words) if grounded_name else [])
        used.update(id(w) for w in words)
        conf = area.confidence * (grounded_name.confidence if grounded_name else 0.5)
        out.append(Room(name=grounded_name, area_m2=area, page=view.number, bbox=union(w.bbox for w in words),
                        confidence=round(min(1.0, conf ** 0.5), 4)))
    return out


def _area_words(line: Line, imperial: bool = False) -> tuple[int, int, float, float] | None:
    """``(first word, end word, m², certainty)`` of an area in ``line``: with its unit; with an ``m`` whose ``²``
    OCR lost, ending the line; or a bare number alone on its line (two decimals; on imperial sheets a whole
    number of square feet), which :func:`_rooms` takes only under a readable name."""
    words = line.words
    for i in range(len(words)):
        for j in range(min(len(words), i + 3), i, -1):
            text = " ".join(w.text for w in words[i:j])
            hit = parse_area(text)
            if hit and hit[1] == 0:
                return i, j, hit[0], 0.95
            if j == len(words) and (m := _AREA_LOST_SQUARE.match(text)):
                return i, j, float(m[1].replace(",", ".")), 0.85
            if j == len(words) and i > 0 and (m := _AREA_LOST_UNIT.match(text)):
                return i, j, float(m[1].replace(",", ".")), 0.8  # "Werkkamer 8,71": taken only under a name
    if len(words) == 1 and _BARE_AREA.match(_clean(words[0])):
        return 0, 1, float(_clean(words[0]).replace(",", ".")), 0.75
    if imperial and len(words) == 1 and re.fullmatch(r"[1-9]\d{1,3}", _clean(words[0])):
        return 0, 1, round(int(_clean(words[0])) * SQFT_M2, 2), 0.7
    return None


_AREA_LOST_SQUARE = re.compile(r"^(\d{1,3}[.,]\d{2})\s?m$")
# A one-line label whose unit OCR lost, or kept only the superscript of ("7,97 2"): two decimals after a name
_AREA_LOST_UNIT = re.compile(r"^(\d{1,3}[.,]\d{2})(?:\s[2?])?$")


def _name_words(view: PageView, line: Line, used: set[int], area_box) -> Span | None:
    """The words of ``line`` that can name a room: without tags, lengths and levels printed beside the name
    (a door tag next to a label reads as one line with it), and of those the run over the area
    (:func:`_name_run`)."""
    words = [w for w in line.words if id(w) not in used and not parse_tag(_clean(w))
             and parse_plan_length(_clean(w)) is None and parse_level(_clean(w)) is None]
    words = _name_run(words, area_box, last=False)
    return Span(view.number, tuple(words)) if words else None


_NAME_GAP = 1.2  # a gap wider than this many word heights parts two labels (or a label and a mark) on one line
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’\-.]*\.?$")


def _name_run(words: list[Word], area_box, *, last: bool) -> list[Word]:
    """The words among ``words`` (one line, left to right) that name the room of the area at ``area_box``.

    Serves labels read together with what stands beside them: the labels of two rooms side by side, or a door
    tag, a wall's edge or a swing read as ``|``, ``[``, ``DA``, ``(ow`` next to the name. The words are parted at
    gaps wider than :data:`_NAME_GAP` word heights; the run kept is the last (``last``: the name before the area
    on its line) or the one over the area (the line above it); then words at its ends that are no part of a
    name go: marks and fragments, and a short capital word (a misread tag) before a word in lower case. A
    number stays after a name (``Bedroom 2``)."""
    if not words:
        return []
    h = sorted(w.bbox[3] - w.bbox[1] for w in words)[len(words) // 2]
    runs: list[list[Word]] = [[words[0]]]
    for w in words[1:]:
        if w.bbox[0] - runs[-1][-1].bbox[2] > _NAME_GAP * h:
            runs.append([w])
        else:
            runs[-1].append(w)
    if last:
        run = runs[-1]
    else:
        def overlap(r: list[Word]) -> float:
            return min(r[-1].bbox[2], area_box[2]) - max(r[0].bbox[0], area_box[0])
        run = max(runs, key=overlap)
    texts = [w.text.strip(".,;:") for w in run]  # brackets and bars stay: "(ow" is a mark's, not a name's
    i, j = 0, len(run)
    while i < j and not (_NAME_WORD.match(texts[i]) and len(texts[i]) >= 2):
        i += 1
    if j - i >= 2 and texts[i].isupper() and len(texts[i]) <= 3 and any(c.islower() for c in texts[i + 1]):
        i += 1  # "DA Study": a tag read as capitals before the name
    while j > i and not _NAME_WORD.match(texts[j - 1]) and not (texts[j - 1].isdigit() and len(texts[j - 1]) <= 2
                                                                 and j - 1 > i):
        j -= 1
    return run[i:j]


def _line_above(lines: list[Line], box) -> Line | None:
    """The line right above ``box`` (within 1.6 of its height), centred over it: of each line, the words that
    lie above ``box``, so that a line read together with a tag set lower beside the name (``C0912 Schlafen``)
    or with a wall's edge read as a tall ``l`` still has its name over the area."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    cx = (x0 + x1) / 2
    best = None
    for ln in lines:
        if round(ln.angle) != 0:
            continue
        words = [w for w in ln.words if w.bbox[3] <= y0 + 0.3 * h and y0 - w.bbox[3] <= 1.6 * h]
        if not words:
            continue
        lx0, _, lx1, ly1 = union(w.bbox for w in words)
        if not (lx0 - h <= cx <= lx1 + h) or abs((lx0 + lx1) / 2 - cx) > max(lx1 - lx0, x1 - x0) / 2 + h:
            continue
        if best is None or ly1 > best.bbox[3]:
            best = ln if len(words) == len(ln.words) else Line(
                text=" ".join(w.text for w in words), bbox=union(w.bbox for w in words),
                confidence=min(w.confidence for w in words), words=words)
    return best


# -- openings and levels ----------------------------------------------------------------------------------

def _openings(view: PageView, lines: list[Line], used: set[int]) -> list[Opening]:
    out = []
    for line in lines:
        for w in line.words:
            if id(w) in used:
                continue
            tag = parse_tag(_clean(w))
            if tag is None:
                continue
            used.add(id(w))
            span = Span(view.number, (w,))
            g = grounded_text(span, tag.text, 0.9 if tag.text == _clean(w) else 0.75)
            out.append(Opening(kind=tag.kind, tag=g, width_mm=tag.width_mm, height_mm=tag.height_mm,
                               page=view.number, bbox=w.bbox, confidence=g.confidence))
    return out


SYMBOL_LABELS = ("door", "window")
_PAIR_GAP = 3.0  # a tag stands at most this many of its heights away from its symbol's box
_UNTAGGED = 0.8  # confidence of an opening from its symbol alone, relative to the detector's score


def _gap(a, b) -> float:
    """Distance between two boxes (0 when they overlap)."""
    dx = max(0, a[0] - b[2], b[0] - a[2])
    dy = max(0, a[1] - b[3], b[1] - a[3])
    return (dx * dx + dy * dy) ** 0.5


def _pair_symbols(view: PageView, openings: list[Opening]) -> list[Opening]:
    """``openings`` (from tags) with the detector's ``door``/``window`` symbols of ``view`` paired one to one,
    as many pairs as possible, nearest first: a tag takes a symbol of its kind whose box is within
    :data:`_PAIR_GAP` tag heights of the tag (tags are printed beside the symbol, or inside a door's swing).
    Symbols left over become openings without a tag, boxed by the symbol."""
    symbols = [r for r in view.page.regions if r.label in SYMBOL_LABELS]
    if not symbols:
        return openings
    near: list[list[tuple[float, int]]] = []  # per opening: (gap in tag heights, symbol), nearest first
    for o in openings:
        h = max(1, o.bbox[3] - o.bbox[1])
        near.append(sorted((g / h, j) for j, r in enumerate(symbols)
                           if r.label == o.kind and (g := _gap(o.bbox, r.bbox)) <= _PAIR_GAP * h))
    # As many pairs as the gaps allow (augmenting paths, each tag trying its nearest symbols first), so that a tag
    # that stands about as near a neighbouring door's symbol as its own does not leave that door's tag unpaired.
    owner: dict[int, int] = {}  # symbol -> opening

    def assign(i: int, seen: set[int]) -> bool:
        for _, j in near[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or assign(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in sorted(range(len(openings)), key=lambda i: near[i][0][0] if near[i] else math.inf):
        if near[i]:
            assign(i, set())
    out = list(openings)
    for j, i in owner.items():
        out[i] = out[i].model_copy(update={"symbol_bbox": symbols[j].bbox})
    for j, r in enumerate(symbols):
        if j not in owner:
            out.append(Opening(kind=r.label, tag=None, symbol_bbox=r.bbox, page=view.number, bbox=r.bbox,
                               confidence=round(_UNTAGGED * r.confidence, 4)))
    return out


def symbol_tag_mismatches(openings: list[Opening]) -> list[str]:
    """Review reasons of a plan whose door or window symbols (found by the detector) and tags (read) disagree:
    a symbol without a tag, or a tag with no symbol beside it. Nothing when no symbol was found on the sheet
    at all (the detector was off, or the plan draws no symbols it knows)."""
    if not any(o.symbol_bbox is not None for o in openings):
        return []
    out = []
    for kind in SYMBOL_LABELS:
        mine = [o for o in openings if o.kind == kind]
        n_sym = sum(o.symbol_bbox is not None for o in mine)
        n_tag = sum(o.tag is not None for o in mine)
        if n_sym != n_tag:
            out.append(f"{kind}s: {n_sym} symbols found but {n_tag} tags read "
                       f"({sum(o.tag is None for o in mine)} symbols without a tag, "
                       f"{sum(o.symbol_bbox is None for o in mine)} tags without a symbol)")
    return out


def _levels(view: PageView, lines: list[Line], used: set[int]) -> list[GroundedNumber]:
    out = []
    for line in lines:
        words = [w for w in line.words if id(w) not in used]
        for n in (2, 1):  # "OKFF ±0.00" or "±0.00", after any symbol OCR read as a letter
            if len(words) < n:
                continue
            span = Span(view.number, tuple(words[-n:]))
            value = parse_level(span.text)
            if value is not None:
                used.update(id(w) for w in span.words)
                out.append(grounded_number(span, value, 0.85))
                break
    return out


# -- dimensions -------------------------------------------------------------------------------------------

def _dimensions(view: PageView, lines: list[Line], used: set[int], imperial: bool) -> list[Dimension]:
    texts = [_clean(w) for ln in lines for w in ln.words if id(w) not in used]
    unit = sheet_integer_unit([ln.text for ln in lines] + texts)
    out = []
    for line in lines:
        if "=" in line.text:  # a scale (1/4" = 1'-0"), not a length
            continue
        words = line.words
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + 3), i, -1):
                run = words[i:j]
                if any(id(w) in used for w in run):
                    continue
                text = " ".join(_clean(w) if k in (0, len(run) - 1) else w.text for k, w in enumerate(run))
                if imperial and len(run) == 2 and LOST_MARKS.match(text) and not _close(*run):
                    continue  # a number and an inch length apart on one line are two things, not 7'-6"
                length = parse_plan_length(repair_imperial(text) if imperial else text, unit)
                if length is None or (imperial and length.notation != "ft-in") or \
                        (length.notation in ("mm", "cm") and length.mm < _MIN_MM):
                    continue
                span = Span(view.number, tuple(run))
                used.update(id(w) for w in run)
                certainty = (0.9 if length.notation != unit or length.notation in ("m", "ft-in") else 0.88) * \
                    (0.85 if imperial and repair_imperial(text) != text else 1.0)
                out.append(Dimension(text=span.text, kind="linear", nominal=length.mm, unit="mm",
                                     page=view.number, bbox=span.bbox, angle=round(line.angle),
                                     confidence=round(span.confidence * certainty, 4)))
                i = j - 1
                break
            i += 1
    return out


def _within_the_sheet(dims: list[Dimension], alternatives: list[list[float]]) -> list[Dimension]:
    """Imperial sheets: a string read longer than every other length on its page (``51-8"``, 51'-8" with the
    foot mark lost, on a sheet whose overalls are 31'-6") is no part of the building; where one of its other
    readings (:func:`~docpipe.drawing.plan_dimensions.imperial_alternatives`: the foot mark read as ``1``,
    5'-8") fits within the sheet's longest other length, that is the string, a tenth less sure. A chain's sum,
    where it decided, stands (:func:`~docpipe.drawing.chains.settle_by_sum` runs first)."""
    out = list(dims)
    for i, d in enumerate(dims):
        others = [o.nominal for o in dims if o is not d and o.page == d.page and o.nominal is not None]
        if not alternatives[i] or d.nominal is None or len(others) < 3 or d.nominal <= max(others):
            continue
        fits = [v for v in alternatives[i] if v <= max(others)]
        if len(fits) == 1:
            out[i] = reread(d, fits[0])
    return out


_BARE_INCHES = re.compile(r"^(\d{2,4})\s?[\"”″]$")
_DOUBTED_INCHES = 0.5  # a bare-inch reading less sure than this (times the rule's factor) is doubted


def _split_bare_inches(dims: list[Dimension], alternatives: list[list[float]]) -> list[Dimension]:
    """Imperial sheets: a foot or more printed as bare inches (``55"``) where every other string of its chain
    is feet and inches, read doubtfully, is the feet-and-inch string whose foot mark and hyphen OCR lost
    (``5'-5"``), when its digits split one way only into feet and inches. Only chains without an overall:
    where there is one, the parts' sum decides (:func:`~docpipe.drawing.chains.settle_by_sum`). Such sheets
    print a foot or more in feet and inches; a sure ``36"`` (a door's width, as some sheets print it) is kept."""
    out = list(dims)
    for i, d in enumerate(dims):
        if d.chain is None or not _BARE_INCHES.match(d.text) or d.confidence >= _DOUBTED_INCHES or \
                (d.nominal or 0) < 12 * 25.4:  # under a foot, inches are how such sheets print it
            continue
        chain = [o for o in dims if o.chain == d.chain and o is not d]
        if any(o.overall for o in chain) or len(chain) < 2 or \
                not all(re.match(r"^\d{1,3}\s?['’′]", o.text) for o in chain):
            continue
        total = sum(o.nominal or 0 for o in chain) + d.nominal
        if any(o.overall and o.page == d.page and round(o.angle) == round(d.angle) and o.nominal is not None
               and abs(o.nominal - total) <= SUM_TOLERANCE_MM for o in dims):
            continue  # adds up as read to a parallel overall (settle_by_opposite_overall)
        splits = [v for v in alternatives[i] if v != d.nominal]
        if len(splits) == 1:
            out[i] = reread(d, splits[0])
    return out


def _close(a: Word, b: Word) -> bool:
    """Whether ``b`` follows ``a`` on its line within a letter height and a half: room for the foot mark and
    the hyphen OCR lost between the feet and the inches of an imperial string (``7`` ``6"`` for ``7'-6"``)."""
    h = max(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1])
    return 0 <= b.bbox[0] - a.bbox[2] <= 1.5 * h


def _quantities(rooms: list[Room], openings: list[Opening]) -> Quantities:
    """The take-off: counts of rooms (with an area), doors and windows, and the floor area.

    Doors and windows are counted by their tags; where a kind is numbered (``T01``, ``W3``: German, English and
    French plans number each kind from 1 on a sheet), each number counts once, and the highest number read (of
    two or more of a letter) counts the tags OCR missed below it (at most as many again as were read).
    Symbols reconcile with the tags: a tagged opening counts once whether or not its symbol was found, and the
    symbols without a tag stand for the tags not read, so they count where the numbering did not already count
    them (``max`` of the two). The confidence drops with each opening counted without its tag read, and when
    the symbols found and the openings counted disagree (:func:`symbol_tag_mismatches`)."""
    doors, d_gap = _count(openings, "door")
    windows, w_gap = _count(openings, "window")
    areas = [r.area_m2.value for r in rooms if r.area_m2 is not None]
    confs = [r.confidence for r in rooms] + [o.confidence for o in openings]
    conf = 0.9 * min(confs) * 0.9 ** (d_gap + w_gap) if confs else 0.0
    if symbol_tag_mismatches(openings):
        conf *= 0.8
    return Quantities(rooms=len(rooms), doors=doors, windows=windows,
                      floor_area_m2=round(sum(areas), 2) if areas else None, confidence=round(conf, 4))


def _count(openings: list[Opening], kind: str) -> tuple[int, int]:
    """(count, openings counted without their tag read: from the numbering or from a symbol) of ``kind``."""
    untagged = sum(o.kind == kind and o.tag is None for o in openings)
    tagged = [o for o in openings if o.kind == kind and o.tag is not None]
    tags = [o.tag.value for o in tagged]
    numbered = {}
    for t in tags:
        if m := re.fullmatch(r"([TDPFW])-?0*(\d{1,2})", t):
            numbered.setdefault(m[1], set()).add(int(m[2]))
    # A number is printed once a sheet: a second tag read with it is another tag misread (W6 as W5), which
    # the numbering counts if it is missing; sized tags (M1021) repeat, and each counts.
    found = len(tagged) - sum(
        sum(1 for t in tags if (m := re.fullmatch(r"([TDPFW])-?0*(\d{1,2})", t)) and m[1] == letter) - len(nums)
        for letter, nums in numbered.items())
    extra = 0
    for letter, nums in numbered.items():
        missing = max(nums) - len(nums)
        if len(nums) >= 2 and 0 < missing <= len(nums):  # one tag read is no numbering (D2 misread P2)
            extra += missing
    extra = max(extra, untagged)
    return found + extra, extra
