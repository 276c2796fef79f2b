"""The language of a building plan's labels, from the words a first (English) reading found.

Serves floor plans in English, German, French and Dutch: their room names, plan titles and title-block words
say the language where an invoice's function words (``docpipe.language``) are too few. The reader reads the
labels again in that language alone (``docpipe.read_regions.read_plan_text``): Tesseract reading ``eng+deu`` still
takes the English model's ``Kuche`` for ``Küche``; ``deu`` alone reads the umlaut. Words are compared without
accents and case, as an English reading gives them (``Kuche``, ``Sejour``, ``Entree``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..language import vote
from ..normalize import fold_accents

__all__ = ["plan_language"]

MIN_HITS = 2

_WORDS: dict[str, frozenset[str]] = {
    "eng": frozenset("living room kitchen bedroom bathroom bath hall hallway study storage store dining utility "
                     "office closet garage porch laundry lounge entry foyer pantry den family master floor plan "
                     "ground first second level scale drawing architect project".split()),
    "deu": frozenset("wohnen wohnzimmer schlafen schlafzimmer kind kinderzimmer kuche bad dusche flur diele essen "
                     "arbeiten arbeitszimmer buro abstellraum abstellkammer hauswirtschaftsraum hwr garderobe gast "
                     "gastezimmer keller treppe treppenhaus terrasse balkon grundriss erdgeschoss obergeschoss "
                     "dachgeschoss massstab ansicht schnitt projekt architekt plannr datum".split()),
    "fra": frozenset("sejour salon cuisine chambre salle bains eau entree degagement bureau rangement cellier "
                     "buanderie dressing garage terrasse palier escalier plan niveau rez chaussee etage echelle "
                     "projet architecte".split()),
    "nld": frozenset("woonkamer keuken slaapkamer badkamer hal gang toilet berging werkkamer studeerkamer "
                     "eetkamer washok zolder overloop bijkeuken trap plattegrond begane grond verdieping schaal "
                     "tekening architect".split()),
}
_TOKEN = re.compile(r"[^\W\d_]+", re.U)


def plan_language(words: Iterable[str]) -> str:
    """``eng``, ``deu``, ``fra`` or ``nld``: the language whose plan words the sheet prints most (at least
    :data:`MIN_HITS`, more than any other); ``eng`` when none is clear (:func:`docpipe.language.vote`). Words
    several languages share (``plan``, ``garage``, ``architect``) count for each."""
    return vote((tok for w in words for tok in _TOKEN.findall(fold_accents(w))), _WORDS, MIN_HITS)
