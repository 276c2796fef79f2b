"""The prompt: a compact, layout-aware text view of the document, and a short instruction.

Reading the prompt dominates the embedded model's time (60-250 tokens/s on 2 cores), so the view is terse:
one row per line of text across the page, columns of the same row joined by `` | ``, a ``--- page N ---``
marker between pages, and a character budget. When a document is longer than the budget, rows that hold
no typed candidate (date, amount, ID) on pages after the first are left out first, then the rest is cut.

Typed candidates are marked inline where they are printed, e.g. ``Datum: 05.03.2018``; the reply schema
lists them as the only values a typed field may take (see :mod:`.schema`), so the model copies one.
"""

from __future__ import annotations

from ..layout import PageView
from .candidates import Candidates
from .schema import ReplySpec

SYSTEM = ("You extract fields from OCR text of business documents. Answer with JSON only. Copy values "
          "exactly as printed; use null when a field is not on the document.")
MAX_CHARS = 3600  # ~1,000 tokens of OCR text


def page_rows(view: PageView) -> list[str]:
    """Rows of the page top to bottom; lines of one row (columns) joined by ' | '."""
    return [" | ".join(ln.text for ln in row) for row in view.rows()]


def document_view(views: list[PageView], cands: Candidates, *, max_chars: int = MAX_CHARS) -> str:
    typed = {id(c.span.words[0]) for k in ("date", "amount", "id") for c in cands.by_kind.get(k, [])}
    blocks: list[list[tuple[str, bool]]] = []
    for view in views:
        rows = []
        for row in view.rows():
            text = " | ".join(ln.text for ln in row)
            has_typed = any(id(w) in typed for ln in row for w in ln.words)
            rows.append((text, has_typed))
        blocks.append(rows)
    size = lambda: sum(len(t) + 1 for rows in blocks for t, _ in rows)  # noqa: E731
    if size() > max_chars:
        # Keep page 1 whole; later pages keep the rows with dates, amounts and IDs (totals, references).
        blocks = [blocks[0]] + [[r for r in rows if r[1]] for rows in blocks[1:]]
    out: list[str] = []
    used = 0
    for n, rows in enumerate(blocks, start=1):
        if len(blocks) > 1:
            out.append(f"--- page {n} ---")
        for text, _ in rows:
            if used + len(text) + 1 > max_chars:
                break
            out.append(text)
            used += len(text) + 1
    return "\n".join(out)


def invoice_prompt(views: list[PageView], cands: Candidates, spec: ReplySpec, *, receipt: bool,
                   max_chars: int = MAX_CHARS) -> str:
    kind = "receipt" if receipt else "invoice"
    fields = "; ".join(f"{f.name}: {f.description}" for f in spec.fields)
    return (f"Document ({kind}), OCR text in reading order, '|' separates columns:\n"
            f"{document_view(views, cands, max_chars=max_chars)}\n\n"
            f"Fields: {fields}.\nReturn the JSON object.")


def title_block_prompt(lines: list[str], spec: ReplySpec) -> str:
    fields = "; ".join(f"{f.name}: {f.description}" for f in spec.fields)
    return ("Title block of an engineering drawing, OCR text:\n" + "\n".join(lines) +
            f"\n\nFields: {fields}.\nReturn the JSON object.")
