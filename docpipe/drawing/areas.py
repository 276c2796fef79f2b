"""Room labels of building plans: a room name with the area printed with it.

Serves floor plans in English, German, French and Dutch (``Living room 24.5 m²``, ``Wohnen 24,50 m²``,
``Séjour 18,20 m²``, ``Woonkamer 22,0 m2``) and imperial sheets (``245 SF``, ``245 sq ft``): the area in square
metres (square feet converted). OCR reads ``m²`` as ``m2``, ``m?``, ``m*`` or ``m"``; those are accepted.
A name is kept only where it reads as words (letters, a trailing number), so a label in a script the OCR
is not set up for gives no invented name.
"""

from __future__ import annotations

import re

__all__ = ["parse_area", "room_name", "SQFT_M2"]

SQFT_M2 = 0.09290304
_AREA = re.compile(r"(?:^|(?<=\s)|(?<=[=:]))(?:A\s?[=:]\s?)?(\d{1,4}(?:[.,]\d{1,2})?)\s?"
                   r"(m²|m2|m\?|m\*|m\"|m³|qm|sq\.?\s?ft\.?|sqft|s\.?f\.?|ft²|ft2)(?=$|\s|[.,;)])", re.I)
_NAME = re.compile(r"^[^\W\d_][^\W\d_'’\-. ]*(?:[\s'’\-][^\W\d_][^\W\d_'’\-.]*)*(?:\s\d{1,2})?\.?$")


def parse_area(text: str) -> tuple[float, int, int] | None:
    """``(area in m², start, end)`` of the first area in ``text``; None when there is none."""
    m = _AREA.search(text)
    if not m:
        return None
    value = float(m[1].replace(",", "."))
    unit = m[2].lower().replace(".", "").replace(" ", "")
    if unit in ("sqft", "sf", "ft²", "ft2"):
        value = round(value * SQFT_M2, 2)
    if value <= 0 or value > 5000:
        return None
    return value, m.start(), m.end()


def room_name(text: str, confidence: float) -> str | None:
    """``text`` as a room name, or None when it does not read as one: words of letters (any Latin-script
    language), at most a number after them, three or more letters in all (two in capitals: ``WC``), no
    capital after small letters within a word (another script read as Latin letters: ``TpaneZapia``), and read
    with some confidence (an unreadable script comes back as low-confidence fragments)."""
    t = " ".join(text.split()).strip(" :-")
    letters = sum(c.isalpha() for c in t)
    if letters < (2 if t.isupper() else 3) or confidence < 0.55 or not _NAME.match(t) or len(t) > 40:
        return None
    if not all(c.isascii() or c in "äöüßÄÖÜéèêëàâîïôûùçÉÈÀÂÎÔÛÇœŒ’'" or not c.isalpha() for c in t):
        return None  # letters outside the Latin-script languages we read: an OCR guess at another script
    if re.search(r"[a-zäöüßéèêëàâîïôûùçœ][A-ZÄÖÜÉÈÀÂÎÔÛÇŒ]", t):
        return None  # a capital after small letters in a word ("KouZiva" for Κουζίνα): no room name's spelling
    return t
