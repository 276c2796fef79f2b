"""Model faults keep the rules' reading: each test injects one fault (an exception, a structuring error, a reply
that is not JSON, HTTP 429/503 from a loopback server, a server that is down or too slow, replies still
invalid after repairs, a model that fails to load at first use) and checks that the rules' fields survive
with an ``errors`` entry, a review reason and status ``partial``; a server that recovers is retried with
back-off that honours ``Retry-After``."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from docpipe.errors import ModelLoadError, StructuringError
from docpipe.ingest import SourceFile
from docpipe.options import PipelineOptions, ReviewOptions, StructureOptions
from docpipe.pipeline import PageOutcome, Pipeline
from docpipe.structure import Structured, Structurer
from docpipe.structure.layout import PageView
from docpipe.structure.llm import FakeBackend, LlmStructurer, OpenAIBackend
from docpipe.structure.llm.backends import retry_after_seconds
from docpipe.structure.result import field_value

from .conftest import page_from_items as page
from .test_llm import INVOICE, REPLY

KEY_FIELDS = ("invoice_number", "invoice_date", "due_date", "vendor_name", "vendor_address", "customer_name",
              "currency", "subtotal", "total_tax", "total")
SRC = SourceFile(path=Path("x.png"), rel="x.png", sha256="0" * 64, media_type="image/png", pages=1)


def rules_reading():
    return Structurer(StructureOptions(backend="rules"))("invoice", [page(INVOICE)]).payload


def finish_with(backend, ask: str = "all") -> tuple:
    """The pipeline's result and ``Structured`` for the synthetic invoice page, structured with ``backend``."""
    # Calibration off: the heuristic scores show that a faulted field is not trusted more than the rules' reading
    # (calibrated probabilities come from evidence, see tests/test_calibrate.py).
    pipe = Pipeline(PipelineOptions(workers=1, structure=StructureOptions(backend="rules"),
                                    review=ReviewOptions(calibrate=False)))
    pipe.structurer.llm = LlmStructurer(backend, ask=ask)
    return pipe.finish_detailed(SRC, [PageOutcome(number=1, page=page(INVOICE))])


def assert_rules_kept(result, structured: Structured, kind: str) -> None:
    assert result.status == "partial" and result.needs_review and result.doc_type == "invoice"
    assert [(e.stage, e.kind) for e in result.errors] == [("structure", kind)]
    assert structured.errors == result.errors
    assert any(r.startswith(f"LLM failed ({kind}): the rules' reading is kept") for r in result.review_reasons)
    rules, inv = rules_reading(), result.invoice
    for name in KEY_FIELDS:
        want, got = field_value(rules, name), field_value(inv, name)
        assert want is not None, name  # the synthetic page gives the rules every key field
        assert (got.value, got.bbox, got.page) == (want.value, want.bbox, want.page), name
        assert 0 < got.confidence <= want.confidence
    assert len(inv.line_items) == len(rules.line_items) == 3
    assert structured.asked and {structured.sources[n] for n in structured.asked} == {"fault"}
    assert structured.sources["due_date"] == "not_asked"  # not put to the model: not a fault
    assert structured.model_p == {}


# --- faults of any backend ------------------------------------------------------------------------------------


def test_an_arbitrary_exception_keeps_the_rules_reading():
    result, st = finish_with(FakeBackend([RuntimeError("segment fault in the sampler")]))
    assert_rules_kept(result, st, "RuntimeError")
    assert "unexpected error" in result.errors[0].message and "segment fault" in result.errors[0].message


def test_a_structuring_error_keeps_the_rules_reading():
    result, st = finish_with(FakeBackend([StructuringError("the model refused the schema")]))
    assert_rules_kept(result, st, "StructuringError")
    assert "refused the schema" in result.errors[0].message and "rules' reading is kept" in result.errors[0].message


def test_a_reply_that_is_not_json_keeps_the_rules_reading():
    result, st = finish_with(FakeBackend(['{"invoice_number": "RE-2025-0042", ']))
    assert_rules_kept(result, st, "StructuringError")
    assert "not JSON" in result.errors[0].message


def test_only_the_asked_fields_are_faults_in_open_mode():
    # The rules settle number, date, currency and totals on this page: only the vendor name is asked.
    result, st = finish_with(FakeBackend([TimeoutError("no answer")]), ask="open")
    assert result.status == "partial" and result.needs_review
    assert st.asked == ("vendor_name",) and st.sources["vendor_name"] == "fault"
    assert st.sources["total"] == "settled" and st.sources["invoice_number"] == "settled"
    assert result.invoice.vendor.name.value == rules_reading().vendor.name.value


def test_a_drawing_keeps_the_rules_title_block():
    items = [(1500, 3000, "Title: Bracket"), (1500, 3060, "Drawing No.: DWG-1001"), (1500, 3120, "Scale: 1:2"),
             (1500, 3180, "ACME Engineering")]
    # --llm-ask all: the model is asked the company too (open mode leaves text fields to the rules' cells)
    res = LlmStructurer(FakeBackend([ConnectionError("refused")]), ask="all").drawing([PageView(page(items))])
    tb = res.payload.title_block
    assert tb.title.value == "Bracket" and tb.drawing_number.value == "DWG-1001" and tb.scale.value == "1:2"
    assert [e.kind for e in res.errors] == ["ConnectionError"] and res.notes[0].startswith("LLM failed")
    assert res.sources["title"] == "fault" and "company" in res.asked
    assert "company" not in res.sources  # no value: no source


def test_a_model_that_fails_to_load_at_first_use_is_a_fault(tmp_path, monkeypatch):
    llama_cpp = pytest.importorskip("llama_cpp")
    from docpipe.structure.llm import LlamaCppBackend

    def broken(**_):
        raise ValueError("Failed to load model from file")

    monkeypatch.setattr(llama_cpp, "Llama", broken)
    model = tmp_path / "truncated.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    backend = LlamaCppBackend(model)  # the file exists: no setup error at construction
    result, st = finish_with(backend)
    assert_rules_kept(result, st, "ModelLoadError")
    assert "could not be loaded" in result.errors[0].message and str(model) in result.errors[0].message


def test_a_missing_model_file_still_fails_at_construction(tmp_path):
    with pytest.raises(ModelLoadError, match="missing"):
        Structurer(StructureOptions(backend="llm", llm_model=tmp_path / "absent.gguf"))


# --- an OpenAI-compatible server on loopback ------------------------------------------------------------------


class Server:
    """Answers POSTs with queued ``(status, headers, content, delay_s)``; the last one repeats."""

    def __init__(self, answers: list[tuple[int, dict, str, float]]):
        self.answers = list(answers)
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests += 1
                status, headers, content, delay = outer.answers.pop(0) if len(outer.answers) > 1 else outer.answers[0]
                time.sleep(delay)
                data = (json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})
                        if status == 200 else json.dumps({"error": "busy"})).encode()
                try:
                    self.send_response(status)
                    for k, v in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (the timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def server_backend(url: str, **kw) -> tuple[OpenAIBackend, list[float]]:
    sleeps: list[float] = []
    kw.setdefault("timeout", 10)
    return OpenAIBackend(url, "m", sleep=sleeps.append, **kw), sleeps


def test_429_with_retry_after_then_success():
    ok = (200, {}, json.dumps(REPLY), 0.0)
    with Server([(429, {"Retry-After": "7"}, "", 0.0), (503, {}, "", 0.0), ok]) as srv:
        backend, sleeps = server_backend(srv.url)
        result, st = finish_with(backend)
    assert srv.requests == 3
    assert sleeps == [7.0, 2.0]  # the server's Retry-After, then the back-off of a second retry
    assert result.status == "ok" and result.errors == [] and st.errors == []
    assert result.invoice.total.value == 215.99 and st.sources["total"] == "agree"
    assert not any(r.startswith("LLM failed") for r in result.review_reasons)


def test_a_long_retry_after_is_capped():
    with Server([(429, {"Retry-After": "3600"}, "", 0.0), (200, {}, json.dumps(REPLY), 0.0)]) as srv:
        backend, sleeps = server_backend(srv.url)
        backend.complete("x", {"type": "object", "properties": {}})
    assert sleeps == [60.0]


def test_retry_after_as_an_http_date():
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=timezone.utc)
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(later, now=now) == 30.0
    assert retry_after_seconds("Mon, 30 Nov 2026 12:00:00 GMT", now=now) == 0.0  # in the past: at once
    assert retry_after_seconds("12") == 12.0 and retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_503_every_time_exhausts_the_retries():
    with Server([(503, {}, "", 0.0)]) as srv:
        backend, sleeps = server_backend(srv.url, retries=3)
        result, st = finish_with(backend)
    assert srv.requests == 4 and sleeps == [1.0, 2.0, 4.0]
    assert_rules_kept(result, st, "TransientError")
    assert "503" in result.errors[0].message and "gave up after 4 attempts" in result.errors[0].message


def test_the_overall_cap_on_waiting_stops_the_retries():
    with Server([(429, {"Retry-After": "50"}, "", 0.0)]) as srv:
        backend, sleeps = server_backend(srv.url, retries=5, max_wait=120)
        with pytest.raises(Exception, match="limit on waiting"):
            backend.complete("x", {"type": "object", "properties": {}})
    assert sleeps == [50.0, 50.0] and srv.requests == 3


def test_a_server_that_is_down_is_a_fault():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend, sleeps = server_backend(f"http://127.0.0.1:{port}/v1", retries=1)
    result, st = finish_with(backend)
    assert_rules_kept(result, st, "TransientError")
    assert "unreachable" in result.errors[0].message and sleeps == [1.0]


def test_a_timeout_is_a_fault():
    with Server([(200, {}, json.dumps(REPLY), 1.0)]) as srv:
        backend, sleeps = server_backend(srv.url, timeout=0.1, retries=1)
        result, st = finish_with(backend)
    assert_rules_kept(result, st, "TransientError")
    assert "timed out" in result.errors[0].message and srv.requests == 2 and sleeps == [1.0]


def test_replies_still_invalid_after_repairs_are_a_fault():
    with Server([(200, {}, "Sure! {total: 215,99", 0.0)]) as srv:
        backend, sleeps = server_backend(srv.url, max_repairs=1)
        result, st = finish_with(backend)
    assert srv.requests == 2 and sleeps == []  # repairs are not retries
    assert_rules_kept(result, st, "StructuringError")
    assert "after 1 repairs" in result.errors[0].message


def test_llm_retries_reach_the_server_backend(monkeypatch):
    monkeypatch.delenv("DOCPIPE_LLM_URL", raising=False)
    st = Structurer(StructureOptions(backend="llm", llm_url="http://127.0.0.1:9/v1", llm_retries=5))
    assert isinstance(st.llm.backend, OpenAIBackend) and st.llm.backend.retries == 5
