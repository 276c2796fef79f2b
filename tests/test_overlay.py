"""Overlays: boxes land where the result says, on the upright page, written atomically."""

from __future__ import annotations

import numpy as np
from PIL import Image

from docpipe.overlay import COLOURS, boxes, render_overlays, upright
from docpipe.types import DocumentResult, GroundedNumber, GroundedText, Invoice, Page, Region, Source


def _result(rel: str, width: int, height: int, rotation: float = 0.0) -> DocumentResult:
    page = Page(number=1, width=width, height=height, dpi=300, rotation=rotation, text_source="ocr",
                regions=[Region(label="totals", bbox=(20, 20, 200, 120), confidence=0.9)])
    inv = Invoice(total=GroundedNumber(value=10.0, text="10.00", confidence=0.95, page=1, bbox=(50, 150, 150, 190)),
                  invoice_number=GroundedText(value="A-1", text="A-1", confidence=0.5, page=1,
                                              bbox=(50, 210, 150, 250)),
                  amount_due=GroundedNumber(value=10.0, text="10.00", confidence=0.4))  # derived: no box
    return DocumentResult(source=Source(path=rel, sha256="0" * 64, media_type="image/png", pages=1),
                          doc_type="invoice", status="ok", invoice=inv, pages=[page])


def test_upright_undoes_a_quarter_turn():
    img = Image.new("L", (300, 200), 255)
    img.paste(0, (0, 0, 30, 30))  # a black mark at the top left of the upright page
    scanned = img.transpose(Image.Transpose.ROTATE_90)  # scanned sideways (counter-clockwise)
    back = upright(scanned, 90.0)
    assert back.size == img.size
    assert np.array_equal(np.asarray(back), np.asarray(img))
    assert upright(img, 0.0) is img
    # 359.5 is -0.5 degrees of skew, not a near-full turn: the canvas stays the same size
    assert upright(img, 359.5).size == img.size


def test_boxes_lists_regions_and_grounded_fields_only():
    items = boxes(_result("a.png", 400, 300))
    kinds = sorted((b.kind, b.label.split(":")[0]) for b in items)
    assert kinds == [("field", "total"), ("field_low", "invoice_number"), ("region", "totals 0.90")]


def test_render_overlays_draws_on_the_upright_page(tmp_path):
    src = tmp_path / "in" / "a.png"
    src.parent.mkdir()
    upright_page = Image.new("L", (400, 300), 255)
    upright_page.transpose(Image.Transpose.ROTATE_90).save(src)  # the file is sideways: 300 x 400
    result = _result("a.png", 400, 300, rotation=90.0)
    out = tmp_path / "out"
    written = render_overlays(src, result, out, "a.png")
    assert written == [out / "a.png.page1.png"]
    img = Image.open(written[0])
    assert img.mode == "RGB" and img.size == (400, 300)
    px = np.asarray(img)
    assert tuple(px[170, 50]) == COLOURS["field"]  # left edge of the 'total' box
    assert tuple(px[70, 20]) == COLOURS["region"]  # left edge of the region
    assert tuple(px[230, 50]) == COLOURS["field_low"]
    assert tuple(px[280, 380]) == (255, 255, 255)  # nothing drawn far from the boxes
    assert not list(out.glob(".*.tmp"))


def test_plan_overlays_draw_rooms_openings_and_chains():
    from tests.test_plans import plan

    from docpipe.structure.drawing import extract_drawing
    from docpipe.structure.layout import PageView

    page, truth = plan(121)
    drawing = extract_drawing([PageView(page)])
    result = DocumentResult(source=Source(path="p.png", sha256="0" * 64, media_type="image/png", pages=1),
                            doc_type="drawing", status="ok", drawing=drawing, pages=[page])
    items = boxes(result)
    rooms = [b for b in items if b.kind == "room"]
    assert sorted(b.label for b in rooms) == sorted(f"{r.name.value} {r.area_m2.value:g} m²" for r in truth.rooms)
    assert len([b for b in items if b.kind == "opening"]) == len(truth.openings)
    chains = [b for b in items if b.kind == "chain"]
    assert len(chains) == len({d.chain for d in truth.dimensions if d.chain})
    assert any("overall" in b.label and b.label.split("sum ")[1].split(" /")[0] == b.label.split("overall ")[1]
               for b in chains)
    assert not any(b.label.startswith(("rooms[", "openings[")) for b in items)  # one box per room, not three
    image = Image.new("L", (page.width, page.height), 255)
    from docpipe.overlay import draw_overlay

    drawn = np.asarray(draw_overlay(image, page, items))
    x0, y0, x1, y1 = rooms[0].bbox
    assert (drawn[y0, x0:x1] == COLOURS["room"]).all(axis=1).any()
