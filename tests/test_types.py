"""The data contract: validation rules and the committed JSON Schema files."""

import json

import pytest
from pydantic import ValidationError

from docpipe.types import EXPORTED_MODELS, DocumentResult, ErrorRecord, GroundedNumber, Invoice, Source

from .conftest import ROOT

SRC = Source(path="a/b.pdf", sha256="0" * 64, media_type="application/pdf", pages=1)


def test_bbox_must_be_ordered():
    GroundedNumber(value=1.0, text="1", confidence=0.5, page=1, bbox=(0, 0, 10, 10))
    with pytest.raises(ValidationError, match="x0 < x1"):
        GroundedNumber(value=1.0, text="1", confidence=0.5, page=1, bbox=(10, 0, 5, 10))


def test_confidence_range_and_extra_fields_rejected():
    with pytest.raises(ValidationError):
        GroundedNumber(value=1.0, text="1", confidence=1.5)
    with pytest.raises(ValidationError):
        GroundedNumber(value=1.0, text="1", confidence=0.5, colour="red")


def test_invoice_payload_required_for_invoice_type():
    with pytest.raises(ValidationError, match="needs an 'invoice'"):
        DocumentResult(source=SRC, doc_type="invoice", status="ok")
    DocumentResult(source=SRC, doc_type="invoice", status="ok", invoice=Invoice())


def test_failed_document_must_say_why():
    with pytest.raises(ValidationError, match="must say why"):
        DocumentResult(source=SRC, status="failed")
    r = DocumentResult(source=SRC, status="failed",
                       errors=[ErrorRecord(stage="ingest", kind="InputError", message="empty")])
    assert DocumentResult.model_validate_json(r.model_dump_json()) == r


def test_dates_serialise_as_iso():
    inv = Invoice.model_validate({"invoice_date": {"value": "2025-03-14", "text": "14.03.2025", "confidence": 0.9,
                                                   "page": 1, "bbox": [1, 2, 3, 4]}})
    assert json.loads(inv.model_dump_json())["invoice_date"]["value"] == "2025-03-14"


@pytest.mark.parametrize("name", sorted(EXPORTED_MODELS))
def test_committed_schemas_are_current(name):
    path = ROOT / "schemas" / f"{name}.schema.json"
    assert path.exists(), "run `docpipe schema --out schemas` and commit the files"
    current = EXPORTED_MODELS[name].model_json_schema()
    assert json.loads(path.read_text()) == current, "schemas/ is stale: run `docpipe schema --out schemas`"


# --- property: every valid document survives the JSON round trip unchanged -----------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from docpipe.types import (Dimension, Drawing, GroundedCurrency, GroundedDate, GroundedText,  # noqa: E402
                           LineItem, Page, Party, TitleBlock)

_box = st.tuples(st.integers(0, 5000), st.integers(0, 5000), st.integers(1, 500), st.integers(1, 500)).map(
    lambda t: (t[0], t[1], t[0] + t[2], t[1] + t[3]))
_conf = st.floats(0, 1, allow_nan=False)
_text = st.text(max_size=30)


def _g(cls, values):
    return st.builds(cls, value=values, text=_text, confidence=_conf, page=st.one_of(st.none(), st.integers(1, 9)),
                     bbox=st.one_of(st.none(), _box))


_num = _g(GroundedNumber, st.floats(-1e9, 1e9, allow_nan=False))
_str = _g(GroundedText, _text)
_opt = lambda s: st.one_of(st.none(), s)  # noqa: E731
_invoice = st.builds(
    Invoice, invoice_number=_opt(_str), invoice_date=_opt(_g(GroundedDate, st.dates())),
    currency=_opt(_g(GroundedCurrency, st.sampled_from(["EUR", "USD", "GBP"]))),
    vendor=st.builds(Party, name=_opt(_str), iban=_opt(_str)), total=_opt(_num),
    line_items=st.lists(st.builds(LineItem, description=_opt(_str), amount=_opt(_num)), max_size=3))
_drawing = st.builds(
    Drawing, title_block=st.builds(TitleBlock, scale=_opt(_str)), notes=st.lists(_str, max_size=2),
    dimensions=st.lists(st.builds(
        Dimension, text=_text, kind=st.sampled_from(["linear", "diameter", "thread"]),
        nominal=_opt(st.floats(0, 1e4, allow_nan=False)), count=st.integers(1, 20), page=st.integers(1, 9),
        bbox=_box, angle=st.sampled_from([0.0, 90.0]), confidence=_conf), max_size=3))


@st.composite
def documents(draw):
    doc_type = draw(st.sampled_from(["invoice", "receipt", "drawing", "other"]))
    status = draw(st.sampled_from(["ok", "partial", "failed"]))
    errors = [ErrorRecord(stage="ocr", page=1, kind="OcrError", message=draw(_text))] if status != "ok" else []
    return DocumentResult(
        source=Source(path=draw(st.text(min_size=1, max_size=20)), sha256=draw(_opt(st.just("a" * 64))),
                      media_type="image/png", pages=draw(st.integers(0, 5))),
        doc_type=doc_type, status=status, needs_review=draw(st.booleans()),
        review_reasons=draw(st.lists(_text, max_size=2)),
        invoice=draw(_invoice) if doc_type in ("invoice", "receipt") else None,
        drawing=draw(_drawing) if doc_type == "drawing" else None,
        pages=[Page(number=1, width=100, height=100, dpi=300, text_source="ocr")], errors=errors,
        timings_s={"ocr": draw(st.floats(0, 100, allow_nan=False))})


@settings(max_examples=150, deadline=None)
@given(documents())
def test_contract_round_trip(doc):
    assert DocumentResult.model_validate_json(doc.model_dump_json()) == doc


# --- architectural plans (1.x): added fields are optional, old outputs stay valid -----------------------------

from docpipe.types import Dimension, Drawing, Opening, Quantities, Room  # noqa: E402


def test_old_drawing_output_still_validates():
    """A drawing record written before the plan fields existed (no discipline, rooms, chain ...) validates, and
    reads as a mechanical drawing with no plan elements."""
    old = json.loads((ROOT / "sample_docs" / "expected" / "drawing_flange.png.json").read_text())
    assert "discipline" not in old["drawing"] and all("chain" not in d for d in old["drawing"]["dimensions"])
    doc = DocumentResult.model_validate(old)
    assert doc.drawing.discipline == "mechanical" and doc.drawing.rooms == [] and doc.drawing.quantities is None
    assert all(d.chain is None and not d.overall for d in doc.drawing.dimensions)


def test_plan_elements_round_trip():
    g = dict(confidence=0.8, page=1, bbox=(10, 10, 60, 30))
    plan = Drawing(
        discipline="architectural",
        dimensions=[Dimension(text="3600", kind="linear", nominal=3600.0, unit="mm", chain="h1", page=1,
                              bbox=(100, 10, 140, 30), confidence=0.9)],
        rooms=[Room(name={"value": "Kitchen", "text": "Kitchen", **g}, area_m2={"value": 12.5, "text": "12.5 m²", **g},
                    page=1, bbox=(10, 10, 60, 30), confidence=0.8)],
        openings=[Opening(kind="door", tag={"value": "M1021", "text": "M1021", **g}, width_mm=1000, height_mm=2100,
                          page=1, bbox=(10, 10, 60, 30), confidence=0.8)],
        levels=[GroundedNumber(value=2.8, text="+2.80", **g)],
        quantities=Quantities(rooms=1, doors=1, windows=0, floor_area_m2=12.5, confidence=0.7))
    doc = DocumentResult(source=SRC, doc_type="drawing", status="ok", drawing=plan)
    again = DocumentResult.model_validate_json(doc.model_dump_json())
    assert again == doc and again.drawing.rooms[0].area_m2.value == 12.5
    with pytest.raises(ValidationError):
        Opening(kind="stair", page=1, bbox=(0, 0, 1, 1), confidence=0.5)
    with pytest.raises(ValidationError):
        Drawing(discipline="electrical")
