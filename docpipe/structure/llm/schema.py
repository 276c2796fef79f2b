"""What the model returns: one flat JSON object per document, built per document from its candidates.

Typed fields (dates, amounts, numbers, currency) are enums of candidate texts printed on the page, so the
model chooses among grounded values instead of writing free text; names and addresses are short strings
(``maxLength`` capped, so generation cannot run out of tokens mid-JSON). Every field may be null. The same
spec gives the JSON Schema (for llama.cpp grammars and OpenAI-compatible ``response_format``) and the
pydantic model that validates a server's reply.

``choices`` (per field, the full list of page strings a name may be copied from) is a decoding hint that an
embedded backend uses to constrain generation; servers get only the JSON Schema and are grounded afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model


import re

_INVOICE_NO = re.compile(r"(invoice|rechnung|facture|factuur|bill|receipt|beleg|avoir|gutschrift|credit\s*note|"
                         r"nota)\w*\W*.{0,20}?(\bn[or]\.?|\bnum|nummer|number|n°|#|\bno\b)|"
                         r"(rechnungs|factuur|invoice)\s*-?(nr|nummer|no|number)", re.I)
MAX_ENUM = 60  # candidates offered per typed field; more would bloat a server's schema


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # candidate kind it is grounded to: date, amount, id, currency, text, block
    description: str
    max_length: int = 60


# Due date, customer, IBAN, VAT IDs and line items stay with the rules: each asked field costs ~0.4 s.
INVOICE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("invoice_number", "id", "the invoice's own number"),
    FieldSpec("invoice_date", "date", "date of issue (Invoice date, Rechnungsdatum, Datum, date de facture, "
              "factuurdatum); not a delivery or due date"),
    FieldSpec("vendor_name", "text", "company name of the seller who issued the invoice (Verkäufer, "
              "fournisseur, leverancier), not the customer"),
    FieldSpec("currency", "currency", "ISO 4217 code of the amounts"),
    FieldSpec("subtotal", "amount", "net total before tax (Subtotal, Netto, Total HT, Subtotaal)"),
    FieldSpec("total_tax", "amount", "total tax amount (VAT, MwSt, Steuerbetrag, TVA, BTW)"),
    FieldSpec("total", "amount", "gross total including tax (Total, Bruttosumme, Gesamtbetrag, Total TTC, "
              "Totaal)"),
)
# The tax of a receipt stays with the rules' labelled tax line: on SROIE receipts 1-100 (development set) the
# 0.5B model answered it 28 times, 23 of them with an amount above 27 % of the total (the total, the subtotal
# or an item's amount: no tax, see docpipe.structure.invoice.plausible_tax) and 4 times with 0.00.
RECEIPT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("vendor_name", "text", "shop or company name, usually the first line"),
    FieldSpec("vendor_address", "block", "the shop's address lines", max_length=160),
    FieldSpec("invoice_date", "date", "date of the purchase"),
    FieldSpec("currency", "currency", "ISO 4217 code of the amounts"),
    FieldSpec("total", "amount", "total paid, including tax and rounding"),
)
TITLE_BLOCK_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("drawing_number", "id", "drawing or part number"),
    FieldSpec("title", "text", "title / name of the part"),
    FieldSpec("revision", "text", "revision index", max_length=12),
    FieldSpec("scale", "text", "scale such as 1:2", max_length=12),
    FieldSpec("material", "text", "material"),
    FieldSpec("sheet", "text", "sheet such as 1/2", max_length=12),
    FieldSpec("date", "date", "drawing date"),
    FieldSpec("company", "text", "company that made the drawing"),
    FieldSpec("drawn_by", "text", "who drew it", max_length=30),
)


@dataclass
class ReplySpec:
    """The fields asked for one document and, for enum fields, the allowed page texts."""

    fields: tuple[FieldSpec, ...]
    enums: dict[str, list[str]]  # field name -> allowed values (enum fields only)
    choices: dict[str, list[str]]  # field name -> page strings a free-text field may copy (decoding hint)

    def json_schema(self) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for f in self.fields:
            if f.name in self.enums:
                props[f.name] = {"description": f.description, "enum": [*self.enums[f.name], None]}
            else:
                props[f.name] = {"description": f.description, "type": ["string", "null"],
                                 "maxLength": f.max_length}
        names = [f.name for f in self.fields]
        return {"title": "DocumentFields", "type": "object", "properties": props, "required": names,
                "additionalProperties": False}

    def reply_model(self) -> type[BaseModel]:
        """A pydantic model of the reply: enums as Literals, strings capped, every field required (null allowed); extra keys are ignored."""
        defs: dict[str, Any] = {}
        for f in self.fields:
            if f.name in self.enums and self.enums[f.name]:
                typ: Any = Optional[Literal[tuple(self.enums[f.name])]]  # type: ignore[valid-type]
                defs[f.name] = (typ, Field(...))
            elif f.name in self.enums:
                defs[f.name] = (Optional[None], Field(...))  # nothing to choose from: must be null
            else:
                defs[f.name] = (Optional[str], Field(..., max_length=f.max_length))
        return create_model("DocumentFields", __config__=ConfigDict(extra="ignore"), **defs)


def build_spec(fields: tuple[FieldSpec, ...], cands, *, text_choices: list[str], block_choices: list[str]
               ) -> ReplySpec:
    """Enums from the document's candidates (``cands``: :class:`.candidates.Candidates`)."""
    enums: dict[str, list[str]] = {}
    choices: dict[str, list[str]] = {}
    for f in fields:
        if f.kind == "currency":
            seen = [c for c in dict.fromkeys(c.value for c in cands.by_kind.get("currency", []))]
            enums[f.name] = seen[:MAX_ENUM] or []
        elif f.kind in ("date", "amount", "id"):
            texts = cands.texts(f.kind)
            if f.name == "invoice_number":
                # IDs on a line that names the document and a number ('Rechnung Nr. 4711', 'Invoice #12')
                # are the only choices when there are any: the model otherwise takes customer/order numbers.
                labelled = [t for t in texts if any(_INVOICE_NO.search(cands.lines[c.line][1].text)
                                                    for c in cands.matching("id", t))]
                texts = labelled or texts
            if f.kind == "amount":
                # Totals close a document: keep the last candidates when there are too many.
                texts = texts[-MAX_ENUM:]
            else:
                texts = texts[:MAX_ENUM]
            enums[f.name] = texts
        elif f.kind == "text":
            choices[f.name] = text_choices
        elif f.kind == "block":
            choices[f.name] = block_choices
    return ReplySpec(fields=fields, enums=enums, choices=choices)


def nothing_to_choose(fields: tuple[FieldSpec, ...], cands) -> frozenset[str]:
    """The typed fields of ``fields`` whose enum is empty: the page prints no candidate of their kind (no date,
    no amount, no currency code or symbol), so the model's only allowed answer is null and asking costs its
    decoding for nothing (:class:`ReplySpec`)."""
    spec = build_spec(fields, cands, text_choices=[], block_choices=[])
    return frozenset(name for name, values in spec.enums.items() if not values)
