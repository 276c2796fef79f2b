"""Quality guard (issue item 7): the real embedded model on a small fixed set of generated documents, with
floors on key-field accuracy, so that a change that breaks the model path fails ``make test``.

Five one-page documents are generated here with fixed seeds (none of sample_docs' seeds): three invoices (en,
de, fr) and two receipts (en, nl), with the ground truth the generator writes (``expected/<name>.json``).
Their pages are read (orient + detect + OCR) once per module; then the real model structures them with
``llm_ask="all"``, so every field of the model's invoice schema is put to it and its answers matter (the
default, ``"open"``, often skips the call when the rules settle every field), and with ``llm_receipts=True``
(by default receipts are the rules' reading alone). On receipts the receipt rules' name, address and total are
not put to the model (``RECEIPT_RULES_FIRST``); it reads their date and currency (and the total where the
receipt rules found none).

Key fields, scored as ``benchmarks/invoice_fields.py`` scores them: invoice number (equal ignoring case,
spaces, punctuation and a leading '#'), invoice date (same calendar day), total and tax (within 0.01),
currency (same code), vendor name and (receipts) address (CER <= 0.2 of the normalised strings).

Two floors, both needed:

- the output's key-field accuracy (what a user gets), :data:`FLOOR`;
- the accuracy of the model's own answers (``Structured.reply``) on the key fields it was asked,
  :data:`MODEL_FLOOR`. This is the one with teeth: the rules' reading is the fallback of every field, so a
  model path that answers nothing, or faults, leaves the output at the rules' figure (0.923 on this set, above
  the model's 0.769: asked every field, the model overrides some right rules' values), and a model that picks
  the first candidate of every field still reaches 0.731 (the rules keep labelled fields, the totals rule
  repairs sums). Its own answers score 0.409, and a silent model's 0.

Not marked ``slow``: it is part of ``make test``. Skipped with a message where the model file or
llama-cpp-python is missing (``make setup`` provides both).
"""

from __future__ import annotations

import importlib.util
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from docpipe.eval.metrics import amounts_equal, dates_equal, text_key, text_similar
from docpipe.options import PipelineOptions, StructureOptions
from docpipe.types import DocumentResult, Invoice

# (kind, seed, language, file name). Seeds are sequences, distinct from sample_docs' integer seeds 101..1108.
DOCS = (
    ("invoice", 7101, "en", "guard_invoice_en.png"),
    ("invoice", 7202, "de", "guard_invoice_de.png"),
    ("invoice", 7303, "fr", "guard_invoice_fr.png"),
    ("receipt", 7505, "en", "guard_receipt_en.jpg"),
    ("receipt", 7606, "nl", "guard_receipt_nl.png"),
)
KEY_FIELDS = {
    "invoice": ("invoice_number", "invoice_date", "total", "total_tax", "currency", "vendor.name"),
    "receipt": ("vendor.name", "vendor.address", "invoice_date", "total"),
}
FLAT = {"vendor.name": "vendor_name", "vendor.address": "vendor_address"}  # dotted -> Structured's flat names
# Measured (test_model_path_key_field_accuracy's docstring) minus 0.1, but not below 0.7. Greedy decoding and
# Tesseract are deterministic: a fall is a change, not noise (each floor has one field of slack).
FLOOR = 0.7
MODEL_FLOOR = 0.7


def field_ok(name: str, expected: object, predicted: object) -> bool:
    """Whether a predicted key-field value matches the ground truth (see the module docstring)."""
    if expected is None or predicted is None:
        return False
    if name == "invoice_date":
        return dates_equal(expected, predicted)
    if name in ("total", "total_tax"):
        return amounts_equal(expected, predicted)
    if name == "currency":
        return str(expected).strip().upper() == str(predicted).strip().upper()
    if name == "invoice_number":
        return text_key(expected).lstrip("#") == text_key(predicted).lstrip("#")
    return text_similar(expected, predicted)


def value(inv: Invoice | None, dotted: str) -> object:
    obj: object = inv
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return getattr(obj, "value", None)


@dataclass
class Doc:
    kind: str
    src: object  # docpipe.ingest.SourceFile
    outcomes: list  # read pages (PageOutcome), reused by every structuring
    truth: Invoice


@dataclass
class GuardSet:
    pipe: object  # docpipe.pipeline.Pipeline
    docs: list[Doc]
    read_seconds: float


def _generate(out: Path) -> list[tuple[str, Path]]:
    from docpipe.synth.writer import render_document, write_document

    paths = []
    for kind, seed, language, name in DOCS:
        for s in range(seed, seed + 50):  # the first seed whose document fits on one page
            rng = np.random.default_rng([s, 7])
            extra = {"n_items": int(rng.integers(3, 7))} if kind == "invoice" else {}
            pages = render_document(kind, rng, degrade=True, strength=0.6, color=False, language=language, **extra)
            if len(pages) == 1:
                break
        else:
            raise RuntimeError(f"no one-page {kind} from seed {seed}")
        paths.append((kind, write_document(out, name, pages)))
    return paths


@pytest.fixture(scope="module")
def guard(tmp_path_factory) -> GuardSet:
    """The documents generated and read once (~25 s of OCR on an idle 2-core machine); every test structures
    them again from the read pages."""
    opts = StructureOptions(backend="llm", llm_ask="all", llm_receipts=True)
    if not opts.model_path().is_file():
        pytest.skip(f"quality guard: the embedded model {opts.model_path()} is missing (run 'make setup')")
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("quality guard: llama-cpp-python is not installed (run 'make setup')")
    from docpipe.pipeline import Pipeline

    out = tmp_path_factory.mktemp("quality_guard")
    t0 = time.perf_counter()
    pipe = Pipeline(PipelineOptions(structure=opts, workers=1))
    docs = []
    for kind, path in _generate(out):
        truth = DocumentResult.model_validate_json(
            (out / "expected" / f"{path.name}.json").read_text(encoding="utf-8")).invoice
        src = pipe.probe(path, out)
        docs.append(Doc(kind, src, pipe.read_pages(src), truth))
    return GuardSet(pipe, docs, time.perf_counter() - t0)


@dataclass
class Report:
    """One structuring of the guard set."""

    accuracy: float  # key fields of the output, correct / expected
    model_accuracy: float  # the model's own answers on the key fields it was asked, correct / asked
    runs: list  # per document (DocumentResult, Structured | None)
    lines: list[str]  # per key field, for the log

    def problems(self) -> list[str]:
        """Why the guard fails (empty: it passes)."""
        out = []
        if self.accuracy < FLOOR:
            out.append(f"key-field accuracy {self.accuracy:.3f} < floor {FLOOR}")
        if self.model_accuracy < MODEL_FLOOR:
            out.append(f"accuracy of the model's answers {self.model_accuracy:.3f} < floor {MODEL_FLOOR}")
        for (result, st), (kind, *_rest) in zip(self.runs, DOCS):
            name = result.source.path
            if result.doc_type != kind:
                out.append(f"{name}: classified as {result.doc_type}, not {kind}")
            if st is None or not st.asked:
                out.append(f"{name}: the model was not asked")
            elif st.llm_seconds <= 0:
                out.append(f"{name}: no model time")
            if result.errors or (st is not None and st.errors):
                out.append(f"{name}: errors {[e.message[:120] for e in result.errors]}")
            if st is not None and st.asked and not any(st.reply.get(f) is not None for f in st.asked):
                out.append(f"{name}: the model answered no field")
        return out


def score(guard: GuardSet) -> Report:
    """Structure every read document again (no OCR) and score the key fields."""
    ok = n = mok = mn = 0
    runs, lines = [], []
    for d in guard.docs:
        result, st = guard.pipe.finish_detailed(d.src, d.outcomes)
        runs.append((result, st))
        for name in KEY_FIELDS[d.kind]:
            exp = value(d.truth, name)
            if exp is None:
                continue
            got = value(result.invoice, name)
            good = field_ok(name, exp, got)
            ok, n = ok + good, n + 1
            flat = FLAT.get(name, name)
            reply = st.reply.get(flat) if st is not None else None
            asked = st is not None and flat in st.asked
            if asked:
                mok, mn = mok + field_ok(name, exp, reply), mn + 1
            lines.append(f"{d.src.rel:22s} {name:14s} {'ok ' if good else 'BAD'} "
                         f"{(st.sources.get(flat) if st else None)!s:13s} expected={exp!s} got={got!s}"
                         + (f" model={reply!r}" if asked else ""))
    return Report(ok / n, mok / mn if mn else 0.0, runs, lines)


def test_model_path_key_field_accuracy(guard):
    """The real model asked every field of five generated documents; each is asked, answers and has no fault.

    Measured (2 runs, identical, December 2026, this machine kind; pipeline at 02c713e plus the working tree):
    key fields of the output 20/26 = 0.769 (invoices 12/18, receipts 8/8), the model's own answers on the key
    fields asked 17/22 = 0.773. Misses: on the German invoice the model takes a line amount for the total
    (override) and the customer for the vendor; on the French one another amount pair and the label
    'Facturé' as the vendor. Time of this file: 130 s wall on a loaded 2-core machine (load average ~7.5;
    15-21 s per invoice and 8-10 s per receipt in the model, llm_threads=1, and 52 s of reading), 68 s of CPU:
    about 70 s on an idle one."""
    t0 = time.perf_counter()
    report = score(guard)
    print(f"\nread {guard.read_seconds:.1f} s, structure {time.perf_counter() - t0:.1f} s; key fields "
          f"{report.accuracy:.3f}, model answers {report.model_accuracy:.3f}")
    print("\n".join(report.lines))
    for result, st in report.runs:
        print(f"  {result.source.path}: asked {len(st.asked) if st else 0}, model {st.llm_seconds if st else 0:.1f} s")
    assert report.problems() == []


class _Broken:
    """A stand-in for the embedded backend (docpipe.structure.llm.backends.Backend) with no probabilities."""

    name = "broken"

    def __init__(self) -> None:
        self.field_confidence: dict[str, float] = {}


class FirstCandidate(_Broken):
    """A broken model path: the first allowed value of every field (the first page string for free text)."""

    name = "first-candidate"

    def complete(self, prompt, schema, *, system=None, choices=None, reply_model=None) -> str:
        out = {}
        for k, prop in schema["properties"].items():
            if "enum" in prop:
                out[k] = next((v for v in prop["enum"] if v is not None), None)
            else:
                out[k] = next(iter((choices or {}).get(k) or []), None)
        return json.dumps(out)


class Silent(_Broken):
    """A broken model path: valid JSON, every field null (the rules' reading stays everywhere)."""

    name = "silent"

    def complete(self, prompt, schema, *, system=None, choices=None, reply_model=None) -> str:
        return json.dumps({k: None for k in schema["properties"]})


class Garbage(_Broken):
    """A broken model path: a reply that is not JSON (a fault: the rules' reading, an errors entry)."""

    name = "garbage"

    def complete(self, prompt, schema, *, system=None, choices=None, reply_model=None) -> str:
        return "I'm sorry, as an AI model"


@pytest.mark.parametrize("backend, why", [(FirstCandidate(), "accuracy of the model"),
                                          (Silent(), "accuracy of the model"), (Garbage(), "errors")],
                         ids=["first-candidate", "silent", "garbage"])
def test_the_guard_fails_a_broken_model_path(guard, monkeypatch, backend, why):
    """The guard has teeth: each broken backend fails it (the pages read by the fixture: no OCR, no model).
    Measured: first-candidate output 0.731, its answers 0.409; silent and garbage output 0.923 (the rules'),
    answers 0."""
    monkeypatch.setattr(guard.pipe.structurer.llm, "backend", backend)
    report = score(guard)
    problems = report.problems()
    print(f"\n{backend.name}: key fields {report.accuracy:.3f}, model answers {report.model_accuracy:.3f}; "
          f"{len(problems)} problems")
    assert any(why in p for p in problems), problems
    if not isinstance(backend, Garbage):
        assert report.model_accuracy < MODEL_FLOOR
