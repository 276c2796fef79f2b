"""Parse engineering-drawing dimension strings (as OCR reads them) into numbers.

``parse_dimension("Ø25 H7")`` -> ``ParsedDimension(kind="diameter", nominal=25.0, unit="mm", fit="H7",
upper_deviation=0.021, lower_deviation=0.0, tolerance_source="fit", ...)``; ``None`` for anything that is not a
dimension (titles, dates, drawing numbers). It never raises.

Units: lengths in ``mm`` unless the string carries an inch mark (``"``, ``in``, ``inch``) or is a UNC/UNF
thread; angles in ``deg`` (minutes and seconds converted). Deviations are signed offsets from ``nominal`` in the
same unit. A title block that declares inch units must be applied by the caller (we only see the string).

Design choices (the tests pin each one):

- **Limit dimensions** (``25.021/25.000``, ``Ø25.000-25.021``): both numbers need a decimal point and must lie
  within 10 % of each other. ``nominal`` is the limit written with fewer significant decimals, i.e. the basic
  size as drawn (``25.000`` -> 25.0 in both examples); on a tie, the lower limit. Deviations always reproduce
  both limits exactly. Qualifier ``LIMITS``.
- **Fit pairs** (``25 H7/g6``): ``fit="H7/g6"``, deviations of the hole (first class).
- **Fit plus printed deviations** (``Ø25 H7 (+0.021/0)``): the printed numbers win, ``tolerance_source="drawing"``.
  A fit ISO 286 cannot evaluate here (``j6``, > 500 mm) keeps ``fit`` and leaves the deviations ``None``.
- **Counterbore / countersink** (``⌴Ø11 ↧6``, ``⌵Ø12 x 90°``): kind ``diameter`` (the diameter is the useful
  number), qualifier ``COUNTERBORE``/``COUNTERSINK``, ``depth`` 6. In a full hole callout
  (``Ø6.6 THRU ⌴Ø11 ↧6``) the first feature is the dimension; the counterbore text goes into ``qualifiers``.
- **Threads**: ``M8`` gets the ISO 261 coarse pitch (1.25) as ``pitch``, as ``H7`` gets its table deviations;
  ``M8x1.25-6g`` keeps ``6g`` in ``thread_class`` (an ISO 965 class, not an ISO 286 fit, so ``fit`` stays None).
  ``M8x20`` (pitch >= half the diameter: a screw length, not a thread), ``m8`` (lower case) and sizes over M300
  are rejected. ``1/4-20 UNC-2B`` -> unit ``in``, pitch 1/20 in, qualifier ``UNC``.
- Fits only on linear sizes and diameters (``R8S7`` is rejected); ``↧``/``DP``/``DEEP`` depths only on holes and
  threads; ISO 286 deviations are not computed for inch sizes (the fit name is kept).
- **Chamfers**: ``C1``, ``1x45°``, ``0.5 x 45°``: nominal is the leg length (mm), the angle goes to
  ``qualifiers`` (``"45°"``). An ASME count written ``2X 45°`` (integer, capital X, space) is a count of angles.
- **Counts**: ``4x Ø6.6``, ``4X Ø6.6``, ``4-Ø6.6``, ``6 x M6``, ``Ø6.6 4 HOLES``/``4 PLCS``/``(4x)``. Before a
  plain number only the ASME form ``2X 15`` (capital X, then a space) counts: ``100 x 50`` and ``10x10`` are
  size pairs from a parts list, not counts, and return None.
- ``(25)`` and ``25 REF`` -> ``reference=True``; ``25 MAX`` -> upper 0, lower None; ``25 MIN`` -> lower 0, upper
  None (one-sided limits, ``tolerance_source="drawing"``); ``□20`` -> linear + ``SQUARE``; ``SR``/``SØ`` ->
  ``SPHERICAL``.
- **OCR confusions** accepted: ø ⌀ ∅ Φ φ for Ø, º ˚ for °, × for x, ′ ″ for ' ", unicode dashes, ``+/-`` and
  ``+-`` for ±, decimal comma. A letter ``O`` for Ø (``O25 H7``) only when a fit or tolerance follows, so a
  bare ``O25`` stays None. Not accepted: ``0 25``, numbers with a leading zero (``025``: a misread Ø or an ID,
  we do not guess), nominal 0, negative nominals, deviations as large as the nominal (``10-12`` is a range or
  a sheet number, not 10 with -12), whole-number deviations over a tenth of the nominal or standing alone
  (``13-6``, ``5±3``; ``1200 ±1`` is fine), fits outside grades 4-16 (``8052A3`` is a part number), and
  minutes without degrees (``30'`` reads as feet on US drawings).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from . import iso286, iso2768

__all__ = ["ParsedDimension", "parse_dimension", "looks_like_dimension", "with_general_tolerance"]

Kind = Literal["linear", "diameter", "radius", "angle", "thread", "chamfer", "other"]
_CONTRACT_FIELDS = ("text", "kind", "nominal", "unit", "upper_deviation", "lower_deviation", "fit", "count",
                    "pitch", "tolerance_source")


@dataclass(frozen=True, slots=True)
class ParsedDimension:
    """One parsed dimension. Lengths in ``unit`` (mm/in), angles in degrees; deviations relative to nominal.

    The first ten fields are those of ``docpipe.types.Dimension``; ``reference``, ``depth``, ``thread_class``
    and ``qualifiers`` are extras (use ``contract_fields()`` or ``to_dimension()`` to build the contract model).
    """

    text: str
    kind: Kind
    nominal: float | None = None
    unit: str | None = None
    upper_deviation: float | None = None
    lower_deviation: float | None = None
    fit: str | None = None
    count: int = 1
    pitch: float | None = None
    tolerance_source: Literal["drawing", "fit", "general"] | None = None
    reference: bool = False
    depth: float | None = None  # hole/thread depth from ↧6, DP 6, 6 DEEP (same unit)
    thread_class: str | None = None  # ISO 965 class such as "6H" or "6g", or "2A" for UNC
    qualifiers: tuple[str, ...] = ()  # THRU, MAX, MIN, TYP, BASIC, SQUARE, SPHERICAL, COUNTERBORE, LIMITS, ...

    def contract_fields(self) -> dict[str, Any]:
        """The fields ``docpipe.types.Dimension`` shares with this parse."""
        return {k: getattr(self, k) for k in _CONTRACT_FIELDS}

    def to_dimension(self, *, page: int, bbox: tuple[int, int, int, int], confidence: float, angle: float = 0.0):
        """Build the contract model ``docpipe.types.Dimension`` with the grounding the parser cannot know."""
        from docpipe.types import Dimension  # local import: the parser itself needs no pydantic

        return Dimension(**self.contract_fields(), page=page, bbox=bbox, angle=angle, confidence=confidence)


# --- normalisation --------------------------------------------------------------------------------------

_TRANS = str.maketrans({
    "ø": "Ø", "⌀": "Ø", "∅": "Ø", "Φ": "Ø", "φ": "Ø", "ϕ": "Ø",
    "º": "°", "˚": "°",
    "−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-", "‒": "-",
    "×": "x",
    "′": "'", "’": "'", "‘": "'", "´": "'",
    "″": '"', "“": '"', "”": '"',
    "☐": "□", "◻": "□", "⬜": "□",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
})


def _normalize(s: str) -> str:
    s = " ".join(s.translate(_TRANS).split())
    # Tesseract reads a Ø in front of a size as '@' ('@30 H8'); no dimension otherwise has an '@'.
    s = re.sub(r"(?:(?<=^)|(?<=[\sxX]))@(?=\s?\d)", "Ø", s)
    s = s.replace("''", '"')
    s = re.sub(r"\+\s*/\s*-|\+\s*-(?=\s*[\d.])", "±", s)  # "+/-0.1", "+-0.1" are how OCR and ASCII write ±
    s = re.sub(r"(?<=[±+\-/ ]),(?=\d)", ".", s)  # "±,005" as "±.005"
    return re.sub(r"(?<=\d),(?=\d)", ".", s)  # decimal comma (European drawings)


# --- building blocks --------------------------------------------------------------------------------------

# No leading zeros ("025", "-03"): they are IDs, dates or a misread Ø, and rejecting them keeps dates out.
NUM = r"(?:(?:0|[1-9]\d*)(?:\.\d+)?|\.\d+)"
_ANG = rf"(?:{NUM}\s*°(?:\s*{NUM}\s*')?(?:\s*{NUM}\s*\")?|{NUM}\s*'(?:\s*{NUM}\s*\")?|{NUM}\s*\"|{NUM})"
_ZERO = r"0(?:\.0*)?"
_CLS = r"\d[A-Ha-h](?:\d[A-Ha-h])?"  # ISO 965 thread tolerance class: 6H, 6g, 5g6g


def _tol_re(val: str) -> re.Pattern[str]:
    return re.compile(
        rf"""\s*(?P<open>\()?\s*(?:
            ±\s*(?P<pm>{val})
          | (?P<u>[+-]\s*{val}|{_ZERO})(?:\s*/?\s*(?P<l>[+-]\s*{val})|(?:\s*/\s*|\s+)(?P<l0>{_ZERO}))
          | (?P<one>[+-]\s*{val})
        )\s*(?P<close>\))?""",
        re.X,
    )


_TOL_LIN = _tol_re(NUM)
_TOL_ANG = _tol_re(_ANG)
# Grades 4-16 only: IT1-IT3 are gauge grades, and "8052A3" or "6U2" are part numbers, not fits.
_GRADE = r"(?:1[0-6]|[4-9])(?!\d)"
_FIT = re.compile(rf"\s*(?P<f1>[A-Za-z]{{1,2}}{_GRADE})(?:\s*/\s*(?P<f2>[A-Za-z]{{1,2}}{_GRADE}))?")
_LIMITS = re.compile(rf"(?P<a>{NUM})\s*[/-]\s*(?P<b>{NUM})")
_FRAC = re.compile(r"(?:(?P<w>[1-9]\d*)[\s-])?(?P<n>[1-9]\d*)/(?P<d>[1-9]\d*)")
_INCH_AFTER = re.compile(r"\s*(?:\"|in\b|inch\b)")
_VALUE = re.compile(NUM)
_UNIT_AFTER = re.compile(r"\s*(?P<u>mm\b|\")")
# Capital M only: a lowercase m beside digits is more often a stray "mm" than a thread.
_THREAD = re.compile(rf"M\s*(?P<d>{NUM})(?:\s*[xX]\s*(?P<p>{NUM}))?(?:(?:\s*-\s*|\s+)(?P<c>{_CLS}(?:\s*/\s*{_CLS})?))?$")
_MAX_THREAD_MM = 300.0  # ISO 261 ends at M300
_UNIFIED = re.compile(rf"(?:(?P<w>[1-9]\d*)[\s-])?(?:(?P<n>[1-9]\d*)/(?P<d>[1-9]\d*)|(?P<dec>{NUM}))\"?\s*-\s*"
                      r"(?P<tpi>[1-9]\d{0,2})\s*(?P<s>UNC|UNF|UNEF|UNS|UN)(?:\s*-\s*(?P<c>[1-3][AB]))?$", re.I)
_CHAMFER = re.compile(rf"(?:(?P<a>{NUM})\s*x\s*(?P<ang>{NUM})\s*°|(?P<ang2>{NUM})\s*°\s*x\s*(?P<a2>{NUM}))$", re.I)
_PREFIX = re.compile(r"(?P<p>SØ|SR|CR|Ø|R|□|C|O)\s*(?=[\d.])", re.I)
_PREFIX_KIND = {"SØ": ("diameter", "SPHERICAL"), "SR": ("radius", "SPHERICAL"), "CR": ("radius", "CONTROLLED"),
                "Ø": ("diameter", None), "R": ("radius", None), "□": ("linear", "SQUARE"), "C": ("chamfer", None),
                "O": ("diameter", None)}

# Trailing words, stripped one at a time from the end (order inside the alternation matters: MIN before in).
_SUFFIX = re.compile(
    r"""(?:
        (?<![A-Za-z])\s*(?P<word>THRU\s+ALL|THRU|THROUGH|MAX|MIN|TYP|REF|BSC|BASIC|EQS|EQ\s*SP)\.?
      | \s*(?:↧|(?<![A-Za-z])DP\.?|(?<![A-Za-z])DEPTH|(?<![A-Za-z])DEEP)\s*(?P<depth>""" + NUM + r""")
      | \s*(?:x\s*)?(?P<depth2>""" + NUM + r""")\s*(?:DP|DEEP)\.?
      | \s+(?:\((?P<count>[1-9]\d{0,2})\s*x\)|(?P<count2>[1-9]\d{0,2})\s*(?:PLCS?\.?|PLACES|HOLES?))
      | (?<![A-Za-z])\s*(?P<unit>mm|in\.?|inch|")
    )$""",
    re.X | re.I,
)
_QUALIFIER_WORD = {"THROUGH": "THRU", "BSC": "BASIC", "EQ SP": "EQS", "THRU ALL": "THRU"}

# ISO 261 coarse pitches (mm) for M1-M64.
_COARSE_PITCH = {1: 0.25, 1.2: 0.25, 1.4: 0.3, 1.6: 0.35, 2: 0.4, 2.5: 0.45, 3: 0.5, 3.5: 0.6, 4: 0.7, 5: 0.8,
                 6: 1.0, 7: 1.0, 8: 1.25, 10: 1.5, 12: 1.75, 14: 2.0, 16: 2.0, 18: 2.5, 20: 2.5, 22: 2.5, 24: 3.0,
                 27: 3.0, 30: 3.5, 33: 3.5, 36: 4.0, 39: 4.0, 42: 4.5, 45: 4.5, 48: 5.0, 52: 5.0, 56: 5.5,
                 60: 5.5, 64: 6.0}

_MAX_LEN = 80
_MAX_CHAMFER_MM = 100.0
_MAX_NOMINAL = 100_000.0  # mm; larger numbers are IDs, not sizes


class _NoParse(Exception):
    """Internal: the string is not a dimension."""


def _deg(s: str) -> float:
    """An angle value such as ``12°30'`` or ``30'`` in decimal degrees (a bare number is degrees)."""
    div = {"°": 1.0, "": 1.0, "'": 60.0, '"': 3600.0}
    return sum(float(n) / div[u] for n, u in re.findall(rf"({NUM})\s*([°'\"]?)", s))


def _signed(s: str, conv) -> float:
    s = s.replace(" ", "")
    if s.startswith(("+", "-")):
        v = conv(s[1:])
        return -v if s[0] == "-" else v
    return conv(s)


def _decimals(s: str) -> int:
    return len(s.split(".")[1].rstrip("0")) if "." in s else 0


# --- the parser -------------------------------------------------------------------------------------------


def parse_dimension(text: str) -> ParsedDimension | None:
    """Parse one dimension string; None if it is not one. Never raises (see the module docstring)."""
    if not isinstance(text, str):
        return None
    raw = text.strip()
    if not raw or len(raw) > _MAX_LEN or not any(c.isdigit() for c in raw):
        return None
    try:
        return _parse(raw)
    except (_NoParse, ValueError, ArithmeticError):
        return None


_ANY_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-](\d{2}|\d{4})")


def _parse(raw: str) -> ParsedDimension:
    s = _normalize(raw)
    if _ANY_DATE.fullmatch(s):  # '2020-10-23' is a date in a revision table, not 2020 -10/-23
        raise _NoParse
    reference = False
    if s.startswith("(") and s.endswith(")") and s.count("(") == 1 and s.count(")") == 1:
        reference, s = True, s[1:-1].strip()
    m = re.match(r"([1-9]\d{0,2})X\s+(?=\S)", s)  # ASME count "2X 45°": counts first
    if m:
        fields = _body(s[m.end():])
        fields["count"] = fields.get("count", 1) * int(m.group(1))
    else:
        try:
            fields = _body(s)
        except _NoParse:
            m = re.match(r"([1-9]\d{0,2})\s*(?:x|-(?=\s*Ø))\s*", s, re.I)
            rest = s[m.end():] if m else ""
            # Outside the ASME form a count needs a feature symbol or a chamfer after it ("4xØ6", "6 x M6",
            # "2x 1x45°"):
            # "100 x 50" or "10x10" is a size pair from a parts list, not 100 places of 50.
            if not m or not rest or (rest[0] not in "ØRSM□⌴⌵C(O" and not _CHAMFER.match(rest)):
                raise
            fields = _body(rest)
            fields["count"] = fields.get("count", 1) * int(m.group(1))
    fields["reference"] = reference or fields.get("reference", False)
    fields["qualifiers"] = tuple(dict.fromkeys(fields.get("qualifiers", ())))  # keep order, drop repeats
    return ParsedDimension(text=raw, **fields)


def _body(s: str) -> dict[str, Any]:
    """Parse one feature (count prefix already removed) into ParsedDimension keyword arguments."""
    q: list[str] = []
    f: dict[str, Any] = {"qualifiers": q}
    # A second feature in a hole callout ("Ø6.6 THRU ⌴Ø11 ↧6"): must parse, kept as a qualifier.
    idx = min((i for i in (s.find("⌴", 1), s.find("⌵", 1)) if i > 0), default=-1)
    if idx > 0:
        _body(s[idx:])
        q.append("COUNTERBORE" if s[idx] == "⌴" else "COUNTERSINK")
        q.append(s[idx:])
        s = s[:idx].strip()
    seconds_mark = "°" in s or "'" in s  # then '"' is arc seconds, not inch
    while True:
        m = _SUFFIX.search(s)
        if not m or m.start() == 0 or (m.group("unit") == '"' and seconds_mark):
            break
        if m.group("word"):
            word = " ".join(m.group("word").upper().split())
            q.insert(0, _QUALIFIER_WORD.get(word, word))
        elif m.group("depth") or m.group("depth2"):
            f["depth"] = float(m.group("depth") or m.group("depth2"))
        elif m.group("count") or m.group("count2"):
            f["count"] = int(m.group("count") or m.group("count2"))
        else:
            f["unit"] = "mm" if m.group("unit").lower() == "mm" else "in"
        s = s[: m.start()].rstrip()
    if s[:1] in ("⌴", "⌵"):
        q.insert(0, "COUNTERBORE" if s[0] == "⌴" else "COUNTERSINK")
        s = s[1:].lstrip()
        if q[0] == "COUNTERSINK":  # "⌵Ø12 x 90°": the countersink angle
            m = re.search(rf"\s*x\s*({NUM})\s*°$", s, re.I)
            if m:
                q.append(f"{float(m.group(1)):g}°")
                s = s[: m.start()]
        if not s.startswith("Ø"):
            raise _NoParse
    result = _feature(s, f)
    if "MAX" in q and result.get("upper_deviation") is None and result.get("lower_deviation") is None:
        result.update(upper_deviation=0.0, tolerance_source="drawing")
    elif "MIN" in q and result.get("upper_deviation") is None and result.get("lower_deviation") is None:
        result.update(lower_deviation=0.0, tolerance_source="drawing")
    if "REF" in q:
        result["reference"] = True
    return result


def _feature(s: str, f: dict[str, Any]) -> dict[str, Any]:
    q = f["qualifiers"]
    m = _CHAMFER.match(s)
    if m:
        a, ang = (m.group("a"), m.group("ang")) if m.group("a") else (m.group("a2"), m.group("ang2"))
        if not 0 < float(ang) < 90:
            raise _NoParse
        q.append(f"{float(ang):g}°")
        return _finish(f, kind="chamfer", nominal=float(a), unit=f.get("unit") or "mm")
    m = _THREAD.match(s)
    if m:
        d = float(m.group("d"))
        pitch = float(m.group("p")) if m.group("p") else _COARSE_PITCH.get(d)
        if (pitch is not None and not 0 < pitch < d / 2) or d > _MAX_THREAD_MM:
            raise _NoParse  # "M8x20" is a screw length
        cls = m.group("c").replace(" ", "") if m.group("c") else None
        if f.get("unit") == "in":
            raise _NoParse  # an ISO metric thread in inches is a misread
        return _finish(f, kind="thread", nominal=d, unit=f.get("unit") or "mm", pitch=pitch, thread_class=cls)
    m = _UNIFIED.match(s)
    if m:
        d = float(m.group("dec")) if m.group("dec") else (int(m.group("w") or 0) + int(m.group("n")) / int(m.group("d")))
        return _finish(f, kind="thread", nominal=d, unit="in", pitch=round(1 / int(m.group("tpi")), 6),
                       thread_class=m.group("c").upper() if m.group("c") else None, extra=m.group("s").upper())
    if "°" in s:  # minutes alone ("30'") are not accepted: on US drawings that reads as feet
        return _angle(s, f)

    kind, pos, ocr_o = "linear", 0, False
    m = _PREFIX.match(s)
    if m:
        p = m.group("p")
        p = "SØ" if p.upper() == "SØ" else p.upper() if p.upper() in ("SR", "CR", "O") else p
        if p not in _PREFIX_KIND:  # lowercase c/r: not accepted as symbols
            raise _NoParse
        kind, qual = _PREFIX_KIND[p]
        if qual:
            q.append(qual)
        ocr_o, pos = p == "O", m.end()
    out: dict[str, Any] = {"kind": kind, "unit": f.get("unit")}

    # the value: limits, an inch fraction, or a number
    m = _LIMITS.match(s, pos)
    if m and "." in m.group("a") and "." in m.group("b") and _close(m.group("a"), m.group("b")):
        a, b = m.group("a"), m.group("b")
        lo, hi = sorted((a, b), key=float)
        nom = hi if _decimals(hi) < _decimals(lo) else lo
        out.update(nominal=float(nom), upper_deviation=round(float(hi) - float(nom), 6) + 0.0,
                   lower_deviation=round(float(lo) - float(nom), 6) + 0.0, tolerance_source="drawing")
        q.append("LIMITS")
    elif (m := _FRAC.match(s, pos)) and (f.get("unit") == "in" or _INCH_AFTER.match(s, m.end())):
        # a fraction only with an inch mark: a bare "1/2" is a sheet number
        out.update(nominal=int(m.group("w") or 0) + int(m.group("n")) / int(m.group("d")), unit="in")
    elif m := _VALUE.match(s, pos):
        out["nominal"] = float(m.group())
    else:
        raise _NoParse
    pos = m.end()
    if mu := _UNIT_AFTER.match(s, pos):
        out["unit"], pos = ("mm" if mu.group("u") == "mm" else "in"), mu.end()

    if "LIMITS" not in q and (mf := _FIT.match(s, pos)):
        fit = _check_fit(mf.group("f1"), mf.group("f2"))
        if fit:
            out["fit"], pos = fit, mf.end()
            try:
                if out.get("unit") == "in":
                    raise ValueError("ISO 286 is metric; inch fits follow ANSI B4.1")
                up, lo = iso286.fit_deviations(out["nominal"], mf.group("f1"))
            except ValueError:
                pass  # an unsupported class keeps its name; deviations stay unknown
            else:
                out.update(upper_deviation=up, lower_deviation=lo, tolerance_source="fit")
    if "LIMITS" not in q:
        pos = _tolerance(s, pos, out, _TOL_LIN, float)
    if pos != len(s):
        raise _NoParse
    if ocr_o and not out.get("fit") and out.get("upper_deviation") is None and out.get("lower_deviation") is None:
        raise _NoParse  # a bare "O25" is not evidence enough for Ø
    out["unit"] = out.get("unit") or "mm"
    nominal = out.pop("nominal")
    return _finish(f, nominal=nominal, **out)


def _close(a: str, b: str) -> bool:
    fa, fb = float(a), float(b)
    return fa != fb and abs(fa - fb) <= 0.1 * max(fa, fb)


def _check_fit(f1: str, f2: str | None) -> str | None:
    """The fit text if the letters are ISO 286 positions ("H7", "js6", "H7/g6"), else None."""
    def ok(c: str) -> bool:
        letters = c.rstrip("0123456789")
        if letters in ("a", "b", "A", "B") and not 9 <= int(c[len(letters):]) <= 13:
            return False  # a/b exist for coarse grades only
        # x/X would read "10x10" as 10 with fit x10: the multiplication sign wins over a position no one uses
        return letters not in ("x", "X") and (letters in iso286.ISO_POSITIONS_HOLE
                                              or letters in iso286.ISO_POSITIONS_SHAFT)
    if not ok(f1) or (f2 and not (ok(f2) and f1[0].isupper() and f2[0].islower())):
        return None
    return f"{f1}/{f2}" if f2 else f1


def _tolerance(s: str, pos: int, out: dict[str, Any], rx: re.Pattern[str], conv) -> int:
    """Match printed deviations at ``pos``; they override fit deviations. Returns the new position."""
    m = rx.match(s, pos)
    if not m or bool(m.group("open")) != bool(m.group("close")):
        return pos
    if m.group("pm"):
        t = conv(m.group("pm"))
        up, lo = t, -t
        if t == 0:
            raise _NoParse
    elif m.group("u"):
        up, lo = _signed(m.group("u"), conv), _signed(m.group("l") or m.group("l0"), conv)
        if up == lo == 0 or up == lo:
            raise _NoParse
        up, lo = max(up, lo), min(up, lo)  # OCR may read stacked deviations bottom-up
    else:
        v = _signed(m.group("one"), conv)
        up, lo = (v, None) if m.group("one").lstrip().startswith("+") else (None, v)
    if conv is float and "nominal" in out:
        tokens = [g for g in (m.group("pm"), m.group("u"), m.group("l"), m.group("l0"), m.group("one")) if g]
        ints = [abs(_signed(t, float)) for t in tokens if "." not in t and _signed(t, float) != 0]
        if ints and (m.group("one") or max(ints) > out["nominal"] / 10):
            raise _NoParse  # "13-6", "5±3": an ID or a range; real whole-number deviations are small ("1200 ±1")
        if m.group("one") and abs(_signed(m.group("one"), float)) > out["nominal"] / 10:
            raise _NoParse  # a lone deviation is already unusual; a large one ("9+2.7") is not a tolerance
    elif m.group("one") and not re.search(r"[°']", m.group("one")):
        raise _NoParse  # a lone angular deviation needs its unit: "2°-34" is not 2° with -34°
    out.update(upper_deviation=up if up is None else up + 0.0, lower_deviation=lo if lo is None else lo + 0.0,
               tolerance_source="drawing")
    return m.end()


def _angle(s: str, f: dict[str, Any]) -> dict[str, Any]:
    m = re.match(_ANG, s)
    if not m or not m.group().strip():
        raise _NoParse
    out: dict[str, Any] = {"kind": "angle", "unit": "deg"}
    nominal = _deg(m.group())
    pos = _tolerance(s, m.end(), out, _TOL_ANG, _deg)
    if pos != len(s) or nominal > 360:
        raise _NoParse
    return _finish(f, nominal=round(nominal, 6), **out)


def _finish(f: dict[str, Any], *, kind: str, nominal: float, extra: str | None = None, **kw: Any) -> dict[str, Any]:
    """Sanity checks shared by all kinds, then the ParsedDimension keyword arguments."""
    if not math.isfinite(nominal) or nominal > _MAX_NOMINAL or (nominal <= 0 and kind != "angle"):
        raise _NoParse
    up, lo = kw.get("upper_deviation"), kw.get("lower_deviation")
    for dev in (up, lo):
        # "10-12" or "1-2-25" is a range, a page or a date, not 10 with a deviation of -12
        if dev is not None and (abs(dev) > 45 if kind == "angle" else abs(dev) >= nominal):
            raise _NoParse
    if up is not None and lo is not None and up < lo:
        raise _NoParse
    if kind == "chamfer" and nominal > _MAX_CHAMFER_MM:
        raise _NoParse  # "C4260" is a code
    if kw.get("fit") and kind not in ("linear", "diameter"):
        raise _NoParse  # "R8S7", "C3C6": fits apply to sizes of features, not radii or chamfers
    if f.get("depth") is not None and (kind not in ("diameter", "thread") or f["depth"] <= 0):
        raise _NoParse  # a depth belongs to a hole or a thread
    if extra:
        f["qualifiers"].append(extra)
    res = {k: v for k, v in f.items() if k not in ("unit",)}
    res.update(kw, kind=kind, nominal=nominal)
    res.setdefault("unit", f.get("unit"))
    return res


def with_general_tolerance(p: ParsedDimension, tol_class: str) -> ParsedDimension:
    """Fill untoleranced mm sizes with their ISO 2768-1 tolerance (``tolerance_source="general"``).

    Leaves unchanged: anything already toleranced (incl. MAX/MIN), reference dimensions, threads, angles (which
    need the leg length: use ``iso2768.general_tolerance(leg, cls, "angle")``), inch sizes, sizes below 0.5 mm.
    """
    if (p.upper_deviation is not None or p.lower_deviation is not None or p.reference or p.unit != "mm"
            or p.kind not in ("linear", "diameter", "radius", "chamfer") or p.nominal is None):
        return p
    try:
        t = iso2768.general_tolerance(p.nominal, tol_class, p.kind)
    except ValueError:
        return p
    return replace(p, upper_deviation=t, lower_deviation=-t, tolerance_source="general")


# --- the pre-filter ---------------------------------------------------------------------------------------

_ALLOWED_WORDS = frozenset(
    "THRU THROUGH ALL MAX MIN TYP REF BSC BASIC EQS DEEP DEPTH PLC PLCS PLACES HOLE HOLES UNC UNF UNEF UNS "
    "INCH".split()
)
_DATE = re.compile(r"\d{1,2}([./])\d{1,2}\1\d{2,4}")


def looks_like_dimension(text: str) -> bool:
    """Cheap test whether an OCR word or line could be (part of) a dimension; permissive by design.

    True for anything ``parse_dimension`` accepts; False for text without digits, dates (``14.03.2025``) and
    text with words other than the few a dimension carries (THRU, MAX, DEEP, ...).
    """
    t = text.strip()
    if not t or len(t) > _MAX_LEN or not any(c.isdigit() for c in t) or _DATE.fullmatch(t):
        return False
    return all(w.upper() in _ALLOWED_WORDS for w in re.findall(r"[A-Za-z]{3,}", t))
