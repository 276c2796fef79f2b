"""Calibrate: every key field's ``confidence`` as the probability that its value is right, and the review
decision built on it.

Structuring leaves a heuristic score on each field (OCR confidence x rule certainty x agreement, see
``models/llm/MODEL_CARD.md``). That score orders fields but is no probability: on real invoices fields at
0.8-0.9 were right 81% of the time and fields under 0.6 88%. Here each key field gets a feature vector of
evidence that holds on documents we have not seen, and a per-field logistic model maps it to a probability:

- ``logit_raw``: the heuristic score, as log-odds;
- ``agree``: the model and the rules read the same value (two independent readers); ``model_only``: the model's
  value where the rules had none or another; ``rules_only``: the rules' value with no second reader;
- ``label``: a label that names the field printed next to the value (same line to its left, the row's head,
  or the line above); for the vendor's name, the name repeated in the page's own domain or footer
  (:mod:`docpipe.structure.vendor`); for a currency, printed more than once; for an address, a digit in it;
- ``closes`` / ``fails``: subtotal + tax = total holds / is broken (the amounts' arithmetic);
- ``plausible``: a date in a sane range and not after the due date (-1 when not).

The weights are fitted by ``models/calibration/fit.py`` (5-fold cross-validation on the shared development
sets, out-of-fold figures in ``models/calibration/MODEL_CARD.md``) and shipped as
``models/calibration/calibration.json``. Fields that are not key fields (line items, due date, customer ...)
are mapped by a pooled model over ``logit_raw`` alone, fitted on all key fields of the same document kind.

The review decision (:func:`review_reasons`): a document is auto-accepted only when every key field present
reaches the review threshold (``--review-threshold``, else the calibration file's default for the document's
kind) and no business rule failed; each reason names the field and why it is unsure.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .types import GROUNDED_TYPES, Invoice, iter_grounded

DEFAULT_CALIBRATION = Path(__file__).resolve().parents[1] / "models" / "calibration" / "calibration.json"

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "invoice": ("invoice_number", "invoice_date", "total", "total_tax", "currency", "vendor_name"),
    "receipt": ("vendor_name", "vendor_address", "invoice_date", "total"),
}
"""The fields a consumer needs to book a document, per kind; they decide ``needs_review``."""

FEATURES = ("logit_raw", "agree", "model_only", "model_p", "label", "closes", "fails", "plausible")
"""Every feature; each field's model uses the subset in :data:`FIELD_FEATURES`."""

FIELD_FEATURES: dict[str, tuple[str, ...]] = {
    "invoice_number": ("logit_raw", "agree", "model_only", "label"),
    "invoice_date": ("logit_raw", "agree", "model_only", "label", "plausible"),
    "total": ("logit_raw", "agree", "model_only", "label", "closes", "fails"),
    "total_tax": ("logit_raw", "agree", "model_only", "label", "closes", "fails"),
    "currency": ("logit_raw", "agree", "label"),
    "vendor_name": ("logit_raw", "agree", "model_only", "label"),
    "vendor_address": ("logit_raw", "agree", "model_only", "label"),
}

_PATHS = {"vendor_name": ("vendor", "name"), "vendor_address": ("vendor", "address"),
          "customer_name": ("customer", "name")}
_MODEL_SOURCES = frozenset({"model", "override"})
_LABEL_FIELDS = ("invoice_number", "invoice_date", "total", "total_tax")


def get_field(inv: Invoice, name: str):
    """The grounded field ``name`` (flat names: ``vendor_name`` is ``inv.vendor.name``)."""
    obj = inv
    for part in _PATHS.get(name, (name,)):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _logit(p: float) -> float:
    p = min(0.98, max(0.02, p))
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


# --- evidence ------------------------------------------------------------------------------------------------


def _labelled(name: str, g, views: Sequence) -> bool:
    """Whether a label of ``name`` is printed left of the value on its line or row, or on the line above."""
    from .structure.invoice import LABELS  # structure imports this module's users; keep the import local

    if g.page is None or g.bbox is None or not 1 <= g.page <= len(views):
        return False
    view = views[g.page - 1]
    x0, y0, x1, y1 = g.bbox
    cy = (y0 + y1) / 2
    rx = LABELS[name]
    for ln in view.lines:
        bx0, by0, bx1, by1 = ln.bbox
        if by0 - 2 <= cy <= by1 + 2 and bx0 < x0:  # the value's line, or a line to its left on the same row
            left = " ".join(w.text for w in ln.words if w.bbox[2] <= x0 + 2)
            if left and rx.search(left):
                return True
    h = max(1, y1 - y0)
    for ln in view.lines:  # the line right above, overlapping the value horizontally
        bx0, by0, bx1, by1 = ln.bbox
        if y0 - 3 * h <= by1 <= y0 + 2 and min(x1, bx1) - max(x0, bx0) > -h and rx.search(ln.text):
            return True
    return False


def _in_title(name: str, g, views: Sequence) -> bool:
    """Whether the number or date was read from the document's title line ('Rechnung Nr. 4711 vom ...'),
    which names it as a label does (:mod:`docpipe.structure.headings`)."""
    if name not in ("invoice_number", "invoice_date") or g.page is None or g.bbox is None:
        return False
    from .structure.headings import find_title

    title = find_title(list(views))
    part = None if title is None else (title.number if name == "invoice_number" else title.date)
    return part is not None and part[0].page == g.page and part[0].bbox == tuple(g.bbox)


def field_features(name: str, inv: Invoice, views: Sequence, sources: Mapping[str, str],
                   model_p: Mapping[str, float], *, confirmed_vendor: str | None = None) -> dict[str, float] | None:
    """The evidence for the key field ``name`` of ``inv`` (None when the field is empty)."""
    g = get_field(inv, name)
    if g is None:
        return None
    src = sources.get(name, "not_asked")
    f = dict.fromkeys(FEATURES, 0.0)
    f["logit_raw"] = _logit(g.confidence)
    f["agree"] = float(src == "agree")
    f["model_only"] = float(src in _MODEL_SOURCES)
    f["model_p"] = float(model_p.get(name, 0.0)) if src in _MODEL_SOURCES or src == "agree" else 0.0
    if name in _LABEL_FIELDS:
        f["label"] = float(_labelled(name, g, views) or _in_title(name, g, views))
    elif name == "vendor_name":
        f["label"] = float(confirmed_vendor is not None
                           and confirmed_vendor.casefold().strip() == str(g.value).casefold().strip())
    elif name == "currency":
        code = str(g.value)
        n = sum(1 for v in views for ln in v.lines if code in ln.text or (g.text and g.text in ln.text))
        f["label"] = float(n >= 2)
    elif name == "vendor_address":
        f["label"] = float(bool(re.search(r"\d", str(g.value))))
    if name in ("total", "total_tax", "subtotal"):
        s, x, t = inv.subtotal, inv.total_tax, inv.total
        if s is not None and x is not None and t is not None:
            ok = abs(round(s.value + x.value, 2) - t.value) <= 0.011
            f["closes"], f["fails"] = float(ok), float(not ok)
    if name in ("invoice_date", "due_date"):
        d: _dt.date = g.value
        sane = 1990 <= d.year <= _dt.date.today().year + 1
        if name == "invoice_date" and inv.due_date is not None and inv.due_date.value < d:
            sane = False
        f["plausible"] = 1.0 if sane else -1.0
    return f


# --- the model -----------------------------------------------------------------------------------------------


@dataclass
class FieldModel:
    """``p = sigmoid(bias + sum(w_i * x_i))`` over ``features``."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float

    def __call__(self, x: Mapping[str, float]) -> float:
        return _sigmoid(self.bias + sum(w * x.get(k, 0.0) for k, w in zip(self.features, self.weights)))

    def to_json(self) -> dict:
        return {"features": list(self.features), "weights": [round(w, 5) for w in self.weights],
                "bias": round(self.bias, 5)}

    @classmethod
    def from_json(cls, d: Mapping) -> FieldModel:
        return cls(tuple(d["features"]), tuple(float(w) for w in d["weights"]), float(d["bias"]))


@dataclass
class Calibrator:
    """Per document kind (``invoice``, ``receipt``): a :class:`FieldModel` per key field and a pooled one
    (``"*"``) over ``logit_raw`` for every other grounded field."""

    models: dict[str, dict[str, FieldModel]] = field(default_factory=dict)
    threshold: float = 0.9
    meta: dict = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    """per document kind, the default review threshold (else :attr:`threshold`)"""

    def threshold_for(self, kind: str) -> float:
        return self.thresholds.get(kind, self.threshold)

    @classmethod
    def load(cls, path: Path | None = None) -> Calibrator:
        path = Path(path or DEFAULT_CALIBRATION)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError as e:
            from .errors import ModelLoadError

            raise ModelLoadError(f"the calibration file {path} is missing; restore models/calibration/ from the "
                                 "repository or refit it (python -m models.calibration.fit)") from e
        models = {kind: {name: FieldModel.from_json(m) for name, m in per.items()}
                  for kind, per in data["models"].items()}
        return cls(models=models, threshold=float(data.get("threshold", 0.9)), meta=data.get("meta", {}),
                   thresholds={k: float(v) for k, v in data.get("thresholds", {}).items()})

    def to_json(self) -> dict:
        return {"threshold": self.threshold, "thresholds": self.thresholds, "meta": self.meta,
                "models": {k: {n: m.to_json() for n, m in per.items()} for k, per in self.models.items()}}

    def probability(self, kind: str, name: str, x: Mapping[str, float]) -> float:
        per = self.models.get(kind) or self.models.get("invoice", {})
        model = per.get(name) or per.get("*")
        if model is None:
            return _sigmoid(x.get("logit_raw", 0.0))
        return model(x)


@dataclass
class Calibrated:
    """What calibration decided for one document: per key field, the probability and its evidence."""

    probabilities: dict[str, float] = field(default_factory=dict)
    features: dict[str, dict[str, float]] = field(default_factory=dict)


def calibrate_invoice(inv: Invoice, views: Sequence, *, kind: str, sources: Mapping[str, str],
                      model_p: Mapping[str, float], calibrator: Calibrator,
                      confirmed_vendor: str | None = None) -> Calibrated:
    """Replace every grounded field's confidence in ``inv`` (in place) by its calibrated probability."""
    out = Calibrated()
    keys = KEY_FIELDS.get(kind, KEY_FIELDS["invoice"])
    calibrated = []  # the key fields' new objects, held so that their ids stay theirs during the pass below
    for name in keys:
        x = field_features(name, inv, views, sources, model_p, confirmed_vendor=confirmed_vendor)
        if x is None:
            continue
        g = get_field(inv, name)
        p = round(calibrator.probability(kind, name, x), 4)
        out.probabilities[name], out.features[name] = p, x
        calibrated.append(g.model_copy(update={"confidence": p}))
        _replace(inv, name, calibrated[-1])
    # (The ids of the replaced objects would not do: a freed object's id is reused, and a key field could then
    # be mapped twice, once by its own model and again by the pooled one, depending on memory layout.)
    key_ids = {id(g) for g in calibrated}
    for _path, g in list(iter_grounded(inv, "invoice")):
        if id(g) in key_ids or not isinstance(g, GROUNDED_TYPES):
            continue
        g.confidence = round(calibrator.probability(kind, "*", {"logit_raw": _logit(g.confidence)}), 4)
    return out


def _replace(inv: Invoice, name: str, g) -> None:
    path = _PATHS.get(name, (name,))
    obj = inv
    for part in path[:-1]:
        obj = getattr(obj, part)
    setattr(obj, path[-1], g)


# --- review --------------------------------------------------------------------------------------------------

def _why(name: str, x: Mapping[str, float]) -> str:
    parts = []
    if x.get("fails"):
        parts.append("subtotal + tax does not equal the total")
    if x.get("plausible", 0) < 0:
        parts.append("the date is outside a plausible range or after the due date")
    if name in _LABEL_FIELDS and not x.get("label"):
        parts.append("no label next to it")
    if name == "vendor_name" and not x.get("label"):
        parts.append("not confirmed by the page's own domain or footer")
    if not x.get("agree"):
        parts.append("the model and the rules did not both read it")
    if math.exp(x.get("logit_raw", 0)) / (1 + math.exp(x.get("logit_raw", 0))) < 0.6:
        parts.append("low OCR or rule certainty")
    return "; ".join(parts) or "weak evidence"


def review_reasons(cal: Calibrated, *, threshold: float) -> list[str]:
    """One reason per key field below ``threshold``, naming the field, its probability and why."""
    return [f"{name.replace('_', ' ')}: confidence {p:.2f} below the review threshold {threshold:.2f} "
            f"({_why(name, cal.features[name])})"
            for name, p in cal.probabilities.items() if p < threshold]
