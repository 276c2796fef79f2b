"""Tests of docpipe.eval: metrics, folder comparison, OCR scoring, and the realdocs loaders (on the real files,
skipped when ../shared/realdocs is absent)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from docpipe.eval import run_eval
from docpipe.eval.compare import compare_folder
from docpipe.eval.metrics import (
    amounts_equal,
    cer,
    dates_equal,
    iou,
    levenshtein,
    match_boxes,
    normalise_text,
    parse_amount,
    parse_date,
    precision_recall,
    text_equal,
    text_similar,
    wer,
)
from docpipe.eval.ocr_eval import evaluate_ocr_synthetic, score_page
from docpipe.eval.realdocs import (
    load_dop_boxes,
    load_edocr2,
    load_funsd,
    load_invoice2data,
    load_sroie,
    load_zugferd,
    realdocs_root,
)
from docpipe.types import (
    Dimension,
    DocumentResult,
    Drawing,
    GroundedCurrency,
    GroundedDate,
    GroundedNumber,
    GroundedText,
    Invoice,
    Page,
    Party,
    Region,
    Source,
    Word,
)

# --- metrics --------------------------------------------------------------------------------------


def _naive_lev(a, b) -> int:
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        nd = [i]
        for j, cb in enumerate(b, 1):
            nd.append(min(d[j] + 1, nd[j - 1] + 1, d[j - 1] + (ca != cb)))
        d = nd
    return d[-1]


def test_levenshtein_known_values_and_against_naive():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3 and levenshtein("abc", "") == 3 and levenshtein("", "") == 0
    assert levenshtein(["a", "b", "c"], ["a", "c"]) == 1
    import random

    rng = random.Random(1)
    for _ in range(300):
        a = "".join(rng.choice("abc") for _ in range(rng.randint(0, 9)))
        b = "".join(rng.choice("abc") for _ in range(rng.randint(0, 9)))
        assert levenshtein(a, b) == _naive_lev(a, b)


def test_cer_wer():
    assert cer("kitten", "sitting") == pytest.approx(0.5)
    assert cer("abc", "abc") == 0.0
    assert cer("", "") == 0.0 and cer("", "x") == 1.0 and cer("ab", "") == 1.0
    assert wer("the cat sat down", "the cat sit") == pytest.approx(0.5)  # 1 substitution + 1 deletion over 4
    assert wer("a b", "a b c d") == pytest.approx(1.0)  # two insertions over two words
    assert normalise_text("  ﬁle\u00a0 name\n x ") == "file name x"


def test_iou_and_matching():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0
    gt = [(0, 0, 10, 10), (20, 20, 30, 30), (50, 50, 60, 60)]
    pred = [(21, 21, 30, 30), (0, 0, 8, 10), (1, 0, 10, 10), (100, 100, 110, 110)]
    m = match_boxes(gt, pred, 0.5)
    assert [(x.gt, x.pred) for x in m] == [(0, 2), (1, 0)]  # greedy takes the best IoU first, one to one
    pr = precision_recall(m, len(gt), len(pred))
    assert pr.recall == pytest.approx(2 / 3) and pr.precision == pytest.approx(0.5)
    assert precision_recall(0, 0, 0).precision is None


def test_field_comparisons():
    assert parse_amount("1.234,56 €") == pytest.approx(1234.56)
    assert parse_amount("$12.20") == pytest.approx(12.2)
    assert parse_amount("-8.79") == pytest.approx(-8.79)
    assert amounts_equal("529,87", 529.87) and amounts_equal(10.0, 10.009) and not amounts_equal(10.0, 10.02)
    assert not amounts_equal(None, 1.0)
    assert parse_date("10 MAY 2018") == dt.date(2018, 5, 10)
    assert parse_date("20180305") == dt.date(2018, 3, 5)
    assert parse_date("05/01/17") == dt.date(2017, 1, 5)  # day first
    assert parse_date("03/20/2023") == dt.date(2023, 3, 20)  # only month-first is valid
    assert dates_equal("05.03.2018", dt.date(2018, 3, 5)) and not dates_equal("2018-03-05", "2018-03-06")
    assert text_equal("DE 232 446 240", "de232446240") and text_equal("#BLR_1", "blr1")
    assert not text_equal("INV-1", "INV-2")
    assert text_similar("Lieferant GmbH", "Lieferant GmbH.") and not text_similar("Lieferant", "Kunde AG")


# --- compare_folder -------------------------------------------------------------------------------

_SRC = Source(path="a.pdf", media_type="application/pdf", pages=1)


def _t(v, box=(10, 10, 50, 20)):
    return GroundedText(value=v, text=v, confidence=0.9, page=1, bbox=box)


def _n(v, box=(100, 10, 150, 20)):
    return GroundedNumber(value=v, text=str(v), confidence=0.9, page=1, bbox=box)


def _d(v):
    return GroundedDate(value=v, text=str(v), confidence=0.9, page=1, bbox=(10, 30, 60, 40))


def _write(folder: Path, name: str, doc: DocumentResult) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(doc.model_dump_json(), encoding="utf-8")


def _dim(text, box, nominal, kind="linear", up=None, lo=None):
    return Dimension(text=text, kind=kind, nominal=nominal, unit="mm", upper_deviation=up, lower_deviation=lo,
                     page=1, bbox=box, confidence=0.9)


def test_compare_folder(tmp_path):
    exp_dir, pred_dir = tmp_path / "expected", tmp_path / "pred"
    expected = DocumentResult(
        source=_SRC, doc_type="invoice", status="ok",
        invoice=Invoice(invoice_number=_t("INV-001"), invoice_date=_d(dt.date(2024, 3, 5)), total=_n(119.0),
                        currency=GroundedCurrency(value="EUR", text="€", confidence=1, page=1, bbox=(1, 1, 5, 5)),
                        vendor=Party(name=_t("ACME GmbH"))),
        pages=[Page(number=1, width=1000, height=1400, dpi=100, text_source="ocr",
                    regions=[Region(label="totals", bbox=(500, 900, 900, 1000), confidence=1)])],
    )
    predicted = DocumentResult(
        source=_SRC, doc_type="invoice", status="ok",
        invoice=Invoice(invoice_number=_t("inv 001", box=(12, 11, 52, 21)),  # correct, grounded
                        total=_n(191.0),  # wrong
                        # invoice_date missing
                        due_date=_d(dt.date(2024, 4, 5)),  # extra
                        currency=GroundedCurrency(value="EUR", text="EUR", confidence=1, page=1, bbox=(1, 1, 5, 5)),
                        vendor=Party(name=_t("ACME GmbH."))),
        pages=[Page(number=1, width=1000, height=1400, dpi=100, text_source="ocr",
                    regions=[Region(label="totals", bbox=(510, 905, 900, 1000), confidence=0.8),
                             Region(label="header", bbox=(0, 0, 100, 100), confidence=0.8)])],
    )
    _write(exp_dir, "a.pdf.json", expected)
    _write(pred_dir, "a.pdf.json", predicted)

    exp_dwg = DocumentResult(source=_SRC, doc_type="drawing", status="ok", drawing=Drawing(dimensions=[
        _dim("⌀25 H7", (100, 100, 200, 140), 25.0, "diameter", 0.021, 0.0),
        _dim("40", (400, 100, 440, 130), 40.0)]))
    pred_dwg = DocumentResult(source=_SRC, doc_type="drawing", status="ok", drawing=Drawing(dimensions=[
        # IoU with the first expected box is about 0.33: below 0.5 but a match at eDOCr2's 0.2
        _dim("Ø25 H7", (130, 100, 230, 150), 25.0, "diameter", 0.021, 0.0),
        _dim("12", (800, 800, 840, 830), 12.0)]))
    _write(exp_dir, "b.png.json", exp_dwg)
    _write(pred_dir, "b.png.json", pred_dwg)
    _write(exp_dir, "c.pdf.json", exp_dwg)  # no prediction
    (pred_dir / "d.pdf.json").write_text("{not json", encoding="utf-8")  # prediction without expected
    (exp_dir / "e.pdf.json").write_text(json.dumps({"source": {}}), encoding="utf-8")
    (pred_dir / "e.pdf.json").write_text(exp_dwg.model_dump_json(), encoding="utf-8")

    rep = compare_folder(pred_dir, exp_dir)
    assert rep.n_expected == 4 and rep.n_compared == 2
    assert rep.missing_predictions == ["c.pdf.json"] and rep.extra_predictions == ["d.pdf.json"]
    assert list(rep.unreadable) == ["expected/e.pdf.json"]
    assert rep.doc_type_correct == 2
    f = rep.invoice_fields
    assert (f["invoice_number"].correct, f["invoice_number"].grounded_ok, f["invoice_number"].grounded_checked) == (1, 1, 1)
    assert (f["total"].expected, f["total"].wrong, f["total"].correct) == (1, 1, 0)
    assert (f["invoice_date"].expected, f["invoice_date"].missing) == (1, 1)
    assert (f["due_date"].expected, f["due_date"].extra) == (0, 1)
    assert f["currency"].correct == 1
    assert f["vendor.name"].correct == 1  # punctuation-insensitive
    assert rep.regions["totals"].tp == 1 and rep.regions["header"].n_pred == 1 and rep.regions["header"].n_gt == 0

    d = rep.dimensions.to_dict()
    assert (rep.dimensions.pr.tp, rep.dimensions.pr.n_gt, rep.dimensions.pr.n_pred) == (1, 2, 2)
    assert d["nominal_acc"] == 1.0 and d["kind_acc"] == 1.0 and d["deviation_acc"] == 1.0
    assert d["text_cer_matched"] == pytest.approx(1 / 6)  # ⌀ vs Ø: one substitution in six characters

    text = rep.format_report()
    assert "invoice_number" in text and "Dimensions" in text
    data = rep.to_json()
    json.dumps(data)  # serialisable
    assert data["invoice_fields"]["total"]["accuracy"] == 0.0

    out = tmp_path / "r.json"
    got = run_eval("folder", pred=pred_dir, expected=exp_dir, json_out=out, quiet=True)
    assert got["target"] == "folder" and json.loads(out.read_text())["n_compared"] == 2


# --- OCR scoring (no OCR run) ---------------------------------------------------------------------


def test_score_page_word_and_page_level():
    gt = [("Hello", (10, 10, 60, 30)), ("world", (70, 10, 120, 30)), ("", (0, 0, 5, 5)), ("Bye", (10, 50, 40, 70))]
    pred = [Word(text="Hello", bbox=(11, 11, 59, 29), confidence=0.9),
            Word(text="wor1d", bbox=(71, 11, 119, 29), confidence=0.9),
            Word(text="noise", bbox=(300, 300, 340, 320), confidence=0.2)]
    s = score_page("x", gt, pred, dpi=100, seconds=0.0)
    assert s.n_gt_words == 3  # the empty transcript is skipped
    assert s.word_exact == 1 and s.word_unmatched == 1
    assert s.word_edits == 1 + 3 and s.word_ref_chars == 13
    assert s.page_cer == pytest.approx(cer("Hello world Bye", "Hello wor1d noise"))
    assert s.bag_recall == pytest.approx(1 / 3)

    # FUNSD splits "466-5087" in two words where Tesseract reads one: grouped, it is an exact match
    gt2 = [("466-", (10, 100, 40, 120)), ("5087", (42, 100, 80, 120))]
    s2 = score_page("y", gt2, [Word(text="466-5087", bbox=(10, 100, 80, 120), confidence=0.9)], dpi=100, seconds=0)
    assert (s2.word_exact, s2.word_edits, s2.word_cer) == (2, 0, 0.0)


def test_synthetic_ocr_skips_or_runs_empty():
    rep = evaluate_ocr_synthetic(0, 0)
    assert rep.skipped is not None or rep.pages == []


# --- realdocs loaders (real files) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def root() -> Path:
    r = realdocs_root()
    if r is None:
        pytest.skip("../shared/realdocs is absent (set DOCPIPE_REALDOCS to point at it)")
    return r


@pytest.mark.realdocs
def test_load_sroie(root):
    items = load_sroie(root)
    assert len(items) == 100
    first = items[0]
    assert first.doc_id == "001" and first.company == "FIVE STAR CASH & CARRY" and first.total == "90.00"
    assert first.image.exists()
    assert first.lines[0].text == "FIVE STAR CASH & CARRY" and first.lines[0].box == (116, 196, 582, 224)
    assert sum(len(i.lines) for i in items) == 5443
    assert any("," in ln.text for ln in first.lines)  # transcripts may contain commas
    assert len(load_sroie(root, limit=3)) == 3


@pytest.mark.realdocs
def test_load_funsd(root):
    forms = load_funsd(root)
    assert len(forms) == 50
    assert sum(len(f.entities) for f in forms) == 2332 and sum(len(f.words) for f in forms) == 8973
    f = next(f for f in forms if f.doc_id == "82092117")
    assert any(w.text == "TO:" and w.box == (102, 345, 129, 359) for w in f.words)
    assert {e.label for f in forms for e in f.entities} == {"header", "question", "answer", "other"}
    assert all(f.image.exists() for f in forms)


@pytest.mark.realdocs
def test_load_invoice2data(root):
    inv = {i.doc_id: i for i in load_invoice2data(root)}
    assert len(inv) == 12
    f = inv["FlipkartInvoice"].fields
    assert f["total"] == 319.0 and f["invoice_date"] == "2015-10-20" and f["currency"] == "INR"
    assert all("desc" not in i.extra and "issuer" not in i.extra for i in inv.values())
    assert inv["coolblue1"].fields["vendor.iban"] == "NL50INGB0683251309"
    assert inv["saeco"].fields["vendor.vat_id"] == "NL815254295B01"  # from static_vat
    assert inv["AzureInterior"].fields["due_date"] == "2023-04-04"
    assert inv["AzureInterior"].fields["currency"] == "USD"  # from currency_symbol
    assert [it["amount"] for it in inv["AzureInterior"].line_items] == [42.0, 70.0, 0.9, 150.0]  # no headers/notes
    assert inv["AmazonWebServices"].inputs[0].suffix == ".pdf"
    assert inv["Orlen"].inputs[0].suffix == ".txt" and inv["Orlen"].line_items == []


@pytest.mark.realdocs
def test_load_zugferd(root):
    docs = {d.doc_id: d for d in load_zugferd(root)}
    assert len(docs) == 28
    e = docs["EN16931_Einfach"]
    assert e.fields["invoice_number"] == "471102" and e.fields["invoice_date"] == "2018-03-05"
    assert e.fields["total"] == 529.87 and e.fields["total_tax"] == 56.87 and e.fields["subtotal"] == 473.0
    assert e.fields["vendor.name"] == "Lieferant GmbH" and e.fields["vendor.vat_id"] == "DE123456789"
    assert [li["amount"] for li in e.line_items] == [198.0, 275.0]
    assert "due_date" not in e.fields  # null in the XML: absent, not invented
    assert docs["Facture_FR_BASICWL"].line_items == []
    assert docs["EN16931_Elektron"].fields["vendor.iban"] == "DE91100000000123456789"  # from the XML
    assert all(d.pdf.exists() and d.xml.exists() for d in docs.values())


@pytest.mark.realdocs
def test_load_edocr2(root):
    dwgs = {d.doc_id: d for d in load_edocr2(root)}
    assert len(dwgs) == 7
    assert sum(len(d.dimensions) for d in dwgs.values()) == 80
    assert sum(len(d.boxes) for d in dwgs.values()) == 99
    g = dwgs["Gripper"]
    assert g.image.exists() and (g.width, g.height) == (2250, 3250)
    assert "⌀70.50±0.05" in [b.text for b in g.dimensions]
    assert all(b.box[0] < b.box[2] and b.box[1] < b.box[3] for d in dwgs.values() for b in d.boxes)
    assert all(b.ignore == (b.label == "other_info") for d in dwgs.values() for b in d.boxes)


@pytest.mark.realdocs
def test_load_dop_boxes(root):
    imgs = load_dop_boxes(root)
    assert len(imgs) == 19 and {i.split for i in imgs} == {"test", "valid"}
    # 204 boxes: the MANIFEST's 185 counted newlines, and the label files lack a final newline
    assert sum(len(i.boxes) for i in imgs) == 204
    i = imgs[0]
    assert (i.width, i.height) == (600, 400)
    x0, y0, x1, y1 = i.boxes[0]
    assert (x0, y0, x1, y1) == pytest.approx(((0.30102 - 0.05050 / 2) * 600, (0.0666 - 0.05895 / 2) * 400,
                                              (0.30102 + 0.05050 / 2) * 600, (0.0666 + 0.05895 / 2) * 400), abs=0.1)


@pytest.mark.realdocs
def test_funsd_ocr_one_form(root):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    data = run_eval("funsd", realdocs=root, limit=1, workers=1, quiet=True)
    s = data["summary"]
    assert s["pages"] == 1 and s["errors"] == 0
    assert 0.0 <= s["word_cer_micro"] < 0.6  # a sanity bound, not a quality target
    assert data["pages"][0]["dpi"] == 91  # estimated: no dpi metadata, 1000 px / 11 in


def test_unrotate_words_inverts_the_readers_rotation():
    import numpy as np
    from PIL import Image

    from docpipe.eval.ocr_eval import unrotate_words
    from docpipe.orient import rotate_clockwise

    w, h = 400, 300
    a = np.full((h, w), 255, np.uint8)
    a[50:60, 300:310] = 0
    for rot in (3.0, -2.5, 90, 180, 270, 92.0):
        q = int(round(rot / 90)) % 4 * 90
        up = rotate_clockwise(rotate_clockwise(Image.fromarray(a), q), rot - round(rot / 90) * 90)
        ys, xs = np.nonzero(np.asarray(up) < 128)
        box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        back = unrotate_words([Word(text="x", bbox=box, confidence=1.0)], rot, (w, h))[0].bbox
        assert back == pytest.approx((300, 50, 310, 60), abs=2), rot
