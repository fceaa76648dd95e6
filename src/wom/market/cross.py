"""Ties between segments without a segments × segments matrix.

Every segment sends a share ``mixing`` of its people's ties outside; ``talks_with`` says how
a segment's outside ties are shared among the others, and what it leaves unsaid goes to the
remaining segments in proportion to their size. So the share of segment ``a``'s outside ties
going to ``b`` is either given (``talks_with``, a few entries) or ``rest_a·size_b / free_a``:
a sparse matrix plus one of rank one. :class:`Mixing` keeps it that way, in ``O(S +
given)`` memory, and the expected ties of each pair of segments
(:func:`wom.market.cross_expected`) come from its products with a vector, never from an
``S × S`` matrix. Only markets of at most :data:`DENSE_SEGMENTS` segments use the dense
matrix, which gives the same numbers to the last bit as before this module existed.

The planted partition's ties between segments are then drawn by one compiled loop over the
pairs of segments that can have a tie (:func:`cross_ties`): all pairs when some segment
spreads its ties by size, only the pairs ``talks_with`` names when every segment's shares
are given (then the work is ``O(S + given + ties)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wom.config import Scenario

#: Up to this many segments the fit works on the dense matrix (2 MiB at 512).
DENSE_SEGMENTS = 512
#: Iterations of the proportional fit, at most.
ITERATIONS = 500


def _rows(a: np.ndarray, b: np.ndarray, x: np.ndarray, S: int):
    """CSR ``(ptr, col, val)`` of the entries ``(a, b, x)``, columns sorted in each row."""
    order = np.lexsort((b, a))
    ptr = np.zeros(S + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=S), out=ptr[1:])
    return ptr, b[order].astype(np.int64), x[order].astype(float)


@dataclass(frozen=True)
class Mixing:
    """Shares of each segment's outside ties going to each other segment, kept sparse.

    ``share[a, b]`` is ``given[a, b]`` where ``talks_with`` names the pair, else
    ``rest[a]·sizes[b] / free[a]`` (0 on the diagonal and where ``rest[a]`` or ``free[a]``
    is 0). ``given`` is held twice in CSR form: by row (``g_*``) and by column (``t_*``).
    """

    sizes: np.ndarray  # float[S]
    rest: np.ndarray  # float[S]: share left after talks_with (0 when nobody takes it)
    free: np.ndarray  # float[S]: people in the segments taking it
    g_ptr: np.ndarray
    g_col: np.ndarray
    g_val: np.ndarray
    t_ptr: np.ndarray
    t_col: np.ndarray
    t_val: np.ndarray

    @property
    def n_segments(self) -> int:
        return int(self.sizes.size)

    def dense(self) -> np.ndarray:
        """``float[S, S]``: the shares as a matrix (only for small S)."""
        S = self.n_segments
        share = np.zeros((S, S))
        for a in range(S):
            if self.rest[a] > 0:
                free = np.ones(S, dtype=bool)
                free[a] = False
                free[self.g_col[self.g_ptr[a]:self.g_ptr[a + 1]]] = False
                share[a, free] = self.rest[a] * self.sizes[free] / self.free[a]
            lo, hi = self.g_ptr[a], self.g_ptr[a + 1]
            share[a, self.g_col[lo:hi]] = self.g_val[lo:hi]
        return share

    def reach(self, x: np.ndarray) -> np.ndarray:
        """``(share + shareᵀ) @ x`` with a zero diagonal, in ``O(S + given)``."""
        s = self.sizes
        coef = np.divide(self.rest, self.free, out=np.zeros_like(self.rest), where=self.rest > 0)
        g_rows = np.repeat(np.arange(s.size), np.diff(self.g_ptr))
        t_rows = np.repeat(np.arange(s.size), np.diff(self.t_ptr))
        # share @ x: coef_a · (sizes·x over a's free segments) + given_a · x
        sx = s * x
        given_sx = np.bincount(g_rows, weights=sx[self.g_col], minlength=s.size)
        out = coef * (sx.sum() - sx - given_sx)
        out += np.bincount(g_rows, weights=self.g_val * x[self.g_col], minlength=s.size)
        # shareᵀ @ x: size_a · Σ_b coef_b·x_b over the b that spread to a, + given_·a · x
        cx = coef * x
        named = np.bincount(t_rows, weights=cx[self.t_col], minlength=s.size)
        out += s * (cx.sum() - cx - named)
        out += np.bincount(t_rows, weights=self.t_val * x[self.t_col], minlength=s.size)
        return out


def mixing_of(sc: Scenario) -> Mixing:
    """The scenario's cross-segment shares (``talks_with``, the rest by size), kept sparse."""
    sizes = np.array([s.size for s in sc.segments], dtype=float)
    names = sc.segment_names
    idx = {n: i for i, n in enumerate(names)}
    S = len(names)
    a_list: list[int] = []
    b_list: list[int] = []
    x_list: list[float] = []
    for a_name, given in (sc.network.talks_with or {}).items():
        for b_name, x in given.items():
            a_list.append(idx[a_name])
            b_list.append(idx[b_name])
            x_list.append(float(x))
    a_arr = np.array(a_list, dtype=np.int64)
    b_arr = np.array(b_list, dtype=np.int64)
    x_arr = np.array(x_list, dtype=float)
    g_ptr, g_col, g_val = _rows(a_arr, b_arr, x_arr, S)
    t_ptr, t_col, t_val = _rows(b_arr, a_arr, x_arr, S)
    # What a segment leaves unsaid goes to the others by size: rest = 1 − its given shares.
    g_rows = np.repeat(np.arange(S), np.diff(g_ptr))
    given_sum = np.bincount(g_rows, weights=g_val, minlength=S)
    if S <= DENSE_SEGMENTS:  # summed along the row as the dense fit did, to the bit
        line = np.zeros(S)
        for k in np.flatnonzero(np.diff(g_ptr)):
            cols = g_col[g_ptr[k]:g_ptr[k + 1]]
            line[cols] = g_val[g_ptr[k]:g_ptr[k + 1]]
            given_sum[k] = line.sum()
            line[cols] = 0.0
    given_size = np.bincount(g_rows, weights=sizes[g_col], minlength=S)
    rest = 1.0 - given_sum
    free = sizes.sum() - sizes - given_size
    rest = np.where((rest > 0) & (free > 0), rest, 0.0)
    return Mixing(sizes, rest, free, g_ptr, g_col, g_val, t_ptr, t_col, t_val)


@dataclass(frozen=True)
class CrossFit:
    """Expected ties between segments: ``E[a, b] = x_a·x_b·prior[a, b]·min(ratio_a, ratio_b)``
    with ``prior = share + shareᵀ`` (zero diagonal), as :func:`cross_fit` found them."""

    mixing: Mixing
    x: np.ndarray
    ratio: np.ndarray

    def pairs(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``float[k]``: expected ties of the pairs of segments ``(a[i], b[i])``, ``a ≠ b``."""
        m = self.mixing
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        prior = _share(m, a, b) + _share(m, b, a)
        return self.x[a] * self.x[b] * prior * np.minimum(self.ratio[a], self.ratio[b])

    def dense(self) -> np.ndarray:
        """``float[S, S]``: every pair's expected ties (only for small S)."""
        share = self.mixing.dense()
        prior = share + share.T
        np.fill_diagonal(prior, 0.0)
        e = self.x[:, None] * self.x[None, :] * prior
        return e * np.minimum(self.ratio[:, None], self.ratio[None, :])


def _share(m: Mixing, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``share[a[i], b[i]]`` for pairs of distinct segments."""
    out = np.where(m.rest[a] > 0, m.rest[a] * m.sizes[b] / np.where(m.free[a] > 0, m.free[a], 1),
                   0.0)
    S = np.int64(m.n_segments)
    keys = np.repeat(np.arange(S), np.diff(m.g_ptr)) * S + m.g_col  # sorted
    if keys.size:
        want = a * S + b
        i = np.minimum(np.searchsorted(keys, want), keys.size - 1)
        hit = keys[i] == want
        out[hit] = m.g_val[i[hit]]
    return out


def cross_fit(sc: Scenario, out_total: np.ndarray, iterations: int = ITERATIONS) -> CrossFit:
    """Expected ties between each pair of segments (see :func:`wom.market.cross_expected`).

    Iterative proportional fitting of ``E[a, b] = x_a·x_b·prior[a, b]`` to the rows
    ``out_total``, then every pair scaled down to what both its segments can send. Works on
    the dense ``prior`` up to :data:`DENSE_SEGMENTS` segments, else on its sparse-plus-rank-one
    form (:meth:`Mixing.reach`): ``O(S + given)`` memory and time per iteration.
    """
    m = mixing_of(sc)
    target = np.asarray(out_total, dtype=float)
    if m.n_segments <= DENSE_SEGMENTS:
        share = m.dense()
        prior = share + share.T
        np.fill_diagonal(prior, 0.0)

        def reach(x: np.ndarray) -> np.ndarray:
            return prior @ x

        total = prior.sum()
    else:
        reach = m.reach
        total = float(m.reach(np.ones(m.n_segments)).sum())
    x = np.sqrt(np.maximum(target, 0.0) / max(total, 1e-300)) + 1e-300
    for _ in range(iterations):
        r = reach(x)
        with np.errstate(over="ignore"):
            new = np.where(r > 0, target / np.where(r > 0, r, 1.0), 0.0)
            # Bounded: with no exact solution (see below) x can run off to inf (and 0).
            x_next = np.minimum(np.sqrt(x * new), 1e150)
        if np.allclose(x_next, x, rtol=1e-10, atol=0.0):
            x = x_next
            break
        x = x_next
    # A segment may want more outside ties than all the others together can take (a big
    # segment among small ones): no exact solution exists. Scale every pair down to what
    # both of its segments allow, so no segment sends more than `mixing` asks for.
    if m.n_segments <= DENSE_SEGMENTS:
        rows = (x[:, None] * x[None, :] * prior).sum(axis=1)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            rows = x * reach(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rows > target, target / rows, 1.0)
    return CrossFit(m, x, ratio)
