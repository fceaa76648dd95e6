"""Graph models where segments are random blocks: the planted partition, Erdős–Rényi, the
complete graph, and a real graph read from a file.

Each model is one function registered in :data:`wom.config.GRAPH_MODELS`: ``(scenario,
seg_start, rng) -> (u, v)`` arrays of ties.
"""

from __future__ import annotations

import numba
import numpy as np

from wom.config import GRAPH_MODELS, Scenario


@numba.njit(cache=True)
def _grow(a: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    b = np.empty(2 * a.size + 16, a.dtype)
    b[: a.size] = a
    return b


@numba.njit(cache=True)
def gnp_block(sa, na, sb, nb, p, rng):  # pragma: no cover - compiled
    """Ties of a G(n, p) block in O(n + ties) (Batagelj & Brandes 2005, geometric skips).

    ``sa == sb`` (and ``na == nb``): pairs inside one range; else all pairs between two
    disjoint ranges. Each pair is a tie independently with probability `p`.
    """
    within = sa == sb
    total = na * (na - 1) // 2 if within else na * nb
    expected = p * total
    cap = int(expected + 6.0 * np.sqrt(expected + 1.0)) + 16
    # int32 ends (people < 2**31): the edge lists are the biggest temporaries of a build.
    us = np.empty(cap, np.int32)
    vs = np.empty(cap, np.int32)
    m = 0
    if p <= 0.0 or total <= 0:
        return us[:0], vs[:0]
    log_q = np.log(1.0 - p) if p < 1.0 else -np.inf
    if log_q == 0.0:  # p below 1e-16: 1 − p rounds to 1 (and numba raises on x / 0)
        log_q = np.log1p(-p)
    if within:
        v, w = 1, -1
        while v < na:
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
                if m == us.size:
                    us = _grow(us)
                    vs = _grow(vs)
                us[m] = sa + w
                vs[m] = sa + v
                m += 1
    else:
        idx = -1
        while True:
            if p < 1.0:
                skip = np.floor(np.log(1.0 - rng.random()) / log_q)
                if skip > total:
                    break
                idx += 1 + int(skip)
            else:
                idx += 1
            if idx >= total:
                break
            if m == us.size:
                us = _grow(us)
                vs = _grow(vs)
            us[m] = sa + idx // nb
            vs[m] = sb + idx % nb
            m += 1
    return us[:m], vs[:m]


def cross_shares(sc: Scenario) -> np.ndarray:
    """``float[S, S]``: share of segment a's cross-segment ties that go to segment b."""
    sizes = np.array([s.size for s in sc.segments], dtype=float)
    names = sc.segment_names
    idx = {n: i for i, n in enumerate(names)}
    S = len(names)
    share = np.zeros((S, S))
    tw = sc.network.talks_with or {}
    for a in range(S):
        given = tw.get(names[a], {})
        fixed = np.zeros(S, dtype=bool)
        for b_name, x in given.items():
            share[a, idx[b_name]] = x
            fixed[idx[b_name]] = True
        free = ~fixed
        free[a] = False
        rest = 1.0 - share[a].sum()
        if free.any() and rest > 0:
            share[a, free] = rest * sizes[free] / sizes[free].sum()
    return share


def cross_expected(sc: Scenario, out_total: np.ndarray, iterations: int = 500) -> np.ndarray:
    """``float[S, S]``: expected ties between each pair of segments.

    Symmetric, zero on the diagonal, and each row adds up to ``out_total`` (what the
    segment's people send outside: ``size·mean_degree·mixing``) where the segments can take
    it (never more), with the pairs weighted as
    :func:`cross_shares` says (``talks_with``, else by size). Found by iterative
    proportional fitting, ``E[a, b] = x_a·x_b·T[a, b]``: averaging what a sends b with what b
    sends a instead would give small segments next to big ones far more outside ties than
    ``mixing`` asks for.
    """
    share = cross_shares(sc)
    prior = share + share.T
    np.fill_diagonal(prior, 0.0)
    target = np.asarray(out_total, dtype=float)
    x = np.sqrt(np.maximum(target, 0.0) / max(prior.sum(), 1e-300)) + 1e-300
    for _ in range(iterations):
        reach = prior @ x
        with np.errstate(over="ignore"):
            new = np.where(reach > 0, target / np.where(reach > 0, reach, 1.0), 0.0)
            # Bounded: with no exact solution (see below) x can run off to inf (and 0).
            x_next = np.minimum(np.sqrt(x * new), 1e150)
        if np.allclose(x_next, x, rtol=1e-10, atol=0.0):
            x = x_next
            break
        x = x_next
    e = x[:, None] * x[None, :] * prior
    # A segment may want more outside ties than all the others together can take (a big
    # segment among small ones): no exact solution exists. Scale every pair down to what
    # both of its segments allow, so no segment sends more than `mixing` asks for.
    rows = e.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rows > target, target / rows, 1.0)
    return e * np.minimum(ratio[:, None], ratio[None, :])


@GRAPH_MODELS.register("planted_partition")
def planted_partition(sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator):
    """Segments as dense random blocks; a share ``mixing`` of each person's ties leave.

    Inside segment ``k`` ties are G(n_k, p) with expected degree ``mean_degree·(1−mixing)``.
    Between segments the expected number of ties of each pair of segments comes from
    :func:`cross_expected` (every segment sends ``mixing`` of its ties out); each pair of
    people of the block is a tie independently.
    """
    net = sc.network
    sizes = np.diff(seg_start)
    S = sizes.size
    d_in = net.mean_degree * (1.0 - net.mixing) if S > 1 else net.mean_degree
    d_out = net.mean_degree * net.mixing if S > 1 else 0.0
    us, vs = [], []
    for k in range(S):
        n = int(sizes[k])
        p = min(1.0, d_in / (n - 1)) if n > 1 else 0.0
        u, v = gnp_block(int(seg_start[k]), n, int(seg_start[k]), n, p, rng)
        us.append(u)
        vs.append(v)
    if d_out > 0:
        expected_ties = cross_expected(sc, sizes * d_out)
        for a in range(S):
            for b in range(a + 1, S):
                expected = expected_ties[a, b]
                p = min(1.0, expected / (int(sizes[a]) * int(sizes[b])))
                u, v = gnp_block(int(seg_start[a]), int(sizes[a]), int(seg_start[b]),
                                 int(sizes[b]), p, rng)
                us.append(u)
                vs.append(v)
    return np.concatenate(us), np.concatenate(vs)


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
