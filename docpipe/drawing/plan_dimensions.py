"""Dimension strings of building plans, in any of their notations, to millimetres.

Serves floor plans and other building plans (CAD exports and scans), whose dimension lines print bare lengths:

- millimetres, ``3600`` (the CAD default in most of Europe and Asia);
- metres, ``3.60`` / ``3,60`` (German and Dutch hand-drawn and older CAD plans);
- centimetres, ``360`` (some German and French plans; a sheet note ``Maße in cm`` says so);
- feet and inches, ``12'-6"``, ``12' 6"``, ``12'-6 1/2"``, ``8'`` and ``9"`` (US and UK imperial sheets).

A bare integer is millimetres or centimetres by the sheet, not by the string: :func:`sheet_integer_unit` decides
from a sheet note or from the integers' sizes. Nothing here reads images.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Literal

__all__ = ["PlanLength", "imperial_sheet", "parse_plan_length", "sheet_integer_unit", "format_plan_length", "is_feet_inches",
           "repair_imperial", "imperial_alternatives", "metric_alternatives", "LOST_MARKS"]

Notation = Literal["mm", "cm", "m", "ft-in"]
MM_PER_INCH = 25.4

# OCR reads a foot mark as ' ’ ‘ ′ or `, an inch mark as " ” “ ″ or two foot marks.
_FT = r"['’‘′`]"
_IN = r"(?:\"|”|“|″|'{2}|’{2})"
_FEET_INCHES = re.compile(rf"^(\d{{1,3}})\s?{_FT}\s?[-–—]?\s?(\d{{1,2}})(?:\s(\d{{1,2}})/(\d{{1,2}}))?\s?{_IN}?$")
_FEET = re.compile(rf"^(\d{{1,3}})\s?{_FT}(?:\s?[-–—]?\s?0\s?{_IN})?$")
_INCHES = re.compile(rf"^(\d{{1,2}})(?:\s(\d{{1,2}})/(\d{{1,2}}))?\s?{_IN}$")
_METRES = re.compile(r"^(\d{1,2})[.,](\d{2,3})$")
_INTEGER = re.compile(r"^[1-9]\d{1,4}$")
_UNIT_NOTE = re.compile(r"\b(?:ma(?:ß|ss)e|abmessungen|dimensions?|cotes?|maten|maatvoering)\s+(?:in\s+|en\s+)?"
                        r"(mm|cm|m)\b", re.I)


@dataclass(frozen=True)
class PlanLength:
    mm: float
    notation: Notation


def parse_plan_length(text: str, integer_unit: Literal["mm", "cm"] = "mm") -> PlanLength | None:
    """The length printed as ``text`` in millimetres, or None when it is not a plan dimension. A bare integer is
    in ``integer_unit``; a leading sign makes a level (:mod:`.levels`), not a length, and gives None."""
    s = text.strip().replace("O", "0") if re.fullmatch(r"[\dO.,]+", text.strip()) else text.strip()
    if m := _FEET_INCHES.match(s):
        feet, inches = int(m[1]), int(m[2])
        frac = int(m[3]) / int(m[4]) if m[3] and int(m[4]) else 0.0
        if inches >= 12 or frac >= 1:
            return None
        return PlanLength(round((feet * 12 + inches + frac) * MM_PER_INCH, 1), "ft-in")
    if m := _FEET.match(s):
        return PlanLength(round(int(m[1]) * 12 * MM_PER_INCH, 1), "ft-in") if int(m[1]) else None
    if m := _INCHES.match(s):
        frac = int(m[2]) / int(m[3]) if m[2] and int(m[3]) else 0.0
        return PlanLength(round((int(m[1]) + frac) * MM_PER_INCH, 1), "ft-in") if int(m[1]) else None
    if m := _METRES.match(s):
        value = float(f"{m[1]}.{m[2]}")
        return PlanLength(round(value * 1000, 1), "m") if value >= 0.05 else None
    if _INTEGER.match(s):
        return PlanLength(float(s) * (10 if integer_unit == "cm" else 1), integer_unit)
    return None


def sheet_integer_unit(texts: list[str]) -> Literal["mm", "cm"]:
    """Whether the bare integers on a sheet are millimetres or centimetres: a note such as ``Maße in cm`` or
    ``dimensions in mm`` decides; else the integers' sizes (in mm a room is thousands, ``3600``; in cm hundreds,
    ``360``: a median under 1000 with nothing over 3000 reads as centimetres)."""
    for t in texts:
        if m := _UNIT_NOTE.search(t):
            return "cm" if m[1].lower() == "cm" else "mm"
    ints = [int(t) for t in texts if _INTEGER.match(t.strip())]
    if len(ints) >= 3 and statistics.median(ints) < 1000 and max(ints) <= 3000:
        return "cm"
    return "mm"


def format_plan_length(mm: float, notation: Notation, *, comma: bool = False) -> str:
    """``mm`` as printed in ``notation`` (the generator's side of :func:`parse_plan_length`; imperial lengths are
    printed to the nearest inch)."""
    if notation == "mm":
        return str(int(round(mm)))
    if notation == "cm":
        return str(int(round(mm / 10)))
    if notation == "m":
        s = f"{mm / 1000:.2f}"
        return s.replace(".", ",") if comma else s
    inches = int(round(mm / MM_PER_INCH))
    feet, rest = divmod(inches, 12)
    return f"{feet}'-{rest}\"" if feet else f"{rest}\""


_FEET_DIGITS = str.maketrans({"A": "4", "T": "7", "g": "9", "q": "9", "Q": "9", "O": "0", "o": "0", "l": "1",
                              "I": "1", "S": "5"})
_INCH_DIGITS = str.maketrans({"Q": "0", "O": "0", "o": "0", "l": "1", "I": "1"})
_LOST_FOOT = re.compile(r"^(\d{1,3})[-./](\d{1,2})\s?(\"|”|″)?$")
# the foot mark and the hyphen both lost, the feet read as a word of their own: "7 6\"" for 7'-6" (a reader
# joins a line's words with a space; whether the two words stand close enough is the caller's to check)
LOST_MARKS = re.compile(r"^(\d{1,3})\s(\d{1,2})\s?([\"”″])$")


def repair_imperial(text: str) -> str:
    """An imperial length as OCR misreads it, repaired, for sheets known to be imperial (elsewhere ``2-7`` is a
    range or a sheet number): a lost foot mark (``12-0"``, ``2-7``, ``2.6"``), the foot mark and hyphen lost
    between two words (``7 6"``), ``'/`` for ``'-``, an inch mark
    read twice (``10'-0”"``), letters read
    for digits (``T'-6"``, ``A5'-0"``, ``g'-10"``, ``32'-Q"``, ``8'-o"``)."""
    s = text.strip().replace("'/", "'-").replace("’/", "’-")
    s = re.sub(r"[\"”“″]{2,}$", '"', s)  # an inch mark read twice (10'-0”")
    if m := re.match(r"^([\dATgqQOolIS]{1,3})(['’′])(.*)$", s):  # letters read for digits, either side of the mark
        feet = m[1].translate(_FEET_DIGITS)
        inches = re.sub(r"(?<=[-–—\s])([\dQOolI]{1,2})(?=\s?[\"”″]|$)", lambda k: k[1].translate(_INCH_DIGITS), m[3])
        s = feet + m[2] + inches
    m = _LOST_FOOT.match(s) or LOST_MARKS.match(s)
    if m and int(m[2]) < 12 and (m[3] or "." not in s):
        return f"{m[1]}'-{m[2]}\""
    return s


def is_feet_inches(text: str) -> bool:
    """Whether ``text`` is an imperial plan length (``12'-6"``): the reader keeps such vertical text, which the
    part-drawing grammar rejects (a bare ``30'`` there is minutes)."""
    t = text.strip(".,;:|")
    p = parse_plan_length(repair_imperial(t) if ("'" in t or "’" in t) else t)
    return p is not None and p.notation == "ft-in"


def imperial_alternatives(text: str) -> list[float]:
    """Other lengths (mm) an imperial string as OCR read it may have been printed as, beside what
    :func:`repair_imperial` makes of it: a ``g`` for feet is ``9`` there and may be ``8`` (``g'-6"``); a foot
    mark read as ``1`` (``51-5"`` for ``5'-5"``), or lost with the hyphen (``55"`` for ``5'-5"``). A chain's sum decides (:func:`docpipe.drawing.chains.settle_by_sum`)."""
    s = text.strip()
    out = []
    if m := re.match(r"^([\d]*)g([\d]*)(['’′].*)$", s):
        p = parse_plan_length(repair_imperial(f"{m[1]}8{m[2]}{m[3]}"))
        if p is not None:
            out.append(p.mm)
    if m := re.fullmatch(r"(\d{1,2})1[-–](\d{1,2})\s?([\"”″])", s):
        p = parse_plan_length(f"{m[1]}'-{m[2]}\"")
        if p is not None:
            out.append(p.mm)
    if m := re.fullmatch(r"(\d{2,4})\s?[\"”″]", s):  # the foot mark and hyphen lost: 55" for 5'-5"
        for k in range(1, len(m[1])):
            feet, inches = m[1][:k], m[1][k:]
            p = parse_plan_length(f"{feet}'-{inches}\"")
            if p is not None and (inches == "0" or not inches.startswith("0")):
                out.append(p.mm)
    return out


# Digits Tesseract reads for one another in small plan type (2 for 7, 1 for 7, 4 for 9, 3 for 8, 6 for 5 ...)
_DIGIT_CONFUSIONS = {"0": "86", "1": "74", "2": "7", "3": "8", "4": "91", "5": "63", "6": "58", "7": "12",
                     "8": "360", "9": "4"}


def metric_alternatives(text: str, nominal: float) -> list[float]:
    """Other lengths (mm) a metric plan string (``4250``, ``425`` in cm, ``4.25`` / ``4,25`` in m; ``nominal``:
    its value as read, in mm) may have been printed as: one digit read for another that OCR confuses it with
    (``4250`` for ``4750``, ``7.15`` for ``7.75``). Only a chain's sum can tell
    (:func:`docpipe.drawing.chains.settle_by_unique_sum`)."""
    s = text.strip()
    read = parse_plan_length(s)
    if read is None or read.notation == "ft-in" or not read.mm:
        return []
    factor = nominal / read.mm  # centimetre sheets: the integers are ten times what parse_plan_length reads
    out = []
    for k, c in enumerate(s):
        for d in _DIGIT_CONFUSIONS.get(c, ""):
            p = parse_plan_length(s[:k] + d + s[k + 1:])
            if p is not None and p.notation == read.notation:
                out.append(round(p.mm * factor, 1))
    return out


def imperial_sheet(words) -> bool:
    """Whether a plan is in feet and inches: three or more of its words (:class:`docpipe.types.Word`) with foot
    or inch marks."""
    return sum(1 for w in words if "'" in w.text or '"' in w.text or "’" in w.text) >= 3
