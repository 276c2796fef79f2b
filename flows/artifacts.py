"""What a ``digitize-folder`` run shows in the Prefect UI: a table, a markdown summary, review overlays.

Artifacts live in the Prefect database, so they stay small: the table holds a few key fields per document,
and an overlay is a downscaled JPEG sent as a ``data:`` URL (the UI shows image artifacts by URL, and the
output folder is not served over HTTP). Full-size overlays are the PNGs in ``<out>/overlays/``.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from PIL import Image
from prefect.artifacts import create_image_artifact, create_markdown_artifact, create_table_artifact

from docpipe.types import DocumentResult

TABLE_KEY = "docpipe-documents"
SUMMARY_KEY = "docpipe-summary"
_PREVIEW_SIDE = 1100  # px, longest side of an overlay artifact


def key_fields(result: DocumentResult) -> str:
    """A few identifying fields, e.g. ``invoice_number=A-1; total=10.0 EUR``."""
    parts: list[str] = []
    inv, drw = result.invoice, result.drawing
    if inv is not None:
        for name in ("invoice_number", "invoice_date"):
            if (g := getattr(inv, name)) is not None:
                parts.append(f"{name}={g.value}")
        if inv.vendor.name is not None:
            parts.append(f"vendor={inv.vendor.name.value}")
        if inv.total is not None:
            cur = f" {inv.currency.value}" if inv.currency is not None else ""
            parts.append(f"total={inv.total.value:g}{cur}")
    if drw is not None:
        tb = drw.title_block
        for name in ("drawing_number", "title", "revision"):
            if (g := getattr(tb, name)) is not None:
                parts.append(f"{name}={g.value}")
        parts.append(f"dimensions={len(drw.dimensions)}")
    return "; ".join(parts)[:200]


def table_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"document": r["path"], "type": r.get("doc_type", ""), "status": r["status"],
             "needs_review": r.get("needs_review", False), "key_fields": r.get("key_fields", ""),
             "seconds": r.get("seconds", 0.0), "run": r.get("run", "")} for r in sorted(rows, key=_path)]


def _path(row: dict[str, Any]) -> str:
    return row["path"]


def summary_markdown(rows: list[dict[str, Any]], *, found: int, skipped: int, excluded: int, seconds: float,
                     delivery_failures: list[str], params_line: str) -> str:
    count = lambda **kw: sum(all(r.get(k) == v for k, v in kw.items()) for r in rows)  # noqa: E731
    lines = [
        "# docpipe: digitize-folder", "", params_line, "",
        "| | documents |", "|---|---:|",
        f"| found | {found} |",
        f"| processed now | {count(run='processed')} |",
        f"| reused from the Prefect cache | {count(run='cached')} |",
        f"| unchanged, skipped (manifest) | {skipped} |",
        f"| excluded | {excluded} |",
        f"| ok | {count(status='ok')} |",
        f"| partial | {count(status='partial')} |",
        f"| failed | {count(status='failed')} |",
        f"| needs review | {count(needs_review=True)} |",
        "", f"Wall time: {seconds:.1f} s.", "",
    ]
    failed = [r for r in rows if r["status"] in ("failed", "partial")]
    if failed:
        lines += ["## Failures", ""]
        lines += [f"- **{r['path']}** ({r['status']}): {'; '.join(r.get('errors', [])) or 'no detail'}"
                  for r in failed]
        lines.append("")
    review = [r for r in rows if r.get("needs_review")]
    if review:
        lines += ["## Needs review", ""]
        lines += [f"- **{r['path']}**: {'; '.join(r.get('review_reasons', []))}" for r in review]
        lines.append("")
    if delivery_failures:
        lines += ["## Delivery failures (retried on the next run)", ""]
        lines += [f"- {d}" for d in delivery_failures]
    return "\n".join(lines)


def overlay_data_url(png: Path, side: int = _PREVIEW_SIDE) -> str:
    with Image.open(png) as img:
        img = img.convert("RGB")
        img.thumbnail((side, side), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=75)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def publish(rows: list[dict[str, Any]], summary: str, out_dir: Path, max_overlays: int) -> None:
    """Create the run's artifacts: the table, the summary, and overlays of documents that need review."""
    create_table_artifact(table_rows(rows), key=TABLE_KEY, description="Documents of this run")
    create_markdown_artifact(summary, key=SUMMARY_KEY, description="Totals and failures of this run")
    shown = 0
    for r in rows:
        if not r.get("needs_review"):
            continue
        for name in r.get("overlays", []):
            if shown >= max_overlays:
                return
            path = out_dir / name
            if path.exists():
                reasons = "; ".join(r.get("review_reasons", []))
                create_image_artifact(overlay_data_url(path), description=f"{r['path']} ({name}): {reasons}")
                shown += 1
