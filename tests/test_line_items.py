"""Line-item tables whose items take more than one row, over generated cases of each layout class: amounts
centred on two-line descriptions, sections with their own subtotals, detail lines inside items, centred headers
over left-aligned descriptions, second header lines, and product names that hold a stop word."""

import random

import pytest

from docpipe.structure.layout import PageView
from docpipe.structure.line_items import extract_line_items

from .conftest import page_from_items as page
from .gen_cases import word


def _de(v: float) -> str:
    return f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def _desc(rnd: random.Random) -> str:
    return f"{word(rnd).capitalize()} {word(rnd)} {rnd.randrange(10, 99)}"


def _items(rows):
    return [(i.description.value, i.quantity.value if i.quantity else None, i.amount.value if i.amount else None)
            for i in extract_line_items([PageView(page(rows))])]


@pytest.mark.parametrize("seed", range(6))
def test_an_amount_centred_on_a_two_line_description_belongs_to_the_item_above(seed):
    # ERP and e-invoice renderings: quantity and price on the description's first line, the amount cell
    # vertically centred, so it reads on the second line with the rest of the description.
    rnd = random.Random(seed)
    rows, want, y = [], [], 400
    for pos in range(1, rnd.randrange(2, 5)):
        first, second = _desc(rnd), f"{word(rnd).capitalize()} {rnd.choice(['R9', 'XL', '3m', 'A2'])}"
        qty, price = rnd.randrange(1, 40), rnd.randrange(100, 99999) / 100
        amount = round(qty * price, 2)
        rows += [(200, y, str(pos)), (520, y, first), (960, y, _de(price)), (1150, y, str(qty)), (1270, y, "19%"),
                 (520, y + 26, second), (1420, y + 22, _de(amount)),
                 (520, y + 90, f"Bruttopreis : {_de(round(price * 1.19, 2))}")]  # a detail line
        want.append((f"{first} {second}", float(qty), amount))
        y += 200
    header = [(200, 300, "Pos"), (520, 300, "Beschreibung"), (950, 300, "Nettopreis"), (1140, 300, "Menge"),
              (1250, 300, "Steuersatz"), (1380, 300, "Nettobetrag")]
    assert _items(header + rows + [(180, y + 60, "Umsatzsteueraufschlüsselung")]) == want


@pytest.mark.parametrize("seed", range(4))
def test_a_row_under_an_item_with_its_own_quantity_is_the_next_item(seed):
    # The amount-below repair must not swallow the next item: a row with a quantity of its own is an item.
    rnd = random.Random(seed)
    a, b = _desc(rnd), _desc(rnd)
    qa, qb = rnd.randrange(2, 9), rnd.randrange(2, 9)
    rows = [(200, 300, "Description"), (900, 300, "Qty"), (1100, 300, "Price"), (1400, 300, "Amount"),
            (200, 360, a), (905, 360, str(qa)), (1100, 360, "1.00"),  # no amount printed
            (200, 390, b), (905, 390, str(qb)), (1100, 390, "2.00"), (1400, 390, f"{2 * qb:.2f}"),
            (900, 500, "Total"), (1400, 500, f"{2 * qb:.2f}")]
    assert _items(rows) == [(b, float(qb), 2.0 * qb)]


@pytest.mark.parametrize("seed", range(4))
def test_sections_with_their_own_subtotals_are_read_to_the_last_section(seed):
    # Grouped quotes and invoices: '--- Group ---' headings, a subtotal under each group, then the grand sums.
    rnd = random.Random(seed)
    rows = [(90, 300, "Description"), (700, 300, "Quantity"), (920, 300, "Unit Price"), (1460, 300, "Amount")]
    want, y, grand = [], 360, 0.0
    for _ in range(rnd.randrange(2, 4)):
        rows.append((90, y, f"--- {word(rnd).capitalize()} ---"))
        y += 60
        section = 0.0
        for _ in range(rnd.randrange(1, 4)):
            d, q, p = _desc(rnd), rnd.randrange(1, 9), rnd.randrange(100, 20000) / 100
            amt = round(q * p, 2)
            rows += [(90, y, d), (720, y, f"{q}.00"), (960, y, f"{p:.2f}"), (1470, y, f"${amt:.2f}")]
            want.append((d, float(q), amt))
            section, y = round(section + amt, 2), y + 60
        rows.append((1340, y, f"Subtotal ${section:.2f}"))
        grand, y = round(grand + section, 2), y + 80
    rows += [(860, y, "Subtotal"), (1455, y, f"${grand:.2f}"), (860, y + 60, "Tax 15%"),
             (1470, y + 60, f"${grand * 0.15:.2f}"), (860, y + 120, "Total"), (1455, y + 120, f"${grand * 1.15:.2f}"),
             (90, y + 200, "Payment terms: 15 Days"), (90, y + 260, f"Bank charges {rnd.randrange(1, 9)}.50")]
    assert _items(rows) == want


def test_a_subtotal_that_is_not_the_sections_sum_ends_the_table():
    rows = [(90, 300, "Description"), (700, 300, "Quantity"), (1460, 300, "Amount"),
            (90, 360, "Alpha part"), (720, 360, "1"), (1470, 360, "10.00"),
            (1340, 420, "Subtotal 99.00"),
            (90, 480, "Beta part"), (720, 480, "1"), (1470, 480, "20.00")]
    assert _items(rows) == [("Alpha part", 1.0, 10.0)]


@pytest.mark.parametrize("seed", range(4))
def test_detail_lines_with_a_stop_word_but_no_amount_stay_inside_the_table(seed):
    # Service invoices: 'Description:', 'Notes:', 'Tax: 0.2%' lines under each item.
    rnd = random.Random(seed)
    rows = [(127, 700, "Item"), (1022, 700, "Quantity"), (1307, 700, "Rate"), (1480, 700, "Amount")]
    want, y = [], 780
    for _ in range(rnd.randrange(2, 4)):
        d, q, p = f"Service {word(rnd).capitalize()}", rnd.randrange(1, 20), rnd.randrange(100, 5000) / 100
        rows += [(125, y, d), (1023, y, str(q)), (1278, y, f"${p:.2f}"), (1476, y, f"${q * p:.2f}"),
                 (127, y + 45, f"Notes: {word(rnd)} {word(rnd)}"), (125, y + 130, f"Tax: {rnd.randrange(1, 9)/10}%")]
        want.append((d, float(q), round(q * p, 2)))
        y += 240
    rows += [(1167, y + 100, "Subtotal:"), (1476, y + 100, f"${sum(w[2] for w in want):.2f}")]
    got = _items(rows)
    assert [(g[0].split(" Notes:")[0], g[1], g[2]) for g in got] == want


@pytest.mark.parametrize("seed", range(4))
def test_a_centred_first_header_covers_the_left_aligned_descriptions(seed):
    # A 'Désignation' header centred over a wide column whose text starts at the table's left edge.
    rnd = random.Random(seed)
    rows = [(398, 716, "Désignation"), (880, 716, "Nombre"), (1094, 716, "P.U. HT"), (1305, 716, "Montant HT")]
    want, y = [], 805
    for _ in range(3):
        d, q, p = f"{word(rnd).capitalize()} {word(rnd)}", rnd.randrange(1, 9), rnd.randrange(50, 900) / 100
        rows += [(150, y, d), (836, y, str(q)), (1152, y, f"{_de(p)}€"), (1433, y, f"{_de(q * p)}€")]
        want.append((d, float(q), round(q * p, 2)))
        y += 70
    rows += [(1045, y + 20, "Total HT :"), (1419, y + 20, f"{_de(sum(w[2] for w in want))} €")]
    assert _items(rows) == want


@pytest.mark.parametrize("name", ["Business StandardExchange", "Tendering service", "Balanced diet plan",
                                  "Exchange rate feed"])
def test_a_product_name_holding_a_stop_word_is_an_item(name):
    rows = [(185, 996, "Pos."), (420, 999, "Beschreibung"), (1168, 999, "Rabatt %"), (1319, 999, "VK-Preis"),
            (1452, 999, "Zeilenbetrag"),
            (1354, 1024, "Ohne"), (1458, 1024, "Ohne MwSt."), (1347, 1049, "MwSt."),  # a second header line
            (220, 1166, "1"), (420, 1165, f"{name} 2030"), (1368, 1165, "3,89"), (1541, 1165, "3,89"),
            (1300, 1300, "Summe"), (1541, 1300, "3,89")]
    assert _items(rows) == [(f"{name} 2030", None, 3.89)]


@pytest.mark.parametrize("seed", range(4))
def test_item_arithmetic_is_a_review_reason_only_when_the_amounts_do_not_add_up(seed):
    from docpipe.types import GroundedNumber, Invoice, LineItem
    from docpipe.validate import check_invoice

    def n(v):
        return GroundedNumber(value=v, text=str(v), confidence=0.9, page=1, bbox=(1, 1, 2, 2))
    rnd = random.Random(seed)
    qty, price, discount = rnd.randrange(1, 9), rnd.randrange(100, 9000) / 100, rnd.choice([0.05, 0.1, 0.2])
    a = round(qty * price * (1 - discount), 2)  # a discounted item: quantity x price is not its amount
    b = round(rnd.randrange(100, 9000) / 100, 2)
    items = [LineItem(quantity=n(float(qty)), unit_price=n(price), amount=n(a)), LineItem(amount=n(b))]
    net = round(a + b, 2)
    inv = Invoice(subtotal=n(net), total_tax=n(0.0), total=n(net), line_items=items)
    assert not any("line item" in r for r in check_invoice(inv))
    inv.subtotal, inv.total = n(round(net + 1, 2)), n(round(net + 1, 2))  # the amounts no longer add up
    reasons = check_invoice(inv)
    assert any("line items sum" in r for r in reasons) and any("quantity x unit price" in r for r in reasons)


SUMS_ROWS = ["TOT QTY: {n}", "Total Qty: {n}", "TotaiQty. {n}", "TTL ITEMS {n}", "Raounding: RM", "Subtota1",
             "Roundinq Adj", "SR @ 6%", "ZR & 0%", "A 19%", "S 20 %"]


@pytest.mark.parametrize("seed", range(len(SUMS_ROWS)))
def test_a_receipts_sums_and_tax_code_rows_end_its_items_as_ocr_reads_them(seed):
    # Till receipts (no table header): item rows end in a price with cents; after them a quantity total, a
    # rounding line or a GST/VAT code summary, often with a letter misread, is not an item.
    rnd = random.Random(seed)
    rows, want, y = [], [], 400
    for _ in range(rnd.randrange(1, 4)):
        name, amount = f"{word(rnd)} {word(rnd)}".upper(), rnd.randrange(100, 9999) / 100
        rows += [(60, y, name), (620, y, f"{amount:.2f}")]
        want.append((name, None, amount))
        y += 40
    label = SUMS_ROWS[seed].format(n=len(want))
    total = sum(a for *_, a in want)
    rows += [(60, y, label), (520, y, f"{rnd.randrange(100, 9999) / 100:.2f}"), (620, y, f"{total:.2f}")]
    assert _items(rows) == want, label


@pytest.mark.parametrize("name", ["UHT 3.5% MILK", "BALANCED DIET MIX", "PAYMENTS CARD SLEEVE", "KOPI O 10% SUGAR"])
def test_an_item_named_with_a_rate_or_a_word_near_a_stop_word_stays_an_item(name):
    rows = [(60, 400, "BREAD LOAF"), (620, 400, "2.50"), (60, 440, name), (620, 440, "3.20"),
            (60, 480, "TOTAL"), (620, 480, "5.70")]
    assert _items(rows) == [("BREAD LOAF", None, 2.5), (name, None, 3.2)]


@pytest.mark.parametrize("seed", range(4))
def test_nothing_under_a_receipts_sums_is_an_item(seed):
    # A receipt whose item rows did not read as items (names and prices on separate rows): the payment, card
    # approval and tax-analysis rows under its total are not items either.
    rnd = random.Random(seed)
    total = rnd.randrange(1000, 99999) / 100
    rows = [(60, 300, f"{word(rnd)} {word(rnd)}".upper()), (60, 340, f"{rnd.randrange(1, 9)}.90*2"),
            (60, 400, "Total"), (620, 400, f"{total:.2f}"),
            (60, 440, f"{word(rnd).capitalize()} (debit) 00{rnd.randrange(10, 99)} App: {rnd.randrange(10**5, 10**6)}"),
            (620, 440, f"{total:.2f}"), (60, 480, "S = 6%"), (400, 480, f"{total / 1.06:.2f}"), (620, 480, "1.74")]
    views = [PageView(page(rows))]
    assert extract_line_items(views, receipt=True) == []
