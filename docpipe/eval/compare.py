"""Compare a folder of predicted ``DocumentResult`` JSON files with a folder of expected ones.

Files are matched by name (``<name>.json``; ``_manifest.jsonl`` and other non-JSON files are ignored). A field
is counted only where the expected document has it: then it is *correct*, *wrong* (both present, values
differ) or *missing* (predicted null). A predicted value where the expected one is null is *extra*, reported
separately and not part of the accuracy. Amounts match within ±0.01, dates by calendar day, currencies exactly,
other strings ignoring case, whitespace and punctuation (names and addresses also get a *near* count: CER of
the normalised strings <= 0.2).

The key fields of invoices and receipts are also scored as :mod:`docpipe.eval.fields` scores them (names within
CER 0.2, as the calibration was fitted), with the predicted confidences and ``needs_review``: per-field accuracy,
a reliability table with the expected calibration error, and auto-accept coverage and precision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..calibrate import KEY_FIELDS
from ..geometry import iou
from ..types import Dimension, DocumentResult
from .fields import document_row, format_summary, summarize
from .metrics import PR, amounts_equal, cer, dates_equal, match_boxes, normalise_text, text_equal, text_similar

INVOICE_FIELDS = ("invoice_number", "invoice_date", "due_date", "currency", "vendor.name", "customer.name",
                  "vendor.vat_id", "customer.vat_id", "vendor.iban", "subtotal", "total_tax", "total",
                  "amount_due", "purchase_order")
TITLE_BLOCK_FIELDS = ("drawing_number", "title", "revision", "scale", "material", "sheet", "date", "company",
                      "drawn_by", "general_tolerance")
_AMOUNTS = {"subtotal", "total_tax", "total", "amount_due"}
_DATES = {"invoice_date", "due_date", "date"}
_NAMES = {"vendor.name", "customer.name", "vendor.address", "customer.address", "title", "company", "material"}
REGION_IOU = 0.5
DIMENSION_IOU = 0.2  # as eDOCr2's scoring


def values_match(name: str, expected: object, predicted: object) -> bool:
    """Whether two field values agree, by the field's kind (see module docstring)."""
    leaf = name.rsplit(".", 1)[-1]
    if leaf in _AMOUNTS:
        return amounts_equal(expected, predicted)
    if leaf in _DATES:
        return dates_equal(expected, predicted)
    if leaf == "currency":
        return str(expected).strip().upper() == str(predicted).strip().upper()
    return text_equal(expected, predicted)


@dataclass
class FieldStats:
    expected: int = 0
    correct: int = 0
    wrong: int = 0
    missing: int = 0
    extra: int = 0
    near: int = 0  # wrong but similar (names/addresses only)
    grounded_checked: int = 0  # both sides have a page+bbox
    grounded_ok: int = 0  # ...and the boxes overlap on the same page

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.expected if self.expected else None

    def to_dict(self) -> dict:
        return {**asdict(self), "accuracy": self.accuracy}


@dataclass
class DimensionStats:
    pr: PR = field(default_factory=lambda: PR(0, 0, 0))
    nominal_checked: int = 0
    nominal_ok: int = 0
    kind_checked: int = 0
    kind_ok: int = 0
    deviation_checked: int = 0
    deviation_ok: int = 0
    cer_sum: float = 0.0  # over matched pairs
    matched: int = 0
    per_item: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        rate = (lambda a, b: a / b if b else None)
        return {**self.pr.to_dict(), "nominal_acc": rate(self.nominal_ok, self.nominal_checked),
                "kind_acc": rate(self.kind_ok, self.kind_checked),
                "deviation_acc": rate(self.deviation_ok, self.deviation_checked),
                "text_cer_matched": rate(self.cer_sum, self.matched), "per_item": self.per_item}


@dataclass
class FolderReport:
    n_expected: int = 0
    n_compared: int = 0
    missing_predictions: list[str] = field(default_factory=list)
    extra_predictions: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    doc_type_correct: int = 0
    doc_type_confusions: list[tuple[str, str, str]] = field(default_factory=list)  # (name, expected, predicted)
    invoice_fields: dict[str, FieldStats] = field(default_factory=dict)
    title_block_fields: dict[str, FieldStats] = field(default_factory=dict)
    line_item_docs: int = 0
    line_item_count_ok: int = 0
    line_item_amounts: PR = field(default_factory=lambda: PR(0, 0, 0))
    regions: dict[str, PR] = field(default_factory=dict)
    dimensions: DimensionStats = field(default_factory=DimensionStats)
    key_field_rows: list[dict] = field(default_factory=list)  # invoices and receipts, docpipe.eval.fields rows
    plan_sheets: list = field(default_factory=list)  # architectural drawings, docpipe.eval.plans.SheetScore

    def key_fields(self) -> dict | None:
        """The key-field figures of the invoices and receipts (:func:`docpipe.eval.fields.summarize`)."""
        if not self.key_field_rows:
            return None
        names = tuple(f for f in dict.fromkeys(f for kind in KEY_FIELDS.values() for f in kind)
                      if any(f in r["fields"] for r in self.key_field_rows))
        return summarize(self.key_field_rows, names)

    def to_json(self) -> dict:
        fs = (lambda d: {k: v.to_dict() for k, v in d.items()})
        return {
            "n_expected": self.n_expected, "n_compared": self.n_compared,
            "missing_predictions": self.missing_predictions, "extra_predictions": self.extra_predictions,
            "unreadable": self.unreadable,
            "doc_type_accuracy": self.doc_type_correct / self.n_compared if self.n_compared else None,
            "doc_type_confusions": [list(c) for c in self.doc_type_confusions],
            "invoice_fields": fs(self.invoice_fields), "title_block_fields": fs(self.title_block_fields),
            "line_items": {"docs": self.line_item_docs, "count_ok": self.line_item_count_ok,
                           "amounts": self.line_item_amounts.to_dict()},
            "regions": {k: v.to_dict() for k, v in self.regions.items()},
            "dimensions": self.dimensions.to_dict(),
            "key_fields": self.key_fields(),
            "plans": self._plans().totals() if self.plan_sheets else None,
        }

    def _plans(self):
        from .plans import PlanReport

        return PlanReport(self.plan_sheets, 0)

    def format_report(self) -> str:
        out = [f"Compared {self.n_compared} of {self.n_expected} expected documents"
               + (f"; no prediction for {len(self.missing_predictions)}" if self.missing_predictions else "")
               + (f"; {len(self.extra_predictions)} predictions without expected file" if self.extra_predictions
                  else "")]
        for name, why in self.unreadable.items():
            out.append(f"  unreadable: {name}: {why}")
        if self.n_compared:
            out.append(f"doc_type accuracy: {fmt(self.doc_type_correct / self.n_compared)} "
                       f"({self.doc_type_correct}/{self.n_compared})")
        for title, stats in (("Invoice fields", self.invoice_fields), ("Title-block fields", self.title_block_fields)):
            rows = [[k, s.expected, s.correct, s.wrong, s.missing, s.extra, s.near, fmt(s.accuracy),
                     f"{s.grounded_ok}/{s.grounded_checked}" if s.grounded_checked else "-"]
                    for k, s in stats.items() if s.expected or s.extra]
            if rows:
                out += ["", title, format_table(
                    ["field", "expected", "correct", "wrong", "missing", "extra", "near", "accuracy", "grounded"], rows)]
        if self.line_item_docs:
            li = self.line_item_amounts
            out += ["", f"Line items: count right in {self.line_item_count_ok}/{self.line_item_docs} documents; "
                        f"amounts recall {fmt(li.recall)} precision {fmt(li.precision)} ({li.tp}/{li.n_gt})"]
        if self.regions:
            rows = [[k, v.n_gt, v.n_pred, v.tp, fmt(v.recall), fmt(v.precision)] for k, v in sorted(self.regions.items())]
            out += ["", f"Regions (IoU >= {REGION_IOU})", format_table(["label", "gt", "pred", "matched", "recall",
                                                                         "precision"], rows)]
        d = self.dimensions
        if d.pr.n_gt or d.pr.n_pred:
            j = d.to_dict()
            out += ["", f"Dimensions (IoU >= {DIMENSION_IOU}): recall {fmt(j['recall'])} precision "
                        f"{fmt(j['precision'])} ({d.pr.tp}/{d.pr.n_gt} gt, {d.pr.n_pred} predicted); on matched: "
                        f"text CER {fmt(j['text_cer_matched'])}, nominal {fmt(j['nominal_acc'])}, kind "
                        f"{fmt(j['kind_acc'])}, deviations {fmt(j['deviation_acc'])}"]
        if self.plan_sheets:  # floor plans: rooms, plan dimensions, openings (docpipe.eval.plans)
            out += [""] + [ln for ln in self._plans().format_report().splitlines() if "seeds" not in ln]
        if (summary := self.key_fields()) is not None:
            out += ["", format_summary(summary, "Key fields of invoices and receipts (names within CER 0.2; "
                                                "confidences and needs_review as predicted)")]
        return "\n".join(out)


def fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def format_table(headers: list[str], rows: list[list[object]]) -> str:
    """A plain-text table (first column left-aligned, the rest right-aligned)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- comparison -----------------------------------------------------------------------------------


def _get(obj: object, dotted: str) -> object:
    for part in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def _compare_fields(exp_obj: object, pred_obj: object, names: tuple[str, ...], stats: dict[str, FieldStats]) -> None:
    for name in names:
        e, p = _get(exp_obj, name), _get(pred_obj, name)
        s = stats.setdefault(name, FieldStats())
        if e is None:
            if p is not None:
                s.extra += 1
            continue
        s.expected += 1
        if p is None:
            s.missing += 1
            continue
        if values_match(name, e.value, p.value):
            s.correct += 1
        else:
            s.wrong += 1
            if name.rsplit(".", 1)[-1] in _NAMES or name in _NAMES:
                s.near += text_similar(e.value, p.value)
        if e.bbox is not None and p.bbox is not None and e.page is not None:
            s.grounded_checked += 1
            s.grounded_ok += int(e.page == p.page and iou(e.bbox, p.bbox) > 0)


def _compare_line_items(exp: DocumentResult, pred: DocumentResult, rep: FolderReport) -> None:
    el = exp.invoice.line_items if exp.invoice else []
    if not el:
        return
    pl = pred.invoice.line_items if pred.invoice else []
    rep.line_item_docs += 1
    rep.line_item_count_ok += int(len(el) == len(pl))
    e_amt = [li.amount.value for li in el if li.amount is not None]
    p_amt = [li.amount.value for li in pl if li.amount is not None]
    free = list(p_amt)
    tp = 0
    for a in e_amt:  # multiset match within ±0.01
        for i, b in enumerate(free):
            if amounts_equal(a, b):
                tp += 1
                del free[i]
                break
    rep.line_item_amounts = rep.line_item_amounts + PR(tp, len(e_amt), len(p_amt))


def _compare_regions(exp: DocumentResult, pred: DocumentResult, rep: FolderReport) -> None:
    if not any(p.regions for p in exp.pages) or not any(p.regions for p in pred.pages):
        return
    pred_pages = {p.number: p for p in pred.pages}
    for ep in exp.pages:
        pp = pred_pages.get(ep.number)
        labels = {r.label for r in ep.regions} | ({r.label for r in pp.regions} if pp else set())
        for label in labels:
            g = [r.bbox for r in ep.regions if r.label == label]
            q = [r.bbox for r in pp.regions if r.label == label] if pp else []
            m = match_boxes(g, q, REGION_IOU)
            rep.regions[label] = rep.regions.get(label, PR(0, 0, 0)) + PR(len(m), len(g), len(q))


def _close(a: float | None, b: float | None, tol: float = 1e-3) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= tol)


def _compare_dimensions(name: str, exp: DocumentResult, pred: DocumentResult, st: DimensionStats) -> None:
    ed = exp.drawing.dimensions if exp.drawing else []
    pd = pred.drawing.dimensions if pred.drawing else []
    if not ed and not pd:
        return
    tp = 0
    for page in sorted({d.page for d in ed} | {d.page for d in pd}):
        g: list[Dimension] = [d for d in ed if d.page == page]
        q: list[Dimension] = [d for d in pd if d.page == page]
        matches = match_boxes([d.bbox for d in g], [d.bbox for d in q], DIMENSION_IOU)
        hit = {m.gt: m for m in matches}
        tp += len(matches)
        for i, e in enumerate(g):
            m = hit.get(i)
            item = {"doc": name, "page": page, "text": e.text, "matched": m is not None}
            if m is not None:
                p = q[m.pred]
                c = cer(normalise_text(e.text), normalise_text(p.text))
                st.cer_sum += c
                st.matched += 1
                item.update(pred_text=p.text, iou=round(m.iou, 3), cer=round(c, 3))
                if e.nominal is not None:
                    st.nominal_checked += 1
                    ok = _close(e.nominal, p.nominal)
                    st.nominal_ok += ok
                    item["nominal_ok"] = ok
                st.kind_checked += 1
                st.kind_ok += e.kind == p.kind
                if e.upper_deviation is not None or e.lower_deviation is not None:
                    st.deviation_checked += 1
                    ok = _close(e.upper_deviation, p.upper_deviation) and _close(e.lower_deviation,
                                                                                 p.lower_deviation)
                    st.deviation_ok += ok
                    item["deviation_ok"] = ok
            st.per_item.append(item)
    st.pr = st.pr + PR(tp, len(ed), len(pd))


def compare_documents(name: str, exp: DocumentResult, pred: DocumentResult, rep: FolderReport) -> None:
    """Add one expected/predicted pair to ``rep``."""
    rep.n_compared += 1
    if exp.doc_type == pred.doc_type:
        rep.doc_type_correct += 1
    else:
        rep.doc_type_confusions.append((name, exp.doc_type, pred.doc_type))
    if exp.invoice is not None or pred.invoice is not None:
        _compare_fields(exp.invoice, pred.invoice, INVOICE_FIELDS, rep.invoice_fields)
        _compare_line_items(exp, pred, rep)
        if (row := document_row(name, exp, pred)) is not None:
            rep.key_field_rows.append(row)
    if exp.drawing is not None or pred.drawing is not None:
        _compare_fields(_get(exp, "drawing.title_block"), _get(pred, "drawing.title_block"), TITLE_BLOCK_FIELDS,
                        rep.title_block_fields)
        _compare_dimensions(name, exp, pred, rep.dimensions)
        if exp.drawing is not None and exp.drawing.discipline == "architectural":
            from .plans import score_sheet

            rep.plan_sheets.append(score_sheet(name, pred, exp.drawing))
    _compare_regions(exp, pred, rep)


def _load(path: Path) -> DocumentResult:
    return DocumentResult.model_validate_json(path.read_text(encoding="utf-8"))


def compare_folder(pred_dir: Path, expected_dir: Path, *,
                   loader: Callable[[Path], DocumentResult] = _load) -> FolderReport:
    """Compare every ``<name>.json`` in ``expected_dir`` with the same name in ``pred_dir``."""
    pred_dir, expected_dir = Path(pred_dir), Path(expected_dir)
    exp_files = {p.name: p for p in sorted(expected_dir.glob("*.json"))}
    pred_files = {p.name: p for p in sorted(pred_dir.glob("*.json"))}
    rep = FolderReport(n_expected=len(exp_files))
    rep.missing_predictions = sorted(set(exp_files) - set(pred_files))
    rep.extra_predictions = sorted(set(pred_files) - set(exp_files))
    for name in sorted(set(exp_files) & set(pred_files)):
        try:
            exp = loader(exp_files[name])
        except (ValidationError, ValueError, OSError) as e:
            rep.unreadable[f"expected/{name}"] = _short(e)
            continue
        try:
            pred = loader(pred_files[name])
        except (ValidationError, ValueError, OSError) as e:
            rep.unreadable[f"pred/{name}"] = _short(e)
            continue
        compare_documents(name, exp, pred, rep)
    return rep


def _short(e: Exception) -> str:
    return " ".join(str(e).split())[:200]
