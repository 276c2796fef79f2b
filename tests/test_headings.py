"""Headings that carry fields (title lines with the number, labelled party sections) and the totals rows the
invoice rules read, over generated cases of each layout class."""

import datetime as dt
import random

import pytest

from docpipe.structure.headings import find_title, party_names
from docpipe.structure.invoice import extract_invoice
from docpipe.structure.layout import PageView

from .conftest import page_from_items as page
from .gen_cases import company, street, town, word


def _de(v: float) -> str:
    """An amount printed the German way: 1.234,56."""
    return f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def _amounts(rnd: random.Random) -> tuple[float, float, float]:
    net = round(rnd.uniform(20, 5000), 2)
    tax = round(net * rnd.choice([0.07, 0.19, 0.2, 0.21]), 2)
    return net, tax, round(net + tax, 2)

TITLES = ["Rechnung", "Handelsrechnung", "Schlussrechnung", "Gutschrift", "Rechnungskorrektur", "Invoice",
          "Tax Invoice", "Credit note", "Facture", "Avoir", "Factuur", "Creditnota"]
NUMBER_LABELS = ["Nr.", "No.", "N°", "#", "Nummer"]
DATE_INTROS = {"Rechnung": "vom", "Invoice": "dated", "Facture": "du", "Factuur": "van"}


def _id(rnd: random.Random) -> str:
    kind = rnd.randrange(3)
    if kind == 0:
        return str(rnd.randrange(10_000, 99_999_999))
    if kind == 1:
        return f"{rnd.choice(['RE', 'FA', 'INV', 'AV', 'CN'])}-{rnd.randrange(2015, 2027)}-{rnd.randrange(1, 9999):04d}"
    return f"{rnd.choice('ABCDEFGHKR')}{rnd.randrange(10, 99)}-{rnd.randrange(1, 999)}"


@pytest.mark.parametrize("seed", range(24))
def test_title_line_gives_the_number_and_date(seed):
    rnd = random.Random(seed)
    title = rnd.choice(TITLES)
    number = _id(rnd)
    day = dt.date(rnd.randrange(2016, 2026), rnd.randrange(1, 13), rnd.randrange(13, 29))
    parts = [title]
    if rnd.random() < 0.4:
        parts.append(f"({rnd.choice([380, 381, 384, 389, 326])})")
    labelled = rnd.random() < 0.6
    if labelled:
        parts.append(rnd.choice(NUMBER_LABELS))
    parts.append(number)
    with_date = rnd.random() < 0.7
    if with_date:
        parts += [DATE_INTROS.get(title, rnd.choice(["vom", "du", "of", "dated"])), day.strftime("%d.%m.%Y")]
    items = [(200, 150, "Beispiel Handel GmbH"), (200, 300, " ".join(parts)), (200, 400, "Musterweg 3")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.invoice_number is not None and inv.invoice_number.value == number
    if with_date:
        assert inv.invoice_date is not None and inv.invoice_date.value == day
    assert inv.vendor.name is None or number not in inv.vendor.name.value  # the title is not the vendor


@pytest.mark.parametrize("seed", range(6))
def test_lines_that_start_with_a_title_word_but_print_no_number(seed):
    rnd = random.Random(seed)
    day = f"{rnd.randrange(1, 29):02d}.{rnd.randrange(1, 13):02d}.{rnd.randrange(2016, 2026)}"
    for text in (f"Invoice Date {day}", f"Rechnung gemäß Auftrag vom {day}", f"Facture liée {_id(rnd)}",
                 f"Invoice to {company(rnd)[0]}", "Rechnungsadresse"):
        assert find_title([PageView(page([(200, 300, text)]))]) is None, text


@pytest.mark.parametrize("seed", range(6))
def test_a_qualifier_between_title_and_number_label(seed):
    rnd = random.Random(seed)
    number = f"{rnd.randrange(10, 99)}.{rnd.randrange(100, 999)}.{rnd.randrange(100, 999)}-{rnd.randrange(2016, 2026)}-1"
    day = dt.date(rnd.randrange(2016, 2026), rnd.randrange(1, 13), rnd.randrange(13, 29))
    who = rnd.choice(["der Stadtwerke", "des Vermieters", f"der {word(rnd).capitalize()} GmbH"])
    line = f"Rechnung {who} ({rnd.randrange(300, 999)}) Nr. {number} vom {day.strftime('%d.%m.%Y')}"
    t = find_title([PageView(page([(180, 150, line)]))])
    assert t.number[1] == number and t.date[1] == day


def _section(x_label, x_value, y, heading, rows):
    items = [(x_label, y, heading)]
    for i, (label, value) in enumerate(rows):
        yy = y + 50 * (i + 1)
        items.append((x_label, yy, label))
        for k, v in enumerate(value if isinstance(value, list) else [value]):
            items.append((x_value, yy + 32 * k, v))
    return items


@pytest.mark.parametrize("seller,buyer,name_label", [("Verkäufer", "Käufer/Leistungsempfänger", "Name:"),
                                                     ("Seller", "Buyer", "Name:"), ("Vendeur", "Acheteur", "Nom:"),
                                                     ("Verkoper", "Koper", "Naam:")])
def test_party_sections_name_the_vendor_and_the_customer(seller, buyer, name_label):
    rnd = random.Random(seller)
    vendor, customer = company(rnd)[0], company(rnd)[0]
    items = (_section(200, 720, 400, seller, [("Nummer:", str(rnd.randrange(10**5, 10**6))), (name_label, vendor),
                                              ("Anschrift:", street(rnd))])
             + _section(200, 720, 900, buyer, [("Nummer:", f"K{rnd.randrange(10**6, 10**7)}"), (name_label, customer),
                                               ("Anschrift:", street(rnd))]))
    view = PageView(page(items))
    names = party_names(view)
    assert names["vendor"].text == vendor and names["customer"].text == customer
    inv = extract_invoice([view])
    assert inv.vendor.name.value == vendor and inv.customer.name.value == customer


@pytest.mark.parametrize("seed", range(4))
def test_a_two_line_name_beside_one_label_is_joined(seed):
    rnd = random.Random(seed)
    first, second = f"{word(rnd).capitalize()} Mutual", f"{word(rnd).capitalize()} Society Ltd"
    items = [(200, 400, "Seller"), (200, 450, "Number:"), (720, 450, str(rnd.randrange(10**5, 10**6))),
             (720, 500, first), (200, 530, "Name:"), (720, 532, second),
             (200, 610, "Address:"), (720, 612, street(rnd))]
    assert party_names(PageView(page(items)))["vendor"].text == f"{first} {second}"


@pytest.mark.parametrize("seed", range(6))
def test_return_address_line_names_the_sender(seed):
    rnd = random.Random(seed)
    sender, sep = company(rnd)[0], rnd.choice(["-", "·", "|"])
    items = [(300, 90, f" {sep} ".join([sender, street(rnd), town(rnd), rnd.choice(["France", "Deutschland"])])),
             (1000, 380, company(rnd)[0]), (1000, 420, street(rnd)), (1000, 460, town(rnd))]
    inv = extract_invoice([PageView(page(items))])
    assert inv.vendor.name.value == sender


@pytest.mark.parametrize("seed", range(8))
def test_totals_footer_with_figures_under_the_labels(seed):
    rnd = random.Random(seed)
    net = round(rnd.uniform(20, 5000), 2)
    rate = rnd.choice([0.07, 0.19, 0.2, 0.21])
    tax = round(net * rate, 2)
    gross = round(net + tax, 2)
    fmt = _de
    items = [(200, 300, "Rechnung Nr. 4711"),
             (300, 1900, "Warenwert"), (900, 1900, "Nettobetrag"), (1200, 1900, "MwSt-Betrag"),
             (1500, 1900, "Endbetrag"),
             (300, 1950, fmt(net)), (900, 1950, fmt(net)), (1200, 1950, fmt(tax)), (1500, 1950, fmt(gross))]
    inv = extract_invoice([PageView(page(items))])
    assert inv.total.value == gross and inv.total_tax.value == tax and inv.subtotal.value == net


@pytest.mark.parametrize("seed", range(4))
def test_totals_label_after_another_tables_column_and_exclusions(seed):
    rnd = random.Random(seed)
    net = round(rnd.uniform(20, 5000), 2)  # an export invoice: no VAT
    items = [(200, 300, f"Facture {_id(rnd)}"),
             (700, 1250, "Montant"), (1260, 1254, "Total HT"), (1450, 1254, f"{_de(net)} €"),
             (1230, 1302, "Total taxes"), (1480, 1302, "0,00 €"),
             (700, 1346, "Montant"), (1250, 1350, "Total TTC"), (1450, 1350, f"{_de(net)} €"),
             (600, 1400, "Total des remises"), (1450, 1400, f"-{_de(round(net / 10, 2))} €")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.total.value == net and inv.subtotal.value == net and inv.total_tax.value == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_a_summary_tax_row_is_taken_not_added(seed):
    net, tax, gross = _amounts(random.Random(seed))
    items = [(200, 300, "Rechnung Nr. 4711"), (200, 1000, "Umsatzsteuer 19 %"), (1400, 1000, _de(tax)),
             (600, 1300, "Rechnungssumme ohne USt."), (1400, 1300, _de(net)),
             (600, 1350, "Steuerbetrag"), (1400, 1350, _de(tax)),
             (600, 1400, "Bruttosumme"), (1400, 1400, _de(gross)),
             (600, 1450, "Gesamtbetrag der Abschläge"), (1400, 1450, "0,00")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.total_tax.value == tax and inv.subtotal.value == net and inv.total.value == gross


@pytest.mark.parametrize("seed", range(4))
def test_invoice_date_equal_to_the_due_date_is_kept(seed):
    rnd = random.Random(seed)
    day = dt.date(rnd.randrange(2016, 2026), rnd.randrange(1, 13), rnd.randrange(13, 29))
    items = [(100, 300, "Date de facture"), (430, 300, day.strftime("%d/%m/%Y")), (100, 350, "Date d'échéance"),
             (430, 350, day.strftime("%d/%m/%Y"))]
    inv = extract_invoice([PageView(page(items))])
    assert inv.invoice_date.value == day and inv.invoice_date.bbox[1] < inv.due_date.bbox[1]


@pytest.mark.parametrize("label", ["Facture n°", "Invoice#", "Rechnung Nr.", "Invoice No."])
def test_a_number_glued_to_its_label(label):
    rnd = random.Random(label)
    number = str(rnd.randrange(10_000_000, 999_999_999))
    items = [(200, 150, company(rnd)[0]), (200, 600, f"{label}{number} du 02 Juillet 2024")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.invoice_number.value == number


@pytest.mark.parametrize("other", ["Date of delivery", "Delivery date", "Lieferdatum", "Leistungsdatum",
                                   "Date de livraison", "Order date"])
def test_delivery_and_order_dates_are_not_the_invoice_date(other):
    rnd = random.Random(other)
    issued = dt.date(rnd.randrange(2016, 2026), rnd.randrange(1, 13), rnd.randrange(13, 29))
    delivered = issued - dt.timedelta(days=rnd.randrange(1, 12))
    items = [(160, 980, f"Invoice # {_id(rnd)} issued at {issued.isoformat()}"),
             (160, 1020, f"{other} {delivered.isoformat()}")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.invoice_date.value == issued


@pytest.mark.parametrize("seed", range(6))
def test_the_tax_row_that_closes_net_plus_tax_is_taken(seed):
    rnd = random.Random(seed)
    net_a, net_b = round(rnd.uniform(10, 900), 2), round(rnd.uniform(10, 900), 2)
    tax_a, tax_b = round(net_a * 0.07, 2), round(net_b * 0.19, 2)
    net, tax = round(net_a + net_b, 2), round(tax_a + tax_b, 2)
    items = [(200, 300, "Rechnung Nr. 4711"),
             (200, 1000, "Umsatzsteuer (S) 7 %"), (1400, 1000, _de(tax_a)),
             (200, 1050, "Umsatzsteuer (S) 19 %"), (1400, 1050, _de(tax_b)),
             (600, 1300, "Rechnungssumme ohne USt."), (1400, 1300, _de(net)),
             (600, 1350, "Steuerbetrag"), (1400, 1350, _de(tax)),
             (600, 1400, "Bruttosumme"), (1400, 1400, _de(round(net + tax, 2))),
             # the taxes of an allowance and a charge, printed after the sums
             (1200, 1600, "19 % USt (S)"), (1458, 1600, f"-{_de(rnd.randrange(1, 300) / 100)}"),
             (1200, 1650, "7 % USt (S)"), (1458, 1650, _de(rnd.randrange(1, 900) / 100))]
    inv = extract_invoice([PageView(page(items))])
    assert inv.total_tax.value == tax and inv.total.value == round(net + tax, 2)


@pytest.mark.parametrize("seed", range(4))
def test_line_items_stop_at_a_vat_breakdown_and_skip_detail_lines(seed):
    from docpipe.structure.line_items import extract_line_items

    rnd = random.Random(seed)
    rows, want, y = [], [], 380
    for pos in (1, 2):
        desc = f"{word(rnd).capitalize()} {rnd.choice(['Papier', 'Schraube M8', 'Kabel 3m', 'Service'])}"
        price, qty = rnd.randrange(100, 9999) / 100, rnd.randrange(1, 60)
        amount = round(price * qty, 2)
        rows += [(200, y, str(pos)), (500, y, desc), (980, y, _de(price)), (1120, y, str(qty)), (1420, y, _de(amount)),
                 (500, y + 50, f"Bruttopreis : {_de(round(price * 1.19, 2))}")]  # a detail line under the item
        want.append((desc, amount))
        y += 120
    items = [(200, 300, "Pos"), (500, 300, "Beschreibung"), (950, 300, "Nettopreis"), (1110, 300, "Menge"),
             (1370, 300, "Nettobetrag"), *rows,
             (180, y + 80, "Umsatzsteueraufschlüsselung"),
             (200, y + 160, "Umsatzsteuer (S)"), (1030, y + 160, _de(want[1][1])), (1290, y + 160, "7"),
             (1420, y + 160, _de(round(want[1][1] * 0.07, 2)))]
    got = extract_line_items([PageView(page(items))])
    assert [(i.description.value, i.amount.value) for i in got] == want


def test_gross_priced_items_may_sum_to_the_total():
    from docpipe.types import GroundedNumber, Invoice, LineItem
    from docpipe.validate import check_invoice

    def n(v):
        return GroundedNumber(value=v, text=str(v), confidence=0.9, page=1, bbox=(1, 1, 2, 2))
    inv = Invoice(subtotal=n(100.0), total_tax=n(21.0), total=n(121.0),
                  line_items=[LineItem(amount=n(60.5)), LineItem(amount=n(60.5))])
    assert not any("line items sum" in r for r in check_invoice(inv))
    inv.line_items = [LineItem(amount=n(50.0)), LineItem(amount=n(60.0))]
    assert any("line items sum" in r for r in check_invoice(inv))


@pytest.mark.parametrize("label", ["Ursprungsbeleg-Nr :", "Original invoice no.", "Bezugsrechnung Nr."])
def test_the_number_of_the_corrected_invoice_is_not_this_invoices_number(label):
    rnd = random.Random(label)
    number, original = f"K{rnd.randrange(10**6, 10**7)}", f"R{rnd.randrange(10**9, 10**10)}"
    items = [(180, 150, f"Rechnungskorrektur Nr. {number} vom 16.09.2024"), (480, 990, f"{label} {original}")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.invoice_number.value == number


@pytest.mark.parametrize("seed", range(4))
def test_the_title_number_wins_over_a_number_cited_in_a_remark(seed):
    rnd = random.Random(seed)
    digits = str(rnd.randrange(10**10, 10**11))
    items = [(180, 150, f"Schlussrechnung ({rnd.randrange(300, 999)}) Nr. A{digits} vom 20.09.2024"),
             (200, 1500, f"Bitte geben Sie bei Zahlung Ihre Kundennummer {rnd.randrange(10**6, 10**7)} und die "
                         f"Belegnummer {digits} an")]
    assert extract_invoice([PageView(page(items))]).invoice_number.value == f"A{digits}"
    # a labelled number on its own line still comes first
    items[1] = (200, 400, "Rechnungsnummer: 2024-118")
    assert extract_invoice([PageView(page(items))]).invoice_number.value == "2024-118"
