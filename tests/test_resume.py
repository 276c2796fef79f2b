"""Crash safety: kill -9 a run midway, rerun, and every document ends with exactly one complete output file
and one manifest line; documents finished before the crash are not redone."""

import json
import os
import signal
import subprocess
import sys
import time

from docpipe.types import DocumentResult

from .conftest import render_lines


def test_kill_9_midway_then_rerun(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i in range(6):
        render_lines([(100, 100, f"INVOICE {i}"), (100, 200, f"Invoice No: A-{i:04d}"),
                      (100, 300, "Total EUR 10.00")], size=(1240, 1754)).save(src / f"doc{i}.png")
    cmd = [sys.executable, "-m", "docpipe.cli", "run", str(src), "--out", str(out), "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = out / "_manifest.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline:
        if manifest.exists() and len(manifest.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, mid-run
    proc.wait()
    before = {json.loads(x)["path"]: (out / json.loads(x)["output"]).stat().st_mtime_ns
              for x in manifest.read_text().splitlines() if x.strip()}
    assert 2 <= len(before) < 6, "the kill should land midway"

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    lines = [json.loads(x) for x in manifest.read_text().splitlines()]
    assert sorted(m["path"] for m in lines) == [f"doc{i}.png" for i in range(6)], "one manifest line each"
    for i in range(6):
        doc = DocumentResult.model_validate_json((out / f"doc{i}.png.json").read_text())
        assert doc.status == "ok" and doc.invoice.invoice_number.value == f"A-{i:04d}"
    for path, mtime in before.items():  # finished before the crash: not redone
        assert (out / f"{path}.json").stat().st_mtime_ns == mtime
    assert not list(out.glob(".*.tmp")), "no temporary file survives"
