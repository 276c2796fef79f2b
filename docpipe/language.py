"""Language of a page's text, from the words of a first reading, to pick Tesseract's languages.

Reading with every installed language costs Tesseract a recogniser pass per language (on 200-dpi invoice scans
``eng+deu+fra+nld`` took 2.05 s per page against 1.14 s for ``eng``). With ``--lang auto`` (the default) a page
is read with ``eng`` first; when its words say German, French or Dutch, it is read again with ``<that
language>+eng`` (the first language leads Tesseract's choices), whose models know the language's letters (ä, ß, é, ç, ĳ) and words. A page that reads poorly
in English (a noisy scan, a till receipt) is read again with all of ``eng+deu+fra+nld``, whose combined models
read such scans better (docpipe.read). Clean English pages and every drawing pay nothing extra.

The evidence is function words and invoice vocabulary counted over the page's words (Latin script only; a
page in another script reads as too few known words to decide and stays ``eng``). A language is chosen when it
has at least :data:`MIN_HITS` hits and more than English and any other candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

AUTO = "auto"
ALL_LANGS = "eng+deu+fra+nld"
"""Every document language setup installs: the second reading of a page that read poorly (docpipe.read)."""
MIN_HITS = 4

# Short, frequent words and invoice terms of each language, lower case, without accents where OCR with the
# English model drops them ('fur' for 'für', 'echeance' for 'échéance').
_WORDS: dict[str, frozenset[str]] = {
    "eng": frozenset("the and of to for with from by this that your our invoice date due total amount tax vat "
                     "payment terms bill ship number price quantity description subtotal balance please thank "
                     "you".split()),
    "deu": frozenset("der die das und für fur mit von den dem des ein eine bei zum zur nach ist bitte rechnung "
                     "datum betrag summe gesamt netto brutto mwst ust steuer zahlbar zahlung bis menge preis "
                     "einzelpreis lieferung lieferdatum kunde kundennummer bestellung vom gmbh strasse straße "
                     "rechnungsnummer bankverbindung".split()),
    "fra": frozenset("le la les des du de et pour avec sur au aux une un par est facture date montant total "
                     "tva ht ttc prix quantité quantite désignation designation échéance echeance paiement "
                     "règlement reglement client livraison adresse sarl sas rue siret capital".split()),
    "nld": frozenset("de het een en van voor met op aan bij uw wij is zijn factuur factuurnummer datum bedrag "
                     "totaal btw excl incl prijs aantal omschrijving betaling betalen vervaldatum klant "
                     "levering straat bv b.v. kvk graag".split()),
}
_TOKEN = re.compile(r"[^\W\d_][^\W\d_.']*", re.U)
TESSERACT = {"deu": "deu", "fra": "fra", "nld": "nld"}


def vote(tokens: Iterable[str], vocab: dict[str, frozenset[str]], min_hits: int) -> str:
    """The language of ``vocab`` (``eng`` and others) whose words ``tokens`` hold most: at least ``min_hits`` and
    more than any other language, ``eng`` included; ``eng`` when none is clear. Words several languages share
    ('de', 'date', 'total', 'plan') count for each."""
    hits = dict.fromkeys(vocab, 0)
    for tok in tokens:
        for lang, words in vocab.items():
            hits[lang] += tok in words
    best = max((lg for lg in vocab if lg != "eng"), key=lambda lg: hits[lg])
    others = [hits[lg] for lg in vocab if lg != best]
    return best if hits[best] >= min_hits and hits[best] > max(others) else "eng"


def detect(words: Iterable[str]) -> str:
    """``eng``, ``deu``, ``fra`` or ``nld`` for the words of a page (``eng`` when nothing else is clear)."""
    return vote((tok for w in words for tok in _TOKEN.findall(w.casefold())), _WORDS, MIN_HITS)


def second_pass_lang(words: Iterable[str]) -> str | None:
    """The Tesseract languages for a second reading (``deu+eng`` ...), or None when ``eng`` is enough."""
    lang = detect(words)
    return None if lang == "eng" else f"{TESSERACT[lang]}+eng"
