"""Page overlays: the upright page image with regions, grounded fields, dimensions and tables drawn on it.

For a reviewer: where on the page each value came from. The page is rasterized again from the source file
(:func:`docpipe.ingest.load_page`) and turned upright with the page's recorded ``rotation`` (quarter turn,
then small-angle deskew, as :mod:`docpipe.read` does), because every coordinate in a
:class:`~docpipe.types.DocumentResult` refers to the upright page, in pixels at the page's ``dpi``.

Colours: regions blue, grounded fields green (confidence >= 0.8) or orange (below), dimensions magenta,
tables teal; on plans, rooms brown (name and area), doors and windows red (kind and tag), and each dimension
chain violet, one box around its strings labelled with the parts' sum against the overall. Each box carries a
short label (field name and value).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .ingest import SourceFile, load_page
from .options import IngestOptions
from .output import write_atomic
from .orient import rotate_clockwise
from .types import DocumentResult, Page, iter_grounded

_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

COLOURS = {
    "region": (30, 90, 230),
    "field": (20, 160, 60),
    "field_low": (240, 140, 0),
    "dimension": (200, 0, 200),
    "table": (0, 150, 150),
    "room": (150, 80, 20),
    "opening": (220, 20, 40),
    "chain": (120, 40, 200),
}


@dataclass(frozen=True)
class Box:
    """A box to draw: ``bbox`` in upright page pixels, ``kind`` one of :data:`COLOURS`' keys."""

    kind: str
    label: str
    page: int
    bbox: tuple[int, int, int, int]


def upright(image: Image.Image, rotation: float) -> Image.Image:
    """Apply a page's recorded clockwise ``rotation`` (degrees): the quarter turn first, then the skew."""
    quarters = round(rotation / 90)
    skew = rotation - quarters * 90
    turn = (quarters * 90) % 360
    if turn:
        image = rotate_clockwise(image, turn)
    if abs(skew) >= 0.01:
        image = rotate_clockwise(image, skew)
    return image



def boxes(result: DocumentResult) -> list[Box]:
    """Every drawable box of a result: regions, grounded fields (with page and bbox), dimensions, tables."""
    out: list[Box] = []
    for page in result.pages:
        out += [Box("region", f"{r.label} {r.confidence:.2f}", page.number, r.bbox) for r in page.regions]
    for root, model in (("invoice", result.invoice), ("drawing", result.drawing)):
        for path, g in iter_grounded(model, root):
            if path.startswith(("drawing.rooms[", "drawing.openings[")):
                continue  # drawn as rooms and openings below, with one label each
            if g.page is not None and g.bbox is not None:
                kind = "field" if g.confidence >= 0.8 else "field_low"
                out.append(Box(kind, f"{path.split('.', 1)[1]}: {g.value}"[:60], g.page, g.bbox))
    if result.drawing is not None:
        out += [Box("dimension", d.text, d.page, d.bbox) for d in result.drawing.dimensions]
        out += [Box("table", t.label, t.page, t.bbox) for t in result.drawing.tables]
        out += _plan_boxes(result.drawing)
    return out


def _plan_boxes(drawing) -> list[Box]:
    """Rooms, openings and dimension chains of a plan."""
    out = []
    for r in drawing.rooms:
        name = r.name.value if r.name else "?"
        area = f" {r.area_m2.value:g} m²" if r.area_m2 else ""
        out.append(Box("room", f"{name}{area}", r.page, r.bbox))
    out += [Box("opening", f"{o.kind} {o.tag.value if o.tag else ''}".strip(), o.page, o.bbox)
            for o in drawing.openings]
    chains: dict[str, list] = {}
    for d in drawing.dimensions:
        if d.chain:
            chains.setdefault(d.chain, []).append(d)
    for cid, ds in sorted(chains.items()):
        parts = [d for d in ds if not d.overall]
        overall = [d for d in ds if d.overall]
        total = sum(d.nominal or 0 for d in parts)
        label = f"{cid}: sum {total:g}" + (f" / overall {overall[0].nominal:g}" if overall else "")
        xs = [d.bbox for d in ds]
        box = (min(b[0] for b in xs) - 6, min(b[1] for b in xs) - 6, max(b[2] for b in xs) + 6,
               max(b[3] for b in xs) + 6)
        out.append(Box("chain", label, ds[0].page, box))
    return out


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(_FONT, size)
    except OSError:
        return ImageFont.load_default(size=size)


def draw_overlay(image: Image.Image, page: Page, items: list[Box]) -> Image.Image:
    """An RGB copy of the upright ``image`` of ``page`` with the boxes of that page and their labels."""
    canvas = image.convert("RGB")
    if canvas.size != (page.width, page.height):  # e.g. re-rasterized at another dpi: scale the boxes
        canvas = canvas.resize((page.width, page.height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(canvas)
    width = max(2, page.width // 800)
    font = _font(max(12, page.width // 110))
    for item in (b for b in items if b.page == page.number):
        colour = COLOURS.get(item.kind, (255, 0, 0))
        x0, y0, x1, y1 = item.bbox
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=width)
        tx, ty = x0, max(0, y0 - font.size - 2 * width)
        tb = draw.textbbox((tx, ty), item.label, font=font)
        draw.rectangle(tb, fill=(255, 255, 255))
        draw.text((tx, ty), item.label, font=font, fill=colour)
    return canvas


def save_png_atomic(image: Image.Image, path: Path) -> None:
    """Write a PNG atomically (see :func:`docpipe.output.write_atomic`)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    write_atomic(path, buf.getvalue())


def render_overlays(source: Path, result: DocumentResult, out_dir: Path, stem: str,
                    options: IngestOptions | None = None) -> list[Path]:
    """Draw every read page of ``result`` (re-rasterized from ``source``) into ``out_dir/<stem>.page<N>.png``.

    Returns the files written, in page order. Raises :class:`~docpipe.errors.InputError` when the source
    cannot be rasterized again (moved, changed or corrupt).
    """
    options = options or IngestOptions()
    src = SourceFile(path=source, rel=result.source.path, sha256=result.source.sha256,
                     media_type=result.source.media_type, pages=result.source.pages)
    items = boxes(result)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for page in result.pages:
        raster = load_page(src, page.number, options)
        image = draw_overlay(upright(raster.image, page.rotation), page, items)
        path = out_dir / f"{stem}.page{page.number}.png"
        save_png_atomic(image, path)
        written.append(path)
    return written
