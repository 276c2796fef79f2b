"""Floor plans: rooms, plan dimensions and openings against generated ground truth (``docpipe eval plans``).

Generates ``n`` plans (:func:`docpipe.synth.write_plan`) from seeds ``seed .. seed + n - 1``, runs the pipeline
(rules backend) over them, and scores each sheet:

- **dimension strings found**: truth dimension strings with a predicted dimension on the same ink (the boxes
  overlap by IoU >= 0.2, or one lies mostly inside the other); **nominal right**: of those, ``nominal`` within
  0.5 mm of the truth (mm whatever the notation); **precision**: predicted dimensions on some truth string;
- **rooms**: truth rooms whose name (case and spacing aside) and area (within 0.01 m²) a predicted room gives;
- **door and window counts**: sheets where ``quantities.doors`` and ``quantities.windows`` are each within 1 of
  the truth; **chains**: truth chains with an overall whose predicted overall is marked on the same string.

Seeds from 5000 on are kept for this evaluation: the generator and rule tests use seeds under 1000.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..geometry import iou, mostly_inside
from ..types import DocumentResult, Drawing

EVAL_SEED = 5000


@dataclass
class SheetScore:
    name: str
    doc_type: str
    discipline: str | None
    dims_truth: int = 0
    dims_found: int = 0
    dims_nominal_ok: int = 0
    dims_pred: int = 0
    dims_pred_on_truth: int = 0
    rooms_truth: int = 0
    rooms_ok: int = 0
    doors: tuple[int, int] = (0, 0)  # (truth, predicted)
    windows: tuple[int, int] = (0, 0)
    overalls_truth: int = 0
    overalls_ok: int = 0
    missed: list[str] = field(default_factory=list)

    @property
    def counts_ok(self) -> bool:
        return abs(self.doors[0] - self.doors[1]) <= 1 and abs(self.windows[0] - self.windows[1]) <= 1


def _same_ink(a, b) -> bool:
    return iou(a, b) >= 0.2 or mostly_inside(a, b) or mostly_inside(b, a)


def _norm(s: str | None) -> str:
    return " ".join((s or "").lower().split())


def score_sheet(name: str, pred: DocumentResult, truth: Drawing) -> SheetScore:
    d = pred.drawing or Drawing()
    s = SheetScore(name, pred.doc_type, d.discipline if pred.drawing else None)
    s.dims_truth, s.dims_pred = len(truth.dimensions), len(d.dimensions)
    for t in truth.dimensions:
        hits = [p for p in d.dimensions if p.page == t.page and _same_ink(p.bbox, t.bbox)]
        if hits:
            s.dims_found += 1
            if any(p.nominal is not None and abs(p.nominal - t.nominal) <= 0.5 for p in hits):
                s.dims_nominal_ok += 1
            else:
                s.missed.append(f"dimension {t.text!r}: read {', '.join(repr(p.text) for p in hits)}")
        else:
            s.missed.append(f"dimension {t.text!r}: not found")
        if t.overall:
            s.overalls_truth += 1
            s.overalls_ok += any(p.overall for p in hits)
    s.dims_pred_on_truth = sum(any(_same_ink(p.bbox, t.bbox) for t in truth.dimensions) for p in d.dimensions)
    s.rooms_truth = len(truth.rooms)
    for t in truth.rooms:
        ok = any(p.name is not None and _norm(p.name.value) == _norm(t.name.value) and p.area_m2 is not None
                 and abs(p.area_m2.value - t.area_m2.value) <= 0.01 for p in d.rooms)
        s.rooms_ok += ok
        if not ok:
            s.missed.append(f"room {t.name.value!r} {t.area_m2.text!r}: not read")
    q, tq = d.quantities, truth.quantities
    s.doors = (tq.doors, q.doors if q else 0)
    s.windows = (tq.windows, q.windows if q else 0)
    return s


@dataclass
class PlanReport:
    sheets: list[SheetScore]
    seed: int

    def totals(self) -> dict:
        S = self.sheets
        tot = lambda k: sum(getattr(s, k) for s in S)  # noqa: E731
        ratio = lambda a, b: round(a / b, 3) if b else None  # noqa: E731
        return {
            "sheets": len(S), "seeds": f"{self.seed}..{self.seed + len(S) - 1}",
            "drawing_architectural": sum(s.doc_type == "drawing" and s.discipline == "architectural" for s in S),
            "dimension_strings_found": ratio(tot("dims_found"), tot("dims_truth")),
            "dimension_nominal_right": ratio(tot("dims_nominal_ok"), tot("dims_truth")),
            "dimension_precision": ratio(tot("dims_pred_on_truth"), tot("dims_pred")),
            "rooms_name_and_area": ratio(tot("rooms_ok"), tot("rooms_truth")),
            "door_window_counts_within_1": ratio(sum(s.counts_ok for s in S), len(S)),
            "overall_of_chain_marked": ratio(tot("overalls_ok"), tot("overalls_truth")),
            "n_dimensions": tot("dims_truth"), "n_rooms": tot("rooms_truth"),
        }

    def format_report(self, verbose: bool = False) -> str:
        t = self.totals()
        out = [f"floor plans: {t['sheets']} generated sheets, seeds {t['seeds']} (rules backend)",
               f"  read as drawing/architectural   {t['drawing_architectural']}/{t['sheets']}",
               f"  dimension strings found         {t['dimension_strings_found']}  (of {t['n_dimensions']})",
               f"  dimension nominal right         {t['dimension_nominal_right']}",
               f"  dimension precision             {t['dimension_precision']}",
               f"  rooms (name and area)           {t['rooms_name_and_area']}  (of {t['n_rooms']})",
               f"  door+window counts within 1     {t['door_window_counts_within_1']}",
               f"  chain overall marked            {t['overall_of_chain_marked']}"]
        for s in self.sheets:
            out.append(f"  {s.name}: dims {s.dims_found}/{s.dims_truth} found, {s.dims_nominal_ok} right; rooms "
                       f"{s.rooms_ok}/{s.rooms_truth}; doors {s.doors[1]} (truth {s.doors[0]}), windows "
                       f"{s.windows[1]} (truth {s.windows[0]})")
            if verbose:
                out += [f"      {m}" for m in s.missed]
        return "\n".join(out)

    def to_json(self) -> dict:
        return {**self.totals(), "per_sheet": [{**s.__dict__, "counts_ok": s.counts_ok} for s in self.sheets]}


def evaluate_plans(n: int = 20, seed: int = EVAL_SEED, *, workers: int = 1, out: Path | None = None,
                   options=None) -> PlanReport:
    """Generate ``n`` plans into ``out`` (a temporary folder by default), run the pipeline, score them."""
    from ..options import PipelineOptions, StructureOptions
    from ..pipeline import run_batch
    from ..synth import write_plan

    with tempfile.TemporaryDirectory(prefix="docpipe-plans-") as tmp:
        root = Path(out) if out is not None else Path(tmp)
        docs, res = root / "plans", root / "out"
        paths = [write_plan(docs, f"plan_{seed + i:05d}", np.random.default_rng(seed + i)) for i in range(n)]
        opts = options or PipelineOptions(workers=workers, structure=StructureOptions(backend="rules"))
        run_batch(docs, res, opts, resume=False, exclude=("expected/",))  # the truth is no input
        sheets = []
        for p in paths:
            truth = DocumentResult.model_validate_json((docs / "expected" / f"{p.name}.json").read_text())
            pred = DocumentResult.model_validate_json((res / f"{p.name}.json").read_text())
            sheets.append(score_sheet(p.name, pred, truth.drawing))
    return PlanReport(sheets, seed)


__all__ = ["EVAL_SEED", "PlanReport", "SheetScore", "evaluate_plans", "score_sheet"]
