"""The batch: bad inputs get failed records while the rest succeed; resume; exit codes; the CLI."""

import json

from typer.testing import CliRunner

from docpipe.cli import app
from docpipe.options import PipelineOptions
from docpipe.pipeline import Pipeline, run_batch

from .conftest import render_lines

OPTS = PipelineOptions(workers=2)


def _folder(tmp_path):
    src = tmp_path / "in"
    (src / "sub dir").mkdir(parents=True)
    render_lines([(100, 100, "INVOICE"), (100, 200, "Invoice No: A-1001"), (100, 260, "Date: 2025-03-14"),
                  (100, 400, "Total EUR 99.00")], size=(1700, 1200)).save(src / "sub dir" / "inv 1.png")
    (src / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage that is no PDF")
    (src / "empty.jpg").write_bytes(b"")
    (src / "notes.docx").write_bytes(b"PK\x03\x04 a zip")
    return src


def test_batch_bad_inputs_fail_clearly_and_others_succeed(tmp_path):
    src, out = _folder(tmp_path), tmp_path / "out"
    summary = run_batch(src, out, OPTS)
    assert (summary.total, summary.ok, summary.failed) == (4, 1, 3) and summary.exit_code == 1
    ok = json.loads((out / "sub dir__inv 1.png.json").read_text())
    assert ok["status"] == "ok" and ok["doc_type"] == "invoice"
    assert ok["invoice"]["invoice_number"]["value"] == "A-1001" and ok["invoice"]["total"]["value"] == 99.0
    assert ok["pages"][0]["text_source"] == "ocr" and ok["timings_s"]["ocr"] > 0
    msgs = {p: json.loads((out / f"{p}.json").read_text())["errors"][0]["message"]
            for p in ("broken.pdf", "empty.jpg", "notes.docx")}
    assert "corrupt" in msgs["broken.pdf"] and "empty" in msgs["empty.jpg"] and "unsupported" in msgs["notes.docx"]
    manifest = [json.loads(x) for x in (out / "_manifest.jsonl").read_text().splitlines()]
    assert sorted(m["path"] for m in manifest) == ["broken.pdf", "empty.jpg", "notes.docx", "sub dir/inv 1.png"]

    again = run_batch(src, out, OPTS)  # nothing changed: nothing is redone
    assert again.skipped == 4 and again.ok == again.failed == 0
    assert len((out / "_manifest.jsonl").read_text().splitlines()) == 4


def test_pipeline_process_in_process(tmp_path):
    src = _folder(tmp_path)
    r = Pipeline(PipelineOptions(workers=1)).process(src / "empty.jpg", src)
    assert r.status == "failed" and r.errors[0].kind == "InputError" and r.source.path == "empty.jpg"


def test_cli_run_and_exit_codes(tmp_path):
    src = _folder(tmp_path)
    (src / "broken.pdf").unlink(), (src / "empty.jpg").unlink(), (src / "notes.docx").unlink()
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(src), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "sub dir__inv 1.png.json").exists()
    assert runner.invoke(app, ["run", str(tmp_path / "missing"), "--out", str(tmp_path / "o2")]).exit_code == 2
    assert runner.invoke(app, ["run", str(src), "--out", str(tmp_path / "o3"), "--dpi", "5"]).exit_code == 2
    help_text = runner.invoke(app, ["run", "--help"]).output
    assert "--force-ocr" in help_text and "--workers" in help_text and "--lang" in help_text


def test_a_document_over_its_time_limit_is_stopped_and_the_batch_goes_on(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    # ~10 s of OCR on an idle machine (a dense A3 page), against a limit of 5 s; the small page takes < 1 s.
    dense = [(100 + 2400 * (i % 2), 60 + 45 * (i // 2), f"Line {i} the quick brown fox jumps over the lazy dog")
             for i in range(300)]
    render_lines(dense, size=(4961, 7016), font_px=36).save(src / "a_slow.png")
    render_lines([(10, 10, "hi")], size=(200, 100)).save(src / "b_quick.png")
    summary = run_batch(src, tmp_path / "out", PipelineOptions(workers=1, timeout_per_page=5))
    slow = json.loads((tmp_path / "out" / "a_slow.png.json").read_text())
    assert slow["status"] == "failed" and "longer than the limit" in slow["errors"][0]["message"]
    assert json.loads((tmp_path / "out" / "b_quick.png.json").read_text())["status"] == "ok"
    assert summary.failed == 1 and summary.ok == 1


def test_overlays_are_written_for_review(tmp_path):
    src = _folder(tmp_path)
    for name in ("broken.pdf", "empty.jpg", "notes.docx"):
        (src / name).unlink()
    res = CliRunner().invoke(app, ["run", str(src), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet",
                                   "--overlays", "all", "--no-detect"])
    assert res.exit_code == 0, res.output
    from PIL import Image

    png = tmp_path / "o" / "overlays" / "sub dir__inv 1.png.page1.png"
    with Image.open(png) as im:
        assert im.size == (1700, 1200)
    bad = CliRunner().invoke(app, ["run", str(src), "--out", str(tmp_path / "o2"), "--overlays", "some"])
    assert bad.exit_code == 2


def _invoices(folder, n):
    folder.mkdir(parents=True)
    for i in range(n):
        render_lines([(100, 100, "INVOICE"), (100, 200, f"Invoice No: B-{2000 + i}"), (100, 400, "Total EUR 10.00")],
                     size=(1400, 900)).save(folder / f"inv{i}.png")
    return folder


def test_workers_load_the_pipeline_once_and_are_replaced_only_for_memory(tmp_path):
    """Each worker process builds its pipeline (torch, the detector) once for the whole batch; the pool is
    replaced only when a worker's resident memory passes ``recycle_memory_mib`` after a job."""
    src = _invoices(tmp_path / "in", 6)
    rules = {"structure": {"backend": "rules"}}
    summary = run_batch(src, tmp_path / "out", PipelineOptions.model_validate({"workers": 2, **rules}))
    assert summary.ok == 6
    # 12 jobs (6 pages, 6 finishes) over 2 workers: 2 processes, 2 pipelines, no replacement
    assert (summary.workers_started, summary.pipeline_loads, summary.workers_recycled) == (2, 2, 0)
    assert len(summary.worker_start_cpu) == 2 and min(summary.worker_start_cpu) > 0.5  # torch + detector
    assert all(rss > 100 * 2**20 for rss in summary.worker_peak_rss.values())

    # A limit every worker passes: the pool is replaced after each round of jobs, each new worker loading once.
    low = PipelineOptions.model_validate({"workers": 2, "recycle_memory_mib": 1, "detect": {"enabled": False},
                                          **rules})
    again = run_batch(_invoices(tmp_path / "in2", 3), tmp_path / "out2", low)
    assert again.ok == 3 and again.workers_recycled >= 2
    assert again.workers_started > 2 and again.pipeline_loads == again.workers_started


def test_cli_passes_the_memory_limit_for_worker_recycling(tmp_path, monkeypatch):
    import docpipe.cli as cli
    from docpipe.pipeline import BatchSummary

    seen = {}

    def fake_run_batch(input_path, out_dir, options, **kw):
        seen["mib"] = options.recycle_memory_mib
        return BatchSummary()

    monkeypatch.setattr(cli, "run_batch", fake_run_batch, raising=False)
    monkeypatch.setattr("docpipe.pipeline.run_batch", fake_run_batch)
    src = tmp_path / "in"
    src.mkdir()
    CliRunner().invoke(cli.app, ["run", str(src), "--out", str(tmp_path / "o"), "--quiet",
                                 "--recycle-memory-mib", "1234"])
    assert seen == {"mib": 1234}
    assert CliRunner().invoke(cli.app, ["run", str(src), "--out", str(tmp_path / "o2"),
                                        "--recycle-memory-mib", "-1"]).exit_code == 2


def test_a_documents_later_pages_are_read_in_its_first_pages_language_across_workers(tmp_path):
    """run_batch queues a document's later pages once its first page is read, with that page's language: a
    German document's second page, whose own words are too few German ones to say so, keeps its umlauts."""
    from .test_language import LATER_PAGE, _german_lines

    src = tmp_path / "in"
    src.mkdir()

    def page(lines):
        return render_lines([(200, 300 + 80 * i, t) for i, t in enumerate(lines)])

    for name in ("a", "b"):
        first, *rest = [page(_german_lines()), page(LATER_PAGE), page(LATER_PAGE)]
        first.save(src / f"{name}.tif", save_all=True, append_images=rest, dpi=(300, 300))
    page(LATER_PAGE).save(src / "single.png", dpi=(300, 300))
    options = PipelineOptions.model_validate({"workers": 2, "structure": {"backend": "rules"},
                                              "ingest": {"force_ocr": True}})
    summary = run_batch(src, tmp_path / "out", options)
    assert summary.ok == 3 and summary.pages == 7
    for name in ("a", "b"):
        doc = json.loads((tmp_path / "out" / f"{name}.tif.json").read_text())
        assert [p["number"] for p in doc["pages"]] == [1, 2, 3]
        for p in doc["pages"][1:]:
            text = " ".join(ln["text"] for ln in p["lines"])
            assert "Müller" in text and "Größenweg" in text, text
    # A document of one English-looking page is read in English: the hint is per document.
    single = json.loads((tmp_path / "out" / "single.png.json").read_text())
    assert "Müller" not in " ".join(ln["text"] for ln in single["pages"][0]["lines"])
    # The in-process path reads the same.
    alone = Pipeline(options).process(src / "a.tif", src)
    assert [ln.text for ln in alone.pages[1].lines] == [ln["text"] for ln in json.loads(
        (tmp_path / "out" / "a.tif.json").read_text())["pages"][1]["lines"]]
