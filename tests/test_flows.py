"""Flow tests: one Prefect test server for the session (~14 s to start), synthetic pages rendered here."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

pytest.importorskip("prefect")

from prefect.client.orchestration import get_client  # noqa: E402
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from docpipe.options import PipelineOptions  # noqa: E402
from docpipe.output import MANIFEST  # noqa: E402
from docpipe.types import DocumentResult, ErrorRecord  # noqa: E402
from flows import digitize as fd  # noqa: E402
from flows.artifacts import SUMMARY_KEY, TABLE_KEY  # noqa: E402
from flows.deploy import build_deployment  # noqa: E402
from flows.params import DigitizeParams  # noqa: E402
from tests.conftest import ROOT, render_lines  # noqa: E402


@pytest.fixture(scope="session")
def prefect_server():
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("inbox")
    size = (1240, 1754)  # A4 at 150 dpi: small and quick to read
    render_lines([(100, 150, "INVOICE"), (100, 260, "Invoice No: A-1"), (100, 370, "Total EUR 10.00")],
                 size=size, font_px=36).save(root / "a.png", dpi=(150, 150))
    (root / "sub").mkdir()
    render_lines([(100, 150, "INVOICE"), (100, 260, "Invoice No: B-7"), (100, 370, "Widget 2 x 5.00 10.00"),
                  (100, 480, "Subtotal EUR 10.00"), (100, 590, "Total EUR 99.00")],
                 size=size, font_px=36).save(root / "sub" / "b.png", dpi=(150, 150))
    (root / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not a PDF")
    return root


def _params(inbox: Path, out: Path, **kw) -> DigitizeParams:
    return DigitizeParams(input=str(inbox), out=str(out), pipeline=PipelineOptions(workers=1), **kw)


def _run(params: DigitizeParams):
    flow = fd.digitize_folder.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    state = flow(params, return_state=True)
    assert state.is_completed(), state.message
    return state.state_details.flow_run_id, state.result()


def _artifacts(flow_run_id) -> dict:
    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    by_type: dict = {}
    for a in arts:
        by_type.setdefault(a.type, []).append(a)
    return {"artifacts": by_type, "task_states": sorted(r.state.name for r in runs)}


def test_flow_outputs_artifacts_and_incremental_rerun(prefect_server, inbox, tmp_path):
    out = tmp_path / "out"
    db = tmp_path / "docpipe.db"
    params = _params(inbox, out, sink=f"sqlite:///{db}")
    run1, totals = _run(params)
    assert totals["found"] == 3 and totals["processed"] == 3 and totals["failed"] == 1
    names = {"a.png.json", "sub__b.png.json", "broken.pdf.json"}
    assert names <= {p.name for p in out.glob("*.json")}
    results = {n: DocumentResult.model_validate_json((out / n).read_text()) for n in names}
    assert results["broken.pdf.json"].status == "failed"
    assert results["a.png.json"].doc_type == "invoice" and results["a.png.json"].invoice.total.value == 10.0
    manifest = (out / MANIFEST).read_text()
    assert sorted(json.loads(ln)["path"] for ln in manifest.splitlines()) == ["a.png", "broken.pdf", "sub/b.png"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from documents").fetchone()[0] == 3

    seen = _artifacts(run1)
    table = [a for a in seen["artifacts"]["table"] if a.key == TABLE_KEY][0]
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    by_doc = {r["document"]: r for r in rows}
    assert set(by_doc) == {"a.png", "broken.pdf", "sub/b.png"}
    assert by_doc["broken.pdf"]["status"] == "failed" and by_doc["a.png"]["type"] == "invoice"
    assert "invoice_number=A-1" in by_doc["a.png"]["key_fields"]
    assert [a.key for a in seen["artifacts"]["markdown"]] == [SUMMARY_KEY]
    review = [r for r in rows if r["needs_review"]]
    assert review, "b.png's total does not add up: it should need review"
    images = seen["artifacts"].get("image", [])
    assert images and all(a.data.startswith("data:image/jpeg;base64,") for a in images)
    assert (out / "overlays" / "sub__b.png.page1.png").exists()

    # Second run over the same folder: nothing is reprocessed, nothing is rewritten.
    mtimes = {n: (out / n).stat().st_mtime_ns for n in names}
    run2, totals2 = _run(params)
    assert totals2["processed"] == 0 and totals2["cached"] == 0 and totals2["skipped"] == 3
    assert (out / MANIFEST).read_text() == manifest
    assert {n: (out / n).stat().st_mtime_ns for n in names} == mtimes
    assert _artifacts(run2)["task_states"] == []  # no task was even created

    # Without the manifest, the Prefect cache (sha256 + options + code version) answers: tasks are Cached.
    (out / MANIFEST).unlink()
    run3, totals3 = _run(params)
    assert totals3["cached"] == 3 and totals3["processed"] == 0
    assert _artifacts(run3)["task_states"] == ["Cached"] * 3
    assert {n: (out / n).stat().st_mtime_ns for n in names} == mtimes
    assert len((out / MANIFEST).read_text().splitlines()) == 3


def test_move_processed_and_only_new_files(prefect_server, tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "x.pdf").write_bytes(b"%PDF-1.4 truncated")  # quick: fails at probe
    out = tmp_path / "out"
    _, totals = _run(_params(inbox, out, move_processed=True))
    assert totals["found"] == 1 and not (inbox / "x.pdf").exists() and (inbox / "processed" / "x.pdf").exists()
    (inbox / "y.pdf").write_bytes(b"%PDF-1.4 also truncated")
    _, totals = _run(_params(inbox, out, move_processed=True))
    assert totals["found"] == 1 and totals["processed"] == 1  # processed/ is not read again
    assert (inbox / "processed" / "y.pdf").exists()


@pytest.mark.filterwarnings("ignore:Logger 'prefect.task_runs' attempted to send logs")
def test_only_transient_errors_retry(prefect_server, tmp_path, monkeypatch):
    src = tmp_path / "in" / "a.png"
    src.parent.mkdir()
    render_lines([(50, 50, "Total EUR 10.00")], size=(600, 300), font_px=30).save(src, dpi=(150, 150))
    calls = []
    real_finish = fd.Pipeline.finish

    def flaky_finish(self, s, outcomes, errors=None):
        calls.append(1)
        result = real_finish(self, s, outcomes, errors)
        if len(calls) == 1:  # e.g. the LLM server was busy
            return result.model_copy(update={"status": "partial", "errors": [
                ErrorRecord(stage="structure", kind="TransientError", message="server busy")]})
        return result

    monkeypatch.setattr(fd.Pipeline, "finish", flaky_finish)
    task = fd.process_document.with_options(retry_delay_seconds=0, refresh_cache=True,
                                            result_storage=tmp_path / "results")
    info = task(str(src), str(src.parent), "a.png", None, str(tmp_path), '{"ingest": {"dpi": 300}}', "none")
    assert len(calls) == 2 and info["status"] == "ok"

    def broken_finish(self, s, outcomes, errors=None):
        calls.append(1)
        raise ValueError("a bug")

    calls.clear()
    monkeypatch.setattr(fd.Pipeline, "finish", broken_finish)
    with pytest.raises(ValueError):
        task(str(src), str(src.parent), "a.png", None, str(tmp_path), '{"ingest": {"dpi": 300}}', "none")
    assert len(calls) == 1  # not transient: no retry


def test_deployment_registers_with_its_cron_schedule(prefect_server, tmp_path):
    params = _params(tmp_path / "in", tmp_path / "out")
    deployment_id = build_deployment(params, "*/5 * * * *").apply()
    with get_client(sync_client=True) as client:
        dep = client.read_deployment(deployment_id)
        assert client.read_deployment_by_name("digitize-folder/scheduled-ingest").id == dep.id
    assert [s.schedule.cron for s in dep.schedules] == ["*/5 * * * *"]
    assert dep.parameters["params"]["input"] == str(tmp_path / "in")
    assert dep.entrypoint == "flows.digitize.digitize_folder"


def test_deployment_entrypoints_import_the_installed_module():
    """Loaded from a file path (``flows/digitize.py:…``), the flow and its task would live in a module named
    ``digitize``, which Dask workers cannot import when they unpickle the task; by module path they are the
    installed ``flows.digitize``'s own."""
    import yaml
    from prefect.flows import load_flow_from_entrypoint

    (spec,) = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    assert spec["entrypoint"] == "flows.digitize.digitize_folder"
    flow = load_flow_from_entrypoint(spec["entrypoint"])
    assert flow is fd.digitize_folder and fd.process_document.fn.__module__ == "flows.digitize"


def test_task_leaves_omp_thread_limit_to_tesseract(prefect_server, tmp_path, monkeypatch):
    """OMP_THREAD_LIMIT=1 reaches Tesseract's processes only (docpipe.ocr), as in the CLI: set in the worker
    process it would pin torch and llama.cpp to one thread."""
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    src = tmp_path / "in" / "a.png"
    src.parent.mkdir()
    render_lines([(50, 50, "Total EUR 10.00")], size=(600, 300), font_px=30).save(src, dpi=(150, 150))
    task = fd.process_document.with_options(refresh_cache=True, result_storage=tmp_path / "results")
    options = '{"structure": {"backend": "rules"}, "detect": {"enabled": false}}'
    (tmp_path / "out").mkdir()
    info = task(str(src), str(src.parent), "a.png", None, str(tmp_path / "out"), options, "none")
    assert info["status"] == "ok" and "OMP_THREAD_LIMIT" not in os.environ
