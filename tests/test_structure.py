"""Rule-based structuring over pages built from known words (no OCR): values and their grounding."""

import datetime as dt

from docpipe.classify import classify
from docpipe.options import StructureOptions
from docpipe.structure import Structurer

from .conftest import page_from_items as page


INVOICE = [
    (200, 200, "ACME Widgets GmbH"), (200, 260, "Hauptstrasse 5"), (200, 310, "10115 Berlin"),
    (1600, 200, "RECHNUNG"), (1600, 350, "Rechnungsnummer: RE-2025-0042"), (1600, 410, "Datum: 14.03.2025"),
    (1600, 470, "Fällig am: 13.04.2025"), (1600, 530, "Bestellnummer: PO-7781"),
    (200, 600, "Rechnungsempfänger:"), (200, 650, "Bauer Bau AG"), (200, 700, "Ringweg 12"), (200, 750, "80331 München"),
    (200, 1000, "Beschreibung"), (1200, 1000, "Menge"), (1500, 1000, "Einzelpreis"), (2000, 1000, "Betrag"),
    (200, 1080, "Stahlwinkel verzinkt"), (1200, 1080, "2"), (1500, 1080, "10,00"), (2000, 1080, "20,00"),
    (200, 1150, "Sechskantschraube M8"), (1200, 1150, "100"), (1500, 1150, "0,25"), (2000, 1150, "25,00"),
    (200, 1220, "Montage"), (1200, 1220, "3"), (1500, 1220, "45,50"), (2000, 1220, "136,50"),
    (1500, 1500, "Zwischensumme"), (2000, 1500, "181,50"),
    (1500, 1570, "MwSt. 19%"), (2000, 1570, "34,49"),
    (1500, 1640, "Gesamtbetrag EUR"), (2000, 1640, "215,99"),
    (200, 2000, "IBAN: DE89 3704 0044 0532 0130 00"), (200, 2060, "USt-IdNr.: DE123456789"),
    (200, 2120, "Zahlungsbedingungen: 30 Tage netto"),
]


def test_classify_invoice_and_drawing():
    assert classify([page(INVOICE)])[0] == "invoice"
    assert classify([page(DRAWING, size=(3508, 2480))])[0] == "drawing"
    assert classify([page([(100, 100, "Dear Sir or Madam, thank you for your letter of last week about")])])[0] \
        == "other"


def test_invoice_fields_are_extracted_and_grounded():
    inv = Structurer(StructureOptions())("invoice", [page(INVOICE)]).payload
    assert inv.invoice_number.value == "RE-2025-0042"
    assert inv.invoice_date.value == dt.date(2025, 3, 14) and inv.invoice_date.text == "14.03.2025"
    assert inv.due_date.value == dt.date(2025, 4, 13)
    assert inv.purchase_order.value == "PO-7781"
    assert inv.subtotal.value == 181.5 and inv.total_tax.value == 34.49 and inv.total.value == 215.99
    assert inv.currency.value == "EUR"
    assert inv.vendor.name.value == "ACME Widgets GmbH"
    assert inv.customer.name.value == "Bauer Bau AG" and "Ringweg 12" in inv.customer.address.value
    assert inv.vendor.iban.value == "DE89370400440532013000" and inv.vendor.vat_id.value == "DE123456789"
    assert inv.payment_terms.value.startswith("30 Tage")
    assert [(li.description.value, li.quantity.value if li.quantity else None, li.amount.value)
            for li in inv.line_items] == [("Stahlwinkel verzinkt", 2, 20.0), ("Sechskantschraube M8", 100, 25.0),
                                          ("Montage", 3, 136.5)]
    # Grounding: the total's box is where '215,99' was printed.
    x0, y0, x1, y1 = inv.total.bbox
    assert (x0, y0) == (2000, 1640) and inv.total.page == 1 and inv.total.text == "215,99"


DRAWING = [
    (300, 400, "120"), (900, 700, "Ø25 H7"), (1400, 900, "4x Ø6.6"), (500, 1200, "R5"), (1800, 600, "30 ±0.1"),
    (300, 1700, "NOTES:"), (300, 1760, "1. BREAK ALL SHARP EDGES"), (300, 1820, "2. DEBURR"),
    (2400, 1900, "Drawing No."), (2400, 1950, "DWG-1042"), (2900, 1900, "Rev."), (2900, 1950, "B"),
    (2400, 2050, "Title"), (2400, 2100, "Flange plate"), (2900, 2050, "Scale"), (2900, 2100, "1:2"),
    (2400, 2200, "Material"), (2400, 2250, "S235JR"), (2900, 2200, "Date"), (2900, 2250, "2025-03-14"),
    (2400, 2330, "General tolerances ISO 2768-m"),
]


def test_drawing_title_block_dimensions_notes():
    drw = Structurer(StructureOptions())("drawing", [page(DRAWING, size=(3508, 2480))]).payload
    tb = drw.title_block
    assert tb.drawing_number.value == "DWG-1042" and tb.revision.value == "B" and tb.scale.value == "1:2"
    assert tb.title.value == "Flange plate" and tb.material.value == "S235JR"
    assert tb.date.value == dt.date(2025, 3, 14)
    dims = {d.text: d for d in drw.dimensions}
    assert {"120", "Ø25 H7", "4x Ø6.6", "R5", "30 ±0.1"} <= set(dims)
    assert dims["Ø25 H7"].kind == "diameter" and dims["Ø25 H7"].fit == "H7"
    assert dims["4x Ø6.6"].count == 4 and dims["R5"].kind == "radius"
    assert dims["30 ±0.1"].upper_deviation == 0.1 and dims["30 ±0.1"].tolerance_source == "drawing"
    # ISO 2768-m applied to the untoleranced 120 mm, marked as derived from the title block
    assert dims["120"].tolerance_source == "general" and dims["120"].upper_deviation == 0.3
    assert [n.value for n in drw.notes] == ["BREAK ALL SHARP EDGES", "DEBURR"]
    assert not any(d.text in ("1042", "2", "1:2") for d in drw.dimensions), "title block text is not a dimension"
