"""Writer: naming rule, atomic files, manifest, lock, torn-manifest repair, resume state."""

import json

import pytest

from docpipe.errors import InputError
from docpipe.output import MANIFEST, OutputFolder, output_name, write_atomic
from docpipe.types import DocumentResult, ErrorRecord, Source


def result(path="plans/a.pdf", sha="a" * 64):
    return DocumentResult(source=Source(path=path, sha256=sha, media_type="application/pdf", pages=0),
                          status="failed", errors=[ErrorRecord(stage="ingest", kind="InputError", message="x")])


def test_output_name_rule():
    assert output_name("plans/a.pdf") == "plans__a.pdf.json"
    assert output_name("a.pdf") == "a.pdf.json"


def test_write_atomic_leaves_no_temp_files(tmp_path):
    write_atomic(tmp_path / "x.json", "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_write_and_manifest(tmp_path):
    with OutputFolder(tmp_path) as out:
        out.write(result(), 1.234)
    data = json.loads((tmp_path / "plans__a.pdf.json").read_text())
    assert data["status"] == "failed" and data["source"]["path"] == "plans/a.pdf"
    line = json.loads((tmp_path / MANIFEST).read_text().splitlines()[0])
    assert line == {"path": "plans/a.pdf", "sha256": "a" * 64, "status": "failed", "doc_type": "other",
                    "needs_review": False, "output": "plans__a.pdf.json", "seconds": 1.234}


def test_second_writer_is_refused(tmp_path):
    with OutputFolder(tmp_path):
        with pytest.raises(InputError, match="another docpipe run"):
            OutputFolder(tmp_path).__enter__()


def test_resume_state_and_torn_manifest(tmp_path):
    with OutputFolder(tmp_path) as out:
        out.write(result("a.pdf"), 1)
        out.write(result("b.pdf", "b" * 64), 1)
    (tmp_path / "b.pdf.json").unlink()  # its output is gone: b must be redone
    with open(tmp_path / MANIFEST, "a") as f:
        f.write('{"path": "c.pdf", "sha2')  # a crash mid-append
    (tmp_path / ".c.pdf.json.123.tmp").write_text("{")  # a crash mid-write
    with OutputFolder(tmp_path) as out:
        assert set(out.finished()) == {("a.pdf", "a" * 64)}
        out.write(result("c.pdf", "c" * 64), 1)
    lines = (tmp_path / MANIFEST).read_text().splitlines()
    assert [json.loads(x)["path"] for x in lines] == ["a.pdf", "b.pdf", "c.pdf"]
    assert not list(tmp_path.glob(".*.tmp"))
