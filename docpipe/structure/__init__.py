"""Structure: from read pages to an ``Invoice`` or a ``Drawing`` with grounded fields.

Two backends (``StructureOptions.backend``):

- ``llm`` (default): the rules' reading first, then a language model chooses among the page's grounded
  candidates and business rules pick among alternatives (:mod:`docpipe.structure.llm`). The embedded model,
  or an OpenAI-compatible server when ``llm_url`` is set. The model is loaded once per process, on first use.
- ``rules``: deterministic labels, typed candidate spans and layout. Every value it emits is built from page
  words, so it is grounded by construction.

Every call returns a :class:`Structured` (:mod:`.result`): the payload with the document's review notes,
model faults, model time and each field's source; the structurer keeps no per-document state.
"""

from __future__ import annotations

from typing import Callable

from ..errors import StructuringError
from ..options import StructureOptions
from ..types import DocType, Invoice, Page
from .dates import apply_date_order
from .drawing import extract_drawing
from .invoice import extract_invoice
from .layout import PageView
from .result import SOURCES, FieldSource, Structured

__all__ = ["SOURCES", "FieldSource", "Structured", "Structurer"]


class Structurer:
    """Builds the typed payload of a document. Build once per worker: the LLM backend is created here (a
    missing model file raises :class:`~docpipe.errors.ModelLoadError` at once) and loads on first use."""

    def __init__(self, options: StructureOptions) -> None:
        if options.backend not in ("rules", "llm"):
            raise StructuringError(f"unknown structuring backend {options.backend!r}; available: 'rules', 'llm'")
        self.options = options
        self.llm = None
        if options.backend == "llm":
            from .llm import LlmStructurer, OpenAIBackend
            from .llm.backends import ENGINES

            url = options.server_url()
            backend = (OpenAIBackend(url, options.server_model_name(), timeout=options.llm_timeout,
                                     max_repairs=options.llm_max_repairs, retries=options.llm_retries) if url
                       else ENGINES[options.llm_engine](options.model_path(), n_threads=options.llm_threads))
            self.llm = LlmStructurer(backend, max_prompt_tokens=options.llm_max_prompt_tokens,
                                     ask=options.llm_ask, receipts=options.llm_receipts)

    def share_idle_cores(self, idle: Callable[[], int]) -> None:
        """Let the embedded model use ``idle()`` more threads while it reads (the pipeline's idle workers'
        cores); no effect on the rules or a server."""
        backend = self.llm.backend if self.llm is not None else None
        if hasattr(backend, "spare_cores"):
            backend.spare_cores = idle

    def __call__(self, doc_type: DocType, pages: list[Page]) -> Structured:
        """The document's structuring; ``payload`` is None for other document types or no pages. A fault of
        the model keeps the rules' reading (``errors`` says what happened); an exception from the rules
        themselves propagates."""
        views = [PageView(p) for p in pages]
        if not views:
            return Structured()
        if doc_type in ("invoice", "receipt"):
            if self.llm is not None:
                result = self.llm.invoice(views, receipt=doc_type == "receipt")
            else:
                result = Structured.rules_only(extract_invoice(views, receipt=doc_type == "receipt"))
            if isinstance(result.payload, Invoice):  # month-first documents (structure.dates)
                apply_date_order(result.payload, views)
            return result
        if doc_type == "drawing":
            return self.llm.drawing(views) if self.llm is not None else Structured.rules_only(extract_drawing(views))
        return Structured()
