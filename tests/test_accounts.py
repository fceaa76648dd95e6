"""Accounts (issue 16, docs/model.md §2 "Accounts: buyer, payer and users"): accounts of one
are today's market byte for byte, the engine agrees with a naive reference of the account
rule, and the pieces (account sizes, roles, traits per account, aimed contacts) do what the
model says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import wom
from helpers import small_scenario
from reference_accounts import CAUSES, largest_remainder, naive_accounts_run
from test_engine import assert_within_4_se
from wom.config.schema import Accounts
from wom.engine import MARKETING, NEVER, run_to_horizon
from wom.engine.accounts import _split
from wom.engine.state import ACC_LOST, ACC_WAITING, ACC_WON, AIM_NONE
from wom.experiment import Replicate
from wom.experiment.replicate import strengths
from wom.market import build_population
from wom.market.accounts import ALONE, BUYER, PAYER, USER, account_sizes, from_sizes

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
#: Every segment in accounts of one, as a user would write it (``--set``).
ALONE_SETTINGS = ["segments.*.accounts={size: 1}"]


def _accounts_of(sc: wom.Scenario, block: dict | None) -> wom.Scenario:
    """`sc` with `block` as every segment's ``accounts:`` (validated again)."""
    data = sc.model_dump(mode="json")
    for s in data["segments"]:
        s["accounts"] = block
    return wom.scenario_from_dict(data)


def _assert_same_results(a: wom.Results, b: wom.Results) -> None:
    """`b` (a market of accounts) has every number `a` (without accounts) has.

    A market of accounts gains columns (accounts won, waiting…) that a market of individuals
    does not have: the comparison is over the columns of `a`'s tables, so it keeps holding
    once they are there."""
    ta, tb = a.timeseries(), b.timeseries()
    assert set(ta.columns) <= set(tb.columns)
    assert ta.equals(tb[ta.columns])
    sa, sb = a.summary(), b.summary()
    assert set(sa.columns) <= set(sb.columns)
    assert sa.equals(sb[sa.columns])
    assert np.array_equal(a.new_by_cause, b.new_by_cause)
    assert np.array_equal(a.spend, b.spend)
    assert (a.churned is None) == (b.churned is None)
    if a.churned is not None:
        assert np.array_equal(a.churned, b.churned)


# ------------------------------------------------------------ accounts of one: today's market


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_accounts_of_one_reproduce_every_shipped_scenario_byte_for_byte(path):
    """Every shipped scenario, as it is and with ``accounts: {size: 1}`` on every segment:
    the same tables to the last bit (3 replicates, the scenario's own horizon). This runs
    the account stages (aimed contacts, convictions and purchases, churn of accounts) on
    markets of every shape the scenarios have: churn (quality-revenue), bowling pins stepped
    from Python (bowling-pins), a graph file (email-departments), references, incumbents."""
    sc = wom.load_scenario(path)
    if not sc.strategies:
        pytest.skip("no strategies to run")
    if sc.has_accounts:
        pytest.skip("a market of accounts already (buyer-payer-user): no market of "
                    "individuals to reproduce")
    if any(st.target for st in sc.strategies):
        pytest.skip("a target by attribute (mindset-vs-vertical) is refused with accounts, "
                    "of one too")
    alone = wom.load_scenario(path, ALONE_SETTINGS)
    assert alone.has_accounts and not sc.has_accounts
    rep = Replicate(alone, 0)
    assert rep.population.accounts is not None
    assert rep.simulation(alone.strategies[0]).params.accounts  # the account stages run
    a = wom.run(sc, replicates=3, workers=1)
    b = wom.run(alone, replicates=3, workers=1)
    _assert_same_results(a, b)
    assert a.new_by_cause.sum() > 0
    if any(sc.churn):  # not vacuous: customers did leave
        assert a.churned is not None and a.churned.sum() > 0


def _alone_case() -> wom.Scenario:
    """A small market with every mechanism on: references, an incumbent, background, churn,
    and a beachhead plan that reacts (stepped from Python) beside fixed ones."""
    return small_scenario(
        horizon=16,
        segments=[
            {"name": "a", "size": 120, "tam": 0.8, "incumbent": 0.1, "early_market": 0.3,
             "references": 1, "churn": 0.15},
            {"name": "b", "size": 90, "churn": 0.3},
            {"name": "c", "size": 60, "tam": 0.5},
        ],
        dynamics={"word_of_mouth": 0.2, "marketing": 0.15, "background": 0.01,
                  "talk_weeks": 3, "generic_resonance": 0.5, "overlap": 0.3},
        strategies=[
            {"name": "focused", "kind": "focused", "segment": "a", "seeding": "poster_child"},
            {"name": "broad", "kind": "broad", "seeding": "random"},
            {"name": "pins", "kind": "beachhead", "order": ["a", "b", "c"], "trigger": 0.05},
        ],
    )


@pytest.mark.parametrize("block", [
    {"size": 1},
    {"sizes": {1: 1.0}},                              # a distribution that is all ones
    {"size": 1, "buyer_is_payer": 0.5, "strength": 9},  # no buyer who could fail to pay
], ids=["size", "sizes", "buyer_is_payer"])
def test_accounts_of_one_are_the_market_of_individuals_person_by_person(block):
    """With churn (leave_accounts draws as leave does), references, background and a
    beachhead stepped from Python: the same person adopts at the same step, by the same
    cause, with the same message, and leaves at the same step; the same trajectories."""
    sc = _alone_case()
    alone = _accounts_of(sc, block)
    pins = 0
    for r in range(3):
        for spec in sc.strategies:
            x = Replicate(sc, r).simulation(spec.name)
            y = Replicate(alone, r).simulation(spec.name)
            assert y.population.accounts is not None and y.params.accounts
            assert y.population.accounts.n == y.population.n
            assert x.plan.reacts == y.plan.reacts
            tx, ty = run_to_horizon(x), run_to_horizon(y)
            for name in ("new_by_cause", "spend", "churned"):
                assert np.array_equal(getattr(tx, name), getattr(ty, name)), name
            for name in ("adopted_at", "cause", "message", "left_at"):
                assert np.array_equal(getattr(x, name), getattr(y, name)), name
            assert x.n_adopted == y.n_adopted
            assert np.array_equal(x.order[:x.n_adopted], y.order[:y.n_adopted])
            # The account counts say the same in accounts: one per customer, nobody waits.
            assert np.array_equal(ty.accounts[:, ACC_WON], tx.new_by_cause.sum(axis=1))
            assert np.array_equal(ty.accounts[:, ACC_LOST], tx.churned.sum(axis=1))
            assert not ty.accounts[:, ACC_WAITING].any()
            assert tx.churned.sum() > 0  # churn happened
            if x.plan.reacts:
                pins += len(x.plan.pins) > 1
    assert pins > 0  # the beachhead did move to its next pin


def test_runs_with_accounts_are_the_same_on_two_workers_as_on_one():
    """Reproducible: one seed fixes everything, however the replicates are shared out."""
    sc = _accounts_of(_alone_case(), {"size": 5, "buyer_is_payer": 0.3})
    one = wom.run(sc, replicates=6, workers=1)
    two = wom.run(sc, replicates=6, workers=2)
    assert one.timeseries().equals(two.timeseries())
    assert one.summary().equals(two.summary())
    assert one.accounts is not None and two.accounts is not None
    assert np.array_equal(one.accounts, two.accounts)
    assert one.accounts[:, :, :, ACC_WON].sum() > 0


# ------------------------------------------------------------------- the naive reference


def _reference_case(churn: tuple[float, float, float]) -> wom.Scenario:
    """A few hundred people in accounts of 3 to 6 (some buyers pay), a segment of
    individuals, references, background, aimed contacts and role resonances."""
    return small_scenario(
        horizon=8,
        segments=[
            {"name": "a", "size": 150, "tam": 0.8, "incumbent": 0.1, "early_market": 0.3,
             "references": 1, "churn": churn[0],
             "accounts": {"size": 4, "buyer_is_payer": 0.3, "strength": 2.0}},
            {"name": "b", "size": 120, "churn": churn[1],
             "accounts": {"sizes": {3: 0.5, 6: 0.5}, "buyer_is_payer": 0.5}},
            {"name": "c", "size": 60, "tam": 0.6, "churn": churn[2]},
        ],
        dynamics={"word_of_mouth": 0.15, "marketing": 0.3, "background": 0.02,
                  "talk_weeks": 2, "generic_resonance": 0.5, "overlap": 0.3},
        budget={"total": 3000, "cost_per_seed": 200, "cost_per_contact": 2,
                "seed_share": 0.3, "campaign_weeks": 6},
        strategies=[
            {"name": "features", "kind": "focused", "segment": "a", "seeding": "random",
             "aim": {"user": 0.4, "buyer": 0.3, "payer": 0.3},
             "resonance": {"user": 1.0, "buyer": 0.6, "payer": 0.2}},
            {"name": "roi", "kind": "broad", "seeding": "random",
             "aim": {"anyone": 0.5, "payer": 0.5},
             "resonance": {"user": 0.5, "buyer": 1.0, "payer": 0.8}},
        ],
    )


@pytest.mark.parametrize("churn", [(0.0, 0.0, 0.0), (0.2, 0.35, 0.1)],
                         ids=["no-churn", "churn"])
def test_engine_agrees_with_the_naive_account_reference(churn):
    """Mean seats (in the target segment and elsewhere, by cause), accounts won and lost,
    seats lost and people waiting, engine − reference within 4 SE.

    Engine and reference run on the same markets and plans with independent randomness, so
    each paired difference has mean zero if they implement the same rule."""
    sc = _reference_case(churn)
    rng = np.random.default_rng(2026)
    leave, strength = np.array(sc.churn), strengths(sc)
    diffs: dict[tuple[int, str], list[float]] = {}
    for r in range(150):
        rep = Replicate(sc, r)
        for s, spec in enumerate(sc.strategies):
            sim = rep.simulation(spec)
            traj = run_to_horizon(sim)
            ref = naive_accounts_run(rep.population, sim.plan, sc.dynamics,
                                     sc.network.weak_tie, rng, churn=leave, strength=strength)
            seats = traj.new_by_cause.sum(axis=0)  # cause × segment
            acc = traj.accounts.sum(axis=0)
            pairs = [
                ("seats in a", seats[:, 0].sum(), ref["seats"][0]),
                ("seats elsewhere", seats[:, 1:].sum(), ref["seats"][1:].sum()),
                *[(f"seats by {c}", seats[i].sum(), ref[c].sum())
                  for i, c in enumerate(CAUSES) if c != "seed"],
                ("accounts won", acc[ACC_WON].sum(), ref["accounts_won"].sum()),
                ("waiting", traj.accounts[-1, ACC_WAITING].sum(), ref["waiting"].sum()),
            ]
            if any(churn):
                pairs += [("accounts lost", acc[ACC_LOST].sum(), ref["accounts_lost"].sum()),
                          ("seats lost", traj.churned.sum(), ref["left"].sum())]
            for key, e, f in pairs:
                diffs.setdefault((s, key), []).append(float(e - f))
    assert_within_4_se(diffs)


def test_the_reference_splits_contacts_by_largest_remainder():
    assert largest_remainder(10, [0.25] * 4) == [3, 3, 2, 2]
    assert largest_remainder(7, [0.0, 0.5, 0.25, 0.25]) == [0, 3, 2, 2]
    assert largest_remainder(5, [1.0, 0.0, 0.0, 0.0]) == [5, 0, 0, 0]


# --------------------------------------------------------------- the engine's invariants


def _invariant_case() -> wom.Scenario:
    """Strong talk inside accounts and much marketing: members are often convinced in the
    step their account buys."""
    return small_scenario(
        horizon=10,
        segments=[
            {"name": "a", "size": 200, "accounts": {"sizes": {2: 0.3, 5: 0.7},
                                                   "buyer_is_payer": 0.2, "strength": 5}},
            {"name": "b", "size": 100, "churn": 0.2, "accounts": {"size": 3}},
        ],
        dynamics={"word_of_mouth": 0.2, "marketing": 0.6, "background": 0.05,
                  "talk_weeks": 2, "generic_resonance": 0.5, "overlap": 0.3},
        budget={"total": 3000, "cost_per_seed": 200, "cost_per_contact": 2,
                "seed_share": 0.3, "campaign_weeks": 6},
        strategies=[
            {"name": "focused", "kind": "focused", "segment": "a",
             "aim": {"anyone": 0.4, "buyer": 0.3, "payer": 0.3}},
            {"name": "broad", "kind": "broad", "resonance": {"payer": 0.5}},
        ],
    )


def test_people_waiting_are_the_convinced_of_accounts_that_have_not_bought():
    """After every step: `waiting` counts exactly the convinced people whose account has not
    bought; every member of an account that bought is a customer from that step; nobody is
    a customer whose account has not bought."""
    sc = _invariant_case()
    for r in range(6):
        for spec in sc.strategies:
            sim = Replicate(sc, r).simulation(spec)
            acc, seg = sim.population.accounts, sim.population.segment
            while sim.t < sim.horizon:
                counts = sim.step()
                bought = sim.people.bought_at[acc.account] != NEVER
                waiting = sim.convinced() & ~bought
                expect = np.bincount(seg[waiting], minlength=sim.population.n_segments)
                assert np.array_equal(sim.waiting_by_segment(), expect), sim.t
                assert np.array_equal(counts.accounts[ACC_WAITING], expect)
                assert np.array_equal(sim.adopted_at >= 0, bought)
                assert np.array_equal(sim.adopted_at[bought],
                                      sim.people.bought_at[acc.account[bought]])
            assert sim.accounts_bought > 0


def test_the_payers_conviction_closes_a_sale_it_completes_in_its_step():
    """The members nobody convinced take the cause and message of the conviction that
    closed the sale: the payer's when the payer was convinced in the step the account
    bought, else the buyer's (docs/model.md, accounts)."""
    sc = _invariant_case()
    closed = 0
    for r in range(6):
        for spec in sc.strategies:
            sim = Replicate(sc, r).simulation(spec)
            acc = sim.population.accounts
            before = sim.convinced().copy()
            while sim.t < sim.horizon:
                t = sim.t
                sim.step()
                now = sim.convinced()
                for a in np.flatnonzero(sim.people.bought_at == t):
                    b, p = acc.buyer[a], acc.payer[a]
                    closer = p if not before[p] else b
                    assert not (before[b] and before[p])  # else it would have bought before
                    assert sim.people.account_cause[a] == sim.cause[closer]
                    closed += 1
                before = now.copy()
    assert closed > 100


# ---------------------------------------------------------------- wom.market.accounts


def test_fixed_sizes_fill_the_segment_and_cut_the_last_short_drawing_nothing():
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    assert account_sizes(Accounts(size=5), 23, rng).tolist() == [5, 5, 5, 5, 3]
    assert account_sizes(Accounts(size=5), 20, rng).tolist() == [5] * 4
    assert account_sizes(Accounts(size=5), 3, rng).tolist() == [3]
    assert account_sizes(Accounts(size=1), 4, rng).tolist() == [1] * 4
    assert account_sizes(None, 3, rng).tolist() == [1] * 3
    assert account_sizes(Accounts(sizes={1: 1.0}), 4, rng).tolist() == [1] * 4
    assert rng.bit_generator.state == state  # nothing drawn


@pytest.mark.parametrize("people", [1, 2, 7, 19, 20, 21, 999])
def test_drawn_sizes_sum_to_the_segment(people):
    spec = Accounts(sizes={1: 0.5, 5: 0.3, 20: 0.2})
    for seed in range(30):
        z = account_sizes(spec, people, np.random.default_rng(seed))
        assert z.sum() == people and (z >= 1).all()
        assert set(z[:-1].tolist()) <= {1, 5, 20} and z[-1] <= 20


def test_drawn_sizes_follow_their_shares():
    """Share of each size among the accounts (the last, cut short, left out): within 4 SE
    of the shares given, the accounts drawn independently."""
    shares = {1: 0.5, 5: 0.3, 20: 0.2}
    z = np.concatenate([account_sizes(Accounts(sizes=shares), 20_000,
                                      np.random.default_rng(seed))[:-1]
                        for seed in range(10)])
    assert z.size > 20_000
    for size, p in shares.items():
        got = float((z == size).mean())
        assert abs(got - p) < 4 * np.sqrt(p * (1 - p) / z.size), (size, got)


def test_from_sizes_gives_every_account_one_buyer_and_one_payer():
    sizes = [np.array([1, 4, 2, 3]), np.array([5, 1])]
    pays = [np.array([False, True, False, False]), np.array([False, True])]
    acc = from_sizes(sizes, pays)
    assert acc.n == 6 and acc.account.size == 16
    assert acc.sizes().tolist() == [1, 4, 2, 3, 5, 1]
    assert acc.segment.tolist() == [0, 0, 0, 0, 1, 1]
    assert acc.by_segment(2).tolist() == [4, 2]
    for a in range(acc.n):
        m = acc.members[acc.ptr[a]:acc.ptr[a + 1]]
        assert (acc.account[m] == a).all()
        assert ((acc.role[m] & BUYER) > 0).sum() == 1 and acc.role[acc.buyer[a]] & BUYER
        assert ((acc.role[m] & PAYER) > 0).sum() == 1 and acc.role[acc.payer[a]] & PAYER
        assert acc.buyer[a] == m[0]  # the first member buys
        if m.size == 1:
            assert acc.role[m[0]] == ALONE and acc.payer[a] == m[0]
        else:
            # the buyer pays, or the second member does; the others use
            assert acc.payer[a] == (m[0] if a == 1 else m[1])
            assert (acc.role[m[2:]] == USER).all()
    assert acc.role[acc.buyer[1]] == BUYER | PAYER  # the buyer who pays uses nothing
    assert acc.role[acc.payer[2]] == PAYER


def test_accounts_share_the_tam_and_the_incumbent():
    """`tam` and `incumbent` are shares of accounts: every member of an account is inside
    the TAM, or the incumbent's, with the rest; round(tam · accounts) accounts are in."""
    sc = small_scenario(segments=[
        {"name": "a", "size": 203, "tam": 0.55, "incumbent": 0.2, "references": 1,
         "early_market": 0.3, "accounts": {"size": 4}},
        {"name": "b", "size": 300, "tam": 0.7,
         "accounts": {"sizes": {1: 0.4, 3: 0.4, 8: 0.2}, "buyer_is_payer": 0.5}},
        {"name": "c", "size": 50, "tam": 0.3},  # no block: accounts of one
    ])
    for seed in range(5):
        pop = build_population(sc, rng=np.random.default_rng(seed))
        acc = pop.accounts
        assert acc is not None
        for a in range(acc.n):
            m = acc.members[acc.ptr[a]:acc.ptr[a + 1]]
            assert len(set(pop.eligible[m].tolist())) == 1
            assert len(set(pop.incumbent[m].tolist())) == 1
            assert (pop.segment[m] == acc.segment[a]).all()
        per = acc.by_segment(3)
        assert per[2] == 50
        for k, seg in enumerate(sc.segments):
            mine = np.flatnonzero(acc.segment == k)
            tam = pop.eligible[acc.buyer[mine]].sum()
            assert tam == round(seg.tam * per[k])
            assert pop.incumbent[acc.buyer[mine]].sum() == min(round(seg.incumbent * per[k]),
                                                               tam)
        # References are still per person (the early market is a share of people).
        a = pop.segment == 0
        assert (pop.references[a] == 0).sum() == round(0.3 * 203)


@pytest.mark.parametrize("aim, holds", [
    ({"payer": 1.0}, PAYER),
    ({"buyer": 1.0}, BUYER),
    ({"user": 1.0}, USER),
], ids=["payer", "buyer", "user"])
def test_contacts_aimed_at_a_role_reach_only_people_of_that_role(aim, holds):
    """Marketing that always convinces (marketing = 1, every resonance 1), everyone open:
    after the first step the people convinced by a trial are exactly the contacts, all of
    the role aimed at, as many as bought (or everyone of that role in the segment). A
    contact who is both buyer and payer closes their account at once (its other members
    become customers without a trial of their own)."""
    sc = small_scenario(
        horizon=3,
        segments=[{"name": "a", "size": 200, "accounts": {"size": 5, "buyer_is_payer": 0.3}},
                  {"name": "b", "size": 60}],
        dynamics={"word_of_mouth": 0.0, "marketing": 1.0, "talk_weeks": 1,
                  "generic_resonance": 1.0, "overlap": 1.0},
        budget={"total": 60, "cost_per_seed": 200, "cost_per_contact": 1, "seed_share": 0.0,
                "campaign_weeks": 1},
        strategies=[{"name": "s", "kind": "focused", "segment": "a", "aim": aim}],
    )
    for r in range(4):
        sim = Replicate(sc, r).simulation("s")
        assert not np.array_equal(sim.plan.aim, AIM_NONE)
        counts = sim.step()
        acc, segment = sim.population.accounts, sim.population.segment
        of_role = ((acc.role & holds) > 0) & (segment == 0)
        bought = sim.people.bought_at[acc.account] != NEVER
        # Convinced by a trial: those waiting, and in each account bought its buyer-payer.
        closers = np.zeros_like(bought)
        closers[acc.buyer[sim.people.bought_at != NEVER]] = True
        assert (acc.buyer == acc.payer)[sim.people.bought_at != NEVER].all()
        by_trial = (sim.convinced() & ~bought) | closers
        assert by_trial.any() and not (by_trial & ~of_role).any()
        reached = int(counts.reached[0])
        assert reached == min(60, int(of_role.sum()))
        assert by_trial.sum() == reached
        assert (sim.cause[sim.convinced()] == MARKETING).all()
        if holds == USER:
            assert not bought.any()


def test_aimed_contacts_split_by_largest_remainder():
    """The engine's split of a segment's contacts over the groups aimed at: whole parts, then
    one more each for the largest remainders (ties: the first group)."""
    for c, aim in [(10, [0.25] * 4), (7, [0.0, 0.5, 0.25, 0.25]), (3, [0.0, 1 / 3, 1 / 3, 1 / 3]),
                   (5, [0.2, 0.2, 0.2, 0.4]), (9, [0.1, 0.3, 0.3, 0.3]), (1, [0.5, 0.5, 0, 0])]:
        out = np.zeros(4, np.int64)
        _split(c, np.array(aim), out)
        assert out.tolist() == largest_remainder(c, aim), (c, aim)
        assert out.sum() == c
