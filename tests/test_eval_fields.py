"""docpipe.eval.fields: key-field scoring rules, the reliability table and ECE, auto-accept coverage and
precision, ``docpipe eval folder|invoices|receipts``, and the review options of ``docpipe run``. Synthetic
documents only (built here); no OCR, no model."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from docpipe.cli import app
from docpipe.eval import fields
from docpipe.eval.fields import BANDS, auto_accept, field_ok, high_confidence, names_match, predicted, reliability
from docpipe.options import OcrOptions, ReviewOptions, StructureOptions
from docpipe.types import (
    DocumentResult,
    GroundedCurrency,
    GroundedDate,
    GroundedNumber,
    GroundedText,
    Invoice,
    Party,
    Source,
)

# --- scoring rules ------------------------------------------------------------------------------------------


def test_dates_amounts_numbers_currency():
    assert field_ok("invoice_date", "05.03.2018", "2018-03-05")
    assert field_ok("date", "01/APR/2017", "2017-04-01")  # read by the pipeline's parser, not the metric's
    assert not field_ok("invoice_date", "2018-03-05", "2018-03-06")
    assert field_ok("total", "1.234,56", 1234.56) and field_ok("total_tax", 10.0, 10.009)
    assert not field_ok("total", 10.0, 10.02)
    assert field_ok("invoice_number", "#INV-001", "inv 001") and not field_ok("invoice_number", "INV-1", "INV-2")
    assert field_ok("currency", "eur", "EUR") and not field_ok("currency", "EUR", "USD")
    for name in ("invoice_date", "total", "invoice_number", "currency", "vendor.name"):
        assert not field_ok(name, "x", None)  # an empty field is wrong


def test_names_within_cer():
    assert fields.fold("  ACME-Trading\u00a0GmbH. ") == "acme trading gmbh"
    assert names_match("ACME Trading GmbH", "acme tradinq gmbh.")  # one character in 17
    assert field_ok("vendor.name", "ACME Trading GmbH", "ACME Tradinq GmbH")
    assert field_ok("vendor_address", "1 Main Street, Springfield", "1 Main Streel Springfield")
    assert not names_match("ACME Trading GmbH", "Corner Shop Ltd")
    assert not names_match("", "anything") and not names_match("ACME", None)
    # 4 edits in 10 characters is over the 0.2 limit
    assert not names_match("abcdefghij", "abcdefwxyz")
    assert names_match("abcdefghij", "abcdefghyz")  # 2 in 10


# --- documents built by hand --------------------------------------------------------------------------------

_SRC = Source(path="a.pdf", media_type="application/pdf", pages=1)
_BOX = (10, 10, 50, 20)


def _t(v, c=1.0):
    return GroundedText(value=v, text=v, confidence=c, page=1, bbox=_BOX)


def _n(v, c=1.0):
    return GroundedNumber(value=v, text=str(v), confidence=c, page=1, bbox=_BOX)


def _d(v, c=1.0):
    return GroundedDate(value=v, text=str(v), confidence=c, page=1, bbox=_BOX)


def _cur(v, c=1.0):
    return GroundedCurrency(value=v, text=v, confidence=c, page=1, bbox=_BOX)


def _invoice(c: dict[str, float] | None = None, total: float = 119.0, review: bool = False) -> DocumentResult:
    c = c or {}
    g = lambda name: c.get(name, 1.0)  # noqa: E731
    return DocumentResult(source=_SRC, doc_type="invoice", status="ok", needs_review=review, invoice=Invoice(
        invoice_number=_t("INV-1", g("invoice_number")), invoice_date=_d(dt.date(2024, 3, 5), g("invoice_date")),
        total=_n(total, g("total")), total_tax=_n(19.0, g("total_tax")), currency=_cur("EUR", g("currency")),
        vendor=Party(name=_t("ACME GmbH", g("vendor_name")))))


def _receipt(conf: float = 1.0, address: bool = True, review: bool = False, vendor_conf: float = 1.0):
    return DocumentResult(source=_SRC, doc_type="receipt", status="ok", needs_review=review, invoice=Invoice(
        invoice_date=_d(dt.date(2024, 1, 2), conf), total=_n(12.5, conf),
        vendor=Party(name=_t("Corner Shop", vendor_conf),
                     address=_t("1 Main Street", conf) if address else None)))


def test_predicted_reads_benchmark_and_key_field_names():
    doc = _receipt(conf=0.7, vendor_conf=0.8)
    assert predicted(doc, "company") == predicted(doc, "vendor_name") == predicted(doc, "vendor.name") \
        == ("Corner Shop", 0.8)
    assert predicted(doc, "date") == predicted(doc, "invoice_date") == ("2024-01-02", 0.7)
    assert predicted(doc, "address") == ("1 Main Street", 0.7)
    assert predicted(doc, "invoice_number") == (None, None)
    assert predicted(DocumentResult(source=_SRC, doc_type="other", status="ok"), "total") == (None, None)


# --- reliability, ECE, auto-accept --------------------------------------------------------------------------


def test_reliability_and_ece_by_hand():
    pairs = [(0.2, False), (0.4, True),  # [0, .5): mean .3, right .5
             (0.5, True), (0.6, True), (0.6, False),  # [.5, .7): mean .5667, right .6667
             (0.92, True),  # [.9, .95): mean .92, right 1
             (0.97, True), (1.0, True)]  # [.95, 1]: mean .985, right 1; 1.0 falls in the last band
    rows, ece = reliability(pairs, BANDS)
    assert [r["n"] for r in rows] == [2, 3, 0, 0, 1, 2]
    assert [r["band"] for r in rows] == [list(b) for b in BANDS]
    assert rows[0]["mean_confidence"] == pytest.approx(0.3) and rows[0]["share_right"] == pytest.approx(0.5)
    assert rows[1]["mean_confidence"] == pytest.approx(1.7 / 3) and rows[1]["share_right"] == pytest.approx(2 / 3)
    assert rows[2]["mean_confidence"] is None and rows[2]["share_right"] is None
    assert rows[5]["mean_confidence"] == pytest.approx(0.985) and rows[5]["share_right"] == 1.0
    # (2 x 0.2 + 3 x 0.1 + 1 x 0.08 + 2 x 0.015) / 8
    assert ece == pytest.approx(0.81 / 8)


def test_reliability_edges_and_calibrated_set():
    rows, _ = reliability([(0.85, True), (0.9, True), (0.95, True), (0.7, False)])
    assert [r["n"] for r in rows] == [0, 0, 1, 1, 1, 1]  # a band holds its lower edge
    rows, ece = reliability([(0.8, True)] * 8 + [(0.8, False)] * 2)  # 80% right at 0.8: calibrated
    assert ece == pytest.approx(0.0) and rows[2]["share_right"] == pytest.approx(0.8)
    assert reliability([]) == ([{"band": list(b), "n": 0, "mean_confidence": None, "share_right": None}
                                for b in BANDS], None)
    assert high_confidence([(0.95, True), (0.9, False), (0.89, True)]) == {"at": 0.9, "n": 2, "share_right": 0.5}


def _row(doc, review, oks):
    return {"doc": doc, "doc_type": "invoice", "needs_review": review,
            "fields": {f"f{i}": {"ok": ok, "conf": 0.9} for i, ok in enumerate(oks)}}


def test_auto_accept_by_hand():
    rows = [_row("a", False, [True, True]),  # accepted, fully right
            _row("b", False, [True, False]),  # accepted, one field wrong
            _row("c", True, [True, True]),  # sent to review although right
            _row("d", True, [False]),
            _row("e", True, [True, False, False])]
    got = auto_accept(rows)
    assert got == {"documents": 5, "accepted": 2, "coverage": 0.4, "accepted_right": 1, "precision": 0.5,
                   "fully_right": 2, "fully_right_share": 0.4}
    none = auto_accept([_row("x", True, [True])])
    assert none["accepted"] == 0 and none["precision"] is None and none["coverage"] == 0.0
    assert auto_accept([])["coverage"] is None


def test_summary_and_printed_report():
    rows = [_row("a", False, [True, True]), _row("b", True, [False])]
    rows[1]["fields"]["f1"] = {"ok": False, "conf": None}  # an empty field: wrong, and not in the table
    s = fields.summarize(rows, ("f0", "f1"), threshold=0.9)
    assert s["fields"]["f0"] == s["fields"]["f1"] == {"n": 2, "correct": 1, "accuracy": 0.5}
    assert s["all"] == {"n": 4, "correct": 2, "accuracy": 0.5}
    # three fields at 0.9, two right: |0.9 - 2/3|
    assert s["empty"] == 1 and s["reliability"][4]["n"] == 3 and s["ece"] == pytest.approx(0.2333, abs=1e-4)
    text = fields.format_summary(s, "demo", rows)
    assert "expected calibration error 0.233" in text and "at review threshold 0.90" in text
    assert "[0.95,1.00]" in text and "[0.90,0.95)" in text
    assert "accepted 1 of 2 documents (coverage 0.500)" in text and "(precision 1.000)" in text
    assert "auto" in text and "review" in text


# --- docpipe eval folder ------------------------------------------------------------------------------------


def _write(folder: Path, name: str, doc: DocumentResult) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(doc.model_dump_json(), encoding="utf-8")


def test_eval_folder_prints_reliability_and_auto_accept(tmp_path):
    exp, pred = tmp_path / "expected", tmp_path / "pred"
    _write(exp, "inv1.pdf.json", _invoice())
    _write(pred, "inv1.pdf.json", _invoice({k: 0.96 for k in fields.KEY_FIELDS["invoice"]}))  # accepted, right
    _write(exp, "inv2.pdf.json", _invoice())
    _write(pred, "inv2.pdf.json", _invoice({**{k: 0.92 for k in fields.KEY_FIELDS["invoice"]}, "total": 0.6},
                                           total=191.0, review=True))
    _write(exp, "rec1.jpg.json", _receipt())
    # accepted although its address is empty: not fully right
    _write(pred, "rec1.jpg.json", _receipt(conf=0.97, address=False, vendor_conf=0.8))
    _write(exp, "letter.png.json", DocumentResult(source=_SRC, doc_type="other", status="ok"))
    _write(pred, "letter.png.json", DocumentResult(source=_SRC, doc_type="other", status="ok"))
    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["eval", "folder", "--pred", str(pred), "--expected", str(exp), "--json", str(out)])
    assert res.exit_code == 0, res.output
    # 15 fields with a value: [.5,.7) 1 (0.6, wrong); [.7,.85) 1 (0.8, right); [.9,.95) 5 (0.92, right);
    # [.95,1] 8 (6 x 0.96 + 2 x 0.97, right). ECE = (0.6 + 0.2 + 5 x 0.08 + 8 x 0.0375) / 15 = 0.1
    assert "Key fields of invoices and receipts" in res.output
    assert "expected calibration error 0.100" in res.output
    assert "accepted 2 of 3 documents (coverage 0.667)" in res.output
    assert "fully right among accepted 1 (precision 0.500)" in res.output
    k = json.loads(out.read_text())["key_fields"]
    assert [b["n"] for b in k["reliability"]] == [0, 1, 1, 0, 5, 8]
    assert k["ece"] == pytest.approx(0.1) and k["empty"] == 1
    assert k["fields"]["total"] == {"n": 3, "correct": 2, "accuracy": 0.667}
    assert k["fields"]["vendor_address"] == {"n": 1, "correct": 0, "accuracy": 0.0}
    assert "vendor.name" not in k["fields"]
    assert k["high_confidence"] == {"at": 0.9, "n": 13, "share_right": 1.0}
    assert k["auto_accept"]["fully_right"] == 1 and k["n_documents"] == 3


def test_eval_folder_without_invoices_has_no_key_field_section(tmp_path):
    exp, pred = tmp_path / "expected", tmp_path / "pred"
    for folder in (exp, pred):
        _write(folder, "letter.png.json", DocumentResult(source=_SRC, doc_type="other", status="ok"))
    res = CliRunner().invoke(app, ["eval", "folder", "--pred", str(pred), "--expected", str(exp)])
    assert res.exit_code == 0 and "Key fields" not in res.output
    bad = CliRunner().invoke(app, ["eval", "folder", "--pred", str(pred)])
    assert bad.exit_code == 2 and "--expected" in bad.output


# --- docpipe eval invoices / receipts -----------------------------------------------------------------------


@pytest.mark.parametrize("target", ["invoices", "receipts"])
def test_eval_real_sets_skip_without_realdocs(tmp_path, target):
    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["eval", target, "--realdocs", "/nonexistent", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "skipped" in res.output and "DOCPIPE_REALDOCS" in res.output
    assert json.loads(out.read_text())["target"] == target and "skipped" in json.loads(out.read_text())
    empty = tmp_path / "realdocs"
    empty.mkdir()  # a realdocs folder without the set's sub-folders skips too
    res = CliRunner().invoke(app, ["eval", target, "--realdocs", str(empty)])
    assert res.exit_code == 0 and "skipped" in res.output


def test_eval_invoices_options(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr("docpipe.eval.run_eval", lambda target, **kw: seen.update(target=target, **kw))
    res = CliRunner().invoke(app, ["eval", "receipts", "--limit", "3", "--backend", "rules", "--review-threshold",
                                   "0.8", "--llm-ask", "all", "--cache", str(tmp_path), "--workers", "1"])
    assert res.exit_code == 0, res.output
    o = seen["options"]
    assert seen["target"] == "receipts" and seen["limit"] == 3 and seen["cache"] == tmp_path
    assert o.ocr.lang == OcrOptions().lang and o.structure.backend == "rules" and o.structure.llm_ask == "all"
    assert o.review.threshold == 0.8 and o.review.calibrate
    CliRunner().invoke(app, ["eval", "invoices", "--lang", "eng+deu"])
    assert seen["options"].ocr.lang == "eng+deu" and seen["options"].review == ReviewOptions()
    assert seen["options"].structure.backend == StructureOptions().backend
    bad = CliRunner().invoke(app, ["eval", "invoices", "--review-threshold", "1.5"])
    assert bad.exit_code == 2


def test_benchmark_wrapper_keeps_the_names_calibration_fit_uses():
    from benchmarks import invoice_fields as bench

    for name in ("invoice_docs", "render_scan", "read_all", "predicted", "field_ok", "INVOICE_FIELDS"):
        assert getattr(bench, name) is getattr(fields, name)


# --- docpipe run: review and retry options ------------------------------------------------------------------


def _capture_run(monkeypatch) -> dict:
    seen = {}

    def fake_run_batch(input, out, options, **kw):
        seen["options"] = options
        return SimpleNamespace(total=0, ok=0, partial=0, failed=0, skipped=0, excluded=0, needs_review=0, pages=0,
                               seconds=0.0, exit_code=0)

    monkeypatch.setattr("docpipe.pipeline.run_batch", fake_run_batch)
    return seen


def test_run_review_options(monkeypatch, tmp_path):
    seen = _capture_run(monkeypatch)
    cal = tmp_path / "cal.json"
    res = CliRunner().invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "o"), "--no-llm", "--quiet",
                                   "--review-threshold", "0.8", "--calibration", str(cal), "--no-calibrate",
                                   "--llm-retries", "5"])
    assert res.exit_code == 0, res.output
    o = seen["options"]
    assert o.review == ReviewOptions(calibrate=False, calibration=cal, threshold=0.8)
    assert o.structure.llm_retries == 5 and o.structure.backend == "rules"
    assert o.structure.llm_receipts is False  # receipts are the rules' reading unless --llm-receipts
    res = CliRunner().invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "o"), "--quiet", "--llm-receipts"])
    assert res.exit_code == 0, res.output
    assert seen["options"].structure.llm_receipts is True and seen["options"].structure.backend == "llm"

    res = CliRunner().invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "o"), "--no-llm", "--quiet"])
    assert res.exit_code == 0, res.output
    assert seen["options"].review == ReviewOptions()
    assert seen["options"].structure.llm_retries == StructureOptions().llm_retries

    for bad in (["--review-threshold", "1.5"], ["--llm-retries", "-1"]):
        res = CliRunner().invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "o"), "--no-llm", *bad])
        assert res.exit_code == 2, bad
    help_text = CliRunner().invoke(app, ["run", "--help"]).output
    assert "--review-threshold" in help_text and "--no-calibrate" in help_text and "--llm-retries" in help_text
