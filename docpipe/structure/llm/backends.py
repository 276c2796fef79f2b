"""LLM backends behind one interface: ``complete(prompt, schema, *, system, choices) -> JSON text``.

- :class:`LlamaCppBackend`: the embedded default, a GGUF model run in-process by llama-cpp-python, loaded
  once per process. Output is schema-constrained by construction: see :mod:`.decode`.
- :class:`TransformersBackend`: the same weights run by transformers on torch with the same constrained decoder
  (``--llm-engine transformers``; :mod:`.engine_transformers`).
- :class:`OpenAIBackend`: any OpenAI-compatible server (vLLM, Ollama, llama.cpp server) over
  ``/v1/chat/completions`` with ``response_format: json_schema`` (falling back to ``json_object`` or plain
  text for servers without it), the reply validated with pydantic and re-asked with the validation error at
  most ``max_repairs`` times. Transient failures (connection error, timeout, HTTP 429/500/502/503/504) are
  retried ``retries`` times with exponential back-off, honouring the server's ``Retry-After``.
- :class:`FakeBackend`: queued replies, for tests.

``choices`` maps a field to the page strings it may be copied from: a decoding hint that only the embedded
backend uses (servers get the JSON Schema; their free strings are grounded afterwards).
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import time
from collections import deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Protocol

from pydantic import BaseModel, ValidationError

from ...errors import ModelLoadError, StructuringError, TransientError

API_KEY_ENV = "DOCPIPE_LLM_API_KEY"
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
log = logging.getLogger("docpipe")


class Backend(Protocol):
    name: str

    def complete(self, prompt: str, schema: dict[str, Any], *, system: str | None = None,
                 choices: dict[str, list[str]] | None = None,
                 reply_model: type[BaseModel] | None = None) -> str:
        """The model's reply to ``prompt``: a JSON object text that satisfies ``schema``."""
        ...


class FakeBackend:
    """Returns queued replies in order (a ``str``, a ``dict`` serialised to JSON, or an exception to raise);
    records every call in ``calls`` as ``(prompt, schema)``."""

    name = "fake"

    def __init__(self, replies: list[Any] | None = None) -> None:
        self.replies: deque[Any] = deque(replies or [])
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.field_confidence: dict[str, float] = {}

    def complete(self, prompt: str, schema: dict[str, Any], *, system: str | None = None,
                 choices: dict[str, list[str]] | None = None,
                 reply_model: type[BaseModel] | None = None) -> str:
        self.calls.append((prompt, schema))
        if not self.replies:
            raise StructuringError("fake backend: no reply queued")
        reply = self.replies.popleft()
        if isinstance(reply, BaseException):
            raise reply
        return reply if isinstance(reply, str) else json.dumps(reply)


# --- OpenAI-compatible servers ------------------------------------------------------------------------------


class _Busy(TransientError):
    """A transient server failure, with the wait the server asked for (``Retry-After``), seconds, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header as seconds from now: delta-seconds or an HTTP-date (RFC 9110); None when
    absent or unreadable. A date in the past is 0."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class OpenAIBackend:
    """An OpenAI-compatible chat-completions endpoint. ``url`` is the server root or its ``/v1``; the key, if
    any, comes from ``$DOCPIPE_LLM_API_KEY``. Temperature 0.

    Each request that fails transiently (connection error, timeout, HTTP 429, 500, 502, 503, 504) is retried
    up to ``retries`` times, waiting ``backoff`` x 2^n seconds (1, 2, 4, ... capped at ``max_backoff``), or the
    server's ``Retry-After`` (seconds or an HTTP-date) when it sends one, capped at ``max_retry_after``
    seconds (a server asking for longer is retried after the cap: a warning is logged). The waits of one
    request stop at ``max_wait`` seconds in all; then a :class:`~docpipe.errors.TransientError` says so.
    ``sleep`` is injectable so tests do not wait."""

    name = "openai"

    def __init__(self, url: str, model: str, *, timeout: float = 120.0, max_repairs: int = 2,
                 max_tokens: int = 512, api_key: str | None = None, retries: int = 3, backoff: float = 1.0,
                 max_backoff: float = 30.0, max_retry_after: float = 60.0, max_wait: float = 180.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import httpx

        base = url.rstrip("/")
        self.endpoint = base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")
        self.model = model
        self.max_repairs = max_repairs
        self.max_tokens = max_tokens
        self.retries = max(0, retries)
        self.backoff, self.max_backoff = backoff, max_backoff
        self.max_retry_after, self.max_wait = max_retry_after, max_wait
        self.sleep = sleep
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)
        self._format = "json_schema"  # downgraded once if the server rejects it
        self.field_confidence: dict[str, float] = {}

    def _post(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> str:
        import httpx

        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0,
                                "max_tokens": self.max_tokens}
        if self._format == "json_schema":
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "document_fields", "schema": schema}}
        elif self._format == "json_object":
            body["response_format"] = {"type": "json_object"}
        try:
            r = self._client.post(self.endpoint, json=body)
        except httpx.TimeoutException as e:
            raise _Busy(f"LLM server at {self.endpoint} timed out ({type(e).__name__}: {e}); retry later or "
                        "raise the timeout (llm_timeout)") from e
        except httpx.HTTPError as e:
            raise _Busy(f"LLM server at {self.endpoint} is unreachable ({type(e).__name__}: {e}); check "
                        "--llm-url and that the server runs") from e
        if r.status_code == 400 and self._format != "text" and "response_format" in r.text:
            self._format = "json_object" if self._format == "json_schema" else "text"
            return self._post(messages, schema)
        if r.status_code in TRANSIENT_STATUS:
            raise _Busy(f"LLM server answered {r.status_code}; retry later",
                        retry_after_seconds(r.headers.get("Retry-After")))
        if r.status_code != 200:
            raise StructuringError(f"LLM server answered {r.status_code}: {r.text[:200]}; check --llm-url, "
                                   f"--llm-model-name and ${API_KEY_ENV}")
        try:
            return r.json()["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise StructuringError(f"LLM server sent an unexpected reply: {r.text[:200]}") from e

    def _post_with_retries(self, messages: list[dict[str, str]], schema: dict[str, Any]) -> str:
        """:meth:`_post`, retried on transient failures with back-off (see the class docstring)."""
        waited = 0.0
        for attempt in range(self.retries + 1):
            try:
                return self._post(messages, schema)
            except _Busy as e:
                if attempt == self.retries:
                    raise TransientError(f"{e} (gave up after {attempt + 1} attempts, {waited:.0f} s of waiting; "
                                         "llm_retries sets the number of retries)") from e
                delay = min(self.backoff * 2 ** attempt, self.max_backoff)
                if e.retry_after is not None:
                    delay = e.retry_after
                    if delay > self.max_retry_after:
                        log.warning("LLM server asked to retry after %.0f s; waiting %.0f s (the cap)", delay,
                                    self.max_retry_after)
                        delay = self.max_retry_after
                if waited + delay > self.max_wait:
                    raise TransientError(f"{e} (gave up after {attempt + 1} attempts: the next wait of {delay:.0f} s "
                                         f"would pass the {self.max_wait:.0f} s limit on waiting)") from e
                log.info("LLM server: %s; retry %d of %d in %.1f s", e, attempt + 1, self.retries, delay)
                self.sleep(delay)
                waited += delay
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def complete(self, prompt: str, schema: dict[str, Any], *, system: str | None = None,
                 choices: dict[str, list[str]] | None = None,
                 reply_model: type[BaseModel] | None = None) -> str:
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        last_error = ""
        for _attempt in range(self.max_repairs + 1):
            text = self._post_with_retries(messages, schema)
            try:
                data = json.loads(_strip_fences(text))
                if reply_model is not None:
                    reply_model.model_validate(data)
                return json.dumps(data)
            except (ValueError, ValidationError) as e:
                last_error = str(e).splitlines()[0] if isinstance(e, json.JSONDecodeError) else str(e)
                messages = messages + [
                    {"role": "assistant", "content": text},
                    {"role": "user", "content": f"That reply is not valid: {last_error[:600]}\n"
                                                "Reply again with the corrected JSON object only."}]
        raise StructuringError(f"the LLM server gave no valid JSON after {self.max_repairs} repairs: "
                               f"{last_error[:200]}")


def _strip_fences(text: str) -> str:
    t = text.strip()
    if t.startswith("```"):
        t = t.split("\n", 1)[1] if "\n" in t else t[3:]
        t = t.rsplit("```", 1)[0]
    return t.strip()


# --- embedded llama.cpp -------------------------------------------------------------------------------------

_LOADED: dict[tuple[str, int, int], Any] = {}  # one Llama per model file and settings, per process


def _close_all() -> None:
    """Free loaded models before interpreter teardown: llama-cpp-python's own ``__del__`` runs too late at
    exit and prints a TypeError traceback."""
    while _LOADED:
        _, llm = _LOADED.popitem()
        try:
            llm.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


class LlamaCppBackend:
    """A GGUF chat model run by llama-cpp-python in this process; the model loads on first use, once per
    process (each pipeline worker holds its own). Raises :class:`ModelLoadError` with what to do when the
    file or llama-cpp-python is missing."""

    name = "llama.cpp"

    def __init__(self, model_path: Path, *, n_threads: int | None = None, n_ctx: int = 4096) -> None:
        self.model_path = Path(model_path)
        self.n_threads = n_threads or 1
        self.n_ctx = n_ctx
        check_model(self.model_path)
        import importlib.util

        if importlib.util.find_spec("llama_cpp") is None:
            raise ModelLoadError("llama-cpp-python is not installed; run 'make setup' (scripts/setup-models.sh "
                                 "builds it once for this CPU)")
        self._llm = None
        self._threads = self.n_threads
        self.spare_cores: Callable[[], int] = lambda: 0
        self.load_seconds = 0.0
        self.last_stats: dict[str, float] = {}  # the last reply's tokens and seconds (decode.ConstrainedDecoder.stats)
        self.field_confidence: dict[str, float] = {}

    @property
    def llm(self):
        if self._llm is None:
            key = (str(self.model_path.resolve()), self.n_threads, self.n_ctx)
            if key not in _LOADED:
                t0 = time.perf_counter()
                try:
                    from llama_cpp import Llama
                except ImportError as e:
                    raise ModelLoadError("llama-cpp-python is not installed; run 'make setup' "
                                         "(scripts/setup-models.sh builds it once for this CPU)") from e
                try:
                    _LOADED[key] = Llama(model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                                         n_threads_batch=self.n_threads, n_batch=512, verbose=False)
                except Exception as e:  # llama.cpp reports a bad file as ValueError/RuntimeError
                    raise ModelLoadError(f"cannot load the LLM {self.model_path}: {e}; run 'make setup' to fetch "
                                         "the default model, or pass another GGUF with --llm-model") from e
                self.load_seconds = time.perf_counter() - t0
                if len(_LOADED) == 1:
                    import atexit

                    atexit.register(_close_all)
            self._llm = _LOADED[key]
        return self._llm

    def _adjust_threads(self) -> None:
        """``n_threads`` plus the cores :attr:`spare_cores` reports idle now (the pipeline's idle workers at the
        end of a batch: prompt reading runs twice as fast on two cores as on one). Called between chunks of
        the prompt, so a core is given back within one chunk when work arrives."""
        want = self.n_threads + max(0, int(self.spare_cores()))
        if want != self._threads:
            self.llm._ctx.set_n_threads(want, want)
            self._threads = want

    def complete(self, prompt: str, schema: dict[str, Any], *, system: str | None = None,
                 choices: dict[str, list[str]] | None = None,
                 reply_model: type[BaseModel] | None = None) -> str:
        from .decode import ConstrainedDecoder, supported

        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        if supported(schema):
            dec = ConstrainedDecoder(self.llm, before_eval=self._adjust_threads)
            text = dec.run(messages, schema, choices or {})
            self.field_confidence = dec.field_confidence
            self.last_stats = dec.stats
            return text
        from llama_cpp import LlamaGrammar

        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        out = self.llm.create_chat_completion(messages=messages, grammar=grammar, temperature=0.0, max_tokens=512)
        self.field_confidence = {}
        return out["choices"][0]["message"]["content"]


def check_model(path: Path) -> None:
    if not path.is_file():
        raise ModelLoadError(f"the LLM model file {path} is missing; run 'make setup' (scripts/setup-models.sh "
                             "fetches the default model) or pass --llm-model PATH to a GGUF file")


# --- embedded transformers -----------------------------------------------------------------------------------

_LOADED_TF: dict[tuple[str, str], Any] = {}  # one (model, tokenizer) per weights and dtype, per process


class TransformersBackend:
    """The same weights run by transformers on torch (``--llm-engine transformers``), with the same constrained
    decoder as :class:`LlamaCppBackend` (:class:`~docpipe.structure.llm.engine_transformers.TransformersEngine`).
    ``model_path`` is a GGUF file (dequantised once into a cache folder, see :mod:`.engine_transformers`) or a
    folder of transformers weights. Loads on first use, once per process. Raises :class:`ModelLoadError` with
    what to do when the weights or the packages are missing."""

    name = "transformers"

    def __init__(self, model_path: Path, *, n_threads: int | None = None, n_ctx: int = 4096,
                 cache: Path | None = None) -> None:
        self.model_path = Path(model_path)
        self.n_threads = n_threads or 1
        self.n_ctx = n_ctx
        self.cache = cache
        if not self.model_path.is_dir():
            check_model(self.model_path)
        from .engine_transformers import missing_packages

        missing = missing_packages(gguf=not self.model_path.is_dir())
        if missing:
            raise ModelLoadError(f"--llm-engine transformers needs {', '.join(missing)}, not installed: run "
                                 "'make setup' (pinned in requirements.lock), or use --llm-engine llamacpp")
        self._engine = None
        self.spare_cores: Callable[[], int] = lambda: 0
        self.load_seconds = 0.0
        self.last_stats: dict[str, float] = {}
        self.field_confidence: dict[str, float] = {}

    @property
    def engine(self):
        if self._engine is None:
            from .engine_transformers import TransformersEngine, load

            key = (str(self.model_path.resolve()), "float32")
            if key not in _LOADED_TF:
                t0 = time.perf_counter()
                _LOADED_TF[key] = TransformersEngine(*load(self.model_path, cache=self.cache), n_ctx=self.n_ctx)
                self.load_seconds = time.perf_counter() - t0
            self._engine = _LOADED_TF[key]
        return self._engine

    def prepare(self) -> None:
        """Convert a GGUF file into the cache now if it is not there (in the parent process, once, rather than
        in every worker), or check a folder's config; :class:`ModelLoadError` if the weights cannot be read."""
        if self._engine is None:
            from .engine_transformers import prepare

            prepare(self.model_path, cache=self.cache)

    def _adjust_threads(self) -> None:
        """torch threads: ``n_threads`` plus the cores :attr:`spare_cores` reports idle now (as llama.cpp's)."""
        import torch

        want = self.n_threads + max(0, int(self.spare_cores()))
        if torch.get_num_threads() != want:
            torch.set_num_threads(want)

    def complete(self, prompt: str, schema: dict[str, Any], *, system: str | None = None,
                 choices: dict[str, list[str]] | None = None,
                 reply_model: type[BaseModel] | None = None) -> str:
        from .decode import ConstrainedDecoder, supported

        if not supported(schema):
            raise StructuringError("the transformers engine decodes flat objects of nullable enums and strings "
                                   "only (docpipe.structure.llm.decode.supported); use --llm-engine llamacpp")
        import torch

        engine = self.engine
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
        threads = torch.get_num_threads()  # the detector's setting in this process: given back afterwards
        try:
            dec = ConstrainedDecoder(engine, before_eval=self._adjust_threads)
            text = dec.run(messages, schema, choices or {})
        finally:
            torch.set_num_threads(threads)
        self.field_confidence = dec.field_confidence
        self.last_stats = dec.stats
        return text


ENGINES = {"llamacpp": LlamaCppBackend, "transformers": TransformersBackend}
"""The embedded engines by their ``--llm-engine`` name."""
