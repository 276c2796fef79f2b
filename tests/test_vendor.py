"""The vendor's name confirmed by the page (docpipe.structure.vendor): a legal name in the letterhead that the
page repeats in its own web/e-mail domain or its footer; and the model is then not asked it.

Letterheads are generated (tests/gen_cases.py, seeded): made-up company names with the legal forms of European,
British and US invoices, their own domains, streets and towns, and a labelled customer block."""

import random

import pytest

from docpipe.structure.invoice import confirmed_vendor_name, extract_invoice
from docpipe.structure.layout import PageView
from docpipe.structure.llm.structurer import settled
from docpipe.structure.vendor import LEGAL_FORM_END, fold

from .conftest import page_from_items as page
from .gen_cases import (
    INVOICE_FORMS,
    SHORT_FORMS,
    company,
    domain_of,
    invoice_head,
    street,
    town,
    word,
)

SEEDS = range(40)


def views(items, *more):
    return [PageView(page(items, number=1))] + [PageView(page(m, number=n)) for n, m in enumerate(more, 2)]


def slogan(rng):
    return f"{rng.choice(('Welcome to', 'Your partner for', 'Quality in'))} {word(rng)} {word(rng)}"


@pytest.mark.parametrize("form", INVOICE_FORMS)
def test_legal_form_at_the_end_of_the_name(form):
    rng = random.Random(form)
    for _ in range(20):
        name, stem = company(rng, form)
        assert LEGAL_FORM_END.search(name) is not None, name
        assert LEGAL_FORM_END.search(f"{name} ") is not None  # trailing space or punctuation is fine
        assert LEGAL_FORM_END.search(stem) is None, stem  # no form, no match
        assert LEGAL_FORM_END.search(f"{form}-{word(rng)} {word(rng)}") is None  # a form not at the end
        glued = f"{stem}{form.lower()}"
        if form[0].isalpha() and " " not in form:  # a form inside a word is part of the word ('...gmbh' in one word)
            assert LEGAL_FORM_END.search(glued) is None, glued


@pytest.mark.parametrize("form", SHORT_FORMS)
def test_short_forms_count_only_in_capitals(form):
    rng = random.Random(form)
    for _ in range(20):
        stem = f"{word(rng).capitalize()} {word(rng).capitalize()}"
        assert LEGAL_FORM_END.search(f"{stem} {form}") is not None
        assert LEGAL_FORM_END.search(f"{stem} {form.capitalize()}") is None  # 'Sa', 'Ag' are words too


@pytest.mark.parametrize("seed", range(60))
def test_fold_drops_accents_case_and_punctuation(seed):
    rng = random.Random(seed)
    accents = {"a": "àáâä", "e": "éèêë", "o": "ôöó", "u": "üúû", "c": "ç", "n": "ñ", "i": "îï"}
    plain = [word(rng) for _ in range(rng.randint(1, 3))]
    marked = ["".join(rng.choice(accents[ch]) if ch in accents and rng.random() < 0.4 else ch for ch in w)
              for w in plain]
    text = rng.choice((" ", "-", " & ", ". ")).join(w.upper() if rng.random() < 0.3 else w.capitalize()
                                                     for w in marked)
    assert fold(text) == "".join(plain)


@pytest.mark.parametrize("seed", SEEDS)
def test_name_confirmed_by_its_email_domain(seed):
    rng = random.Random(seed)
    vendor, stem = company(rng)
    customer, _ = company(rng)
    items = [(200, 150, slogan(rng)), (200, 200, vendor), (200, 260, street(rng)),
             *invoice_head(rng, customer), (200, 3300, f"{rng.choice(('Fragen?', 'Questions?'))} {domain_of(stem, rng)}")]
    assert confirmed_vendor_name(views(items)) == vendor
    inv = extract_invoice(views(items))
    assert inv.vendor.name.value == vendor and inv.vendor.name.bbox[:2] == (200, 200)
    # The rules' tallest-line guess could have taken the slogan; the confirmed name also gets a higher certainty.
    assert inv.vendor.name.confidence > 0.85


@pytest.mark.parametrize("seed", SEEDS)
def test_name_confirmed_by_the_footer_of_a_later_page(seed):
    rng = random.Random(seed)
    vendor, _ = company(rng)
    address = street(rng)
    items = [(200, 200, vendor), (200, 260, address), *invoice_head(rng, company(rng)[0])]
    last = [(200, 100, rng.choice(("Seite 2", "Page 2", "2/2"))), (200, 3200, f"{vendor} | {address} | {town(rng)}")]
    assert confirmed_vendor_name(views(items, last)) == vendor


@pytest.mark.parametrize("seed", SEEDS)
def test_unconfirmed_names_are_not_taken(seed):
    rng = random.Random(seed)
    vendor, stem = company(rng)
    head = invoice_head(rng, company(rng)[0])
    no_repeat = [(200, 200, vendor), *head, (200, 3200, rng.choice(("Vielen Dank!", "Thank you for your order")))]
    assert confirmed_vendor_name(views(no_repeat)) is None
    no_form = f"{stem} {word(rng).capitalize()}"  # two words, no legal form
    assert confirmed_vendor_name(views([(200, 200, no_form), *head, (200, 3200, f"{no_form} | {street(rng)}")])) is None
    # an address line repeated in the footer is not a name (digits)
    address = f"{street(rng)} {rng.choice(INVOICE_FORMS)}"
    assert confirmed_vendor_name(views([(200, 200, address), *head, (200, 3200, address)])) is None


@pytest.mark.parametrize("seed", SEEDS)
def test_customer_block_and_ambiguity(seed):
    rng = random.Random(seed)
    customer, c_stem = company(rng)
    # the customer's own domain names the customer, inside its block: not the vendor
    items = [*invoice_head(rng, customer), (200, 800, domain_of(c_stem, rng))]
    assert confirmed_vendor_name(views(items)) is None
    # two different confirmed names in the letterhead (no 'Bill to' label): ambiguous, so none
    (a, _), (b, b_stem) = company(rng), company(rng)
    both = [(200, 200, a), (1400, 450, b), (1600, 350, f"Rechnung Nr. {rng.randint(1, 999)}"),
            (200, 3200, f"{a} | Bank"), (200, 3300, domain_of(b_stem, rng))]
    assert confirmed_vendor_name(views(both)) is None


@pytest.mark.parametrize("seed", range(10))
def test_a_confirmed_vendor_is_not_asked_of_the_model(seed):
    rng = random.Random(seed)
    vendor, _ = company(rng)
    address = street(rng)
    head = invoice_head(rng, company(rng)[0])
    v = views([(200, 200, vendor), *head, (200, 3200, f"{vendor} | {address}")])
    assert "vendor_name" in settled(extract_invoice(v), v)
    bare = views([(200, 200, vendor), *head])
    assert "vendor_name" not in settled(extract_invoice(bare), bare)
    # receipts keep their own rules (docpipe.structure.receipt)
    assert "vendor_name" not in settled(extract_invoice(v, receipt=True), v, receipt=True)
