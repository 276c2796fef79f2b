"""Document type (invoice | receipt | drawing | other) from text and layout features. Interim, rule-based.

Scores keyword evidence in EN/DE/FR/NL plus layout cues: receipts are narrow pages; drawings have sparse,
short, number-heavy text, a landscape sheet and title-block vocabulary. Returns the type and a 0-1 margin.
Building plans are drawings too, by their own evidence (:func:`plan_evidence`: room labels with areas, door
and window tags, level marks, plan titles), with or without a title block; :func:`discipline` tells them from
part drawings.
"""

from __future__ import annotations

import re

from .drawing.areas import parse_area
from .drawing.dimensions import looks_like_dimension, parse_dimension
from .drawing.levels import parse_level
from .drawing.plan_dimensions import parse_plan_length
from .drawing.tags import parse_tag
from .types import Discipline, DocType, Page

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

# Floor plans (EN/DE/FR/NL): plan titles and room words. Room words alone are weak (an invoice for a kitchen
# says "Küche"), so they count only beside areas, tags or plan titles (see plan_evidence).
_PLAN_TITLE = re.compile(
    r"\b(floor\s*plan|ground\s*floor|first\s*floor|site\s*plan|grundriss|erdgeschoss|obergeschoss|"
    r"untergeschoss|dachgeschoss|plan\s+du|plan\s+de\s+l|rez-de-chauss[ée]e|[ée]tage|plattegrond|begane\s*grond|"
    r"verdieping|architect[e]?|architekt(in)?|plan-?\s*nr)\b", re.I)
_ROOM_WORD = re.compile(
    r"\b(living|kitchen|bed\s?room|bath\s?room|hall|wc|toilet|study|storage|dining|utility|office|closet|"
    r"wohnen|k[üu]che|schlafen|bad|flur|diele|abstellraum|essen|kind|arbeiten|gast|s[ée]jour|cuisine|chambre|"
    r"salle|entr[ée]e|bureau|rangement|cellier|buanderie|salon|woonkamer|keuken|slaapkamer|badkamer|hal|"
    r"berging|eetkamer|washok|werkkamer|studeerkamer)\b", re.I)
_TAG_WORD = re.compile(r"^[MC]\d{4}$|^[TDPFW]\d{1,2}$")


def plan_evidence(pages: list[Page]) -> float:
    """How much the read pages look like a building plan (0 = nothing). Serves floor plans, CAD exports with or
    without a title block, metric and imperial: areas (``24,50 m²``, ``245 SF``), door and window tags
    (``M1021``, ``T01``), signed level marks (``±0.00``), feet-and-inch strings and plan titles each add."""
    lines = [ln.text for p in pages for ln in p.lines]
    words = [w.text.strip(".,;:|") for p in pages for ln in p.lines for w in ln.words]
    text = "\n".join(lines)
    areas = sum(1 for t in lines if parse_area(t))
    read_tags = [t for w in words if len(w) >= 2 and (t := parse_tag(w)) and _TAG_WORD.match(t.text)]
    tags = len(read_tags)
    sized = sum(1 for t in read_tags if t.width_mm)  # M1021 / C1818: the most specific plan strings
    lengths = sum(1 for w in words if re.fullmatch(r"[1-9]\d{2,4}", w))  # mm and cm chains
    levels = sum(1 for t in lines if parse_level(t.split(" ", 1)[-1]) is not None)
    feet = sum(1 for w in words if "'" in w and parse_plan_length(w))
    titles = len(_PLAN_TITLE.findall(text))
    rooms = len(_ROOM_WORD.findall(text))
    support = areas + tags + titles + min(feet, 3)
    return (1.6 * min(areas, 10) + 0.8 * min(tags, 15) + 0.7 * min(sized, 10) + 1.0 * min(levels, 3)
            + 0.4 * min(feet, 10) + 2.0 * min(titles, 3)
            + (0.6 * min(rooms, 10) + 0.4 * min(lengths, 15) if support >= 3 else 0.0))


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
    # Till rolls are 58-80 mm wide; a phone photo of one is at least taller than wide and narrow in pixels. A
    # small crop of a plan is narrow too: its own evidence (tags, areas, chains) says it is no till roll.
    plan = plan_evidence(pages) - 1.0 * inv
    narrow = (first.width / first.dpi < 4.0 or first.width / first.height < 0.5) and plan < 5.0
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
    # A plan's own evidence, weighed against the invoice words it may share (construction invoices print
    # areas and room names): it must outweigh them.
    if plan >= 5.0:
        scores["drawing"] = max(scores["drawing"], plan + (3.0 if landscape else 0.0))
    best = max(scores, key=lambda k: scores[k])
    ordered = sorted(scores.values(), reverse=True)
    margin = (ordered[0] - ordered[1]) / max(ordered[0], 1e-9)
    return best, round(min(1.0, 0.5 + margin / 2), 3)


def discipline(pages: list[Page]) -> Discipline:
    """``architectural`` for building plans, ``mechanical`` for part drawings: plan evidence against the part
    drawing's specific dimensions (Ø, R, fits, tolerances) and its title-block words (material, tolerances)."""
    words = [w for p in pages for ln in p.lines for w in ln.words]
    text = "\n".join(ln.text for p in pages for ln in p.lines)
    mech = 1.5 * sum(1 for w in words if _specific_dimension(w.text)) + 2.0 * len(_MECHANICAL.findall(text))
    plan = plan_evidence(pages)
    return "architectural" if plan >= 4.0 and plan > mech else "mechanical"


_MECHANICAL = re.compile(r"\b(material|werkstoff|mat[ée]riau|materiaal|tolerances?|toleranz\w*|iso\s*2768|"
                         r"deburr|chamfer|thru|surface\s*finish|third\s*angle|first\s*angle|projection|ra\s*\d)\b",
                         re.I)


def _specific_dimension(text: str) -> bool:
    """A dimension no invoice or letter prints: a diameter, radius, fit, thread, chamfer or a toleranced size
    (plain numbers are everywhere)."""
    if not looks_like_dimension(text):
        return False
    p = parse_dimension(text)
    return p is not None and (p.kind not in ("linear", "other") or p.fit is not None
                              or p.upper_deviation is not None or p.lower_deviation is not None)
