"""From OCR text to a dimension: undo the confusions Tesseract makes on dimension text, then parse.

Tesseract's LSTM models (eng, deu, fra, nld) have no ``Ø`` and no ``±`` in their character sets (checked in
their ``lstm-unicharset``), so on a drawing a diameter sign always comes back as something else (``0``, ``O``,
``D``, ``@``, ``P``, ``Q``) and ``±`` mostly as ``+``. :func:`read_dimension` parses the text as read and, when
that fails, a repaired reading; the repairs only ever apply to strings in dimension position (the caller decides
that) and only count when the repaired string parses. The examples below are made up; each rule serves the
class it names:

- a diameter sign read as a letter or a leading zero: ``024 H7`` -> ``Ø24 H7``, ``O36`` -> ``Ø36``,
  ``D 14,2`` -> ``Ø14,2``, ``3x P—8,4`` -> ``3x Ø8,4`` (the bowl of the sign read as a round letter, its stroke
  sometimes as a dash); a decimal ``0,8``/``0.5`` is never touched;
- ``O`` for zero beside digits (``RO,4`` -> ``R0,4``), ``i``/``l``/``I``/``|`` for one between digits, after a
  diameter/radius sign or after a decimal separator (``Øi2`` -> ``Ø12``, ``R0,l`` -> ``R0,1``);
- a bracket without its partner is dropped (``18,5)`` -> ``18,5``: a leader line through a reference size);
- ``±`` read as a glyph that is never a sign of its own between a size and its value: ``£`` (``14.2 £0.1``), or
  ``+4`` before ``0.x`` (``14.2+40.1``: no ISO 286 grade reaches a 40 mm deviation, so the ``4`` is the
  ``±``'s lower bar) -> ``14.2 ±0.1``.

A lone ``+t`` after a size (no lower deviation read) is kept as the one-sided deviation it reads as (upper +t,
lower not read), with one exception. ISO 14405-1 (after ISO 406) and ASME Y14.5 write an equal bilateral tolerance
once, in line with the size (``14.2±0.1``), and a unilateral one as two deviations, the zero one as ``0``, stacked
after the size in smaller characters (``14.2`` then ``+0.1`` over ``0``). So a ``+t`` is either a ``±`` that
Tesseract cannot read, or the upper half of a stack whose ``0`` was not read (:mod:`docpipe.structure.stacks`
looks for it), or a one-sided tolerance a drawing wrote short; the text alone cannot tell them apart, and the
one-sided reading is the one that never claims more than was printed. It becomes ``±t`` only on positive evidence
that the sign was set in line with the size, as the ± form is and a stack never is:

- the sign glued to the size (``14.2+0.1``, one OCR word): a stacked deviation is set after a gap, so OCR reads
  it as a word of its own (in 16 rendered stacks it never put the ``+`` into the size's word);
- when the caller passes the words with their boxes, a ``+t`` word as tall as the size's word (at least
  :data:`IN_LINE_HEIGHT` of it) with its centre on the size's centre line (within :data:`IN_LINE_OFFSET` of the
  size's height): a stacked deviation is either smaller than the size or, at full height, half a line above
  its centre. The same test as :mod:`docpipe.structure.stacks` uses to tell "beside" from "stacked", a little
  stricter, since this one adds a deviation that was not read.

Probe behind these rules (synthetic, Tesseract 5.3 ``eng``; DejaVu Sans, Liberation Sans and their mono and
narrow cuts at 24-44 px; 100 random ``[Ø]<size>[ ]±<t>`` strings, read alike with ``--psm 6`` and ``11``): ``±``
came back as ``+`` in 91, as ``4`` in 2, as ``+4`` in 1 (6 misread the size or the value); a glued ``±`` stayed
glued in all 44 readings, a spaced one spaced in all 50. 120 more with ``--psm 7`` also gave ``£`` (3) and ``+£``
(1), and the ``+t`` word had the confidence of any clean word (88-92), so confidence is no evidence. ``4`` alone
is not repaired: ``14.2 40.1`` may as well be two sizes side by side.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .dimensions import ParsedDimension, looks_like_dimension, parse_dimension
from ..types import Word

__all__ = ["read_dimension", "repair_ocr_text"]

IN_LINE_HEIGHT = 0.8  # a '+t' word at least this share of the size word's height ...
IN_LINE_OFFSET = 0.2  # ... whose centre is within this share of that height from the size's centre: in line

# A diameter sign misread: a letter (with an optional dash or space after it), or a zero glued to a size.
_DIA_LETTER = re.compile(r"(?:(?<=^)|(?<=[\sxX]))(?:[OoDQP@][—–-]?\s?(?=[1-9ilI|]|0[.,]\d)|0(?=[1-9]))")
_O_ZERO = re.compile(r"(?<=[\dR.,+\-±£])[Oo](?=[\d.,])|(?<=\d[.,])[Oo]")
_I_ONE = re.compile(r"(?<=[\dØR])[ilI|](?=[\d.,])|(?<=[\d.,])[ilI|](?=\d)|(?<=\d[.,])[ilI|]")
# A '±' read as '£' or '+£' (after a size, before its value), or as '+4' before '0.x' / '0,x'.
_PM_GLYPH = re.compile(r"(?<=\d)(\s*)(?:\+?£\s*|\+4(?=0[.,]\d))")
# A lone '+t' after the size (glued to it, or its own word): a '±' when set in line (see the module docstring).
_LONE_PLUS = re.compile(r"^(?P<size>[^+\-±]*\d)(?P<gap>\s*)\+(?P<t>\d*[.,]?\d+)$")


def repair_ocr_text(text: str) -> str:
    """The usual OCR confusions on dimension text undone (see the module docstring); spaces kept."""
    s = text.strip()
    # a bracket whose partner was not read (a leader line through "(14,2)"): the size is still good
    if s.endswith(")") and "(" not in s:
        s = s[:-1]
    elif s.startswith("(") and ")" not in s:
        s = s[1:]
    s = _DIA_LETTER.sub("Ø", s, count=1)
    for _ in range(2):  # each repair gives the other the digit it looks for ('RO,l')
        s = _O_ZERO.sub("0", _I_ONE.sub("1", s))
    return _PM_GLYPH.sub(lambda m: f"{m.group(1)}±", s, count=1)


def _plus_to_pm(text: str, words: Sequence[Word] | None, angle: float) -> str | None:
    """``text`` with its lone '+t' read as '±t' where the module docstring's evidence holds, else None."""
    m = _LONE_PLUS.match(text.strip())
    if not m or (m.group("gap") and not _in_line(words, angle)):
        return None
    return f"{m.group('size')}{m.group('gap')}±{m.group('t')}"


def _in_line(words: Sequence[Word] | None, angle: float) -> bool:
    """Whether the last word (the '+t') is set in line with the word before it (the size), by their boxes in the
    text's own frame (text at 90 degrees reads bottom to top: its height runs along the page's x)."""
    if not words or len(words) < 2 or not words[-1].text.startswith("+") or round(angle) not in (0, 90):
        return False  # (slanted text has page boxes that do not follow its lines)

    def across(w: Word) -> tuple[float, float]:
        x0, y0, x1, y1 = w.bbox
        return (x0, x1) if round(angle) == 90 else (y0, y1)

    (s0, s1), (d0, d1) = across(words[-2]), across(words[-1])
    h = max(1.0, s1 - s0)
    return d1 - d0 >= IN_LINE_HEIGHT * h and abs((d0 + d1) / 2 - (s0 + s1) / 2) <= IN_LINE_OFFSET * h


def read_dimension(text: str, words: Sequence[Word] | None = None, angle: float = 0.0) -> ParsedDimension | None:
    """Parse OCR ``text`` as a dimension, repairing OCR confusions where needed. The result's ``text`` is the
    reading that parsed (repaired where a repair was needed); None when neither parses. ``words`` (the OCR words
    ``text`` joins, with their boxes) and ``angle`` (their line's) let a spaced '+t' count as '±t' when the boxes
    show it set in line with the size (see the module docstring)."""
    if not looks_like_dimension(text) and not looks_like_dimension(repair_ocr_text(text)):
        return None
    # The repaired reading first: the repairs only touch what cannot parse as read, except a Ø read as
    # '@' or 'O' before a fit, which parses either way and reads better repaired.
    for candidate in dict.fromkeys((repair_ocr_text(text), text)):
        parsed = parse_dimension(candidate)
        if parsed is None:
            continue
        if parsed.upper_deviation is not None and parsed.lower_deviation is None and "MAX" not in parsed.qualifiers:
            pm = _plus_to_pm(candidate, words, angle)
            if pm and (better := parse_dimension(pm)) is not None:
                return better
        return parsed
    return None
