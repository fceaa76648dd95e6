"""Strategies and seeding rules: plans follow the budget, the rules pick whom they say."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import wom
from helpers import small_scenario
from wom.campaign import BeachheadPlan, SeedingContext, cross_ties, units
from wom.campaign.seeding import seed_poster_child, segment_centrality
from wom.engine import Simulation, resonance_matrix
from wom.experiment import DYNAMICS, Replicate, stream


def _plan(sc, name: str, replicate: int = 0):
    rep = Replicate(sc, replicate)
    return rep.population, rep.plan(name)


def test_units_spend_no_more_than_the_money():
    rng = np.random.default_rng(1)
    for _ in range(200):
        k = int(rng.integers(1, 6))
        w = rng.random(k) + 0.01
        cost = rng.choice([1.0, 2.0, 3.5, 7.0], size=k)
        money = float(rng.uniform(0, 500))
        u = units(money, w, cost)
        assert (u >= 0).all() and (u * cost).sum() <= money + 1e-9
        assert money - (u * cost).sum() < cost.max() * k  # little money is left unspent
    # With one cost everywhere it buys exactly what the money buys.
    assert units(1000.0, np.array([3.0, 2.0, 1.0]), np.full(3, 7.0)).sum() == 1000 // 7


def test_multi_targets_each_segment_in_its_own_language():
    sc = small_scenario(strategies=[{"name": "m", "kind": "multi", "segments": ["a", "c"]}])
    pop, plan = _plan(sc, "m")
    seg = pop.segment[plan.seeds]
    assert set(seg) == {0, 2}
    assert np.array_equal(plan.seed_message, seg)  # message k is the one tailored to k
    assert plan.contacts[:, 1].sum() == 0 and plan.contacts[:, 0].sum() > 0
    assert plan.contact_message[0] == 0 and plan.contact_message[2] == 2
    # Money split by size: a (120) gets twice c's (60) contacts, within rounding.
    assert abs(plan.contacts[:, 0].sum() - 2 * plan.contacts[:, 2].sum()) <= 2


def test_broad_speaks_the_generic_message_everywhere():
    sc = small_scenario()
    pop, plan = _plan(sc, "broad")
    S = pop.n_segments
    assert (plan.seed_message == S).all() and (plan.contact_message == S).all()
    assert (plan.contacts.sum(axis=0) > 0).all()


def test_per_segment_contact_costs_buy_fewer_contacts():
    segments = [{"name": "a", "size": 100}, {"name": "b", "size": 100, "cost_per_contact": 10}]
    sc = small_scenario(segments=segments, budget={"total": 2000, "cost_per_contact": 5,
                                                    "seed_share": 0.0, "campaign_weeks": 2},
                        strategies=[{"name": "broad", "kind": "broad"}])
    _, plan = _plan(sc, "broad")
    a, b = plan.contacts.sum(axis=0)
    assert (a, b) == (200, 100)  # 1000 each, at 5 and at 10
    _, spend, _ = wom.experiment.run_replicate(sc, 0)
    assert spend[0].sum(axis=0).tolist() == [1000.0, 1000.0]


def test_overlap_matrix_sets_resonance_pair_by_pair():
    sc = small_scenario(dynamics={"overlap": {"default": 0.1, "a": {"b": 0.7}},
                                  "generic_resonance": 0.4})
    r = resonance_matrix(sc.dynamics, sc.segment_names)
    assert r[0, 0] == 1.0 and r[0, 1] == 0.7 and r[0, 2] == 0.1 and r[1, 0] == 0.1
    assert (r[3] == 0.4).all()


def test_bridges_pick_the_people_with_most_ties_outside():
    sc = small_scenario(strategies=[{"name": "f", "kind": "focused", "segment": "b",
                                     "seeding": "bridges"}])
    pop, plan = _plan(sc, "f")
    score = cross_ties(pop)
    members = pop.members(1)
    ok = members[pop.adoptable[members]]
    kth = np.sort(score[ok])[::-1][plan.seeds.size - 1]
    assert (score[plan.seeds] >= kth).all()
    assert score[plan.seeds].mean() > score[ok].mean() + 1


def test_poster_child_is_the_most_central_inside_the_segment():
    sc = small_scenario(budget={"total": 200, "cost_per_seed": 200, "seed_share": 1.0},
                        segments=[{"name": "a", "size": 150}, {"name": "b", "size": 150}])
    pop = Replicate(sc, 0).population
    g = pop.to_networkx()
    inside = g.subgraph(range(150))
    pr = nx.pagerank(inside, alpha=0.85)
    ctx = SeedingContext(pop, sc, sc.strategies[0], np.zeros(2, np.int32),
                         np.random.default_rng(0))
    chosen = seed_poster_child(ctx, np.arange(150), 1)
    assert chosen[0] == max(pr, key=pr.get)


def test_the_best_k_are_those_a_whole_sort_puts_first():
    # top() sorts only those scoring at least the k-th best: the same people, in the same
    # order, drawing the same tie-breaks, as sorting every candidate (ties and NaN included)
    from wom.campaign.seeding import top

    g = np.random.default_rng(1)
    for t in range(2000):
        n = int(g.integers(1, 60))
        k = int(g.integers(0, n + 3))
        score = [g.integers(0, 4, n).astype(float), g.random(n), np.zeros(n),
                 np.where(g.random(n) < 0.2, np.nan, g.integers(0, 3, n))][t % 4]
        candidates = g.permutation(1000)[:n]
        seed = int(g.integers(0, 1 << 30))
        whole, rng = np.random.default_rng(seed), np.random.default_rng(seed)
        want = candidates[np.lexsort((whole.random(n), -score))[:k]]
        got = top(score, candidates, k, rng)
        assert np.array_equal(got, want), (t, n, k)
        assert rng.random() == whole.random()  # the same draws, so what follows is too


def _pagerank_walking_the_market(indptr, indices, s0, s1, damping=0.85, tol=1e-9,
                                 max_iter=100):
    """PageRank inside ``s0:s1`` as the kernel computed it before it listed the segment's
    ties once: walking every tie of the market and skipping those that leave."""
    n = s1 - s0
    deg = np.zeros(n)
    for u in range(s0, s1):
        for w in indices[indptr[u]:indptr[u + 1]]:
            if s0 <= w < s1:
                deg[u - s0] += 1.0
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        nxt = np.zeros(n)
        dangling = 0.0
        for i in range(n):
            if deg[i] == 0.0:
                dangling += x[i]
                continue
            share = x[i] / deg[i]
            for w in indices[indptr[s0 + i]:indptr[s0 + i + 1]]:
                if s0 <= w < s1:
                    nxt[w - s0] += share
        change = 0.0
        for i in range(n):
            y = (1.0 - damping) / n + damping * (nxt[i] + dangling / n)
            change += abs(y - x[i])
            x[i] = y
        if change < tol:
            break
    return x


def test_poster_children_pagerank_adds_the_same_numbers_in_the_same_order():
    # the seeds (the top of this ranking) stay the same to the last bit: a segment with
    # isolated members (dangling) and ties to the other segment (skipped)
    sc = small_scenario(segments=[{"name": "a", "size": 120}, {"name": "b", "size": 90}],
                        network={"mean_degree": 2, "mixing": 0.3})
    pop = Replicate(sc, 0).population
    src = np.repeat(np.arange(pop.n), pop.degree())
    inside = np.bincount(src[pop.segment[src] == pop.segment[pop.indices]], minlength=pop.n)
    for k in range(2):
        s0, s1 = int(pop.seg_start[k]), int(pop.seg_start[k + 1])
        assert (inside[s0:s1] == 0).any()  # someone with no tie inside: dangling
        got = segment_centrality(pop, k)
        want = _pagerank_walking_the_market(pop.indptr, pop.indices, s0, s1)
        assert got.tobytes() == want.tobytes()


def _beachhead_scenario(**strategy):
    segments = [{"name": n, "size": 300, "tam": 0.8} for n in "abcd"]
    return small_scenario(
        horizon=30, segments=segments,
        network={"mean_degree": 8, "mixing": 0.1,
                 "talks_with": {"a": {"c": 0.9}, "c": {"a": 0.9}}},
        dynamics={"word_of_mouth": 0.12, "marketing": 0.05, "talk_weeks": 3},
        budget={"total": 6000, "cost_per_seed": 200, "cost_per_contact": 2,
                "seed_share": 0.3, "campaign_weeks": 20},
        strategies=[{"name": "pins", "kind": "beachhead", "trigger": 0.16, **strategy}],
    )


def test_beachhead_moves_contacts_only_after_the_trigger():
    sc = _beachhead_scenario(order=["a", "b"])
    moved = 0
    for r in range(6):
        pop, plan = _plan(sc, "pins", r)
        assert isinstance(plan, BeachheadPlan)
        sim = Simulation(pop, plan, sc.dynamics, sc.network.weak_tie,
                         rng=stream(sc.seed, r, DYNAMICS))
        tam = pop.tam_size
        for t in range(sc.horizon):
            before = sim.adopters_by_segment()
            counts = sim.step()
            reached_a, reached_b = counts.reached[0], counts.reached[1]
            if before[0] < 0.16 * tam[0]:
                assert reached_b == 0 and (t >= sc.budget.campaign_weeks or reached_a > 0)
            elif t < sc.budget.campaign_weeks:
                assert reached_a == 0 and reached_b > 0
                moved += 1
            assert counts.reached[2:].sum() == 0  # an explicit order: no automatic pins
    assert moved > 0  # the trigger was reached within the campaign at least once


def test_beachhead_spend_in_the_timeseries_follows_the_pins():
    sc = _beachhead_scenario(order=["a", "b"])
    ts = wom.run(sc, replicates=4, workers=1).timeseries()
    for _, rep in ts.groupby("replicate"):
        a = rep[rep.segment == "a"].set_index("step")
        b = rep[rep.segment == "b"].set_index("step")
        tam_a = round(0.8 * 300)
        crossed = a.adopters.shift(1, fill_value=0) >= 0.16 * tam_a  # at the start of a step
        assert (b.spend[~crossed] == 0).all()
        in_campaign = b.index < sc.budget.campaign_weeks
        assert (b.spend[crossed & in_campaign] > 0).all()
        assert (a.spend[crossed & in_campaign] == 0).all()


def test_beachhead_picks_the_next_pin_by_ties_to_customers():
    sc = _beachhead_scenario(segment="a")
    second = 0
    for r in range(3):
        pop, plan = _plan(sc, "pins", r)
        sim = Simulation(pop, plan, sc.dynamics, sc.network.weak_tie,
                         rng=stream(sc.seed, r, DYNAMICS))
        while sim.t < sim.horizon:
            sim.step()
        pins = [k for _, k in plan.pins]
        assert pins[0] == 0
        if len(pins) > 1:
            assert pins[1] == 2  # a talks mostly with c
            second += 1
    assert second > 0


@pytest.mark.parametrize("rule", ["poster_child", "hubs", "bridges", "random", "greedy"])
def test_every_rule_seeds_adoptable_people_of_the_target(rule):
    sc = small_scenario(strategies=[{"name": "f", "kind": "focused", "segment": "a",
                                     "seeding": rule, "greedy_runs": 4, "greedy_pool": 20}])
    pop, plan = _plan(sc, "f")
    n_seeds = int(sc.budget.total * sc.budget.seed_share // sc.budget.cost_per_seed)
    assert plan.seeds.size == n_seeds == np.unique(plan.seeds).size
    assert (pop.segment[plan.seeds] == 0).all() and pop.adoptable[plan.seeds].all()


def test_greedy_beats_random_seeding():
    """CELF on the model's own simulations wins more customers than random seeds (paired)."""
    sc = small_scenario(
        segments=[{"name": "a", "size": 400}, {"name": "b", "size": 200}],
        network={"model": "planted_partition", "mean_degree": 4, "mixing": 0.1},
        dynamics={"word_of_mouth": 0.12, "marketing": 0.0, "talk_weeks": 2},
        budget={"total": 1600, "cost_per_seed": 200, "seed_share": 1.0},
        strategies=[
            {"name": "greedy", "kind": "focused", "segment": "a", "seeding": "greedy",
             "greedy_runs": 24, "greedy_pool": 60},
            {"name": "random", "kind": "focused", "segment": "a", "seeding": "random"},
        ],
    )
    comp = wom.run(sc, replicates=30, workers=1).comparison()
    row = comp[comp.metric == "customers"].iloc[0]
    assert (row.a, row.b) == ("greedy", "random")
    assert row.diff_lo > 0, row
