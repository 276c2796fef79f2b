"""Day/month order of a document's numeric dates (docpipe.structure.dates), over generated cases."""

import datetime as dt
import random

import pytest

from docpipe.structure.dates import dayfirst
from docpipe.structure.invoice import extract_invoice
from docpipe.structure import Structurer
from docpipe.options import StructureOptions
from docpipe.structure.layout import PageView

from .conftest import page_from_items as page


def _doc(lines):
    return [PageView(page([(200, 200 + 60 * i, t) for i, t in enumerate(lines)]))]


def _structure(lines):
    return Structurer(StructureOptions(backend="rules"))("invoice", [page([(200, 200 + 60 * i, t)
                                                                          for i, t in enumerate(lines)])]).payload


@pytest.mark.parametrize("seed", range(10))
def test_an_unambiguous_date_decides_the_order(seed):
    rnd = random.Random(seed)
    issued = dt.date(2024, rnd.randrange(1, 13), rnd.randrange(1, 13))
    while issued.day == issued.month:
        issued = issued.replace(day=rnd.randrange(1, 13))
    other = dt.date(2024, rnd.randrange(1, 13), rnd.randrange(13, 29))
    month_first = seed % 2 == 0
    fmt = "%m/%d/%Y" if month_first else "%d/%m/%Y"
    lines = ["Harbor Supply Inc.", "Invoice No. 1043", f"Invoice Date: {issued.strftime(fmt)}",
             f"Delivery: {other.strftime(fmt)}", "Total 100.00"]
    assert dayfirst(_doc(lines)) is (not month_first)
    assert _structure(lines).invoice_date.value == issued


def test_the_payment_term_decides_when_every_date_is_ambiguous():
    lines = ["Invoice INV-2024-0417", "Invoice Date 11/03/2024", "Payment Terms net 30 days",
             "Due 12/03/2024", "Total 100.00 €"]
    inv = _structure(lines)
    assert inv.invoice_date.value == dt.date(2024, 11, 3)
    # The same dates with a one-day term read day first (11 and 12 March).
    lines[2] = "Payment Terms 1 day"
    assert _structure(lines).invoice_date.value == dt.date(2024, 3, 11)


def test_us_conventions_without_other_evidence():
    us = ["Harbor Supply Inc.", "12 Main St, Springfield, IL 62704", "Invoice Date: 04/05/2024",
          "Subtotal $1,150.00", "Total Amount Due $1,250.00"]
    eu = ["Nordwind Handel GmbH", "Hauptstraße 5, 10115 Berlin", "Rechnungsdatum: 04.05.2024", "Gesamtbetrag 1.250,00 €"]
    assert dayfirst(_doc(us)) is False and _structure(us).invoice_date.value == dt.date(2024, 4, 5)
    assert dayfirst(_doc(eu)) is True and _structure(eu).invoice_date.value == dt.date(2024, 5, 4)


def test_english_day_first_documents_stay_day_first():
    assert dayfirst(_doc(["Kedai Runcit Maju", "Date: 4/08/2024", "$7", "TOTAL 12.50"])) is True  # a stray '$'
    uk = ["Thames Joinery Ltd", "Invoice Date: 04/05/2024", "Total £1,250.00"]
    assert dayfirst(_doc(uk)) is True
    assert extract_invoice(_doc(uk)).invoice_date.value == dt.date(2024, 5, 4)
