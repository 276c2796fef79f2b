"""Dimension chains of building plans: which dimension strings share a dimension line, which one is the
overall, and whether the parts add up to it.

Serves floor plans (CAD and scanned, any notation): a chain prints its parts side by side on one line, and
the overall one line further out, parallel. Horizontal strings of one line share their baseline; vertical ones
(reading bottom to top) share their x. Works on :class:`~docpipe.types.Dimension` (``nominal`` in mm, ``angle``
0 or 90, ``bbox`` in page pixels).
"""

from __future__ import annotations

from ..types import Dimension

__all__ = ["assign_chains", "chain_mismatches", "reread", "settle_by_opposite_overall", "settle_by_sum",
           "settle_by_unique_sum"]

SUM_TOLERANCE_MM = 5.0  # parts rounded to the printed unit still add up to the overall within this
_REREAD = 0.9  # a string given another of its readings is a tenth less sure


def reread(d: Dimension, value: float) -> Dimension:
    """``d`` taking ``value`` (mm), another reading of its string that a check decided for, a tenth less sure."""
    return d.model_copy(update={"nominal": value, "confidence": round(d.confidence * _REREAD, 4)})


def _chains(dims: list[Dimension]) -> dict[str, list[int]]:
    """Indices of ``dims`` by chain id, in order."""
    chains: dict[str, list[int]] = {}
    for i, d in enumerate(dims):
        if d.chain:
            chains.setdefault(d.chain, []).append(i)
    return chains


def _across(d: Dimension) -> float:
    """The coordinate across the dimension line (the text's centre): y for horizontal text, x for vertical."""
    x0, y0, x1, y1 = d.bbox
    return (x0 + x1) / 2 if round(d.angle) == 90 else (y0 + y1) / 2


def _along(d: Dimension) -> tuple[float, float]:
    x0, y0, x1, y1 = d.bbox
    return (y0, y1) if round(d.angle) == 90 else (x0, x1)


def _thick(d: Dimension) -> float:
    x0, y0, x1, y1 = d.bbox
    return (x1 - x0) if round(d.angle) == 90 else (y1 - y0)


def _lines(dims: list[Dimension]) -> list[list[int]]:
    """Indices of ``dims`` grouped by dimension line: same direction, same across-coordinate (within half a
    text height), and no gap along the line wider than the line's own extent would explain (two separate chains
    on one baseline stay apart when more than 100 text heights separate them)."""
    groups: list[list[int]] = []
    for i in sorted(range(len(dims)), key=lambda i: (round(dims[i].angle), _along(dims[i])[0])):
        d = dims[i]
        for g in groups:
            last = dims[g[-1]]
            if round(last.angle) != round(d.angle) or dims[g[-1]].page != d.page:
                continue
            h = max(_thick(last), _thick(d))
            if abs(_across(last) - _across(d)) <= 0.5 * h and _along(d)[0] - _along(last)[1] <= 100 * h:
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def assign_chains(dims: list[Dimension]) -> list[Dimension]:
    """``dims`` with ``chain`` ids (``c1``, ``c2`` ...) for dimension lines of two or more strings, and the
    overall of each such chain marked: a single string on a parallel line within eight text heights, whose
    centre lies within the chain's extent and whose value is at least the largest part and within half to one
    and a half times the parts' sum (an overall that does not add up is still found, for the check)."""
    out = list(dims)
    groups = _lines(out)
    n = 0
    used_as_overall: set[int] = set()
    for g in sorted(groups, key=len, reverse=True):
        if len(g) < 2 or any(i in used_as_overall for i in g):
            continue
        n += 1
        cid = f"c{n}"
        for i in g:
            out[i] = out[i].model_copy(update={"chain": cid, "overall": False})
        parts = [out[i] for i in g]
        total = sum(p.nominal or 0 for p in parts)
        lo, hi = min(_along(p)[0] for p in parts), max(_along(p)[1] for p in parts)
        h = max(_thick(p) for p in parts)
        best = None
        for og in groups:
            if len(og) != 1 or og is g or og[0] in used_as_overall:
                continue
            o = out[og[0]]
            if round(o.angle) != round(parts[0].angle) or o.page != parts[0].page or o.nominal is None:
                continue
            dist = abs(_across(o) - _across(parts[0]))
            mid = sum(_along(o)) / 2
            if not (0.8 * h <= dist <= 8 * h and lo <= mid <= hi):
                continue
            if o.nominal < max(p.nominal or 0 for p in parts) or not 0.5 * total <= o.nominal <= 1.5 * total:
                continue
            if best is None or dist < best[0]:
                best = (dist, og[0])
        if best is not None:
            used_as_overall.add(best[1])
            out[best[1]] = out[best[1]].model_copy(update={"chain": cid, "overall": True})
    return out


def chain_mismatches(dims: list[Dimension]) -> list[str]:
    """A review reason for each chain whose parts do not add up to its printed overall."""
    reasons = []
    for cid, idx in sorted(_chains(dims).items()):
        ds = [dims[i] for i in idx]
        overall = [d for d in ds if d.overall]
        parts = [d for d in ds if not d.overall]
        if not overall or len(parts) < 2:
            continue
        total = sum(d.nominal or 0 for d in parts)
        if abs(total - (overall[0].nominal or 0)) > SUM_TOLERANCE_MM:
            reasons.append(f"dimension chain {cid}: the parts ({' + '.join(d.text for d in parts)}) add up to "
                           f"{total:g} mm, the overall {overall[0].text!r} is {overall[0].nominal:g} mm")
    return reasons


def settle_by_sum(dims: list[Dimension], alternatives: list[list[float]]) -> list[Dimension]:
    """:func:`assign_chains` of ``dims``, where a string with other readings (``alternatives[i]``: millimetre
    values string ``i`` may have been printed as, e.g. an imperial ``g'-6"`` that is ``8'-6"`` or ``9'-6"``)
    sits in a chain that does not add up, or finds no overall, as read, and one of those readings makes its
    chain add up to an overall: the string takes that value, a tenth less sure. A chain that adds up as read,
    or that no alternative mends, stays as read (and the check reports it)."""
    raw = list(dims)
    out = assign_chains(raw)
    for i, alts in enumerate(alternatives):
        if not alts or _adds_up(out, i):
            continue
        for v in alts:
            trial = list(raw)
            trial[i] = reread(trial[i], v)
            chained = assign_chains(trial)
            if _adds_up(chained, i):
                raw, out = trial, chained
                break
    return out


def _adds_up(dims: list[Dimension], i: int) -> bool:
    """Whether string ``i`` is in a chain with an overall that its parts add up to."""
    cid = dims[i].chain
    if cid is None:
        return False
    ds = [d for d in dims if d.chain == cid]
    overall = [d for d in ds if d.overall]
    parts = [d for d in ds if not d.overall]
    return len(overall) == 1 and len(parts) >= 2 and \
        abs(sum(d.nominal or 0 for d in parts) - (overall[0].nominal or 0)) <= SUM_TOLERANCE_MM


def settle_by_opposite_overall(dims: list[Dimension], alternatives: list[list[float]]) -> list[Dimension]:
    """``dims`` (chained, :func:`settle_by_sum`) where a chain with no overall of its own holds a string with
    other readings (``alternatives[i]``) and spans the same stretch as a parallel chain that has one (the parts
    along the top of a building and the overall along its bottom: both measure the building's width): when its
    parts do not add up to that overall as read and one other reading makes them add up, the string takes that
    reading, a tenth less sure (``g'-5"`` read for ``8'-5"`` in a top chain, the bottom overall ``48'-0"``).
    Chains of two parts or fewer, and stretches that do not match within a tenth of their length, are left."""
    out = list(dims)
    chains = _chains(out)
    spans = {}
    for cid, idx in chains.items():
        parts = [out[i] for i in idx if not out[i].overall]
        spans[cid] = (min(_along(p)[0] for p in parts), max(_along(p)[1] for p in parts)) if parts else None
    for cid, idx in chains.items():
        if any(out[i].overall for i in idx) or len(idx) < 3 or spans[cid] is None:
            continue
        lo, hi = spans[cid]
        d0 = out[idx[0]]
        totals = [out[j].nominal for oc, oidx in chains.items() if oc != cid and spans[oc] is not None
                  for j in oidx if out[j].overall and out[j].nominal is not None and out[j].page == d0.page
                  and round(out[j].angle) == round(d0.angle)
                  and abs(spans[oc][0] - lo) <= 0.1 * (hi - lo) and abs(spans[oc][1] - hi) <= 0.1 * (hi - lo)]
        if not totals:
            continue
        total = sum(out[i].nominal or 0 for i in idx)
        if any(abs(total - t) <= SUM_TOLERANCE_MM for t in totals):
            continue
        fixes = [(i, v) for i in idx for v in alternatives[i]
                 if any(abs(total - (out[i].nominal or 0) + v - t) <= SUM_TOLERANCE_MM for t in totals)]
        if len(fixes) == 1:
            i, v = fixes[0]
            out[i] = reread(out[i], v)
    return out


def settle_by_unique_sum(dims: list[Dimension], alternatives: list[list[float]]) -> list[Dimension]:
    """``dims`` (chained) where a chain's parts do not add up to its overall and exactly one string of the chain,
    parts and overall, has exactly one other reading (``alternatives[i]``, e.g. a metric digit OCR confuses:
    ``4250`` for ``4750``) that makes them add up: that string takes it, a tenth less sure. Where two strings or
    two readings would do, the chain stays as read (and the check reports it): with many readings per string,
    only a single fix is evidence."""
    out = list(dims)
    chains = _chains(out)
    for idx in chains.values():
        over = [i for i in idx if out[i].overall]
        parts = [i for i in idx if not out[i].overall]
        if len(over) != 1 or len(parts) < 2 or out[over[0]].nominal is None:
            continue
        total, o = sum(out[i].nominal or 0 for i in parts), out[over[0]].nominal
        if abs(total - o) <= SUM_TOLERANCE_MM:
            continue
        fixes = [(i, v) for i in parts for v in alternatives[i]
                 if abs(total - (out[i].nominal or 0) + v - o) <= SUM_TOLERANCE_MM]
        fixes += [(over[0], v) for v in alternatives[over[0]] if abs(total - v) <= SUM_TOLERANCE_MM]
        if len(fixes) == 1:
            i, v = fixes[0]
            out[i] = reread(out[i], v)
    return out
