"""Plausible fake parties: company names, addresses, VAT IDs in real formats, IBANs that pass mod-97."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Rng = np.random.Generator

_STEMS = ["Nord", "Alpen", "Rhein", "Delta", "Kessler", "Vogel", "Brandt", "Meridian", "Atlas", "Falk", "Horizon",
          "Lumen", "Sterling", "Pioneer", "Orion", "Haven", "Linde", "Moreau", "Dubois", "Lefèvre", "Bakker",
          "Visser", "Jansen", "De Vries", "Mertens", "Weber", "Schneider", "Greenfield", "Ashford", "Carter",
          "Blue Harbor", "Redwood", "Quantum", "Vertex", "Summit", "Castell", "Polaris", "Zenith", "Aurora",
          "Kestrel", "Marlow", "Fischer", "Hoffmann", "Girard", "Fontaine", "Peeters", "Smit", "Hartmann"]
_TRADES = {
    "en": ["Engineering", "Supplies", "Consulting", "Logistics", "Systems", "Office Solutions", "Tools", "Trading",
           "Precision Parts", "Software", "Print & Media", "Electrical"],
    "de": ["Maschinenbau", "Handel", "Logistik", "Bürobedarf", "Elektrotechnik", "Werkzeuge", "Systemtechnik",
           "Feinmechanik", "Beratung", "Metallbau"],
    "fr": ["Équipements", "Distribution", "Services", "Mécanique", "Conseil", "Fournitures", "Industrie",
           "Logistique", "Électricité"],
    "nl": ["Techniek", "Handel", "Installaties", "Groothandel", "Advies", "Logistiek", "Metaalbewerking",
           "Kantoorartikelen"],
}
_FORMS = {"en": ["Ltd", "Ltd.", "Inc.", "LLC", "PLC", "& Co."], "de": ["GmbH", "AG", "GmbH & Co. KG", "KG", "e.K."],
          "fr": ["SARL", "SAS", "SA", "EURL"], "nl": ["B.V.", "N.V.", "V.O.F."]}
_FIRST = ["Anna", "Thomas", "Julia", "Martin", "Sophie", "Pierre", "Claire", "Jan", "Lotte", "Daan", "Emma",
          "James", "Oliver", "Sarah", "Michael", "Laura", "Lukas", "Marie", "Hugo", "Inès", "Pieter", "Sanne"]
_LAST = ["Müller", "Schmidt", "Becker", "Martin", "Bernard", "Petit", "de Jong", "van Dijk", "Smith", "Brown",
         "Taylor", "Wilson", "Koch", "Wagner", "Laurent", "Roux", "Mulder", "Bos", "Evans", "Clarke"]

_STREETS = {
    "de": ["Hauptstraße", "Industriestraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Am Markt",
           "Schillerstraße", "Mühlenweg", "Gewerbepark", "Rosenstraße"],
    "fr": ["rue de la Paix", "avenue Victor Hugo", "boulevard Voltaire", "rue des Lilas", "chemin du Moulin",
           "rue de la République", "allée des Tilleuls", "quai de la Loire"],
    "nl": ["Kerkstraat", "Stationsweg", "Molenstraat", "Industrieweg", "Dorpsstraat", "Havenkade", "Prinsengracht",
           "Schoolstraat"],
    "gb": ["High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Street", "Park Avenue",
           "King's Road", "Queensway"],
    "us": ["Main Street", "Oak Avenue", "Maple Drive", "Industrial Blvd", "Commerce Way", "Elm Street"],
    "ch": ["Bahnhofstrasse", "Seestrasse", "Dorfstrasse", "Industriestrasse", "Kirchweg"],
}
_CITIES = {
    "de": ["Berlin", "München", "Hamburg", "Köln", "Stuttgart", "Leipzig", "Dresden", "Bremen", "Hannover", "Ulm"],
    "fr": ["Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille", "Bordeaux", "Strasbourg", "Rennes"],
    "nl": ["Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen", "Delft", "Leiden", "Haarlem"],
    "gb": ["London", "Manchester", "Bristol", "Leeds", "Sheffield", "Oxford", "Cambridge", "Glasgow"],
    "us": ["Springfield, IL", "Austin, TX", "Denver, CO", "Portland, OR", "Columbus, OH", "Raleigh, NC"],
    "ch": ["Zürich", "Basel", "Bern", "Luzern", "Winterthur", "St. Gallen"],
}
COUNTRY_NAME = {"de": "Germany", "fr": "France", "nl": "Netherlands", "gb": "United Kingdom", "us": "USA",
                "ch": "Switzerland"}
IBAN_LEN = {"DE": 22, "FR": 27, "NL": 18, "GB": 22, "CH": 21, "BE": 16}
BIC = {"DE": ["COBADEFFXXX", "DEUTDEDBXXX", "GENODEF1S04"], "FR": ["BNPAFRPPXXX", "SOGEFRPPXXX"],
       "NL": ["INGBNL2A", "RABONL2U", "ABNANL2A"], "GB": ["BARCGB22", "NWBKGB2L"], "CH": ["UBSWCHZH80A"],
       "BE": ["GEBABEBB"]}


def pick(rng: Rng, seq):
    return seq[int(rng.integers(len(seq)))]


def digits(rng: Rng, n: int) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, n))


def iban_check(country: str, bban: str) -> str:
    """The two ISO 13616 check digits for ``country`` + ``bban``."""
    s = bban + country + "00"
    num = int("".join(str(int(c, 36)) for c in s))
    return f"{98 - num % 97:02d}"


def iban_valid(iban: str) -> bool:
    s = iban.replace(" ", "").upper()
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban(rng: Rng, country: str) -> str:
    n = IBAN_LEN[country] - 4
    if country == "NL":
        bban = pick(rng, ["INGB", "RABO", "ABNA", "TRIO"]) + digits(rng, 10)
    elif country == "GB":
        bban = pick(rng, ["BARC", "NWBK", "MIDL", "LOYD"]) + digits(rng, 14)
    else:
        bban = digits(rng, n)
    return country + iban_check(country, bban) + bban


def group4(s: str) -> str:
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def make_vat_id(rng: Rng, country: str) -> str:
    if country == "de":
        return "DE" + str(int(rng.integers(1, 10))) + digits(rng, 8)
    if country == "fr":
        siren = int(rng.integers(100_000_000, 999_999_999))
        key = (12 + 3 * (siren % 97)) % 97
        return f"FR{key:02d}{siren}"
    if country == "nl":
        return "NL" + digits(rng, 9) + "B" + pick(rng, ["01", "02"])
    if country == "gb":
        return "GB" + digits(rng, 9)
    if country == "ch":
        d = digits(rng, 9)
        return f"CHE-{d[:3]}.{d[3:6]}.{d[6:]} MWST"
    return "US" + digits(rng, 9)  # EIN-like, unusual on invoices but harmless


@dataclass
class Party:
    name: str
    address_lines: list[str]
    country: str
    vat_id: str | None
    iban: str | None
    bic: str | None
    phone: str
    email: str
    contact: str

    @property
    def address(self) -> str:
        return ", ".join(self.address_lines)


def person(rng: Rng) -> str:
    return f"{pick(rng, _FIRST)} {pick(rng, _LAST)}"


def address_lines(rng: Rng, country: str, foreign: bool = False) -> list[str]:
    street, city = pick(rng, _STREETS[country]), pick(rng, _CITIES[country])
    no = str(int(rng.integers(1, 180)))
    if country in ("fr",):
        lines = [f"{no} {street}", f"{int(rng.integers(10, 96)):02d}{digits(rng, 3)} {city}"]
    elif country == "gb":
        pc = f"{pick(rng, ['SW1', 'M4', 'BS8', 'LS2', 'OX1', 'CB2', 'G12'])} {int(rng.integers(1, 10))}" \
             f"{pick(rng, ['AB', 'HX', 'QT', 'LN', 'RD'])}"
        lines = [f"{no} {street}", city, pc]
    elif country == "us":
        lines = [f"{no} {street}", f"{city} {digits(rng, 5)}"]
    elif country == "nl":
        lines = [f"{street} {no}", f"{int(rng.integers(1000, 9999))} {pick(rng, ['AB', 'CD', 'KL', 'XZ'])} {city}"]
    elif country == "ch":
        lines = [f"{street} {no}", f"{int(rng.integers(1000, 9999))} {city}"]
    else:
        lines = [f"{street} {no}", f"{digits(rng, 5)} {city}"]
    if foreign:
        lines.append(COUNTRY_NAME[country])
    return lines


def company(rng: Rng, lang: str, country: str, *, with_bank: bool = True, foreign: bool = False) -> Party:
    stem = pick(rng, _STEMS)
    form_lang = {"de": "de", "ch": "de", "fr": "fr", "nl": "nl"}.get(country, "en")
    trade = pick(rng, _TRADES[form_lang]) if rng.random() < 0.8 else ""
    name = " ".join(p for p in (stem, trade, pick(rng, _FORMS[form_lang])) if p)
    cc = {"us": "DE"}.get(country, country.upper())
    iban = make_iban(rng, cc) if with_bank else None
    slug = stem.lower().replace(" ", "").replace("è", "e").replace("é", "e")
    tld = {"gb": "co.uk", "us": "com"}.get(country, country)
    return Party(
        name=name,
        address_lines=address_lines(rng, country, foreign),
        country=country,
        vat_id=make_vat_id(rng, country) if country != "us" else None,
        iban=iban,
        bic=pick(rng, BIC[cc]) if with_bank else None,
        phone=f"+{ {'de': 49, 'fr': 33, 'nl': 31, 'gb': 44, 'us': 1, 'ch': 41}[country]} "
              f"{int(rng.integers(10, 99))} {digits(rng, 4)} {digits(rng, 3)}",
        email=f"{pick(rng, ['info', 'billing', 'accounts', 'sales', 'office'])}@{slug}.{tld}",
        contact=person(rng),
    )
