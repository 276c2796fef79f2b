"""Level (elevation) marks of building plans: ``±0.00``, ``+2.80``, ``-0.15``, ``OKFF +0.00``, in metres.

Serves floor plans and sections of the European kind, which print floor and sill levels as signed metres
beside a triangle. The sign is what tells a level from a metre dimension (``3.60``): without one, None.
OCR reads ``±`` as ``+``, ``£`` or ``+-``; those are accepted.
"""

from __future__ import annotations

import re

__all__ = ["parse_level"]

_LEVEL = re.compile(r"^(?:(?:OKFF|OKRD|OKFB|FFL|FFB|NGF|NIV\.?|PEIL|P)\s?[:=]?\s?)?(±|\+/-|\+-|£|\+|-|−|–)\s?"
                    r"(\d{1,3})[.,](\d{2,3})\s?(?:m)?$", re.I)


def parse_level(text: str) -> float | None:
    """The elevation in metres printed as ``text``, or None."""
    m = _LEVEL.match(text.strip())
    if not m:
        return None
    value = float(f"{m[2]}.{m[3]}")
    if m[1] in ("-", "−", "–"):
        return -value
    if m[1] in ("±", "+/-", "+-", "£") and value != 0:
        return None  # ± goes with zero only
    return value
