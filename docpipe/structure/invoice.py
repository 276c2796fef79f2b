"""Interim rule-based invoice and receipt extraction (EN/DE/FR/NL), every value grounded in page words.

Labels are found by regular expressions over lines; a value is the typed candidate (date, amount, ID) to the
right of its label on the same row, else directly below it. Certainty factors scale OCR confidence:
1.0 same-line label, 0.85 label's row, 0.75 below the label, 0.5 positional fallback. To be replaced by the
LLM structuring stage; kept as its offline fallback and candidate source.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ..geometry import inside, union
from ..normalize import VAT_RE, iban_valid, normalise_vat_id, word_currency
from ..types import GroundedCurrency, GroundedNumber, Invoice, Party
from .layout import (PageView, Span, word_range, amounts_in, dates_in, grounded_date, grounded_number,
                     grounded_text)
from .dates import MIXED_PADDING, mixed_padding
from .headings import find_title, party_names, title_fields
from .line_items import extract_line_items as _line_items
from .receipt import receipt_header, receipt_total
from .vendor import confirmed_vendor

_I = re.I
LABELS = {
    "invoice_number": re.compile(
        r"(invoice|receipt|bill|inv)\.?\s*(no\.?|number|nr\.?|#|num\.?)|rechnungs?-?\s*(nr\.?|nummer|no\.?)|"
        r"beleg-?(nr\.?|nummer)|n[°ºo]\.?\s*de\s*facture|facture\s*n[°ºo]|num[ée]ro\s*de\s*facture|"
        r"factuur\s*(nr\.?|nummer|no\.?)|factuurnummer|document\s*no\.?", _I),
    "invoice_date": re.compile(
        r"(invoice|bill|receipt)?\s*date\b|\bdated\b|rechnungsdatum|\bdatum\b|date\s*de\s*(la\s*)?facture|"
        r"date\s*d'?[ée]mission|factuurdatum|\bdate\b", _I),
    "due_date": re.compile(
        r"due\s*(date|on|by)|payment\s*due|payable\s*by|f[äa]llig(keitsdatum|\s*am)?|zahlbar\s*bis|"
        r"[ée]ch[ée]ance|date\s*limite|vervaldatum|vervaldag|te\s*betalen\s*voor", _I),
    "purchase_order": re.compile(
        r"\bp\.?\s?o\.?\s*(no\.?|number|#)?\b|purchase\s*order|order\s*(no\.?|number|#)|bestell(nummer|-?nr\.?)|"
        r"auftrags?(nummer|-?nr\.?)|bon\s*de\s*commande|commande\s*n[°o]|n[°o]\s*de\s*commande|"
        r"inkooporder(nummer)?|bestelnummer|"
        r"ordernummer", _I),
    "payment_terms": re.compile(
        r"payment\s*terms|terms\s*of\s*payment|\bterms\b|zahlungsbedingungen|zahlungsziel|"
        r"conditions\s*de\s*(paiement|r[èe]glement)|betalingsvoorwaarden|betalingstermijn", _I),
    "subtotal": re.compile(
        r"sub-?\s*total|net\s*(amount|total)|total\s*(net|excl\.?|before\s*tax|ht)|zwischensumme|"
        r"netto(betrag|summe)?|gesamt\s*netto|sous-?\s*total|montant\s*ht|\bht\b|subtotaal|"
        r"totaal\s*excl\.?(\s*btw)?|bedrag\s*excl|"
        # 'Rechnungssumme ohne USt.', 'Total hors taxes', 'excl. VAT': the net amount named by what it leaves out
        r"(rechnungs)?summe\s*ohne|ohne\s*(ust|mwst|steuer)|summe\s*netto|hors\s*(taxes?|tva)|"
        r"excl\.?\s*(btw|vat|tax|mwst)", _I),
    "total_tax": re.compile(
        r"\b(vat|tax|taxes|gst|sst|mwst|ust|umsatzsteuer|mehrwertsteuer|tva|btw)\b|"
        r"(umsatz|mehrwert)?steuerbetrag|(mwst|ust)\.?-?betrag|montant\s*(de\s*la\s*)?tva|btw-?bedrag", _I),
    "total": re.compile(
        r"\btotal\b|grand\s*total|amount\s*due|balance\s*due|gesamt(betrag|summe)?|rechnungsbetrag|\bsumme\b|"
        r"endbetrag|zu\s*zahlen|total\s*ttc|montant\s*total|net\s*[àa]\s*payer|totaal|te\s*betalen|"
        r"totaalbedrag|"
        # the gross amount named as such: 'Bruttosumme', 'Bruttobetrag', 'Summe brutto', 'Total incl. VAT'
        r"brutto(summe|betrag)|summe\s*brutto|gesamtbrutto|(total|totaal)\s*incl", _I),
    "amount_due": re.compile(
        r"amount\s*due|balance\s*due|zu\s*zahlen|zahlbetrag|net\s*[àa]\s*payer|reste\s*[àa]\s*payer|"
        r"te\s*betalen", _I),
    "customer": re.compile(
        r"bill(ed)?\s*to|invoice\s*to|sold\s*to|\b(customer|client|kunde|klant)\b(?!\s*(no|nr|number|id|#|nummer|"
        r"n°))|rechnungs(empf[äa]nger|adresse)|factur[ée]\s*[àa]|adress[ée]\s*[àa]|adresse\s*de\s*facturation|"
        r"factuur\s*aan|factuuradres|afnemer", _I),
}
# Rows whose label names a total of something else: allowances and charges ('Gesamtbetrag der Abschläge'),
# prepayments ('Erhaltene Anzahlungen', 'acompte'), discounts. Their amounts are not the document's total.
_NOT_TOTAL = re.compile(r"zuschl[äa]g|abschl[äa]g|rabatt|anzahlung|acompte|discount|remise|korting|skonto|"
                        r"allowance|charges?\b|prepaid|paid\b|bezahlt|vooruitbetaald|d[ée]j[àa]\s*pay", _I)
# A number label of another document: the invoice a credit note or correction refers to ('Ursprungsbeleg-Nr',
# 'original invoice no.', 'Facture liée', 'Bezugsrechnung', 'referentie factuur'), a delivery note, an order.
_OTHER_DOCUMENT = re.compile(r"ursprung|original|urspr[üu]nglich|bezug|related|preceding|corrected|li[ée]e|"
                             r"d'origine|initiale|referentie|oorspronkelijk|lieferschein|delivery\s*note|"
                             r"bon\s*de\s*livraison|pakbon", _I)
# Dates of something other than the invoice: delivery, service period, order, print ('Date of delivery',
# 'Lieferdatum', 'Leistungsdatum', 'date de livraison', 'leverdatum', 'Bestelldatum', 'order date').
_OTHER_DATE = re.compile(r"deliver(y|ed)|shipp(ing|ed)|lieferdatum|liefer-?\s*(und\s*)?leistungsdatum|leistungsdatum|"
                         r"livraison|leverdatum|leveringsdatum|order\s*date|bestelldatum|date\s*de\s*commande|"
                         r"besteldatum|printed|gedruckt", _I)
# A gross total named by the tax it includes ('Total Sales Incl. GST', 'Total amount including VAT', 'Gesamt
# inkl. MwSt.'): a total, not a tax row (till receipts and B2C invoices print prices with the tax included).
_GROSS_TOTAL = re.compile(r"\b(total|totaal|gesamt\w*|summe|montant|amount|sales)\b.*\b(incl|including|inclusive|inkl|"
                          r"inclusief|incluse?|y\s*c)\b\.?\s*(of\s*)?(gst|vat|sst|tax|mwst|ust|tva|btw)\b", _I)
_TAX_ID_CONTEXT = re.compile(r"\b(id|no\.?|nr\.?|number|nummer|reg|tva\s*intra|btw-?nummer)\b", _I)
DOC_TITLES = re.compile(r"^(tax\s*)?(invoice|receipt|rechnung|facture|factuur|quittung|bon|reçu|kassabon)$", _I)
"""A line that is only the document's title (``Invoice``, ``Rechnung``, ...): not a party name."""
PROSE_WORDS = 7  # a line of this many words, with a label after its second word, is running text
_ID_TOKEN = re.compile(r"^[A-Z0-9][A-Z0-9\-/._]{1,30}$", _I)
_PARTY_STOP = re.compile(r"(vat|tax|ust|tva|btw|tel|phone|fax|e-?mail|iban|bic|www\.|http|@)", _I)


def _label_spans(views: list[PageView], field: str):
    for view in views:
        for line, start, end in view.find(LABELS[field]):
            yield view, line, start, end


def _value_after(view: PageView, line, end: int, pick) -> tuple[Span, object, float] | None:
    """The first value ``pick`` finds after a label: same line, then same row, then below."""
    rest = view.span(line, end) if end < len(line.words) else None
    if rest is not None:
        found = pick(rest)
        if found:
            return (*found, 1.0)
    for other in view.same_row(line, right_of=line.bbox[0] + 1):
        found = pick(view.span(other))
        if found:
            return (*found, 0.85)
    label_box = view.span(line, 0, end).bbox if end else line.bbox
    for other in view.below(label_box, max_lines=2):
        found = pick(view.span(other))
        if found:
            return (*found, 0.75)
    return None


def _glued(view: PageView, line, field: str) -> tuple[Span, str, float] | None:
    """An ID printed glued to its label ('N°562044387', 'Nr.4711', 'Invoice#1043'): the rest of the word."""
    m = LABELS[field].search(line.text)
    if m is None:
        return None
    pos = 0
    for w in line.words:
        end = pos + len(w.text)
        if pos <= m.end() - 1 < end:
            rest = w.text[m.end() - pos:].strip(":#.,;")
            if rest and _ID_TOKEN.match(rest) and any(ch.isdigit() for ch in rest) and \
                    not dates_in(Span(view.number, (w,))):
                return Span(view.number, (w,)), rest, 1.0
            return None
        pos = end + 1
    return None


def _first_date(span: Span):
    found = dates_in(span)
    return found[0] if found else None


def _id_value(span: Span):
    for w in span.words:
        t = w.text.strip(":#.,;")
        if _ID_TOKEN.match(t) and any(ch.isdigit() for ch in t) and not dates_in(Span(span.page, (w,))):
            return Span(span.page, (w,)), t
    return None


def _text_value(span: Span):
    text = span.text.strip(" :")
    return (span, text) if len(text) >= 2 else None


def extract_invoice(views: list[PageView], *, receipt: bool = False) -> Invoice:
    inv = Invoice()
    in_prose = False  # the invoice number's label stands inside a sentence ('please quote number 123')
    for field, pick, build in (
        ("invoice_number", _id_value, grounded_text),
        ("purchase_order", _id_value, grounded_text),
        ("due_date", _first_date, grounded_date),
    ):
        for view, line, start, end in _label_spans(views, field):
            if field == "invoice_number" and _OTHER_DOCUMENT.search(line.text):
                continue  # the number of the invoice this one corrects or refers to
            found = _glued(view, line, field) if pick is _id_value else None
            found = found or _value_after(view, line, end, pick)
            if found:
                span, value, certainty = found
                setattr(inv, field, build(span, value, certainty))
                if field == "invoice_number":
                    in_prose = start > 1 and len(line.words) >= PROSE_WORDS
                break
    title = None if receipt else find_title(views)  # 'Rechnung Nr. 4711 vom 05.03.2024' (structure.headings)
    # The title's number wins over a label inside a sentence of remarks, which may cite another form of it.
    if (inv.invoice_number is None or in_prose) and title is not None and title.number is not None:
        inv.invoice_number = grounded_text(*title.number)
    inv.payment_terms = _payment_terms(views)
    inv.invoice_date = _invoice_date(views, inv, receipt, title.date if title is not None else None)
    _totals(views, inv)
    inv.currency = _currency(views)
    inv.vendor, inv.customer = _parties(views, receipt)
    if receipt:
        # Receipts have their own shape (name, legal form, address, then the till's closing rows):
        # see docpipe.structure.receipt. Its readings replace the invoice rules' where it finds one.
        header = receipt_header(views[0])
        if header.name is not None:
            inv.vendor.name = header.name
            inv.vendor.address = header.address
        total = receipt_total(views)
        if total is not None:
            inv.total = total
        # A receipt's total is settled here (the payment confirms it); an invoice's labelled amounts may still
        # be re-chosen as a triple that adds up (.llm.rules.fix_totals), which clears such a tax afterwards:
        # cleared now, a right tax beside a wrong total would be lost with the triple that corrects the total.
        drop_implausible_tax(inv)
    inv.line_items = _line_items(views, receipt=receipt)
    return inv


# The highest standard VAT rate in the world is 27 % (Hungary; GST and US sales taxes are lower), so no document's
# tax is more than 27 % of its total, gross or net. A 'tax' above that is a misreading: the digits of a GST or VAT
# registration number on a till receipt's tax line, the total or the subtotal printed on the tax row, an item.
MAX_TAX_RATE = 0.27


def plausible_tax(tax: float, total: float) -> bool:
    """Whether ``tax`` can be the tax of a document whose total is ``total`` (:data:`MAX_TAX_RATE`; credit notes
    by their absolute values)."""
    return abs(tax) <= MAX_TAX_RATE * abs(total) + 0.01


def drop_implausible_tax(inv: Invoice) -> bool:
    """Clear a tax that :func:`plausible_tax` rules out against the total read beside it: no value is better
    than one that cannot be the document's tax. Returns whether it was cleared."""
    if inv.total_tax is not None and inv.total is not None and not plausible_tax(inv.total_tax.value,
                                                                                 inv.total.value):
        inv.total_tax = None
        return True
    return False


def _payment_terms(views):
    for view, line, _, end in _label_spans(views, "payment_terms"):
        found = _value_after(view, line, end, _text_value)
        if found:
            return grounded_text(found[0], found[1], found[2])
    return None


def _invoice_date(views, inv, receipt: bool = False, title_date=None):
    due = inv.due_date.value if inv.due_date else None
    due_at = (inv.due_date.page, inv.due_date.bbox) if inv.due_date else None
    for view, line, start, end in _label_spans(views, "invoice_date"):
        head = line.text[: len(" ".join(w.text for w in line.words[:end]))]
        if LABELS["due_date"].search(head) or _OTHER_DATE.search(line.text):
            continue
        found = _value_after(view, line, end, _first_date)
        # A labelled date is the invoice date unless it is the due date's own print (immediate payment: both
        # dates print the same day).
        if found and (found[0].page, found[0].bbox) != due_at:
            span, value, certainty = found
            return grounded_date(span, value, certainty * (MIXED_PADDING if mixed_padding(span.text) else 1.0))
    if title_date is not None:
        return grounded_date(*title_date)
    # Fallback: the first date on the document that is not the due date. A receipt prints one date, the
    # purchase's (0.9: 15/17 right on SROIE receipts 51-100, see docpipe.structure.receipt); an invoice
    # may print several unlabelled ones.
    for view in views:
        for line in view.lines:
            for span, value in dates_in(view.span(line)):
                if value != due:
                    padding = MIXED_PADDING if mixed_padding(span.text) else 1.0
                    return grounded_date(span, value, (0.9 if receipt else 0.5) * padding)
    return None


def _totals(views, inv) -> None:
    """Subtotal, tax, total and amount due from labelled rows; later rows win for totals (the grand total
    closes the document), the tax rows are summed when there are several rates.

    The label may stand anywhere in its row (another table's column can start the row), and its amount is the
    last one right of it; a row of labels without amounts is a totals footer whose figures stand in the next
    row, under each label (``Net | VAT | Total`` over ``100.00 | 19.00 | 119.00``)."""
    labelled: dict[str, list[tuple[Span, float, float]]] = {k: [] for k in ("subtotal", "total_tax", "total",
                                                                          "amount_due")}
    for view in views:
        rows = view.rows()
        for r, row in enumerate(rows):
            row_text = " ".join(ln.text for ln in row)
            for field in labelled:
                for ln in row:
                    m = LABELS[field].search(ln.text)
                    if m and not _excluded(field, ln.text, row_text):
                        break
                else:
                    continue
                label_x0 = ln.words[word_range(ln, m.start(), m.end())[0]].bbox[0]
                label_x1 = ln.words[word_range(ln, m.start(), m.end())[1] - 1].bbox[2]
                amounts = [a for other in row for a in amounts_in(view.span(other)) if a[0].bbox[0] >= label_x1]
                if amounts:
                    span, value = amounts[-1]
                    labelled[field].append((span, value, 0.85))
                elif r + 1 < len(rows) and not any(amounts_in(view.span(other)) for other in row):
                    below = _under(view, rows[r + 1], label_x0, label_x1, row)
                    if below is not None:
                        labelled[field].append((*below, 0.75))
    if labelled["subtotal"]:
        inv.subtotal = grounded_number(*labelled["subtotal"][-1])
    taxes = labelled["total_tax"]
    # A 'total VAT' row printed under the per-rate rows equals their sum: take it rather than add it in.
    summary = [t for t in taxes if len(taxes) >= 2 and abs(2 * t[1] - sum(v for _, v, _ in taxes)) <= 0.011]
    if len(taxes) == 1 or summary:
        inv.total_tax = grounded_number(*(summary or taxes)[-1])
    elif taxes:
        total = round(sum(v for _, v, _ in taxes), 2)
        # A derived value keeps no single box: the contract's 'page/bbox null when derived' rule.
        inv.total_tax = GroundedNumber(value=total, text=" + ".join(s.text for s, _, _ in taxes),
                                       confidence=round(min(s.confidence for s, _, _ in taxes) * 0.7, 4))
    if labelled["total"]:
        inv.total = grounded_number(*max(labelled["total"], key=lambda t: t[1]))
    if inv.subtotal is not None and inv.total is not None and taxes:
        # Of the labelled tax rows (per-rate rows, a summary row, taxes of charges and allowances), the one
        # with which net + tax = gross is the document's tax; the last such row wins (summaries close).
        closing = [t for t in taxes if abs(round(inv.subtotal.value + t[1], 2) - inv.total.value) <= 0.011]
        if closing and (inv.total_tax is None or abs(inv.subtotal.value + inv.total_tax.value
                                                     - inv.total.value) > 0.011):
            inv.total_tax = grounded_number(*closing[-1])
    if labelled["amount_due"]:
        inv.amount_due = grounded_number(*labelled["amount_due"][-1])


def _excluded(field: str, text: str, row_text: str) -> bool:
    """Whether a label match of ``field`` in ``text`` (a line of a row) names something else."""
    if field == "total_tax" and (_TAX_ID_CONTEXT.search(row_text) or VAT_RE.search(row_text)
                                 or LABELS["subtotal"].search(text) or _GROSS_TOTAL.search(text)):
        return True  # a VAT ID; 'Summe ohne USt.'; 'Total incl. GST'
    if field == "total" and (LABELS["subtotal"].search(text) or _NOT_TOTAL.search(text)
                             or (LABELS["total_tax"].search(text) and not _GROSS_TOTAL.search(text))):
        return True
    return False


def _under(view: PageView, row, x0: int, x1: int, label_row) -> tuple[Span, float] | None:
    """The amount in ``row`` (the row under a label row) standing under the label's columns ``x0``-``x1``."""
    h = view.text_height
    if min(ln.bbox[1] for ln in row) - max(ln.bbox[3] for ln in label_row) > 2.5 * h:
        return None
    for ln in row:
        for span, value in amounts_in(view.span(ln)):
            cx = (span.bbox[0] + span.bbox[2]) / 2
            if x0 - h <= cx <= x1 + h:
                return span, value
    return None


def _currency(views) -> GroundedCurrency | None:
    counts: Counter[str] = Counter()
    first: dict[str, Span] = {}
    for view in views:
        for line in view.lines:
            for w in line.words:
                code = word_currency(w.text, line.text)  # alone, or glued to an amount ('€12.00')
                if code:
                    counts[code] += 1
                    first.setdefault(code, Span(view.number, (w,)))
    if not counts:
        return None
    code, n = counts.most_common(1)[0]
    span = first[code]
    return GroundedCurrency(value=code, text=span.text, confidence=round(span.confidence * min(1.0, 0.6 + 0.1 * n),
                                                                         4), page=span.page, bbox=span.bbox)


def _parties(views, receipt: bool) -> tuple[Party, Party]:
    vendor, customer = Party(), Party()
    view = views[0]
    customer_box = None
    block, label_box = customer_block(view)
    if block:
        customer.name = grounded_text(block[0], block[0].text.strip(" :"), 0.75)
        address = [s for s in block[1:4] if not _PARTY_STOP.search(s.text)]
        if address:
            customer.address = _address(address, 0.7)
        customer_box = _block_box(block, label_box)
    top = [ln for ln in view.lines if ln.bbox[1] < view.page.height * (0.5 if receipt else 0.3)
           and not DOC_TITLES.match(ln.text.strip(" :"))
           and (customer_box is None or not inside(ln.bbox, customer_box))
           and not any(LABELS[f].search(ln.text) for f in ("invoice_number", "invoice_date", "customer"))
           and sum(ch.isalpha() for ch in ln.text) >= 3
           and title_fields(view, ln) is None]  # 'Invoice INV-2024-0417' is the title, not a name
    sections = {} if receipt else party_names(view)  # 'Seller / Name: ...' (structure.headings)
    if "customer" in sections and customer.name is None:
        span = sections["customer"]
        customer.name = grounded_text(span, span.text.strip(" :,;"), 0.85)
    confirmed = None if receipt else confirmed_vendor(views, _inside_box(customer_box))
    name_line = None
    if "vendor" in sections:  # the Name row under a seller heading says which party is the vendor
        span = sections["vendor"]
        vendor.name = grounded_text(span, span.text.strip(" :,;"), 0.9)
    elif confirmed is not None:  # a legal name the page repeats in its domain or footer (structure.vendor)
        name_line = confirmed
        vendor.name = grounded_text(view.span(name_line), name_line.text.strip(" :,;"), 0.9)
    elif (sender := None if receipt else _return_address_name(view)) is not None:
        # The one-line return address above a window envelope's recipient starts with the sender's name.
        vendor.name = grounded_text(sender, sender.text.strip(" :,;-"), 0.75)
    elif top:
        # The vendor's name is printed largest near the top (or first, on receipts).
        name_line = top[0] if receipt else max(top[:8], key=lambda ln: (ln.bbox[3] - ln.bbox[1], -ln.bbox[1]))
        vendor.name = grounded_text(view.span(name_line), name_line.text.strip(" :"), 0.6)
    if name_line is not None:
        addr = [view.span(ln) for ln in view.below(name_line.bbox, max_lines=3, max_gap=1.5)
                if not _PARTY_STOP.search(ln.text) and not any(LABELS[f].search(ln.text) for f in LABELS)
                and (customer_box is None or not inside(ln.bbox, customer_box))]
        if addr:
            vendor.address = _address(addr, 0.55)
    for v in views:
        for line in v.lines:
            for span in _ids(v, line):
                vat = normalise_vat_id(span.text)
                target = customer if customer_box and inside(span.bbox, customer_box, pad=60) else vendor
                if vat and target.vat_id is None:
                    target.vat_id = grounded_text(span, vat, 0.8)
                iban = span.text.replace(" ", "").upper()
                if iban_valid(iban) and vendor.iban is None:
                    vendor.iban = grounded_text(span, iban, 0.9)
    return vendor, customer


def confirmed_vendor_name(views: Sequence[PageView]) -> str | None:
    """The vendor's name when the page confirms it (:mod:`.vendor`): the rules' reading of an invoice then
    holds this name with certainty 0.9."""
    if views:
        sections = party_names(views[0])
        if "vendor" in sections:  # named under a seller heading (structure.headings)
            return sections["vendor"].text.strip(" :,;")
    block, label_box = customer_block(views[0]) if views else ([], None)
    line = confirmed_vendor(views, _inside_box(_block_box(block, label_box) if block else None))
    return None if line is None else line.text.strip(" :,;")


def _block_box(block: list[Span], label_box) -> tuple[int, int, int, int]:
    return union([s.bbox for s in block] + ([label_box] if label_box else []))


def _inside_box(outer):
    return lambda box: outer is not None and inside(box, outer)


_RETURN_ADDRESS = re.compile(r"\S.*\s[-·•|,]\s.*\s[-·•|,]\s.*\d")


def customer_block(view: PageView) -> tuple[list[Span], tuple[int, int, int, int] | None]:
    """The recipient's lines: under a 'Bill to'-style label, else under a window envelope's one-line return
    address ('Vendor GmbH - Street 5 - 12345 Town'), as on DIN 5008 letters. Returns spans and the label box."""
    for line, start, end in view.find(LABELS["customer"]):
        label_box = view.span(line, start, end).bbox
        rest = view.span(line, end) if end < len(line.words) else None
        below = view.below(label_box, max_lines=6)
        block = ([rest] if rest and len(rest.text.strip(" :")) > 2 else []) + [view.span(ln) for ln in below]
        return block, label_box
    for line in view.lines:
        if line.bbox[1] < view.page.height * 0.4 and _RETURN_ADDRESS.match(line.text):
            below = view.below(line.bbox, max_lines=6, max_gap=2.0)
            return [view.span(ln) for ln in below], line.bbox
    return [], None


_SEGMENT_BREAK = re.compile(r"^[-·•|,]$")


def _return_address_name(view: PageView) -> Span | None:
    """The words before the first separator of a one-line return address ('Vendor GmbH - Street 5 - 12345
    Town'; DIN 5008 letters and window envelopes), when they read as a name (letters, no digits)."""
    for line in view.lines:
        if line.bbox[1] < view.page.height * 0.4 and _RETURN_ADDRESS.match(line.text):
            words = []
            for w in line.words:
                if _SEGMENT_BREAK.match(w.text):
                    break
                words.append(w)
            text = " ".join(w.text for w in words)
            if words and len(words) < len(line.words) and sum(ch.isalpha() for ch in text) >= 3 \
                    and not any(ch.isdigit() for ch in text):
                return Span(view.number, tuple(words))
            return None
    return None


def _ids(view: PageView, line) -> list[Span]:
    """Runs of words that may form an IBAN or VAT ID ('DE89 3704 0044 ...', 'DE 123 456 789')."""
    out = []
    words = line.words
    for i, w in enumerate(words):
        if re.match(r"^[A-Z]{2}[0-9A-Z]*$", w.text.strip(":,.")) and len(w.text) >= 2:
            for j in range(min(len(words), i + 9), i, -1):
                span = Span(view.number, tuple(words[i:j]))
                s = span.text.replace(" ", "").strip(":,.")
                if iban_valid(s) or normalise_vat_id(s):
                    out.append(span)
                    break
    return out


def _address(spans: list[Span], certainty: float):
    boxes = [s.bbox for s in spans]
    words = tuple(w for s in spans for w in s.words)
    joined = Span(spans[0].page, words)
    g = grounded_text(joined, ", ".join(s.text.strip(" ,") for s in spans), certainty)
    return g.model_copy(update={"bbox": union(boxes)})
