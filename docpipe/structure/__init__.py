"""Structure: from read pages to an ``Invoice`` or a ``Drawing`` with grounded fields.

The ``rules`` backend (the default until the LLM stage lands) is deterministic: labels, typed candidate
spans and layout. Every value it emits is built from page words, so it is grounded by construction.
"""

from __future__ import annotations

from ..errors import StructuringError
from ..options import StructureOptions
from ..types import DocType, Drawing, Invoice, Page
from .drawing import extract_drawing
from .invoice import extract_invoice
from .layout import PageView


class Structurer:
    """Builds the typed payload of a document. Build once per worker."""

    def __init__(self, options: StructureOptions) -> None:
        if options.backend != "rules":
            raise StructuringError(f"unknown structuring backend {options.backend!r}; available: 'rules'")
        self.options = options

    def __call__(self, doc_type: DocType, pages: list[Page]) -> Invoice | Drawing | None:
        views = [PageView(p) for p in pages]
        if not views:
            return None
        if doc_type in ("invoice", "receipt"):
            return extract_invoice(views, receipt=doc_type == "receipt")
        if doc_type == "drawing":
            return extract_drawing(views)
        return None
