"""Door and window tags of building plans, as printed beside the symbols.

Serves plans of the conventions we know:

- Chinese and other Asian CAD plans: ``M1021`` a door (门) 1000 x 2100 mm, ``C1818`` a window (窗) 1800 x 1800 mm:
  the four digits are width and height in decimetres;
- German plans: ``T01`` (Tür) doors, ``F3`` (Fenster) windows;
- English and French plans: ``D01``/``P1`` (porte) doors, ``W01`` windows.

OCR reads ``0`` as ``O``/``o`` and ``1`` as ``l``/``I``/``i`` inside tags, a small tag's capital as lower case,
``W`` as ``Ww`` and ``M`` as ``™``; those are repaired (the letter, then the digit positions).
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
    if len(t) < 2:
        return None
    t = re.sub(r"^(?:Ww|WW|VV|Vv|vv|wW)(?=[\dOo])", "W", t).replace("™", "M")
    if t[0] in "mctdpfw" and re.fullmatch(r"[\dOolIi|]+", t[1:]):
        t = t[0].upper() + t[1:]
    if not t[0].isupper():
        return None
    t = t[0] + re.sub(r"[Oo]", "0", re.sub(r"[lIi|]", "1", t[1:]))
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
