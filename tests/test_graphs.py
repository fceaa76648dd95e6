"""Graph models lfr (heavy-tailed degrees) and clustered (rewired ring lattices)."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from helpers import small_scenario
from wom.config import power_law_sizes
from wom.market import build_population, cross_expected
from wom.market.graphs import expected_degrees

MODELS = ["lfr", "clustered"]
BROAD = [{"name": "broad", "kind": "broad", "seeding": "random"}]


def _sc(model, sizes=(3000, 2000, 1000), mean_degree=10.0, mixing=0.2, **net):
    segments = [{"name": f"s{i}", "size": n} for i, n in enumerate(sizes)]
    return small_scenario(segments=segments, strategies=BROAD, network={
        "model": model, "mean_degree": mean_degree, "mixing": mixing, **net})


def _build(sc, seed=0):
    return build_population(sc, rng=np.random.default_rng(seed))


def _edges(pop):
    src = np.repeat(np.arange(pop.n), np.diff(pop.indptr))
    return src, pop.indices.astype(np.int64)


def _inside_degree(pop):
    src, dst = _edges(pop)
    return np.bincount(src, weights=pop.segment[src] == pop.segment[dst], minlength=pop.n)


def _hill(degree, d_min):
    """Discrete power-law exponent MLE (Clauset, Shalizi & Newman 2009, eq. 3.7) and its SE."""
    x = degree[degree >= d_min]
    alpha = 1.0 + x.size / np.sum(np.log(x / (d_min - 0.5)))
    return alpha, (alpha - 1.0) / math.sqrt(x.size)


def _hill_expected(exponent, d_min, cap):
    """What the estimator converges to on a power law truncated at `cap` (not `exponent`:
    the missing tail above the cap shortens the log-excesses)."""
    r, a = cap / (d_min - 0.5), exponent - 1.0
    mean_log = 1.0 / a - math.log(r) * r ** -a / (1.0 - r ** -a)
    return 1.0 + 1.0 / mean_log


# --- both models --------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("sizes", [(300, 200, 100), (400, 250, 5, 3, 2, 1)])
def test_graph_is_simple_undirected_and_segments_are_contiguous(model, sizes):
    pop = _build(_sc(model, sizes=sizes, mixing=0.3))
    src, dst = _edges(pop)
    assert pop.indices.dtype == np.int32 and pop.indptr.dtype == np.int64
    assert pop.n_ties > 0
    assert (src != dst).all()  # no self-loops
    key = src * pop.n + dst
    assert np.unique(key).size == key.size  # no repeated ties
    assert np.array_equal(np.sort(key), np.sort(dst * pop.n + src))  # symmetric
    assert np.array_equal(np.diff(pop.seg_start), sizes)


@pytest.mark.parametrize("model", MODELS)
def test_mean_degree_and_share_of_ties_inside_segments(model):
    d, mixing, n, n_rep = 10.0, 0.2, 6000, 5
    sc = _sc(model, mean_degree=d, mixing=mixing, rewire=0.1)
    degs, inside = [], []
    for r in range(n_rep):
        st = _build(sc, r).stats()
        degs.append(st["mean_degree"])
        inside.append(st["share_of_ties_inside_segments"])
    # Tie counts are sums of Binomials (lfr: given the drawn degrees, whose total is exact):
    # the mean degree's sd is at most sqrt(2d/N), the inside share's sqrt(p(1−p)/ties).
    se = math.sqrt(2 * d / n / n_rep)
    se_in = math.sqrt(mixing * (1 - mixing) / (n * d / 2) / n_rep)
    # clustered drops a rewired tie that repeats one already there: about
    # rewire·(2k+1)/size of the in-segment ties (≤ 0.1·9/1000 of 8 here).
    drop = 0.0 if model == "lfr" else 0.1 * 9 / 1000 * d * (1 - mixing)
    assert -4 * se - drop < np.mean(degs) - d < 4 * se
    assert -4 * se_in - drop / d < np.mean(inside) - (1 - mixing) < 4 * se_in


@pytest.mark.parametrize("model", MODELS)
def test_same_seed_same_graph(model):
    sc = _sc(model, sizes=(500, 300, 200))
    a, b, c = _build(sc, 3), _build(sc, 3), _build(sc, 4)
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert not (np.array_equal(a.indptr, c.indptr) and np.array_equal(a.indices, c.indices))


# --- lfr ------------------------------------------------------------------------------------


def test_expected_degrees_have_the_mean_and_respect_the_cap():
    rng = np.random.default_rng(0)
    w = expected_degrees(50_000, 10.0, 2.5, 300.0, rng=rng)
    assert w.mean() == pytest.approx(10.0, rel=1e-9)
    assert w.max() == pytest.approx(300.0)  # with γ = 2.5 many draws reach the cap
    assert w.min() > 0
    assert np.all(expected_degrees(100, 10.0, 2.5, 8.0, rng=rng) == 8.0)  # cap below the mean


@pytest.mark.parametrize("exponent", [2.5, 3.0])
def test_lfr_degrees_have_a_power_law_tail(exponent):
    n = 100_000  # default max_degree √(10·N) = 1000
    pop = _build(_sc("lfr", sizes=(10_000,) * 10, mixing=0.2, degree_exponent=exponent))
    degree = pop.degree()
    assert degree.max() > 20 * degree.mean()  # hubs
    assert degree.max() <= 1.2 * math.sqrt(10 * n)  # the cap, up to Poisson noise
    alpha, se = _hill(degree, d_min=30)
    # The estimate targets the truncated law's value (a few hundredths above the exponent).
    assert abs(alpha - _hill_expected(exponent, 30, math.sqrt(10 * n))) < 4 * se


def test_lfr_degrees_vary_far_more_than_planted_partition():
    lfr = _build(_sc("lfr", sizes=(5000,) * 4)).degree()
    pp = _build(_sc("planted_partition", sizes=(5000,) * 4)).degree()
    assert abs(lfr.mean() - pp.mean()) < 0.2
    assert lfr.var() > 10 * pp.var()  # pp: about Poisson, var ≈ 10


def test_lfr_hubs_keep_the_mixing_share():
    pop = _build(_sc("lfr", sizes=(10_000,) * 5, mixing=0.2))
    degree = pop.degree()
    outside = degree - _inside_degree(pop)
    hubs = degree >= 50
    assert hubs.sum() > 100
    # Documented bias: hub–hub pairs inside a segment saturate first (a simple graph holds one
    # tie per pair), nudging hubs' share outside up by a percent or two.
    assert abs(outside[hubs].sum() / degree[hubs].sum() - 0.2) < 0.03


def test_lfr_with_power_law_segment_sizes():
    sc = small_scenario(
        segments={"count": 20, "size": 500, "size_exponent": 2.0},
        network={"model": "lfr", "mean_degree": 10, "mixing": 0.2},
        strategies=BROAD,
    )
    sizes = power_law_sizes(20, 500, 2.0)
    assert [s.size for s in sc.segments] == sizes
    n_rep = 4
    pops = [_build(sc, r) for r in range(n_rep)]
    assert np.array_equal(np.diff(pops[0].seg_start), sizes)
    n = sum(sizes)
    degs = [p.stats()["mean_degree"] for p in pops]
    inside = [p.stats()["share_of_ties_inside_segments"] for p in pops]
    assert abs(np.mean(degs) - 10) < 4 * math.sqrt(20 / n / n_rep)
    assert abs(np.mean(inside) - 0.8) < 4 * math.sqrt(0.16 / (5 * n) / n_rep)
    assert pops[0].degree().max() > 15 * 10


def test_lfr_hubs_live_in_segments_big_enough_for_them():
    # Default max_degree √(10·7000) ≈ 265, but the 20 small segments hold at most 99 ties each
    # per person; as in LFR, bigger degrees are swapped into the big segment. A degree left
    # in a small segment would spill its excess over to ties outside, which mixing 0 forbids.
    sizes = (5000,) + (100,) * 20
    pop = _build(_sc("lfr", sizes=sizes, mixing=0.0))
    degree = pop.degree()
    assert degree[:5000].max() > 150
    assert degree[5000:].max() <= 99
    assert pop.stats()["share_of_ties_inside_segments"] == 1.0
    assert abs(degree.mean() - 10) < 4 * math.sqrt(20 / pop.n)


@pytest.mark.parametrize("mixing", [0.0, 0.1])
def test_lfr_segments_too_small_for_the_hubs_keep_the_mean_degree(mixing):
    # Documented bias: with every segment of 20, no segment holds a hub's in-segment part
    # (up to √(10·2000) ≈ 141); the excess goes to ties outside: the mean degree is kept and
    # the share inside falls below 1 − mixing (even with mixing 0).
    pop = _build(_sc("lfr", sizes=(20,) * 100, mixing=mixing))
    st = pop.stats()
    assert abs(st["mean_degree"] - 10) < 4 * math.sqrt(20 / pop.n)
    assert st["share_of_ties_inside_segments"] < 1 - mixing - 0.02
    assert pop.degree().max() > 50


def test_lfr_tiny_segments_are_complete():
    # Expected in-segment degrees (≥ 40·0.9·(1/3)) exceed what 2–5 people can hold.
    pop = _build(_sc("lfr", sizes=(2, 3, 4, 5, 1000), mean_degree=40, mixing=0.1))
    inside = _inside_degree(pop)
    for k, size in enumerate((2, 3, 4, 5)):
        assert np.all(inside[pop.members(k)] == size - 1)


def test_lfr_dense_blocks_get_their_tie_count():
    # 2 segments of 30, mean degree 20: 69% of pairs tied, so endpoint draws keep hitting ties
    # already there and the top-up rounds must still reach the drawn count (expected: 600).
    sc = _sc("lfr", sizes=(30, 30), mean_degree=20, mixing=0.0, max_degree=29)
    ties = np.array([_build(sc, r).n_ties for r in range(60)])
    assert abs(ties.mean() - 600) < 4 * ties.std() / math.sqrt(ties.size)


def test_lfr_talks_with_directs_cross_segment_ties():
    sc = _sc("lfr", sizes=(20_000,) * 3, mixing=0.3,
             talks_with={"s0": {"s1": 0.9}, "s1": {"s0": 0.9}})
    pop = _build(sc)
    src, dst = _edges(pop)
    s, d = pop.segment[src], pop.segment[dst]
    n01, n02 = np.sum((s == 0) & (d == 1)), np.sum((s == 0) & (d == 2))
    # A segment's total outward weight is a sum of 20000 heavy-tailed draws: its sd adds to
    # the Poisson noise of the count.
    w = expected_degrees(60_000, 10.0, 2.5, math.sqrt(600_000), rng=np.random.default_rng(9))
    sd_total = 0.3 * math.sqrt(20_000 * w.var())
    # Every segment sends 60,000 ties out (mixing is kept): s2 has only s0 and s1 to send
    # them to, so s0–s2 and s1–s2 take 30,000 each, which leaves 30,000 for s0–s1
    # (wom.market.cross_expected); the weights' noise adds to the count's.
    e = cross_expected(sc, np.full(3, 60_000.0))
    assert e[0, 1] == pytest.approx(30_000) and e[0, 2] == pytest.approx(30_000)
    assert abs(n01 - 30_000) < 4 * math.sqrt(30_000 + 2 * (0.5 * sd_total) ** 2)
    assert abs(n02 - 30_000) < 4 * math.sqrt(30_000 + 2 * (0.5 * sd_total) ** 2)


# --- clustered ------------------------------------------------------------------------------


def _lattice_clustering(k):
    return 3 * (k - 1) / (2 * (2 * k - 1))


def test_clustered_without_rewiring_is_the_ring_lattice():
    pop = _build(_sc("clustered", sizes=(500, 300, 41), mean_degree=8, mixing=0.0, rewire=0.0))
    assert np.all(pop.degree() == 8)
    assert np.all(_inside_degree(pop) == 8)
    clustering = nx.clustering(pop.to_networkx())
    assert np.allclose(list(clustering.values()), _lattice_clustering(4))


def test_clustered_odd_degree_and_tiny_segments():
    pop = _build(_sc("clustered", sizes=(600, 400, 5, 3, 2, 1), mean_degree=9, mixing=0.0,
                     rewire=0.0))
    degree = pop.degree()
    big = np.arange(1000)
    # half the members of each big segment also get their 5th neighbour on one side
    assert set(np.unique(degree[big])) <= {8, 9, 10}
    assert degree[big].mean() == 9.0
    # segments too small for the lattice are complete
    assert np.array_equal(degree[1000:], [4] * 5 + [2] * 3 + [1] * 2 + [0])


def test_clustered_rewiring_stays_inside_segments():
    pop = _build(_sc("clustered", sizes=(500, 500), mean_degree=8, mixing=0.0, rewire=0.5))
    assert pop.stats()["share_of_ties_inside_segments"] == 1.0
    # rewired ties break the lattice: degrees now vary around 8
    assert pop.degree().std() > 1


@pytest.mark.parametrize("rewire", [0.1, 0.3])
def test_clustered_clustering_follows_the_rewired_lattice(rewire):
    pop = _build(_sc("clustered", sizes=(1000,) * 3, mean_degree=8, mixing=0.0, rewire=rewire))
    c = nx.average_clustering(pop.to_networkx())
    # Barrat & Weigt (2000): C ≈ C_lattice·(1−p)³. Tolerance 0.03: the formula ignores the
    # triangles rewired ties close by chance (O(k/size)) and is a ratio of averages, while
    # average_clustering averages ratios; the sampling sd over 3000 people is ≈ 0.003.
    assert abs(c - _lattice_clustering(4) * (1 - rewire) ** 3) < 0.03


def test_clustered_clustering_far_above_planted_partition():
    sizes, net = (1000,) * 3, {"mean_degree": 10, "mixing": 0.2, "rewire": 0.1}
    c = nx.average_clustering(_build(_sc("clustered", sizes=sizes, **net)).to_networkx())
    c_pp = nx.average_clustering(
        _build(_sc("planted_partition", sizes=sizes, mean_degree=10, mixing=0.2)).to_networkx()
    )
    assert c > 0.3
    assert c > 10 * c_pp  # pp: about d_in/size ≈ 0.01


@pytest.mark.parametrize("model", MODELS)
def test_cross_tie_counts_drawn_in_bands_are_the_same_as_at_once(model, monkeypatch):
    """lfr and clustered draw the counts of 300 segments' pairs a band of rows at a time
    (memory O(band), not O(S²)); the graph is the same whatever the band."""
    import wom.market.graphs as graphs

    sc = _sc(model, sizes=tuple(range(2, 302)), mean_degree=6.0, mixing=0.3)
    whole = _build(sc, seed=4)
    monkeypatch.setattr(graphs, "_PAIRS_AT_ONCE", 7)
    banded = _build(sc, seed=4)
    assert np.array_equal(whole.indptr, banded.indptr)
    assert np.array_equal(whole.indices, banded.indices)


def _reference_block(sa, na, sb, nb, p, rng, skip0=-1.0):
    """G(n, p) by geometric skips, as ``wom.market.partition._block`` draws it, in Python."""
    within = sa == sb
    total = na * (na - 1) // 2 if within else na * nb
    ties: list[tuple[int, int]] = []
    if p <= 0.0 or total <= 0:
        return ties
    log_q = math.log(1.0 - p) if p < 1.0 else -math.inf
    if log_q == 0.0:
        log_q = math.log1p(-p)

    def skip() -> float:
        return math.floor(math.log(1.0 - rng.random()) / log_q)

    if within:
        v, w = 1, -1
        while v < na:
            if p < 1.0:
                s = skip()
                if s > total:
                    break
                w += 1 + int(s)
            else:
                w += 1
            while w >= v and v < na:
                w, v = w - v, v + 1
            if v < na:
                ties.append((sa + w, sa + v))
        return ties
    idx = -1
    while True:
        if skip0 >= 0.0:
            s, skip0 = skip0, -1.0
        elif p < 1.0:
            s = skip()
        else:
            s = 0.0
        if s > total:
            break
        idx += 1 + int(s)
        if idx >= total:
            break
        ties.append((sa + idx // nb, sb + idx % nb))
    return ties


def test_a_block_has_the_same_ties_and_draws_whatever_the_room_of_its_lists():
    # _block fills its lists in a loop of their own and grows them between (a list that
    # may be replaced inside the loop made it a third slower): the ties, and the random
    # numbers drawn, are those of the plain algorithm, whatever room the lists start with
    from wom.market.partition import _block

    rs = np.random.default_rng(0)
    for _ in range(200):
        na, nb = int(rs.integers(0, 300)), int(rs.integers(0, 300))
        within = bool(rs.integers(0, 2))
        sa = int(rs.integers(0, 50))
        sb = sa if within else sa + na
        p = float(rs.choice([0.0, 1e-18, 0.002, 0.03, 0.4, 1.0]))
        skip0 = -1.0 if within or rs.integers(0, 2) else float(rs.integers(0, 60))
        room = int(rs.integers(0, 40))
        m = int(rs.integers(0, room + 1))
        seed = int(rs.integers(1 << 30))
        us = np.arange(room, dtype=np.int32)
        vs = -np.arange(room, dtype=np.int32)
        kept = us[:m].copy(), vs[:m].copy()
        mine, ref = np.random.default_rng(seed), np.random.default_rng(seed)
        us, vs, k = _block(sa, na, sb, nb, p, mine, us, vs, m, skip0)
        want = _reference_block(sa, na, sb, nb, p, ref, skip0)
        assert np.array_equal(us[:m], kept[0]) and np.array_equal(vs[:m], kept[1])
        assert list(zip(us[m:k].tolist(), vs[m:k].tolist(), strict=True)) == want
        assert mine.random() == ref.random()  # the same draws, no more, no fewer
