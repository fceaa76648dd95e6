"""The engine: known answers, invariants, and agreement with the naive reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from helpers import small_scenario
from reference import naive_run
from wom.campaign import budget_units
from wom.engine import BACKGROUND, Simulation, run_to_horizon, simulate
from wom.engine import MARKETING as CAUSE_MARKETING
from wom.engine import SEED as CAUSE_SEED
from wom.engine import WOM as CAUSE_WOM
from wom.experiment import DYNAMICS, Replicate, run_replicate


def _sim(sc, replicate: int, strategy: int) -> Simulation:
    sim = Replicate(sc, replicate).simulation(sc.strategies[strategy])
    while sim.t < sim.horizon:
        sim.step()
    return sim


def test_no_word_of_mouth_and_no_marketing_means_only_seeds_adopt():
    sc = small_scenario(dynamics={"word_of_mouth": 0.0, "marketing": 0.0})
    n_seeds, _ = budget_units(sc)
    for r in range(3):
        new, _, _ = run_replicate(sc, r)
        for s in range(len(sc.strategies)):
            by_cause = new[s].sum(axis=(0, 2))
            assert by_cause[CAUSE_SEED] == n_seeds
            assert by_cause[CAUSE_MARKETING] == 0
            assert by_cause[CAUSE_WOM] == 0
            assert new[s, 1:].sum() == 0  # nothing after the seeding step


@pytest.mark.parametrize("model", ["planted_partition", "erdos_renyi"])
def test_certain_word_of_mouth_reaches_exactly_the_seeds_components(model):
    """β = 1, one week of talk, no references: every seed's component inside the TAM."""
    segments = [{"name": n, "size": 150, "tam": 0.7, "incumbent": 0.1, "references": 0}
                for n in "abc"]
    sc = small_scenario(
        horizon=300,
        segments=segments,
        network={"model": model, "mean_degree": 1.6, "mixing": 0.2, "weak_tie": 1.0},
        dynamics={"word_of_mouth": 1.0, "marketing": 0.0, "talk_weeks": 1,
                  "generic_resonance": 1.0, "overlap": 1.0},
        budget={"total": 1000, "cost_per_seed": 200, "seed_share": 1.0},
    )
    for r in range(4):
        for s in range(2):
            sim = _sim(sc, r, s)
            pop = sim.population
            ok = pop.adoptable
            src = np.repeat(np.arange(pop.n), np.diff(pop.indptr))
            keep = ok[src] & ok[pop.indices]
            g = csr_matrix((np.ones(keep.sum()), (src[keep], pop.indices[keep])),
                           shape=(pop.n, pop.n))
            _, label = connected_components(g, directed=False)
            reached = np.isin(label, label[sim.plan.seeds]) & ok
            assert np.array_equal(sim.adopted_at >= 0, reached)
            assert 5 < reached.sum() < pop.n  # the check is not vacuous


def _check_invariants(sc, replicate: int, strategy: int) -> None:
    sim = _sim(sc, replicate, strategy)
    pop, plan = sim.population, sim.plan
    adopted = sim.adopted_at >= 0
    # Only people inside the TAM and not held by the incumbent adopt.
    assert not (adopted & ~pop.eligible).any()
    assert not (adopted & pop.incumbent).any()
    assert sim.n_adopted == adopted.sum()
    assert set(np.unique(sim.cause[adopted])) <= {CAUSE_SEED, CAUSE_MARKETING, CAUSE_WOM}
    seeds = np.zeros(pop.n, bool)
    seeds[plan.seeds] = True
    assert np.array_equal(adopted & (sim.cause == CAUSE_SEED), seeds)
    assert (sim.adopted_at[seeds] == 0).all()
    for v in np.flatnonzero(adopted & ~seeds):
        t = sim.adopted_at[v]
        nb = pop.indices[pop.indptr[v]:pop.indptr[v + 1]]
        nt = sim.adopted_at[nb]
        same = pop.segment[nb] == pop.segment[v]
        # References: enough same-segment adopters before this step.
        assert ((nt >= 0) & (nt < t) & same).sum() >= pop.references[v]
        if sim.cause[v] == CAUSE_WOM:
            assert ((nt >= 0) & (nt < t) & (nt >= t - sc.dynamics.talk_weeks)).any()
        else:
            assert t < sc.budget.campaign_weeks and plan.contacts[t, pop.segment[v]] > 0


@pytest.mark.parametrize("replicate", range(4))
def test_invariants_hold_person_by_person(replicate):
    sc = small_scenario(
        dynamics={"word_of_mouth": 0.3, "marketing": 0.2, "talk_weeks": 3,
                  "generic_resonance": 0.5, "overlap": 0.3},
    )
    for s in range(2):
        _check_invariants(sc, replicate, s)


def test_adopters_never_fall_and_never_exceed_the_tam():
    sc = small_scenario(dynamics={"word_of_mouth": 0.5, "marketing": 0.5, "talk_weeks": 10})
    for r in range(3):
        new, spend, pop = run_replicate(sc, r)
        assert (new >= 0).all()
        final = new.sum(axis=(1, 2))  # strategies × segments
        cap = np.bincount(pop.segment[pop.adoptable], minlength=pop.n_segments)
        assert (final <= cap).all()
        assert (final >= 0.9 * cap).any()  # strong spread nears the cap: the check can bind
        n_seeds, n_contacts = budget_units(sc)
        assert np.allclose(spend.sum(axis=(1, 2)),
                           n_seeds * sc.budget.cost_per_seed
                           + n_contacts * sc.budget.cost_per_contact)


def test_simulate_matches_stepping():
    sc = small_scenario()
    rep = Replicate(sc, 1)
    traj = simulate(rep.population, rep.plan(sc.strategies[1]), sc.dynamics,
                    sc.network.weak_tie, rng=rep.stream(DYNAMICS))
    sim = _sim(sc, 1, 1)
    assert traj.new_by_cause.sum() == sim.n_adopted
    assert np.array_equal(traj.new_by_cause.sum(axis=(0, 1)), sim.adopters_by_segment())


@pytest.mark.parametrize("dynamics", [
    {"word_of_mouth": 0.15, "marketing": 0.1, "talk_weeks": 2,
     "generic_resonance": 0.5, "overlap": 0.3},
    # Frequent collisions of marketing and word of mouth on the same person and step.
    {"word_of_mouth": 0.35, "marketing": 0.7, "talk_weeks": 1,
     "generic_resonance": 0.8, "overlap": 0.4},
    # Adoption from outside the graph as well, colliding with both.
    {"word_of_mouth": 0.15, "marketing": 0.3, "background": 0.06, "talk_weeks": 2,
     "generic_resonance": 0.5, "overlap": 0.3},
], ids=["moderate", "collisions", "background"])
def test_engine_agrees_with_the_naive_reference(dynamics):
    """Mean final size, in and out of the target segment and by cause, within 4 SE.

    Engine and reference run on the same populations and plans with independent dynamics,
    so each paired difference has mean zero if they implement the same rule.
    """
    sc = small_scenario(horizon=8, dynamics=dynamics,
                        budget={"total": 3000, "cost_per_seed": 200, "cost_per_contact": 2,
                                "seed_share": 0.3, "campaign_weeks": 6})
    n = 160
    rng = np.random.default_rng(2024)
    diffs: dict[tuple[int, str], list[float]] = {}
    for r in range(n):
        rep = Replicate(sc, r)
        pop = rep.population
        for s, spec in enumerate(sc.strategies):
            plan = rep.plan(spec)
            traj = simulate(pop, plan, sc.dynamics, sc.network.weak_tie,
                            rng=rep.stream(DYNAMICS))
            ref = naive_run(pop, plan, sc.dynamics, sc.network.weak_tie, rng)
            eng = traj.new_by_cause.sum(axis=0)  # cause × segment
            for key, e, f in [
                ("target segment", eng[:, 0].sum(), ref["total"][0]),
                ("other segments", eng[:, 1:].sum(), ref["total"][1:].sum()),
                ("marketing", eng[CAUSE_MARKETING].sum(), ref["marketing"].sum()),
                ("wom", eng[CAUSE_WOM].sum(), ref["wom"].sum()),
                *([("background", eng[BACKGROUND].sum(), ref["background"].sum())]
                  if sc.dynamics.background > 0 else []),
            ]:
                diffs.setdefault((s, key), []).append(float(e - f))
    assert_within_4_se(diffs)


def assert_within_4_se(diffs: dict[tuple[int, str], list[float]]) -> None:
    """Each paired engine − reference difference has mean zero within 4 standard errors."""
    for (s, key), d in diffs.items():
        d = np.asarray(d)
        se = d.std(ddof=1) / np.sqrt(d.size)
        assert se > 0, (s, key)
        z = d.mean() / se
        assert abs(z) < 4, f"strategy {s}, {key}: engine − reference = {d.mean():.2f} (z={z:.1f})"


@pytest.mark.parametrize("churn", [(0.25, 0.1, 0.0), (1.0, 0.3, 0.6)], ids=["some", "all"])
def test_engine_with_churn_agrees_with_the_naive_reference(churn):
    """Who leaves, and how leaving silences advocates and removes references: mean final
    size, adopters by cause and leavers per segment, within 4 SE (as above)."""
    sc = small_scenario(horizon=8, dynamics={"word_of_mouth": 0.3, "marketing": 0.1,
                                             "background": 0.02, "talk_weeks": 3,
                                             "generic_resonance": 0.5, "overlap": 0.3},
                        budget={"total": 3000, "cost_per_seed": 200, "cost_per_contact": 2,
                                "seed_share": 0.3, "campaign_weeks": 6})
    leave = np.array(churn)
    n = 160
    rng = np.random.default_rng(2025)
    diffs: dict[tuple[int, str], list[float]] = {}
    for r in range(n):
        rep = Replicate(sc, r)
        pop = rep.population
        for s, spec in enumerate(sc.strategies):
            plan = rep.plan(spec)
            traj = simulate(pop, plan, sc.dynamics, sc.network.weak_tie,
                            rng=rep.stream(DYNAMICS), churn=leave)
            ref = naive_run(pop, plan, sc.dynamics, sc.network.weak_tie, rng, churn=leave)
            eng = traj.new_by_cause.sum(axis=0)
            left = traj.churned.sum(axis=(0, 1))
            for key, e, f in [
                ("target segment", eng[:, 0].sum(), ref["total"][0]),
                ("other segments", eng[:, 1:].sum(), ref["total"][1:].sum()),
                ("wom", eng[CAUSE_WOM].sum(), ref["wom"].sum()),
                ("left in a", left[0], ref["left"][0]),
                ("left in b", left[1], ref["left"][1]),
            ]:
                diffs.setdefault((s, key), []).append(float(e - f))
            assert left[2] == ref["left"][2] == 0 or churn[2] > 0
    assert_within_4_se(diffs)


def test_the_kernel_generator_is_uniform_and_seeded():
    """xoshiro256** draws: uniform doubles and bounded integers (chi-square, 4 SE)."""
    import numba

    from wom.engine.rng import below as _below
    from wom.engine.rng import new_state
    from wom.engine.rng import seed_state as _seed_state
    from wom.engine.rng import uniform as _uniform

    @numba.njit
    def draws(state, n, bound):
        u = np.empty(n)
        k = np.empty(n, np.int64)
        for i in range(n):
            u[i] = _uniform(state)
            k[i] = _below(state, bound)
        return u, k

    n, bins = 200_000, 20
    u, k = draws(new_state(np.random.default_rng(3)), n, bins)
    assert u.min() >= 0.0 and u.max() < 1.0 and k.min() >= 0 and k.max() < bins
    for counts in (np.histogram(u, bins=bins, range=(0, 1))[0], np.bincount(k, minlength=bins)):
        chi2 = ((counts - n / bins) ** 2 / (n / bins)).sum()
        # chi-square with 19 degrees of freedom: mean 19, sd sqrt(38)
        assert abs(chi2 - (bins - 1)) < 4 * np.sqrt(2 * (bins - 1))
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 4 / np.sqrt(n)
    a, b = np.zeros(4, np.uint64), np.zeros(4, np.uint64)
    _seed_state(a, 12345)
    _seed_state(b, 12345)
    assert np.array_equal(draws(a, 10, 7)[0], draws(b, 10, 7)[0])
    assert a.any()


def test_seed_only_runs_are_reproducible_and_match_their_mean():
    from wom.engine import Cascades

    sc = small_scenario(dynamics={"word_of_mouth": 0.2, "talk_weeks": 2})
    pop = Replicate(sc, 0).population
    c = Cascades(pop, sc.dynamics, sc.network.weak_tie, sc.horizon)
    seeds = np.flatnonzero(pop.adoptable)[:5].astype(np.int32)
    msg = pop.segment[seeds].astype(np.int32)
    runs = np.arange(40)
    each = c.customers(seeds, msg, runs)
    assert np.array_equal(each, c.customers(seeds, msg, runs))  # the state is left clean
    assert c.mean_customers(seeds, msg, runs) == pytest.approx(each.mean())
    assert each.min() >= 5 and each.std() > 0


@pytest.mark.parametrize("talk_weeks", [1, 3])
def test_the_one_message_fast_path_agrees_with_the_full_rule(talk_weeks):
    """Seed-only runs with one message and no references take a shortcut (first success
    adopts); its mean final size must match the full rule's within 4 SE."""
    from wom.engine import Cascades

    sc = small_scenario(
        segments=[{"name": "a", "size": 300}, {"name": "b", "size": 200}],
        network={"mean_degree": 6, "mixing": 0.3, "weak_tie": 0.6},
        dynamics={"word_of_mouth": 0.25, "talk_weeks": talk_weeks, "overlap": 0.4},
    )
    pop = Replicate(sc, 0).population
    c = Cascades(pop, sc.dynamics, sc.network.weak_tie, sc.horizon)
    seeds = np.arange(0, 300, 60, dtype=np.int32)  # segment a, its tailored message 0
    msg = np.zeros(seeds.size, np.int32)
    runs = np.arange(1500)
    fast = c.mean_customers(seeds, msg, runs)
    full = c.customers(seeds, msg, runs + 10_000)  # the general kernel, other run seeds
    se = full.std(ddof=1) / np.sqrt(runs.size) * np.sqrt(2)
    assert full.mean() > 3 * seeds.size  # the cascades are not trivial
    assert abs(fast - full.mean()) < 4 * se, (fast, full.mean(), se)


@pytest.mark.parametrize("kind", ["focused", "broad", "multi"])
def test_a_fixed_plan_in_one_compiled_call_equals_stepping_from_python(kind):
    """run_to_horizon runs a plan that does not react in one call; stepping the same
    replicate from Python (as the Mesa model does) must give the same numbers exactly."""
    spec = {"focused": {"segment": "a"}, "broad": {}, "multi": {"segments": ["a", "c"]}}[kind]
    sc = small_scenario(strategies=[{"name": "s", "kind": kind, **spec}])
    for r in range(3):
        fast = Replicate(sc, r).simulation("s")
        assert not fast.plan.reacts
        traj = run_to_horizon(fast)
        slow = Replicate(sc, r).simulation("s")
        new = np.zeros_like(traj.new_by_cause)
        spend = np.zeros_like(traj.spend)
        for t in range(slow.horizon):
            c = slow.step()
            new[t] = c.new_by_cause
            spend[t] = c.seeded * slow.plan.seed_cost + c.reached * slow.plan.contact_cost
        assert np.array_equal(traj.new_by_cause, new) and np.array_equal(traj.spend, spend)
        assert np.array_equal(fast.adopted_at, slow.adopted_at)
        assert fast.t == slow.t == sc.horizon and traj.new_by_cause.sum() > 0


def test_background_alone_is_a_binomial_trial_per_open_person_and_step():
    """No seeds, no marketing, no word of mouth: each open person adopts in a step with
    chance b, so after H steps the customers are Binomial(open, 1 − (1 − b)^H); all carry
    the generic message and the cause `background`. Mean over replicates within 4 SE."""
    b, horizon = 0.03, 10
    sc = small_scenario(horizon=horizon, budget={"total": 0},
                        dynamics={"word_of_mouth": 0.0, "marketing": 0.0, "background": b},
                        segments=[{"name": "a", "size": 300, "tam": 0.8, "incumbent": 0.1},
                                  {"name": "b", "size": 200}],
                        strategies=[{"name": "none", "kind": "broad"}])
    got = []
    for r in range(60):
        sim = Replicate(sc, r).simulation("none")
        while sim.t < sim.horizon:
            sim.step()
        adopted = sim.adopted_at >= 0
        assert set(sim.cause[adopted].tolist()) <= {BACKGROUND}
        assert (sim.message[adopted] == len(sc.segments)).all()  # the generic message
        assert not (adopted & ~sim.population.adoptable).any()
        got.append(adopted.sum())
    open_people = round(0.8 * 300) - round(0.1 * 300) + 200
    share = 1 - (1 - b) ** horizon
    mean, sd = open_people * share, np.sqrt(open_people * share * (1 - share))
    assert abs(np.mean(got) - mean) < 4 * sd / np.sqrt(len(got))
    assert np.std(got, ddof=1) == pytest.approx(sd, rel=0.35)


def test_background_needs_references_like_every_trial_but_seeding():
    """With references nobody can have, only the early market ever adopts from outside."""
    sc = small_scenario(horizon=30, budget={"total": 0},
                        dynamics={"word_of_mouth": 0.0, "marketing": 0.0, "background": 0.2},
                        segments=[{"name": "a", "size": 400, "early_market": 0.25,
                                   "references": 1000}],
                        strategies=[{"name": "none", "kind": "broad"}])
    sim = Replicate(sc, 0).simulation("none")
    while sim.t < sim.horizon:
        sim.step()
    adopted = sim.adopted_at >= 0
    assert adopted.sum() > 0.9 * 100 and not (adopted & (sim.population.references > 0)).any()


@pytest.mark.parametrize("overlap", [
    0.35, 0,
    {"default": 0.1, "a": {"b": 0.7, "zz": 0.9}, "c": {"a": 0.0, "c": 0.5}},
    {"b": {"a": 0.25}},            # no default: 0.2
    {"default": 0.05, "default2": 0.3, "d": 0.6},  # a number as a row is no row
])
def test_the_resonance_matrix_is_overlap_of_for_every_pair(overlap):
    """Built without a Python loop over pairs (many segments, issue 14 item 5), it must say
    what Dynamics.overlap_of says for every pair, the generic message in the last row."""
    from wom.config.schema import Dynamics
    from wom.engine.state import resonance_matrix

    dyn = Dynamics(overlap=overlap, generic_resonance=0.4)
    names = ["a", "b", "c", "d", "default"]
    r = resonance_matrix(dyn, names)
    assert r.dtype == np.float64 and r.shape == (6, 5)
    for m, w in enumerate(names):
        for k, h in enumerate(names):
            assert r[m, k] == dyn.overlap_of(w, h), (w, h)
    assert (r[5] == 0.4).all()
