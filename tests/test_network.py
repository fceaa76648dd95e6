"""The population builder: graph shape, traits, seeding from the scenario only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import wom
from helpers import small_scenario
from wom.experiment import Replicate
from wom.market import (
    build_population,
    cross_expected,
    cross_shares,
    gnp_block,
)


def _edges(pop):
    src = np.repeat(np.arange(pop.n), np.diff(pop.indptr))
    return src, pop.indices.astype(np.int64)


def _sc(model="planted_partition", sizes=(3000, 2000, 1000), mean_degree=10.0, mixing=0.2,
        **net):
    segments = [{"name": "abcdefgh"[i], "size": n} for i, n in enumerate(sizes)]
    return small_scenario(segments=segments, network={"model": model,
                          "mean_degree": mean_degree, "mixing": mixing, **net})


@pytest.mark.parametrize("model", ["planted_partition", "erdos_renyi", "complete"])
def test_graph_is_simple_undirected_and_segments_are_contiguous(model):
    sc = _sc(model, sizes=(300, 200, 100))
    pop = Replicate(sc, 0).population
    src, dst = _edges(pop)
    assert pop.indices.dtype == np.int32 and pop.indptr.dtype == np.int64
    assert (src != dst).all()  # no self-loops
    key = src * pop.n + dst
    assert np.unique(key).size == key.size  # no repeated ties
    assert np.array_equal(np.sort(key), np.sort(dst * pop.n + src))  # symmetric
    assert np.array_equal(pop.seg_start, [0, 300, 500, 600])
    assert np.array_equal(pop.segment, np.repeat([0, 1, 2], [300, 200, 100]))
    if model == "complete":
        assert pop.n_ties == 600 * 599 // 2


def test_planted_partition_mean_degree_and_mixing():
    sc = _sc(mean_degree=10.0, mixing=0.2)
    n_rep = 5
    degs, inside = [], []
    for r in range(n_rep):
        pop = Replicate(sc, r).population
        src, dst = _edges(pop)
        degs.append(2 * pop.n_ties / pop.n)
        inside.append(np.mean(pop.segment[src] == pop.segment[dst]))
    # Ties are sums of Binomials: the mean degree's sd is about sqrt(2·d/N).
    se = np.sqrt(2 * 10.0 / 6000) / np.sqrt(n_rep)
    assert abs(np.mean(degs) - 10.0) < 4 * se
    # Share of arc endpoints inside segments, sd ≈ sqrt(p(1-p)/E).
    se_in = np.sqrt(0.8 * 0.2 / 30000) / np.sqrt(n_rep)
    assert abs(np.mean(inside) - 0.8) < 4 * se_in


def test_erdos_renyi_ignores_segments():
    sc = _sc("erdos_renyi", sizes=(3000, 3000), mean_degree=6.0)
    pop = Replicate(sc, 0).population
    src, dst = _edges(pop)
    inside = np.mean(pop.segment[src] == pop.segment[dst])
    # Two equal segments: about half of random ties stay inside (sd ≈ sqrt(.25/E)·√2).
    assert abs(inside - 0.5) < 4 * np.sqrt(0.25 / pop.n_ties) * np.sqrt(2)
    assert abs(2 * pop.n_ties / pop.n - 6.0) < 4 * np.sqrt(2 * 6.0 / pop.n)


def test_talks_with_directs_cross_segment_ties():
    sc = _sc(sizes=(2000, 2000, 2000), mixing=0.3,
             talks_with={"a": {"b": 0.9}, "b": {"a": 0.9}})
    share = cross_shares(sc)
    assert share[0, 1] == pytest.approx(0.9) and share[0, 2] == pytest.approx(0.1)
    assert share[2, 0] == pytest.approx(0.5)  # unspecified: split by size
    expected = cross_expected(sc, np.full(3, 2000 * 3.0))
    # Every segment sends exactly its 6,000 outside ties; c wants half of its ties with a,
    # so a keeps 3,000 for b: the pair weights are honoured as far as the degrees allow.
    assert np.allclose(expected.sum(axis=1), 6000) and np.allclose(expected, expected.T)
    assert expected[0, 1] == pytest.approx(3000, rel=1e-6)
    pop = Replicate(sc, 0).population
    src, dst = _edges(pop)
    s, d = pop.segment[src], pop.segment[dst]
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        n_ab = np.sum((s == a) & (d == b))
        assert abs(n_ab - expected[a, b]) < 4 * np.sqrt(expected[a, b])


def test_talks_with_makes_a_pair_talk_more():
    sc = _sc(sizes=(1000, 1000, 1000, 1000), mixing=0.2,
             talks_with={"a": {"b": 0.8}, "b": {"a": 0.8}})
    e = cross_expected(sc, np.full(4, 1000 * 2.0))
    assert e[0, 1] > 2 * e[0, 2]


@pytest.mark.parametrize("model", ["planted_partition", "lfr"])
def test_small_segments_next_to_big_ones_keep_their_mixing(model):
    """Each segment sends `mixing` of its ties out, whatever its size, when the others can
    take them (the big one's 4,000 outside ties fit in the others' 6,000)."""
    sizes = (2000, 600, 600, 600, 600, 600)
    sc = _sc(model, sizes=sizes, mean_degree=10.0, mixing=0.2)
    e = cross_expected(sc, np.array(sizes) * 2.0)
    assert np.allclose(e.sum(axis=1), np.array(sizes) * 2.0)
    out, total = np.zeros(6), np.zeros(6)
    for r in range(3):
        pop = Replicate(sc, r).population
        src, dst = _edges(pop)
        s = pop.segment[src]
        out += np.bincount(s[s != pop.segment[dst]], minlength=6)
        total += np.bincount(s, minlength=6)
    share_out = out / total
    # sd of a share over `total` arc ends, ×2 since each tie gives two ends; lfr's weights
    # add their own noise, bounded here by 0.02.
    slack = 0.02 if model == "lfr" else 0.0
    assert (np.abs(share_out - 0.2) < 4 * np.sqrt(2 * 0.2 * 0.8 / total) + slack).all(), share_out


def test_a_segment_too_big_for_its_neighbours_sends_what_they_can_take():
    sc = _sc(sizes=(5000, 300, 300), mixing=0.2)
    e = cross_expected(sc, np.array([5000, 300, 300]) * 2.0)
    assert (e.sum(axis=1) <= np.array([10000, 600, 600]) + 1e-6).all()
    assert e[1].sum() == pytest.approx(600, rel=1e-3)  # the small ones still send theirs


def test_traits_have_exact_shares_inside_each_segment():
    segments = [
        {"name": "a", "size": 1000, "tam": 0.6, "incumbent": 0.1, "early_market": 0.16,
         "references": 2},
        {"name": "b", "size": 500, "tam": 1.0, "incumbent": 0.0, "references": 0},
    ]
    pop = Replicate(small_scenario(segments=segments), 3).population
    a, b = slice(0, 1000), slice(1000, 1500)
    assert pop.eligible[a].sum() == 600 and pop.incumbent[a].sum() == 100
    assert not (pop.incumbent & ~pop.eligible).any()  # incumbents hold part of the TAM
    assert (pop.references[a] == 0).sum() == 160 and (pop.references[a] == 2).sum() == 840
    assert pop.eligible[b].all() and not pop.incumbent[b].any() and (pop.references[b] == 0).all()
    assert np.array_equal(pop.tam_size, [600, 500])


def test_same_seed_same_market_and_replicates_differ():
    sc = _sc(sizes=(500, 500))
    p1, p2 = Replicate(sc, 2).population, Replicate(sc, 2).population
    q = Replicate(sc, 3).population
    for field in ("indptr", "indices", "eligible", "incumbent", "references"):
        assert np.array_equal(getattr(p1, field), getattr(p2, field))
    assert not np.array_equal(p1.indices, q.indices)
    other = Replicate(sc.model_copy(update={"seed": sc.seed + 1}), 2).population
    assert not np.array_equal(p1.indices, other.indices)


def test_gnp_blocks_are_exact_at_the_edges_and_binomial_between():
    rng = np.random.default_rng(0)
    for size in (2, 3, 7, 64):
        pairs = size * (size - 1) // 2
        u, v = gnp_block(5, size, 5, size, 1.0, rng)  # p = 1: every pair, once
        assert u.size == pairs and (u < v).all() and u.min() >= 5 and v.max() < 5 + size
        assert np.unique(u * 1000 + v).size == pairs
        u, v = gnp_block(5, size, 5, size, 0.0, rng)  # p = 0: no tie
        assert u.size == 0
    u, v = gnp_block(0, 4, 10, 3, 1.0, rng)
    assert np.unique(u * 100 + v).size == 12 and set(u) <= set(range(4))
    assert set(v) <= set(range(10, 13))
    # Large blocks: distinct pairs, count Binomial(pairs, p) within 4 SE.
    p, size = 0.002, 5000
    pairs = size * (size - 1) // 2
    u, v = gnp_block(0, size, 0, size, p, rng)
    assert np.unique(u * size + v).size == u.size and (u < v).all()
    assert abs(u.size - p * pairs) < 4 * np.sqrt(pairs * p * (1 - p))
    u, v = gnp_block(0, 300, 300, 400, p, rng)
    assert (u < 300).all() and (v >= 300).all() and np.unique(u * 1000 + v).size == u.size
    assert abs(u.size - p * 120_000) < 4 * np.sqrt(120_000 * p * (1 - p))


def test_build_population_uses_only_the_given_generator():
    sc = _sc(sizes=(400, 400))
    np.random.seed(1)
    a = build_population(sc, rng=np.random.default_rng(11))
    np.random.seed(2)
    b = build_population(sc, rng=np.random.default_rng(11))
    assert np.array_equal(a.indices, b.indices) and np.array_equal(a.eligible, b.eligible)


DATA = Path(__file__).resolve().parents[1] / "data"


def _file_scenario(file: dict, segments=None, **extra) -> dict:
    data = {
        "name": "real", "horizon": 5, "replicates": 2,
        "network": {"model": "file", "file": file},
        "strategies": [{"name": "broad", "kind": "broad"}],
        **extra,
    }
    if segments is not None:
        data["segments"] = segments
    return data


def test_a_real_graph_gives_its_segments_and_traits_per_replicate():
    sc = wom.scenario_from_dict(_file_scenario(
        {"path": str(DATA / "football.gml"), "attribute": "value", "label_prefix": "conf-"},
        segments={"tam": 0.5, "references": 1}))
    assert len(sc.segments) == 12 and sc.people == 115
    assert all(s.name.startswith("conf-") and s.tam == 0.5 for s in sc.segments)
    a, b = Replicate(sc, 0).population, Replicate(sc, 1).population
    assert a.n_ties == b.n_ties == 613 and np.array_equal(a.indices, b.indices)
    assert not np.array_equal(a.eligible, b.eligible)  # traits are redrawn, the graph is not
    res = wom.run(sc, workers=1)
    assert res.summary().customers_mean.iloc[0] > 0


def test_without_labels_segments_are_found_by_louvain():
    sc = wom.scenario_from_dict(_file_scenario({"path": str(DATA / "football.gml")}))
    assert 6 <= len(sc.segments) <= 15
    assert sc.segment_names[0] == "community-1"
    again = wom.scenario_from_dict(_file_scenario({"path": str(DATA / "football.gml")},
                                                  seed=99))
    assert again.segment_names == sc.segment_names  # the scenario seed does not move them


def test_segments_listed_for_a_real_graph_must_exist_there(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: real\nnetwork:\n  model: file\n  file:\n"
        f"    path: {DATA / 'football.gml'}\n    attribute: value\n"
        "segments:\n  - {name: '3', tam: 0.4}\n  - {name: nowhere}\n"
        "strategies:\n  - {name: f, kind: focused, segment: '3'}\n", encoding="utf-8")
    with pytest.raises(wom.ScenarioError) as err:
        wom.load_scenario(path)
    assert "segments[1].name" in str(err.value) and ":9:" in str(err.value)
    assert "no segment 'nowhere'" in str(err.value)


def test_a_bad_graph_file_names_its_line_through_the_scenario(tmp_path):
    graph = tmp_path / "g.txt"
    graph.write_text("1 2\n2 3\nbroken\n", encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text("name: real\nnetwork:\n  model: file\n  file: {path: g.txt}\n"
                    "strategies:\n  - {name: b, kind: broad}\n", encoding="utf-8")
    with pytest.raises(wom.ScenarioError) as err:
        wom.load_scenario(path)
    text = str(err.value)
    assert "network.file.path" in text and "g.txt:3" in text


def _many(count, model="planted_partition", talks_with=None, size=1, mixing=0.5):
    segments = [{"name": f"s{i}", "size": size} for i in range(count)]
    return small_scenario(segments=segments, strategies=[{"name": "b", "kind": "broad"}],
                          network={"model": model, "mean_degree": 10.0, "mixing": mixing,
                                   "talks_with": talks_with})


def test_the_sparse_fit_gives_the_dense_fits_expected_ties(monkeypatch):
    """Past DENSE_SEGMENTS the fit works on talks_with plus a rank-one rest, never an S×S
    matrix: the expected ties of every pair are the dense fit's."""
    from wom.market import cross

    rng = np.random.default_rng(5)
    S = 40
    tw = {f"s{a}": {f"s{b}": 0.3 for b in rng.choice(S, 3, replace=False) if b != a}
          for a in range(0, S, 3)}
    sizes = rng.integers(1, 60, S)
    sc = small_scenario(segments=[{"name": f"s{i}", "size": int(n)} for i, n in enumerate(sizes)],
                        strategies=[{"name": "b", "kind": "broad"}],
                        network={"mixing": 0.3, "talks_with": tw})
    out = sizes * 3.0
    dense = cross.cross_fit(sc, out).dense()
    monkeypatch.setattr(cross, "DENSE_SEGMENTS", 2)
    fit = cross.cross_fit(sc, out)
    a, b = np.triu_indices(S, k=1)
    assert np.allclose(fit.pairs(a, b), dense[a, b], rtol=1e-8, atol=1e-12)
    assert np.allclose(fit.dense(), dense, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("ring", [False, True])
def test_many_segments_are_drawn_without_a_segments_by_segments_array(ring):
    """1,500 one-person segments: no array of every pair of segments is made (one float64
    matrix would be 18 MB), whether every pair can have a tie or only talks_with's ring."""
    import tracemalloc

    S = 1500
    tw = ({f"s{i}": {f"s{(i + 1) % S}": 0.5, f"s{(i - 1) % S}": 0.5} for i in range(S)}
          if ring else None)
    sc = _many(S, talks_with=tw)
    build_population(_many(3, talks_with=tw and {"s0": {"s1": 1.0}}),
                     rng=np.random.default_rng(0))  # compiled code loaded before tracing
    tracemalloc.start()
    try:
        pop = build_population(sc, rng=np.random.default_rng(0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * S * S / 4, peak
    if ring:  # only neighbours on the ring talk: each pair wants 2.5 ties, gets its one
        src, dst = _edges(pop)
        assert pop.n_ties == S and ((dst - src) % S == 1).sum() == S
    else:  # each sends 5 ties out: 3,750 in all, a sum of Bernoullis (sd below √mean)
        assert abs(pop.n_ties - 3750) < 4 * np.sqrt(3750)


def test_the_sparse_path_draws_the_dense_fits_ties():
    """Past DENSE_SEGMENTS (600 segments of 4 people) the ties between segments follow the
    dense fit's expected counts: in all, and on the pairs talks_with favours."""
    S = 600
    tw = {f"s{i}": {f"s{i + 1}": 0.4} for i in range(0, S, 2)}
    sc = _many(S, talks_with=tw, size=4, mixing=0.4)
    from wom.market.cross import cross_fit

    sizes = np.full(S, 4.0)
    fit = cross_fit(sc, sizes * 4.0)
    a = np.arange(0, S, 2)
    favoured = fit.pairs(a, a + 1).sum()
    reps = 4
    n_cross = n_fav = 0
    for r in range(reps):
        pop = build_population(sc, rng=np.random.default_rng(r))
        src, dst = _edges(pop)
        s, d = pop.segment[src], pop.segment[dst]
        n_cross += np.sum(s < d)
        n_fav += np.sum((s < d) & (s % 2 == 0) & (d == s + 1))
    # Sums of independent Bernoullis: variance below the mean.
    assert abs(n_cross - reps * 600 * 4 * 4 / 2) < 4 * np.sqrt(reps * 4800)
    assert abs(n_fav - reps * favoured) < 4 * np.sqrt(reps * favoured)
    assert favoured > 0.1 * 4800  # by size alone these pairs would get under 1%


@pytest.mark.slow
def test_many_one_person_segments_get_their_cross_ties_without_a_dense_matrix():
    """20,000 one-person segments: the fit and the draw need no segments × segments array
    (that was 3 GiB each), and each person keeps about mean_degree·mixing ties."""
    import resource

    sc = _many(20_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pop = build_population(sc, rng=np.random.default_rng(0))
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    assert grown < 400 * 2**20  # one float64[S, S] alone is 3.2 GB
    # 20,000 people × 5 outside ties / 2: a sum of Bernoullis, sd below √mean.
    assert abs(pop.n_ties - 50_000) < 4 * np.sqrt(50_000)
