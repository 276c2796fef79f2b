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
    # floor plans (appended, so that the channels of the classes above keep their order): opening symbols
    # (a door: its gap in the wall and its swing quadrant), room name/area labels, dimension chains (the whole
    # string: the dimension line with its ticks and texts, not the extension lines, so that an overall chain and
    # the chain inside it are separate boxes), level marks, grid-line bubbles, the north arrow. Plans also carry
    # ``dimension`` (each dimension's text) and ``title_block``.
    "door", "window", "room_label", "dimension_line", "level_mark", "grid_bubble", "north_arrow",
)
"""Region labels, in the order of the heatmap channels. Weights trained before the plan classes (12 channels)
still load: :class:`docpipe.detect.Detector` takes the class list from the weights file."""
