"""Calibration: evidence features of key fields, the logistic mapping, the fitting recipe and review reasons."""

import datetime as dt
import json
import random

import numpy as np

from docpipe.calibrate import (Calibrated, Calibrator, FieldModel, calibrate_invoice, field_features,
                               review_reasons)
from docpipe.structure.invoice import extract_invoice
from docpipe.structure.layout import PageView
from docpipe.types import GroundedNumber, Invoice
from models.calibration.fit import auto_accept, fit_logistic, fit_models, folds_of, out_of_fold, reliability

from .conftest import page_from_items as page

LABELLED = [
    (200, 200, "Nordwind Handel GmbH"), (1600, 200, "RECHNUNG"),
    (1600, 350, "Rechnungsnummer: RE-2031-0042"), (1600, 410, "Datum: 14.03.2025"),
    (1500, 1500, "Zwischensumme"), (2000, 1500, "100,00"),
    (1500, 1570, "MwSt. 19%"), (2000, 1570, "19,00"),
    (1500, 1640, "Gesamtbetrag EUR"), (2000, 1640, "119,00"),
]


def _views(items):
    return [PageView(page(items))]


def test_label_next_to_the_value_is_evidence():
    views = _views(LABELLED)
    inv = extract_invoice(views)
    x = field_features("invoice_number", inv, views, {}, {})
    assert x["label"] == 1.0
    assert field_features("total", inv, views, {}, {})["label"] == 1.0
    # The same number printed alone, with no label anywhere near it.
    bviews = _views([(200, 200, "Nordwind Handel GmbH"), (1600, 350, "RE-2031-0042")])
    line = next(ln for ln in bviews[0].lines if ln.text == "RE-2031-0042")
    binv = Invoice(invoice_number=inv.invoice_number.model_copy(update={"bbox": line.bbox}))
    assert field_features("invoice_number", binv, bviews, {}, {})["label"] == 0.0


def test_arithmetic_closes_or_fails():
    views = _views(LABELLED)
    inv = extract_invoice(views)
    assert field_features("total", inv, views, {}, {})["closes"] == 1.0
    broken = inv.model_copy(update={"total": GroundedNumber(value=120.0, text="120,00", confidence=0.9, page=1,
                                                            bbox=inv.total.bbox)})
    x = field_features("total", broken, views, {}, {})
    assert x["closes"] == 0.0 and x["fails"] == 1.0


def test_sources_and_plausibility():
    views = _views(LABELLED)
    inv = extract_invoice(views)
    x = field_features("invoice_date", inv, views, {"invoice_date": "agree"}, {"invoice_date": 0.9})
    assert x["agree"] == 1.0 and x["model_only"] == 0.0 and x["model_p"] == 0.9 and x["plausible"] == 1.0
    old = inv.model_copy(update={"invoice_date": inv.invoice_date.model_copy(update={"value": dt.date(1901, 1, 1)})})
    assert field_features("invoice_date", old, views, {"invoice_date": "model"}, {})["plausible"] == -1.0
    assert field_features("total_tax", Invoice(), views, {}, {}) is None


def test_calibrator_maps_evidence_to_probability_and_round_trips(tmp_path):
    m = FieldModel(("logit_raw", "agree"), (1.0, 2.0), -0.5)
    cal = Calibrator(models={"invoice": {"total": m, "*": FieldModel(("logit_raw",), (1.0,), 0.0)}}, threshold=0.8)
    lo = cal.probability("invoice", "total", {"logit_raw": 0.0, "agree": 0.0})
    hi = cal.probability("invoice", "total", {"logit_raw": 0.0, "agree": 1.0})
    assert 0 < lo < hi < 1
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cal.to_json()))
    back = Calibrator.load(path)
    assert back.threshold == 0.8
    assert abs(back.probability("invoice", "total", {"logit_raw": 0.0, "agree": 1.0}) - hi) < 1e-4


def test_calibrate_invoice_sets_every_confidence_and_review_names_fields():
    views = _views(LABELLED)
    inv = extract_invoice(views)
    cal = Calibrator(models={"invoice": {"total": FieldModel(("closes",), (4.0,), 0.0),
                                         "*": FieldModel(("logit_raw",), (0.0,), -3.0)}})
    out = calibrate_invoice(inv, views, kind="invoice", sources={}, model_p={}, calibrator=cal)
    assert out.probabilities["total"] > 0.95 and inv.total.confidence == out.probabilities["total"]
    assert inv.invoice_number.confidence < 0.1  # the pooled model with bias -3
    reasons = review_reasons(out, threshold=0.9)
    assert not any(r.startswith("total:") for r in reasons)
    num = next(r for r in reasons if r.startswith("invoice number:"))
    assert "below the review threshold 0.90" in num
    assert review_reasons(Calibrated(), threshold=0.9) == []


def test_fit_logistic_recovers_a_direction():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = (rng.random(400) < 1 / (1 + np.exp(-(2.0 * X[:, 0] - 1.0)))).astype(float)
    w, b = fit_logistic(X, y, lam=0.1)
    assert w[0] > 1.2 and abs(w[1]) < 0.5 and b < -0.4
    w1, b1 = fit_logistic(np.zeros((20, 1)), np.ones(20))  # always right: a finite, high bias
    assert np.isfinite(b1) and b1 > 2


def _rows(n_docs=40, seed=1):
    rnd = random.Random(seed)
    rows, docs = [], []
    for i in range(n_docs):
        doc = f"d{i}"
        fields = {}
        for name in ("invoice_number", "total"):
            label = float(rnd.random() < 0.6)
            ok = rnd.random() < (0.97 if label else 0.5)
            rows.append({"doc": doc, "kind": "invoice", "field": name, "ok": ok, "present": True,
                         "features": {"logit_raw": 0.0, "label": label}})
            fields[name] = ok
        docs.append({"doc": doc, "set": "invoice", "rule_reasons": [], "errors": [], "fields": fields})
    return rows, docs


def test_out_of_fold_probabilities_follow_the_evidence_and_folds_are_disjoint():
    rows, docs = _rows()
    folds = folds_of([d["doc"] for d in docs])
    assert set(folds.values()) == {0, 1, 2, 3, 4}
    oof = out_of_fold(rows)
    lab = [p for r, p in zip(rows, oof) if r["features"]["label"]]
    unl = [p for r, p in zip(rows, oof) if not r["features"]["label"]]
    assert sum(lab) / len(lab) > sum(unl) / len(unl) + 0.2
    table, ece = reliability([(p, r["ok"]) for r, p in zip(rows, oof)])
    assert sum(t["n"] for t in table) == len(rows) and 0 <= ece <= 1
    models = fit_models(rows)
    assert set(models["invoice"]) >= {"invoice_number", "total", "*"}


def test_auto_accept_counts_documents_whose_fields_all_pass():
    docs = [{"doc": "a", "set": "invoice", "rule_reasons": [], "errors": [], "fields": {"total": True}},
            {"doc": "b", "set": "invoice", "rule_reasons": [], "errors": [], "fields": {"total": False}},
            {"doc": "c", "set": "invoice", "rule_reasons": ["total not found"], "errors": [], "fields": {}}]
    probs = {"a": {"total": 0.97}, "b": {"total": 0.8}, "c": {}}
    r = auto_accept(docs, probs, 0.9, "invoice")
    assert (r["accepted"], r["fully_right"], r["precision"], r["coverage"]) == (1, 1, 1.0, 0.333)
    r = auto_accept(docs, probs, 0.5, "invoice")
    assert (r["accepted"], r["precision"]) == (2, 0.5)


def test_a_number_from_the_title_line_counts_as_labelled():
    views = _views([(200, 200, "Nordwind Handel GmbH"), (200, 300, "Handelsrechnung (380) Nr. 582917 vom 05.03.2024")])
    inv = extract_invoice(views)
    assert inv.invoice_number.value == "582917"
    assert field_features("invoice_number", inv, views, {}, {})["label"] == 1.0
    assert field_features("invoice_date", inv, views, {}, {})["label"] == 1.0


def test_each_key_field_keeps_its_own_models_probability_whatever_the_memory_layout():
    # A key field mapped by its own model must never be mapped again by the pooled one: that happened when a
    # replaced object's id was reused by another (results then changed with PYTHONHASHSEED and allocation).
    views = _views(LABELLED)
    own = FieldModel(("logit_raw",), (0.0,), 2.0)  # sigmoid(2) = 0.8808
    models = {name: own for name in ("invoice_number", "invoice_date", "total", "total_tax", "currency",
                                     "vendor_name")}
    cal = Calibrator(models={"invoice": {**models, "*": FieldModel(("logit_raw",), (0.0,), -3.0)}})
    for _ in range(200):
        inv = extract_invoice(views)
        out = calibrate_invoice(inv, views, kind="invoice", sources={}, model_p={}, calibrator=cal)
        assert out.probabilities
        for name, p in out.probabilities.items():
            assert p == 0.8808
        assert inv.total.confidence == inv.invoice_number.confidence == 0.8808
