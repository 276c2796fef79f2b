"""Door and window tags of building plans, as printed beside the symbols.

Serves plans of the conventions we know:

- Chinese and other Asian CAD plans: ``M1021`` a door (门) 1000 x 2100 mm, ``C1818`` a window (窗) 1800 x 1800 mm:
  the four digits are width and height in decimetres;
- German plans: ``T01`` (Tür) doors, ``F3`` (Fenster) windows;
- English and French plans: ``D01``/``P1`` (porte) doors, ``W01`` windows.

OCR reads ``0`` as ``O``/``o`` (or twice, ``O0``), ``1`` as ``l``/``I``/``i`` and ``5`` as ``S`` inside tags, a small
tag's capital as lower case, ``W`` as ``Ww``/``Wwo``/``wo``, ``M`` as ``™`` and ``C`` as ``¢``; those are
repaired (the letter, then the digit positions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Tag", "parse_tag"]

_SIZED = re.compile(r"^([MC])(\d{2})(\d{2})([a-z])?$")
_NUMBERED = re.compile(r"^(T|D|P|F|W)[-.]?(\d{1,3})([a-z])?$")
_DOOR_LETTERS = {"M", "T", "D", "P"}


@dataclass(frozen=True)
class Tag:
    kind: str  # "door" | "window"
    text: str  # the tag after repairs
    width_mm: float | None = None
    height_mm: float | None = None


def parse_tag(text: str) -> Tag | None:
    """The opening ``text`` tags, or None when it is not a door or window tag."""
    t = text.strip().strip(".,;:()[]")
    if len(t) < 2 or not (any(c.isdigit() for c in t) or (len(t) == 3 and t[0].isupper())):
        return None  # a tag has a digit, or is three characters OCR lost them all in ("DOS"); "will" is a word
    t = t.replace("™", "M").replace("¢", "C")
    # A wide W read as "Ww", "Wwo" or "wo": the "o" is the W's, unless the one digit left needs it as a zero
    if m := re.fullmatch(r"[Ww][Ww]?([Oo])?(\d{1,2})", t):
        t = "W" + ("0" if m[1] and len(m[2]) == 1 else "") + m[2]
    if t[0] in "mctdpfw" and re.fullmatch(r"[\dOolIiS|]+", t[1:]):
        t = t[0].upper() + t[1:]
    if not t[0].isupper():
        return None
    rest = re.sub(r"[Oo]0", "0", t[1:]).replace("il", "1")  # a zero read twice ("DO04"), a one as "il"
    rest = re.sub(r"[Oo]", "0", re.sub(r"[lIi|]", "1", rest))
    if re.fullmatch(r"[\dS]+", rest) and "S" in rest[1:]:
        rest = rest.replace("S", "5")  # "DOS": a 5 after digits
    t = t[0] + rest
    if m := _SIZED.match(t):
        w, h = int(m[2]) * 100, int(m[3]) * 100
        if not (w and h):
            return None
        return Tag("door" if m[1] == "M" else "window", t, float(w), float(h))
    if m := _NUMBERED.match(t):
        if int(m[2]) == 0:
            return None
        return Tag("door" if m[1] in _DOOR_LETTERS else "window", t)
    return None
