"""Page language from a first English reading (docpipe.language), and the second reading it triggers."""

import pytest

from docpipe.language import detect, second_pass_lang
from docpipe.options import OcrOptions, OrientOptions
from docpipe.read import PageReader

from .conftest import render_lines

TEXTS = {
    "deu": "Rechnung Nr. 4711 vom 05.03.2024 Lieferdatum Menge Einzelpreis Betrag Summe netto MwSt 19 % "
           "Gesamtbetrag zahlbar bis zum 04.04.2024 ohne Abzug Bitte überweisen Sie den Betrag auf das Konto der GmbH",
    "fra": "Facture N° FA-2024-0009 du 03/11/2024 Désignation Quantité Prix unitaire Montant HT TVA 20 % "
           "Total TTC Échéance le 03/12/2024 Paiement par virement sur le compte de la SARL au capital de",
    "nld": "Factuur 2024-118 Factuurdatum Omschrijving Aantal Prijs Bedrag Totaal excl. BTW BTW 21 % "
           "Totaal incl. BTW Gelieve het bedrag voor de vervaldatum over te maken op het rekeningnummer van de BV",
    "eng": "Invoice No. 1043 Invoice Date 14 March 2024 Description Quantity Unit Price Amount Subtotal VAT 20 % "
           "Total due Please pay within 30 days of the invoice date to the account below Thank you for your order",
}


@pytest.mark.parametrize("lang", TEXTS)
def test_detect_the_language_of_invoice_text(lang):
    assert detect(TEXTS[lang].split()) == lang


@pytest.mark.parametrize("lang", ["deu", "fra", "nld"])
def test_ocr_dropped_accents_still_decide(lang):
    import unicodedata
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", TEXTS[lang]) if not unicodedata.combining(ch))
    assert detect(plain.split()) == lang


def test_too_little_text_or_other_scripts_stay_english():
    assert detect("Total 12,00".split()) == "eng"
    assert detect("合計 ¥1,200 領収書 東京都".split()) == "eng"
    assert second_pass_lang(TEXTS["eng"].split()) is None
    assert second_pass_lang(TEXTS["deu"].split()) == "deu+eng"


def test_auto_reads_a_german_page_again_with_german(monkeypatch):
    reader, langs = _spied_reader(monkeypatch)
    words = TEXTS["deu"].split()
    lines = [(200, 300 + 70 * i, " ".join(words[k:k + 6])) for i, k in enumerate(range(0, len(words), 6))]
    from docpipe.ingest import RasterPage

    raster = RasterPage(number=1, image=render_lines(lines), dpi=300, pdf_words=None)
    text = reader(raster)
    assert langs == ["eng", "deu+eng"]
    joined = " ".join(ln.text for ln in text.page.lines)
    assert "ü" in joined or "ä" in joined, joined


def test_auto_reads_a_poorly_read_page_again_with_every_language(monkeypatch):
    from docpipe.ingest import RasterPage
    from docpipe.types import Word

    reader = PageReader(OrientOptions(osd="never"), OcrOptions(lang="auto"))
    langs = []

    def fake(image, **kw):  # a first reading of short, unsure fragments; the second reads well
        langs.append(kw.get("lang") or reader.ocr.lang)
        first = len(langs) == 1  # about half the words unsure: read_quality ~0.56
        return [Word(text=t, bbox=(100 + 90 * i, 100, 180 + 90 * i, 130),
                     confidence=(0.9 if i % 2 == 0 else 0.5) if first else 0.95)
                for i, t in enumerate("TOTAL RM 12.50 CASH 20.00 CHANGE 7.50 THANK YOU 05/03/2024".split())]

    monkeypatch.setattr(reader.ocr, "read_words", fake)
    reader(RasterPage(number=1, image=render_lines([(100, 100, "x")]), dpi=300, pdf_words=None))
    assert langs == ["eng", "eng+deu+fra+nld"]


def test_auto_reads_a_receipt_again_with_every_language_even_when_it_reads_well(monkeypatch):
    # Till receipts (a narrow page, receipt words) read better with the combined models, English or not.
    from docpipe.ingest import RasterPage
    from docpipe.types import Word

    def run(width, height, text):
        reader = PageReader(OrientOptions(osd="never"), OcrOptions(lang="auto"))
        langs = []

        def fake(image, **kw):
            langs.append(kw.get("lang") or reader.ocr.lang)
            return [Word(text=t, bbox=(20 + 60 * (i % 6), 100 + 40 * (i // 6), 70 + 60 * (i % 6), 130 + 40 * (i // 6)),
                         confidence=0.95) for i, t in enumerate(text.split())]

        monkeypatch.setattr(reader.ocr, "read_words", fake)
        image = render_lines([(10, 10, "x")]).resize((width, height))
        reader(RasterPage(number=1, image=image, dpi=300, pdf_words=None))
        return langs

    till = ("SUPERMART SDN BHD 05/03/2024 CASHIER 04 ITEM QTY TOTAL 12.50 CASH 20.00 CHANGE 7.50 THANK YOU PLEASE "
            "COME AGAIN")  # (with a date: a receipt without one is read once more, tests/test_read_receipt_date.py)
    assert run(600, 1800, till) == ["eng", "eng+deu+fra+nld"]
    assert run(2480, 3508, TEXTS["eng"]) == ["eng"]  # an English invoice that reads well: one pass


def test_the_second_language_reading_reads_the_flattened_image_the_kept_words_came_from(monkeypatch):
    # A grey photo of a receipt is read flattened; the reading with every language must read that image too.
    from docpipe.ingest import RasterPage
    from docpipe.types import Word

    reader = PageReader(OrientOptions(osd="never"), OcrOptions(lang="auto"))
    flat = render_lines([(10, 10, "flat")], size=(400, 300))
    seen = []

    def fake(image, **kw):
        seen.append((kw.get("lang") or reader.ocr.lang, image))
        return [Word(text=t, bbox=(20 + 50 * i, 100, 60 + 50 * i, 130), confidence=0.3)
                for i, t in enumerate("TOTAL RM 12.50 CASH".split())]

    monkeypatch.setattr(reader.ocr, "read_words", fake)
    monkeypatch.setattr(reader, "_read_flattened", lambda image, words, lang=None: (words, flat))
    heights = []
    page_read = reader.read_words
    monkeypatch.setattr(reader, "read_words",
                        lambda image, **kw: heights.append(kw.get("height")) or page_read(image, **kw))
    reader(RasterPage(number=1, image=render_lines([(10, 10, "x")], size=(400, 300)), dpi=300, pdf_words=None))
    assert seen[-1][0] == "eng+deu+fra+nld" and seen[-1][1] is flat
    assert heights[-1] == "measure"  # its letters measured on it, not on the grey photo


# A German document's later page with German names but too few German words to say its language by itself
# (a delivery-note page: English labels, names, items).
LATER_PAGE = ["Delivery note for the second shipment", "Contact person Jürgen Müller, Größenweg 4, Köln",
              "Handover appointment agreed with Björn Schäfer", "Spare parts Schlüsselschalter and Gerätehalter",
              "Please return the signed copy within fourteen days"]


def _raster(lines, number=1):
    from docpipe.ingest import RasterPage

    return RasterPage(number=number, image=render_lines([(200, 300 + 80 * i, t) for i, t in enumerate(lines)]),
                      dpi=300, pdf_words=None)


def _german_lines():
    words = TEXTS["deu"].split()
    return [" ".join(words[k:k + 6]) for k in range(0, len(words), 6)]


def _spied_reader(monkeypatch):
    reader = PageReader(OrientOptions(osd="never"), OcrOptions(lang="auto"))
    langs = []
    real = reader.ocr.read_words

    def spy(image, **kw):
        langs.append(kw.get("lang") or reader.ocr.lang)
        return real(image, **kw)

    monkeypatch.setattr(reader.ocr, "read_words", spy)
    return reader, langs


def test_a_later_page_is_read_in_the_first_pages_language_at_once(monkeypatch):
    reader, langs = _spied_reader(monkeypatch)
    first = reader(_raster(_german_lines()))
    assert first.lang == "deu+eng"  # what the German page's words say, for the document's later pages
    langs.clear()
    later = reader(_raster(LATER_PAGE, 2), lang_hint=first.lang)
    assert langs == ["deu+eng"]  # one reading, in German, not English first
    joined = " ".join(ln.text for ln in later.page.lines)
    assert "Müller" in joined and "Größenweg" in joined, joined
    # Without the hint the same page reads in English only: its own words do not say German.
    langs.clear()
    alone = reader(_raster(LATER_PAGE, 2))
    assert langs == ["eng"] and alone.lang is None


def test_a_hinted_page_still_gets_the_passes_its_own_reading_asks_for(monkeypatch):
    reader, langs = _spied_reader(monkeypatch)
    # A French page in a document whose first page was German: read in German first, then in French.
    lines = ["Facture pour la livraison des marchandises", "Désignation des produits et quantité livrée",
             "Montant total de la facture avec TVA", "Paiement par virement sur le compte de la société",
             "Échéance du règlement pour le client"]
    text = reader(_raster(lines, 2), lang_hint="deu+eng")
    assert langs == ["deu+eng", "fra+eng"] and text.lang == "fra+eng"
    # An English hint changes nothing; with a fixed --lang the hint is not used.
    langs.clear()
    reader(_raster(LATER_PAGE, 2), lang_hint="eng")
    assert langs == ["eng"]
    fixed = PageReader(OrientOptions(osd="never"), OcrOptions(lang="eng"))
    assert fixed(_raster(_german_lines())).lang is None
