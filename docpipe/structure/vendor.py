"""The vendor's name when the page itself confirms it: a company name in the letterhead that the page prints a
second time, in its own web or e-mail domain or in the footer.

An invoice's letterhead is the vendor's, but it also holds titles, slogans, brands and, without a 'Bill to'
label, the customer's window address; the tallest line there (the rules' guess in :mod:`.invoice`) is often one
of those. A name is taken as the vendor's only when all of these hold:

- it is a line in the top 30% of page 1, outside the customer's block, without digits (not an address,
  title or reference), of two or more words, ending in a legal form (``GmbH``, ``Ltd``, ``SARL``, ``B.V.`` ...:
  the registered name that an invoice must carry);
- the page confirms it: the name's first words, run together, are the domain of an e-mail or web address on
  the document (``Korimo Werk GmbH`` / ``info@korimo-werk.de``), or the footer (the bottom quarter
  of any page) repeats it (``Korimo Werk GmbH | Lanberweg 3 | ...``);
- no other line qualifies with a different name (a customer with its own domain makes it ambiguous).

A limit: a customer's block that neither a label ('Bill to', 'Rechnungsempfänger') nor a window envelope's
return address marks, printed with the customer's legal name and its own e-mail address, would pass for the
vendor's letterhead.

On 39 real invoices (``benchmarks/invoice_fields.py``) this named the vendor of 4, all right; the embedded
model, asked instead, read 3 of those 4 (it took the customer on the fourth). When it holds, the model is not
asked the vendor's name (:func:`docpipe.structure.llm.structurer.settled`), which saves the prompt's reading,
~4 s per invoice on one core.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..types import Line
from .layout import PageView

_LONG_FORMS = (r"gmbh(\s*&\s*co\.?\s*kg)?|mbh|e\.\s?k\.|e\.\s?v\.|a\.\s?g\.|&\s*co\.?|ltd\.?|limited|llc|llp|inc\.?|"
               r"corp\.?|corporation|plc|s\.?a\.?r\.?l\.?|sasu|eurl|s\.a\.s\.|b\.\s?v\.?|n\.\s?v\.?|v\.o\.f\.?|"
               r"s\.l\.|s\.p\.a\.?|s\.r\.l\.?|pty\.?\s*ltd\.?|pvt\.?\s*ltd\.?|a/s|sp\.\s*z\s*o\.\s?o\.?|sdn\.?\s*bhd\.?")
# Short forms are words too ('Sa', 'Ag', 'Ab'), so they count only in capitals.
_SHORT_FORMS = r"AG|KG|OHG|UG|SA|SAS|SNC|BV|NV|AB|AS|Oy"
LEGAL_FORM_END = re.compile(rf"(?:(?<![^\W\d_])(?i:{_LONG_FORMS})|\b(?:{_SHORT_FORMS}))\W*$")
_ADDRESS = re.compile(r"(?:[\w.+-]+@|\bwww\.|https?://)((?:[\w-]+\.)+)[a-z]{2,6}\b", re.I)
_TOP = 0.3  # of page 1, where the letterhead is
_FOOTER = 0.75  # of each page, below which the footer is


def fold(text: str) -> str:
    """Letters and digits only, without accents, lower case: 'Café du Pont' -> 'cafedupont'."""
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in nfkd.casefold() if ch.isalnum())


def page_domains(views: Sequence[PageView]) -> set[str]:
    """The registered names of the e-mail and web addresses on the document ('info@sanvi-ag.de' ->
    'sanviag'), four characters or more."""
    out = set()
    for view in views:
        for line in view.lines:
            for m in _ADDRESS.finditer(line.text):
                label = fold(m.group(1).rstrip(".").split(".")[-1])
                if len(label) >= 4:
                    out.add(label)
    return out


def _name_like(line: Line) -> bool:
    text = line.text.strip(" ,;:")
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    return (len(words) >= 2 and not any(ch.isdigit() for ch in text) and "@" not in text
            and LEGAL_FORM_END.search(text) is not None)


def _in_domain(line: Line, domains: set[str]) -> bool:
    run = ""
    for word in line.text.split():
        run += fold(word)
        if run in domains:
            return True
    return False


def confirmed_vendor(views: Sequence[PageView], inside_customer) -> Line | None:
    """The line of page 1 that names the vendor, confirmed as the module describes, else None.
    ``inside_customer(bbox)`` tells whether a box lies in the customer's block."""
    if not views:
        return None
    first = views[0]
    candidates = [ln for ln in first.lines if ln.bbox[1] < first.page.height * _TOP
                  and not inside_customer(ln.bbox) and _name_like(ln)]
    if not candidates:
        return None
    domains = page_domains(views)
    footer = [(v.number, ln.bbox, fold(ln.text)) for v in views for ln in v.lines
              if ln.bbox[1] > v.page.height * _FOOTER]
    confirmed: dict[str, Line] = {}
    for ln in candidates:
        name = fold(ln.text)
        repeated = any(text.startswith(name) and (page, box) != (first.number, ln.bbox)
                       for page, box, text in footer)
        if repeated or _in_domain(ln, domains):
            confirmed.setdefault(name, ln)
    return next(iter(confirmed.values())) if len(confirmed) == 1 else None
