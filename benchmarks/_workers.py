"""Sampling the memory of docpipe's pool workers (forked by the multiprocessing fork server) and of the
tools they run (the Tesseract helper of docpipe.tesseract_server, tesseract, pdftoppm), for the benchmarks."""

from __future__ import annotations

import threading

import psutil


class WorkerMemory:
    """Samples worker RSS every ``period`` seconds in a thread while the ``with`` block runs."""

    def __init__(self, period: float = 1.0) -> None:
        self.period = period
        self.samples: list[dict[int, int]] = []  # per sample: worker pid -> RSS bytes
        self.tool_peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._me = psutil.Process()

    def __enter__(self) -> WorkerMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss: dict[int, int] = {}
            try:
                servers = [c for c in self._me.children() if "forkserver" in " ".join(c.cmdline())]
                for worker in (w for srv in servers for w in srv.children()):
                    rss[worker.pid] = worker.memory_info().rss
                    for tool in worker.children(recursive=True):
                        name = _tool_name(tool)
                        self.tool_peak[name] = max(self.tool_peak.get(name, 0), tool.memory_info().rss)
            except psutil.Error:
                pass
            self.samples.append(rss)
            self._stop.wait(self.period)

    def peak_per_worker(self) -> dict[int, int]:
        peak: dict[int, int] = {}
        for rss in self.samples:
            for pid, v in rss.items():
                peak[pid] = max(peak.get(pid, 0), v)
        return peak


def _tool_name(proc: psutil.Process) -> str:
    """A worker's child by what it is: the Tesseract helper is a Python process."""
    try:
        if any(a.endswith("tesseract_server.py") for a in proc.cmdline()):
            return "tesseract helper"
    except psutil.Error:
        pass
    return proc.name()
