"""Document type (invoice | receipt | drawing | other) from text and layout features. Interim, rule-based.

Scores keyword evidence in EN/DE/FR/NL plus layout cues: receipts are narrow pages; drawings have sparse,
short, number-heavy text, a landscape sheet and title-block vocabulary. Returns the type and a 0-1 margin.
"""

from __future__ import annotations

import re

from .drawing.dimensions import looks_like_dimension, parse_dimension
from .types import DocType, Page

_INVOICE = re.compile(
    r"\b(invoice|tax invoice|rechnung|rechnungsnummer|facture|factuur|faktura|bill to|invoice to|amount due|"
    r"balance due|due date|fällig|échéance|vervaldatum|iban|bic|vat|mwst|ust-?id|tva|btw|subtotal|"
    r"zwischensumme|sous-total|subtotaal|net amount|nettobetrag|total ht|ttc|payment terms|"
    r"zahlungsbedingungen|betalingsvoorwaarden|total|totaal|gesamtbetrag)\b", re.I)
_RECEIPT = re.compile(
    r"\b(receipt|cash|change|tender|thank you|thanks|visa|mastercard|card|cashier|till|quittung|kassenbon|"
    r"bon|ticket|reçu|kassabon|bedankt|merci|danke|gst|sst|rounding|qty)\b", re.I)
_DRAWING = re.compile(
    r"\b(scale|drawn|checked|approved|material|sheet|rev|revision|tolerances?|iso\s*2768|dwg|drawing no|"
    r"massstab|maßstab|werkstoff|blatt|gezeichnet|geprüft|allgemeintoleranzen?|échelle|matière|feuille|"
    r"schaal|materiaal|blad|tekening|third angle|first angle|projection|deburr|chamfer|finish|thru)\b", re.I)


def classify(pages: list[Page]) -> tuple[DocType, float]:
    """The document type and a confidence margin (0-1) from the read pages."""
    text = "\n".join(ln.text for p in pages for ln in p.lines)
    words = [w for p in pages for ln in p.lines for w in ln.words]
    if len(words) < 5:
        return "other", 0.5
    first = pages[0]
    inv = len(_INVOICE.findall(text))
    rec = len(_RECEIPT.findall(text))
    drw = len(_DRAWING.findall(text))
    dims = sum(1 for w in words if _specific_dimension(w.text))
    ink_words_per_mpx = len(words) / max(1.0, first.width * first.height / 1e6)
    # Till rolls are 58-80 mm wide; a phone photo of one is at least taller than wide and narrow in pixels.
    narrow = first.width / first.dpi < 4.0 or first.width / first.height < 0.5
    landscape = first.width > first.height * 1.15

    scores: dict[DocType, float] = {
        "invoice": 2.0 * inv,
        "receipt": 1.5 * rec + (6.0 if narrow else 0.0) + (0.5 * inv if narrow else 0.0),
        # Numbers alone do not make a drawing (invoices are full of them): the sheet format and dimension
        # counts only add to drawing vocabulary or to many dimension-like strings.
        "drawing": 2.0 * drw + ((0.7 * min(dims, 30) + (3.0 if landscape else 0.0)) if drw or dims >= 4 else 0.0)
        - (4.0 if ink_words_per_mpx > 60 and not landscape else 0.0),
        "other": 4.0,
    }
    best = max(scores, key=lambda k: scores[k])
    ordered = sorted(scores.values(), reverse=True)
    margin = (ordered[0] - ordered[1]) / max(ordered[0], 1e-9)
    return best, round(min(1.0, 0.5 + margin / 2), 3)


def _specific_dimension(text: str) -> bool:
    """A dimension no invoice or letter prints: a diameter, radius, fit, thread, chamfer or a toleranced size
    (plain numbers are everywhere)."""
    if not looks_like_dimension(text):
        return False
    p = parse_dimension(text)
    return p is not None and (p.kind not in ("linear", "other") or p.fit is not None
                              or p.upper_deviation is not None or p.lower_deviation is not None)
