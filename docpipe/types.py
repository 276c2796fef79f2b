"""The data contract (v1): what docpipe writes, as pydantic v2 models.

This module is the source of truth for ``../shared/CONTRACT.md``; ``docpipe schema`` exports it as JSON Schema.

Coordinates are pixels of the rasterized page at the page's ``dpi``, origin top-left, ``[x0, y0, x1, y1]``
with ``x0 < x1`` and ``y0 < y1``. Confidences are in ``[0, 1]``. Images never enter these models.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = "1.0"

DocType = Literal["invoice", "receipt", "drawing", "other"]
Status = Literal["ok", "partial", "failed"]
TextSource = Literal["ocr", "pdf_text"]
DimensionKind = Literal["linear", "diameter", "radius", "angle", "thread", "chamfer", "other"]
Discipline = Literal["mechanical", "architectural"]
OpeningKind = Literal["door", "window", "opening"]


def _check_bbox(b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = b
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"bbox must satisfy x0 < x1 and y0 < y1, got {list(b)}")
    return b


BBox = Annotated[tuple[int, int, int, int], AfterValidator(_check_bbox)]
"""``[x0, y0, x1, y1]`` in page pixels, origin top-left."""

Confidence = Annotated[float, Field(ge=0.0, le=1.0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- page content ---------------------------------------------------------------------------------


class Region(_Model):
    """A detected region of a page (title block, table, totals, ...)."""

    label: str
    bbox: BBox
    confidence: Confidence


class Word(_Model):
    """One word as read on the page (OCR or PDF text layer)."""

    text: str
    bbox: BBox
    confidence: Confidence


class Line(_Model):
    """A line of words in reading order; ``text`` is the words joined by single spaces."""

    text: str
    bbox: BBox
    confidence: Confidence
    words: list[Word]
    angle: float = Field(0.0, description="text direction, degrees counter-clockwise: 90 = reads bottom to top "
                         "(added in 1.0)")


class Page(_Model):
    number: int = Field(ge=1, description="1-based page number within the source document")
    width: int = Field(gt=0, description="pixels")
    height: int = Field(gt=0, description="pixels")
    dpi: int = Field(gt=0)
    rotation: float = Field(
        0.0,
        description="degrees the page image was rotated clockwise to make it upright (OSD quarter turns "
        "plus small-angle deskew); coordinates refer to the upright image",
    )
    text_source: TextSource
    regions: list[Region] = Field(default_factory=list)
    lines: list[Line] = Field(default_factory=list, description="text lines in reading order (added in 1.0)")


# --- grounded fields ------------------------------------------------------------------------------


class _Grounded(_Model):
    text: str = Field(description="the characters as read on the page")
    confidence: Confidence
    page: int | None = Field(None, ge=1, description="null only when the value was derived")
    bbox: BBox | None = None


class GroundedText(_Grounded):
    value: str


class GroundedNumber(_Grounded):
    value: float


class GroundedDate(_Grounded):
    value: _dt.date = Field(description="ISO 8601 date")


class GroundedCurrency(_Grounded):
    value: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")


# --- invoice --------------------------------------------------------------------------------------


class Party(_Model):
    name: GroundedText | None = None
    address: GroundedText | None = None
    vat_id: GroundedText | None = None
    iban: GroundedText | None = None


class LineItem(_Model):
    description: GroundedText | None = None
    quantity: GroundedNumber | None = None
    unit: GroundedText | None = None
    unit_price: GroundedNumber | None = None
    amount: GroundedNumber | None = None


class Invoice(_Model):
    """An invoice or a receipt."""

    invoice_number: GroundedText | None = None
    purchase_order: GroundedText | None = None
    payment_terms: GroundedText | None = None
    invoice_date: GroundedDate | None = None
    due_date: GroundedDate | None = None
    currency: GroundedCurrency | None = None
    vendor: Party = Field(default_factory=Party)
    customer: Party = Field(default_factory=Party)
    subtotal: GroundedNumber | None = None
    total_tax: GroundedNumber | None = None
    total: GroundedNumber | None = None
    amount_due: GroundedNumber | None = None
    line_items: list[LineItem] = Field(default_factory=list)


# --- drawing --------------------------------------------------------------------------------------


class TitleBlock(_Model):
    drawing_number: GroundedText | None = None
    title: GroundedText | None = None
    revision: GroundedText | None = None
    scale: GroundedText | None = None
    material: GroundedText | None = None
    sheet: GroundedText | None = None
    date: GroundedDate | None = None
    company: GroundedText | None = None
    drawn_by: GroundedText | None = None
    general_tolerance: GroundedText | None = None


class Dimension(_Model):
    """A dimension as printed on a drawing, parsed. Lengths in ``unit`` (mm unless the drawing says inch)."""

    text: str
    kind: DimensionKind
    nominal: float | None = None
    unit: str | None = Field(None, description="'mm', 'in' or 'deg'")
    upper_deviation: float | None = None
    lower_deviation: float | None = None
    fit: str | None = Field(None, description="ISO 286 tolerance class such as 'H7' or 'g6'")
    count: int = Field(1, ge=1, description="from prefixes such as '4x'")
    pitch: float | None = Field(None, description="thread pitch, for kind 'thread' (added in 1.0)")
    tolerance_source: Literal["drawing", "fit", "general"] | None = Field(
        None, description="where the deviations came from; 'general' means derived from the title block"
    )
    page: int = Field(ge=1)
    bbox: BBox
    angle: float = Field(0.0, description="text rotation on the page, degrees counter-clockwise")
    chain: str | None = Field(None, description="plans: id shared by the dimensions of one dimension line "
                              "(the parts and, where printed, the overall beside them); null elsewhere (added in 1.x)")
    overall: bool = Field(False, description="plans: this dimension is the overall of its chain, the sum of "
                          "the parts (added in 1.x)")
    confidence: Confidence


class Room(_Model):
    """A room of a plan: the printed name with the area printed with it (``Wohnen 24,50 m²``). Added in 1.x.

    ``bbox`` covers the label (name and area); ``level`` is the storey the sheet names, where it names one."""

    name: GroundedText | None = Field(None, description="as printed; null when the label could not be read")
    area_m2: GroundedNumber | None = Field(None, description="square metres (printed ft² converted)")
    level: GroundedText | None = None
    page: int = Field(ge=1)
    bbox: BBox
    confidence: Confidence


class Opening(_Model):
    """A door, window or opening of a plan: its tag as printed (``M1021``, ``T01``, ``F3``) and its symbol where
    one was found beside it. Sizes only where the tag's convention (``M1021`` = 1000 x 2100) or a printed size
    gives them. Added in 1.x."""

    kind: OpeningKind
    tag: GroundedText | None = None
    width_mm: float | None = Field(None, gt=0)
    height_mm: float | None = Field(None, gt=0)
    symbol_bbox: BBox | None = Field(None, description="the door or window symbol paired with the tag, if found")
    page: int = Field(ge=1)
    bbox: BBox
    confidence: Confidence


class Quantities(_Model):
    """A take-off for a project system, derived from ``rooms`` and ``openings``. Added in 1.x.

    ``doors``/``windows`` reconcile tags with symbols: a tagged opening counts once whether or not its symbol was
    found; ``confidence`` is lower when tags and symbols disagree."""

    rooms: int = Field(0, ge=0)
    doors: int = Field(0, ge=0)
    windows: int = Field(0, ge=0)
    floor_area_m2: float | None = Field(None, ge=0, description="sum of the room areas read")
    confidence: Confidence


class Table(_Model):
    label: str
    rows: list[list[str]]
    bbox: BBox
    page: int = Field(ge=1)


class Drawing(_Model):
    discipline: Discipline = Field("mechanical", description="'architectural' for floor plans and other building "
                                   "plans (added in 1.x; outputs without it are part drawings)")
    title_block: TitleBlock = Field(default_factory=TitleBlock)
    dimensions: list[Dimension] = Field(default_factory=list)
    notes: list[GroundedText] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    rooms: list[Room] = Field(default_factory=list, description="plans (added in 1.x)")
    openings: list[Opening] = Field(default_factory=list, description="plans (added in 1.x)")
    levels: list[GroundedNumber] = Field(default_factory=list, description="plans: elevation marks, metres "
                                         "(``+2.80``, ``±0.00``) (added in 1.x)")
    quantities: Quantities | None = Field(None, description="plans: the take-off (added in 1.x)")


# --- document record ------------------------------------------------------------------------------


class Source(_Model):
    path: str = Field(description="path relative to the input folder, '/' separated")
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$", description="null if the file could not be read")
    media_type: str
    pages: int = Field(ge=0)


class ErrorRecord(_Model):
    stage: str
    page: int | None = Field(None, ge=1)
    kind: str = Field(description="the error class, e.g. 'InputError' or 'OcrError'")
    message: str


class DocumentResult(_Model):
    """One JSON file per input document."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    source: Source
    doc_type: DocType = "other"
    status: Status
    needs_review: bool = False
    review_reasons: list[str] = Field(default_factory=list)
    invoice: Invoice | None = None
    drawing: Drawing | None = None
    pages: list[Page] = Field(default_factory=list)
    errors: list[ErrorRecord] = Field(default_factory=list)
    timings_s: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _payload_matches_type(self) -> DocumentResult:
        if self.doc_type in ("invoice", "receipt") and self.invoice is None:
            raise ValueError(f"doc_type {self.doc_type!r} needs an 'invoice' object")
        if self.doc_type == "drawing" and self.drawing is None:
            raise ValueError("doc_type 'drawing' needs a 'drawing' object")
        if self.status == "failed" and not self.errors:
            raise ValueError("a failed document must say why in 'errors'")
        return self


class ManifestLine(_Model):
    """One line of ``_manifest.jsonl``, appended as each document finishes."""

    path: str
    sha256: str | None
    status: Status
    doc_type: DocType
    needs_review: bool
    output: str = Field(description="output file name, relative to the output folder")
    seconds: float = Field(ge=0)


GROUNDED_TYPES = (GroundedText, GroundedNumber, GroundedDate, GroundedCurrency)


def iter_grounded(model: BaseModel | None, prefix: str) -> Iterator[tuple[str, _Grounded]]:
    """Every grounded field inside ``model``, depth first, as ``(dotted name, field)``; list items are
    ``name[i]`` (``invoice.line_items[0].amount``). Walking the model rather than listing names means grounded
    fields added in a minor version reach consumers (sinks, overlays) without a code change."""
    if model is None:
        return
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}.{name}"
        if isinstance(value, GROUNDED_TYPES):
            yield path, value
        elif isinstance(value, BaseModel):
            yield from iter_grounded(value, path)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, GROUNDED_TYPES):
                    yield f"{path}[{i}]", item
                elif isinstance(item, BaseModel):
                    yield from iter_grounded(item, f"{path}[{i}]")


EXPORTED_MODELS: dict[str, type[BaseModel]] = {
    "document": DocumentResult,
    "manifest_line": ManifestLine,
}
"""What ``docpipe schema`` writes: ``schemas/<name>.schema.json``."""
