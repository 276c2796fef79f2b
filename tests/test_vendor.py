"""The vendor's name confirmed by the page (docpipe.structure.vendor): a legal name in the letterhead that the
page repeats in its own web/e-mail domain or its footer; and the model is then not asked it."""

import pytest

from docpipe.structure.invoice import confirmed_vendor_name, extract_invoice
from docpipe.structure.layout import PageView
from docpipe.structure.llm.structurer import settled
from docpipe.structure.vendor import LEGAL_FORM_END, fold

from .conftest import page_from_items as page

HEAD = [(1600, 200, "RECHNUNG"), (1600, 350, "Rechnungsnummer: RE-2025-0042"), (1600, 410, "Datum: 14.03.2025"),
        (200, 600, "Rechnungsempfänger:"), (200, 650, "Bauer Bau AG"), (200, 700, "Ringweg 12"),
        (200, 750, "80331 München"), (1500, 1640, "Gesamtbetrag EUR"), (2000, 1640, "215,99")]


def views(items, *more):
    return [PageView(page(items, number=1))] + [PageView(page(m, number=n)) for n, m in enumerate(more, 2)]


@pytest.mark.parametrize("text, ok", [
    ("Lieferant GmbH", True), ("Nord Systems & Co.", True), ("Aurora Logistique EURL", True),
    ("Visser Logistiek N.V.", True), ("Brandt Software LLC", True), ("Falk Beratung e.K.", True),
    ("Global Supplies Ltd.", True), ("Muster GmbH & Co. KG", True), ("Acme SA", True),
    ("Acme Sa", False),  # short forms count only in capitals
    ("GmbH-Anteile verkauft", False), ("Ihre Rechnung", False), ("Gasthaus", False),
])
def test_legal_form_at_the_end_of_the_name(text, ok):
    assert (LEGAL_FORM_END.search(text) is not None) is ok


def test_fold_drops_accents_case_and_punctuation():
    assert fold("Au bon Moulin") == "aubonmoulin" and fold("MUSTER-Autovermietung") == "musterautovermietung"
    assert fold("Hôtel") == "hotel"


def test_name_confirmed_by_its_email_domain():
    items = [(200, 150, "Welcome to better logistics"), (200, 200, "Verkehrsbetriebe GmbH"),
             (200, 260, "Hauptstrasse 5"), *HEAD, (200, 3300, "Fragen? service@verkehrsbetriebe.de")]
    assert confirmed_vendor_name(views(items)) == "Verkehrsbetriebe GmbH"
    inv = extract_invoice(views(items))
    assert inv.vendor.name.value == "Verkehrsbetriebe GmbH" and inv.vendor.name.bbox[:2] == (200, 200)
    # The rules' tallest-line guess would have taken the slogan; the confirmed name also gets a higher certainty.
    assert inv.vendor.name.confidence > 0.85


def test_name_confirmed_by_the_footer_of_a_later_page():
    items = [(200, 200, "Lieferant GmbH"), (200, 260, "Lieferantenstrasse 20"), *HEAD]
    last = [(200, 100, "Seite 2"), (200, 3200, "Lieferant GmbH | Lieferantenstrasse 20 | 80333 München")]
    assert confirmed_vendor_name(views(items, last)) == "Lieferant GmbH"


def test_unconfirmed_names_are_not_taken():
    no_repeat = [(200, 200, "Lieferant GmbH"), *HEAD, (200, 3200, "Vielen Dank für Ihren Auftrag")]
    assert confirmed_vendor_name(views(no_repeat)) is None
    no_form = [(200, 200, "Lieferant Kontor"), *HEAD, (200, 3200, "Lieferant Kontor | Hauptstrasse 5")]
    assert confirmed_vendor_name(views(no_form)) is None
    # an address line repeated in the footer is not a name (digits)
    address = [(200, 200, "Hauptstrasse 5 GmbH"), *HEAD, (200, 3200, "Hauptstrasse 5 GmbH")]
    assert confirmed_vendor_name(views(address)) is None


def test_customer_block_and_ambiguity():
    # the customer's own domain names the customer, inside its block: not the vendor
    customer = [*HEAD, (200, 800, "info@bauerbau.de")]
    customer[4] = (200, 650, "Bauer Bau GmbH")
    assert confirmed_vendor_name(views(customer)) is None
    # two different confirmed names in the letterhead (no 'Bill to' label): ambiguous, so none
    both = [(200, 200, "Lieferant GmbH"), (1400, 450, "Nordhandel Vertrieb GmbH"), (1600, 350, "Rechnung Nr. 5"),
            (200, 3200, "Lieferant GmbH | Bank"), (200, 3300, "kontakt@nordhandel.de")]
    assert confirmed_vendor_name(views(both)) is None


def test_a_confirmed_vendor_is_not_asked_of_the_model():
    items = [(200, 200, "Lieferant GmbH"), *HEAD, (200, 3200, "Lieferant GmbH | Lieferantenstrasse 20")]
    v = views(items)
    assert "vendor_name" in settled(extract_invoice(v), v)
    bare = [(200, 200, "Lieferant GmbH"), *HEAD]
    v = views(bare)
    assert "vendor_name" not in settled(extract_invoice(v), v)
    # receipts keep their own rules (docpipe.structure.receipt)
    v = views(items)
    assert "vendor_name" not in settled(extract_invoice(v, receipt=True), v, receipt=True)
