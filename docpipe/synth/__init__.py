"""Synthetic documents with exact ground truth: invoices, receipts, drawings, floor plans and letters at 300 dpi.

- :func:`render_page` renders one page in memory (detector training, OCR evaluation).
- :func:`generate` writes a folder of random documents with expected JSON.
- :func:`write_plan` writes one floor plan (:mod:`.plan`; ``docpipe synth --plans N``).
- :func:`write_samples` writes the fixed set committed under ``sample_docs/``.

Coordinates are pixels of the upright page at 300 dpi, origin top-left; scan skew is applied to the image only.
"""

from .samples import write_samples
from .writer import KINDS, SynthPage, generate, render_document, render_page, write_plan

__all__ = ["SynthPage", "render_page", "render_document", "write_samples", "generate", "write_plan", "KINDS"]
