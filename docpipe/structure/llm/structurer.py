"""LLM structuring: the rules read the document first, the model chooses among grounded candidates, business
rules pick among alternatives.

1. The deterministic rules (:mod:`docpipe.structure.invoice`) give a complete first reading: the prior and the
   fallback, and the only source of line items (too many tokens for the embedded model).
2. The model gets a compact view of the page (:mod:`.prompt`) and fills a flat schema whose typed fields are
   enums of candidate texts (:mod:`.schema`); every value is grounded back to page words (:mod:`.ground`),
   a value that is not on the page is dropped with a review note.
3. Merge, per field: the model's grounded value wins, except for :data:`RULES_FIRST` fields that the rules
   found (the labelled invoice number and date); where the model gave none, the rules' value stays.
4. Rules with alternatives (:mod:`.rules`): when subtotal + tax != total, other amount candidates are tried
   before the document is flagged; a due date before the invoice date is replaced by a later date candidate.
5. Faults: the rules' reading is computed before the model is called, so when the model path fails (an
   exception, a server down or busy after its retries, a timeout, a reply still invalid after repairs, a model
   that fails to load at first use) the rules' values stay (x 0.8, unconfirmed), with an ``errors`` entry and
   a review note.

Each call returns a :class:`~docpipe.structure.result.Structured`: the payload, notes, errors, model time,
the fields asked, the raw reply, and per field its source (agree, model, override, rules_kept, rules,
settled, receipt_rules, not_asked, alternative, fault) and the model's probability ``p``.

Confidence per field (documented in ``models/llm/MODEL_CARD.md``)::

    confidence = OCR confidence of the grounded words            (min over the words, 0-1)
               x agreement: 1.0 model and rules agree, 0.85 model only, 0.75 model overrides the rules,
                            0.8 when the rules' value stays (model gave nothing, a RULES_FIRST field,
                            or a field the rules settled so the model was not asked: see settled())
               x grounding: 1.0 exact print, 0.85 matched by value or fuzzily
               x model certainty: 0.6 + 0.4 x p, p = probability mass of the chosen value among the allowed
                            ones (embedded backend; servers give none: 1.0)
               x rules: 1.0 in an arithmetic check that holds, 0.7 when it fails, 0.9 chosen as an alternative

On receipts, the fields the receipt rules read (name, address, total; and the date) are not put to the model
and keep the rules' own confidence, certainty x OCR confidence, with certainties measured on SROIE receipts
51-100 (see :mod:`docpipe.structure.receipt`); the 0.8 for an unconfirmed rules' value does not apply. What
they leave open is put to the model only with ``receipts=True`` (``--llm-receipts``): by default a receipt is
the rules' reading, with no model call.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import ModelLoadError, StructuringError, TransientError
from ...options import DEFAULT_PROMPT_TOKENS
from ...types import (Drawing, ErrorRecord, GroundedCurrency, GroundedDate, GroundedNumber, GroundedText, Invoice,
                      TitleBlock)
from ..drawing import extract_drawing, title_block_box, title_block_choice
from ..invoice import DOC_TITLES, LABELS, confirmed_vendor_name, extract_invoice
from ..layout import PageView, Span
from ..receipt import receipt_header, receipt_total
from ..result import PARTY_FIELDS, Structured, complete_sources, field_value
from .backends import Backend
from .candidates import Candidates, collect
from .ground import Block, Grounded, ground_reply
from .prompt import SYSTEM, invoice_prompt, title_block_prompt
from .rules import apply_rules, complete_subtotal
from .schema import INVOICE_FIELDS, RECEIPT_FIELDS, TITLE_BLOCK_FIELDS, build_spec, nothing_to_choose

MAX_BLOCK_LINES = 5
# Fields where the rules' labelled reading wins over the model when both have one: on the real invoices the
# 0.5B model mixed up delivery and invoice dates, and customer/order numbers with the invoice number, where
# a label next to the value is decisive; on receipts the rules' address block (the lines under the name)
# beat the model's choice of lines 13/50 to 9/50 (benchmarks/invoice_fields.py; models/llm/MODEL_CARD.md).
RULES_FIRST = frozenset({"invoice_date", "invoice_number", "vendor_address", "subtotal", "total_tax", "total"})
# The amounts joined them on 1 December: on the real invoices the model's total or tax replaced a different
# labelled one of the rules 4 times, wrong every time (models/calibration rows, three runs); where the rules'
# amounts do not add up, .rules.fix_totals still searches the page for a triple that does.
# On receipts, the receipt rules' readings (docpipe.structure.receipt) are not put to the model at all: on 50
# SROIE receipts they read the shop's name 45/50 and the total 42/50, where the model's choice among the same
# candidates read 31/50 and 34/50 (benchmarks/invoice_fields.py --set sroie; models/llm/MODEL_CARD.md). The
# model reads what they leave open; a field not asked costs no decoding time.
RECEIPT_RULES_FIRST = frozenset({"vendor_name", "vendor_address", "total"})
# A document view for asks of names only: the letterhead is at the top; no amounts or dates are needed.
NAMES_ONLY = frozenset({"vendor_name", "customer_name"})
NAMES_ONLY_TOKENS = 250


class LlmStructurer:
    """Invoices, receipts and drawing title blocks with a model ``backend``. Keeps no per-document state:
    :meth:`invoice` and :meth:`drawing` return a :class:`~docpipe.structure.result.Structured` with the
    document's notes, faults, timings and where each field's value came from.

    A fault of the model path (an exception from the backend: a server down, busy or timing out after its
    retries, a model that fails to load at first use, a reply still invalid after repairs) keeps the rules'
    reading: the result gets an ``errors`` entry, a review note, and source ``fault`` for the fields the model
    would have read."""

    def __init__(self, backend: Backend, *, max_prompt_tokens: int = DEFAULT_PROMPT_TOKENS, ask: str = "open",
                 receipts: bool = False) -> None:
        self.backend = backend
        self.max_prompt_tokens = max_prompt_tokens
        self.ask = ask  # "open": only fields the rules left open (see :func:`settled`); "all": every field
        self.receipts = receipts  # put receipts' open fields to the model too (StructureOptions.llm_receipts)

    # -- model call ------------------------------------------------------------------------------------

    def _ask(self, prompt: str, spec, work: _Work) -> dict[str, Any]:
        model = spec.reply_model()
        t0 = time.perf_counter()
        try:
            text = self.backend.complete(prompt, spec.json_schema(), system=SYSTEM, choices=spec.choices,
                                         reply_model=model)
        finally:
            work.llm_seconds += time.perf_counter() - t0
        # Read right after the call, in this thread: the backend's probabilities for this reply.
        p = dict(getattr(self.backend, "field_confidence", None) or {})
        try:
            data = json.loads(text)
        except ValueError as e:
            raise StructuringError(f"the LLM reply is not JSON: {str(e)[:200]}") from e
        if not isinstance(data, dict):
            raise StructuringError("the LLM reply is not a JSON object")
        # Lenient on purpose: a value outside its enum is dropped by grounding, with a review note, rather
        # than losing the whole reply (servers were already re-asked with the strict model's error).
        names = {f.name for f in spec.fields}
        data = {k: (v if v is None or isinstance(v, str) else str(v)) for k, v in data.items() if k in names}
        work.reply = data
        work.model_p = {k: float(v) for k, v in p.items() if k in names and data.get(k) is not None}
        return data

    def _fault(self, work: _Work, exc: Exception, fields: Sequence, inv: Invoice | None = None) -> None:
        """Record a fault of the model path; the rules' values of ``fields`` stay, unconfirmed (x 0.8 on
        invoices, as when the model gives no value)."""
        kind = type(exc).__name__
        names = [f.name for f in fields]
        work.errors.append(ErrorRecord(stage="structure", kind=kind, message=_fault_message(exc)))
        work.notes.append(f"LLM failed ({kind}): the rules' reading is kept; fields the model would have read "
                          f"are unconfirmed ({', '.join(names)})")
        work.model_p = {}
        for name in names:
            if inv is not None:
                _fallback(inv, name)
            work.sources[name] = "fault"

    # -- invoices --------------------------------------------------------------------------------------

    def invoice(self, views: list[PageView], *, receipt: bool) -> Structured:
        work = _Work()
        inv = extract_invoice(views, receipt=receipt)
        cands = collect(views)
        blocks = _blocks(views[0], cands)
        fields = RECEIPT_FIELDS if receipt else INVOICE_FIELDS
        completed = not receipt and complete_subtotal(inv, cands)  # the amount that closes the sum
        if self.ask == "open":
            done = settled(inv, views, receipt=receipt)
            for name in done:  # the rules' value stays, unconfirmed by a second reader (see the formula above)
                if not receipt:  # receipt rules' certainties are measured as rules-only (structure.receipt)
                    _fallback(inv, name)
                work.sources[name] = "settled"
            fields = tuple(f for f in fields if f.name not in done)
        if completed:
            work.sources["subtotal"] = "alternative"
        by_receipt_rules = receipt_settled(views) if receipt else frozenset()
        # The receipt rules' name, address and total are not put to the model (RECEIPT_RULES_FIRST).
        fields = tuple(f for f in fields if f.name not in by_receipt_rules)
        work.sources.update({name: "receipt_rules" for name in by_receipt_rules})
        if receipt and not self.receipts:
            # Receipts are read by the rules alone unless asked for (StructureOptions.llm_receipts): the 0.5B
            # model's answers to what the receipt rules left open were right 3 times of 16 (SROIE 1-100).
            fields = ()
        totals = "total" not in by_receipt_rules
        # A field with nothing on the page to choose from can only be answered null: not asked, the same
        # outcome as the model's null (the rules' value stays, source ``rules``) without the call's cost.
        blank = nothing_to_choose(fields, cands)
        for name in blank:
            _fallback(inv, name)
            work.sources[name] = "rules"
        fields = tuple(f for f in fields if f.name not in blank)
        work.asked = tuple(f.name for f in fields)
        if fields:
            try:
                grounded = self._read_invoice(views, inv, cands, blocks, fields, receipt, work)
            except Exception as e:  # noqa: BLE001 - any fault of the model path keeps the rules' reading
                self._fault(work, e, fields, inv)
            else:
                for spec_f in fields:
                    g = grounded.get(spec_f.name)
                    if g is not None:
                        work.sources[spec_f.name] = _merge(inv, spec_f.name, g, _certainty(work.model_p, spec_f.name),
                                                           rules_first=spec_f.name in RULES_FIRST)
                    else:
                        _fallback(inv, spec_f.name)
                        work.sources[spec_f.name] = "rules"
        notes, replaced = apply_rules(inv, cands, totals=totals)
        work.notes.extend(notes)
        work.sources.update({name: "alternative" for name in replaced})
        return work.result(inv)

    def _read_invoice(self, views: list[PageView], inv: Invoice, cands: Candidates, blocks: dict[str, Block],
                      fields: tuple, receipt: bool, work: _Work) -> dict[str, Grounded]:
        """Ask the model ``fields`` and ground its reply: the grounded values by field (review notes for the
        values not on the page go to ``work``)."""
        names_only = {f.name for f in fields} <= NAMES_ONLY
        budget = min(self.max_prompt_tokens, NAMES_ONLY_TOKENS) if names_only else self.max_prompt_tokens
        # A bare field label ('Vervaldatum', 'Verkäufer:') is no name: the 0.5B model sometimes copied one.
        text_choices = list(dict.fromkeys(c.value for c in cands.by_kind.get("text", [])
                                          if len(c.value) <= 60 and not _is_label(c.value)
                                          and not _LEGAL_NOTICE.search(cands.lines[c.line][1].text)))
        spec = build_spec(fields, cands, text_choices=text_choices, block_choices=list(blocks))
        skip = [(f.page, f.bbox) for li in inv.line_items for f in (li.description, li.amount)
                if f is not None and f.page is not None and f.bbox is not None]
        prompt = invoice_prompt(views, cands, spec, receipt=receipt, max_tokens=budget, skip=skip,
                                names_only=names_only)
        reply = self._ask(prompt, spec, work)
        grounded, notes = ground_reply(fields, reply, cands, blocks)
        work.notes.extend(notes)
        return grounded

    # -- drawings --------------------------------------------------------------------------------------

    def drawing(self, views: list[PageView]) -> Structured:
        """Dimensions and notes stay with the deterministic parser; the model reads the title block from the
        lines inside the title-block box (else the lowest fifth of page 1) and fills the fields the rules'
        labelled cells left empty."""
        work = _Work()
        drawing = extract_drawing(views)
        view = views[0]
        box = title_block_box(views) or (0, int(view.page.height * 0.8), view.page.width, view.page.height)
        lines = [ln for ln in view.lines if ln.bbox[1] >= box[1] - 5 and ln.bbox[0] >= box[0] - 5]
        if not lines:
            return work.result(drawing)
        tb: TitleBlock = drawing.title_block
        # With --llm-ask open the model reads only the typed fields the rules left empty (the drawing number and
        # date, chosen among the block's ids and dates). Its text fields (title, revision, scale, material,
        # sheet, company, drawn by) are the rules' labelled cells: on 12 generated drawings (seed 901) the 0.5B
        # model's text answers added no right value to the rules' and one wrong one, and on the 7 eDOCr2 sheets
        # they were cell names and pieces of notes ('UNLESS', 'APPROVED BY', 'ALL') at ~4.5 s per sheet.
        fields = (TITLE_BLOCK_FIELDS if self.ask == "all"
                  else tuple(f for f in TITLE_BLOCK_FIELDS if getattr(tb, f.name) is None and f.kind != "text"))
        if drawing.discipline == "architectural":  # building plans print no material or ISO 2768 class
            fields = tuple(f for f in fields if f.name not in ("material", "general_tolerance"))
        sub = _SubView(view, lines)
        cands = collect([sub])
        # A text field chooses among the lines that can be its value: no label or standard note, a scale that
        # reads 1:2 (title_block_choice). A field with none is not asked, like a date with no date to choose.
        text_cands = cands.by_kind.get("text", [])
        choices = {f.name: list(dict.fromkeys(c.value for c in text_cands if title_block_choice(
            f.name, c.value, cands.lines[c.line][1].text))) for f in fields if f.kind == "text"}
        blank = nothing_to_choose(fields, cands) | {name for name, values in choices.items() if not values}
        work.sources.update({name: "rules" for name in blank})
        fields = tuple(f for f in fields if f.name not in blank)
        asked = {f.name for f in fields} | blank
        work.sources.update({f.name: "settled" for f in TITLE_BLOCK_FIELDS if f.name not in asked})
        work.asked = tuple(f.name for f in fields)
        if not fields:  # the rules' labelled cells read every field the model could fill
            return work.result(drawing)
        try:
            spec = build_spec(fields, cands, text_choices=[], block_choices=[])
            spec.choices.update({name: values for name, values in choices.items() if name in spec.choices})
            reply = self._ask(title_block_prompt([" | ".join(ln.text for ln in row) for row in sub.rows()], spec),
                              spec, work)
            grounded, notes = ground_reply(fields, reply, cands, {})
        except Exception as e:  # noqa: BLE001 - any fault of the model path keeps the rules' reading
            self._fault(work, e, fields)
            return work.result(drawing)
        work.notes.extend(notes)
        for name in work.asked:
            g = grounded.get(name)
            current = getattr(tb, name)
            if g is None:
                work.sources[name] = "rules"
                continue
            if current is not None:
                # The rules' labelled cells win: on the synthetic drawings they read 19/20 title-block fields,
                # the model over the same lines 8/20. The model fills what the rules left empty.
                if str(current.value) == str(g.value):
                    setattr(tb, name, current.model_copy(update={"confidence": min(1.0, current.confidence * 1.1)}))
                    work.sources[name] = "agree"
                else:
                    work.sources[name] = "rules_kept"
                continue
            conf = round(g.span.confidence * 0.8 * _certainty(work.model_p, name), 4)
            work.sources[name] = "model"
            if name == "date":
                setattr(tb, name, GroundedDate(value=g.value, text=g.span.text, confidence=conf, page=g.span.page,
                                               bbox=g.span.bbox))
            else:
                setattr(tb, name, GroundedText(value=str(g.value), text=g.span.text, confidence=conf,
                                               page=g.span.page, bbox=g.span.bbox))
        return work.result(drawing)


@dataclass
class _Work:
    """What one document's structuring has gathered so far (local to one call: no state on the structurer)."""

    notes: list[str] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    llm_seconds: float = 0.0
    asked: tuple[str, ...] = ()
    reply: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    model_p: dict[str, float] = field(default_factory=dict)

    def result(self, payload: Invoice | Drawing) -> Structured:
        return Structured(payload=payload, notes=self.notes, errors=self.errors, llm_seconds=self.llm_seconds,
                          asked=self.asked, reply=self.reply, sources=complete_sources(payload, self.sources),
                          model_p=self.model_p)


def _fault_message(exc: Exception) -> str:
    """What happened and what to do, for the ``errors`` entry of a model fault."""
    kept = "the rules' reading is kept and the document is flagged for review"
    if isinstance(exc, TransientError):
        return (f"the LLM server did not answer usably ({exc}); {kept}. Check the server (--llm-url), raise "
                "llm_retries or llm_timeout if it is busy, and run the document again")
    if isinstance(exc, ModelLoadError):
        return f"the LLM could not be loaded ({exc}); {kept}"
    if isinstance(exc, StructuringError):
        return (f"the LLM's reply could not be used ({exc}); {kept}. Run the document again, or use another "
                "model (--llm-model, --llm-url)")
    return (f"unexpected error in the LLM step ({type(exc).__name__}: {exc}); {kept}. Please report it with "
            "the input file if you can")


def _certainty(model_p: dict[str, float], name: str) -> float:
    """The model-certainty factor of the confidence formula: 0.6 + 0.4 p, 1.0 when the backend gives no p."""
    p = model_p.get(name)
    return 1.0 if p is None else 0.6 + 0.4 * p


def settled(inv: Invoice, views: Sequence[PageView] = (), *, receipt: bool = False) -> frozenset[str]:
    """Fields of the rules' reading that the model's answer could not change, so it is not asked them:

    - the :data:`RULES_FIRST` fields the rules found (their labelled value wins over the model's anyway);
    - subtotal, tax and total when the rules found all three and they add up (a model choice that breaks the
      sum would be undone by :func:`.rules.apply_rules` searching for a triple that adds up);
    - the currency when the page prints it (a code or symbol the rules read);
    - the vendor's name on an invoice when the page confirms the rules' reading: a legal name in the letterhead
      repeated in the page's own web or e-mail domain or in its footer (:mod:`docpipe.structure.vendor`).

    Each field not asked saves its decoding, and an ask of names only reads a shorter view of the page
    (:data:`NAMES_ONLY_TOKENS`): prompt reading is most of the model's time.
    """
    done = {name for name in RULES_FIRST if _get(inv, name) is not None}
    s, x, t = inv.subtotal, inv.total_tax, inv.total
    if s is not None and x is not None and t is not None and abs(round(s.value + x.value, 2) - t.value) <= 0.01:
        done |= {"subtotal", "total_tax", "total"}
    if inv.currency is not None:
        done.add("currency")
    if not receipt and inv.vendor.name is not None and views:
        confirmed = confirmed_vendor_name(views)
        if confirmed is not None and _same(confirmed, inv.vendor.name.value):
            done.add("vendor_name")
    return frozenset(done)


def receipt_settled(views: list[PageView]) -> frozenset[str]:
    """The :data:`RECEIPT_RULES_FIRST` fields that the receipt rules read on this document."""
    header = receipt_header(views[0])
    found = {"vendor_name": header.name, "vendor_address": header.address, "total": receipt_total(views)}
    return frozenset(k for k, v in found.items() if v is not None and k in RECEIPT_RULES_FIRST)


class _SubView(PageView):
    """A page view restricted to some lines (the title block)."""

    def __init__(self, view: PageView, lines) -> None:  # noqa: D401 - no super().__init__: reuse the page
        self.page = view.page
        self.number = view.number
        self.lines = list(lines)
        self.text_height = view.text_height


def _blocks(view: PageView, cands: Candidates) -> dict[str, Block]:
    """Runs of 1-5 consecutive lines in the upper half of page 1, joined by ', ' (address choices)."""
    lines = [ln for ln in view.lines if ln.bbox[1] < view.page.height * 0.5]
    out: dict[str, Block] = {}
    for i in range(len(lines)):
        for j in range(i + 1, min(len(lines), i + MAX_BLOCK_LINES) + 1):
            spans = [view.span(ln) for ln in lines[i:j]]
            text = ", ".join(s.text.strip(" ,").replace('"', "'") for s in spans)
            if len(text) <= 160:
                out.setdefault(text, Block(text=text, spans=spans))
    return out


def _get(inv: Invoice, name: str):
    return field_value(inv, name)


def _set(inv: Invoice, name: str, value) -> None:
    if name in PARTY_FIELDS:
        party, attr = PARTY_FIELDS[name]
        setattr(getattr(inv, party), attr, value)
    else:
        setattr(inv, name, value)


def _merge(inv: Invoice, name: str, g: Grounded, certainty: float, *, rules_first: bool = False) -> str:
    """Merge the model's grounded value of ``name`` into the rules' reading; returns the field's source
    (``model``, ``agree``, ``rules_kept`` or ``override``)."""
    current = _get(inv, name)
    if current is None:
        agreement, source = 0.85, "model"
    elif _same(current.value, g.value):
        agreement, source = 1.0, "agree"
    elif rules_first:
        _set(inv, name, current.model_copy(update={"confidence": round(current.confidence * 0.8, 4)}))
        return "rules_kept"
    else:
        agreement, source = 0.75, "override"
    conf = round(min(1.0, g.span.confidence * agreement * (1.0 if g.exact else 0.85) * certainty), 4)
    span: Span = g.span
    if current is not None and agreement == 1.0 and current.bbox is not None:
        # Keep the rules' box when they agree (it may be the labelled occurrence of a repeated value).
        _set(inv, name, current.model_copy(update={"confidence": max(conf, current.confidence)}))
        return source
    common = {"text": span.text, "confidence": conf, "page": span.page, "bbox": span.bbox}
    if name in ("invoice_date", "due_date"):
        _set(inv, name, GroundedDate(value=g.value, **common))
    elif name in ("subtotal", "total_tax", "total", "amount_due"):
        _set(inv, name, GroundedNumber(value=float(g.value), **common))
    elif name == "currency":
        _set(inv, name, GroundedCurrency(value=g.value, **common))
    else:
        _set(inv, name, GroundedText(value=str(g.value), **common))
    return source


def _fallback(inv: Invoice, name: str) -> None:
    current = _get(inv, name)
    if current is not None:
        _set(inv, name, current.model_copy(update={"confidence": round(current.confidence * 0.8, 4)}))


_PARTY_LABEL = re.compile(r"(verk[äa]ufer|k[äa]ufer|seller|buyer|vendor|supplier|lieferant|fournisseur|vendeur|"
                          r"acheteur|leverancier|verkoper|koper|from|von|de|van|to|an|[àa]|aan|name|nom|naam)", re.I)


# Legal notices print the company's form and registration beside a name-like phrase ('SAS au capital de 50 000 €',
# 'Sitz der Gesellschaft', 'Registergericht'): a fragment of one is no vendor name.
_LEGAL_NOTICE = re.compile(r"\bau\s*capital\b|capital\s*social|stammkapital|registergericht|handelsregister|"
                           r"amtsgericht|sitz\s*der\s*gesellschaft|gesch[äa]ftsf[üu]hr|\brcs\b|\bsiret\b|"
                           r"\bkvk\b|ingeschreven|share\s*capital|registered\s*(office|in)", re.I)


def _is_label(text: str) -> bool:
    """Whether ``text`` is nothing but a field or party label (a label pattern covers all of it)."""
    t = text.strip(" :;,.#-")
    if not t:
        return True
    return any(rx.fullmatch(t) for rx in (*LABELS.values(), _PARTY_LABEL, DOC_TITLES))


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 0.005
        except (TypeError, ValueError):
            return False
    return str(a).casefold().strip() == str(b).casefold().strip()
