"""Receipt rules over pages built from known words (no OCR): the shop's name and address, the total paid.

The receipts are generated (tests/gen_cases.py, seeded): Malaysian/Singaporean till receipts with made-up shop
names of the legal forms that class uses, registration numbers, addresses with postcodes and lot numbers, dates in
several formats, items, tax, 5-sen rounding, payment and change."""

import random

import pytest

from docpipe.structure.layout import PageView, Span, amounts_in
from docpipe.structure.receipt import _has_postcode, receipt_header, receipt_total
from docpipe.types import Word

from .conftest import page_from_items as page
from .gen_cases import DESIGNATORS, STATES, name_words, postcode, receipt, word

SIZE = (900, 2600)
SEEDS = range(120)


def view(items):
    return PageView(page(items, size=SIZE))


def below_the_name(r, top=220):
    """The receipt's rows from its address down, moved to start at ``top``."""
    return [(x, y - r.address_top + top, text) for x, y, text in r.items if y >= r.address_top]


@pytest.mark.parametrize("seed", SEEDS)
def test_name_is_the_legal_entity_and_address_runs_to_the_contact_rows(seed):
    r = receipt(random.Random(seed))
    h = receipt_header(view(r.items))
    # not the greeting, without the registration number; a final dot of the legal form is not kept
    assert h.name.value == r.name.rstrip(".")
    assert h.address.value == r.address
    assert h.address.page == 1 and h.address.bbox[1] == r.address_top  # grounded on the address lines


@pytest.mark.parametrize("seed", SEEDS)
def test_name_without_legal_form_and_registration_row_before_the_address(seed):
    r = receipt(random.Random(seed), legal=False)
    h = receipt_header(view(r.items))
    assert (h.name.value, h.address.value) == (r.name, r.address)


@pytest.mark.parametrize("seed", SEEDS)
def test_lot_and_premises_numbers_are_not_postcodes(seed):
    """'Lot 12345, Jalan ...' on the first address row: the number is a lot, the address goes on to the postcode."""
    r = receipt(random.Random(seed), designator=True)
    h = receipt_header(view(r.items))
    assert h.address.value == r.address


@pytest.mark.parametrize("seed", range(60))
def test_address_ends_with_its_country(seed):
    """The postcode row ends with the country ('..., 75001 Paris, France'): a short row under it is the
    outlet's name, not part of the address; without the country, a short row is still taken (a state, a region)."""
    rng = random.Random(seed)
    name = f"{name_words(rng, (1, 2), upper=True)} SDN BHD"
    street = f"No. {rng.randint(1, 300)}, Jalan {word(rng).capitalize()} {rng.randint(1, 40)}/{rng.randint(1, 9)},"
    country = rng.choice(("Malaysia", "MALAYSIA", "Singapore", "Deutschland", "France", "The Netherlands"))
    last = f"{postcode(rng)} {word(rng).capitalize()}, {country}"
    outlet = " ".join(w.upper() for w in (word(rng), word(rng)))
    rows = [name, street, last, outlet, f"Tel: 03-{rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"]
    h = receipt_header(view([(200, 100 + 60 * i, t) for i, t in enumerate(rows)]))
    assert h.address.value == f"{street.rstrip(',')}, {last}"
    rows[2] = f"{postcode(rng)} {word(rng).capitalize()}"
    h = receipt_header(view([(200, 100 + 60 * i, t) for i, t in enumerate(rows)]))
    assert h.address.value.endswith(f"{rows[2]}, {outlet}")


@pytest.mark.parametrize("seed", range(200))
def test_postcode_rule(seed):
    rng = random.Random(seed)
    code, town = postcode(rng), word(rng).capitalize()
    street = f"Jalan {word(rng).capitalize()}"
    assert _has_postcode(f"{code} {town}, {rng.choice(STATES)}")
    assert _has_postcode(f"{street}, {code} {town}")
    assert _has_postcode(f"{rng.choice(('A', 'B', 'E', 'W'))}{rng.randint(1, 9)} {rng.randint(1, 9)}HX")  # UK
    assert not _has_postcode(f"{rng.choice(DESIGNATORS)} {code}, {street},")
    initials = ".".join(rng.sample("ABHKPST", rng.randint(1, 2))) + "."  # dotted initials of a lot reference
    assert not _has_postcode(f"{initials} {code}, {street}")
    assert not _has_postcode(f"{street} {rng.randint(1, 40)}/{rng.randint(1, 9)}")  # a road number
    assert not _has_postcode(f"{code}-{rng.randint(1, 9)}")  # part of a longer number


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("second", ["CO. (M) SDN BHD", "& CO. LTD", "COMPANY SDN BHD", "SDN BHD", "AND CO. BHD",
                                    "CORPORATION BHD"])
def test_name_over_two_rows_with_the_legal_form_alone_below(seed, second):
    rng = random.Random(seed)
    first = name_words(rng, (1, 3), upper=True)
    r = receipt(rng)
    items = [(150, 100, first), (150, 150, second)] + below_the_name(r)
    h = receipt_header(view(items))
    assert h.name.value == f"{first} {second}"
    assert h.address.value == r.address


@pytest.mark.parametrize("seed", range(60))
def test_a_name_word_before_the_legal_form_keeps_the_row_alone(seed):
    rng = random.Random(seed)
    brand, name = name_words(rng, (1, 2), upper=True), name_words(rng, (1, 2), upper=True)
    r = receipt(rng)
    items = [(150, 100, brand), (150, 150, f"{name} SDN BHD")] + below_the_name(r)
    assert receipt_header(view(items)).name.value == f"{name} SDN BHD"  # the brand above is not part of it


@pytest.mark.parametrize("seed", SEEDS)
def test_total_is_the_final_labelled_amount_the_payment_confirms(seed):
    r = receipt(random.Random(seed))
    t = receipt_total([view(r.items)])
    # not the total before rounding, the tax row or the tax summary's 'Total'; cash minus change confirms it
    assert t.value == r.total and t.text == f"{r.total:.2f}" and t.confidence > 0.9, r.notes


@pytest.mark.parametrize("seed", range(90))
def test_total_from_the_payment_when_its_row_did_not_read(seed):
    """The total's label was misread (or its amount too): the payment decides. Paid = tendered - change, grounded
    on the amount printed above the payment (the tender row itself when no change was due); with nothing to
    ground it on, a tax summary's 'Total' below the payment is all there is, at a low confidence."""
    rng = random.Random(seed)
    prices = [rng.randint(50, 9000) / 100 for _ in range(rng.randint(1, 4))]
    total = round(sum(prices), 2)
    items, y = [], 100
    for p in prices:
        items += [(40, y, name_words(rng, (1, 2))), (600, y, f"{p:.2f}")]
        y += 60
    amount_read = seed % 3 != 0
    items.append((40, y + 40, rng.choice(("TOTAI", "TOTL", "OTAL", "Tolal"))))  # no total label left
    if amount_read:
        items.append((600, y + 40, f"{total:.2f}"))
    total_y, y = y + 40, y + 140
    change_due = seed % 2 == 0
    cash = float(next(v for v in (10, 20, 50, 100, 200, 500, 1000) if v > total)) if change_due else total
    items += [(40, y, rng.choice(("CASH", "Cash Tendered", "VISA"))), (600, y, f"{cash:.2f}"),
              (40, y + 60, rng.choice(("CHANGE", "Change Due"))), (600, y + 60, f"{cash - total:.2f}"),
              (40, y + 200, "Total:"), (600, y + 200, f"{round(total / 1.06, 2):.2f}")]  # a tax summary's column
    t = receipt_total([view(items)])
    if not change_due:
        assert (t.value, t.bbox[1]) == (total, y)  # the amount tendered, no change due
    elif amount_read:
        assert (t.value, t.bbox[1], t.confidence) == (total, total_y, pytest.approx(0.9 * 0.95))
    elif len(prices) == 1:
        assert (t.value, t.bbox[1]) == (total, 100)  # the one item's amount is the amount paid
    else:
        assert t.confidence <= 0.4


@pytest.mark.parametrize("seed", range(40))
def test_no_total_label_no_total(seed):
    rng = random.Random(seed)
    items = [(40, 100 + 60 * i, name_words(rng, (1, 2))) for i in range(3)]
    items += [(600, 100 + 60 * i, f"{rng.randint(100, 9999) / 100:.2f}") for i in range(3)]
    assert receipt_total([view(items)]) is None


@pytest.mark.parametrize("seed", range(40))
def test_amount_with_cents_split_by_ocr(seed):
    rng = random.Random(seed)
    whole, cents = rng.randint(1, 999), rng.randint(0, 99)
    texts = ["Total", rng.choice(("RM", "S$", "MYR")), f"{whole}.", f"{cents:02d}"]
    words = tuple(Word(text=t, bbox=(i * 100, 0, i * 100 + 80, 30), confidence=0.9) for i, t in enumerate(texts))
    assert [v for _, v in amounts_in(Span(1, words))] == [round(whole + cents / 100, 2)]


@pytest.mark.parametrize("seed", range(10))
def test_llm_is_not_asked_what_the_receipt_rules_read_and_keeps_their_total(seed):
    from docpipe.structure.llm.backends import FakeBackend
    from docpipe.structure.llm.structurer import LlmStructurer

    r = receipt(random.Random(seed))
    tax = r.notes["tax"] or 0.5
    backend = FakeBackend([{"total_tax": f"{tax:.2f}"}])
    inv = LlmStructurer(backend, ask="all", receipts=True).invoice([view(r.items)], receipt=True).payload
    asked = set(backend.calls[0][1]["properties"]) if backend.calls else set()
    # nor the tax: the model's tax of a receipt was mostly no tax at all (RECEIPT_FIELDS)
    assert not asked & {"vendor_name", "vendor_address", "total", "total_tax"}
    assert inv.vendor.name.value == r.name.rstrip(".")
    # subtotal + tax may add up to the total before rounding, but the payment confirms the rounded total: it stays
    assert inv.total.value == r.total


@pytest.mark.parametrize("seed", range(30))
def test_confidence_follows_the_rule_that_read_the_field(seed):
    rng = random.Random(seed)
    r = receipt(rng)
    v = view(r.items)
    h, t = receipt_header(v), receipt_total([v])
    assert h.name.confidence > 0.85 and t.confidence > 0.9  # legal form; total confirmed by the payment
    # an 'address' without any digit (no house number, no postcode) is likely some other line
    no_digit = [(200, 100, f"{name_words(rng)} SDN BHD"), (200, 150, " ".join(word(rng) for _ in range(3))),
                (200, 200, f"{name_words(rng)} SDN BHD"), (200, 260, "TAX INVOICE")]
    assert receipt_header(view(no_digit)).address.confidence <= 0.5
