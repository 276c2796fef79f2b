"""ISO 286 limits and fits: limit deviations of hole and shaft tolerance classes such as ``H7`` or ``g6``.

All public functions take the nominal (basic) size in **millimetres** and return deviations in **millimetres**,
signed offsets from the nominal size: ``upper`` is the upper limit deviation (ES for holes, es for shafts),
``lower`` the lower one (EI, ei). Internally the tables are in micrometres, as printed in the standard.

Coverage: nominal sizes 0 < D <= 500 mm; standard tolerance grades IT1-IT16; fundamental deviations for holes
A B C D E F G H JS K M N P R S T U and shafts a b c d e f g h js k m n p r s t u (not the j/J, cd/ef/fg,
v-zc positions). Sizes on a range boundary belong to the lower range ("over 18 up to and including 30").

Rules implemented from ISO 286-1:2010 (the tables of ISO 286-2 follow from them):

- holes A-H: EI = -es of the same shaft letter (the general rule);
- holes K, M, N up to IT8 and P-U up to IT7: ES = -ei + delta, with delta = IT(n) - IT(n-1) for that size
  range (the "delta rule", ISO 286-1 table 3); above those grades ES = -ei (and ES = 0 for K and for N > 3 mm);
- special case: M6 over 250 up to 315 mm has ES = -9 um (not -11);
- js/JS: +-IT/2; for grades 7-11 an odd IT value in um is first rounded down to the even value below.
"""

from __future__ import annotations

import bisect
import re

__all__ = ["SIZE_LIMIT_MM", "it_value", "fit_deviations", "fit_pair_deviations", "parse_tolerance_class"]

SIZE_LIMIT_MM = 500.0

# Upper bounds (inclusive) of the main size ranges, mm.
_MAIN = (3, 6, 10, 18, 30, 50, 80, 120, 180, 250, 315, 400, 500)
# Upper bounds of the intermediate ranges, used for a, b, c and r-u whose values change inside a main range.
_INTER = (3, 6, 10, 14, 18, 24, 30, 40, 50, 65, 80, 100, 120, 140, 160, 180, 200, 225, 250, 280, 315, 355, 400, 450, 500)

# Standard tolerance grades IT1..IT16, um, per main size range (ISO 286-1 table 1).
_IT = {
    #       IT1  IT2  IT3  IT4 IT5 IT6 IT7 IT8 IT9 IT10 IT11 IT12 IT13 IT14  IT15  IT16
    3: (0.8, 1.2, 2, 3, 4, 6, 10, 14, 25, 40, 60, 100, 140, 250, 400, 600),
    6: (1, 1.5, 2.5, 4, 5, 8, 12, 18, 30, 48, 75, 120, 180, 300, 480, 750),
    10: (1, 1.5, 2.5, 4, 6, 9, 15, 22, 36, 58, 90, 150, 220, 360, 580, 900),
    18: (1.2, 2, 3, 5, 8, 11, 18, 27, 43, 70, 110, 180, 270, 430, 700, 1100),
    30: (1.5, 2.5, 4, 6, 9, 13, 21, 33, 52, 84, 130, 210, 330, 520, 840, 1300),
    50: (1.5, 2.5, 4, 7, 11, 16, 25, 39, 62, 100, 160, 250, 390, 620, 1000, 1600),
    80: (2, 3, 5, 8, 13, 19, 30, 46, 74, 120, 190, 300, 460, 740, 1200, 1900),
    120: (2.5, 4, 6, 10, 15, 22, 35, 54, 87, 140, 220, 350, 540, 870, 1400, 2200),
    180: (3.5, 5, 8, 12, 18, 25, 40, 63, 100, 160, 250, 400, 630, 1000, 1600, 2500),
    250: (4.5, 7, 10, 14, 20, 29, 46, 72, 115, 185, 290, 460, 720, 1150, 1850, 2900),
    315: (6, 8, 12, 16, 23, 32, 52, 81, 130, 210, 320, 520, 810, 1300, 2100, 3200),
    400: (7, 9, 13, 18, 25, 36, 57, 89, 140, 230, 360, 570, 890, 1400, 2300, 3600),
    500: (8, 10, 15, 20, 27, 40, 63, 97, 155, 250, 400, 630, 970, 1550, 2500, 4000),
}
_MAX_GRADE = 16

# Shaft fundamental deviations, um (ISO 286-1 tables 2 and 3).
# a-h give the upper deviation es (<= 0); k-u give the lower deviation ei (>= 0).
_SHAFT_ES_INTER = {  # by intermediate range (_INTER)
    "a": (-270, -270, -280, -290, -290, -300, -300, -310, -320, -340, -360, -380, -410, -460, -520, -580,
          -660, -740, -820, -920, -1050, -1200, -1350, -1500, -1650),
    "b": (-140, -140, -150, -150, -150, -160, -160, -170, -180, -190, -200, -220, -240, -260, -280, -310,
          -340, -380, -420, -480, -540, -600, -680, -760, -840),
    "c": (-60, -70, -80, -95, -95, -110, -110, -120, -130, -140, -150, -170, -180, -200, -210, -230,
          -240, -260, -280, -300, -330, -360, -400, -440, -480),
}
_SHAFT_ES_MAIN = {  # by main range (_MAIN)
    "d": (-20, -30, -40, -50, -65, -80, -100, -120, -145, -170, -190, -210, -230),
    "e": (-14, -20, -25, -32, -40, -50, -60, -72, -85, -100, -110, -125, -135),
    "f": (-6, -10, -13, -16, -20, -25, -30, -36, -43, -50, -56, -62, -68),
    "g": (-2, -4, -5, -6, -7, -9, -10, -12, -14, -15, -17, -18, -20),
    "h": (0,) * 13,
}
_SHAFT_EI_MAIN = {
    # k: this row holds for grades 4-7 only; k up to IT3 and from IT8 has ei = 0 (handled in code).
    "k": (0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5),
    "m": (2, 4, 6, 7, 8, 9, 11, 13, 15, 17, 20, 21, 23),
    "n": (4, 8, 10, 12, 15, 17, 20, 23, 27, 31, 34, 37, 40),
    "p": (6, 12, 15, 18, 22, 26, 32, 37, 43, 50, 56, 62, 68),
}
_SHAFT_EI_INTER = {
    "r": (10, 15, 19, 23, 23, 28, 28, 34, 34, 41, 43, 51, 54, 63, 65, 68, 77, 80, 84, 94, 98, 108, 114, 126, 132),
    "s": (14, 19, 23, 28, 28, 35, 35, 43, 43, 53, 59, 71, 79, 92, 100, 108, 122, 130, 140, 158, 170, 190, 208,
          232, 252),
    # t is not defined up to 24 mm (None).
    "t": (None, None, None, None, None, None, 41, 48, 54, 66, 75, 91, 104, 122, 134, 146, 166, 180, 196, 218,
          240, 268, 294, 330, 360),
    "u": (18, 23, 28, 33, 33, 41, 48, 60, 70, 87, 102, 124, 144, 170, 190, 210, 236, 258, 284, 315, 350, 390,
          435, 490, 540),
}

_SHAFT_LETTERS = set(_SHAFT_ES_INTER) | set(_SHAFT_ES_MAIN) | set(_SHAFT_EI_MAIN) | set(_SHAFT_EI_INTER) | {"js"}
_HOLE_LETTERS = {s.upper() for s in _SHAFT_LETTERS}

# Every ISO 286 position letter (incl. ones not computed here), so a parser can tell "H7" from "AB7".
ISO_POSITIONS_SHAFT = frozenset(
    "a b c cd d e ef f fg g h j js k m n p r s t u v x y z za zb zc".split()
)
ISO_POSITIONS_HOLE = frozenset(p.upper() for p in ISO_POSITIONS_SHAFT)

_CLASS_RE = re.compile(r"^([A-Za-z]{1,2})(\d{1,2})$")


def _range_index(bounds: tuple[int, ...], size: float) -> int:
    """Index of the size range holding ``size`` (mm); boundaries belong to the lower range."""
    return bisect.bisect_left(bounds, size)


def _check_size(nominal_mm: float) -> None:
    if not (0 < nominal_mm <= SIZE_LIMIT_MM):
        raise ValueError(
            f"ISO 286 deviations are tabulated here for nominal sizes over 0 up to {SIZE_LIMIT_MM:g} mm; "
            f"got {nominal_mm!r} mm"
        )


def it_value(nominal_mm: float, grade: int) -> float:
    """Standard tolerance ITn for a nominal size, in micrometres (um), grades 1-16."""
    _check_size(nominal_mm)
    if not 1 <= grade <= _MAX_GRADE:
        raise ValueError(f"IT grade {grade} is not supported (IT1-IT{_MAX_GRADE})")
    return _IT[_MAIN[_range_index(_MAIN, nominal_mm)]][grade - 1]


def parse_tolerance_class(fit: str) -> tuple[str, int]:
    """Split a tolerance class such as ``"H7"`` or ``"js6"`` into (letters, grade); ValueError if malformed.

    Upper case is a hole, lower case a shaft; mixed case (``"Js6"``) is rejected rather than guessed.
    """
    m = _CLASS_RE.match(fit.strip())
    if not m:
        raise ValueError(f"not an ISO 286 tolerance class: {fit!r} (expected e.g. 'H7' or 'g6')")
    letters, grade = m.group(1), int(m.group(2))
    if not (letters.isupper() or letters.islower()):
        raise ValueError(f"mixed-case position letters in {fit!r}: use 'JS7' for a hole or 'js6' for a shaft")
    return letters, grade


def _js_half(it_um: float, grade: int) -> float:
    # ISO 286-1 5.2.2.2: for js7-js11 an odd IT value is rounded down to the even value below before halving.
    if 7 <= grade <= 11 and float(it_um).is_integer() and int(it_um) % 2 == 1:
        it_um -= 1
    return it_um / 2


def _shaft_um(size: float, letter: str, grade: int) -> tuple[float, float]:
    """Shaft (es, ei) in um."""
    it = it_value(size, grade)
    if letter == "js":
        half = _js_half(it, grade)
        return half, -half
    if letter in _SHAFT_ES_INTER or letter in _SHAFT_ES_MAIN:
        if letter in _SHAFT_ES_INTER:
            es = _SHAFT_ES_INTER[letter][_range_index(_INTER, size)]
        else:
            es = _SHAFT_ES_MAIN[letter][_range_index(_MAIN, size)]
        return es, es - it
    if letter == "k":
        ei = _SHAFT_EI_MAIN["k"][_range_index(_MAIN, size)] if 4 <= grade <= 7 else 0
    elif letter in _SHAFT_EI_MAIN:
        ei = _SHAFT_EI_MAIN[letter][_range_index(_MAIN, size)]
    elif letter in _SHAFT_EI_INTER:
        ei = _SHAFT_EI_INTER[letter][_range_index(_INTER, size)]
        if ei is None:
            raise ValueError(f"shaft position {letter!r} is not defined for nominal sizes up to 24 mm")
    else:
        raise ValueError(f"shaft position {letter!r} is not supported (supported: {', '.join(sorted(_SHAFT_LETTERS))})")
    return ei + it, ei


def _delta(size: float, grade: int) -> float:
    """The delta of ISO 286-1 table 3 in um: IT(n) - IT(n-1); zero up to 3 mm and for grade 1 or less."""
    if size <= 3 or grade < 2:
        return 0.0
    return it_value(size, grade) - it_value(size, grade - 1)


def _hole_um(size: float, letter: str, grade: int) -> tuple[float, float]:
    """Hole (ES, EI) in um."""
    it = it_value(size, grade)
    shaft = letter.lower()
    if letter == "JS":
        half = _js_half(it, grade)
        return half, -half
    if letter in "A B C D E F G H".split():
        es, _ = _shaft_um(size, shaft, grade)
        return -es + it, -es  # EI = -es (general rule), ES = EI + IT
    if letter in ("K", "M", "N"):
        ei_shaft = _SHAFT_EI_MAIN[shaft][_range_index(_MAIN, size)]
        if letter == "M" and grade == 6 and 250 < size <= 315:
            es_hole = -9.0  # ISO 286-1 table 3, footnote: special case
        elif grade <= 8:
            es_hole = -ei_shaft + _delta(size, grade)
        elif letter == "M":
            es_hole = -ei_shaft
        else:
            # K above IT8: ES = 0; N above IT8: ES = 0 over 3 mm (the 0-3 mm row keeps -4 um).
            es_hole = -ei_shaft if (letter == "N" and size <= 3) else 0.0
        return es_hole, es_hole - it
    if letter in ("P", "R", "S", "T", "U"):
        if shaft in _SHAFT_EI_MAIN:
            ei_shaft = _SHAFT_EI_MAIN[shaft][_range_index(_MAIN, size)]
        else:
            ei_shaft = _SHAFT_EI_INTER[shaft][_range_index(_INTER, size)]
            if ei_shaft is None:
                raise ValueError(f"hole position {letter!r} is not defined for nominal sizes up to 24 mm")
        es_hole = -ei_shaft + (_delta(size, grade) if grade <= 7 else 0.0)
        return es_hole, es_hole - it
    raise ValueError(f"hole position {letter!r} is not supported (supported: {', '.join(sorted(_HOLE_LETTERS))})")


def fit_deviations(nominal_mm: float, fit: str) -> tuple[float, float]:
    """Limit deviations (upper, lower) in mm of one tolerance class at a nominal size in mm.

    >>> fit_deviations(25, "H7")
    (0.021, 0.0)
    >>> fit_deviations(25, "g6")
    (-0.007, -0.02)

    Raises ValueError for malformed classes, unsupported positions (e.g. ``j6``, ``ZA7``), grades outside
    IT1-IT16 and sizes outside 0 < size <= 500 mm. A fit pair (``"H7/g6"``) needs ``fit_pair_deviations``.
    """
    if "/" in fit:
        raise ValueError(f"{fit!r} is a fit pair: use fit_pair_deviations() or pass one tolerance class")
    letters, grade = parse_tolerance_class(fit)
    _check_size(nominal_mm)
    if not 1 <= grade <= _MAX_GRADE:
        raise ValueError(f"IT grade {grade} in {fit!r} is not supported (IT1-IT{_MAX_GRADE})")
    if letters.isupper():
        upper, lower = _hole_um(nominal_mm, letters, grade)
    else:
        if letters not in _SHAFT_LETTERS:
            raise ValueError(
                f"shaft position {letters!r} is not supported (supported: {', '.join(sorted(_SHAFT_LETTERS))})"
            )
        upper, lower = _shaft_um(nominal_mm, letters, grade)
    # Round to 0.1 um so float noise never shows (the tables are in 0.5 um steps at the finest).
    return round(upper / 1000, 4) + 0.0, round(lower / 1000, 4) + 0.0


def fit_pair_deviations(
    nominal_mm: float, fit: str
) -> tuple[tuple[float, float], tuple[float, float]]:
    """For a fit such as ``"H7/g6"``: ((hole upper, hole lower), (shaft upper, shaft lower)) in mm.

    The hole class must come first (upper case), the shaft second (lower case), as ISO 286 writes them.
    """
    parts = [p.strip() for p in fit.split("/")]
    if len(parts) != 2 or not parts[0][:1].isupper() or not parts[1][:1].islower():
        raise ValueError(f"not a fit pair: {fit!r} (expected hole/shaft such as 'H7/g6')")
    return fit_deviations(nominal_mm, parts[0]), fit_deviations(nominal_mm, parts[1])
