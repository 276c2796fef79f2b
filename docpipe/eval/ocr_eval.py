"""OCR accuracy of :class:`docpipe.read.PageReader` on FUNSD scans and on synthetic pages.

Two figures per page:

- **word level**: ground-truth words (empty transcripts skipped) and predicted words are linked when the
  centre of one lies inside the other's box or their IoU is >= 0.5; each connected group (usually one word on
  each side; several when the tokenisations differ, as FUNSD splits ``466-5087`` into ``466-`` and ``5087``
  where Tesseract reads one word) is compared as text with the spaces removed, each side's words left to
  right (NFKC, case kept). ``word_cer`` is the summed edit distance over the summed reference length (micro
  average); ``word_acc`` the share of ground-truth words in exactly matching groups; ``word_unmatched`` the
  share with no predicted word at all (counted as deleted).
- **page level**: the ground-truth words and the predicted words are each put in reading order by the same
  :func:`docpipe.ocr.group_lines`, joined (lines by newlines), normalised, and compared: ``page_cer`` and
  ``page_wer``. Because reading order is decided the same way on both sides, this measures text, not layout;
  ``bag_recall``/``bag_precision`` (multiset word overlap) ignore order completely.

FUNSD boxes refer to the scan as stored, so predicted boxes are mapped back from the reader's upright
(deskewed) image first (:func:`unrotate_words`); without that, a 1° deskew moves words 500 px from the centre by
~9 px, more than half a word's height on these scans. Synthetic boxes refer to the upright page already.

Seconds per page are the reader's own time (orient + OCR) as measured inside the worker; the machines are
shared, so timings are noisy.
"""

from __future__ import annotations

import importlib
import math
import statistics
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image

from ..ingest import RasterPage
from ..ocr import group_lines
from ..options import OcrOptions, OrientOptions
from ..types import Word
from .compare import fmt, format_table
from ..geometry import centre_in, iou
from .metrics import cer, levenshtein, normalise_text, wer
from .realdocs import load_funsd

LETTER_HEIGHT_IN = 11.0  # FUNSD forms are US Letter pages (RVL-CDIP, tobacco-litigation archive)


@dataclass
class PageScore:
    doc_id: str
    dpi: int
    n_gt_words: int
    n_pred_words: int
    word_edits: int
    word_ref_chars: int
    word_exact: int
    word_unmatched: int  # gt words with no predicted word at all
    page_cer: float
    page_wer: float
    bag_recall: float
    bag_precision: float
    seconds: float
    error: str | None = None
    rotation: float = 0.0  # what the reader turned/deskewed, degrees clockwise (boxes then refer to that image)

    @property
    def word_cer(self) -> float:
        return self.word_edits / self.word_ref_chars if self.word_ref_chars else 0.0

    @property
    def word_acc(self) -> float:
        return self.word_exact / self.n_gt_words if self.n_gt_words else 0.0


@dataclass
class OcrReport:
    name: str
    pages: list[PageScore] = field(default_factory=list)
    wall_seconds: float = 0.0
    workers: int = 1
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the evaluation could not run

    def summary(self) -> dict:
        ok = [p for p in self.pages if p.error is None]
        if not ok:
            return {"pages": 0, "errors": len(self.pages)}
        mean = (lambda xs: statistics.fmean(xs) if xs else None)
        edits, chars = sum(p.word_edits for p in ok), sum(p.word_ref_chars for p in ok)
        return {
            "pages": len(ok), "errors": len(self.pages) - len(ok),
            "gt_words": sum(p.n_gt_words for p in ok),
            "word_cer_micro": edits / chars if chars else None,
            "word_cer_mean": mean([p.word_cer for p in ok]),
            "word_acc": sum(p.word_exact for p in ok) / max(1, sum(p.n_gt_words for p in ok)),
            "word_wer": 1 - sum(p.word_exact for p in ok) / max(1, sum(p.n_gt_words for p in ok)),
            "word_unmatched": sum(p.word_unmatched for p in ok) / max(1, sum(p.n_gt_words for p in ok)),
            "page_cer_mean": mean([p.page_cer for p in ok]),
            "page_cer_median": statistics.median(p.page_cer for p in ok),
            "page_wer_mean": mean([p.page_wer for p in ok]),
            "bag_recall_mean": mean([p.bag_recall for p in ok]),
            "bag_precision_mean": mean([p.bag_precision for p in ok]),
            "seconds_per_page_reader": mean([p.seconds for p in ok]),
            "seconds_per_page_wall": self.wall_seconds / len(self.pages) if self.pages else None,
        }

    def to_json(self) -> dict:
        pages = [{**asdict(p), "word_cer": p.word_cer, "word_acc": p.word_acc} for p in self.pages]
        return {"name": self.name, "workers": self.workers, "wall_seconds": self.wall_seconds, "notes": self.notes,
                "skipped": self.skipped, "summary": self.summary(), "pages": pages}

    def format_report(self, per_page: bool = True) -> str:
        if self.skipped:
            return f"{self.name}: skipped ({self.skipped})"
        s = self.summary()
        out = [f"{self.name}: {s['pages']} pages ({s['errors']} errors), {self.workers} worker(s), "
               f"{self.wall_seconds:.1f} s wall"]
        out += [f"  note: {n}" for n in self.notes]
        if per_page:
            rows = [[p.doc_id, p.dpi, p.n_gt_words, p.n_pred_words, fmt(p.word_cer), fmt(p.word_acc),
                     fmt(p.page_cer), fmt(p.page_wer), fmt(p.bag_recall), f"{p.rotation:g}", f"{p.seconds:.2f}"]
                    if p.error is None else [p.doc_id, "-", "-", "-", "-", "-", "-", "-", "-", "-", p.error[:40]]
                    for p in self.pages]
            out.append(format_table(["page", "dpi", "gt", "pred", "word CER", "word acc", "page CER", "page WER",
                                     "bag rec", "rot", "s"], rows))
        if s["pages"]:
            out += ["", f"word level: CER {fmt(s['word_cer_micro'])} (micro; per-page mean {fmt(s['word_cer_mean'])}),"
                        f" exact words {fmt(s['word_acc'])} (WER {fmt(s['word_wer'])}), no prediction {fmt(s['word_unmatched'])}",
                    f"page level: CER mean {fmt(s['page_cer_mean'])} (median {fmt(s['page_cer_median'])}), "
                    f"WER mean {fmt(s['page_wer_mean'])}; bag-of-words recall {fmt(s['bag_recall_mean'])}, "
                    f"precision {fmt(s['bag_precision_mean'])}",
                    f"speed: {fmt(s['seconds_per_page_reader'], 2)} s/page in the reader, "
                    f"{fmt(s['seconds_per_page_wall'], 2)} s/page wall with {self.workers} worker(s)"]
        return "\n".join(out)


# --- scoring one page -----------------------------------------------------------------------------


def _int_box(b) -> tuple[int, int, int, int]:
    x0, y0 = int(round(b[0])), int(round(b[1]))
    return (x0, y0, max(x0 + 1, int(round(b[2]))), max(y0 + 1, int(round(b[3]))))


def unrotate_words(words: list[Word], rotation: float, size: tuple[int, int]) -> list[Word]:
    """Map word boxes from the reader's upright image back to the original image of ``size`` (w, h).

    The reader turns pages by quarter turns (canvas swapped) and then deskews by a small angle about the
    centre (canvas kept), both clockwise (see :mod:`docpipe.orient`); ground truth refers to the original
    image, so predicted boxes are rotated back (each box becomes the axis-aligned box of its rotated corners).
    """
    q = int(round(rotation / 90.0)) % 4 * 90
    skew = rotation - round(rotation / 90.0) * 90.0
    if q == 0 and abs(skew) < 1e-6:
        return words
    w0, h0 = size
    w1, h1 = (h0, w0) if q in (90, 270) else (w0, h0)
    cx, cy = w1 / 2, h1 / 2
    c, s_ = math.cos(math.radians(-skew)), math.sin(math.radians(-skew))

    def back(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - cx, y - cy
        x, y = cx + dx * c - dy * s_, cy + dx * s_ + dy * c  # undo the clockwise deskew
        if q == 90:
            return y, h0 - x
        if q == 180:
            return w0 - x, h0 - y
        if q == 270:
            return w0 - y, x
        return x, y

    out = []
    for wd in words:
        x0, y0, x1, y1 = wd.bbox
        pts = [back(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        box = _int_box((max(0, min(xs)), max(0, min(ys)), min(w0, max(xs)), min(h0, max(ys))))
        out.append(wd.model_copy(update={"bbox": box}))
    return out


def reading_order_text(words: list[Word]) -> str:
    return "\n".join(ln.text for ln in group_lines(words))


def score_page(doc_id: str, gt: list[tuple[str, tuple]], pred: list[Word], *, dpi: int, seconds: float,
               rotation: float = 0.0) -> PageScore:
    """Score predicted words against ground-truth ``(text, box)`` pairs (same pixel grid)."""
    gt = [(normalise_text(t), _int_box(b)) for t, b in gt if normalise_text(t)]
    n = len(gt)
    parent = list(range(n + len(pred)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (_, g) in enumerate(gt):
        for j, w in enumerate(pred):
            if centre_in(w.bbox, g) or centre_in(g, w.bbox) or iou(w.bbox, g) >= 0.5:
                parent[find(i)] = find(n + j)
    groups: dict[int, tuple[list, list]] = {}
    for i in range(n):
        groups.setdefault(find(i), ([], []))[0].append(gt[i])
    for j, w in enumerate(pred):
        if find(n + j) in groups:
            groups[find(n + j)][1].append((w.text, w.bbox))
    edits = chars = exact = unmatched = 0
    for g_words, p_words in groups.values():
        ref = "".join(t for t, _ in sorted(g_words, key=lambda x: x[1][0])).replace(" ", "")
        hyp = normalise_text("".join(t for t, _ in sorted(p_words, key=lambda x: x[1][0]))).replace(" ", "")
        if not p_words:
            unmatched += len(g_words)
        edits += levenshtein(ref, hyp)
        chars += len(ref)
        exact += len(g_words) if ref == hyp else 0
    gt_words = [Word(text=t, bbox=b, confidence=1.0) for t, b in gt]
    ref_text = normalise_text(reading_order_text(gt_words))
    hyp_text = normalise_text(reading_order_text(pred))
    rc, hc = Counter(ref_text.split()), Counter(hyp_text.split())
    common = sum((rc & hc).values())
    return PageScore(
        doc_id=doc_id, dpi=dpi, n_gt_words=len(gt), n_pred_words=len(pred), word_edits=edits, word_ref_chars=chars,
        word_exact=exact, word_unmatched=unmatched, page_cer=cer(ref_text, hyp_text), page_wer=wer(ref_text, hyp_text),
        bag_recall=common / max(1, sum(rc.values())), bag_precision=common / max(1, sum(hc.values())),
        seconds=seconds, rotation=rotation,
    )


# --- workers --------------------------------------------------------------------------------------

_READER = None


def _init_worker(orient: OrientOptions, ocr: OcrOptions) -> None:
    global _READER
    from ..read import PageReader

    _READER = PageReader(orient, ocr)


def _reader():
    if _READER is None:
        _init_worker(OrientOptions(), OcrOptions())
    return _READER


def image_dpi(img: Image.Image) -> tuple[int, bool]:
    """The image's dpi from its metadata if plausible (70-1200), else estimated from its height assuming a
    full US Letter page (11 in) is in frame. Returns ``(dpi, estimated)``."""
    raw = img.info.get("dpi")
    try:
        v = round(float(raw[0])) if raw else 0
    except (TypeError, ValueError, IndexError):
        v = 0
    if 70 <= v <= 1200:
        return v, False
    return max(50, round(img.height / LETTER_HEIGHT_IN)), True


def _funsd_one(task: tuple[str, str, list[tuple[str, tuple]]]) -> PageScore:
    doc_id, image_path, gt = task
    with Image.open(image_path) as im:
        dpi, _ = image_dpi(im)
        gray = im.convert("L")
    t0 = time.perf_counter()
    try:
        text = _reader()(RasterPage(number=1, image=gray, dpi=dpi))
    except Exception as e:  # one bad page must not end the evaluation
        return PageScore(doc_id, dpi, len(gt), 0, 0, 0, 0, 0, 1.0, 1.0, 0.0, 0.0, time.perf_counter() - t0,
                         error=f"{type(e).__name__}: {e}")
    seconds = time.perf_counter() - t0
    words = unrotate_words(text.words, text.page.rotation, gray.size)
    return score_page(doc_id, gt, words, dpi=dpi, seconds=seconds, rotation=text.page.rotation)


def _run(tasks: list, fn, reader, workers: int) -> list[PageScore]:
    global _READER
    if workers <= 1:
        saved = _READER
        if reader is not None:
            _READER = reader
        try:
            return [fn(t) for t in tasks]
        finally:
            _READER = saved
    orient = reader.orient_options if reader is not None else OrientOptions()
    ocr = reader.ocr.options if reader is not None else OcrOptions()
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(orient, ocr)) as pool:
        return list(pool.map(fn, tasks))


def evaluate_ocr_funsd(root: Path, reader=None, limit: int | None = None, workers: int = 1) -> OcrReport:
    """Run the page reader on the FUNSD test forms under ``root`` (the realdocs folder) and score it.

    With ``workers > 1`` each worker process builds its own ``PageReader`` from ``reader``'s options.
    """
    forms = load_funsd(Path(root), limit=limit)
    tasks = [(f.doc_id, str(f.image), [(w.text, w.box) for w in f.words]) for f in forms]
    rep = OcrReport(name="FUNSD test OCR", workers=max(1, workers))
    if forms:
        with Image.open(forms[0].image) as im:
            dpi, est = image_dpi(im)
        if est:
            rep.notes.append(f"the PNGs carry no dpi metadata; dpi estimated as height / {LETTER_HEIGHT_IN:g} in "
                             f"(US Letter), e.g. {dpi} for a {im.width}x{im.height} scan")
    t0 = time.perf_counter()
    rep.pages = _run(tasks, _funsd_one, reader, workers)
    rep.wall_seconds = time.perf_counter() - t0
    return rep


# --- synthetic pages ------------------------------------------------------------------------------


def _synth_one(task: tuple[int, int, str]) -> PageScore:
    import numpy as np

    i, seed, kind = task
    synth = importlib.import_module("docpipe.synth")
    try:
        page = synth.render_page(kind, np.random.default_rng([seed, i]))
        gray = page.image.convert("L")
        gt = [(t, b) for t, b in page.words]
    except Exception as e:
        return PageScore(f"{kind}-{i}", 0, 0, 0, 0, 0, 0, 0, 1.0, 1.0, 0.0, 0.0, 0.0,
                         error=f"render: {type(e).__name__}: {e}")
    t0 = time.perf_counter()
    try:
        text = _reader()(RasterPage(number=1, image=gray, dpi=int(page.dpi)))
    except Exception as e:
        return PageScore(f"{kind}-{i}", int(page.dpi), len(gt), 0, 0, 0, 0, 0, 1.0, 1.0, 0.0, 0.0,
                         time.perf_counter() - t0, error=f"{type(e).__name__}: {e}")
    # No unrotation here: synthetic ground truth is drawn on the upright page (skew is applied to the image
    # only), which is the frame the reader's deskew returns to.
    return score_page(f"{kind}-{i}", gt, text.words, dpi=int(page.dpi), seconds=time.perf_counter() - t0,
                      rotation=text.page.rotation)


def evaluate_ocr_synthetic(n: int = 10, seed: int = 0, reader=None, *, kinds: tuple[str, ...] | None = None,
                           workers: int = 1) -> OcrReport:
    """Render ``n`` synthetic pages with ``docpipe.synth.render_page(kind, rng)`` and score the reader on them.

    Page ``i`` uses ``numpy.random.default_rng([seed, i])`` and kind ``kinds[i % len(kinds)]`` (default: the
    module's ``KINDS`` if it has one, else ``("invoice",)``). Returns a skipped report when ``docpipe.synth``
    has no ``render_page`` yet.
    """
    rep = OcrReport(name="synthetic OCR", workers=max(1, workers))
    try:
        synth = importlib.import_module("docpipe.synth")
        if not hasattr(synth, "render_page"):
            raise ImportError("docpipe.synth has no render_page")
    except ImportError as e:
        rep.skipped = f"docpipe.synth.render_page is not available ({e})"
        return rep
    kinds = tuple(kinds or getattr(synth, "KINDS", None) or ("invoice",))
    tasks = [(i, seed, kinds[i % len(kinds)]) for i in range(n)]
    t0 = time.perf_counter()
    rep.pages = _run(tasks, _synth_one, reader, workers)
    rep.wall_seconds = time.perf_counter() - t0
    return rep

