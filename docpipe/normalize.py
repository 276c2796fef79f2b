"""Normalisers: printed amounts, dates and currencies to plain values.

Every function returns None for text it cannot read with confidence; none raises on arbitrary input.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# Active ISO 4217 codes that invoices in our markets use; an unknown 3-letter code is not a currency.
ISO_4217 = frozenset(
    "AED ARS AUD BGN BHD BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD HUF IDR ILS INR ISK JPY KES KRW KWD "
    "MAD MXN MYR NGN NOK NZD OMR PEN PHP PKR PLN QAR RON RSD RUB SAR SEK SGD THB TND TRY TWD UAH USD VND ZAR".split()
)
CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "zł": "PLN", "Fr.": "CHF",
                    "RM": "MYR", "kr": "SEK", "US$": "USD", "S$": "SGD", "A$": "AUD", "AU$": "AUD", "C$": "CAD",
                    "CA$": "CAD", "NZ$": "NZD", "HK$": "HKD", "R$": "BRL", "Rp": "IDR", "₩": "KRW", "₺": "TRY",
                    "₽": "RUB", "฿": "THB", "₱": "PHP", "₫": "VND"}
# Symbols longest first, so that 'S$' is read before '$' and 'AU$' before 'A$'.
_SYMBOLS = sorted(CURRENCY_SYMBOLS.items(), key=lambda kv: -len(kv[0]))
# Symbols that name several currencies ('kr': Swedish, Norwegian, Danish and Icelandic crowns) are stripped from
# amounts but name no currency by themselves (:func:`parse_currency`).
AMBIGUOUS_SYMBOLS = frozenset({"kr"})
# Codes that are also words or abbreviations: 'Sdn Bhd' / 'Bhd' (Berhad) ends Malaysian company names and 'Sek.'
# (Seksyen, a district) starts Malaysian addresses, 'PEN' is an item on a stationery receipt, 'CAD' a drawing's
# origin. Standing alone they name a currency only on a line that also prints an amount or a currency label
# (:func:`word_currency`).
WORDLIKE_CODES = frozenset({"BHD", "SEK", "PEN", "CAD"})
_LINE_AMOUNT = re.compile(r"\d[.,]\d{1,3}(?!\d)")
_CURRENCY_LABEL = re.compile(r"currenc|w[äa]hrung|devise|monnaie|valuta|\bmunt\b", re.I)

_MONTHS = {
    # English, German, French, Dutch month names and common abbreviations -> month number
    **{m: i + 1 for i, m in enumerate(
        "january february march april may june july august september october november december".split())},
    **{m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    "sept": 9,
    **{m: i + 1 for i, m in enumerate(
        "januar februar märz april mai juni juli august september oktober november dezember".split())},
    "mär": 3, "mrz": 3, "okt": 10, "dez": 12, "maerz": 3,
    **{m: i + 1 for i, m in enumerate(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split())},
    "fevrier": 2, "aout": 8, "decembre": 12, "janv": 1, "févr": 2, "fév": 2, "avr": 4, "juil": 7, "déc": 12,
    **{m: i + 1 for i, m in enumerate(
        "januari februari maart april mei juni juli augustus september oktober november december".split())},
    "mei": 5, "mrt": 3,
}

_AMOUNT_RE = re.compile(r"^[+-]?\(?\d{1,3}(?:[ .,'’\u202f]\d{3})*(?:[.,]\d{1,2})?\)?-?$|^[+-]?\(?\d+(?:[.,]\d{1,4})?\)?-?$")


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def strip_currency(text: str) -> tuple[str, str | None]:
    """Remove a currency symbol or code from an amount string; returns (rest, ISO code or None)."""
    t = _clean(text)
    code = None
    for sym, iso in _SYMBOLS:
        if sym in t and (len(sym) == 1 or re.search(rf"(^|[\s\d]){re.escape(sym)}($|[\s\d])", t)):
            t, code = t.replace(sym, " "), iso
            break
    m = re.search(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])", t)  # '3.285,40EUR' too
    if m and m.group(1) in ISO_4217:
        code = m.group(1)
        t = t.replace(m.group(1), " ")
    return t.strip(), code


def parse_amount(text: str) -> float | None:
    """A printed amount as a float: '1,234.56', '1.234,56', '1 234,56 €', 'EUR 12', '(12.00)', '12.00-'.

    The decimal separator is the last '.' or ',' when followed by 1-2 digits (or 4, for unit prices); a single
    separator followed by exactly three digits is a thousands separator ('1,234' -> 1234).
    """
    t, _ = strip_currency(text)
    t = t.replace(" ", "").replace("\u202f", "").replace("\u00a0", "")
    if not t or not _AMOUNT_RE.match(t):
        return None
    negative = t.startswith("-") or t.endswith("-") or (t.startswith("(") and t.endswith(")"))
    t = t.strip("+-()")
    t = t.replace("'", "").replace("’", "")
    last = max(t.rfind(","), t.rfind("."))
    if last >= 0:
        sep = t[last]
        other = "," if sep == "." else "."
        if len(t) - last - 1 == 3 and other not in t and t[:last] != "0":
            t = t.replace(sep, "")  # '1,234' or '1.234.567': one kind of separator, thousands only
        else:
            t = t[:last].replace(",", "").replace(".", "") + "." + t[last + 1:]
    try:
        value = float(t)
    except ValueError:
        return None
    return -value if negative else value


_NUMERIC_DATE = re.compile(r"^(\d{1,4})[./\-](\d{1,2})[./\-](\d{2,4})\.?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORD_DATE_DMY = re.compile(r"^(\d{1,2})\.?\s*(?:de\s+)?([^\W\d_]+)\.?,?\s+(\d{4})$")
# '01/Apr/2017', '10-May-18', '06.Apr.2018': a month name between separators, two- or four-digit year.
_WORD_DATE_SEP = re.compile(r"^(\d{1,2})[./\-]([^\W\d_]{3,9})\.?[./\-](\d{2}|\d{4})$")
_SQUEEZE = re.compile(r"\s*([./\-])\s*")
_WORD_DATE_MDY = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")


def _year(y: int) -> int:
    return y + (2000 if y < 70 else 1900) if y < 100 else y


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        out = dt.date(_year(y), m, d)
    except ValueError:
        return None
    return out if 1900 <= out.year <= 2100 else None


def parse_date(text: str, *, dayfirst: bool = True) -> dt.date | None:
    """A printed date: ISO, '14.03.2025', '14/03/25', '03/14/2025', 'March 14, 2025', '14. März 2025',
    '01/Apr/2017'. Spaces OCR put around a numeric date's separators are ignored ('05-05- 2018').

    Numeric dates are read day-first unless ``dayfirst`` is False; a day above 12 settles it either way.
    """
    # Punctuation OCR glues to a printed date ('—01/Apr/2017', '(27/09/2017)', ':13/01/2018') is not part of it.
    t = _clean(text).rstrip(",;)]").lstrip("—–-:;([")
    squeezed = _SQUEEZE.sub(r"\1", t)
    if squeezed != t and _NUMERIC_DATE.match(squeezed) and re.match(r"^\d", t):
        t = squeezed
    m = _ISO_DATE.match(t)
    if m:
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _NUMERIC_DATE.match(t)
    if m:
        a, b, c = (int(g) for g in m.groups())
        if len(m.group(1)) == 4:  # 2025/03/14
            return _safe_date(a, b, c)
        if len(m.group(3)) not in (2, 4):
            return None
        if a > 12 or (dayfirst and b <= 12):
            return _safe_date(c, b, a)
        return _safe_date(c, a, b)
    m = _WORD_DATE_DMY.match(t)
    if m and m.group(2).lower() in _MONTHS:
        return _safe_date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    m = _WORD_DATE_SEP.match(t)
    if m and m.group(2).lower() in _MONTHS:
        return _safe_date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    m = _WORD_DATE_MDY.match(t)
    if m and m.group(1).lower() in _MONTHS:
        return _safe_date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    return None


def parse_currency(text: str) -> str | None:
    """An ISO 4217 code from a code or symbol in ``text`` ('EUR', '€', 'US$' -> 'USD', 'S$' -> 'SGD', 'RM12.50'
    -> 'MYR'), else None. A symbol of two or more characters counts where it stands apart from letters
    ('RM 5', 'RM5.00', not 'FIRMA'); a one-character symbol anywhere."""
    t = _clean(text)
    m = re.search(r"(?<![A-Z])([A-Z]{3})(?![A-Z])", t)
    if m and m.group(1) in ISO_4217:
        return m.group(1)
    for sym, iso in _SYMBOLS:
        if len(sym) == 1 and sym in t:
            return iso
        if len(sym) > 1 and sym not in AMBIGUOUS_SYMBOLS \
                and re.search(rf"(?<![A-Za-z]){re.escape(sym)}(?![A-Za-z])", t):
            return iso
    return None


def word_currency(word: str, line: str) -> str | None:
    """The currency a printed word names, in its line's context: a code or symbol alone ('EUR', '€', 'RM') or
    glued to an amount ('€12.00', '3.285,40EUR', 'RM5.00'), else None. A :data:`WORDLIKE_CODES` code alone
    counts only on a line that also prints an amount or a currency label ('Total BHD 12.500', 'Currency: CAD';
    not 'ACME TRADING SDN BHD')."""
    code = parse_currency(word)
    if code is None:
        return None
    glued = parse_amount(word) is not None
    if not glued and len(_clean(word).strip(":;,.()")) > 4:
        return None  # a longer word that merely contains a code ('EURO-PALLET', 'USD-account')
    if not glued and _clean(word).strip(":;,.()").upper() in WORDLIKE_CODES:
        if not (_LINE_AMOUNT.search(line) or _CURRENCY_LABEL.search(line)):
            return None
    return code


def iban_valid(iban: str) -> bool:
    """ISO 13616 mod-97 check of an IBAN (spaces ignored)."""
    s = re.sub(r"\s+", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    digits = "".join(str(int(ch, 36)) for ch in s[4:] + s[:4])
    return int(digits) % 97 == 1


_VAT_PATTERNS = {
    "AT": r"ATU\d{8}", "BE": r"BE[01]\d{9}", "CH": r"CHE\d{9}(MWST|TVA|IVA)?", "DE": r"DE\d{9}",
    "DK": r"DK\d{8}", "ES": r"ES[A-Z0-9]\d{7}[A-Z0-9]", "FR": r"FR[A-HJ-NP-Z0-9]{2}\d{9}",
    "GB": r"GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})", "IE": r"IE\d{7}[A-W][A-I]?|IE\d[A-Z+*]\d{5}[A-W]",
    "IT": r"IT\d{11}", "LU": r"LU\d{8}", "NL": r"NL\d{9}B\d{2}", "PL": r"PL\d{10}", "SE": r"SE\d{12}",
    "CZ": r"CZ\d{8,10}", "PT": r"PT\d{9}", "FI": r"FI\d{8}",
}
VAT_RE = re.compile(r"\b(" + "|".join(_VAT_PATTERNS.values()) + r")\b")


def normalise_vat_id(text: str) -> str | None:
    """A VAT ID in its compact form ('DE 123 456 789' -> 'DE123456789') when it matches a known format."""
    s = re.sub(r"[\s.\-]", "", _clean(text)).upper()
    return s if VAT_RE.fullmatch(s) else None


def fold_accents(text: str) -> str:
    """``text`` without accents and umlauts, lower case (``Küche`` -> ``kuche``), as an English OCR reading
    gives such words."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
