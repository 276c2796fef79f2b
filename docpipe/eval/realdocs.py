"""Loaders for the third-party ground truth in ``../shared/realdocs`` (see its README and MANIFESTs).

Evaluation only: these files are read in place, never copied into the repository, and nothing in the pipeline
depends on them. Every loader takes the realdocs root (the folder holding ``funsd/``, ``sroie/``, ...) and
returns plain dataclasses. Boxes are ``(x0, y0, x1, y1)`` pixels of the set's own image, origin top-left,
except where a docstring says otherwise.
"""

from __future__ import annotations

import csv
import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from .metrics import parse_date

Box = tuple[float, float, float, float]

DEFAULT_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "realdocs"


def realdocs_root(root: Path | str | None = None) -> Path | None:
    """The realdocs folder: ``root``, else ``$DOCPIPE_REALDOCS``, else ``<repo>/../shared/realdocs``.

    None when that folder does not exist (tests then skip).
    """
    if root is None:
        env = os.environ.get("DOCPIPE_REALDOCS")
        root = Path(env) if env else DEFAULT_ROOT
    root = Path(root)
    return root if root.is_dir() else None


def quad_to_box(xs: list[float], ys: list[float]) -> Box:
    """The axis-aligned box around a polygon's points."""
    return (min(xs), min(ys), max(xs), max(ys))


# --- SROIE ----------------------------------------------------------------------------------------


@dataclass
class TextLine:
    text: str
    quad: list[tuple[float, float]]  # 4 points, clockwise from top-left
    box: Box


@dataclass
class SroieReceipt:
    doc_id: str
    image: Path
    company: str
    date: str  # as annotated ("05/01/17", "10 MAY 2018"); see :func:`docpipe.eval.metrics.parse_date`
    address: str
    total: str  # as annotated, sometimes with a currency sign ("$12.20")
    lines: list[TextLine] = field(default_factory=list)


def load_sroie(root: Path, limit: int | None = None) -> list[SroieReceipt]:
    """The 100 SROIE test receipts, sorted by id, with key fields and (if present) the line transcripts."""
    base = Path(root) / "sroie"
    out = []
    for key in sorted((base / "key").glob("*.json"))[:limit]:
        doc_id = key.stem
        kv = json.loads(key.read_text(encoding="utf-8"))
        lines = []
        box_csv = base / "box" / f"{doc_id}.csv"
        if box_csv.exists():
            # Mixed LF/CRLF; the transcript is everything after the 8th comma and may contain commas.
            for row in box_csv.read_text(encoding="utf-8", errors="replace").splitlines():
                parts = row.strip().split(",", 8)
                if len(parts) < 9:
                    continue
                try:
                    nums = [float(p) for p in parts[:8]]
                except ValueError:
                    continue
                xs, ys = nums[0::2], nums[1::2]
                lines.append(TextLine(text=parts[8], quad=list(zip(xs, ys)), box=quad_to_box(xs, ys)))
        out.append(SroieReceipt(
            doc_id=doc_id, image=base / "images" / f"{doc_id}.jpg", company=kv.get("company", ""),
            date=kv.get("date", ""), address=kv.get("address", ""), total=kv.get("total", ""), lines=lines,
        ))
    return out


# --- FUNSD ----------------------------------------------------------------------------------------


@dataclass
class FunsdWord:
    text: str
    box: Box
    entity_id: int


@dataclass
class FunsdEntity:
    id: int
    label: str  # header | question | answer | other
    text: str
    box: Box
    links: list[tuple[int, int]]


@dataclass
class FunsdForm:
    doc_id: str
    image: Path
    words: list[FunsdWord]  # every annotated word, empty strings included (filter with ``w.text.strip()``)
    entities: list[FunsdEntity]


def load_funsd(root: Path, limit: int | None = None) -> list[FunsdForm]:
    """The 50 FUNSD test forms (original, unrevised annotations), sorted by id."""
    base = Path(root) / "funsd"
    out = []
    for ann in sorted((base / "annotations").glob("*.json"))[:limit]:
        data = json.loads(ann.read_text(encoding="utf-8"))
        words, ents = [], []
        for e in data["form"]:
            ents.append(FunsdEntity(id=int(e["id"]), label=e["label"], text=e.get("text", ""),
                                    box=tuple(map(float, e["box"])),
                                    links=[tuple(x) for x in e.get("linking", [])]))
            for w in e.get("words", []):
                words.append(FunsdWord(text=w["text"], box=tuple(map(float, w["box"])), entity_id=int(e["id"])))
        out.append(FunsdForm(doc_id=ann.stem, image=base / "images" / f"{ann.stem}.png", words=words,
                             entities=ents))
    return out


# --- invoice2data ---------------------------------------------------------------------------------

# invoice2data/Odoo key -> our contract's dotted field name. ``partner_*`` is the issuing company (the
# vendor) in these templates. Template-only keys (``desc``, ``issuer``) are dropped, as the set's README says.
_I2D_FIELDS = {
    "invoice_number": "invoice_number",
    "date": "invoice_date",
    "date_due": "due_date",
    "currency": "currency",
    "amount": "total",
    "amount_untaxed": "subtotal",
    "amount_tax": "total_tax",
    "partner_name": "vendor.name",
    "vat": "vendor.vat_id",
    "static_vat": "vendor.vat_id",
    "iban": "vendor.iban",
    "purchase_order_id": "purchase_order",
}
_I2D_DROPPED = {"desc", "issuer"}
_I2D_LINE_KEYS = ("lines", "line_items")
_I2D_LINE_MAP = {"name": "description", "desc": "description", "qty": "quantity", "price_unit": "unit_price",
                 "price": "unit_price", "price_subtotal": "amount", "uom": "unit"}


@dataclass
class ExpectedInvoice:
    doc_id: str
    inputs: list[Path]  # the PDF first, then raster renders (PNG) or the text file
    fields: dict[str, object]  # contract field name ("total", "vendor.name") -> expected value
    line_items: list[dict[str, object]] = field(default_factory=list)  # keys: description, quantity, ...
    extra: dict[str, object] = field(default_factory=dict)  # keys with no contract field, kept for reference
    notes: list[str] = field(default_factory=list)


def load_invoice2data(root: Path) -> list[ExpectedInvoice]:
    """The 12 invoice2data expected outputs, fields renamed to the contract's.

    Quirks handled: each expected file is a one-element list; ``desc`` and ``issuer`` are dropped; ``vat`` is
    a VAT ID except in Orlen, where it is the seller's Polish NIP (kept as vendor.vat_id all the same); line
    items sit under ``lines`` or ``line_items`` (Orlen's ``sums`` is a tax breakdown, not line items, and its
    ``vat`` there is a tax amount); line entries without an amount or a quantity (section headers, notes)
    are skipped. The ``currency_symbol`` ``$`` of AzureInterior is mapped to USD.
    """
    base = Path(root) / "invoice2data"
    inputs: dict[str, list[Path]] = {}
    with open(base / "index.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            paths = [base / p for p in row["inputs"].split(";") if p]
            inputs[row["doc_id"]] = sorted(paths, key=lambda p: (p.suffix.lower() != ".pdf", p.name))
    out = []
    for exp in sorted((base / "expected").glob("*.json")):
        raw = json.loads(exp.read_text(encoding="utf-8"))
        d = raw[0] if isinstance(raw, list) else raw
        fields: dict[str, object] = {}
        extra: dict[str, object] = {}
        notes = []
        for k, v in d.items():
            if k in _I2D_DROPPED or k in _I2D_LINE_KEYS:
                continue
            if k in _I2D_FIELDS and _I2D_FIELDS[k] not in fields:
                fields[_I2D_FIELDS[k]] = str(v) if k in ("vat", "invoice_number") else v
            else:
                extra[k] = v
        if "currency" not in fields and d.get("currency_symbol") == "$":
            fields["currency"] = "USD"
            notes.append("currency from currency_symbol '$'")
        for k in ("invoice_date", "due_date"):
            if k in fields:
                parsed = parse_date(fields[k])
                fields[k] = parsed.isoformat() if parsed else fields[k]
        if "issuer" in d and "vendor.name" not in fields:
            notes.append(f"issuer {d['issuer']!r} is template-only and not scored")
        items = []
        for line in next((d[k] for k in _I2D_LINE_KEYS if k in d), []):
            item = {_I2D_LINE_MAP[k]: v for k, v in line.items() if k in _I2D_LINE_MAP}
            if "amount" not in item and "unit_price" not in item and "quantity" not in item:
                continue  # section header or a note line
            for k in ("quantity", "unit_price", "amount"):
                if isinstance(item.get(k), str):
                    try:
                        item[k] = float(item[k])
                    except ValueError:
                        pass
            items.append(item)
        out.append(ExpectedInvoice(doc_id=exp.stem, inputs=inputs.get(exp.stem, []), fields=fields,
                                   line_items=items, extra=extra, notes=notes))
    return out


# --- ZUGFeRD / Factur-X ---------------------------------------------------------------------------



@dataclass
class ExpectedEInvoice:
    doc_id: str
    pdf: Path
    xml: Path
    type_code: str  # 380 invoice, 381 credit note, 384 corrected, 387 hire, 389 self-billed, 204, 575
    language: str
    fields: dict[str, object]  # contract field name -> value (dates ISO, amounts float)
    line_items: list[dict[str, object]]  # description, quantity, unit, unit_price, amount
    extra: dict[str, object] = field(default_factory=dict)


def _xml_extras(path: Path) -> dict[str, str]:
    """IBAN and buyer order reference from the CII XML (absent from ``key_fields``). Empty on any error."""
    out: dict[str, str] = {}
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return out
    for el in tree.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "IBANID" and el.text and "vendor.iban" not in out:
            out["vendor.iban"] = el.text.strip()
    for el in tree.iter():
        if el.tag.rsplit("}", 1)[-1] == "BuyerOrderReferencedDocument":
            for sub in el.iter():
                if sub.tag.rsplit("}", 1)[-1] == "IssuerAssignedID" and sub.text and sub.text.strip():
                    out["purchase_order"] = sub.text.strip()
                    break
    return out


def load_zugferd(root: Path) -> list[ExpectedEInvoice]:
    """The 28 ZUGFeRD/Factur-X PDFs with ground truth from ``key_fields/`` (generated from the CII XML), plus
    IBAN and purchase-order reference read from the XML itself.

    Mapping: issue_date -> invoice_date; tax_basis_total -> subtotal (the net amount tax is computed on,
    after document-level allowances; ``line_total`` is kept in ``extra``); tax_total -> total_tax;
    grand_total -> total; due_payable -> amount_due; seller/buyer -> vendor/customer. Dates become ISO.
    Party names keep the XML's embedded newlines (compare with normalised text). BASICWL files have no
    line items in the XML although the page shows some: their ``line_items`` is empty, score lines only
    where it is not.
    """
    base = Path(root) / "einvoice_zugferd"
    meta: dict[str, dict] = {}
    with open(base / "index.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            meta[row["doc_id"]] = row
    out = []
    for kf in sorted((base / "key_fields").glob("*.json")):
        d = json.loads(kf.read_text(encoding="utf-8"))
        doc_id = kf.stem
        row = meta.get(doc_id, {})

        def iso(v: object) -> str | None:
            p = parse_date(v)
            return p.isoformat() if p else None

        f_: dict[str, object] = {
            "invoice_number": d.get("invoice_number"),
            "invoice_date": iso(d.get("issue_date")),
            "due_date": iso(d.get("due_date")),
            "currency": d.get("currency"),
            "vendor.name": d.get("seller_name"),
            "vendor.vat_id": d.get("seller_vat_id"),
            "customer.name": d.get("buyer_name"),
            "customer.vat_id": d.get("buyer_vat_id"),
            "subtotal": d.get("tax_basis_total"),
            "total_tax": d.get("tax_total"),
            "total": d.get("grand_total"),
            "amount_due": d.get("due_payable"),
        }
        xml = base / "xml" / f"{doc_id}.cii.xml"
        f_.update(_xml_extras(xml))
        items = [{"description": ln.get("name"), "quantity": ln.get("quantity"), "unit": ln.get("unit_code"),
                  "unit_price": ln.get("net_unit_price"), "amount": ln.get("line_net_total")}
                 for ln in d.get("lines", [])]
        extra = {k: d.get(k) for k in ("line_total", "profile", "seller_postcode", "seller_city",
                                       "buyer_postcode", "buyer_city")}
        out.append(ExpectedEInvoice(
            doc_id=doc_id, pdf=base / "pdf" / f"{doc_id}.pdf", xml=xml, type_code=str(d.get("type_code", "")),
            language=row.get("language", ""), fields={k: v for k, v in f_.items() if v is not None},
            line_items=items, extra=extra,
        ))
    return out


# --- eDOCr2 drawings ------------------------------------------------------------------------------


@dataclass
class DrawingBox:
    text: str  # the exact dimension text, or "" for other_info
    label: str  # "dimension" or "other_info"
    box: Box  # axis-aligned box around the shape
    polygon: list[tuple[float, float]]  # 2 corners for rectangles, 4 points for rotated polygons
    ignore: bool  # True for other_info regions (upstream scoring ignores them)


@dataclass
class EdocrDrawing:
    doc_id: str
    image: Path
    width: int
    height: int
    boxes: list[DrawingBox]

    @property
    def dimensions(self) -> list[DrawingBox]:
        return [b for b in self.boxes if not b.ignore]


def load_edocr2(root: Path) -> list[EdocrDrawing]:
    """The 7 eDOCr2 drawings (80 dimension boxes + 19 ``other_info``) from the LabelMe JSON.

    Rectangles may list their two corners in any order; polygons (rotated text) become their bounding box.
    Labels are kept verbatim (stacked tolerances flattened, inconsistent order, decimal commas): normalise
    before exact matching.
    """
    base = Path(root) / "drawings" / "edocr2_gt"
    out = []
    for js in sorted(base.glob("*.json")):
        d = json.loads(js.read_text(encoding="utf-8"))
        boxes = []
        for s in d.get("shapes", []):
            pts = [(float(x), float(y)) for x, y in s["points"]]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            other = s["label"] == "other_info"
            boxes.append(DrawingBox(text="" if other else s["label"], label="other_info" if other else "dimension",
                                    box=quad_to_box(xs, ys), polygon=pts, ignore=other))
        out.append(EdocrDrawing(doc_id=js.stem, image=base / d.get("imagePath", f"{js.stem}.jpg"),
                                width=int(d["imageWidth"]), height=int(d["imageHeight"]), boxes=boxes))
    return out


# --- DOP Roboflow dimension boxes -----------------------------------------------------------------


@dataclass
class BoxedImage:
    doc_id: str
    image: Path
    split: str  # "test" or "valid"
    width: int
    height: int
    boxes: list[Box]  # pixel boxes of class "dimensions"


def load_dop_boxes(root: Path) -> list[BoxedImage]:
    """The 19 DOP drawings (600x400 JPEG) with YOLO boxes (``class cx cy w h``, normalised) in pixels."""
    from PIL import Image

    base = Path(root) / "drawings" / "dop_roboflow_boxes"
    out = []
    for split in ("test", "valid"):
        for img in sorted((base / split / "images").glob("*.jpg")):
            with Image.open(img) as im:
                w, h = im.size
            boxes: list[Box] = []
            lab = base / split / "labels" / f"{img.stem}.txt"
            if lab.exists():
                for row in lab.read_text().splitlines():
                    parts = row.split()
                    if len(parts) != 5:
                        continue
                    cx, cy, bw, bh = (float(p) for p in parts[1:])
                    boxes.append((max(0.0, (cx - bw / 2) * w), max(0.0, (cy - bh / 2) * h),
                                  min(float(w), (cx + bw / 2) * w), min(float(h), (cy + bh / 2) * h)))
            out.append(BoxedImage(doc_id=img.stem, image=img, split=split, width=w, height=h, boxes=boxes))
    return out
