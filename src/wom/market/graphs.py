"""Graph models beyond the planted partition: heavy-tailed degrees (lfr), clustering
(clustered), and a real graph read from a file (file).

Both keep the segments as communities, with a share ``mixing`` of each person's ties leaving
their segment, and are sampled with numpy straight into edge arrays (loops run over segments,
never over people, ties or pairs of segments), so a million people build in about a second.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from wom.config import GRAPH_MODELS, Scenario
from wom.market.cross import cross_fit

#: Top-up rounds drawing endpoints by weight before falling back to uniform draws (a block
#: so full that weighted draws keep hitting existing ties, e.g. a tiny segment with a hub).
_WEIGHTED_ROUNDS = 12
#: Top-up rounds in all; a block still short after this many keeps the ties it has.
_MAX_ROUNDS = 200
#: Pairs of segments whose tie counts are drawn at once.
_PAIRS_AT_ONCE = 1 << 20


def expected_degrees(
    n: int, mean_degree: float, exponent: float, max_degree: float, *, rng: np.random.Generator
) -> np.ndarray:
    """``float[n]`` expected degrees: a power law, capped, with mean exactly `mean_degree`.

    Parameters
    ----------
    n
        Number of people.
    mean_degree
        Mean of the returned degrees (the scale of the power law is solved for it).
    exponent
        Tail exponent γ: P(degree ≥ x) falls as x^−(γ−1); lower means bigger hubs.
    max_degree
        Cap on every expected degree. If it is not above `mean_degree`, everyone gets it.
    rng
        Source of the draws.
    """
    if max_degree <= mean_degree:
        return np.full(n, float(max_degree))
    x = (1.0 - rng.random(n)) ** (-1.0 / (exponent - 1.0))  # Pareto, minimum 1
    xs = np.sort(x)
    low = np.zeros(n + 1)
    np.cumsum(xs, out=low[1:])  # low[j]: sum of the j smallest
    # With scale c_t = max_degree / xs[n−t] exactly the t largest reach the cap; the mean of
    # min(c·x, cap) rises with c, so find the last t whose mean is still ≤ mean_degree and
    # solve the (linear) mean for c with those t capped.
    t = np.arange(1, n + 1)
    c_t = max_degree / xs[n - t]
    mean_t = (c_t * low[n - t] + t * max_degree) / n
    capped = int(np.searchsorted(mean_t, mean_degree, side="right"))
    c = (n * mean_degree - capped * max_degree) / low[n - capped]
    return np.minimum(c * x, max_degree)


def _tie_counts(pairs: np.ndarray, expected: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Binomial(pairs, expected/pairs) per block: the tie count of a G(n, p)-like block."""
    pairs = np.asarray(pairs, dtype=np.int64)
    p = np.clip(np.divide(expected, pairs, out=np.zeros(pairs.shape), where=pairs > 0), 0.0, 1.0)
    return rng.binomial(pairs, p).astype(np.int64)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + l)`` for every (s, l)."""
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(ends[-1] if ends.size else 0)


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    i = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return sorted_keys[i] == keys


def _draw_within(
    cum: np.ndarray, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator, uniform: bool
) -> np.ndarray:
    """One person from each range ``lo:hi``, ∝ weight (``cum`` is its cumulative sum from 0)."""
    if uniform:
        return lo + (rng.random(lo.size) * (hi - lo)).astype(np.int64)
    target = cum[lo] + rng.random(lo.size) * (cum[hi] - cum[lo])
    return np.clip(np.searchsorted(cum, target, side="right") - 1, lo, hi - 1)


def _chung_lu(
    weight: np.ndarray,
    seg_start: np.ndarray,
    segment: np.ndarray,
    side_a: np.ndarray,
    side_b: np.ndarray,
    m: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ties, ``m[j]`` of them between segments ``side_a[j]`` ≤ ``side_b[j]``.

    Each endpoint is a person of its segment drawn with probability ∝ `weight` (equal sides:
    ties inside that segment). Self-loops and repeated ties are dropped and redrawn until every
    block has its count. Blocks must be listed in
    increasing ``(side_a, side_b)`` order.
    """
    keep = m > 0
    side_a, side_b, m = side_a[keep], side_b[keep], m[keep]
    n = int(seg_start[-1])
    B = m.size
    if B == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    S = seg_start.size - 1
    # First draw: every segment's stubs (endpoint slots) at once, multinomial by weight, in
    # random order; a block side takes the next m[j] stubs of its segment. Same law as m[j]
    # independent draws per side, without a binary search per draw.
    pool = np.concatenate([side_a, side_b])
    count = np.concatenate([m, m])
    order = np.argsort(pool, kind="stable")
    offset = np.empty(2 * B, dtype=np.int64)
    offset[order] = np.cumsum(count[order]) - count[order]
    demand = np.bincount(pool, weights=count, minlength=S).astype(np.int64)
    stubs = []
    for s in np.flatnonzero(demand):
        lo, hi = int(seg_start[s]), int(seg_start[s + 1])
        w = weight[lo:hi]
        hits = rng.multinomial(demand[s], w / w.sum())
        stubs.append(rng.permutation(np.repeat(np.arange(lo, hi, dtype=np.int64), hits)))
    stub = np.concatenate(stubs)
    u = stub[_ranges(offset[:B], m)]
    v = stub[_ranges(offset[B:], m)]
    a, b = np.minimum(u, v), np.maximum(u, v)
    keys = _sorted_unique(a[a != b] * n + b[a != b])
    chunks = [keys]
    block_code = side_a * S + side_b  # increasing, by the listing order
    got = np.bincount(
        np.searchsorted(block_code, segment[keys // n] * np.int64(S) + segment[keys % n]),
        minlength=B,
    )
    need = m - got
    accept = np.ones(B)
    cum = np.zeros(n + 1)
    np.cumsum(weight, out=cum[1:])
    for rnd in range(_MAX_ROUNDS):
        short = np.flatnonzero(need)
        if short.size == 0:
            break
        draws = np.ceil(need[short] * 1.1 / np.maximum(accept[short], 1 / 64)).astype(np.int64)
        blk = np.repeat(short, draws + 8)
        uniform = rnd >= _WEIGHTED_ROUNDS
        u = _draw_within(cum, seg_start[side_a[blk]], seg_start[side_a[blk] + 1], rng, uniform)
        v = _draw_within(cum, seg_start[side_b[blk]], seg_start[side_b[blk] + 1], rng, uniform)
        a, b = np.minimum(u, v), np.maximum(u, v)
        key = a * n + b
        ok = a != b
        for c in chunks:
            ok &= ~_contains(c, key)
        key, blk = key[ok], blk[ok]
        _, first = np.unique(key, return_index=True)
        first.sort()  # first occurrence, in draw order (blk stays grouped and increasing)
        key, blk = key[first], blk[first]
        accept[short] = np.bincount(blk, minlength=B)[short] / (draws + 8)
        rank = np.arange(blk.size) - np.searchsorted(blk, blk, side="left")
        take = rank < need[blk]
        chunks.append(np.sort(key[take]))
        need -= np.bincount(blk[take], minlength=B)
    keys = np.concatenate(chunks)
    return keys // n, keys % n


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    # np.unique hashes first in numpy ≥ 2.3, several times slower than sorting here.
    keys = np.sort(keys)
    return keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if keys.size else keys


def _distinct(u: np.ndarray, v: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct undirected ties of ``(u, v)`` without self-loops (order not kept)."""
    a, b = np.minimum(u, v), np.maximum(u, v)
    keep = a != b
    keys = _sorted_unique(a[keep] * np.int64(n) + b[keep])
    return keys // n, keys % n


def _place_hubs(
    w: np.ndarray, share_in: float, seg_start: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Swap expected degrees so everyone's in-segment part fits their segment (LFR does too).

    A person whose in-segment degree ``share_in·w`` exceeds their segment's size − 1 trades
    degrees with a random person of a segment big enough for it, whose own degree fits the
    first one's segment. Degrees nobody can hold stay put (the caller caps them).
    """
    sizes = np.diff(seg_start)
    room = np.repeat(sizes - 1, sizes).astype(float)
    biggest_first = np.argsort(-sizes, kind="stable")
    by_room = _ranges(seg_start[:-1][biggest_first], sizes[biggest_first])
    neg_room = -room[by_room]  # ascending
    w = w.copy()
    for _ in range(50):
        over = share_in * w > room
        bad = np.flatnonzero(over)
        # has somewhere to go, and someone small enough exists to take its place
        bad = bad[share_in * w.min() <= room[bad]]
        if bad.size == 0:
            break
        fits = np.searchsorted(neg_room, -share_in * w[bad], side="right")
        bad, fits = bad[fits > 0], fits[fits > 0]
        if bad.size == 0:
            break
        pick = by_room[(rng.random(bad.size) * fits).astype(np.int64)]
        ok = ~over[pick] & (share_in * w[pick] <= room[bad])
        _, first = np.unique(pick[ok], return_index=True)
        i, j = bad[ok][first], pick[ok][first]
        w[i], w[j] = w[j], w[i].copy()
    return w


def _cross_ties(
    sc: Scenario,
    seg_start: np.ndarray,
    segment: np.ndarray,
    weight: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Ties between segments, as many as :func:`~wom.market.cross_expected` says.

    A segment sends the sum of its members' `weight` (out-of-segment degrees), over the
    other segments as :func:`~wom.market.cross_shares` weighs them; the count is Binomial as in
    ``planted_partition`` and each end is a member chosen ∝ `weight`.
    """
    sizes = np.diff(seg_start)
    S = sizes.size
    total = np.bincount(segment, weights=weight, minlength=S)
    fit = cross_fit(sc, total)
    # Pairs a < b in row order, a band of rows at a time: memory O(band + blocks with a
    # tie), never O(S²); the counts are drawn in the same order as all at once.
    a_kept, b_kept, m_kept = [], [], []
    lo = 0
    while lo < S - 1:
        rows = np.arange(lo, min(S - 1, lo + max(1, _PAIRS_AT_ONCE // (S - lo))),
                         dtype=np.int64)
        a = np.repeat(rows, S - 1 - rows)
        b = _ranges(rows + 1, S - 1 - rows)
        m = _tie_counts(sizes[a] * sizes[b], fit.pairs(a, b), rng)
        keep = m > 0
        a_kept.append(a[keep])
        b_kept.append(b[keep])
        m_kept.append(m[keep])
        lo = int(rows[-1]) + 1
    a, b, m = (np.concatenate(x) if x else np.empty(0, np.int64)
               for x in (a_kept, b_kept, m_kept))
    # A segment sending nothing (mixing 0) may still receive a hub's overflow: its ends are
    # then chosen uniformly.
    weight = np.where(total[segment] > 0, weight, 1.0)
    return _chung_lu(weight, seg_start, segment, a, b, m, rng)


@GRAPH_MODELS.register("lfr")
def lfr(
    sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """LFR-style benchmark: segments as communities, heavy-tailed (power-law) degrees.

    A degree-corrected planted partition (Chung–Lu per block). Every person gets an expected
    degree from a power law with exponent ``degree_exponent`` (lower: bigger hubs), scaled to
    mean ``mean_degree`` and capped at ``max_degree`` (default √(10·people)); a share
    ``mixing`` of it is for ties leaving the segment. As in LFR, big degrees go to people of
    segments big enough to hold their in-segment part. Inside a segment the number of ties is
    drawn as in ``planted_partition`` (expected: half the members' in-segment degrees) and each
    end is a member chosen ∝ in-segment degree; between segments the expected numbers come from
    :func:`~wom.market.cross_expected` (``talks_with`` shares), ends ∝ out-of-segment degree.

    Known biases: an in-segment degree no segment can hold is capped at its segment's size − 1
    and the rest goes to ties outside (with segments smaller than the degrees asked for, the
    share inside falls below 1 − mixing). A ``max_degree`` below ``mean_degree`` gives
    everyone ``max_degree``. Pairs of hubs saturate (one tie per pair); the
    ties they cannot take are redrawn within the block, so the count is kept and the biggest
    hubs end up a little below their drawn degree. Small expected degrees are Poisson-like,
    so a few people may have no tie.
    """
    net = sc.network
    sizes = np.diff(seg_start)
    S = sizes.size
    n = int(seg_start[-1])
    cap = float(min(net.max_degree or math.sqrt(10.0 * n), max(n - 1, 1)))
    mixing = net.mixing if S > 1 else 0.0
    w = expected_degrees(n, net.mean_degree, net.degree_exponent, cap, rng=rng)
    w = _place_hubs(w, 1.0 - mixing, seg_start, rng)
    segment = np.repeat(np.arange(S, dtype=np.int64), sizes)
    w_in = np.minimum((1.0 - mixing) * w, (sizes - 1)[segment])
    ks = np.arange(S, dtype=np.int64)
    total_in = np.bincount(segment, weights=w_in, minlength=S)
    m_in = _tie_counts(sizes * (sizes - 1) // 2, total_in / 2.0, rng)
    u_in, v_in = _chung_lu(w_in, seg_start, segment, ks, ks, m_in, rng)
    if S == 1:
        return u_in, v_in
    w_out = np.minimum(w - w_in, (n - sizes)[segment])
    u_out, v_out = _cross_ties(sc, seg_start, segment, w_out, rng)
    return np.concatenate([u_in, u_out]), np.concatenate([v_in, v_out])


@GRAPH_MODELS.register("clustered")
def clustered(
    sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Friends of friends are friends: each segment a rewired ring lattice (Watts–Strogatz).

    Members of a segment sit on a ring in random order, each tied to its k nearest on each side,
    2k = ``mean_degree·(1−mixing)`` (a fractional k: that share of members also gets a tie
    to the (⌊k⌋+1)-th on one side). A share ``rewire`` of these ties then gets its far end
    redrawn uniformly among the other members (0: the lattice, clustering 3(k−1)/(2(2k−1));
    higher: shorter paths, less clustering, about ×(1−rewire)³); a redrawn tie that repeats
    one already there is dropped. A segment too small for its lattice is complete, and not
    rewired. Cross-segment ties are drawn as in ``planted_partition`` (same counts, distinct
    pairs chosen uniformly).

    Known bias: the dropped repeats take about ``rewire·(2k+1)/size`` of a segment's ties.
    """
    net = sc.network
    sizes = np.diff(seg_start)
    S = sizes.size
    n = int(seg_start[-1])
    d_in = net.mean_degree * (1.0 - net.mixing) if S > 1 else net.mean_degree
    d_out = net.mean_degree * net.mixing if S > 1 else 0.0
    k = int(d_in / 2.0)
    frac = d_in / 2.0 - k
    us: list[np.ndarray] = []
    vs: list[np.ndarray] = []
    for s in range(S):
        size, start = int(sizes[s]), int(seg_start[s])
        if size < 2:
            continue
        ring = rng.permutation(size).astype(np.int64) + start
        pos = np.arange(size, dtype=np.int64)
        # offsets past size/2 only repeat shorter ones; _distinct drops the repeats
        offsets = np.arange(1, min(k, size // 2) + 1, dtype=np.int64)
        u = np.tile(ring, offsets.size)
        v = ring[(pos[None, :] + offsets[:, None]) % size].ravel()
        n_extra = round(frac * size) if k + 1 <= size // 2 else 0
        if n_extra:
            at = rng.choice(size, size=n_extra, replace=False)
            u = np.concatenate([u, ring[at]])
            v = np.concatenate([v, ring[(at + k + 1) % size]])
        if net.rewire > 0 and 2 * k < size - 1:
            flip = np.flatnonzero(rng.random(u.size) < net.rewire)
            other = rng.integers(0, size - 1, flip.size) + start
            v[flip] = other + (other >= u[flip])  # anyone in the segment but u itself
        us.append(u)
        vs.append(v)
    u_in, v_in = _distinct(
        np.concatenate(us) if us else np.empty(0, np.int64),
        np.concatenate(vs) if vs else np.empty(0, np.int64),
        n,
    )
    if d_out <= 0:
        return u_in, v_in
    segment = np.repeat(np.arange(S, dtype=np.int64), sizes)
    u_out, v_out = _cross_ties(sc, seg_start, segment, np.full(n, d_out), rng)
    return np.concatenate([u_in, u_out]), np.concatenate([v_in, v_out])


@GRAPH_MODELS.register("file")
def file_ties(sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator):
    """A real graph read from a file (see `file`): the same ties in every replicate, only
    the traits are redrawn."""
    spec = sc.network.file
    assert spec is not None
    g = spec.load(Path.cwd())
    if list(g.names) != sc.segment_names or not np.array_equal(
        g.sizes, [s.size for s in sc.segments]
    ):
        raise ValueError(f"{spec.path}: its segments changed since the scenario was validated")
    return g.u, g.v
