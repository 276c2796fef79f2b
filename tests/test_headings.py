"""Headings that carry fields (title lines with the number, labelled party sections) and the totals rows the
invoice rules read, over generated cases of each layout class."""

import datetime as dt
import random

import pytest

from docpipe.structure.headings import find_title, party_names
from docpipe.structure.invoice import extract_invoice
from docpipe.structure.layout import PageView

from .conftest import page_from_items as page

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


@pytest.mark.parametrize("text", ["Invoice Date 14.03.2025", "Rechnung gemäß Bestellung vom 01.03.2018",
                                  "Facture liée FA-2017-0010", "Invoice to Bauer AG", "Rechnungsadresse"])
def test_lines_that_start_with_a_title_word_but_print_no_number(text):
    assert find_title([PageView(page([(200, 300, text)]))]) is None


def test_a_qualifier_between_title_and_number_label():
    views = [PageView(page([(180, 150, "Rechnung des Versicherers (575) Nr. 01.234.567.8-2024-1 vom 06.12.2024")]))]
    t = find_title(views)
    assert t.number[1] == "01.234.567.8-2024-1" and t.date[1] == dt.date(2024, 12, 6)


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
    items = (_section(200, 720, 400, seller, [("Nummer:", "549910"), (name_label, "Nordlicht Technik GmbH"),
                                              ("Anschrift:", "Hafenstraße 20")])
             + _section(200, 720, 900, buyer, [("Nummer:", "GE2020211"), (name_label, "Kunden AG Mitte"),
                                               ("Anschrift:", "Kundenstraße 15")]))
    view = PageView(page(items))
    names = party_names(view)
    assert names["vendor"].text == "Nordlicht Technik GmbH" and names["customer"].text == "Kunden AG Mitte"
    inv = extract_invoice([view])
    assert inv.vendor.name.value == "Nordlicht Technik GmbH" and inv.customer.name.value == "Kunden AG Mitte"


def test_a_two_line_name_beside_one_label_is_joined():
    items = [(200, 400, "Seller"), (200, 450, "Number:"), (720, 450, "549910"),
             (720, 500, "Harbour Mutual"), (200, 530, "Name:"), (720, 532, "Insurance Society Ltd"),
             (200, 610, "Address:"), (720, 612, "Pier Road 12")]
    assert party_names(PageView(page(items)))["vendor"].text == "Harbour Mutual Insurance Society Ltd"


def test_return_address_line_names_the_sender():
    items = [(300, 90, "Moulin Vert SARL - 12 chemin des oliviers - 84340 Malaucène - France"),
             (1000, 380, "Boutique Lumière"), (1000, 420, "35 rue de la Paix"), (1000, 460, "69001 Lyon")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.vendor.name.value == "Moulin Vert SARL"


@pytest.mark.parametrize("seed", range(8))
def test_totals_footer_with_figures_under_the_labels(seed):
    rnd = random.Random(seed)
    net = round(rnd.uniform(20, 5000), 2)
    rate = rnd.choice([0.07, 0.19, 0.2, 0.21])
    tax = round(net * rate, 2)
    gross = round(net + tax, 2)
    fmt = lambda v: f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")  # noqa: E731
    items = [(200, 300, "Rechnung Nr. 4711"),
             (300, 1900, "Warenwert"), (900, 1900, "Nettobetrag"), (1200, 1900, "MwSt-Betrag"),
             (1500, 1900, "Endbetrag"),
             (300, 1950, fmt(net)), (900, 1950, fmt(net)), (1200, 1950, fmt(tax)), (1500, 1950, fmt(gross))]
    inv = extract_invoice([PageView(page(items))])
    assert inv.total.value == gross and inv.total_tax.value == tax and inv.subtotal.value == net


def test_totals_label_after_another_tables_column_and_exclusions():
    items = [(200, 300, "Facture FA-2024-0009"),
             (700, 1250, "Montant"), (1260, 1254, "Total HT"), (1450, 1254, "530,75 €"),
             (1230, 1302, "Total taxes"), (1480, 1302, "0,00 €"),
             (700, 1346, "Montant"), (1250, 1350, "Total TTC"), (1450, 1350, "530,75 €"),
             (600, 1400, "Total des remises"), (1450, 1400, "-12,00 €")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.total.value == 530.75 and inv.subtotal.value == 530.75 and inv.total_tax.value == 0.0


def test_a_summary_tax_row_is_taken_not_added():
    items = [(200, 300, "Rechnung Nr. 4711"), (200, 1000, "Umsatzsteuer 19 %"), (1400, 1000, "1,54"),
             (600, 1300, "Rechnungssumme ohne USt."), (1400, 1300, "8,10"),
             (600, 1350, "Steuerbetrag"), (1400, 1350, "1,54"),
             (600, 1400, "Bruttosumme"), (1400, 1400, "9,64"),
             (600, 1450, "Gesamtbetrag der Abschläge"), (1400, 1450, "0,00")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.total_tax.value == 1.54 and inv.subtotal.value == 8.10 and inv.total.value == 9.64


def test_invoice_date_equal_to_the_due_date_is_kept():
    items = [(100, 300, "Date de facture"), (430, 300, "16/11/2024"), (100, 350, "Date d'échéance"),
             (430, 350, "16/11/2024")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.invoice_date.value == dt.date(2024, 11, 16) and inv.invoice_date.bbox[1] < inv.due_date.bbox[1]


@pytest.mark.parametrize("label", ["Facture n°", "Invoice#", "Rechnung Nr.", "Invoice No."])
def test_a_number_glued_to_its_label(label):
    rnd = random.Random(label)
    number = str(rnd.randrange(10_000_000, 999_999_999))
    items = [(200, 150, "Libre Réseau SAS"), (200, 600, f"{label}{number} du 02 Juillet 2024")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.invoice_number.value == number


@pytest.mark.parametrize("other", ["Date of delivery", "Delivery date", "Lieferdatum", "Leistungsdatum",
                                   "Date de livraison", "Order date"])
def test_delivery_and_order_dates_are_not_the_invoice_date(other):
    items = [(160, 980, "Invoice # RE-2024/508 issued at 2024-11-21"), (160, 1020, f"{other} 2024-11-10")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.invoice_date.value == dt.date(2024, 11, 21)


def test_the_tax_row_that_closes_net_plus_tax_is_taken():
    items = [(200, 300, "Rechnung Nr. 4711"),
             (200, 1000, "Umsatzsteuer (S) 7 %"), (1400, 1000, "7,91"),
             (200, 1050, "Umsatzsteuer (S) 19 %"), (1400, 1050, "12,25"),
             (600, 1300, "Rechnungssumme ohne USt."), (1400, 1300, "177,49"),
             (600, 1350, "Steuerbetrag"), (1400, 1350, "20,16"),
             (600, 1400, "Bruttosumme"), (1400, 1400, "197,65"),
             (1200, 1600, "19 % USt (S)"), (1458, 1600, "-1,00"), (1200, 1650, "7 % USt (S)"), (1458, 1650, "5,80")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.total_tax.value == 20.16 and inv.total.value == 197.65


def test_line_items_stop_at_a_vat_breakdown_and_skip_detail_lines():
    from docpipe.structure.line_items import extract_line_items

    items = [(200, 300, "Pos"), (500, 300, "Beschreibung"), (950, 300, "Nettopreis"), (1110, 300, "Menge"),
             (1370, 300, "Nettobetrag"),
             (200, 380, "1"), (500, 380, "Trennblätter A4"), (980, 380, "9,90"), (1120, 380, "20"),
             (1420, 380, "198,00"),
             (500, 430, "Bruttopreis : 9,9000"),
             (200, 500, "2"), (500, 500, "Joghurt Banane"), (980, 500, "5,50"), (1120, 500, "50"),
             (1420, 500, "275,00"),
             (180, 700, "Umsatzsteueraufschlüsselung"),
             (200, 780, "Umsatzsteuer (S)"), (1030, 780, "275,00"), (1290, 780, "7"), (1420, 780, "19,25")]
    got = extract_line_items([PageView(page(items))])
    assert [(i.description.value, i.amount.value) for i in got] == [("Trennblätter A4", 198.0),
                                                                     ("Joghurt Banane", 275.0)]


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


def test_the_number_of_the_corrected_invoice_is_not_this_invoices_number():
    items = [(180, 150, "Rechnungskorrektur (384) Nr. RK24012345 vom 16.09.2024"),
             (480, 990, "Ursprungsbeleg-Nr : R87654321012345")]
    inv = extract_invoice([PageView(page(items))])
    assert inv.invoice_number.value == "RK24012345"


def test_the_title_number_wins_over_a_number_cited_in_a_remark():
    items = [(180, 150, "Handelsrechnung (380) Nr. E2024092011804 vom 20.09.2024"),
             (200, 1500, "Bei Schriftwechsel bitte Ihre Kundennummer 35040727 und Belegnummer 2024092011804 angeben")]
    assert extract_invoice([PageView(page(items))]).invoice_number.value == "E2024092011804"
    # a labelled number on its own line still comes first
    items[1] = (200, 400, "Rechnungsnummer: 2024-118")
    assert extract_invoice([PageView(page(items))]).invoice_number.value == "2024-118"
