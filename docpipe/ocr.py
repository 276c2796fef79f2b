"""OCR: Tesseract word boxes with confidences, grouped into lines in reading order.

Boxes are page pixels of the image passed in; confidences are Tesseract's 0-100 word confidence / 100.
Tesseract runs as one process per call, with ``OMP_THREAD_LIMIT=1`` in its environment only (unless the user
set one): page-level parallelism beats Tesseract's own threads on 2 cores, and set in this process the limit
would also bind the OpenMP runtime that torch and llama.cpp share, pinning the model to one thread. The image
goes to Tesseract as an uncompressed PGM/PPM file: pytesseract's default, PNG, costs ~0.3 s of encoding per full
page, per call.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytesseract
from PIL import Image

from .errors import ModelLoadError, OcrError
from .geometry import union
from .ingest import to_gray
from .options import OcrOptions
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


# pytesseract starts every Tesseract process with ``env=pytesseract.pytesseract.environ``.
pytesseract.pytesseract.environ = _TesseractEnv()


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
        cfg = f"--psm {psm if psm is not None else self.options.psm} --dpi {dpi} {config}".strip()
        try:
            with tesseract_input(image) as path:
                data = pytesseract.image_to_data(
                    path, lang=lang, config=cfg, output_type=pytesseract.Output.DICT,
                    timeout=_TIMEOUT_S,
                )
        except pytesseract.TesseractNotFoundError as e:
            raise ModelLoadError("tesseract is not installed or not on PATH; run `make setup`") from e
        except pytesseract.TesseractError as e:
            msg = str(e.message if hasattr(e, "message") else e)
            if "Failed loading language" in msg or "Error opening data file" in msg:
                raise ModelLoadError(
                    f"Tesseract language data for {lang!r} is missing; install "
                    "tesseract-ocr-<lang> (make setup installs eng, osd, deu, fra, nld)"
                ) from e
            raise OcrError(f"Tesseract failed: {msg.strip()[:300]}") from e
        except RuntimeError as e:  # pytesseract raises RuntimeError on timeout
            raise OcrError(f"Tesseract took longer than {_TIMEOUT_S} s on this page; check the image") from e
        words = []
        for text, conf, x, y, w, h in zip(data["text"], data["conf"], data["left"], data["top"],
                                          data["width"], data["height"]):
            text = (text or "").strip()
            conf = float(conf)
            if not text or conf < 0 or w <= 0 or h <= 0:
                continue
            c = min(1.0, conf / 100.0)
            if c < self.options.min_confidence:
                continue
            words.append(Word(text=text, bbox=(x, y, x + w, y + h), confidence=c))
        return words


@contextmanager
def tesseract_input(image: Image.Image) -> Iterator[str]:
    """The path of a temporary PGM/PPM copy of ``image`` for Tesseract, removed afterwards."""
    fd, path = tempfile.mkstemp(prefix="docpipe-ocr-", suffix=".pnm")
    try:
        with os.fdopen(fd, "wb") as f:
            # Pages arrive as "L" from ingest; anything else gets ingest's conversion (white under transparency,
            # 16-bit scaled to 8-bit), which the PNM writer takes.
            (image if image.mode in ("1", "L", "RGB") else to_gray(image)).save(f, format="PPM")
        yield path
    finally:
        os.unlink(path)


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
