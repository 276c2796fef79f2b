"""SQL sink: write each :class:`~docpipe.types.DocumentResult` into four relational tables.

Works with SQLite (``sqlite:///path/to/docpipe.db``) through the standard library, and with PostgreSQL
(``postgresql+psycopg://user:pass@host/db``) when a driver is installed (``pip install "psycopg[binary]"``).
No Postgres driver is a hard dependency: it is imported only when such a URL is opened.

Tables (created if missing; see ``docs/sinks.md`` for every column and its type):

``documents``   one row per document, primary key ``sha256`` (the document key, below)
``fields``      one row per grounded field, e.g. ``invoice.total``, ``invoice.vendor.name``,
                ``drawing.title_block.scale``, ``invoice.line_items[0].amount``; primary key ``(sha256, name)``
``line_items``  one row per invoice line item, primary key ``(sha256, idx)``
``dimensions``  one row per drawing dimension, primary key ``(sha256, idx)``

The document key is the source file's sha256 (64 hex characters). A document whose file could not be read has
no hash (``source.sha256`` is null); it is keyed by ``"path:" + source.path`` instead, so a failed file still
gets exactly one row, and a rerun of it replaces that row. When the same path is later read successfully, its
``path:`` row is removed in the same transaction as the new row is written.

A write is an upsert: in one transaction the parent row is inserted or updated, then the document's child rows
are deleted and written again. A rerun of the same document replaces its rows and never duplicates them.
"""

from __future__ import annotations

import datetime as _dt
import json
import threading
from pathlib import Path
from typing import Any


from docpipe.errors import DocpipeError, TransientError
from docpipe.types import DocumentResult, iter_grounded

try:
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        'The SQL sink needs SQLAlchemy 2.0: pip install "sqlalchemy>=2.0,<2.1" (docpipe[flows] includes it).'
    ) from e

__all__ = ["SqlSink", "document_key", "metadata", "documents", "fields", "line_items", "dimensions"]

_PSYCOPG_HINT = 'pip install "psycopg[binary]"'

metadata = sa.MetaData()

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("sha256", sa.Text, primary_key=True, comment="file sha256, or 'path:<path>' if unreadable"),
    sa.Column("path", sa.Text, nullable=False, comment="source path relative to the input folder"),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("pages", sa.Integer, nullable=False),
    sa.Column("doc_type", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("needs_review", sa.Boolean, nullable=False),
    sa.Column("review_reasons", sa.Text, nullable=False, comment="JSON array of strings"),
    sa.Column("schema_version", sa.Text, nullable=False),
    sa.Column("output_path", sa.Text, nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, comment="UTC"),
    sa.Column("result_json", sa.Text, nullable=False, comment="the whole DocumentResult as JSON"),
)

fields = sa.Table(
    "fields",
    metadata,
    sa.Column("sha256", sa.Text, sa.ForeignKey("documents.sha256", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.Text, primary_key=True, comment="dotted path, e.g. invoice.vendor.name"),
    sa.Column("value", sa.Text, nullable=True, comment="normalised value as text (ISO date, number, code)"),
    sa.Column("value_number", sa.Float, nullable=True, comment="the value for number fields, else null"),
    sa.Column("raw", sa.Text, nullable=True, comment="the characters as read on the page"),
    sa.Column("confidence", sa.Float, nullable=True),
    sa.Column("page", sa.Integer, nullable=True),
    sa.Column("bbox", sa.Text, nullable=True, comment="JSON [x0, y0, x1, y1] in page pixels"),
)

line_items = sa.Table(
    "line_items",
    metadata,
    sa.Column("sha256", sa.Text, sa.ForeignKey("documents.sha256", ondelete="CASCADE"), primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True, comment="0-based position on the invoice"),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("quantity", sa.Float, nullable=True),
    sa.Column("unit", sa.Text, nullable=True),
    sa.Column("unit_price", sa.Float, nullable=True),
    sa.Column("amount", sa.Float, nullable=True),
)

dimensions = sa.Table(
    "dimensions",
    metadata,
    sa.Column("sha256", sa.Text, sa.ForeignKey("documents.sha256", ondelete="CASCADE"), primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True, comment="0-based position in drawing.dimensions"),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("nominal", sa.Float, nullable=True),
    sa.Column("unit", sa.Text, nullable=True),
    sa.Column("upper_deviation", sa.Float, nullable=True),
    sa.Column("lower_deviation", sa.Float, nullable=True),
    sa.Column("fit", sa.Text, nullable=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("pitch", sa.Float, nullable=True),
    sa.Column("tolerance_source", sa.Text, nullable=True),
    sa.Column("page", sa.Integer, nullable=False),
    sa.Column("bbox", sa.Text, nullable=False, comment="JSON [x0, y0, x1, y1] in page pixels"),
    sa.Column("angle", sa.Float, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
)

_CHILDREN = (fields, line_items, dimensions)


# --- rows from a result ---------------------------------------------------------------------------


def document_key(result: DocumentResult) -> str:
    """The primary key of a document: its file sha256, or ``"path:" + source.path`` when it has none."""
    return result.source.sha256 or f"path:{result.source.path}"


def _value_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    return str(value)


def _bbox_json(bbox: Any) -> str | None:
    return None if bbox is None else json.dumps(list(bbox))



def _field_rows(key: str, result: DocumentResult) -> list[dict[str, Any]]:
    rows = []
    for model, prefix in ((result.invoice, "invoice"), (result.drawing, "drawing")):
        if model is None:
            continue
        for name, g in iter_grounded(model, prefix):
            v = g.value
            number = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
            rows.append(
                {
                    "sha256": key,
                    "name": name,
                    "value": _value_text(v),
                    "value_number": number,
                    "raw": g.text,
                    "confidence": g.confidence,
                    "page": g.page,
                    "bbox": _bbox_json(g.bbox),
                }
            )
    return rows


def _line_item_rows(key: str, result: DocumentResult) -> list[dict[str, Any]]:
    if result.invoice is None:
        return []
    cols = [c.name for c in line_items.columns if c.name not in ("sha256", "idx")]
    return [
        {"sha256": key, "idx": i, **{c: getattr(getattr(li, c), "value", None) for c in cols}}
        for i, li in enumerate(result.invoice.line_items)
    ]


def _dimension_rows(key: str, result: DocumentResult) -> list[dict[str, Any]]:
    if result.drawing is None:
        return []
    rows = []
    for i, d in enumerate(result.drawing.dimensions):
        dumped = d.model_dump()
        dumped.update(sha256=key, idx=i, bbox=_bbox_json(d.bbox))
        rows.append({c.name: dumped.get(c.name) for c in dimensions.columns})  # only the table's columns
    return rows


def _document_row(key: str, result: DocumentResult, output_path: str) -> dict[str, Any]:
    s = result.source
    return {
        "sha256": key,
        "path": s.path,
        "media_type": s.media_type,
        "pages": s.pages,
        "doc_type": result.doc_type,
        "status": result.status,
        "needs_review": result.needs_review,
        "review_reasons": json.dumps(result.review_reasons, ensure_ascii=False),
        "schema_version": result.schema_version,
        "output_path": str(output_path),
        "processed_at": _dt.datetime.now(_dt.timezone.utc),
        "result_json": result.model_dump_json(),
    }


# --- engine ---------------------------------------------------------------------------------------


def _make_engine(url: str) -> sa.Engine:
    """Build the engine, resolving the Postgres driver lazily and with an actionable error."""
    try:
        parsed = sa.engine.make_url(url)
    except sa_exc.ArgumentError as e:
        raise ValueError(
            f"Not a database URL: {url!r}. Use sqlite:///path/to/docpipe.db or "
            "postgresql+psycopg://user:password@host:5432/dbname."
        ) from e
    backend = parsed.get_backend_name()
    if backend == "postgres":  # the old Heroku spelling, which SQLAlchemy 2 rejects
        parsed = parsed.set(drivername="postgresql" + parsed.drivername[len("postgres") :])
        backend = "postgresql"
    if backend == "postgresql" and "+" not in parsed.drivername:
        # Plain postgresql:// means psycopg2 to SQLAlchemy; prefer psycopg 3, which we recommend.
        try:
            import psycopg  # noqa: F401

            parsed = parsed.set(drivername="postgresql+psycopg")
        except ImportError:
            pass
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DocpipeError(
                f"Cannot create the folder {str(folder)!r} for the SQLite database ({e}). "
                "Choose a writable path in the sqlite:///… URL."
            ) from e
    try:
        engine = sa.create_engine(parsed)
    except ImportError as e:  # the DB-API driver is imported here
        if backend == "postgresql":
            raise DocpipeError(
                f"No PostgreSQL driver for {parsed.drivername!r} ({e}). Install one with: {_PSYCOPG_HINT} "
                "and use a postgresql+psycopg://user:password@host/dbname URL."
            ) from e
        raise DocpipeError(f"No database driver for {parsed.drivername!r} ({e}). Install it and retry.") from e
    except sa_exc.NoSuchModuleError as e:
        raise ValueError(
            f"Unknown database driver {parsed.drivername!r} in the sink URL. "
            "Use sqlite:///path.db or postgresql+psycopg://…"
        ) from e
    if getattr(engine.dialect, "is_async", False):
        engine.dispose()
        raise ValueError(
            f"The async driver in {parsed.drivername!r} is not supported by SqlSink; "
            "use postgresql+psycopg://… or sqlite:///…"
        )
    if backend == "sqlite":
        # SQLite ignores foreign keys unless asked, per connection.
        @sa.event.listens_for(engine, "connect")
        def _fk_on(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


def _upsert_stmt(engine: sa.Engine, row: dict[str, Any]) -> sa.Executable | None:
    """An INSERT … ON CONFLICT DO UPDATE for the parent row, or None where the dialect has none."""
    name = engine.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        return None
    stmt = insert(documents).values(**row)
    return stmt.on_conflict_do_update(
        index_elements=[documents.c.sha256],
        set_={k: stmt.excluded[k] for k in row if k != "sha256"},
    )


class SqlSink:
    """Write document results to a SQL database (SQLite or PostgreSQL), one transaction per document.

    ``SqlSink(url)`` connects and creates the four tables if missing. Use it as a context manager, or call
    :meth:`close`. One ``SqlSink`` may be shared by the threads of a process (writes are serialised with a
    lock); for several processes, give each its own sink. SQLite serialises writers itself (a busy writer
    waits up to its timeout); PostgreSQL serialises writers of the same document on its parent row.

    Errors: a database that cannot be reached or is locked raises :class:`~docpipe.errors.TransientError`
    (a retry may succeed); any other database error raises :class:`~docpipe.errors.DocpipeError`.
    """

    def __init__(self, url: str) -> None:
        self._engine = _make_engine(url)
        self._safe_url = self._engine.url.render_as_string(hide_password=True)
        self._lock = threading.Lock()
        self._closed = False
        self._run("create the docpipe tables", lambda: metadata.create_all(self._engine))

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._safe_url

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine, for reading the tables back."""
        return self._engine

    def write(self, result: DocumentResult, *, output_path: str) -> None:
        """Insert or replace ``result`` and its fields, line items and dimensions, in one transaction.

        ``output_path`` is where the JSON file of this result was written; it is stored in ``documents``.
        """
        if self._closed:
            raise DocpipeError("This SqlSink is closed; open a new one with SqlSink(url).")
        key = document_key(result)
        parent = _document_row(key, result, output_path)
        children = (
            (fields, _field_rows(key, result)),
            (line_items, _line_item_rows(key, result)),
            (dimensions, _dimension_rows(key, result)),
        )

        def tx() -> None:
            with self._engine.begin() as conn:
                # Parent first: on PostgreSQL the upsert locks the row, so two writers of one document
                # take turns instead of colliding on the child primary keys.
                stmt = _upsert_stmt(self._engine, parent)
                if stmt is None:
                    for table in (*_CHILDREN, documents):  # children first, for the foreign keys
                        conn.execute(sa.delete(table).where(table.c.sha256 == key))
                    conn.execute(sa.insert(documents), [parent])
                else:
                    conn.execute(stmt)
                for table, rows in children:
                    conn.execute(sa.delete(table).where(table.c.sha256 == key))
                    if rows:
                        conn.execute(sa.insert(table), rows)
                if result.source.sha256:
                    self._drop_path_key(conn, f"path:{result.source.path}")

        with self._lock:
            self._run(f"write {result.source.path!r}", tx)

    @staticmethod
    def _drop_path_key(conn: sa.Connection, path_key: str) -> None:
        """Remove the row a failed earlier run left for this path, now that the file has a hash."""
        for table in (*_CHILDREN, documents):
            conn.execute(sa.delete(table).where(table.c.sha256 == path_key))

    def _run(self, what: str, fn: Any) -> None:
        try:
            fn()
        except sa_exc.OperationalError as e:
            raise TransientError(
                f"Could not {what} in {self._safe_url}: {e.orig or e}. {self._check_hint()}"
            ) from e
        except sa_exc.DBAPIError as e:
            if e.connection_invalidated:
                raise TransientError(
                    f"Lost the connection to {self._safe_url} while trying to {what}: {e.orig}. Retry."
                ) from e
            raise DocpipeError(
                f"Database error while trying to {what} in {self._safe_url}: {e.orig}. If the docpipe tables "
                "were created by another version, compare them with docs/sinks.md."
            ) from e
        except sa_exc.SQLAlchemyError as e:
            raise DocpipeError(f"Could not {what} in {self._safe_url}: {e}") from e

    def _check_hint(self) -> str:
        if self._engine.dialect.name == "sqlite":
            return (
                "Check that the database file and its folder are writable and that no other process holds a "
                "long write lock on it; then retry."
            )
        return "Check that the database server is running and reachable, and the user and password; then retry."

    def close(self) -> None:
        """Release the database connections. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    def __enter__(self) -> SqlSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqlSink({self._safe_url!r})"
