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
