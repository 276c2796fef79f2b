"""OCR: Tesseract word boxes with confidences, grouped into lines in reading order.

Boxes are page pixels of the image passed in; confidences are Tesseract's 0-100 word confidence / 100.
Tesseract stays loaded in one helper process per worker thread (:mod:`docpipe.tesseract_server`, the same
libtesseract and the same words as the command line, without its ~0.2 s start per call;
``OcrOptions.keep_loaded``), or runs as one process per call (:func:`run_tesseract`: OSD, settings other than
``-c``, and where libtesseract cannot be loaded). Either has ``OMP_THREAD_LIMIT=1`` in its environment
only (unless the user set one): page-level parallelism beats Tesseract's own threads on 2 cores, and set in this
process the limit would also bind the OpenMP runtime that torch and llama.cpp share, pinning the model to one
thread. The helper gets the raw pixels on a pipe. The command line gets them as uncompressed PGM/PPM (PNG would
cost ~0.3 s of encoding per full page, per call) in a file without a name (``memfd``, passed as ``/dev/fd/N``),
and its TSV comes back on its standard output: a worker killed mid-page (a batch's time limit, out of memory)
leaves nothing behind in the temporary folder (named temporary files did: a 300-dpi sheet was a 35 MB
``docpipe-ocr-*.pnm`` there). Each call's CPU seconds (the helper's or the process's own) are added to the
:class:`CpuMeter` objects open in the calling thread.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import pytesseract
from PIL import Image

from .errors import ModelLoadError, OcrError
from .geometry import union
from .ingest import to_gray
from .options import OcrOptions
from .tesseract_server import Server, ServerFailed
from .language import AUTO
from .types import Line, Word

_TIMEOUT_S = 180  # one page; a hung Tesseract must not stall a batch


class _TesseractEnv(Mapping):
    """The environment of Tesseract processes: this process's, read at each call, with ``OMP_THREAD_LIMIT=1``
    unless the user set a limit."""

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("OMP_THREAD_LIMIT", "1")
        return env

    def __getitem__(self, key: str) -> str:
        return self._env()[key]

    def __iter__(self):
        return iter(self._env())

    def __len__(self) -> int:
        return len(self._env())

    def items(self):
        return self._env().items()


_TESSERACT_ENV = _TesseractEnv()
# The same environment for pytesseract's processes, should anything call it directly.
pytesseract.pytesseract.environ = _TESSERACT_ENV


class OcrEngine:
    """Reads words from page images. Built once per worker."""

    def __init__(self, options: OcrOptions) -> None:
        self.options = options
        # Tesseract's OpenMP threads fight page-level parallelism on 2 cores (measured: ~9 s per page with
        # threads under load, ~1.7 s without): its processes get OMP_THREAD_LIMIT=1 (_TesseractEnv).

    @property
    def lang(self) -> str:
        """The languages of a first reading: the option, or ``eng`` for ``auto`` (:mod:`docpipe.language`)."""
        return "eng" if self.options.lang == AUTO else self.options.lang

    def read_words(self, image: Image.Image, *, dpi: int, psm: int | None = None,
                   config: str = "", lang: str | None = None) -> list[Word]:
        """Words in ``image`` with pixel boxes, read with ``lang`` (default :attr:`lang`). Raises
        :class:`OcrError` or :class:`ModelLoadError`."""
        lang = lang or self.lang
        psm = psm if psm is not None else self.options.psm
        try:
            variables = _variables(config)
            if self.options.keep_loaded and image.mode != "1" and variables is not None and (
                    server := _thread_server()):
                out = _read_with_server(server, image, lang, psm, dpi, variables, config)
            else:
                out = run_tesseract(image, ["-l", lang, "--psm", str(psm), "--dpi", str(dpi), *config.split(),
                                            "tsv"])
        except TesseractFailed as e:
            if "Failed loading language" in e.message or "Error opening data file" in e.message:
                raise ModelLoadError(
                    f"Tesseract language data for {lang!r} is missing; install "
                    "tesseract-ocr-<lang> (make setup installs eng, osd, deu, fra, nld)"
                ) from e
            raise OcrError(f"Tesseract failed: {e.message[:300]}") from e
        words = []
        for text, conf, x, y, w, h in _tsv_words(out):
            text = text.strip()
            if not text or conf < 0 or w <= 0 or h <= 0:
                continue
            c = min(1.0, conf / 100.0)
            if c < self.options.min_confidence:
                continue
            words.append(Word(text=text, bbox=(x, y, x + w, y + h), confidence=c))
        return words


def _tsv_words(tsv: str) -> Iterator[tuple[str, float, int, int, int, int]]:
    """(text, conf, left, top, width, height) of each TSV row. Confidences are truncated to whole numbers, as
    pytesseract's ``image_to_data`` did (the figures measured before this reader kept their values)."""
    rows = tsv.strip("\n").split("\n")
    if len(rows) < 2:
        return
    head = rows[0].split("\t")
    col = {name: i for i, name in enumerate(head)}
    ti, ci = col["text"], col["conf"]
    li, tpi, wi, hi = col["left"], col["top"], col["width"], col["height"]
    for row in rows[1:]:
        cells = row.split("\t")
        if len(cells) <= ci:
            continue
        text = cells[ti] if len(cells) > ti else ""
        try:
            yield (text, int(float(cells[ci])), int(cells[li]), int(cells[tpi]), int(cells[wi]), int(cells[hi]))
        except ValueError:
            continue


_servers = threading.local()  # this thread's Tesseract helper (docpipe.tesseract_server)
_no_server = False  # libtesseract could not be loaded in a helper: every call uses the command line


_all_servers: weakref.WeakSet[Server] = weakref.WeakSet()


def _thread_server() -> Server | None:
    if _no_server:
        return None
    server = getattr(_servers, "server", None)
    if server is None:
        server = _servers.server = Server(dict(_TESSERACT_ENV.items()))
        _all_servers.add(server)
    return server


def helper_cpu_seconds() -> float:
    """CPU seconds the live Tesseract helpers of this process have spent (``RUSAGE_CHILDREN`` counts a child
    only once it has exited; benchmarks add this)."""
    return sum(s.cpu_seconds() for s in list(_all_servers))


def _read_with_server(server: Server, image: Image.Image, lang: str, psm: int, dpi: int,
                      variables: dict[str, str], config: str) -> str:
    """TSV of ``image`` from this thread's helper, with ``variables`` set as ``tesseract ... config`` (its
    ``-c name=value`` settings) would; the command line where the helper cannot run at all. Raises as
    :func:`run_tesseract` does."""
    global _no_server
    image = image if image.mode in ("L", "RGB") else to_gray(image)
    try:
        out, cpu = server.read(image, lang=lang, psm=psm, dpi=dpi, variables=variables, timeout=_TIMEOUT_S)
    except TimeoutError as e:
        raise OcrError(f"Tesseract took longer than {_TIMEOUT_S:.0f} s on this page; check the image") from e
    except ServerFailed as e:
        if not e.fatal:
            raise TesseractFailed(1, e.message) from e
        _no_server = True
        return run_tesseract(image, ["-l", lang, "--psm", str(psm), "--dpi", str(dpi), *config.split(), "tsv"])
    CpuMeter.add_children(cpu)
    return out


def _variables(config: str) -> dict[str, str] | None:
    """The ``-c name=value`` settings of ``config``, or None when it holds anything else (which goes to the
    command line as it is, errors included)."""
    args = config.split()
    if len(args) % 2 or any(flag != "-c" or "=" not in kv for flag, kv in zip(args[::2], args[1::2])):
        return None
    return dict(kv.split("=", 1) for kv in args[1::2])


class TesseractFailed(Exception):
    """Tesseract exited with an error; ``message`` is its standard error, joined into one line."""

    def __init__(self, returncode: int, message: str) -> None:
        super().__init__(f"tesseract exited with {returncode}: {message}")
        self.returncode, self.message = returncode, message


class CpuMeter:
    """CPU seconds spent by the calling thread inside a ``with`` block, Tesseract processes it ran included.

    ``with CpuMeter() as m: ...`` then ``m.seconds``. Meters nest (an outer meter counts what inner ones do);
    work handed to other threads is counted by meters opened in those threads.
    """

    _open = threading.local()

    def __init__(self) -> None:
        self.seconds = 0.0
        self._t0 = 0.0

    def __enter__(self) -> CpuMeter:
        stack = CpuMeter._open.__dict__.setdefault("stack", [])
        stack.append(self)
        self._t0 = time.thread_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.thread_time() - self._t0
        CpuMeter._open.stack.remove(self)

    @staticmethod
    def add_children(seconds: float) -> None:
        """Charge ``seconds`` of a child process's CPU to every meter open in this thread."""
        for m in CpuMeter._open.__dict__.get("stack", ()):
            m.seconds += seconds


class _Child(subprocess.Popen):
    """A Popen that keeps the child's resource usage (``os.wait4``) when it reaps it."""

    rusage = None

    def _try_wait(self, wait_flags):  # CPython's hook for waitpid (POSIX)
        try:
            pid, sts, ru = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return self.pid, 0
        if pid == self.pid:
            self.rusage = ru
        return pid, sts


def run_tesseract(image: Image.Image, args: Sequence[str], *, timeout: float = _TIMEOUT_S) -> str:
    """Tesseract's standard output for ``tesseract <image> stdout *args``. Raises :class:`TesseractFailed`
    (non-zero exit), :class:`ModelLoadError` (no tesseract) or :class:`OcrError` (over ``timeout`` seconds: the
    process is killed)."""
    with _anonymous_copy(image) as fd:
        try:
            proc = _Child([pytesseract.pytesseract.tesseract_cmd, f"/dev/fd/{fd}", "stdout", *args],
                          pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=dict(_TESSERACT_ENV.items()))
        except FileNotFoundError as e:
            raise ModelLoadError("tesseract is not installed or not on PATH; run `make setup`") from e
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as e:
            proc.kill()
            proc.communicate()
            raise OcrError(f"Tesseract took longer than {timeout:.0f} s on this page; check the image") from e
        finally:
            if proc.rusage is not None:
                CpuMeter.add_children(proc.rusage.ru_utime + proc.rusage.ru_stime)
    if proc.returncode:
        raise TesseractFailed(proc.returncode, " ".join(err.decode("utf-8", "replace").split()))
    return out.decode("utf-8", "replace")


@contextmanager
def _anonymous_copy(image: Image.Image) -> Iterator[int]:
    """A file descriptor of an uncompressed PGM/PPM copy of ``image`` in a file without a name (memfd, else an
    unlinked temporary file): nothing to clean up, whatever kills this process. (Tesseract reads standard input
    a character at a time: 0.4 s more CPU than a file on a 300-dpi A3 page.)"""
    # Pages arrive as "L" from ingest; anything else gets ingest's conversion (white under transparency,
    # 16-bit scaled to 8-bit), which the PNM writer takes.
    image = image if image.mode in ("1", "L", "RGB") else to_gray(image)
    try:
        fd = os.memfd_create("docpipe-ocr")
    except (AttributeError, OSError):
        with tempfile.TemporaryFile(prefix="docpipe-ocr-") as f:
            fd = os.dup(f.fileno())
    try:
        with os.fdopen(os.dup(fd), "wb") as f:
            image.save(f, format="PPM")
        yield fd
    finally:
        os.close(fd)


def read_quality(words: list[Word]) -> float:
    """A 0-1 score of how well a page read: the share of ink-bearing words that look like real words.

    Used to decide whether orientation detection is worth its cost (an upside-down or sideways page reads as
    short, low-confidence fragments).
    """
    if not words:
        return 0.0
    good = sum(1 for w in words if w.confidence >= 0.7 and sum(ch.isalnum() for ch in w.text) >= 3)
    return good / len(words)


def group_lines(words: list[Word], *, max_gap: float = 2.0) -> list[Line]:
    """Group words into lines in reading order (top to bottom, then left to right).

    Words join a line when they overlap it vertically by at least half the smaller height and start no more
    than ``max_gap`` times the median word height right of its end; a wider gap (a table column) starts a
    new line. Line confidence is the mean of its words'.
    """
    if not words:
        return []
    med_h = statistics.median(w.bbox[3] - w.bbox[1] for w in words)
    lines: list[list[Word]] = []
    spans: list[list[int]] = []  # per line: [y0, y1, x1]
    for w in sorted(words, key=lambda w: (w.bbox[0], w.bbox[1])):
        x0, y0, x1, y1 = w.bbox
        best, best_overlap = None, 0.0
        for i, (ly0, ly1, lx1) in enumerate(spans):
            overlap = min(y1, ly1) - max(y0, ly0)
            need = 0.5 * min(y1 - y0, ly1 - ly0)
            if overlap >= need and -0.5 * med_h <= x0 - lx1 <= max_gap * med_h and overlap > best_overlap:
                best, best_overlap = i, overlap
        if best is None:
            lines.append([w])
            spans.append([y0, y1, x1])
        else:
            lines[best].append(w)
            # Track the band of the last word: follows slight slopes, and a tall word (a bracket)
            # cannot swallow the next line for long.
            spans[best] = [y0, y1, max(spans[best][2], x1)]
    out = [_make_line(ws) for ws in lines]
    return sort_reading_order(out, med_h)


def _make_line(words: list[Word]) -> Line:
    words = sorted(words, key=lambda w: w.bbox[0])
    box = union(w.bbox for w in words)
    conf = sum(w.confidence for w in words) / len(words)
    return Line(text=" ".join(w.text for w in words), bbox=box, confidence=round(conf, 4), words=words)


def sort_reading_order(lines: list[Line], band: float) -> list[Line]:
    """Top to bottom in bands of about one text height, left to right within a band."""
    band = max(band, 1.0)
    return sorted(lines, key=lambda ln: (round(((ln.bbox[1] + ln.bbox[3]) / 2) / band), ln.bbox[0]))


def effective_dpi(text_px: float | None) -> int:
    """The resolution to tell Tesseract, from the letters' height in the image it reads: body text of
    ~18 px is ~200 dpi. Telling it 300 for upscaled low-resolution scans cost 3 points of word CER on FUNSD
    (0.144 vs 0.174); the nominal dpi of an image is often missing or wrong."""
    if not text_px:
        return 300
    return int(min(1200, max(70, round(200 * text_px / 18))))
