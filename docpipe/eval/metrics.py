"""Evaluation metrics: edit distances (CER/WER), box overlap and matching, and field-value comparison.

Boxes are ``(x0, y0, x1, y1)`` in pixels, origin top-left, as in the contract; ``iou``, ``overlaps`` and
``centre_in`` are :mod:`docpipe.geometry`'s. Error rates are edit distances divided by the reference length,
so they can exceed 1 when the hypothesis is much longer than the reference.
Pure Python + numpy: no compiled Levenshtein package is needed.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Box overlap is docpipe.geometry's (one definition for the pipeline and its evaluation); re-exported here.
from ..geometry import Box as Box
from ..geometry import centre_in as centre_in
from ..geometry import iou as iou
from ..geometry import overlaps as overlaps


# --- edit distance --------------------------------------------------------------------------------


def levenshtein(a: Sequence, b: Sequence) -> int:
    """Edit distance (insert, delete, substitute; unit costs) between two sequences of hashable items.

    One numpy pass per element of the shorter sequence: the insertion chain within a row is resolved with a
    running minimum (``row[j] = j + min_k<=j (tmp[k] - k)``), so a 2,000 x 2,000 page pair takes ~30 ms.
    """
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    vocab: dict = {}
    av = np.fromiter((vocab.setdefault(x, len(vocab)) for x in a), dtype=np.int64, count=len(a))
    bv = np.fromiter((vocab.setdefault(x, len(vocab)) for x in b), dtype=np.int64, count=len(b))
    m = len(bv)
    idx = np.arange(m + 1, dtype=np.int64)
    prev = idx.copy()
    for i, ch in enumerate(av, start=1):
        tmp = np.empty(m + 1, dtype=np.int64)
        tmp[0] = i
        # deletion (from the row above) and substitution/match (diagonal)
        np.minimum(prev[1:] + 1, prev[:-1] + (bv != ch), out=tmp[1:])
        # insertion: row[j] = min_k<=j tmp[k] + (j - k)
        prev = np.minimum.accumulate(tmp - idx) + idx
    return int(prev[-1])


def cer(ref: str, hyp: str) -> float:
    """Character error rate: ``levenshtein(ref, hyp) / len(ref)``; 0 if both are empty, 1 if only ref is."""
    if not ref:
        return 0.0 if not hyp else 1.0
    return levenshtein(ref, hyp) / len(ref)


def wer(ref: str, hyp: str) -> float:
    """Word error rate over whitespace tokens: ``levenshtein(ref.split(), hyp.split()) / len(ref.split())``."""
    r, h = ref.split(), hyp.split()
    if not r:
        return 0.0 if not h else 1.0
    return levenshtein(r, h) / len(r)


def normalise_text(s: str) -> str:
    """NFKC (so that ligatures, full-width forms and ``⌀``/``Ø`` variants compare), whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", s).split())


# --- boxes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoxMatch:
    gt: int  # index into the ground-truth list
    pred: int  # index into the prediction list
    iou: float


def match_boxes(gt: Sequence[Box], pred: Sequence[Box], iou_thr: float = 0.5) -> list[BoxMatch]:
    """One-to-one greedy matching: pairs with IoU >= ``iou_thr``, highest IoU first. Sorted by ``gt`` index."""
    pairs = []
    for i, g in enumerate(gt):
        for j, p in enumerate(pred):
            v = iou(g, p)
            if v >= iou_thr and v > 0:
                pairs.append((v, i, j))
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for v, i, j in pairs:
        if i in used_g or j in used_p:
            continue
        used_g.add(i)
        used_p.add(j)
        out.append(BoxMatch(i, j, v))
    return sorted(out, key=lambda m: m.gt)


@dataclass
class PR:
    """Precision/recall/F1 from counts. A rate is None where it is undefined (nothing to divide by)."""

    tp: int
    n_gt: int
    n_pred: int

    @property
    def precision(self) -> float | None:
        return self.tp / self.n_pred if self.n_pred else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.n_gt if self.n_gt else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        return 2 * p * r / (p + r)

    def __add__(self, other: PR) -> PR:
        return PR(self.tp + other.tp, self.n_gt + other.n_gt, self.n_pred + other.n_pred)

    def to_dict(self) -> dict:
        return {"tp": self.tp, "n_gt": self.n_gt, "n_pred": self.n_pred, "precision": self.precision,
                "recall": self.recall, "f1": self.f1}


def precision_recall(n_matched: int | Sequence, n_gt: int, n_pred: int) -> PR:
    """:class:`PR` from a match count (or the list of matches from :func:`match_boxes`) and the two totals."""
    tp = n_matched if isinstance(n_matched, int) else len(n_matched)
    return PR(tp, n_gt, n_pred)


# --- field values ---------------------------------------------------------------------------------

_AMOUNT_RE = re.compile(r"[-+]?\d[\d.,' \u00a0\u202f]*")


def parse_amount(v: object) -> float | None:
    """A number from a float, int or printed amount (``$12.20``, ``1.234,56 €``, ``1,234.56``, ``-8.79``).

    The last ``.`` or ``,`` followed by one or two digits is the decimal separator; other separators group
    thousands. Returns None when no number is found.
    """
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    s = unicodedata.normalize("NFKC", str(v)).strip()
    neg = s.startswith("-") or s.endswith("-") or (s.startswith("(") and s.endswith(")"))
    m = _AMOUNT_RE.search(s)
    if not m:
        return None
    num = re.sub(r"[' \u00a0\u202f]", "", m.group(0)).lstrip("+-")
    dec = re.search(r"[.,](\d{1,2})$", num)
    if dec:
        whole = re.sub(r"[.,]", "", num[: dec.start()])
        num = f"{whole or '0'}.{dec.group(1)}"
    else:
        num = re.sub(r"[.,]", "", num)
    try:
        x = float(num)
    except ValueError:
        return None
    return -x if neg else x


def amounts_equal(a: object, b: object, tol: float = 0.01) -> bool:
    """Both parse as amounts and differ by at most ``tol`` (plus float slack)."""
    x, y = parse_amount(a), parse_amount(b)
    return x is not None and y is not None and abs(x - y) <= tol + 1e-9


_MONTHS = {m: i for i, names in enumerate(
    [("jan", "januar", "janvier", "januari"), ("feb", "februar", "fevrier", "février", "februari"),
     ("mar", "märz", "maerz", "mars", "maart"), ("apr", "april", "avril"), ("may", "mai", "mei"),
     ("jun", "juni", "juin"), ("jul", "juli", "juillet"), ("aug", "august", "août", "aout", "augustus"),
     ("sep", "sept", "september", "septembre"), ("oct", "okt", "oktober", "octobre"),
     ("nov", "november", "novembre"), ("dec", "dez", "dezember", "décembre", "decembre")], start=1)
    for m in names}


def _year(y: int) -> int:
    return y + (2000 if y < 70 else 1900) if y < 100 else y


def parse_date(v: object, *, dayfirst: bool = True) -> _dt.date | None:
    """A date from a ``date``, ISO ``YYYY-MM-DD``, ``YYYYMMDD`` (CII format 102), ``dd/mm/yy``, ``dd.mm.yyyy``
    or ``10 MAY 2018``. Numeric dates are read day first unless ``dayfirst=False`` (or the first part > 12)."""
    if v is None:
        return None
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    s = unicodedata.normalize("NFKC", str(v)).strip().lower()
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ].*)?", s):
            return _dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", s):
            return _dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.search(r"\b(\d{1,4})[./-](\d{1,2})[./-](\d{2,4})\b", s):
            a, b, c = int(m[1]), int(m[2]), int(m[3])
            if a > 31:  # yyyy/mm/dd
                return _dt.date(a, b, c)
            d, mo = (a, b) if dayfirst else (b, a)
            if mo > 12 >= d:  # the other reading is the only valid one
                d, mo = mo, d
            return _dt.date(_year(c), mo, d)
        if m := re.search(r"\b(\d{1,2})\.?\s*([a-zäéû]+)\.?,?\s*(\d{2,4})\b", s):
            mo = _MONTHS.get(m[2]) or _MONTHS.get(m[2][:3])
            if mo:
                return _dt.date(_year(int(m[3])), mo, int(m[1]))
        if m := re.search(r"\b([a-zäéû]+)\.?\s+(\d{1,2}),?\s*(\d{2,4})\b", s):
            mo = _MONTHS.get(m[1]) or _MONTHS.get(m[1][:3])
            if mo:
                return _dt.date(_year(int(m[3])), mo, int(m[2]))
    except ValueError:
        return None
    return None


def dates_equal(a: object, b: object, *, dayfirst: bool = True) -> bool:
    """Both parse (see :func:`parse_date`) to the same calendar date."""
    x, y = parse_date(a, dayfirst=dayfirst), parse_date(b, dayfirst=dayfirst)
    return x is not None and x == y


def text_key(s: object) -> str:
    """The comparison key of a string: NFKC, case-folded, with whitespace and punctuation removed."""
    s = unicodedata.normalize("NFKC", "" if s is None else str(s)).casefold()
    return "".join(ch for ch in s if not (ch.isspace() or unicodedata.category(ch)[0] in "PZ"))


def text_equal(a: object, b: object) -> bool:
    """Equal ignoring case, whitespace and punctuation (``DE 232 446 240`` == ``de232446240``)."""
    return a is not None and b is not None and text_key(a) == text_key(b)


def text_similar(a: object, b: object, max_cer: float = 0.2) -> bool:
    """For names and addresses: CER of the case-folded, whitespace-collapsed strings <= ``max_cer``."""
    if a is None or b is None:
        return False
    x = normalise_text(str(a)).casefold()
    y = normalise_text(str(b)).casefold()
    return cer(x, y) <= max_cer
