"""The Mesa view: same numbers as the runner, agents as views, data frame, layout."""

from __future__ import annotations

import multiprocessing

import networkx as nx
import numpy as np
import pytest
from mesa.batchrunner import batch_run
from mesa.discrete_space import Network

import wom
from helpers import accounts_scenario, waiting_now
from wom.abm import WomModel
from wom.engine import CAUSES
from wom.engine import MARKETING as CAUSE_MARKETING
from wom.engine import SEED as CAUSE_SEED
from wom.engine import WOM as CAUSE_WOM
from wom.experiment import Replicate, run_replicate, stream
from wom.market import segment_layout, segment_positions
from wom.market.layout import CLUSTER, segment_centres, segment_radii

SEGMENTS = ("a", "b", "c")


def scenario(**overrides) -> wom.Scenario:
    """Three segments of 200 people, focused vs broad, 15 weeks."""
    data = {
        "name": "model",
        "seed": 11,
        "horizon": 15,
        "replicates": 4,
        "segments": [
            {"name": "a", "size": 200, "tam": 0.8, "incumbent": 0.1,
             "early_market": 0.3, "references": 1},
            {"name": "b", "size": 200},
            {"name": "c", "size": 200, "tam": 0.6},
        ],
        "network": {"mean_degree": 8, "mixing": 0.1},
        "dynamics": {"word_of_mouth": 0.2, "marketing": 0.05},
        "budget": {"total": 6000, "cost_per_seed": 500, "cost_per_contact": 2},
        "strategies": [
            {"name": "focused", "kind": "focused", "segment": "b", "seeding": "poster_child"},
            {"name": "broad", "kind": "broad", "seeding": "random"},
        ],
    }
    data.update(overrides)
    return wom.scenario_from_dict(data)


@pytest.fixture(scope="module")
def sc() -> wom.Scenario:
    return scenario()


def run_to_horizon(model: WomModel) -> np.ndarray:
    """Step to the horizon; ``int[horizon, 3, S]`` new adopters by cause per step."""
    new = []
    while model.running:
        model.step()
        new.append(model.last_step.new_by_cause)
    return np.array(new)


@pytest.mark.parametrize("replicate", [0, 3])
def test_stepping_to_the_horizon_gives_the_runners_replicate(sc, replicate):
    expected, _, _ = run_replicate(sc, replicate)
    for s, spec in enumerate(sc.strategies):
        model = WomModel(sc, spec.name, replicate)
        got = run_to_horizon(model)
        assert got.shape == expected[s].shape
        np.testing.assert_array_equal(got, expected[s])
        final = expected[s].sum(axis=(0, 1))
        np.testing.assert_array_equal(model.simulation.adopters_by_segment(), final)
        frame = model.datacollector.get_model_vars_dataframe()
        np.testing.assert_array_equal(frame.iloc[-1][list(SEGMENTS)].to_numpy(), final)
        for c, cause in enumerate(CAUSES):
            np.testing.assert_array_equal(
                frame[f"new_by_{cause}"].to_numpy()[1:], expected[s][:, c].sum(axis=1)
            )
    # Otherwise the equality above would say little.
    by_cause = expected.sum(axis=(0, 1, 3))
    assert by_cause[CAUSE_SEED] > 0 and by_cause[CAUSE_MARKETING] > 0 and by_cause[CAUSE_WOM] > 0


def test_strategy_defaults_to_the_first_and_unknown_names_are_refused(sc):
    model = WomModel(sc)
    assert model.strategy.name == "focused"
    assert model.wom_scenario is sc
    with pytest.raises(ValueError, match="unknown strategy 'nope'"):
        WomModel(sc, "nope")


def test_people_are_views_on_the_engine_state(sc):
    model = WomModel(sc, "focused", 1)
    people = list(model.agents)
    assert len(people) == model.population.n
    assert not any(p.adopted for p in people)
    assert all(p.cause is None and p.message is None and p.adopted_at is None for p in people)
    for _ in range(6):
        model.step()
    sim, pop = model.simulation, model.population
    adopters = [p for p in people if p.adopted]
    assert 0 < len(adopters) == sim.adopters
    causes = [p.cause for p in adopters]
    for c, cause in enumerate(CAUSES):
        assert causes.count(cause) == int(np.sum(sim.cause == c))
    # A focused campaign speaks segment b's language; advocates retell it.
    assert {p.message for p in adopters} == {"b"}
    talkers = sum(p.advocating for p in people)
    recent = (sim.adopted_at >= 0) & (sim.adopted_at >= sim.t - sim.talk_weeks)
    assert 0 < talkers == int(recent.sum()) < len(adopters)
    assert all(p.eligible and not p.incumbent for p in adopters)
    assert sum(p.incumbent for p in people) == int(pop.incumbent.sum()) > 0
    for p in people[::37]:
        assert p.cell.coordinate == p.person
        assert p.segment == pop.segment_names[pop.segment[p.person]]


def test_broad_adopters_carry_the_generic_message(sc):
    model = WomModel(sc, "broad", 0)
    for _ in range(4):
        model.step()
    assert {p.message for p in model.agents if p.adopted} == {"generic"}


def test_data_frame_has_a_row_per_step_and_consistent_columns(sc):
    model = WomModel(sc, "broad", 2)
    run_to_horizon(model)
    assert not model.running
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == sc.horizon + 1
    # The row before the first step is week -1; then week t is timeseries.csv's step t.
    assert frame["week"].tolist() == list(range(-1, sc.horizon))
    assert (frame.iloc[0].drop("week") == 0).all()
    np.testing.assert_array_equal(frame[list(SEGMENTS)].sum(axis=1), frame["adopters"])
    assert (frame[list(SEGMENTS)].diff().iloc[1:] >= 0).all().all()
    new = frame[[f"new_by_{c}" for c in CAUSES]].sum(axis=1)
    np.testing.assert_array_equal(new.iloc[1:], frame["adopters"].diff().iloc[1:])
    assert frame["adopters"].iloc[-1] > 0
    with pytest.raises(RuntimeError, match="horizon"):
        model.step()


def test_a_segment_named_like_a_data_column_is_refused():
    segments = [{"name": n, "size": 50} for n in ("b", "adopters")]
    with pytest.raises(ValueError, match="adopters"):
        WomModel(scenario(segments=segments))


def test_layout_groups_people_by_segment(sc):
    pop = Replicate(sc, 0).population
    pos = segment_positions(pop, rng=np.random.default_rng(5))
    assert pos.shape == (pop.n, 2)
    assert np.isfinite(pos).all()
    centroids = np.array([pos[pop.segment == k].mean(axis=0) for k in range(pop.n_segments)])
    spread = np.linalg.norm(pos - centroids[pop.segment], axis=1)
    gaps = [np.linalg.norm(centroids[i] - centroids[j])
            for i in range(pop.n_segments) for j in range(i + 1, pop.n_segments)]
    assert min(gaps) > 2 * np.median(spread)
    as_dict = segment_layout(pop, rng=np.random.default_rng(5))
    assert sorted(as_dict) == list(range(pop.n))
    np.testing.assert_array_equal(np.array([as_dict[v] for v in range(pop.n)]), pos)


def test_layout_disks_grow_with_the_square_root_of_segment_size():
    sc = scenario(segments=[{"name": "a", "size": 100}, {"name": "b", "size": 400}])
    pop = Replicate(sc, 0).population
    pos = segment_positions(pop, rng=np.random.default_rng(1))
    spread = [np.linalg.norm(pos[pop.segment == k] - pos[pop.segment == k].mean(axis=0),
                             axis=1).mean() for k in range(2)]
    # Mean distance to the centre of a uniform disk is 2r/3; 100 points: ~4% standard error.
    assert spread[1] / spread[0] == pytest.approx(2.0, rel=0.15)


def test_the_model_places_people_by_the_segment_layout(sc):
    a, b = WomModel(sc, "focused", 1), WomModel(sc, "broad", 1)
    pos_a = np.array([a.grid._cells[v].position for v in range(a.population.n)])
    pos_b = np.array([b.grid._cells[v].position for v in range(b.population.n)])
    # The same replicate looks the same whatever the strategy.
    np.testing.assert_array_equal(pos_a, pos_b)
    expected = segment_positions(a.population, rng=stream(sc.seed, 1, 4))
    np.testing.assert_array_equal(pos_a, expected)


def test_a_large_market_builds_without_a_spring_layout(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("spring_layout is O(N²) per iteration; use wom.market.layout")

    # Network's default layout is bound at import, so patch the default as well as the module.
    defaults = Network.__init__.__defaults__
    patched = tuple(refuse if d is nx.spring_layout else d for d in defaults)
    assert refuse in patched
    monkeypatch.setattr(Network.__init__, "__defaults__", patched)
    monkeypatch.setattr(nx, "spring_layout", refuse)
    monkeypatch.setattr(nx.drawing.layout, "spring_layout", refuse)
    sc = scenario(
        segments={"count": 5, "size": 2000},
        strategies=[{"name": "broad", "kind": "broad", "seeding": "random"}],
    )
    model = WomModel(sc)
    assert len(model.agents) == 10_000
    assert all(np.isfinite(cell.position).all() for cell in model.grid.all_cells)
    model.step()
    assert model.simulation.t == 1


def test_batch_run_varies_replicates(sc, monkeypatch):
    # batch_run forces the "spawn" start method process-wide; one process needs none.
    # A Scenario is iterable (pydantic), so batch_run needs it wrapped in a list.
    monkeypatch.setattr(multiprocessing, "set_start_method", lambda *a, **k: None)
    rows = batch_run(WomModel, {"wom_scenario": [sc], "strategy": "broad", "replicate": [0, 3]},
                     display_progress=False)
    final = {row["replicate"]: row["adopters"] for row in rows}
    for r in (0, 3):
        expected, _, _ = run_replicate(sc, r)
        assert final[r] == expected[1].sum()
    with pytest.raises(ValueError, match="replicate"):
        WomModel(sc, rng=42)


def test_week_t_is_timeseries_step_t_in_the_model_the_app_and_the_snapshot(sc):
    """One convention (docs/model.md, "Weeks"): week t is the run's step t, counted at its
    end. The app once said "Week 13" where timeseries.csv and the snapshot said step 12."""
    from wom.app import Lesson
    from wom.viz.snapshot import customers_by

    series = wom.run(sc, replicates=1, workers=1).timeseries()
    by_step = series[series.strategy == "broad"].groupby("step")["adopters"].sum()
    model = WomModel(sc, "broad", 0)
    run_to_horizon(model)
    frame = model.datacollector.get_model_vars_dataframe().set_index("week")
    np.testing.assert_array_equal(frame.loc[0:, "adopters"], by_step.to_numpy())
    lesson = Lesson(sc, "broad")
    assert lesson.week_label == f"Before week 0 (weeks 0–{sc.horizon - 1})"
    for t in range(sc.horizon):
        lesson.step()
        assert lesson.week == t
        assert lesson.week_label == f"Week {t} (weeks 0–{sc.horizon - 1})"
        assert lesson.models[0].simulation.adopters == by_step[t]
        assert customers_by(lesson.models[0].simulation.adopted_at, t) == by_step[t]


def test_with_churn_the_model_the_app_and_the_snapshot_count_customers_who_stayed(sc):
    """Customers who left (issue 15) are not drawn or counted as customers anywhere: week t
    shows adopters by then less those who had left by then, as timeseries.csv says."""
    from wom.app import Lesson
    from wom.viz.snapshot import _run, customers_by

    churning = sc.model_copy(update={"segments": [
        g.model_copy(update={"churn": 0.2}) for g in sc.segments]})
    series = wom.run(churning, replicates=1, workers=1).timeseries()
    broad = series[series.strategy == "broad"].groupby("step")
    stayed = (broad["adopters"].sum() - broad["churned"].sum().cumsum()).to_numpy()
    assert broad["churned"].sum().sum() > 0  # the case is not empty
    model = WomModel(churning, "broad", 0)
    run_to_horizon(model)
    frame = model.datacollector.get_model_vars_dataframe().set_index("week")
    np.testing.assert_array_equal(frame.loc[0:, "customers"], stayed)
    np.testing.assert_array_equal(frame.loc[0:, list(SEGMENTS)].sum(axis=1), stayed)
    np.testing.assert_array_equal(frame.loc[0:, "churned"], broad["churned"].sum())
    lesson = Lesson(churning, "broad")
    adopted_at, left_at = _run(Replicate(churning, 0), churning.strategy("broad"))
    for t in range(churning.horizon):
        lesson.step()
        assert lesson.models[0].customers == stayed[t]
        assert customers_by(adopted_at, t, left_at) == stayed[t]


# --- a market of accounts (issue 16) ---------------------------------------------------------

def test_the_layout_of_a_market_without_accounts_is_as_it_was(sc):
    """Accounts must not move anyone in a market of individuals: the positions are those
    of the layout before accounts (each person's radius, then angle, one draw each)."""
    pop = Replicate(sc, 2).population
    assert pop.accounts is None
    seg = pop.segment
    rng = stream(sc.seed, 2, 4)
    sizes = np.bincount(seg, minlength=pop.n_segments)
    angle = 2.0 * np.pi * np.arange(pop.n_segments) / pop.n_segments
    centres = np.column_stack([np.cos(angle), np.sin(angle)])
    radii = 0.45 * 2.0 * np.sin(np.pi / pop.n_segments) * np.sqrt(sizes / sizes.max())
    r = radii[seg] * np.sqrt(rng.random(seg.size))
    theta = 2.0 * np.pi * rng.random(seg.size)
    before = centres[seg] + np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    np.testing.assert_array_equal(segment_positions(pop, rng=stream(sc.seed, 2, 4)), before)


def _account_centres(pos, accounts):
    return np.array([pos[accounts.members[accounts.ptr[a]:accounts.ptr[a + 1]]].mean(axis=0)
                     for a in range(accounts.n)])


def test_the_members_of_an_account_are_drawn_together():
    sc = accounts_scenario()
    pop = Replicate(sc, 0).population
    accounts = pop.accounts
    pos = segment_positions(pop, rng=stream(sc.seed, 0, 4))
    assert np.isfinite(pos).all()
    centres = _account_centres(pos, accounts)
    # Everyone is nearer their own account's centre than any other account's...
    d = np.linalg.norm(pos[:, None, :] - centres[None, :, :], axis=2)
    np.testing.assert_array_equal(d.argmin(axis=1), accounts.account)
    # ... and the gap between neighbouring accounts (all of one size here) is wider than
    # an account: what is left of the distance between their centres once each takes its
    # radius is more than a cluster's diameter, so each account reads as a group.
    own = np.linalg.norm(pos - centres[accounts.account], axis=1)
    reach = np.zeros(accounts.n)
    np.maximum.at(reach, accounts.account, own)
    apart = np.linalg.norm(centres[:, None] - centres[None, :], axis=2)
    np.fill_diagonal(apart, np.inf)
    assert (apart.min(axis=1) - 2 * reach > 2 * reach).all()
    # Segments stay apart, inside their disks.
    disks = segment_centres(pop.n_segments)
    radii = segment_radii(np.bincount(pop.segment))
    assert (np.linalg.norm(pos - disks[pop.segment], axis=1) <= radii[pop.segment]).all()
    # Drawn from the replicate's layout stream: the same again, another for another replicate.
    np.testing.assert_array_equal(segment_positions(pop, rng=stream(sc.seed, 0, 4)), pos)
    assert not np.array_equal(segment_positions(pop, rng=stream(sc.seed, 1, 4)), pos)


def test_accounts_of_many_sizes_and_people_alone_in_one_market():
    """Accounts of 1, 5 and 20 in one segment each sit in a small disk; a segment without
    `accounts:` (accounts of one) is scattered over its disk as without accounts."""
    sc = accounts_scenario(segments=[
        {"name": "clinics", "size": 1000, "accounts": {"sizes": {1: 0.5, 5: 0.3, 20: 0.2}}},
        {"name": "shops", "size": 1000}])
    pop = Replicate(sc, 0).population
    accounts = pop.accounts
    pos = segment_positions(pop, rng=stream(sc.seed, 0, 4))
    sizes = accounts.sizes()
    assert {1, 5, 20} <= set(sizes.tolist())
    centres = _account_centres(pos, accounts)
    own = np.linalg.norm(pos - centres[accounts.account], axis=1)
    radius = segment_radii(np.bincount(pop.segment))[0]
    clinic = accounts.segment[accounts.account] == 0
    # A cluster's radius: CLUSTER × the radius of a disk holding its share of the segment.
    limit = CLUSTER * radius * np.sqrt(sizes[accounts.account] / 1000)
    assert (own[clinic] <= limit[clinic] * (1 + 1e-9)).all()
    assert (own[sizes[accounts.account] == 1] == 0).all()
    # The shops: uniform over their disk, whose mean distance to the centre is 2r/3 (1,000
    # people: the standard error is about 0.75% of it; 4 standard errors allowed).
    shops = pop.segment == 1
    r = np.linalg.norm(pos[shops] - segment_centres(2)[1], axis=1)
    assert r.mean() == pytest.approx(2 / 3 * segment_radii(np.bincount(pop.segment))[1],
                                     rel=0.03)


def _run_with_engine(sc, strategy):
    """The model and, step by step alongside it, the engine's own Simulation."""
    model = WomModel(sc, strategy, 0)
    sim = Replicate(sc, 0).simulation(sc.strategy(strategy))
    return model, sim


@pytest.mark.parametrize("strategy", ["focused", "broad"])
def test_the_frame_of_a_market_of_accounts_counts_accounts_and_people_waiting(strategy):
    sc = accounts_scenario()
    model, sim = _run_with_engine(sc, strategy)
    waiting = [0]
    while model.running:
        model.step()
        sim.step()
        waiting.append(int(waiting_now(sim).sum()))
        np.testing.assert_array_equal(model.accounts_by_segment, sim.accounts_by_segment())
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["waiting"].tolist() == waiting
    # The run's numbers (wom.run, replicate 0): accounts won less accounts lost, so far.
    results = wom.run(sc, replicates=1, workers=1)
    rows = results.accounts[results.strategies.index(strategy), 0]  # [step, row, segment]
    won, lost = rows[:, 0].sum(axis=1), rows[:, 2].sum(axis=1)
    np.testing.assert_array_equal(frame["accounts"].to_numpy()[1:], np.cumsum(won - lost))
    assert frame["accounts"].iloc[0] == 0
    assert frame["accounts"].max() > 0 and max(waiting) > 0


def test_the_engines_count_of_people_waiting_is_the_people_waiting():
    """docs/model.md: people convinced in accounts that have not bought are counted as
    `waiting`. The Mesa frame, the app and the snapshot count them person by person; the
    engine's tally (which the time series would report) should agree."""
    sc = accounts_scenario()
    sim = Replicate(sc, 0).simulation(sc.strategy("focused"))
    pop = sim.population
    for _ in range(sc.horizon):
        sim.step()
        by_person = np.bincount(pop.segment[waiting_now(sim)], minlength=pop.n_segments)
        np.testing.assert_array_equal(sim.waiting_by_segment(), by_person)


def test_people_of_accounts_show_their_account_roles_and_conviction():
    sc = accounts_scenario()
    model = WomModel(sc, "focused", 0)
    for _ in range(5):
        model.step()
    sim, accounts = model.simulation, model.population.accounts
    people = sorted(model.agents, key=lambda p: p.person)
    assert [p.account for p in people] == accounts.account.tolist()
    # Each account's one buyer and one payer (the same person in some), as the arrays say.
    for role, who in (("buyer", accounts.buyer), ("payer", accounts.payer)):
        holders = [p for p in people if role in p.roles]
        assert sorted(p.person for p in holders) == sorted(who.tolist())
        assert sorted(p.account for p in holders) == list(range(accounts.n))
    both = [p for p in people if {"buyer", "payer"} <= set(p.roles)]
    assert len(both) == int((accounts.buyer == accounts.payer).sum()) > 0
    assert all(p.role == "+".join(p.roles) for p in people)
    assert sum(p.role == "user" for p in people) > accounts.n  # the rest use
    convinced = [p for p in people if p.convinced]
    assert len(convinced) == int(sim.convinced().sum()) > 0
    assert all(0 <= p.convinced_at <= model.simulation.t - 1 for p in convinced)
    assert all(p.convinced_at is None for p in people if not p.convinced)
    assert sum(p.waiting for p in people) == model.waiting > 0
    assert all(p.convinced for p in people if p.adopted)
    # An account buys as one: its members are all customers or none is.
    for a in range(accounts.n):
        bought = {people[v].adopted for v in accounts.members[accounts.ptr[a]:accounts.ptr[a + 1]]}
        assert len(bought) == 1


def test_without_accounts_everyone_buys_alone_and_the_frame_is_as_it_was(sc):
    model = WomModel(sc, "broad", 0)
    for _ in range(4):
        model.step()
    assert model.convinced_at is None and model.accounts == 0 and model.waiting == 0
    people = list(model.agents)
    assert {p.account for p in people} == {None}
    assert {p.role for p in people} == {"user+buyer+payer"}
    assert all(p.convinced == p.adopted and p.convinced_at == p.adopted_at for p in people)
    assert not any(p.waiting for p in people)
    frame = model.datacollector.get_model_vars_dataframe()
    assert "accounts" not in frame.columns and "waiting" not in frame.columns
    # Segments may then be named like the account columns; with accounts they may not.
    WomModel(scenario(segments=[{"name": "waiting", "size": 50}, {"name": "b", "size": 50}]))
    with pytest.raises(ValueError, match="waiting"):
        WomModel(accounts_scenario(
            segments=[{"name": "waiting", "size": 50, "accounts": {"size": 5}},
                      {"name": "b", "size": 50}],
            strategies=[{"name": "broad", "kind": "broad"}]))
