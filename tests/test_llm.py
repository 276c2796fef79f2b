"""LLM structuring: prompt and candidates, grounding, dropped inventions, repair loop against a fake
OpenAI-compatible server on loopback, validation alternatives, constrained decoding on a toy model, and one
slow test with the real embedded model."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pytest

from docpipe.errors import ModelLoadError, StructuringError
from docpipe.options import PipelineOptions, StructureOptions
from docpipe.structure import SOURCES, Structured, Structurer
from docpipe.structure.layout import PageView
from docpipe.structure.llm import FakeBackend, LlmStructurer, OpenAIBackend
from docpipe.structure.llm.candidates import collect
from docpipe.structure.llm.decode import ConstrainedDecoder
from docpipe.structure.llm.schema import INVOICE_FIELDS, TITLE_BLOCK_FIELDS, build_spec
from docpipe.types import Page

from .conftest import page_from_items as page

ROOT = Path(__file__).resolve().parents[1]

INVOICE = [
    (200, 200, "ACME Widgets GmbH"), (200, 260, "Hauptstrasse 5"), (200, 310, "10115 Berlin"),
    (1600, 200, "RECHNUNG"), (1600, 350, "Rechnungsnummer: RE-2025-0042"), (1600, 410, "Datum: 14.03.2025"),
    (1600, 470, "Fällig am: 13.04.2025"),
    (200, 600, "Rechnungsempfänger:"), (200, 650, "Bauer Bau AG"), (200, 700, "Ringweg 12"),
    (200, 1000, "Beschreibung"), (1200, 1000, "Menge"), (1500, 1000, "Einzelpreis"), (2000, 1000, "Betrag"),
    (200, 1080, "Stahlwinkel verzinkt"), (1200, 1080, "2"), (1500, 1080, "10,00"), (2000, 1080, "20,00"),
    (200, 1150, "Sechskantschraube M8"), (1200, 1150, "100"), (1500, 1150, "0,25"), (2000, 1150, "25,00"),
    (200, 1220, "Montage"), (1200, 1220, "3"), (1500, 1220, "45,50"), (2000, 1220, "136,50"),
    (1500, 1500, "Zwischensumme"), (2000, 1500, "181,50"),
    (1500, 1570, "MwSt. 19%"), (2000, 1570, "34,49"),
    (1500, 1640, "Gesamtbetrag EUR"), (2000, 1640, "215,99"),
    (200, 2000, "IBAN: DE89 3704 0044 0532 0130 00"), (200, 2060, "USt-IdNr.: DE123456789"),
]


def word_box(pg: Page, text: str):
    return next(w.bbox for ln in pg.lines for w in ln.words if w.text == text)


REPLY = {"invoice_number": "RE-2025-0042", "invoice_date": "14.03.2025", "due_date": "13.04.2025",
         "vendor_name": "ACME Widgets GmbH", "customer_name": "Bauer Bau AG", "currency": "EUR",
         "subtotal": "181,50", "total_tax": "34,49", "total": "215,99"}


def run(reply, items=INVOICE):
    """The page, the backend, the ``Structured`` result and its invoice."""
    pg = page(items)
    backend = FakeBackend([reply])
    res = LlmStructurer(backend, ask="all").invoice([PageView(pg)], receipt=False)
    return pg, backend, res, res.payload


def test_prompt_holds_the_page_and_the_schema_offers_candidates():
    _, backend, _, _ = run(REPLY)
    prompt, schema = backend.calls[0]
    assert "Rechnungsnummer: RE-2025-0042" in prompt and "Gesamtbetrag EUR | 215,99" in prompt
    props = schema["properties"]
    assert "215,99" in props["total"]["enum"] and None in props["total"]["enum"]
    assert "14.03.2025" in props["invoice_date"]["enum"]
    assert "RE-2025-0042" in props["invoice_number"]["enum"]
    assert props["currency"]["enum"][0] == "EUR"
    assert props["vendor_name"]["maxLength"] <= 80


def test_chosen_values_are_grounded_to_their_words():
    pg, _, res, inv = run(REPLY)
    assert inv.invoice_number.value == "RE-2025-0042"
    assert inv.invoice_number.bbox == word_box(pg, "RE-2025-0042")
    assert inv.total.value == 215.99 and inv.total.bbox == word_box(pg, "215,99") and inv.total.page == 1
    assert str(inv.invoice_date.value) == "2025-03-14" and inv.invoice_date.bbox == word_box(pg, "14.03.2025")
    assert inv.vendor.name.value == "ACME Widgets GmbH"
    assert inv.customer.name.value == "Bauer Bau AG"
    assert all(0 < f.confidence <= 1 for f in (inv.total, inv.invoice_number, inv.vendor.name))
    assert res.notes == [] and res.errors == []
    assert res.asked == ("invoice_number", "invoice_date", "vendor_name", "currency", "subtotal", "total_tax", "total")
    assert res.reply["total"] == "215,99"
    # every asked field the model and the rules read alike; due date and customer are the rules' own
    assert {res.sources[k] for k in res.asked} == {"agree"}
    assert res.sources["due_date"] == "not_asked" and res.sources["customer_name"] == "not_asked"
    assert set(res.sources) == {n for n in res.sources if res.sources[n] in SOURCES}


def test_sources_say_how_each_value_was_decided():
    # a different number (rules first: kept), a different vendor name (the model's wins), an invented total
    # (dropped: the rules' value stays), a different tax (the rules' labelled amounts come first: kept)
    items = INVOICE + [(200, 400, "Total Energies SE"), (1600, 530, "Kundennummer: KD-77")]
    _, _, res, inv = run({**REPLY, "invoice_number": "KD-77", "vendor_name": "Total Energies SE",
                          "total": "999,99", "total_tax": "20,00"}, items)
    assert res.sources["invoice_number"] == "rules_kept" and inv.invoice_number.value == "RE-2025-0042"
    assert res.sources["vendor_name"] == "override" and inv.vendor.name.value == "Total Energies SE"
    assert res.sources["total"] == "rules" and inv.total.value == 215.99
    assert res.sources["total_tax"] == "rules_kept" and inv.total_tax.value == 34.49
    assert res.sources["invoice_date"] == "agree"
    # a field the rules did not read (an unlabelled total) comes from the model alone
    pg, _, res, inv = run({**REPLY, "currency": None}, [it for it in INVOICE if it[2] != "Gesamtbetrag EUR"])
    assert res.sources["total"] == "model" and inv.total.value == 215.99 and inv.total.bbox == word_box(pg, "215,99")
    assert "currency" not in res.sources  # no value from either reader


def test_model_probabilities_are_reported_raw_per_answered_field():
    class Sure(FakeBackend):
        def complete(self, *a, **k):
            self.field_confidence = {"vendor_name": 0.5, "total": 0.9, "subtotal": 0.2}
            return super().complete(*a, **k)

    res = LlmStructurer(Sure([{**REPLY, "subtotal": None}]), ask="all").invoice([PageView(page(INVOICE))],
                                                                                 receipt=False)
    assert res.model_p == {"vendor_name": 0.5, "total": 0.9}  # raw p; no p for a field answered null


def test_the_rules_backend_returns_a_result_with_every_value_not_asked():
    res = Structurer(StructureOptions(backend="rules"))("invoice", [page(INVOICE)])
    assert isinstance(res, Structured) and res.payload.invoice_number.value == "RE-2025-0042"
    assert res.asked == () and res.llm_seconds == 0.0 and res.errors == [] and res.reply == {}
    assert res.sources and set(res.sources.values()) == {"not_asked"}
    assert "total" in res.sources and "purchase_order" not in res.sources  # no value: no source
    assert Structurer(StructureOptions(backend="rules"))("other", [page(INVOICE)]) == Structured()


def test_an_invented_value_is_dropped_with_a_review_reason():
    pg, _, res, inv = run({**REPLY, "vendor_name": "Globex Corporation", "total": "999,99"})
    assert any("vendor name 'Globex Corporation'" in n and "not on the page" in n for n in res.notes)
    assert any("total '999,99'" in n for n in res.notes)
    # the rules' reading stays: grounded, never the invention
    assert inv.vendor.name is None or inv.vendor.name.value != "Globex Corporation"
    assert inv.total is not None and inv.total.value == 215.99


def test_server_style_normalised_values_are_grounded_by_value():
    pg, _, _, inv = run({**REPLY, "invoice_date": "2025-03-14", "total": "215.99", "vendor_name": "acme widgets gmbh"})
    assert inv.invoice_date.bbox == word_box(pg, "14.03.2025")
    assert inv.total.bbox == word_box(pg, "215,99")
    assert inv.vendor.name.value == "ACME Widgets GmbH"


def test_validation_picks_an_alternative_candidate_when_totals_do_not_add_up():
    # The model took a line amount for the tax: 181.50 + 20.00 != 215.99, and 34,49 on the page fixes it.
    pg, _, _, inv = run({**REPLY, "total_tax": "20,00"})
    assert inv.total_tax.value == 34.49 and inv.total_tax.bbox == word_box(pg, "34,49")
    assert inv.subtotal.value == 181.5 and inv.total.value == 215.99


def test_pipeline_reports_dropped_values_in_review_reasons():
    from docpipe.pipeline import Pipeline, PageOutcome
    from docpipe.ingest import SourceFile

    pipe = Pipeline(PipelineOptions(workers=1, structure=StructureOptions(backend="rules")))
    pipe.structurer.llm = LlmStructurer(FakeBackend([{**REPLY, "invoice_number": "INV-404"}]), ask="all")
    src = SourceFile(path=Path("x.png"), rel="x.png", sha256="0" * 64, media_type="image/png", pages=1)
    result = pipe.finish(src, [PageOutcome(number=1, page=page(INVOICE))])
    assert result.needs_review
    assert any("invoice number 'INV-404'" in r for r in result.review_reasons)
    assert result.invoice.invoice_number.value == "RE-2025-0042"  # the rules' grounded value


def test_open_mode_asks_only_what_the_rules_leave_open():
    # The rules read the labelled number and date, a printed currency and totals that add up: only the vendor
    # name is asked, from a shorter view of the page; the settled fields keep the rules' grounded values.
    pg = page(INVOICE)
    backend = FakeBackend([{"vendor_name": "ACME Widgets GmbH"}])
    res = LlmStructurer(backend, ask="open").invoice([PageView(pg)], receipt=False)
    inv = res.payload
    prompt, schema = backend.calls[0]
    assert set(schema["properties"]) == {"vendor_name"} and res.asked == ("vendor_name",)
    assert res.sources["vendor_name"] == "agree"
    assert {res.sources[k] for k in ("invoice_number", "invoice_date", "currency", "total")} == {"settled"}
    assert inv.vendor.name.value == "ACME Widgets GmbH" and inv.vendor.name.bbox is not None
    assert inv.total.value == 215.99 and inv.total.bbox == word_box(pg, "215,99")
    assert inv.invoice_number.value == "RE-2025-0042" and inv.currency.value == "EUR"
    full = LlmStructurer(FakeBackend([REPLY]), ask="all").invoice([PageView(page(INVOICE))], receipt=False).payload
    assert inv.total.confidence < full.total.confidence  # one reader, not confirmed by a second


def test_fields_with_nothing_on_the_page_to_choose_are_not_asked():
    # A page that prints no currency and no date: the model could only answer null for them (empty enums), so
    # they are not asked; when nothing else is open there is no model call at all.
    items = [it for it in INVOICE if it[2] not in ("Gesamtbetrag EUR", "Datum: 14.03.2025", "Fällig am: 13.04.2025")]
    items.append((1500, 1640, "Gesamtbetrag"))
    backend = FakeBackend([{"vendor_name": "ACME Widgets GmbH"}])
    res = LlmStructurer(backend, ask="all").invoice([PageView(page(items))], receipt=False)
    asked = set(backend.calls[0][1]["properties"])
    assert "vendor_name" in asked and not asked & {"currency", "invoice_date"}
    assert res.payload.currency is None and res.payload.invoice_date is None
    res = LlmStructurer(FakeBackend([{"vendor_name": "ACME Widgets GmbH"}]), ask="open").invoice(
        [PageView(page(items))], receipt=False)
    assert res.asked == ("vendor_name",) and res.errors == []
    receipt = [(200, 100, "KEDAI RUNCIT MAJU SDN BHD"), (200, 160, "12 JALAN BESAR"), (200, 220, "43000 KAJANG"),
               (200, 400, "MILO 2.50"), (200, 460, "ROTI 1.20"), (200, 600, "TOTAL"), (900, 600, "3.70")]
    backend = FakeBackend([])  # raises when called
    res = LlmStructurer(backend, ask="open").invoice([PageView(page(receipt))], receipt=True)
    # no date and no currency printed ('BHD' is the company form), the receipt rules read the rest: no call
    assert res.asked == () and backend.calls == [] and res.errors == [] and res.payload.currency is None
    # a printed currency symbol is read by the rules; a receipt's tax is never put to the model
    res = LlmStructurer(backend, ask="all", receipts=True).invoice([PageView(page(receipt + [(200, 660, "RM")]))],
                                                                   receipt=True)
    assert res.payload.currency.value == "MYR" and "total_tax" not in res.asked and res.errors != []  # no reply


def test_a_subtotal_the_rules_miss_is_the_amount_that_closes_the_sum():
    # The net amount printed under a label the rules do not read ('Warenwert'): total - tax is on the page, so
    # the subtotal is that amount and the sum is settled; the model is asked only the vendor, with no amounts.
    items = [it for it in INVOICE if it[2] not in ("Zwischensumme", "181,50")]
    items += [(1500, 1500, "Warenwert"), (2000, 1500, "181,50")]
    backend = FakeBackend([{"vendor_name": "ACME Widgets GmbH"}])
    res = LlmStructurer(backend, ask="open").invoice([PageView(page(items))], receipt=False)
    inv = res.payload
    assert inv.subtotal is not None and inv.subtotal.value == 181.50 and res.sources["subtotal"] == "alternative"
    assert "subtotal" not in res.asked and "total" not in res.asked and "total_tax" not in res.asked
    # no amount equal to total - tax on the page: the subtotal stays open
    items = [it for it in items if it[2] not in ("Warenwert", "181,50")]
    res = LlmStructurer(FakeBackend([{}]), ask="open").invoice([PageView(page(items))], receipt=False)
    assert res.payload.subtotal is None or res.sources.get("subtotal") != "alternative"


def test_receipts_are_not_put_to_the_model_by_default():
    # A receipt whose name and total the rules cannot read, and a printed date: open fields, which go to the
    # model only with receipts=True (--llm-receipts); by default the rules' reading stands, with no call.
    receipt = [(200, 100, "12 JALAN BESAR"), (200, 160, "43000 KAJANG"), (200, 220, "DATE 05/03/2018"),
               (200, 400, "MILO 2.50"), (200, 460, "ROTI 1.20")]
    backend = FakeBackend([])  # raises when called
    res = LlmStructurer(backend, ask="all").invoice([PageView(page(receipt))], receipt=True)
    assert res.asked == () and backend.calls == [] and res.errors == []
    assert res.payload.invoice_date is not None and res.payload.invoice_date.value.isoformat() == "2018-03-05"
    asked = LlmStructurer(FakeBackend([{"total": "2.50"}]), ask="all", receipts=True).invoice(
        [PageView(page(receipt))], receipt=True)
    assert "total" in asked.asked and asked.payload.total is not None and asked.payload.total.value == 2.50


def test_a_tax_above_the_highest_vat_rate_is_no_tax():
    # A till receipt's tax line that prints the shop's GST registration number, or the total on the tax row:
    # no tax is above 27 % of the total, so no tax is read rather than a wrong one, by the rules and the model.
    receipt = [(200, 100, "KEDAI RUNCIT MAJU SDN BHD"), (200, 160, "12 JALAN BESAR"), (200, 220, "43000 KAJANG"),
               (200, 300, "GST ID: 001134286976"), (200, 400, "MILO 2.50"), (200, 460, "ROTI 1.20"),
               (200, 540, "GST 6%"), (900, 540, "1134286.20"), (200, 600, "TOTAL"), (900, 600, "3.70")]
    inv = LlmStructurer(FakeBackend([]), ask="open").invoice([PageView(page(receipt))], receipt=True).payload
    assert inv.total.value == 3.70 and inv.total_tax is None
    fine = [it if it[2] != "1134286.20" else (900, 540, "0.21") for it in receipt]
    inv = LlmStructurer(FakeBackend([]), ask="open").invoice([PageView(page(fine))], receipt=True).payload
    assert inv.total_tax is not None and inv.total_tax.value == 0.21
    # the model's pick of the total as the tax of an invoice is cleared as well
    items = [it for it in INVOICE if it[2] not in ("MwSt. 19%", "34,49")]
    res = LlmStructurer(FakeBackend([{**REPLY, "total_tax": "215,99"}]), ask="all").invoice(
        [PageView(page(items))], receipt=False)
    assert res.payload.total.value == 215.99 and res.payload.total_tax is None
    # on an invoice, a right tax beside a misread total stays: the triple that adds up corrects the total
    items = [it if it[2] != "215,99" else (2000, 1640, "99,00") for it in INVOICE]
    items.append((200, 1900, "Betrag laut Auftrag 215,99"))
    res = LlmStructurer(FakeBackend([{"vendor_name": "ACME Widgets GmbH"}]), ask="open").invoice(
        [PageView(page(items))], receipt=False)
    assert (res.payload.total.value, res.payload.total_tax.value) == (215.99, 34.49)
    assert res.sources["total"] == "alternative"


def test_bare_labels_are_not_offered_as_vendor_names():
    # The 0.5B model copied labels ('Verkäufer', 'Vervaldatum') as the seller's name on real invoices; a word
    # window that is nothing but a label is no name, while a name that holds a label word stays.
    offered: dict[str, list[str]] = {}

    class Recording(FakeBackend):
        def complete(self, prompt, schema, *, system=None, choices=None, reply_model=None):
            offered.update(choices or {})
            return super().complete(prompt, schema, system=system, choices=choices, reply_model=reply_model)

    items = INVOICE + [(200, 400, "Verkäufer:"), (200, 450, "Total Energies SE"), (1600, 530, "Vervaldatum")]
    LlmStructurer(Recording([REPLY]), ask="all").invoice([PageView(page(items))], receipt=False)
    names = set(offered["vendor_name"])
    assert {"ACME Widgets GmbH", "Total Energies SE", "Bauer Bau AG"} <= names
    assert not names & {"Verkäufer", "Vervaldatum", "Rechnungsempfänger", "RECHNUNG", "Datum", "Zwischensumme"}


def test_open_mode_leaves_labelled_totals_to_the_rules_and_asks_a_missing_one():
    # Labelled amounts that do not add up stay with the rules (fix_totals searches the page for a triple that
    # does); the model is asked an amount only when the rules read none.
    items = [it if it[2] != "34,49" else (2000, 1570, "43,49") for it in INVOICE]
    backend = FakeBackend([{"vendor_name": None}])
    LlmStructurer(backend, ask="open").invoice([PageView(page(items))], receipt=False)
    asked = set(backend.calls[0][1]["properties"])
    assert "vendor_name" in asked and not asked & {"subtotal", "total_tax", "total", "invoice_number"}
    items = [it for it in INVOICE if it[2] != "Gesamtbetrag EUR"]
    backend = FakeBackend([{"vendor_name": None, "total": None}])
    LlmStructurer(backend, ask="open").invoice([PageView(page(items))], receipt=False)
    assert "total" in set(backend.calls[0][1]["properties"])


def test_open_mode_skips_the_model_when_the_title_block_is_complete():
    items = [(1500, 3000, "Title: Bracket"), (1500, 3060, "Drawing No.: DWG-1001"), (1500, 3120, "Scale: 1:2"),
             (1500, 3180, "Rev: B"), (1500, 3240, "Material: S235"), (1500, 3300, "Sheet: 1/1"),
             (1500, 3360, "Date: 14.03.2025"), (1500, 3420, "Company: ACME Engineering"),
             (1500, 3480, "Drawn by: J. Smith")]
    backend = FakeBackend([])  # any call would fail: no reply queued
    res = LlmStructurer(backend, ask="open").drawing([PageView(page(items))])
    tb = res.payload.title_block
    assert backend.calls == [] and res.asked == () and res.llm_seconds == 0.0
    assert res.sources["title"] == "settled" and res.errors == []
    assert tb.title.value == "Bracket" and tb.company.value == "ACME Engineering" and tb.drawn_by.bbox is not None
    # one typed field missing: the model is asked that field only
    backend = FakeBackend([{"drawing_number": "DWG-1001"}])
    st = LlmStructurer(backend, ask="open")
    st.drawing([PageView(page([it for it in items if not it[2].startswith("Drawing")] + [(1500, 3060, "DWG-1001")]))])
    assert list(backend.calls[0][1]["properties"]) == ["drawing_number"]
    # a text field missing (the company): its labelled cell is the rules' to read; the model is not asked
    backend = FakeBackend([])
    res = LlmStructurer(backend, ask="open").drawing([PageView(page(
        [it for it in items if not it[2].startswith("Company")] + [(1500, 3420, "ACME Engineering")]))])
    assert backend.calls == [] and res.payload.title_block.company is None


def test_a_reply_that_is_not_json_is_a_structuring_fault():
    _, _, res, inv = run("this is not json")
    assert [e.kind for e in res.errors] == ["StructuringError"] and "not JSON" in res.errors[0].message
    assert inv.invoice_number.value == "RE-2025-0042"  # the rules' reading (tests/test_llm_faults.py: more)


def test_missing_embedded_model_is_a_clear_model_load_error(tmp_path):
    with pytest.raises(ModelLoadError, match="make setup"):
        Structurer(StructureOptions(backend="llm", llm_model=tmp_path / "absent.gguf"))


# --- a fake OpenAI-compatible server on loopback ---------------------------------------------------------------


class _Server:
    def __init__(self, replies: list[str], status: int = 200):
        self.replies = list(replies)
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                outer.headers.append(dict(self.headers))
                content = outer.replies.pop(0) if outer.replies else "{}"
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
                self.send_response(200 if self.path == "/v1/chat/completions" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_openai_backend_repairs_an_invalid_reply(monkeypatch):
    monkeypatch.setenv("DOCPIPE_LLM_API_KEY", "sk-test")
    with _Server(["Sure! Here it is: {oops", json.dumps(REPLY)]) as srv:
        backend = OpenAIBackend(srv.url + "/v1", "qwen-test", timeout=10)
        st = LlmStructurer(backend, ask="all")
        pg = page(INVOICE)
        inv = st.invoice([PageView(pg)], receipt=False).payload
    assert len(srv.requests) == 2
    first, second = srv.requests
    assert first["model"] == "qwen-test" and first["temperature"] == 0
    assert first["response_format"]["type"] == "json_schema"
    assert "215,99" in first["response_format"]["json_schema"]["schema"]["properties"]["total"]["enum"]
    assert "not valid" in second["messages"][-1]["content"]  # the validation error is sent back
    assert srv.headers[0].get("Authorization") == "Bearer sk-test"
    assert inv.total.value == 215.99 and inv.total.bbox == word_box(pg, "215,99")


def test_openai_backend_gives_up_after_bounded_repairs():
    with _Server(["nope", "still nope", "never"]) as srv:
        backend = OpenAIBackend(srv.url, "m", timeout=10, max_repairs=1)
        with pytest.raises(StructuringError, match="after 1 repairs"):
            backend.complete("x", {"type": "object", "properties": {}})
    assert len(srv.requests) == 2


def test_structure_options_pick_the_server_backend(monkeypatch):
    monkeypatch.setenv("DOCPIPE_LLM_URL", "http://127.0.0.1:9/v1")
    st = Structurer(StructureOptions(backend="llm", llm_model_name="m"))
    assert isinstance(st.llm.backend, OpenAIBackend) and st.llm.backend.endpoint.endswith("/v1/chat/completions")


# --- constrained decoding on a toy character-level "model" --------------------------------------------------


class ToyLlama:
    """One token per byte; logits favour the bytes of ``wanted`` in order (a fake llama_cpp.Llama)."""

    def __init__(self, wanted: str):
        self.wanted = wanted.encode()
        self.input_ids = np.zeros(4096, dtype=np.intc)
        self.n_tokens = 0
        self.fed: list[int] = []
        self.metadata: dict = {}
        self._logits = np.zeros(256, dtype=np.float32)

        class Ctx:
            def get_logits(ctx_self):
                return self._logits.ctypes.data_as(np.ctypeslib.ctypes.POINTER(np.ctypeslib.ctypes.c_float))

        self._ctx = Ctx()
        self._ctx.set_n_threads = lambda n, nb: self.threads.append((n, nb))
        self.threads: list[tuple[int, int]] = []
        self.calls: list[int] = []
        self.reply_start = None

    def n_vocab(self):
        return 256

    def n_ctx(self):
        return 4096

    def tokenize(self, b, add_bos=False, special=False):
        return list(b)

    def detokenize(self, toks, special=False):
        return bytes(toks)

    def eval(self, toks):
        self.calls.append(len(toks))
        self.input_ids[self.n_tokens:self.n_tokens + len(toks)] = toks
        self.n_tokens += len(toks)
        self.fed.extend(toks)
        text = bytes(self.fed)
        # favour the next byte of `wanted` after what the value being decoded already holds
        self._logits[:] = 0
        pos = text.rfind(b": ")
        done = text[pos + 2:] if pos >= 0 else b""
        nxt = self.wanted[len(done)] if len(done) < len(self.wanted) and self.wanted.startswith(done) else ord("n")
        self._logits[nxt] = 10.0


def test_constrained_decoder_only_emits_allowed_values():
    llm = ToyLlama('"14.03.2025"')
    schema = {"type": "object", "properties": {"invoice_date": {"enum": ["14.03.2025", "13.04.2025", None]}}}
    text = ConstrainedDecoder(llm).run([{"role": "user", "content": "x"}], schema, {})
    assert json.loads(text) == {"invoice_date": "14.03.2025"}
    llm = ToyLlama('"99.99.9999"')  # the model wants a value that is not allowed
    text = ConstrainedDecoder(llm).run([{"role": "user", "content": "x"}], schema, {})
    assert json.loads(text)["invoice_date"] in ("14.03.2025", "13.04.2025", None)


def test_constrained_decoder_copies_names_from_page_choices():
    llm = ToyLlama('"ACME Widgets GmbH"')
    schema = {"type": "object", "properties": {"vendor_name": {"type": ["string", "null"], "maxLength": 60}}}
    dec = ConstrainedDecoder(llm)
    text = dec.run([{"role": "user", "content": "x"}], schema, {"vendor_name": ["ACME Widgets GmbH", "ACME", "Bauer"]})
    assert json.loads(text) == {"vendor_name": "ACME Widgets GmbH"}
    assert 0 <= dec.field_confidence["vendor_name"] <= 1


def test_long_prompts_are_read_in_chunks_and_idle_cores_join():
    from docpipe.structure.llm import LlamaCppBackend
    from docpipe.structure.llm.decode import EVAL_CHUNK

    llm = ToyLlama('"ACME Widgets GmbH"')
    schema = {"type": "object", "properties": {"vendor_name": {"type": ["string", "null"], "maxLength": 60}}}
    backend = LlamaCppBackend.__new__(LlamaCppBackend)  # the model's file is not needed: the toy stands in
    backend.n_threads, backend._threads, backend._llm, backend.field_confidence = 1, 1, llm, {}
    idle = [1]
    backend.spare_cores = lambda: idle[0]
    prompt = "Vendor of this invoice? " * 20
    text = backend.complete(prompt, schema, choices={"vendor_name": ["ACME Widgets GmbH", "Bauer"]})
    assert json.loads(text) == {"vendor_name": "ACME Widgets GmbH"}
    assert len(llm.calls) > 1 and max(llm.calls) == EVAL_CHUNK and sum(llm.calls) == len(llm.fed)
    assert llm.threads == [(2, 2)]  # one idle worker: its core joins the prompt's reading
    idle[0] = 0
    backend.complete(prompt, schema, choices={"vendor_name": ["ACME Widgets GmbH", "Bauer"]})
    assert llm.threads == [(2, 2), (1, 1)]  # work arrived: the core is given back


def test_spec_caps_enums_and_keeps_the_last_amounts():
    items = [(200, 100 + 40 * i, f"Item {i} {i},00") for i in range(80)]
    cands = collect([PageView(page(items))])
    spec = build_spec(INVOICE_FIELDS, cands, text_choices=[], block_choices=[])
    assert len(spec.enums["total"]) == 60 and "79,00" in spec.enums["total"]


# --- the real embedded model ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_embedded_model_reads_the_sample_invoice():
    opts = StructureOptions(backend="llm")
    if not opts.model_path().is_file():
        pytest.skip("embedded model not fetched (make setup)")
    pytest.importorskip("llama_cpp")
    from docpipe.pipeline import Pipeline

    expected = json.loads((ROOT / "sample_docs/expected/invoice_en_scan.pdf.json").read_text())["invoice"]
    pipe = Pipeline(PipelineOptions(structure=opts, workers=1))
    path = ROOT / "sample_docs/invoice_en_scan.pdf"
    src = pipe.probe(path, path.parent)
    outcomes = pipe.read_pages(src)
    # As printed, the page confirms its vendor (footer and e-mail domain: docpipe.structure.vendor) and the
    # model is not asked it.
    result, structured = pipe.finish_detailed(src, outcomes)
    assert "vendor_name" not in structured.asked and structured.sources["vendor_name"] == "settled"
    assert result.invoice.vendor.name.value == expected["vendor"]["name"]["value"]
    # Without its footer and contact lines the name is unconfirmed: the model reads it.
    for o in outcomes:
        o.page = o.page.model_copy(update={"lines": [ln for ln in o.page.lines if ln.bbox[1] < o.page.height * 0.75
                                                      and "@" not in ln.text]})
    result, structured = pipe.finish_detailed(src, outcomes)
    inv = result.invoice
    assert result.doc_type == "invoice" and inv is not None
    assert inv.invoice_number.value == expected["invoice_number"]["value"]
    assert str(inv.invoice_date.value) == expected["invoice_date"]["value"]
    assert abs(inv.total.value - expected["total"]["value"]) < 0.01
    assert inv.currency.value == expected["currency"]["value"]
    for field in (inv.invoice_number, inv.invoice_date, inv.total):
        assert field.page == 1 and field.bbox is not None and field.text
    assert structured.llm_seconds > 0 and result.timings_s["llm"] > 0 and structured.errors == []
    assert all(0 <= p <= 1 for p in structured.model_p.values())
    # the field the rules leave open is the model's: its pick is copied from the page and grounded
    assert "vendor_name" in structured.asked
    assert inv.vendor.name.value == expected["vendor"]["name"]["value"] and inv.vendor.name.bbox is not None


def test_drawing_title_block_keeps_the_rules_cells_and_fills_the_gaps():
    items = [(1500, 3000, "Title: Bracket"), (1500, 3060, "Drawing No.: DWG-1001"), (1500, 3120, "Scale: 1:2"),
             (1500, 3180, "ACME Engineering"), (1500, 3240, "Material: S235")]
    pg = page(items)
    # --llm-ask open: the typed fields left are the date, which the block does not print: no call at all; the
    # text fields are the rules' cells
    backend = FakeBackend([])
    res = LlmStructurer(backend).drawing([PageView(pg)])
    assert backend.calls == [] and res.asked == () and res.payload.title_block.title.value == "Bracket"
    # --llm-ask all: every field with a choice that can be its value (no revision, scale, sheet or date cell)
    res = LlmStructurer(FakeBackend([{"drawing_number": "DWG-1001", "title": "Scale", "company": "ACME Engineering"}]),
                        ask="all").drawing([PageView(pg)])
    tb = res.payload.title_block
    assert res.asked == ("drawing_number", "title", "material", "company", "drawn_by")  # no scale cell alone
    assert tb.title.value == "Bracket"  # the rules' labelled cell, not the model's pick
    assert res.sources["title"] == "rules_kept" and res.sources["drawing_number"] == "agree"
    assert res.sources["company"] == "model" and res.sources["scale"] == "rules"
    assert tb.drawing_number.value == "DWG-1001"
    assert tb.company.value == "ACME Engineering" and tb.company.bbox is not None  # filled by the model


def test_a_zero_tax_is_no_alternative_when_a_tax_was_read():
    from docpipe.structure.llm.candidates import collect
    from docpipe.structure.llm.rules import fix_totals
    from docpipe.types import GroundedNumber, Invoice

    items = [(1500, 1500, "Netto"), (2000, 1500, "100,00"), (1500, 1570, "MwSt. 19%"), (2000, 1570, "19,00"),
             (1500, 1640, "Summe"), (2000, 1640, "100,00"), (1500, 1710, "Rabatt"), (2000, 1710, "0,00")]
    views = [PageView(page(items))]
    inv = Invoice(subtotal=GroundedNumber(value=100.0, text="100,00", confidence=0.9, page=1, bbox=(2000, 1500, 2100, 1530)),
                  total_tax=GroundedNumber(value=19.0, text="19,00", confidence=0.9, page=1, bbox=(2000, 1570, 2100, 1600)),
                  total=GroundedNumber(value=100.0, text="100,00", confidence=0.9, page=1, bbox=(2000, 1640, 2100, 1670)))
    fix_totals(inv, collect(views))
    assert inv.total_tax.value == 19.0  # not the 0,00 that would make 100 + 0 = 100


def test_legal_notice_fragments_are_not_offered_as_vendor_names():
    from docpipe.structure.llm.structurer import _LEGAL_NOTICE

    for text in ("SARL au capital de", "Stammkapital 25.000 EUR", "Registergericht Amtsgericht Köln",
                 "RCS Lyon B 123", "Share capital £100"):
        assert _LEGAL_NOTICE.search(text), text
    for text in ("Moulin Vert SARL", "Nordwind Handel GmbH", "Capital Office Supplies Ltd"):
        assert not _LEGAL_NOTICE.search(text), text


def test_no_vendor_name_choice_comes_from_a_legal_notice_line():
    class Recording(FakeBackend):
        def complete(self, prompt, schema, *, choices=None, **kw):
            self.choices = choices
            return super().complete(prompt, schema, choices=choices, **kw)

    items = INVOICE + [(200, 140, "TVA FR40303265045 - SAS au capital de 50 000,00 €")]
    backend = Recording([{"vendor_name": None}])
    LlmStructurer(backend, ask="all").invoice([PageView(page(items))], receipt=False)
    allowed = backend.choices["vendor_name"]
    assert "ACME Widgets GmbH" in allowed and not any("SARL" in v or "capital" in v for v in allowed)
