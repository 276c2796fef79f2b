"""Tests of docpipe.sinks: SQL (SQLite in tmp_path) and webhook (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import importlib.util
import json
import os
import socket
import threading
import time
from typing import Any, Iterator

import pytest
import sqlalchemy as sa

from docpipe.errors import DocpipeError, TransientError
from docpipe.sinks import Sink, open_sink
from docpipe.sinks.sql import SqlSink, document_key, metadata
from docpipe.sinks.webhook import WebhookSink, idempotency_key
from docpipe.types import (
    Dimension,
    DocumentResult,
    Drawing,
    ErrorRecord,
    GroundedCurrency,
    GroundedDate,
    GroundedNumber,
    GroundedText,
    Invoice,
    LineItem,
    Party,
    Source,
    TitleBlock,
)

INV_SHA = "a" * 64
DRW_SHA = "b" * 64


def _t(value: str, text: str | None = None, page: int = 1, bbox=(10, 10, 100, 30), conf: float = 0.9):
    return GroundedText(value=value, text=text or value, confidence=conf, page=page, bbox=bbox)


def _n(value: float, text: str | None = None, bbox=(300, 10, 380, 30), conf: float = 0.95):
    return GroundedNumber(value=value, text=text or f"{value:.2f}", confidence=conf, page=1, bbox=bbox)


def make_invoice(total: float = 238.0) -> DocumentResult:
    return DocumentResult(
        source=Source(path="inv/2024-001.pdf", sha256=INV_SHA, media_type="application/pdf", pages=1),
        doc_type="invoice",
        status="ok",
        needs_review=total != 238.0,
        review_reasons=[] if total == 238.0 else ["total does not equal subtotal + tax"],
        invoice=Invoice(
            invoice_number=_t("2024-001"),
            invoice_date=GroundedDate(
                value=dt.date(2024, 3, 5), text="05.03.2024", confidence=0.93, page=1, bbox=(1510, 402, 1788, 441)
            ),
            currency=GroundedCurrency(value="EUR", text="€", confidence=0.8, page=1, bbox=(5, 5, 20, 20)),
            vendor=Party(name=_t("ACME GmbH", bbox=(50, 60, 400, 90)), vat_id=_t("DE123456789")),
            customer=Party(name=_t("Bob's Bakery")),
            subtotal=_n(200.0),
            total_tax=_n(38.0),
            total=_n(total, bbox=(300, 900, 380, 930)),
            line_items=[
                LineItem(description=_t("Widget"), quantity=_n(2, "2"), unit=_t("pcs"),
                         unit_price=_n(50.0), amount=_n(100.0)),
                LineItem(description=_t("Gadget"), quantity=_n(1, "1"), unit_price=_n(100.0),
                         amount=_n(100.0)),
            ],
        ),
    )


def make_drawing() -> DocumentResult:
    return DocumentResult(
        source=Source(path="plans/shaft.pdf", sha256=DRW_SHA, media_type="application/pdf", pages=1),
        doc_type="drawing",
        status="ok",
        drawing=Drawing(
            title_block=TitleBlock(drawing_number=_t("D-4711"), title=_t("Shaft"), scale=_t("1:2"),
                                   material=_t("C45")),
            dimensions=[
                Dimension(text="Ø25 H7", kind="diameter", nominal=25.0, unit="mm", upper_deviation=0.021,
                          lower_deviation=0.0, fit="H7", tolerance_source="fit", page=1,
                          bbox=(812, 1404, 951, 1442), confidence=0.88),
                Dimension(text="4x 120±0.1", kind="linear", nominal=120.0, unit="mm", upper_deviation=0.1,
                          lower_deviation=-0.1, count=4, page=1, bbox=(100, 200, 220, 230), angle=90,
                          confidence=0.8),
            ],
            notes=[_t("Break all edges")],
        ),
    )


def make_failed() -> DocumentResult:
    return DocumentResult(
        source=Source(path="scans/broken.pdf", sha256=None, media_type="application/pdf", pages=0),
        status="failed",
        errors=[ErrorRecord(stage="ingest", kind="InputError", message="The PDF is encrypted; decrypt it.")],
    )


# --- SQL ------------------------------------------------------------------------------------------


def _rows(engine: sa.Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as c:
        return list(c.execute(sa.text(sql), params))


PG_URL = os.environ.get("DOCPIPE_TEST_POSTGRES_URL")  # e.g. postgresql+psycopg://docpipe@127.0.0.1/sinks


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A SQLite file in tmp_path; and a PostgreSQL database when DOCPIPE_TEST_POSTGRES_URL names one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sub' / 'docpipe.db'}"
    if not PG_URL:
        pytest.skip("set DOCPIPE_TEST_POSTGRES_URL to run the SQL sink tests against PostgreSQL too")
    pytest.importorskip("psycopg")
    engine = sa.create_engine(PG_URL)
    metadata.drop_all(engine)  # each test starts from empty tables
    engine.dispose()
    return PG_URL


def _as_datetime(v: Any) -> dt.datetime:
    """SQLite hands DATETIME back as text through sa.text(); PostgreSQL as a datetime."""
    v = dt.datetime.fromisoformat(v) if isinstance(v, str) else v
    return v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)


def test_sql_writes_invoice_drawing_and_failed(db_url):
    with SqlSink(db_url) as sink:
        sink.write(make_invoice(), output_path="out/inv__2024-001.pdf.json")
        sink.write(make_drawing(), output_path="out/plans__shaft.pdf.json")
        sink.write(make_failed(), output_path="out/scans__broken.pdf.json")
    engine = sa.create_engine(db_url)

    docs = {r.sha256: r for r in _rows(engine, "SELECT * FROM documents")}
    assert set(docs) == {INV_SHA, DRW_SHA, "path:scans/broken.pdf"}
    inv = docs[INV_SHA]
    assert (inv.path, inv.media_type, inv.pages, inv.doc_type, inv.status) == (
        "inv/2024-001.pdf", "application/pdf", 1, "invoice", "ok")
    assert inv.needs_review == 0 and json.loads(inv.review_reasons) == []
    assert inv.schema_version == "1.0" and inv.output_path == "out/inv__2024-001.pdf.json"
    assert DocumentResult.model_validate_json(inv.result_json) == make_invoice()
    processed = _as_datetime(inv.processed_at)
    assert abs((dt.datetime.now(dt.timezone.utc) - processed).total_seconds()) < 60

    f = {r.name: r for r in _rows(engine, "SELECT * FROM fields WHERE sha256 = :k", k=INV_SHA)}
    assert f["invoice.total"].value == "238.0" and f["invoice.total"].value_number == 238.0
    assert json.loads(f["invoice.total"].bbox) == [300, 900, 380, 930]
    assert f["invoice.vendor.name"].value == "ACME GmbH" and f["invoice.vendor.name"].value_number is None
    assert f["invoice.vendor.name"].confidence == pytest.approx(0.9) and f["invoice.vendor.name"].page == 1
    assert f["invoice.invoice_date"].value == "2024-03-05" and f["invoice.invoice_date"].raw == "05.03.2024"
    assert f["invoice.invoice_number"].value_number is None  # text fields stay text even when digit-like
    assert f["invoice.line_items[1].amount"].value_number == 100.0
    assert "invoice.purchase_order" not in f  # absent fields get no row

    items = _rows(engine, "SELECT * FROM line_items WHERE sha256 = :k ORDER BY idx", k=INV_SHA)
    assert [(r.idx, r.description, r.quantity, r.unit, r.unit_price, r.amount) for r in items] == [
        (0, "Widget", 2.0, "pcs", 50.0, 100.0),
        (1, "Gadget", 1.0, None, 100.0, 100.0),
    ]

    f = {r.name: r for r in _rows(engine, "SELECT * FROM fields WHERE sha256 = :k", k=DRW_SHA)}
    assert f["drawing.title_block.scale"].value == "1:2"
    assert f["drawing.notes[0]"].value == "Break all edges"
    dims = _rows(engine, "SELECT * FROM dimensions WHERE sha256 = :k ORDER BY idx", k=DRW_SHA)
    assert [(d.text, d.kind, d.nominal, d.unit, d.upper_deviation, d.lower_deviation, d.fit, d.count, d.page)
            for d in dims] == [
        ("Ø25 H7", "diameter", 25.0, "mm", 0.021, 0.0, "H7", 1, 1),
        ("4x 120±0.1", "linear", 120.0, "mm", 0.1, -0.1, None, 4, 1),
    ]
    assert json.loads(dims[0].bbox) == [812, 1404, 951, 1442]

    failed = docs["path:scans/broken.pdf"]
    assert failed.status == "failed" and failed.doc_type == "other"
    assert _rows(engine, "SELECT * FROM fields WHERE sha256 = :k", k="path:scans/broken.pdf") == []


def test_sql_rewrite_replaces_rows(db_url):
    with SqlSink(db_url) as sink:
        sink.write(make_invoice(238.0), output_path="a.json")
        sink.write(make_invoice(240.0), output_path="b.json")
        sink.write(make_failed(), output_path="f.json")
        sink.write(make_failed(), output_path="f.json")
    engine = sa.create_engine(db_url)
    docs = _rows(engine, "SELECT sha256, output_path, needs_review, review_reasons FROM documents ORDER BY path")
    assert len(docs) == 2
    inv = [d for d in docs if d.sha256 == INV_SHA][0]
    assert inv.output_path == "b.json" and inv.needs_review == 1
    assert json.loads(inv.review_reasons) == ["total does not equal subtotal + tax"]
    total = _rows(engine, "SELECT value, value_number FROM fields WHERE sha256 = :k AND name = 'invoice.total'",
                  k=INV_SHA)
    assert [(r.value, r.value_number) for r in total] == [("240.0", 240.0)]
    assert _rows(engine, "SELECT count(*) AS n FROM line_items")[0].n == 2
    n_fields = _rows(engine, "SELECT count(*) AS n FROM fields WHERE sha256 = :k", k=INV_SHA)[0].n
    assert n_fields == len(set(r.name for r in _rows(engine, "SELECT name FROM fields")))


def test_sql_readable_rerun_replaces_path_keyed_row(db_url):
    failed = make_failed()
    fixed = make_invoice().model_copy(update={"source": failed.source.model_copy(update={"sha256": "c" * 64})})
    with SqlSink(db_url) as sink:
        sink.write(failed, output_path="f.json")
        sink.write(fixed, output_path="f.json")
    keys = [r.sha256 for r in _rows(sa.create_engine(db_url), "SELECT sha256 FROM documents")]
    assert keys == ["c" * 64]


def test_sql_threads_share_one_sink(db_url):
    with SqlSink(db_url) as sink:
        threads = [threading.Thread(target=sink.write, args=(make_invoice(230.0 + i),),
                                    kwargs={"output_path": f"{i}.json"}) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    engine = sa.create_engine(db_url)
    assert _rows(engine, "SELECT count(*) AS n FROM documents")[0].n == 1
    assert _rows(engine, "SELECT count(*) AS n FROM line_items")[0].n == 2


def test_document_key_and_open_sink(db_url):
    assert document_key(make_invoice()) == INV_SHA
    assert document_key(make_failed()) == "path:scans/broken.pdf"
    sink = open_sink(db_url)
    assert isinstance(sink, SqlSink) and isinstance(sink, Sink)
    sink.close()
    sink.close()
    web = open_sink("https://example.invalid/hook", retries=0)
    assert isinstance(web, WebhookSink) and isinstance(web, Sink)
    web.close()
    with pytest.raises(ValueError, match="sqlite:///out.db"):
        open_sink("out.db")
    with pytest.raises(ValueError, match="Unknown sink"):
        open_sink("ftp://host/x")


def test_postgres_without_driver_says_what_to_install():
    if importlib.util.find_spec("psycopg") is not None:
        pytest.skip("psycopg is installed; the missing-driver message cannot be shown")
    with pytest.raises(DocpipeError, match=r"pip install \"psycopg\[binary\]\""):
        SqlSink("postgresql+psycopg://user:secret@localhost:5432/docpipe")


# --- webhook --------------------------------------------------------------------------------------


class _Server:
    """A real HTTP server in a thread that answers POSTs with the next status from ``statuses``."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append((dict(self.headers), body))
                status = outer.statuses.pop(0) if len(outer.statuses) > 1 else outer.statuses[0]
                payload = json.dumps({"status": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server_factory() -> Iterator[Any]:
    servers: list[_Server] = []

    def make(statuses: list[int]) -> _Server:
        servers.append(_Server(statuses))
        return servers[-1]

    yield make
    for s in servers:
        s.stop()


def test_webhook_posts_json_with_idempotency_key(server_factory, monkeypatch):
    monkeypatch.setenv("DOCPIPE_WEBHOOK_TOKEN", "s3cret")
    srv = server_factory([200])
    with WebhookSink(srv.url, backoff=0.01, headers={"X-Project": "p1"}) as sink:
        sink.write(make_invoice(), output_path="out/inv__2024-001.pdf.json")
    assert len(srv.requests) == 1
    headers, body = srv.requests[0]
    assert json.loads(body) == make_invoice().model_dump(mode="json")
    assert headers["Idempotency-Key"] == f"{INV_SHA}-1.0"
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"] == "Bearer s3cret"
    assert headers["X-Project"] == "p1"
    assert headers["X-Docpipe-Output-Path"] == "out/inv__2024-001.pdf.json"


def test_webhook_idempotency_key_of_unreadable_file():
    path_hash = hashlib.sha256(b"scans/broken.pdf").hexdigest()
    assert idempotency_key(make_failed()) == f"{path_hash}-1.0"


def test_webhook_retries_503_then_succeeds(server_factory):
    srv = server_factory([503, 503, 200])
    with WebhookSink(srv.url, retries=3, backoff=0.01) as sink:
        sink.write(make_drawing(), output_path="d.json")
    assert len(srv.requests) == 3
    assert {h["Idempotency-Key"] for h, _ in srv.requests} == {f"{DRW_SHA}-1.0"}


def test_webhook_gives_up_on_persistent_429(server_factory):
    srv = server_factory([429])
    with WebhookSink(srv.url, retries=2, backoff=0.01) as sink, pytest.raises(TransientError, match="429"):
        sink.write(make_drawing(), output_path="d.json")
    assert len(srv.requests) == 3


def test_webhook_400_fails_at_once(server_factory):
    srv = server_factory([400])
    with WebhookSink(srv.url, retries=3, backoff=0.01) as sink:
        with pytest.raises(DocpipeError, match="HTTP 400") as info:
            sink.write(make_invoice(), output_path="i.json")
    assert not isinstance(info.value, TransientError)
    assert len(srv.requests) == 1


def test_webhook_closed_port_raises_transient_after_retries():
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with WebhookSink(f"http://127.0.0.1:{port}/hook", retries=2, backoff=0.01, timeout=2) as sink:
        with pytest.raises(TransientError, match=r"after 3 attempt\(s\).*connection failed"):
            sink.write(make_failed(), output_path="f.json")
    assert time.monotonic() - t0 < 5


def test_webhook_rejects_bad_url():
    with pytest.raises(ValueError, match="Not a webhook URL"):
        WebhookSink("ftp://host/hook")
