"""Interim rule-based drawing extraction: title block fields by label, dimensions by the dimension parser,
notes after a NOTES heading, tables from the detector's table regions (:mod:`.tables`). Every value is
grounded in page words.

Title-block cells print a label and a value, the value right of the label or under it. Dimensions are text
runs that :func:`docpipe.drawing.repairs.read_dimension` accepts (the parser, after undoing OCR confusions
such as ``038`` for ``Ø38``), outside the title block and notes; stacked tolerances and limit dimensions
are joined (:mod:`.stacks`).

Building plans (:func:`docpipe.classify.discipline` says ``architectural``) keep the title block, notes and
tables, and read rooms, openings, levels and plan dimensions instead of part dimensions (:mod:`.plan`).
"""

from __future__ import annotations

import re

from ..classify import discipline
from ..drawing.repairs import read_dimension
from ..drawing.dimensions import with_general_tolerance
from ..geometry import centre_in, mostly_inside, union
from ..drawing.iso2768 import parse_general_tolerance
from ..normalize import parse_date
from ..types import Dimension, Drawing, GroundedText, TitleBlock
from .layout import PageView, Span, grounded_date, grounded_text, word_range
from .plan import extract_plan
from .stacks import join_stacks
from .tables import extract_tables

_I = re.I
TITLE_LABELS = {
    "drawing_number": r"drawing\s*(no\.?|number|nr\.?|#)|dwg\.?\s*(no\.?|nr\.?|#)|part\s*(no\.?|number)|"
                      r"plan-?\s*(nr\.?|no\.?|nummer)|"
                      r"zeichnungs?-?\s*(nr\.?|nummer)|sachnummer|teilenummer|n[°o]\s*de\s*plan|"
                      r"tekening\s*(nr\.?|nummer)|doc(ument)?\s*no\.?",
    "title": r"\btitle\b|benennung|bezeichnung|\btitel\b|d[ée]signation|\btitre\b|omschrijving|"
             r"\bproje[ck]t\b|\bprojet\b",  # plans: the project names the sheet
    "revision": r"\brev(ision)?\.?\b|\bindex\b|[äa]nderungs?(stand|index)|\bversion\b",
    "scale": r"\bscale\b|ma(ß|ss|B)stab|[ée]chelle|\bschaal\b",  # OCR reads ß as B
    "material": r"\bmaterial\b|werkstoff|mat[ée]riau|mati[èe]re|materiaal",
    "sheet": r"\bsheet\b|\bblatt\b|\bfeuille\b|\bblad\b",
    "date": r"\bdate\b|\bdatum\b",
    "company": r"\bcompany\b|\bfirma\b|soci[ée]t[ée]|\bbedrijf\b|\barchitect[e]?\b|\barchitekt(in)?\b",
    "drawn_by": r"drawn(\s*by)?|gezeichnet|erstellt|bearb(eitet)?\.?|dessin[ée]\s*par|getekend",
    "general_tolerance": r"general\s*toleranc\w*|allgemeintoleranz\w*|tol[ée]rances?\s*g[ée]n[ée]rales?|"
                         r"algemene\s*toleranties?|\btolerances?\b",
}
_LABEL_RES = {k: re.compile(v, _I) for k, v in TITLE_LABELS.items()}
_ANY_LABEL = re.compile("|".join(f"(?:{v})" for v in TITLE_LABELS.values()), _I)
_NOTES = re.compile(r"^(notes?|general\s*notes|anmerkungen|hinweise|bemerkungen|remarques|opmerkingen)\s*:?$", _I)
# Title-block cell names beside TITLE_LABELS and the standard notes printed in title blocks (EN/DE/FR/NL/SV
# sheets): a line of cell names only, or holding a note, is never a field's value. The model, asked to fill the
# fields from the title block's lines, took them as values ('APPROVED BY' as revision, 'UNLESS OTHERWISE
# SPECIFIED' as company, 'NAME' as drawn by).
_CELL_WORDS = frozenset(
    "approved checked designed drafted drawn signature sign name weight mass size finish projection qty quantity "
    "first issued issue status format date scale sheet title rev revision dwg drawing no nr number by of part "
    "geprüft geprueft genehmigt gewicht norm datum blatt von maßstab name gezeichnet "
    "vérifié verifie approuvé approuve nom masse échelle echelle feuille "
    "naam goedgekeurd gecontroleerd getekend schaal blad "
    "ritningsnummer ritad granskad godkänd benämning vikt skala sida".split())
_NOTE_PHRASES = re.compile(r"unless\s+otherwise|do\s+not\s+scale|all\s+dimensions|dimensions\s+(are\s+)?in\b|"
                           r"(third|first)\s+angle|break\s+(all\s+)?(sharp\s+)?edges|deburr|\btolerances?\b|"
                           r"sofern\s+nicht|sauf\s+indication", _I)
_SCALE_VALUE = re.compile(r"^\s*\d+(?:[.,]\d+)?\s*:\s*\d+(?:[.,]\d+)?\s*$")
_SHEET_VALUE = re.compile(r"^\s*\d{1,3}\s*(?:/|of|von|de|van|av|sur)\s*\d{1,3}\s*$", _I)
_REVISION_VALUE = re.compile(r"^\s*(?:[A-Z]{1,2}\d{0,2}|\d{1,3})(?:[.-]\d{1,2})?\s*$", _I)


def title_block_choice(field: str, text: str, line: str = "") -> bool:
    """Whether ``text`` (a cell of the title block, on the line ``line``) can be the value of title-block
    ``field`` on any drawing (mechanical sheets and plans): no piece of a standard note (:data:`_NOTE_PHRASES`:
    'UNLESS', 'DO' of 'DO NOT SCALE'); a scale reads ``1:2``, a sheet ``1/2`` or ``1 of 2``, a revision is a short
    index (``B``, ``02``, ``A1``, ``C.1``); any other field's value is no cell of cell names only
    (:data:`_CELL_WORDS`: 'APPROVED BY', '1 OF 1') and starts with no label of :data:`TITLE_LABELS`."""
    if _NOTE_PHRASES.search(f"{line} {text}"):
        return False
    if field == "scale":
        return bool(_SCALE_VALUE.match(text))
    if field == "sheet":
        return bool(_SHEET_VALUE.match(text))
    if field == "revision":
        return bool(_REVISION_VALUE.match(text)) and text.strip().casefold() not in _CELL_WORDS
    words = re.findall(r"[^\W\d_]+", text.casefold())
    if not words:
        return field == "material"  # a material number ('1.4301'); no title, company or name is digits only
    return not (all(w in _CELL_WORDS for w in words) or _ANY_LABEL.match(text))


def extract_drawing(views: list[PageView]) -> Drawing:
    drawing = Drawing(title_block=_title_block(views), discipline=discipline([v.page for v in views]))
    drawing.notes, note_boxes = _notes(views)
    drawing.tables = extract_tables(views)
    note_boxes += [t.bbox for t in drawing.tables]  # a table's sizes and dates are not the part's dimensions
    tb_box = title_block_box(views)
    if drawing.discipline == "architectural":
        return extract_plan(views, drawing, exclude=note_boxes + ([tb_box] if tb_box else []))
    gt = drawing.title_block.general_tolerance
    tol_class = parse_general_tolerance(gt.text) if gt else None
    drawing.dimensions = _dimensions(views, exclude=note_boxes + ([tb_box] if tb_box else []),
                                     tol_class=tol_class)
    return drawing


def _title_block(views: list[PageView]) -> TitleBlock:
    """Labelled cells, read bottom-up: title blocks sit at the bottom of the sheet, while the same words
    appear higher up in revision tables and notes. A label must start its line (a cell starts with it)."""
    tb = TitleBlock()
    cells = []
    for view in views:
        for line in view.lines:
            for field, rx in _LABEL_RES.items():
                m = rx.match(line.text)
                if m:
                    cells.append((view, line, field, m))
    cells.sort(key=lambda c: (c[0].number, -c[1].bbox[3]))
    for view, line, field, m in cells:
        if getattr(tb, field) is not None:
            continue
        if field == "general_tolerance" and not parse_general_tolerance(line.text + " " + _below_text(view, line)):
            continue
        value = _cell_value(view, line, m)
        if value is None:
            continue
        span, certainty = value
        text = span.text.strip(" :")
        if field not in ("drawing_number", "date", "general_tolerance") and not title_block_choice(field, text):
            continue  # no value of this field (a scale misread as letters, a cell name): another cell may be
        if field == "date":
            d = parse_date(text)
            if d:
                tb.date = grounded_date(span, d, certainty)
            continue
        setattr(tb, field, grounded_text(span, text, certainty))
    return tb


def _below_text(view: PageView, line) -> str:
    below = view.below(line.bbox, max_lines=1)
    return below[0].text if below else ""


def _cell_value(view: PageView, line, match) -> tuple[Span, float] | None:
    """The value of a labelled cell: the rest of the label's line, else the next line under it."""
    _, end = word_range(line, match.start(), match.end())
    rest = [w for w in line.words[end:] if w.text.strip(":")]
    if rest and not _ANY_LABEL.match(" ".join(w.text for w in rest)):
        return Span(view.number, tuple(rest)), 0.85
    label_box = Span(view.number, tuple(line.words[:end])).bbox if end else line.bbox
    for below in view.below(label_box, max_lines=1, max_gap=1.5):
        if not _ANY_LABEL.match(below.text):
            return view.span(below), 0.75
    return None


def title_block_box(views: list[PageView]) -> tuple[int, int, int, int] | None:
    """The extent of title-block labels and values on the first page (for excluding them from dimensions)."""
    view = views[0]
    boxes = [line.bbox for line, _, _ in view.find(_ANY_LABEL)]
    if len(boxes) < 3:
        return None
    # Title blocks sit in a corner: keep the labels in the lowest third of the sheet.
    boxes = [b for b in boxes if b[1] > view.page.height * 0.6]
    if len(boxes) < 3:
        return None
    h = view.text_height
    x0, y0, _, y1 = union(boxes)
    return (x0 - h, y0 - h, view.page.width, y1 + 3 * h)




def _notes(views: list[PageView]) -> tuple[list[GroundedText], list[tuple[int, int, int, int]]]:
    notes, boxes = [], []
    for view in views:
        for line in view.lines:
            if not _NOTES.match(line.text.strip()):
                continue
            block = view.below(line.bbox, max_lines=12, max_gap=1.8)
            for ln in block:
                text = re.sub(r"^\d+[.)]\s*", "", ln.text).strip()
                if len(text) >= 3:
                    notes.append(grounded_text(view.span(ln), text, 0.8))
            boxes.append(union([line.bbox] + [ln.bbox for ln in block]))
    return notes, boxes


def _dimensions(views: list[PageView], exclude, tol_class: str | None) -> list[Dimension]:
    """Dimensions outside the excluded boxes; untoleranced ones get the general tolerance class (ISO 2768),
    marked ``tolerance_source: "general"``."""
    dims: list[Dimension] = []
    for view in views:
        # Sheet frames carry zone markers (1, 2, 3 ... / A, B, C ...) in a band along the edges.
        margin = 0.03 * min(view.page.width, view.page.height)
        found = []
        for line in view.lines:
            x0, y0, x1, y1 = line.bbox
            if any(centre_in(line.bbox, b) for b in exclude) or min(
                    x0, y0, view.page.width - x1, view.page.height - y1) < margin:
                continue
            found += [(span, parsed, line.angle) for span, parsed in _parse_runs(view, line)]
        kept = [f for f in join_stacks(view, found) if _plausible_box(f[0], f[2], view.text_height)]
        for span, parsed, angle in _one_per_ink(kept):
            if tol_class:
                parsed = with_general_tolerance(parsed, tol_class)
            dims.append(parsed.to_dimension(page=view.number, bbox=span.bbox, angle=angle,
                                            confidence=round(span.confidence * 0.9, 4)))
    return dims


def _one_per_ink(found):
    """Two readings of the same ink (the upright and the 90-degree pass, or a crop) keep the one with more
    characters, then the more confident: a dimension mostly inside another's box goes."""
    def score(f):
        return (len(f[0].text.replace(" ", "")), f[0].confidence)

    out = []
    for f in sorted(found, key=score, reverse=True):
        if not any(mostly_inside(f[0].bbox, g[0].bbox) or mostly_inside(g[0].bbox, f[0].bbox) for g in out):
            out.append(f)
    return sorted(out, key=lambda f: found.index(f))


def _plausible_box(span: Span, angle: float, text_height: float) -> bool:
    """Whether the words' box has the shape of dimension text: letters between 0.4 and 4 page text heights
    tall (stacks are up to ~2.5), and a single character no longer than three times its height. Boxes of
    slivers and of ink blobs that OCR called "4" or "2" fail this."""
    x0, y0, x1, y1 = span.bbox
    along, across = (y1 - y0, x1 - x0) if round(angle) == 90 else (x1 - x0, y1 - y0)
    if round(angle) not in (0, 90):  # slanted: the box is not aligned with the text
        return True
    if not 0.4 * text_height <= across <= 4 * text_height:
        return False
    return len(span.text.replace(" ", "")) > 1 or along <= 3 * across


def _parse_runs(view: PageView, line):
    """Longest runs of words in ``line`` that parse as dimensions, left to right. A run does not bridge a gap
    wider than 3/4 of the words' height: the parts of one dimension are set closer than that, while a symbol
    beside it (a surface mark Tesseract reads as "REF") or the next dimension sits further off."""
    words = line.words
    i, out = 0, []
    while i < len(words):
        end = i + 1
        while end < min(len(words), i + 4) and _close(words[end - 1], words[end], line.angle):
            end += 1
        for j in range(end, i, -1):
            parsed = read_dimension(" ".join(w.text for w in words[i:j]), words[i:j], line.angle)
            if parsed is not None:
                out.append((Span(view.number, tuple(words[i:j])), parsed))
                i = j - 1
                break
        i += 1
    return out


def _close(a, b, angle: float) -> bool:
    """Whether word ``b`` follows ``a`` closely enough to belong to the same dimension (reading direction)."""
    if round(angle) == 90:  # reads bottom to top: the next word is above
        gap, h = a.bbox[1] - b.bbox[3], max(a.bbox[2] - a.bbox[0], b.bbox[2] - b.bbox[0])
    else:
        gap, h = b.bbox[0] - a.bbox[2], max(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1])
    return gap <= 0.75 * max(h, 1)
