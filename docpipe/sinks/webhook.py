"""Webhook sink: POST each :class:`~docpipe.types.DocumentResult` as JSON to an HTTP(S) endpoint.

The body is exactly the document JSON of the contract (``result.model_dump(mode="json")``). Headers:

``Content-Type: application/json``
``Idempotency-Key: <key>-<schema_version>``, where ``<key>`` is the source file's sha256, or, for a file that
    could not be read (no hash), the sha256 of its UTF-8 path. The key names the *document*, not this run's
    result: a receiver should treat a repeated key as "replace", not "drop", or it will ignore reprocessed
    documents.
``X-Docpipe-Output-Path``: where docpipe wrote the JSON file, percent-encoded.
``Authorization: Bearer <token>`` when ``DOCPIPE_WEBHOOK_TOKEN`` is set (an explicit header wins).

Connection errors, timeouts, HTTP 429 and 5xx are retried with exponential backoff (``backoff * 2**n``
seconds, or the server's ``Retry-After`` when longer, at most 60 s); other 4xx fail at once. Redirects are not
followed (a POST would turn into a GET): use the final URL.
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.parse
from typing import Mapping

import httpx

from docpipe.errors import DocpipeError, TransientError
from docpipe.types import DocumentResult

__all__ = ["WebhookSink", "idempotency_key", "TOKEN_ENV"]

TOKEN_ENV = "DOCPIPE_WEBHOOK_TOKEN"
_MAX_DELAY_S = 60.0

_HINTS = {
    401: f"check the token in {TOKEN_ENV} or the Authorization header",
    403: f"check that the token in {TOKEN_ENV} may post to this endpoint",
    404: "check the webhook URL",
    405: "check the webhook URL: the endpoint does not accept POST",
    413: "the receiver's body size limit is too small for this document; raise it",
    415: "the receiver does not accept application/json",
}


def idempotency_key(result: DocumentResult) -> str:
    """``<sha256>-<schema_version>``; for an unreadable file the sha256 of its path stands in for the hash."""
    key = result.source.sha256 or hashlib.sha256(result.source.path.encode("utf-8")).hexdigest()
    return f"{key}-{result.schema_version}"


class WebhookSink:
    """POST document results to ``url``; retry what a retry can fix.

    Args:
        url: ``http://`` or ``https://`` endpoint.
        timeout: seconds for each attempt (connect, read, write and pool, each).
        retries: further attempts after the first one (``retries=3``: up to 4 requests).
        backoff: first delay in seconds; doubles after each failed attempt.
        headers: extra headers, sent with every request; they override the defaults.

    Raises (from :meth:`write`): :class:`~docpipe.errors.TransientError` when every attempt failed on a
    retriable condition; :class:`~docpipe.errors.DocpipeError` on a 3xx or a 4xx other than 429.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"Not a webhook URL: {url!r}. Use http(s)://host[:port]/path.")
        if retries < 0 or backoff < 0 or timeout <= 0:
            raise ValueError("WebhookSink needs retries >= 0, backoff >= 0 and timeout > 0.")
        self.url = url
        self.retries = retries
        self.backoff = backoff
        base = {"Content-Type": "application/json", "Accept": "application/json"}
        token = os.environ.get(TOKEN_ENV, "").strip()
        if token:
            base["Authorization"] = f"Bearer {token}"
        base.update(headers or {})
        self._client = httpx.Client(timeout=timeout, headers=base, follow_redirects=False)

    def write(self, result: DocumentResult, *, output_path: str) -> None:
        """POST ``result``; return when the receiver answered 2xx."""
        body = result.model_dump_json().encode("utf-8")  # same JSON as model_dump(mode="json")
        headers = {
            "Idempotency-Key": idempotency_key(result),
            "X-Docpipe-Output-Path": urllib.parse.quote(str(output_path), safe="/:"),
        }
        what = f"POST {result.source.path!r} to {self._safe_url}"
        last = ""
        for attempt in range(self.retries + 1):
            retry_after = 0.0
            try:
                resp = self._client.post(self.url, content=body, headers=headers)
            except httpx.TimeoutException as e:
                last = f"timed out ({type(e).__name__})"
            except httpx.TransportError as e:
                last = f"connection failed ({type(e).__name__}: {e})"
            else:
                status = resp.status_code
                if 200 <= status < 300:
                    return
                if status == 429 or status >= 500:
                    last = f"HTTP {status} {resp.reason_phrase}: {_snippet(resp)}"
                    retry_after = _retry_after(resp)
                elif 300 <= status < 400:
                    raise DocpipeError(
                        f"{what}: HTTP {status} redirect to {resp.headers.get('location')!r}. "
                        "Configure the final URL; docpipe does not follow redirects for POST."
                    )
                else:
                    hint = _HINTS.get(status, "the receiver rejected the document; check its log and what it "
                                      f"expects of schema version {result.schema_version}")
                    raise DocpipeError(
                        f"{what}: HTTP {status} {resp.reason_phrase}: {_snippet(resp)}. Not retried: {hint}."
                    )
            if attempt < self.retries:
                time.sleep(min(_MAX_DELAY_S, max(self.backoff * 2**attempt, retry_after)))
        raise TransientError(
            f"{what} failed after {self.retries + 1} attempt(s); last: {last}. Check that the receiver is up "
            "and reachable from this machine (URL, port, proxy, firewall); a later retry may succeed."
        )

    @property
    def _safe_url(self) -> str:
        """The URL without user info or query (which may hold secrets)."""
        p = urllib.parse.urlsplit(self.url)
        host = p.hostname or ""
        if p.port:
            host = f"{host}:{p.port}"
        return urllib.parse.urlunsplit((p.scheme, host, p.path, "", ""))

    def close(self) -> None:
        """Close the HTTP connection pool. Safe to call twice."""
        self._client.close()

    def __enter__(self) -> WebhookSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"WebhookSink({self._safe_url!r})"


def _snippet(resp: httpx.Response, limit: int = 200) -> str:
    text = resp.text.strip().replace("\n", " ")
    return (text[:limit] + "…") if len(text) > limit else (text or "(empty body)")


def _retry_after(resp: httpx.Response) -> float:
    """Seconds from a numeric ``Retry-After`` header; 0 when absent or an HTTP date (not worth parsing)."""
    try:
        return max(0.0, float(resp.headers.get("retry-after", "0")))
    except ValueError:
        return 0.0
