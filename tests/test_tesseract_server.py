"""Tesseract kept loaded in a helper process (docpipe.tesseract_server): the same words as the command line, its
CPU counted, its failures reported as the command line's were, and the command line where it cannot run."""

import os

import pytest

from docpipe import ocr
from docpipe.errors import ModelLoadError, OcrError
from docpipe.ocr import CpuMeter, OcrEngine
from docpipe.options import OcrOptions

from .conftest import render_lines


@pytest.fixture
def page():
    return render_lines([(120, 100, "Invoice 4711 dated 03.11.2024"), (120, 200, "Total EUR 1,234.56"),
                         (900, 320, "Qty 2"), (120, 420, "M1021 C1818")], size=(1500, 520), font_px=34)


@pytest.fixture
def fresh(monkeypatch):
    """A thread without a helper yet, and the helper allowed."""
    monkeypatch.setattr(ocr, "_servers", type(ocr._servers)())
    monkeypatch.setattr(ocr, "_no_server", False)


def _words(engine, image, **kw):
    return [(w.text, w.bbox, w.confidence) for w in engine.read_words(image, dpi=300, **kw)]


def test_the_helper_reads_the_same_words_as_the_command_line(page, fresh):
    kept, per_call = OcrEngine(OcrOptions()), OcrEngine(OcrOptions(keep_loaded=False))
    for kw in ({}, {"psm": 11}, {"psm": 6}, {"config": "-c tessedit_char_whitelist=0123456789CM"}):
        for image in (page, page.convert("RGB"), page.convert("RGBA")):
            a, b = _words(kept, image, **kw), _words(per_call, image, **kw)
            assert a == b and a, (kw, image.mode)
    assert ocr._servers.server.proc is not None and ocr._servers.server.proc.poll() is None  # one helper, alive
    assert "4711" in [t for t, _, _ in _words(kept, page)]


def test_the_helpers_cpu_is_counted_and_one_helper_serves_a_thread(page, fresh):
    engine = OcrEngine(OcrOptions())
    engine.read_words(page, dpi=300)
    pid = ocr._servers.server.proc.pid
    with CpuMeter() as m:
        engine.read_words(page, dpi=300)
    assert m.seconds > 0.005
    assert ocr._servers.server.proc.pid == pid


def test_missing_language_and_bad_settings_fail_as_on_the_command_line(page, fresh):
    engine = OcrEngine(OcrOptions())
    with pytest.raises(ModelLoadError, match="language data"):
        engine.read_words(page, dpi=300, lang="xxx")
    with pytest.raises(OcrError):  # not a -c setting: the command line reads it and fails
        engine.read_words(page, dpi=300, config="--not-an-option")
    assert "4711" in [t for t, _, _ in _words(engine, page)]  # the helper still serves


def test_a_killed_or_overrunning_helper_fails_the_call_and_the_next_call_starts_another(page, fresh, monkeypatch):
    engine = OcrEngine(OcrOptions())
    engine.read_words(page, dpi=300)
    first = ocr._servers.server.proc
    first.kill()
    first.wait()
    assert "4711" in [t for t, _, _ in _words(engine, page)]  # died between calls: restarted before the next
    second = ocr._servers.server.proc
    assert second.pid != first.pid
    second.kill()
    second.wait()
    monkeypatch.setattr(second, "poll", lambda: None)  # ... and one that dies while it is being asked
    with pytest.raises(OcrError, match="helper"):
        engine.read_words(page, dpi=300)
    assert "4711" in [t for t, _, _ in _words(engine, page)]
    second = ocr._servers.server.proc
    monkeypatch.setattr(ocr, "_TIMEOUT_S", 0.001)
    with pytest.raises(OcrError, match="longer than"):
        engine.read_words(page.resize((3000, 1040)), dpi=300)
    assert second.poll() is not None  # killed, not left running
    monkeypatch.setattr(ocr, "_TIMEOUT_S", 60)
    assert "4711" in [t for t, _, _ in _words(engine, page)]


def test_without_libtesseract_the_command_line_reads(page, fresh, monkeypatch):
    monkeypatch.setenv("DOCPIPE_LIBTESSERACT", "libnot-tesseract.so.0")
    engine = OcrEngine(OcrOptions())
    assert "4711" in [t for t, _, _ in _words(engine, page)]
    assert ocr._no_server is True


def test_the_helper_exits_when_its_worker_lets_go(page, fresh):
    engine = OcrEngine(OcrOptions())
    engine.read_words(page, dpi=300)
    server = ocr._servers.server
    proc = server.proc
    server.close()
    assert proc.wait(timeout=10) == 0 and server.proc is None
    assert not os.path.exists(f"/proc/{proc.pid}/status") or proc.poll() is not None


def test_a_finished_threads_helper_ends_with_it(page, fresh):
    import gc
    import threading

    procs = []

    def work():
        OcrEngine(OcrOptions()).read_words(page, dpi=300)
        procs.append(ocr._servers.server.proc)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    gc.collect()
    assert procs and procs[0].wait(timeout=10) == 0  # its standard input closed: it ended on its own
