"""Per-language labels and number / date / currency formatting for invoices and receipts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

LABELS: dict[str, dict[str, str]] = {
    "en": dict(title="INVOICE", number="Invoice No.", date="Date", due="Due date", po="PO Number",
               customer_no="Customer No.", bill_to="Bill to", from_="From", pos="#", desc="Description",
               qty="Qty", unit="Unit", price="Unit price", amount="Amount", subtotal="Subtotal", vat="VAT",
               vat_total="Total VAT", total="Total", due_amount="Amount due", terms="Payment terms",
               vat_id="VAT No.", iban="IBAN", bic="BIC", bank="Bank details", page="Page",
               carried="Continued on next page", thanks="Thank you for your business.",
               notes="Notes", phone="Phone", email="Email", cash="Cash", card="Card"),
    "de": dict(title="RECHNUNG", number="Rechnungsnummer", date="Datum", due="Fällig am", po="Bestellnummer",
               customer_no="Kundennummer", bill_to="Rechnungsempfänger", from_="Absender", pos="Pos.",
               desc="Bezeichnung", qty="Menge", unit="Einheit", price="Einzelpreis", amount="Betrag",
               subtotal="Zwischensumme", vat="MwSt.", vat_total="MwSt. gesamt", total="Gesamtbetrag",
               due_amount="Zahlbetrag", terms="Zahlungsbedingungen", vat_id="USt-IdNr.", iban="IBAN",
               bic="BIC", bank="Bankverbindung", page="Seite", carried="Fortsetzung auf der nächsten Seite",
               thanks="Vielen Dank für Ihren Auftrag.", notes="Hinweise", phone="Tel.", email="E-Mail",
               cash="Bar", card="Karte"),
    "fr": dict(title="FACTURE", number="N° de facture", date="Date", due="Échéance", po="N° de commande",
               customer_no="N° client", bill_to="Facturé à", from_="Émetteur", pos="N°", desc="Désignation",
               qty="Qté", unit="Unité", price="Prix unitaire", amount="Montant HT", subtotal="Sous-total",
               vat="TVA", vat_total="Total TVA", total="Total TTC", due_amount="Net à payer",
               terms="Conditions de paiement", vat_id="N° TVA", iban="IBAN", bic="BIC",
               bank="Coordonnées bancaires", page="Page", carried="Suite page suivante",
               thanks="Merci de votre confiance.", notes="Remarques", phone="Tél.", email="E-mail",
               cash="Espèces", card="Carte"),
    "nl": dict(title="FACTUUR", number="Factuurnummer", date="Factuurdatum", due="Vervaldatum",
               po="Ordernummer", customer_no="Klantnummer", bill_to="Factuuradres", from_="Van", pos="Nr.",
               desc="Omschrijving", qty="Aantal", unit="Eenheid", price="Prijs", amount="Bedrag",
               subtotal="Subtotaal", vat="BTW", vat_total="Totaal BTW", total="Totaal",
               due_amount="Te betalen", terms="Betalingsvoorwaarden", vat_id="BTW-nr.", iban="IBAN",
               bic="BIC", bank="Bankgegevens", page="Pagina", carried="Vervolg op volgende pagina",
               thanks="Bedankt voor uw opdracht.", notes="Opmerkingen", phone="Tel.", email="E-mail",
               cash="Contant", card="Pin"),
}

TERMS = {
    "en": ["Net 30", "Net 14", "Payable within 30 days", "Due on receipt", "2% 10, net 30"],
    "de": ["Zahlbar innerhalb 14 Tagen ohne Abzug", "30 Tage netto", "Sofort fällig", "14 Tage 2% Skonto"],
    "fr": ["Paiement à 30 jours", "Paiement à réception", "45 jours fin de mois", "Paiement à 60 jours"],
    "nl": ["Betaling binnen 30 dagen", "Binnen 14 dagen", "Direct bij ontvangst"],
}
UNITS = {"en": ["pcs", "h", "kg", "m", "box", "ea"], "de": ["Stk", "Std", "kg", "m", "Pkt"],
         "fr": ["pce", "h", "kg", "m", "lot"], "nl": ["st", "uur", "kg", "m", "doos"]}
TAX_RATES = {"en": [("20", "5"), ("0",)], "gb": [("20", "5")], "us": [("8.25",), ("7",)],
             "de": [("19", "7")], "fr": [("20", "5.5"), ("20", "10")], "nl": [("21", "9")], "ch": [("8.1", "2.6")]}
ITEMS = {
    "en": ["Consulting services", "Hex bolt M8x40, zinc plated", "Office chair, ergonomic", "Shipping and handling",
           "Software licence (annual)", "Steel plate 10 mm", "Installation labour", "Printer toner black",
           "Ball bearing 6204-2RS", "Laptop stand aluminium", "Project management", "Cable tie pack (100)",
           "Design review workshop", "Hydraulic hose 1/2\"", "Safety gloves, size L", "Maintenance contract"],
    "de": ["Beratungsleistung", "Sechskantschraube M8x40 verzinkt", "Bürostuhl ergonomisch", "Versandkosten",
           "Softwarelizenz (jährlich)", "Stahlblech 10 mm", "Montagearbeiten", "Toner schwarz",
           "Kugellager 6204-2RS", "Wartungsvertrag", "Projektleitung", "Kabelbinder (100 Stk.)",
           "Schutzhandschuhe Gr. 9", "Hydraulikschlauch DN12", "Schulung vor Ort"],
    "fr": ["Prestation de conseil", "Vis hexagonale M8x40 zinguée", "Fauteuil de bureau", "Frais de port",
           "Licence logicielle annuelle", "Tôle d'acier 10 mm", "Main-d'œuvre installation", "Toner noir",
           "Roulement à billes 6204-2RS", "Contrat de maintenance", "Gestion de projet", "Gants de sécurité",
           "Formation sur site", "Flexible hydraulique"],
    "nl": ["Advieswerkzaamheden", "Zeskantbout M8x40 verzinkt", "Bureaustoel ergonomisch", "Verzendkosten",
           "Softwarelicentie (jaarlijks)", "Staalplaat 10 mm", "Montage-uren", "Toner zwart",
           "Kogellager 6204-2RS", "Onderhoudscontract", "Projectbegeleiding", "Werkhandschoenen",
           "Training op locatie", "Hydrauliekslang"],
}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
}

# date styles by language (the generator picks one per document)
DATE_STYLES = {"en": ["iso", "us_long", "dmy_slash", "d_mon_y"], "de": ["dmy_dot", "dmy_dot", "iso"],
               "fr": ["dmy_slash", "dmy_slash", "fr_long"], "nl": ["dmy_dash", "dmy_dash", "nl_long"]}
# number styles: (thousands separator, decimal separator)
NUMBER_STYLES = {"en": [(",", ".")], "de": [(".", ",")], "fr": [(" ", ","), (".", ",")], "nl": [(".", ",")],
                 "ch": [("'", ".")]}


def fmt_date(d: dt.date, style: str) -> str:
    if style == "iso":
        return d.isoformat()
    if style == "dmy_dot":
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    if style == "dmy_slash":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if style == "dmy_dash":
        return f"{d.day:02d}-{d.month:02d}-{d.year}"
    if style == "us_long":
        return f"{MONTHS['en'][d.month - 1]} {d.day}, {d.year}"
    if style == "d_mon_y":
        return f"{d.day} {MONTHS['en'][d.month - 1][:3]} {d.year}"
    if style == "fr_long":
        return f"{d.day} {MONTHS['fr'][d.month - 1]} {d.year}"
    if style == "nl_long":
        return f"{d.day} {MONTHS['nl'][d.month - 1]} {d.year}"
    raise ValueError(style)


def fmt_num(x: Decimal, style: tuple[str, str], decimals: int = 2) -> str:
    """``Decimal('1234.5')`` -> ``1,234.50`` / ``1.234,50`` / ``1 234,50`` / ``1'234.50``."""
    thousands, point = style
    neg = x < 0
    q = abs(x).quantize(Decimal(1).scaleb(-decimals))
    whole, _, frac = f"{q:f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    s = thousands.join(groups) + (point + frac if decimals else "")
    return ("-" if neg else "") + s


def fmt_qty(q: Decimal, style: tuple[str, str]) -> str:
    if q == q.to_integral_value():
        return str(int(q))
    return fmt_num(q, style, 2).rstrip("0").rstrip(style[1])


CURRENCY_SYMBOL = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}
