"""Downstream sinks: hand each finished :class:`~docpipe.types.DocumentResult` to a project system.

``open_sink(spec)`` picks the sink from a URL:

==============================================  ====================================================
``sqlite:///path/to/docpipe.db``                :class:`~docpipe.sinks.sql.SqlSink` (standard library)
``postgresql+psycopg://user:pw@host/db``        :class:`~docpipe.sinks.sql.SqlSink` (``pip install "psycopg[binary]"``)
``http://…`` / ``https://…``                    :class:`~docpipe.sinks.webhook.WebhookSink` (httpx)
==============================================  ====================================================

Every sink has ``write(result, *, output_path)`` and ``close()`` and is a context manager::

    with open_sink("sqlite:///out/docpipe.db") as sink:
        sink.write(result, output_path="out/plans__a.pdf.json")

The sink modules are imported on first use, so ``import docpipe.sinks`` needs neither SQLAlchemy nor httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from docpipe.types import DocumentResult

if TYPE_CHECKING:
    from docpipe.sinks.sql import SqlSink
    from docpipe.sinks.webhook import WebhookSink

__all__ = ["Sink", "open_sink", "SqlSink", "WebhookSink"]


@runtime_checkable
class Sink(Protocol):
    """Where finished documents go. ``write`` raises ``TransientError`` when a retry may succeed."""

    def write(self, result: DocumentResult, *, output_path: str) -> None:
        """Deliver one result; ``output_path`` is where its JSON file was written."""
        ...

    def close(self) -> None:
        """Release connections. Safe to call twice."""
        ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> None: ...


def open_sink(spec: str, **options: Any) -> Sink:
    """Open the sink a URL names; ``options`` go to the sink's constructor (e.g. ``retries=5`` for webhooks).

    Raises ``ValueError`` for a spec that names no known sink.
    """
    s = spec.strip()
    scheme = s.split(":", 1)[0].lower() if ":" in s else ""
    backend = scheme.split("+", 1)[0]
    if backend in ("sqlite", "postgresql", "postgres") and s[len(scheme) :].startswith("://"):
        from docpipe.sinks.sql import SqlSink

        return SqlSink(s, **options)
    if scheme in ("http", "https") and s[len(scheme) :].startswith("://"):
        from docpipe.sinks.webhook import WebhookSink

        return WebhookSink(s, **options)
    hint = ""
    if s.lower().endswith((".db", ".sqlite", ".sqlite3")):
        hint = f" Did you mean 'sqlite:///{s}'?"
    raise ValueError(
        f"Unknown sink {spec!r}.{hint} Use one of: sqlite:///path/to/docpipe.db, "
        "postgresql+psycopg://user:password@host:5432/dbname, https://host/path (webhook)."
    )


def __getattr__(name: str) -> Any:
    # Lazy attributes, so that importing the package does not import SQLAlchemy or httpx.
    if name == "SqlSink":
        from docpipe.sinks.sql import SqlSink

        return SqlSink
    if name == "WebhookSink":
        from docpipe.sinks.webhook import WebhookSink

        return WebhookSink
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
