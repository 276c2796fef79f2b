"""Write: one JSON per document (atomic), the run manifest, the output-folder lock, resume state.

Naming (contract): the input's path relative to the input folder with '/' replaced by '__', extension kept,
plus '.json'. A JSON file is written to a temporary file in the same folder, fsynced, then renamed, so a
reader never sees half a file. The manifest gets one line per finished document, appended and fsynced
after the JSON is in place: a manifest line always points at a complete file.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from .errors import InputError
from .types import DocumentResult, ManifestLine

MANIFEST = "_manifest.jsonl"
LOCK = ".docpipe.lock"


def output_name(rel_path: str) -> str:
    """'plans/a.pdf' -> 'plans__a.pdf.json'."""
    return rel_path.replace("/", "__") + ".json"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, fsync and rename: a reader
    sees the old file or the whole new one, never half. The file gets the usual mode (0666 minus umask),
    not mkstemp's 0600."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_UMASK = _umask()


class OutputFolder:
    """The output folder of a run: holds the lock while open, writes results and the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock_fd: int | None = None

    def __enter__(self) -> OutputFolder:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(
                f"another docpipe run is writing to {str(self.root)!r}; wait for it to finish or choose "
                "another --out folder"
            ) from None
        self._lock_fd = fd
        for stale in self.root.glob(".*.json.*.tmp"):  # left by a run that was killed mid-write
            stale.unlink(missing_ok=True)
        self._repair_manifest()
        return self

    def _repair_manifest(self) -> None:
        """Cut a torn last line (a crash mid-append), so that the next line starts on a line of its own."""
        manifest = self.root / MANIFEST
        if not manifest.exists():
            return
        data = manifest.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(manifest, "r+b") as f:
                f.truncate(data.rfind(b"\n") + 1)

    def __exit__(self, *exc: object) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def write(self, result: DocumentResult, seconds: float) -> Path:
        name = output_name(result.source.path)
        path = self.root / name
        write_atomic(path, result.model_dump_json(indent=2) + "\n")
        line = ManifestLine(path=result.source.path, sha256=result.source.sha256, status=result.status,
                            doc_type=result.doc_type, needs_review=result.needs_review, output=name,
                            seconds=round(seconds, 3))
        with open(self.root / MANIFEST, "a", encoding="utf-8") as f:
            f.write(line.model_dump_json() + "\n")
            f.flush()
            os.fsync(f.fileno())
        return path

    def finished(self) -> dict[tuple[str, str | None], ManifestLine]:
        """Documents already done by an earlier run: (path, sha256) -> its last manifest line, when the output
        file it names still exists. A torn last line (a crash mid-append) is ignored."""
        done: dict[tuple[str, str | None], ManifestLine] = {}
        manifest = self.root / MANIFEST
        if not manifest.exists():
            return done
        for raw in manifest.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                line = ManifestLine.model_validate(json.loads(raw))
            except (ValueError, ValidationError):
                continue
            if (self.root / line.output).exists():
                done[(line.path, line.sha256)] = line
        return done
