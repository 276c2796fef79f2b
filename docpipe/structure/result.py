"""What structuring one document returns: the payload and everything learnt on the way, in one value.

The structurer keeps no per-document state: every call returns a :class:`Structured`, so a pipeline that
serves several documents (threads in a flow, a benchmark reading timings) reads each document's notes,
faults and timings from its own result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from ..types import Drawing, ErrorRecord, Invoice

FieldSource = Literal["agree", "model", "override", "rules_kept", "rules", "settled", "receipt_rules",
                      "not_asked", "alternative", "fault"]
"""How a field's final value was decided (:attr:`Structured.sources`):

- ``agree``: the model and the rules gave the same value;
- ``model``: the model's value; the rules had none;
- ``override``: the model's value replaced a different rules' value;
- ``rules_kept``: a rules-first field (``RULES_FIRST`` in :mod:`.llm.structurer`), the model disagreed, the
  rules' value stays;
- ``rules``: the rules' value; the model was asked but gave none, or its value could not be grounded;
- ``settled``: the rules settled it and the model was not asked (:func:`.llm.structurer.settled`; on drawings,
  a title-block cell the rules read);
- ``receipt_rules``: read by the receipt rules, not put to the model (``RECEIPT_RULES_FIRST``);
- ``not_asked``: the rules' value with no model call for it at all (the rules backend, a field outside the
  model's schema, no title block to show the model);
- ``alternative``: replaced by a business rule choosing among candidates (:mod:`.llm.rules`);
- ``fault``: the model was to be asked but failed; the rules' value stays.
"""

SOURCES: tuple[str, ...] = get_args(FieldSource)

PARTY_FIELDS: dict[str, tuple[str, str]] = {f"{party}_{attr}": (party, attr) for party in ("vendor", "customer")
                                            for attr in ("name", "address", "vat_id", "iban")}
INVOICE_FIELD_NAMES: tuple[str, ...] = ("invoice_number", "purchase_order", "payment_terms", "invoice_date",
                                        "due_date", "currency", "subtotal", "total_tax", "total", "amount_due",
                                        *PARTY_FIELDS)
"""Flat names of an invoice's single-valued fields (a party's as ``vendor_name``, ``customer_iban``, ...);
line items are the rules' and have no source."""
TITLE_BLOCK_FIELD_NAMES: tuple[str, ...] = ("drawing_number", "title", "revision", "scale", "material", "sheet",
                                            "date", "company", "drawn_by", "general_tolerance")


def field_value(payload: Invoice | Drawing, name: str):
    """The grounded value of flat field ``name`` (an invoice field, or a drawing's title-block field), or None."""
    if isinstance(payload, Drawing):
        return getattr(payload.title_block, name)
    if name in PARTY_FIELDS:
        party, attr = PARTY_FIELDS[name]
        return getattr(getattr(payload, party), attr)
    return getattr(payload, name)


def field_names(payload: Invoice | Drawing | None) -> tuple[str, ...]:
    if isinstance(payload, Invoice):
        return INVOICE_FIELD_NAMES
    if isinstance(payload, Drawing):
        return TITLE_BLOCK_FIELD_NAMES
    return ()


def complete_sources(payload: Invoice | Drawing | None, sources: dict[str, str]) -> dict[str, str]:
    """``sources`` for the fields of ``payload`` that have a value, ``not_asked`` for those not listed."""
    return {name: sources.get(name, "not_asked") for name in field_names(payload)
            if field_value(payload, name) is not None}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Structured:
    """One document's structuring. Frozen: fields cannot be rebound (the lists and dicts are the caller's)."""

    payload: Invoice | Drawing | None = None
    notes: list[str] = field(default_factory=list)
    """review reasons from structuring (model values not on the page, a model fault)"""
    errors: list[ErrorRecord] = field(default_factory=list)
    """faults of the model path; the payload is then the rules' reading"""
    llm_seconds: float = 0.0
    """wall time in model calls, seconds (retries and back-off included)"""
    asked: tuple[str, ...] = ()
    """flat names of the fields put to the model (empty: no model call)"""
    reply: dict[str, Any] = field(default_factory=dict)
    """the model's parsed reply (strings or None per asked field), for debugging and tests"""
    sources: dict[str, str] = field(default_factory=dict)
    """flat field name -> how its final value was decided (:data:`FieldSource`); fields without a value are
    omitted"""
    model_p: dict[str, float] = field(default_factory=dict)
    """flat field name -> the model's probability of the value it chose, 0-1, for fields it answered (the
    embedded backend; servers report none)"""

    @property
    def failed(self) -> bool:
        """Whether the model path had a fault (the payload is the rules' reading)."""
        return bool(self.errors)

    @classmethod
    def rules_only(cls, payload: Invoice | Drawing | None) -> Structured:
        """The rules' reading with no model involved: every field with a value is ``not_asked``."""
        return cls(payload=payload, sources=complete_sources(payload, {}))
