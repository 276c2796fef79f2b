"""Normalisers: amounts, dates, currencies, IBAN and VAT IDs (table tests and properties)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docpipe.normalize import iban_valid, normalise_vat_id, parse_amount, parse_currency, parse_date, word_currency


@pytest.mark.parametrize("text,value", [
    ("1,234.56", 1234.56), ("1.234,56", 1234.56), ("1 234,56 €", 1234.56), ("EUR 12", 12.0), ("$9.99", 9.99),
    ("(12.00)", -12.0), ("12.00-", -12.0), ("1,234", 1234.0), ("0,125", 0.125), ("CHF 1'234.50", 1234.5),
    ("€1,234,567.89", 1234567.89), ("-5.00", -5.0), ("19%", None), ("abc", None), ("1.5.2025", None), ("", None),
])
def test_parse_amount(text, value):
    assert parse_amount(text) == (pytest.approx(value) if value is not None else None)


@pytest.mark.parametrize("text,value", [
    ("2025-03-14", "2025-03-14"), ("14.03.2025", "2025-03-14"), ("14/03/25", "2025-03-14"),
    ("03/14/2025", "2025-03-14"), ("March 14, 2025", "2025-03-14"), ("14. März 2025", "2025-03-14"),
    ("14 mars 2025", "2025-03-14"), ("14 maart 2025", "2025-03-14"), ("5 Jan 2024", "2024-01-05"),
    ("2025/03/14", "2025-03-14"), ("04.05.2025", "2025-05-04"), ("31.02.2025", None), ("14.03", None),
    ("INV-2025-03", None), ("01/Apr/2017", "2017-04-01"), ("10-May-18", "2018-05-10"),
    ("05-05- 2018", "2018-05-05"), ("19- 03- 18", "2018-03-19"), ("12 - 2018", None), ("1102/2017", None),
])
def test_parse_date(text, value):
    assert parse_date(text) == (dt.date.fromisoformat(value) if value else None)


def test_month_first_when_asked():
    assert parse_date("04/05/2025", dayfirst=False) == dt.date(2025, 4, 5)


@pytest.mark.parametrize("text,code", [("EUR", "EUR"), ("€", "EUR"), ("£ 5", "GBP"), ("Total USD", "USD"),
                                       ("ABC", None), ("DE123456789", None)])
def test_parse_currency(text, code):
    assert parse_currency(text) == code


@pytest.mark.parametrize("word,line,code", [
    ("RM", "TOTAL RM 12.50", "MYR"), ("RM5.00", "CASH RM5.00", "MYR"), ("FIRMA", "FIRMA GMBH", None),
    ("S$12.00", "TOTAL S$12.00", "SGD"), ("US$", "US$ 5.00", "USD"), ("$", "$ 5.00", "USD"),
    ("HK$", "HK$ 80", "HKD"), ("Rp", "Rp 15.000", "IDR"), ("kr", "Total kr 1.250,00", None),  # SEK, NOK, DKK, ISK
    ("EUR", "EUR", "EUR"), ("(EUR)", "Amount (EUR)", "EUR"), ("3.285,40EUR", "Summe 3.285,40EUR", "EUR"),
    ("EURO-PALLET", "EURO-PALLET 4", None),
    # codes that are also company forms or words name a currency only beside an amount or a currency label
    ("BHD", "ACME TRADING SDN BHD", None), ("BHD", "ACME SDN BHD (12345-X)", None),
    ("BHD", "Total BHD 12.500", "BHD"), ("SEK", "SEK U3, 40150 SHAH ALAM", None), ("SEK", "Summa SEK 1 234,00", "SEK"), ("CAD", "Currency: CAD", "CAD"), ("PEN", "BLUE PEN", None),
])
def test_word_currency_in_its_line(word, line, code):
    assert word_currency(word, line) == code


def test_iban_and_vat():
    assert iban_valid("DE89 3704 0044 0532 0130 00") and iban_valid("GB82WEST12345698765432")
    assert not iban_valid("DE89 3704 0044 0532 0130 01")
    assert normalise_vat_id("DE 123 456 789") == "DE123456789"
    assert normalise_vat_id("NL123456789B01") == "NL123456789B01" and normalise_vat_id("DE12345") is None


@given(st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False))
def test_amount_formats_round_trip(d):
    v = float(d)
    en = f"{v:,.2f}"
    de = en.replace(",", "_").replace(".", ",").replace("_", ".")
    fr = en.replace(",", " ").replace(".", ",")
    for text in (en, de, fr, f"€ {en}", f"{de} EUR"):
        assert parse_amount(text) == pytest.approx(v), text


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_date_formats_round_trip(d):
    for text in (d.isoformat(), d.strftime("%d.%m.%Y"), d.strftime("%d/%m/%Y"), d.strftime("%B %d, %Y")):
        assert parse_date(text) == d, text


@given(st.text(max_size=40))
def test_never_raises(text):
    parse_amount(text), parse_date(text), parse_currency(text), iban_valid(text), normalise_vat_id(text)


def test_punctuation_glued_to_a_date_is_ignored():
    import datetime as dt
    from docpipe.normalize import parse_date

    for text in ("—01/Apr/2024", "(27/09/2024)", ":13/01/2024", "[13/01/2024]", "–13.01.2024;"):
        assert parse_date(text) is not None, text
    assert parse_date("—01/Apr/2024") == dt.date(2024, 4, 1)
    assert parse_date("-5") is None and parse_date("(12)") is None
