"""Tesseract kept loaded: one helper process per worker (and thread) that holds libtesseract's API objects and
reads the images it is sent, instead of one ``tesseract`` process per call.

Each ``tesseract`` process spends ~0.2 s of CPU before it reads a pixel (loading the language data: on a blank
image, ~0.2 s with ``eng``; perf puts most samples in sorted-list insertion beside the parser of the character
ambiguity table, which Tesseract builds at every start). A drawing page takes four readings (the
sparse pass, the turned pass and two strips of dimension crops), an invoice page one to three: that start was a
quarter of a drawing page's CPU. The helper pays it once per language (and set of variables) it is asked for.

The helper is this file run as a script by the same interpreter, with the standard library only (no numpy, no
docpipe: ~10 MB), so its memory stays apart from the worker's, as a ``tesseract`` process's did; it exits when
its standard input closes (the worker ended). It makes the same calls as the ``tesseract`` command line (the
C API of the same ``libtesseract``: init with the language, page segmentation mode, ``user_defined_dpi``, the
image's 8-bit grey or 24-bit RGB pixels, recognise, TSV of page 0), so the words are the same
(``tests/test_tesseract_server.py`` compares both on generated pages; ``benchmarks/ocr_server.py`` on real ones).

Protocol on the pipes: a request is a 4-byte big-endian length, a JSON header (``lang``, ``psm``, ``dpi``,
``vars``, ``width``, ``height``, ``bpp``) and the raw pixels; the answer is a JSON line (``{"ok": true, "n": N}``
then N bytes of TSV, or ``{"ok": false, "error": "..."}``).

The client side (:class:`Server`) is used by :func:`docpipe.ocr.run_tesseract`; it counts the helper's CPU
seconds per call (from ``/proc``), kills a helper that overruns the call's time limit (the next call starts a new
one) and falls back to the command line where libtesseract cannot be loaded.
"""

from __future__ import annotations

import ctypes
import json
import os
import struct
import subprocess
import sys

LIBRARY = os.environ.get("DOCPIPE_LIBTESSERACT", "libtesseract.so.5")  # Debian's libtesseract5
_MAX_APIS = 4  # languages x variable sets kept loaded in one helper (~25 MB each)
_BAND_ROWS = 256  # rows of pixels written to the helper at a time
# The header line the command line's TSV renderer writes before page 1 (the C API gives the rows only).
_TSV_HEAD = b"level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
_NO_LIBRARY = 3  # the helper's exit status when libtesseract cannot be loaded


# ---------------------------------------------------------------------------------------------- helper process


def _bind(lib) -> None:
    vp, cp, ci = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    sig = {
        "TessBaseAPICreate": ([], vp),
        "TessBaseAPIDelete": ([vp], None),
        "TessBaseAPIInit3": ([vp, cp, cp], ci),
        "TessBaseAPISetPageSegMode": ([vp, ci], None),
        "TessBaseAPISetVariable": ([vp, cp, cp], ci),
        "TessBaseAPISetImage": ([vp, cp, ci, ci, ci, ci], None),
        "TessBaseAPIRecognize": ([vp, vp], ci),
        "TessBaseAPIGetTsvText": ([vp, ci], vp),
        "TessDeleteText": ([vp], None),
        "TessBaseAPIClear": ([vp], None),
    }
    for name, (args, res) in sig.items():
        f = getattr(lib, name)
        f.argtypes, f.restype = args, res


def _read_exact(f, n: int) -> bytes:
    chunks, left = [], n
    while left:
        b = f.read(left)
        if not b:
            raise EOFError
        chunks.append(b)
        left -= len(b)
    return b"".join(chunks)


def serve(stdin, stdout) -> None:
    """The helper's loop: answer requests until standard input closes."""
    try:
        lib = ctypes.CDLL(LIBRARY)
        _bind(lib)
    except (OSError, AttributeError):  # no libtesseract: the client sees the status and uses the command line
        sys.exit(_NO_LIBRARY)
    try:
        libc = ctypes.CDLL("libc.so.6")
        trim = lambda: libc.malloc_trim(0)  # a page's structures, freed, go back to the system
    except OSError:
        trim = lambda: None
    apis: dict[tuple, int] = {}  # (lang, vars) -> handle, oldest first
    while True:
        try:
            (n,) = struct.unpack(">I", _read_exact(stdin, 4))
            head = json.loads(_read_exact(stdin, n))
            pixels = _read_exact(stdin, head["width"] * head["height"] * head["bpp"])
        except EOFError:
            return
        key = (head["lang"], tuple(sorted(head["vars"].items())))
        api = apis.pop(key, None)
        if api is None:
            api = lib.TessBaseAPICreate()
            if lib.TessBaseAPIInit3(api, None, head["lang"].encode()) != 0:
                lib.TessBaseAPIDelete(api)
                _answer(stdout, error=f"Failed loading language '{head['lang']}'")
                continue
            for k, v in key[1]:
                lib.TessBaseAPISetVariable(api, k.encode(), str(v).encode())
            if len(apis) >= _MAX_APIS:
                lib.TessBaseAPIDelete(apis.pop(next(iter(apis))))
        apis[key] = api
        lib.TessBaseAPISetPageSegMode(api, int(head["psm"]))
        lib.TessBaseAPISetVariable(api, b"user_defined_dpi", str(int(head["dpi"])).encode())
        w, h, bpp = head["width"], head["height"], head["bpp"]
        lib.TessBaseAPISetImage(api, pixels, w, h, bpp, w * bpp)
        if lib.TessBaseAPIRecognize(api, None) != 0:
            lib.TessBaseAPIClear(api)
            _answer(stdout, error="recognition failed")
            continue
        ptr = lib.TessBaseAPIGetTsvText(api, 0)
        tsv = _TSV_HEAD + (ctypes.string_at(ptr) if ptr else b"")
        if ptr:
            lib.TessDeleteText(ptr)
        lib.TessBaseAPIClear(api)
        del pixels
        trim()
        _answer(stdout, tsv=tsv)


def _answer(stdout, *, tsv: bytes | None = None, error: str | None = None) -> None:
    if error is not None:
        stdout.write(json.dumps({"ok": False, "error": error}).encode() + b"\n")
    else:
        stdout.write(json.dumps({"ok": True, "n": len(tsv)}).encode() + b"\n" + tsv)
    stdout.flush()


# ---------------------------------------------------------------------------------------------- worker side


class ServerFailed(Exception):
    """The helper could not answer (it could not start, died, or said why in ``message``)."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.message, self.fatal = message, fatal


class Server:
    """One helper process, started on the first call. Not thread-safe: :func:`docpipe.ocr.run_tesseract` keeps
    one per thread."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.pid_owner = os.getpid()

    def read(self, image, *, lang: str, psm: int, dpi: int, variables: dict[str, str],
             timeout: float) -> tuple[str, float]:
        """(TSV text, CPU seconds the helper spent on it) of a PIL image in mode ``L`` or ``RGB``. Raises
        :class:`ServerFailed`, or ``TimeoutError`` (the helper was killed)."""
        import select

        proc = self._ensure()
        bpp = 3 if image.mode == "RGB" else 1
        head = json.dumps({"lang": lang, "psm": psm, "dpi": dpi, "vars": variables, "width": image.width,
                           "height": image.height, "bpp": bpp}).encode()
        cpu0 = self._cpu(proc)
        try:
            proc.stdin.write(struct.pack(">I", len(head)) + head)
            for y in range(0, image.height, _BAND_ROWS):  # in bands: no page-sized copy of the pixels here
                proc.stdin.write(image.crop((0, y, image.width, min(image.height, y + _BAND_ROWS))).tobytes())
            proc.stdin.flush()
            if not select.select([proc.stdout.fileno()], [], [], timeout)[0]:
                self.close(kill=True)
                raise TimeoutError
            line = proc.stdout.readline()
            if not line:
                raise self._died(proc)
            ans = json.loads(line)
            if not ans["ok"]:
                raise ServerFailed(ans["error"])
            tsv = _read_exact(proc.stdout, ans["n"])
        except TimeoutError:  # an OSError too: the helper was killed above
            raise
        except (OSError, EOFError, ValueError) as e:  # a broken pipe: the helper died mid-request
            raise self._died(proc, e) from e
        return tsv.decode("utf-8", "replace"), max(0.0, self._cpu(proc) - cpu0)

    def _ensure(self) -> subprocess.Popen:
        if self.pid_owner != os.getpid():  # a forked copy of the worker: that helper is not ours to talk to
            self._let_go()  # (our copies of its pipes closed, so that it still ends with its worker)
            self.pid_owner = os.getpid()
        if self.proc is None or self.proc.poll() is not None:
            try:
                self.proc = subprocess.Popen([sys.executable, "-I", "-S", os.path.abspath(__file__)],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL, env=self.env, close_fds=True)
            except OSError as e:
                raise ServerFailed(f"the Tesseract helper did not start: {e}", fatal=True) from e
        return self.proc

    def cpu_seconds(self) -> float:
        """CPU seconds of the running helper so far (0 when none runs)."""
        return self._cpu(self.proc) if self.proc is not None else 0.0

    def _died(self, proc: subprocess.Popen, error: Exception | None = None) -> ServerFailed:
        """The failure to report for a helper that stopped answering (it is reaped here)."""
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.close(kill=True)
        if code == _NO_LIBRARY:
            return ServerFailed(f"{LIBRARY} could not be loaded", fatal=True)
        if code is not None and code < 0:
            return ServerFailed(f"the Tesseract helper was killed by signal {-code}")
        return ServerFailed(f"the Tesseract helper failed ({error or f'exit status {code}'})")

    @staticmethod
    def _cpu(proc: subprocess.Popen) -> float:
        """User + system CPU seconds of the helper so far (``/proc/<pid>/stat``), 0 where not readable."""
        try:
            with open(f"/proc/{proc.pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return 0.0

    def _let_go(self) -> None:
        """Close this process's ends of the helper's pipes without waiting: a helper whose standard input
        closes ends on its own."""
        proc, self.proc = self.proc, None
        for f in (proc.stdin, proc.stdout) if proc is not None else ():
            try:
                f.close()
            except OSError:
                pass

    def __del__(self) -> None:  # a finished thread's helper ends with it
        try:
            if self.pid_owner == os.getpid():
                self._let_go()
        except (AttributeError, TypeError, OSError):  # at interpreter exit; the helper ends on end of input anyway
            pass

    def close(self, *, kill: bool = False) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        try:
            if kill:
                proc.kill()
            else:
                proc.stdin.close()
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except OSError:
                pass


if __name__ == "__main__":
    try:
        serve(sys.stdin.buffer, sys.stdout.buffer)
    except BrokenPipeError:  # the worker went away mid-answer
        pass
