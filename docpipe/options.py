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
    lang: str = Field("auto", description="Tesseract languages joined by '+', e.g. 'eng+deu+fra+nld'; 'auto' "
                      "(default): read with 'eng', and read a German, French or Dutch page again with "
                      "'deu+eng' / 'fra+eng' / 'nld+eng' (docpipe.language)")
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
    dimension_regions: bool = Field(
        True, description="on drawing pages, also read the detector's dimension regions one by one (cropped, "
        "turned level, scaled; docpipe.read.PageReader.read_dimension_regions)")
    min_confidence: float = Field(0.0, ge=0, le=1, description="drop words below this confidence")
    keep_loaded: bool = Field(
        True, description="keep Tesseract loaded in one helper process per worker (libtesseract, the same "
        "words) instead of starting a tesseract process per reading, ~0.2 s of CPU each "
        "(docpipe.tesseract_server); the command line is used where libtesseract cannot be loaded")


DEFAULT_DETECTOR_WEIGHTS = Path(__file__).resolve().parents[1] / "models" / "detector" / "detector.pt"
"""The committed detector weights (``models/detector/detector.pt``); ``DOCPIPE_DETECTOR_WEIGHTS`` overrides."""


def _default_weights() -> Path:
    return env_path("DETECTOR_WEIGHTS", DEFAULT_DETECTOR_WEIGHTS)  # type: ignore[return-value]


class DetectOptions(_Options):
    enabled: bool = Field(True, description="run region detection")
    weights: Path | None = Field(
        default_factory=_default_weights,
        description="detector weights file; None means the committed models/detector/detector.pt",
    )
    threshold: float = Field(0.3, ge=0.0, le=1.0, description="lowest confidence of a region kept")
    dimension_threshold: float = Field(
        0.1, ge=0.0, le=1.0,
        description="lowest confidence of a `dimension` region proposed for dimension OCR on drawing pages "
        "(`Detector.detect(..., proposals=True)`); real dimension text mostly scores 0.1-0.3, and the dimension "
        "parser, not the detector, decides what is kept. Written regions still use `threshold`")
    max_side: int = Field(1024, ge=256, le=4096,
                          description="the page is scaled to this long side (pixels) before detection")
    threads: int = Field(1, ge=1, le=64, description="torch threads per process (1 with page-level workers)")


DEFAULT_LLM_MODEL = Path(__file__).resolve().parents[1] / "models" / "llm" / "qwen2.5-coder-0.5b-instruct-q8_0.gguf"
"""The embedded model fetched by ``scripts/setup-models.sh`` (see ``models/llm/MODEL_CARD.md``)."""

DEFAULT_PROMPT_TOKENS = 550
"""Default budget of the document view in an LLM prompt, in estimated tokens
(:func:`docpipe.structure.llm.prompt.tokens`): ~8 s of prompt reading on one core."""


class StructureOptions(_Options):
    backend: Literal["rules", "llm"] = Field(
        "llm",
        description="'llm' (default): a language model chooses among the page's grounded candidates, the rules "
        "read first and judge (embedded GGUF model, or an OpenAI-compatible server when llm_url is set); "
        "'rules': deterministic labels and layout only (no model needed, ~10 s per document faster)",
    )
    llm_model: Path | None = Field(
        None, description="GGUF file for the embedded model; default $DOCPIPE_LLM_MODEL, else the one "
        "scripts/setup-models.sh fetches into models/llm/")
    llm_engine: Literal["llamacpp", "transformers"] = Field(
        "llamacpp", description="what runs the embedded model: 'llamacpp' (default: llama-cpp-python, 9% faster "
        "per document than transformers on 2 CPU cores with the same answers, models/llm/MODEL_CARD.md) or "
        "'transformers' (the same GGUF weights dequantised and run by "
        "transformers on torch, converted once into ~/.cache/docpipe/transformers; llm_model may also be a folder "
        "of transformers weights); both use the same constrained decoder")
    llm_url: str | None = Field(
        None, description="OpenAI-compatible server (vLLM, Ollama, llama.cpp server), e.g. http://gpu:8000/v1; "
        "default $DOCPIPE_LLM_URL; its API key is read from $DOCPIPE_LLM_API_KEY")
    llm_model_name: str | None = Field(None, description="model name on the server (default $DOCPIPE_LLM_MODEL_NAME)")
    llm_timeout: float = Field(120.0, gt=0, description="seconds per server request")
    llm_threads: int = Field(1, ge=1, description="CPU threads of the embedded model per worker; 1 because workers "
                             "already run one per core (2 threads were slower on a loaded 2-core machine); idle "
                             "workers' cores join at the end of a batch")
    llm_max_repairs: int = Field(2, ge=0, le=5, description="re-asks of a server whose reply fails validation")
    llm_retries: int = Field(3, ge=0, le=10, description="retries of a server request that failed transiently "
                             "(connection error, timeout, HTTP 429/5xx), with backoff 1, 2, 4 s... honouring "
                             "Retry-After (capped at 60 s)")
    llm_max_prompt_tokens: int = Field(
        DEFAULT_PROMPT_TOKENS, ge=100, description="budget of the document view in the prompt, tokens (prompt "
        "reading dominates the embedded model's time: ~70 tokens/s per core)")

    llm_ask: Literal["open", "all"] = Field(
        "open", description="'open' (default): ask the model only the fields the rules' reading leaves open (a "
        "labelled invoice number or date, totals that add up, a printed currency, a title-block cell are "
        "settled), and skip the call when none is; 'all': ask every field and let agreement raise confidence")
    llm_receipts: bool = Field(
        False, description="also put receipts' open fields to the model (default: receipts are read by the rules "
        "alone: on SROIE receipts 1-100, development set, the embedded 0.5B model's answers to the key fields the "
        "receipt rules left open were right 3 times of 16, at ~5 s per receipt asked; a larger model or a "
        "server may do better)")

    def model_path(self) -> Path:
        """The embedded model's file: the option, else ``$DOCPIPE_LLM_MODEL``, else the default."""
        return self.llm_model or env_path("LLM_MODEL", DEFAULT_LLM_MODEL)  # type: ignore[return-value]

    def server_url(self) -> str | None:
        return self.llm_url or os.environ.get("DOCPIPE_LLM_URL") or None

    def server_model_name(self) -> str:
        return self.llm_model_name or os.environ.get("DOCPIPE_LLM_MODEL_NAME") or "default"


class ReviewOptions(_Options):
    calibrate: bool = Field(True, description="replace the key fields' heuristic scores by calibrated "
                            "probabilities (docpipe.calibrate, models/calibration/MODEL_CARD.md)")
    calibration: Path | None = Field(None, description="calibration file; default $DOCPIPE_CALIBRATION, else "
                                     "models/calibration/calibration.json")
    threshold: float | None = Field(None, ge=0, le=1, description="a document is auto-accepted "
                                    "(needs_review false) only when every key field present has at least this "
                                    "confidence and no business rule failed; default: the calibration file's "
                                    "threshold, chosen for >= 95% auto-accept precision")

    def calibration_path(self) -> Path | None:
        return self.calibration or env_path("CALIBRATION")


class PipelineOptions(_Options):
    ingest: IngestOptions = Field(default_factory=IngestOptions)
    orient: OrientOptions = Field(default_factory=OrientOptions)
    ocr: OcrOptions = Field(default_factory=OcrOptions)
    structure: StructureOptions = Field(default_factory=StructureOptions)
    review: ReviewOptions = Field(default_factory=ReviewOptions)
    detect: DetectOptions = Field(default_factory=DetectOptions)
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, description="worker processes")
    recycle_memory_mib: int = Field(
        3072, ge=0, description="batch runs (docpipe run) replace their worker processes when one holds more "
        "than this many MiB of resident memory after a job (a leak in a library; 0 = never). Otherwise a worker "
        "lives for the whole batch and loads torch, the detector and the model once (a worker peaks at ~1.5 GiB "
        "with the embedded model)"
    )
    timeout_per_page: float = Field(
        180.0, gt=0, description="batch runs stop a document after this many seconds per page (a stalled "
        "poppler or Tesseract must not stall the batch)"
    )


def env_path(name: str, default: Path | None = None) -> Path | None:
    """A path from ``DOCPIPE_<name>``, or ``default``."""
    value = os.environ.get(f"DOCPIPE_{name}")
    return Path(value) if value else default
