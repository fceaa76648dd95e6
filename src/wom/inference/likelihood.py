"""The exact likelihood of individual adoption on a known graph under the adoption rule.

With no campaign, person ``v`` open and with the references it needs adopts in step ``t``
with probability (docs/model.md)::

    h_v(t) = 1 − (1 − b) · (1 − β·ρ)^{i_v(t)} · (1 − β·ρ·w)^{o_v(t)}

where ``i_v(t)`` and ``o_v(t)`` are the neighbours of its own and of other segments who
adopted in the ``talk_weeks`` steps before ``t`` (they advocate), ``ρ`` the generic
message's resonance (every adopter of the past carries it: background adopters do, and a
word-of-mouth adopter retells what convinced them) and ``w`` the weak-tie strength. All of
it is observed, so the probability of the data is a product over people and steps.

What the data does not show is mixed over, person by person, with the scenario's shares
(independently per person; the market draws exact counts, which differ by at most
rounding): being in the TAM and not the incumbent's (``tam − incumbent``; someone who never
adopted may be outside it), and needing references (``1 − early_market`` of a segment need
``references`` same-segment adopters before the step, the early market none).
"""

from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np

from wom.inference.data import Observed


@numba.njit(cache=True)
def person_steps(indptr, indices, segment, adopted_step, steps,
                 talk_weeks):  # pragma: no cover - compiled
    """Each person's steps at risk with what they saw: for person ``v`` the entries
    ``offset[v]:offset[v+1]`` are steps ``0 … last`` (its adoption step, or ``steps − 1``),
    with advocating neighbours of its own segment (``inside``) and of others (``outside``)
    and same-segment neighbours adopted before the step (``refs``)."""
    n = segment.size
    offset = np.zeros(n + 1, np.int64)
    for v in range(n):
        last = adopted_step[v] if adopted_step[v] >= 0 else steps - 1
        offset[v + 1] = offset[v] + last + 1
    m = offset[n]
    inside = np.zeros(m, np.int32)
    outside = np.zeros(m, np.int32)
    refs = np.zeros(m, np.int32)
    for v in range(n):
        base = offset[v]
        last = offset[v + 1] - base
        for a in range(indptr[v], indptr[v + 1]):
            u = indices[a]
            s = adopted_step[u]
            if s < 0:
                continue
            same = segment[u] == segment[v]
            # u advocates in steps s+1 … s+talk_weeks, and counts as a reference from s+1 on
            for t in range(s + 1, min(last, s + talk_weeks + 1)):
                if same:
                    inside[base + t] += 1
                else:
                    outside[base + t] += 1
            if same:
                for t in range(s + 1, last):
                    refs[base + t] += 1
    return offset, inside, outside, refs


@numba.njit(cache=True, inline="always")
def _log_survive(log1mb, lq_in, lq_out, i, o):  # pragma: no cover - compiled
    return log1mb + i * lq_in + o * lq_out


@numba.njit(cache=True)
def log_likelihood(offset, inside, outside, refs, adopted_step, segment, background, p_in,
                   p_out, open_share, early, needs):  # pragma: no cover - compiled
    """Log-probability of the data; ``p_in = β·ρ``, ``p_out = β·ρ·w``; per segment the open
    share, the early market and the references the others need."""
    log1mb = np.log1p(-background) if background < 1.0 else -np.inf
    lq_in = np.log1p(-p_in) if p_in < 1.0 else -np.inf
    lq_out = np.log1p(-p_out) if p_out < 1.0 else -np.inf
    total = 0.0
    for v in range(segment.size):
        k = segment[v]
        r = needs[k]
        lo, hi = offset[v], offset[v + 1]
        adopted = adopted_step[v] >= 0
        end = hi - 1 if adopted else hi  # the steps survived
        s0 = 0.0  # needing no references
        sr = 0.0  # needing r
        for j in range(lo, end):
            x = _log_survive(log1mb, lq_in, lq_out, inside[j], outside[j])
            s0 += x
            if refs[j] >= r:
                sr += x
        if adopted:
            x = _log_survive(log1mb, lq_in, lq_out, inside[end], outside[end])
            h = -np.expm1(x)
            lh = np.log(h) if h > 0.0 else -np.inf
            s0 += lh
            sr = sr + lh if refs[end] >= r else -np.inf
        if r == 0:
            mix = s0
        else:
            mix = np.logaddexp(np.log(early[k]) + s0 if early[k] > 0.0 else -np.inf,
                               np.log1p(-early[k]) + sr if early[k] < 1.0 else -np.inf)
        q = open_share[k]
        if adopted:
            total += (np.log(q) if q > 0.0 else -np.inf) + mix
        elif q < 1.0:
            total += np.logaddexp(np.log1p(-q), (np.log(q) if q > 0.0 else -np.inf) + mix)
        else:
            total += mix
        if total == -np.inf:
            return total
    return total


@numba.njit(cache=True)
def background_share(offset, inside, outside, adopted_step, segment, n_segments, background,
                     p_in, p_out):  # pragma: no cover - compiled
    """Per segment: the adopters, and the expected number of them whose adoption the rule
    attributes to background (the cause is drawn among the trials that succeeded in
    proportion to their chances); the rest is word of mouth."""
    adopters = np.zeros(n_segments)
    by_background = np.zeros(n_segments)
    for v in range(segment.size):
        if adopted_step[v] < 0:
            continue
        j = offset[v + 1] - 1
        i, o = inside[j], outside[j]
        h = 1.0 - (1.0 - background) * (1.0 - p_in) ** i * (1.0 - p_out) ** o
        if h <= 0.0:
            continue
        # E[b / (b + A·p_in + C·p_out)] with A ~ Bin(i, p_in), C ~ Bin(o, p_out)
        expect = 0.0
        pa = (1.0 - p_in) ** i
        for a in range(i + 1):
            pc = (1.0 - p_out) ** o
            for c in range(o + 1):
                expect += pa * pc * background / (background + a * p_in + c * p_out)
                if p_out >= 1.0:
                    break
                pc *= (o - c) / (c + 1) * p_out / (1.0 - p_out)
            if p_in >= 1.0:
                break
            pa *= (i - a) / (a + 1) * p_in / (1.0 - p_in)
        adopters[segment[v]] += 1.0
        by_background[segment[v]] += background * expect / h if background > 0.0 else 0.0
    return adopters, by_background


def exposure_table(offset: np.ndarray, inside: np.ndarray, outside: np.ndarray,
                   adopted_step: np.ndarray) -> tuple[np.ndarray, ...]:
    """The data's sufficient statistics when everyone is open and nobody needs references:
    each distinct (inside, outside) exposure with the person-steps survived and adopted."""
    last = offset[1:] - 1
    adopted = np.zeros(inside.size, dtype=bool)
    adopted[last[adopted_step >= 0]] = True
    key = inside.astype(np.int64) * (int(outside.max(initial=0)) + 1) + outside
    uniq, index = np.unique(key, return_inverse=True)
    n_adopt = np.bincount(index, weights=adopted, minlength=uniq.size)
    n_total = np.bincount(index, minlength=uniq.size)
    first = np.zeros(uniq.size, dtype=np.int64)
    first[index[::-1]] = np.arange(index.size)[::-1]
    return (inside[first].astype(np.int64), outside[first].astype(np.int64),
            n_total - n_adopt, n_adopt)


@numba.njit(cache=True)
def table_log_likelihood(i, o, n_survive, n_adopt, background, p_in,
                         p_out):  # pragma: no cover - compiled
    """:func:`log_likelihood` from :func:`exposure_table` (everyone open, no references)."""
    log1mb = np.log1p(-background) if background < 1.0 else -np.inf
    lq_in = np.log1p(-p_in) if p_in < 1.0 else -np.inf
    lq_out = np.log1p(-p_out) if p_out < 1.0 else -np.inf
    total = 0.0
    for k in range(i.size):
        x = _log_survive(log1mb, lq_in, lq_out, i[k], o[k])
        if n_survive[k] > 0:
            total += n_survive[k] * x
        if n_adopt[k] > 0:
            h = -np.expm1(x)
            if h <= 0.0:
                return -np.inf
            total += n_adopt[k] * np.log(h)
    return total


class Exposures:
    """What each person saw, per ``talk_weeks`` (computed once per value and kept)."""

    def __init__(self, observed: Observed, indptr: np.ndarray, indices: np.ndarray,
                 segment: np.ndarray) -> None:
        if observed.adopted_step is None:
            raise ValueError("exposures need individual data")
        self.observed = observed
        self.indptr, self.indices, self.segment = indptr, indices, segment
        self.adopted_step = observed.adopted_step
        self._of = lru_cache(maxsize=32)(self._compute)
        self._table = lru_cache(maxsize=32)(self._compute_table)

    def _compute(self, talk_weeks: int) -> tuple[np.ndarray, ...]:
        return person_steps(self.indptr, self.indices, self.segment, self.adopted_step,
                            self.observed.steps, int(talk_weeks))

    def of(self, talk_weeks: int) -> tuple[np.ndarray, ...]:
        """``(offset, inside, outside, refs)`` for `talk_weeks`."""
        result: tuple[np.ndarray, ...] = self._of(int(talk_weeks))
        return result

    def table(self, talk_weeks: int) -> tuple[np.ndarray, ...]:
        """:func:`exposure_table` for `talk_weeks`."""
        result: tuple[np.ndarray, ...] = self._table(int(talk_weeks))
        return result

    def _compute_table(self, talk_weeks: int) -> tuple[np.ndarray, ...]:
        offset, inside, outside, _ = self.of(talk_weeks)
        return exposure_table(offset, inside, outside, self.adopted_step)
