"""Graph models where segments are random blocks: the planted partition, Erdős–Rényi, the
complete graph, and a real graph read from a file.

Each model is one function registered in :data:`wom.config.GRAPH_MODELS`: ``(scenario,
seg_start, rng) -> (u, v)`` arrays of ties.
"""

from __future__ import annotations

import numba
import numpy as np

from wom.config import GRAPH_MODELS, Scenario
from wom.market.cross import ITERATIONS, cross_fit, mixing_of


@numba.njit(cache=True)
def _grow(a: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    b = np.empty(2 * a.size + 16, a.dtype)
    b[: a.size] = a
    return b


@numba.njit(cache=True)
def _fill_within(sa, na, p, log_q, total, rng, us, vs, m, v, w):  # pragma: no cover - compiled
    """:func:`_block`'s ties inside one range from pair ``(v, w)`` on, into ``us[m:],
    vs[m:]`` until the block ends or the lists are full: ``(m, v, w, full)``. (The lists are
    grown by the caller: an array that may be replaced inside the loop costs it a third.)"""
    while v < na:
        if m == us.size:
            return m, v, w, True
        if p < 1.0:
            skip = np.floor(np.log(1.0 - rng.random()) / log_q)
            if skip > total:
                break
            w += 1 + int(skip)
        else:
            w += 1
        while w >= v and v < na:
            w -= v
            v += 1
        if v < na:
            us[m] = sa + w
            vs[m] = sa + v
            m += 1
    return m, v, w, False


@numba.njit(cache=True)
def _fill_between(sa, sb, nb, p, log_q, total, rng, us, vs, m, idx,
                  skip0):  # pragma: no cover - compiled
    """:func:`_block`'s ties between two ranges from pair `idx` on, as :func:`_fill_within`:
    ``(m, idx, skip0, full)``."""
    while True:
        if m == us.size:
            return m, idx, skip0, True
        if skip0 >= 0.0:
            skip = skip0
            skip0 = -1.0
            if skip > total:
                break
            idx += 1 + int(skip)
        elif p < 1.0:
            skip = np.floor(np.log(1.0 - rng.random()) / log_q)
            if skip > total:
                break
            idx += 1 + int(skip)
        else:
            idx += 1
        if idx >= total:
            break
        us[m] = sa + idx // nb
        vs[m] = sb + idx % nb
        m += 1
    return m, idx, skip0, False


@numba.njit(cache=True)
def _block(sa, na, sb, nb, p, rng, us, vs, m, skip0=-1.0):  # pragma: no cover - compiled
    """Append the ties of one G(n, p) block to ``us[:m], vs[:m]``; returns ``(us, vs, m)``.

    ``skip0 ≥ 0``: the first geometric skip of a block between two ranges, already drawn.
    """
    within = sa == sb
    total = na * (na - 1) // 2 if within else na * nb
    if p <= 0.0 or total <= 0:
        return us, vs, m
    log_q = np.log(1.0 - p) if p < 1.0 else -np.inf
    if log_q == 0.0:  # p below 1e-16: 1 − p rounds to 1 (and numba raises on x / 0)
        log_q = np.log1p(-p)
    full = True
    if within:
        v, w = 1, -1
        while full:
            m, v, w, full = _fill_within(sa, na, p, log_q, total, rng, us, vs, m, v, w)
            if full:
                us = _grow(us)
                vs = _grow(vs)
    else:
        idx = -1
        while full:
            m, idx, skip0, full = _fill_between(sa, sb, nb, p, log_q, total, rng, us, vs, m,
                                                idx, skip0)
            if full:
                us = _grow(us)
                vs = _grow(vs)
    return us, vs, m


@numba.njit(cache=True)
def gnp_block(sa, na, sb, nb, p, rng):  # pragma: no cover - compiled
    """Ties of a G(n, p) block in O(n + ties) (Batagelj & Brandes 2005, geometric skips).

    ``sa == sb`` (and ``na == nb``): pairs inside one range; else all pairs between two
    disjoint ranges. Each pair is a tie independently with probability `p`.
    """
    total = na * (na - 1) // 2 if sa == sb else na * nb
    expected = max(p, 0.0) * total
    cap = int(expected + 6.0 * np.sqrt(expected + 1.0)) + 16
    # int32 ends (people < 2**31): the edge lists are the biggest temporaries of a build.
    us, vs, m = _block(sa, na, sb, nb, p, rng, np.empty(cap, np.int32), np.empty(cap, np.int32),
                       0)
    return us[:m], vs[:m]


@numba.njit(cache=True)
def _within(seg_start, d_in, cap, rng):  # pragma: no cover - compiled
    """Every segment's own G(n, p) block, expected degree `d_in`, in segment order: ``(us,
    vs, m)``, the ties in ``us[:m], vs[:m]`` of lists with room for `cap`."""
    us, vs, m = np.empty(cap, np.int32), np.empty(cap, np.int32), 0
    for k in range(seg_start.size - 1):
        n = seg_start[k + 1] - seg_start[k]
        p = min(1.0, d_in / (n - 1)) if n > 1 else 0.0
        us, vs, m = _block(seg_start[k], n, seg_start[k], n, p, rng, us, vs, m)
    return us, vs, m


@numba.njit(cache=True)
def _between(seg_start, sizes, rest, free, g_ptr, g_col, g_val, t_ptr, t_col, t_val, x, ratio,
             spread, us, vs, m, rng):  # pragma: no cover - compiled
    """The ties between segments, appended to ``us[:m], vs[:m]`` (returns ``(us, vs, m)``): a
    G(n_a, n_b, p) block for every pair a < b that can have one (see
    :func:`planted_partition`), in the order of the pairs.

    A pair's expected ties are ``x_a·x_b·(share[a, b] + share[b, a])·min(ratio_a, ratio_b)``
    with the shares of :class:`wom.market.cross.Mixing`. A segment that spreads its ties by
    size (``rest > 0``) pairs with every later one; the others only with the segments in
    `spread` and those ``talks_with`` names (given ``(g_*)`` and their transpose ``(t_*)``).
    """
    S = sizes.size
    for a in range(S):
        gp, ge, tp, te = g_ptr[a], g_ptr[a + 1], t_ptr[a], t_ptr[a + 1]
        while gp < ge and g_col[gp] <= a:
            gp += 1
        while tp < te and t_col[tp] <= a:
            tp += 1
        sp = np.searchsorted(spread, a, side="right")
        every = rest[a] > 0
        b = a
        while True:
            if every:
                b += 1
            else:
                b = S
                if sp < spread.size:
                    b = spread[sp]
                if gp < ge and g_col[gp] < b:
                    b = g_col[gp]
                if tp < te and t_col[tp] < b:
                    b = t_col[tp]
            if b >= S:
                break
            if gp < ge and g_col[gp] == b:
                s_ab = g_val[gp]
                gp += 1
            elif rest[a] > 0:
                s_ab = rest[a] * sizes[b] / free[a]
            else:
                s_ab = 0.0
            if tp < te and t_col[tp] == b:
                s_ba = t_val[tp]
                tp += 1
            elif rest[b] > 0:
                s_ba = rest[b] * sizes[a] / free[b]
            else:
                s_ba = 0.0
            if sp < spread.size and spread[sp] == b:
                sp += 1
            e = x[a] * x[b] * (s_ab + s_ba) * min(ratio[a], ratio[b])
            p = min(1.0, e / (sizes[a] * sizes[b]))
            skip0 = -1.0
            if 0.0 < p < 1.0:  # most pairs get no tie: decide that here, with _block's draw
                total = (seg_start[a + 1] - seg_start[a]) * (seg_start[b + 1] - seg_start[b])
                log_q = np.log(1.0 - p)
                if log_q == 0.0:
                    log_q = np.log1p(-p)
                skip0 = np.floor(np.log(1.0 - rng.random()) / log_q)
                if skip0 > total:
                    continue
            us, vs, m = _block(seg_start[a], seg_start[a + 1] - seg_start[a], seg_start[b],
                               seg_start[b + 1] - seg_start[b], p, rng, us, vs, m, skip0)
    return us, vs, m


def cross_shares(sc: Scenario) -> np.ndarray:
    """``float[S, S]``: share of segment a's cross-segment ties that go to segment b.

    A dense matrix, for small markets and tests; the graph models use its sparse form
    (:func:`wom.market.cross.mixing_of`).
    """
    return mixing_of(sc).dense()


def cross_expected(sc: Scenario, out_total: np.ndarray, iterations: int = ITERATIONS
                   ) -> np.ndarray:
    """``float[S, S]``: expected ties between each pair of segments.

    Symmetric, zero on the diagonal, and each row adds up to ``out_total`` (what the
    segment's people send outside: ``size·mean_degree·mixing``) where the segments can take
    it (never more), with the pairs weighted as
    :func:`cross_shares` says (``talks_with``, else by size). Found by iterative
    proportional fitting, ``E[a, b] = x_a·x_b·T[a, b]``: averaging what a sends b with what b
    sends a instead would give small segments next to big ones far more outside ties than
    ``mixing`` asks for. A dense matrix, for small markets and tests: the graph models ask
    :func:`wom.market.cross.cross_fit` for the pairs they draw.
    """
    return cross_fit(sc, out_total, iterations).dense()


@GRAPH_MODELS.register("planted_partition")
def planted_partition(sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator):
    """Segments as dense random blocks; a share ``mixing`` of each person's ties leave.

    Inside segment ``k`` ties are G(n_k, p) with expected degree ``mean_degree·(1−mixing)``.
    Between segments the expected number of ties of each pair of segments comes from
    :func:`cross_expected` (every segment sends ``mixing`` of its ties out); each pair of
    people of the block is a tie independently. Pairs of segments that cannot have a tie
    (neither spreads ties by size, nor does ``talks_with`` name them) are never visited.
    """
    net = sc.network
    sizes = np.diff(seg_start)
    S = sizes.size
    d_in = net.mean_degree * (1.0 - net.mixing) if S > 1 else net.mean_degree
    d_out = net.mean_degree * net.mixing if S > 1 else 0.0
    n = int(seg_start[-1])
    # one pair of lists for the ties inside segments and then those between (no copy)
    cap = _capacity(n * d_in / 2, n) + (_capacity(n * d_out / 2, n) if d_out > 0 else 0)
    u, v, k = _within(seg_start, float(d_in), cap, rng)
    if d_out <= 0:
        return u[:k], v[:k]
    fit = cross_fit(sc, sizes * d_out)
    m = fit.mixing
    spread = np.flatnonzero(m.rest > 0).astype(np.int64)
    u, v, k = _between(seg_start, m.sizes, m.rest, m.free, m.g_ptr, m.g_col, m.g_val, m.t_ptr,
                       m.t_col, m.t_val, fit.x, fit.ratio, spread, u, v, k, rng)
    return u[:k], v[:k]


def _capacity(expected: float, n: int) -> int:
    """Room for about `expected` ties among `n` people (the lists grow by doubling past it)."""
    room = min(expected, n * (n - 1) / 2, 2.0**27)
    return int(room * 1.05 + 6.0 * np.sqrt(room + 1.0)) + 16


@GRAPH_MODELS.register("erdos_renyi")
def erdos_renyi(sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator):
    """Ties at random with expected degree ``mean_degree``, ignoring segments."""
    n = int(seg_start[-1])
    p = min(1.0, sc.network.mean_degree / (n - 1)) if n > 1 else 0.0
    return gnp_block(0, n, 0, n, p, rng)


@GRAPH_MODELS.register("complete")
def complete(sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator):
    """Everyone talks to everyone: the well-mixed market of the Bass model."""
    n = int(seg_start[-1])
    u, v = np.triu_indices(n, k=1)
    return u.astype(np.int64), v.astype(np.int64)
