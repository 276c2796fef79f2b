"""Options of each stage, gathered in :class:`PipelineOptions`. Pass them explicitly; no globals.

Environment variables (prefix ``DOCPIPE_``) are read only for paths and endpoints, in :func:`env_path`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestOptions(_Options):
    dpi: int = Field(300, ge=50, le=1200, description="rasterization resolution for PDF pages")
    force_ocr: bool = Field(False, description="ignore PDF text layers and OCR every page")
    max_pages: int = Field(500, ge=1, description="documents with more pages fail with a clear message")
    max_pixels: int = Field(
        200_000_000, ge=1, description="decompression-bomb guard: largest page (width*height) accepted"
    )


class OrientOptions(_Options):
    osd: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Tesseract OSD for 90/180/270 degree turns: 'auto' runs it only when the first OCR pass "
        "reads poorly (OSD costs ~0.7 s per page, so upright pages skip it)",
    )
    deskew: bool = Field(True, description="correct small skew angles")
    max_skew: float = Field(5.0, ge=0, le=15, description="largest skew searched, degrees")


class OcrOptions(_Options):
    lang: str = Field("eng", description="Tesseract languages joined by '+', e.g. 'eng+deu+fra+nld'")
    psm: int = Field(
        4,
        ge=0,
        le=13,
        description="Tesseract page segmentation mode for document pages; 4 read synthetic invoices and "
        "receipts best (benchmarks/ocr_psm.py)",
    )
    drawing_psm: int = Field(
        11,
        ge=0,
        le=13,
        description="mode for pages that look like drawings (sparse text): 11 read synthetic drawings best",
    )
    vertical_text: bool = Field(
        True, description="on drawing pages, also read text turned 90 degrees (vertical dimensions)"
    )
    min_confidence: float = Field(0.0, ge=0, le=1, description="drop words below this confidence")


class StructureOptions(_Options):
    backend: str = Field("rules", description="'rules' (deterministic, interim)")


class PipelineOptions(_Options):
    ingest: IngestOptions = Field(default_factory=IngestOptions)
    orient: OrientOptions = Field(default_factory=OrientOptions)
    ocr: OcrOptions = Field(default_factory=OcrOptions)
    structure: StructureOptions = Field(default_factory=StructureOptions)
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, description="worker processes")
    timeout_per_page: float = Field(
        180.0, gt=0, description="batch runs stop a document after this many seconds per page (a stalled "
        "poppler or Tesseract must not stall the batch)"
    )


def env_path(name: str, default: Path | None = None) -> Path | None:
    """A path from ``DOCPIPE_<name>``, or ``default``."""
    value = os.environ.get(f"DOCPIPE_{name}")
    return Path(value) if value else default
