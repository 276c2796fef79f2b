"""From OCR text to a dimension: undo the confusions Tesseract makes on dimension text, then parse.

Tesseract's LSTM models (eng, deu, fra, nld) have no ``Ø`` and no ``±`` in their character sets (checked in
their ``lstm-unicharset``), so on a drawing a diameter sign always comes back as something else (``0``, ``O``,
``D``, ``@``, ``P``, ``Q``) and ``±`` as ``+``. :func:`read_dimension` parses the text as read and, when that
fails, a repaired reading; the repairs only ever apply to strings in dimension position (the caller decides
that) and only count when the repaired string parses:

- a diameter sign read as a letter or a leading zero: ``038 H12`` -> ``Ø38 H12``, ``O42`` -> ``Ø42``,
  ``D 16,5`` -> ``Ø16,5``, ``2x P—19,9`` -> ``2x Ø19,9`` (a decimal ``0,8``/``0.5`` is never touched);
- ``O`` for zero beside digits (``RO,15`` -> ``R0,15``), ``i``/``l``/``I``/``|`` for one between digits or after a
  diameter/radius sign (``Øi5`` -> ``Ø15``);
- a bracket without its partner is dropped (``12,5)`` -> ``12,5``);
- a lone ``+t`` after a size (no lower deviation anywhere) is the visible half of ``±t``: ``70.50 +0.05`` ->
  ``70.50 ±0.05``. This one applies even when the text parses as read (as a one-sided tolerance), because a
  one-sided tolerance is printed stacked over a ``0``, and :mod:`docpipe.structure.drawing` joins stacks
  before it reads them.
"""

from __future__ import annotations

import re

from .dimensions import ParsedDimension, looks_like_dimension, parse_dimension

__all__ = ["read_dimension", "repair_ocr_text"]

# A diameter sign misread: a letter (with an optional dash or space after it), or a zero glued to a size.
_DIA_LETTER = re.compile(r"(?:(?<=^)|(?<=[\sxX]))(?:[OoDQP@][—–-]?\s?(?=[1-9ilI|]|0[.,]\d)|0(?=[1-9]))")
_O_ZERO = re.compile(r"(?<=[\dR.,+\-±])[Oo](?=[\d.,])|(?<=\d[.,])[Oo]")
_I_ONE = re.compile(r"(?<=[\dØR])[ilI|](?=[\d.,])|(?<=[\d.,])[ilI|](?=\d)")
_LONE_PLUS = re.compile(r"^(?P<size>[^+\-±]*\d)\s*\+\s*(?P<t>\d*[.,]?\d+)$")


def repair_ocr_text(text: str) -> str:
    """The usual OCR confusions on dimension text undone (see the module docstring); spaces kept."""
    s = text.strip()
    # a bracket whose partner was not read (a leader line through "(12,5)"): the size is still good
    if s.endswith(")") and "(" not in s:
        s = s[:-1]
    elif s.startswith("(") and ")" not in s:
        s = s[1:]
    s = _DIA_LETTER.sub("Ø", s, count=1)
    s = _I_ONE.sub("1", s)
    return _O_ZERO.sub("0", s)


def _plus_to_pm(text: str) -> str | None:
    m = _LONE_PLUS.match(text.strip())
    return f"{m.group('size')} ±{m.group('t')}" if m else None


def read_dimension(text: str) -> ParsedDimension | None:
    """Parse OCR ``text`` as a dimension, repairing OCR confusions where needed. The result's ``text`` is the
    reading that parsed (repaired where a repair was needed); None when neither parses."""
    if not looks_like_dimension(text) and not looks_like_dimension(repair_ocr_text(text)):
        return None
    # The repaired reading first: the repairs only touch what cannot parse as read, except a Ø read as
    # '@' or 'O' before a fit, which parses either way and reads better repaired.
    for candidate in dict.fromkeys((repair_ocr_text(text), text)):
        parsed = parse_dimension(candidate)
        if parsed is None:
            continue
        if parsed.upper_deviation is not None and parsed.lower_deviation is None and "MAX" not in parsed.qualifiers:
            pm = _plus_to_pm(candidate)
            if pm and (better := parse_dimension(pm)) is not None:
                return better
        return parsed
    return None
