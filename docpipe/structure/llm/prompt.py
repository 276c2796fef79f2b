"""The prompt: a compact, layout-aware text view of the document, and a short instruction.

Reading the prompt dominates the embedded model's time (60-250 tokens/s on 2 cores), so the view is terse:
one row per line of text across the page, columns of the same row joined by `` | ``, a ``--- page N ---``
marker between pages, and a character budget filled by priority (see :func:`document_view`).

Typed candidates stay where they are printed, next to their labels (``Datum: | 05.03.2018``); the reply
schema lists them as the only values a typed field may take (see :mod:`.schema`), so the model copies one.
"""

from __future__ import annotations

from ...geometry import overlaps
from ...options import DEFAULT_PROMPT_TOKENS
from ..layout import PageView
from .candidates import Candidates
from .schema import ReplySpec

SYSTEM = ("You extract fields from OCR text of business documents. Answer with JSON only. Copy values "
          "exactly as printed; use null when a field is not on the document.")


def tokens(text: str) -> float:
    """Rough token count: Qwen-style tokenizers spend one token per digit and ~3.2 characters per token on
    the rest of OCR text."""
    digits = sum(ch.isdigit() for ch in text)
    return digits + (len(text) - digits) / 3.2


def document_view(views: list[PageView], cands: Candidates, *, max_tokens: int = DEFAULT_PROMPT_TOKENS,
                  skip: list[tuple[int, tuple[int, int, int, int]]] = (), names_only: bool = False) -> str:
    """Rows of every page in reading order, within ``max_tokens`` (estimated by :func:`tokens`). Rows are kept by priority, then printed in
    page order: (0) the top third of page 1 (parties, title, references) and rows holding a date, amount or
    ID; (1) the rest of page 1; (2) the rest. Rows that overlap a ``skip`` box (line items the rules already
    read: many tokens, no key field) come last. ``names_only`` (an ask of party names alone): typed rows get no
    priority, so the budget goes to the top of page 1 where letterheads are."""
    typed = set() if names_only else {id(c.span.words[0]) for k in ("date", "amount", "id")
                                      for c in cands.by_kind.get(k, [])}
    rows: list[tuple[int, int, str]] = []  # (priority, order, text)
    for n, view in enumerate(views):
        for row in view.rows():
            text = " | ".join(ln.text for ln in row)
            boxes = [ln.bbox for ln in row]
            if any(page == view.number and overlaps(b, box) for page, box in skip for b in boxes):
                prio = 3
            elif (n == 0 and row[0].bbox[1] < view.page.height / 3) or any(
                    id(w) in typed for ln in row for w in ln.words):
                prio = 0
            else:
                prio = 1 if n == 0 else 2
            rows.append((prio, len(rows), text))
        rows.append((-1, len(rows), f"--- page {n + 2} ---")) if n + 1 < len(views) else None
    kept, used = set(), 0
    for prio, order, text in sorted(rows):
        cost = tokens(text) + 1
        if prio >= 0 and used + cost > max_tokens:
            continue
        kept.add(order)
        used += cost if prio >= 0 else 0
    lines = [text for prio, order, text in rows if order in kept]
    while lines and lines[-1].startswith("--- page"):
        lines.pop()
    return "\n".join(lines)


def invoice_prompt(views: list[PageView], cands: Candidates, spec: ReplySpec, *, receipt: bool,
                   max_tokens: int = DEFAULT_PROMPT_TOKENS, skip=(), names_only: bool = False) -> str:
    """Instructions first (the same for every document: the embedded backend reuses their KV cache), then
    the document."""
    kind = "receipt" if receipt else "invoice"
    fields = "\n".join(f"- {f.name}: {f.description}" for f in spec.fields)
    return (f"Fields to extract from the {kind} below:\n{fields}\n\n"
            f"{kind.capitalize()}, OCR text in reading order ('|' separates columns):\n"
            f"{document_view(views, cands, max_tokens=max_tokens, skip=skip, names_only=names_only)}")


def title_block_prompt(lines: list[str], spec: ReplySpec) -> str:
    fields = "\n".join(f"- {f.name}: {f.description}" for f in spec.fields)
    return (f"Fields to extract from the drawing title block below:\n{fields}\n\n"
            "Title block of an engineering drawing, OCR text:\n" + "\n".join(lines))
