"""Region classes and output stride of the detector (torch-free, so the data pipeline can fork cheaply)."""

from __future__ import annotations

STRIDE = 4
"""Output stride of the heads: input pixels per heatmap cell."""

CLASSES: tuple[str, ...] = (
    # drawings
    "title_block", "dimension", "gdt_frame", "table", "view",
    # shared by drawings, invoices and receipts
    "notes",
    # invoices, receipts and letters
    "header", "parties", "meta", "line_items", "totals", "logo",
)
"""Region labels, in the order of the heatmap channels."""
