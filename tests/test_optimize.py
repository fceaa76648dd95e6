"""wom optimize: the plan space (kind mix), the optimize: block, known optima, determinism
across worker counts, and a confirmation on replicates the search never saw."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
import yaml
from click.testing import CliRunner

import wom
from wom.cli import main
from wom.config.optimize import Optimize
from wom.engine import run_to_horizon
from wom.experiment import optimize as opt
from wom.experiment import plans
from wom.viz.optimize import write_optimize

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def twins(**over: Any) -> dict[str, Any]:
    """Two identical segments with no ties between them and no word of mouth: a plan's
    customers are its seeds and the people its contacts convert, segment by segment."""
    data: dict[str, Any] = {
        "name": "twins", "seed": 3, "horizon": 6, "replicates": 40,
        "segments": [{"name": "a", "size": 200, "tam": 1.0, "early_market": 1.0},
                     {"name": "b", "size": 200, "tam": 1.0, "early_market": 1.0}],
        "network": {"model": "planted_partition", "mean_degree": 4, "mixing": 0.0},
        "dynamics": {"word_of_mouth": 0.0, "marketing": 0.5, "background": 0.0},
        "budget": {"total": 800, "cost_per_seed": 100, "cost_per_contact": 1,
                   "seed_share": 0.0, "campaign_weeks": 4},
        "strategies": [{"name": "focused", "kind": "focused", "segment": "a"}],
        # parallel plans: the known optima of splits (sequences: their own test below)
        "optimize": {"seed_share": 0.0, "campaign_weeks": 4, "messages": ["tailored"],
                     "seeding": ["random"], "sequencing": ["parallel"], "trials": 40},
    }
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def share_of_a(spec: wom.config.Strategy) -> float:
    w = spec.weights or {}
    return w.get("a", 0) / sum(w.values())


def test_mix_on_one_segment_is_the_focused_plan(small: wom.Scenario) -> None:
    from wom.experiment.replicate import Replicate

    data = small.model_dump(mode="json")
    data["strategies"].append({"name": "mix-a", "kind": "mix", "weights": {"a": 2}})
    sc = wom.scenario_from_dict(data)
    rep = Replicate(sc, 1)
    p, q = rep.plan("focused"), rep.plan("mix-a")
    assert np.array_equal(p.seeds, q.seeds) and np.array_equal(p.contacts, q.contacts)
    reached = p.contacts.sum(axis=0) > 0  # (a message matters only where it is heard)
    assert np.array_equal(p.contact_message[reached], q.contact_message[reached])
    assert np.array_equal(p.seed_message, q.seed_message)


def test_mix_splits_by_weight_with_its_own_budget_keys(small: wom.Scenario) -> None:
    from wom.experiment.replicate import Replicate

    data = small.model_dump(mode="json")
    data["strategies"] = [{"name": "m", "kind": "mix", "weights": {"b": 3, "a": 1},
                           "message": {"b": "generic"}, "seed_share": 0.0,
                           "campaign_weeks": 2}]
    sc = wom.scenario_from_dict(data)
    plan = Replicate(sc, 0).plan("m")
    assert plan.seeds.size == 0  # seed share 0: all on contacts
    # 3000 on contacts at 5 each = 600 contacts, 1:3 → 150 and 450, over 2 weeks
    assert plan.contacts[:2, :].sum(axis=0).tolist() == [75 * 2, 90 * 2, 0]  # b capped at 90
    assert plan.contacts[:, 0].tolist()[:3] == [75, 75, 0]
    assert plan.contact_message.tolist() == [0, 3, 2]  # b hears the generic message (3)


@pytest.mark.parametrize(("strategy", "message"), [
    ({"name": "m", "kind": "mix", "weights": {"zz": 1}}, "unknown segment 'zz'"),
    ({"name": "m", "kind": "mix", "weights": {"a": 0}}, "must not all be 0"),
    ({"name": "m", "kind": "focused", "segment": "a", "seed_share": 0.2},
     "takes no `seed_share`"),
    ({"name": "m", "kind": "mix", "weights": {"a": 1}, "campaign_weeks": 99},
     "longer than the horizon"),
    ({"name": "m", "kind": "mix", "weights": {"a": 1}, "order": ["a", "b"]}, "one of the two"),
    ({"name": "m", "kind": "mix"}, "one of the two"),
    ({"name": "m", "kind": "mix", "order": ["a", "a"]}, "listed twice"),
    ({"name": "m", "kind": "mix", "order": []}, "`order` is empty"),
    ({"name": "m", "kind": "mix", "order": ["a"], "message": {"b": "generic"}},
     "not in `order`"),
])
def test_bad_mix_is_refused(small: wom.Scenario, strategy: dict[str, Any],
                            message: str) -> None:
    data = small.model_dump(mode="json")
    data["strategies"] = [strategy]
    with pytest.raises(wom.ScenarioError, match=message):
        wom.scenario_from_dict(data)


BAD_BLOCKS = [
    ("  segments: [a, nobody]\n", "optimize.segments[1]", "unknown segment 'nobody'"),
    ("  seed_share: [0.2, 1.4]\n", "optimize.seed_share[1]", "less than or equal to 1"),
    ("  seed_share: [0.6, 0.2]\n", "optimize.seed_share", "high bound is below"),
    ("  campaign_weeks: [2, 30]\n", "optimize.campaign_weeks", "longer than the horizon"),
    ("  seeding: []\n", "optimize.seeding", "empty"),
    ("  messages: [loud]\n", "optimize.messages[0]", "'tailored' or 'generic'"),
    ("  segments: [b]\n", "optimize.segments", "the plan space is empty"),
    ("  objective: profit\n", "optimize.objective", "needs prices"),
    ("  trigger: [0.5, 0.2]\n", "optimize.trigger", "high bound is below"),
    ("  sequencing: [later]\n", "optimize.sequencing[0]", "'parallel' or 'sequenced'"),
]


@pytest.mark.parametrize(("line", "key", "message"), BAD_BLOCKS)
def test_bad_optimize_block_exits_2_naming_file_line_and_key(
        tmp_path: Path, line: str, key: str, message: str) -> None:
    data = twins()
    data.pop("optimize")
    data["segments"][1]["tam"] = 0.0  # b: nobody could buy
    text = yaml.safe_dump(data, sort_keys=False) + "optimize:\n" + line
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    lineno = text.splitlines().index(line.rstrip("\n")) + 1
    res = CliRunner().invoke(main, ["optimize", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert f"{path}:{lineno}: {key}" in res.output
    assert message in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_objective_profit_without_prices_is_refused() -> None:
    sc = wom.scenario_from_dict(twins())
    with pytest.raises(wom.WomError, match="needs prices"):
        wom.optimize(sc, objective="profit", workers=1)


def run_known(data: dict[str, Any]) -> opt.OptimizeResult:
    return wom.optimize(wom.scenario_from_dict(data), workers=1, confirm_replicates=40)


def test_identical_segments_with_diminishing_returns_split_evenly() -> None:
    """No seeds, no word of mouth, no references: a person is converted by a contact with
    chance a = 0.5, and each week's contacts in a segment of n = 200 reach each member with
    chance c/n. With share s of the 200 contacts a week on segment a, over 4 weeks,

        E[customers](s) = 200·[2 − (1 − 0.5·s)^4 − (1 − 0.5·(1 − s))^4],

    strictly concave and symmetric: its maximum is the even split, E(0.5) = 273.4, and
    E(0.35) = E(0.65) = 265.8, E(1) = 187.5 (all on one segment). Plans from s = 0.35 to
    0.5 differ by at most 7.6 customers, about 6 standard errors of a paired difference over
    the search's 100 replicates (binomial sd ≈ 9 per plan and replicate), so the plan found
    splits between 0.35 and 0.65."""
    res = run_known(twins())
    assert res.best is not None
    s = share_of_a(res.best)
    assert 0.35 <= s <= 0.65, res.best
    conf = res.confirmed().set_index("strategy")
    # and on the fresh replicates it beats everything on one segment (E 273 against 187.5)
    assert conf.loc["focused", "diff_lo"] > 0


def test_identical_segments_needing_references_focus() -> None:
    """Each person needs 3 references (same-segment neighbours who adopted; each segment is
    complete, so every adopter of the segment counts) and there is no early market. The
    seed money buys 4 seeds (400 at 100), the rest 150 contacts a week for 4 weeks, and
    a = 0.05. Seeds count as references from the end of step 0, so contacts convert in
    weeks 1–3 only, and only in a segment holding 3 seeds or more. All on one segment:
    E = 4 + 196·(1 − (1 − 0.05·0.75)^3) = 25.2. The most lopsided split that keeps money on
    the other segment (9:1) gives the first 4 seeds and 135 contacts a week: E = 23.2; 3:1
    opens it to 112.5 a week: E = 20.2; 2:2 opens neither: E = 4. The optimum focuses: the
    gap to the best split (2 customers) is over 3 standard errors of a paired difference
    over the search's 100 replicates (binomial sd ≈ 4.4 per plan and replicate)."""
    data = twins(segments=[{"name": n, "size": 200, "tam": 1.0, "early_market": 0.0,
                            "references": 3} for n in ("a", "b")],
                 network={"model": "complete"},
                 dynamics={"marketing": 0.05}, budget={"total": 1000, "seed_share": 0.4},
                 optimize={"seed_share": 0.4})
    data["network"] = {"model": "complete"}
    res = run_known(data)
    assert res.best is not None
    assert len(res.best.weights or {}) == 1, res.best
    # a single segment, as the scenario's focused strategy: the same on fresh replicates
    conf = res.confirmed().set_index("strategy")
    assert conf.loc["focused", "diff_lo"] <= 0 <= conf.loc["focused", "diff_hi"]


def test_all_the_tam_in_one_segment_gets_the_whole_budget() -> None:
    """Segments a and b have no TAM: money there buys no seed (none is placed or paid for)
    and contacts nobody who could buy, while c, far from saturated (a = 0.05, at most 1,800
    contacts on 300 people over the campaign), converts in proportion to the money it
    gets. The optimum puts everything on c, whatever the seed share and campaign."""
    data = twins(segments=[{"name": "a", "size": 300, "tam": 0.0},
                           {"name": "b", "size": 300, "tam": 0.0},
                           {"name": "c", "size": 300, "tam": 1.0, "early_market": 1.0}],
                 dynamics={"marketing": 0.05},
                 budget={"total": 2000, "seed_share": 0.1},
                 optimize={"seed_share": [0.0, 0.5], "campaign_weeks": [2, 6]},
                 strategies=[{"name": "broad", "kind": "broad"}])
    res = run_known(data)
    assert res.best is not None
    assert set(res.best.weights or {}) == {"c"}, res.best
    assert res.beats() is True


def test_sequence_that_hands_over_after_two_weeks_beats_every_split() -> None:
    """The twins again, sequences allowed (trigger 0.05 to 0.75). A week's 200 contacts on
    one segment of 200 reach every member once (a week's contacts reach each member with
    chance c/n, at most once), converting each with chance 0.5; split 1:1, each member is
    reached with chance 1/2. The best split is even: E = 273.4 (above). A sequence a > b
    spends whole weeks on its pin: a is left when its customers reach trigger · 200, and b,
    the last pin, keeps the rest. After one week a has X ~ Bin(200, 0.5) (mean 100, sd 7.1);
    after two, Bin(200, 0.75) (mean 150, sd 6.1). A trigger from 0.6 to 0.7 hands over
    after two weeks but for a few percent of the replicates: 2 + 2 weeks, E = 150 + 150 =
    300. A trigger of 0.5 or below hands over after one week about half the time or more
    (1 + 3 weeks: 100 + 175 = 275), E ≤ 0.47 · 300 + 0.53 · 275 = 286.8. So the optimum is
    a sequence with a trigger above 0.5: at least 11 customers better than any trigger at
    or below 0.5, about 8 standard errors of a paired difference over the search's 100
    replicates (sd ≈ 10 per plan and replicate), and 26.6 better than the even split.

    The search does not always get there: with 120 trials it found a trigger from 0.60 to
    0.65 for 7 of the seeds 3 to 10 and stayed on the split for seed 6 (TPE exploits the
    split it started from); seed 3 is the twins' own."""
    data = twins(optimize={"sequencing": ["parallel", "sequenced"], "trigger": [0.05, 0.75],
                           "trials": 120},
                 strategies=[{"name": "even", "kind": "mix", "weights": {"a": 1, "b": 1}}])
    res = run_known(data)
    assert res.best is not None and res.best.order is not None, res.best
    assert res.best.trigger > 0.5, res.best
    conf = res.confirmed().set_index("strategy")
    assert conf.loc["even", "diff_lo"] > 0  # and on fresh replicates it beats the split


def test_a_sequence_is_the_beachhead_with_the_same_keys() -> None:
    """A mix with `order` is the beachhead of bowling-pins.yaml: the same time series."""
    sc = wom.load_scenario(SCENARIOS / "bowling-pins.yaml")
    pins = sc.strategy("pins")
    b = sc.budget
    seq = pins.model_copy(update={"name": "seq", "kind": "mix", "seed_share": b.seed_share,
                                  "campaign_weeks": b.campaign_weeks})
    both = sc.model_copy(update={"strategies": [pins, wom.config.Strategy.model_validate(
        seq.model_dump())], "replicates": 6})
    ts = wom.run(both, workers=1).timeseries()
    a = ts[ts.strategy == "pins"].drop(columns="strategy").to_numpy()
    assert np.array_equal(a, ts[ts.strategy == "seq"].drop(columns="strategy").to_numpy())


@pytest.mark.parametrize("strategy", ["focused", "broad", "pins"])
def test_the_scenarios_own_plans_race_first(strategy: str) -> None:
    """The search starts from the scenario's strategies the space can express: each is
    asked again, as a mix with the same seeds and contacts, and scores as it does."""
    from wom.experiment.replicate import Replicate

    name = "bowling-pins.yaml" if strategy == "pins" else "focused-vs-broad.yaml"
    sc = wom.load_scenario(SCENARIOS / name)
    space = plans.Space.of(sc, sc.optimize or Optimize())
    params = plans.params_of(space, sc.strategy(strategy), sc)
    assert params is not None

    spec = space.suggest(optuna.trial.FixedTrial(params))  # answers with those parameters
    rep = Replicate(sc.model_copy(update={"strategies": [sc.strategy(strategy), spec.model_copy(
        update={"name": "again"})]}), 2)
    runs = [run_to_horizon(rep.simulation(s)) for s in (strategy, "again")]
    assert np.array_equal(runs[0].new_by_cause, runs[1].new_by_cause)


def test_same_seed_same_trials_and_best_whatever_the_workers(tmp_path: Path) -> None:
    data = twins(optimize={"trials": 12, "replicates": 12,
                           "sequencing": ["parallel", "sequenced"]})
    sc = wom.scenario_from_dict(data)
    outs = []
    for workers in (1, 2):
        res = wom.optimize(sc, workers=workers, confirm_replicates=6)
        outs.append(write_optimize(res, tmp_path / f"w{workers}"))
    for name in ("trials.csv", "best.yaml", "confirmation.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    other = wom.optimize(sc, seed=4, workers=1, confirm_replicates=6)
    assert not other.trials.equals(res.trials)  # the seed does change the search


def test_confirmation_replicates_are_fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    import wom.experiment.runner as runner

    searched: list[int] = []
    confirmed: list[int] = []
    chunk = plans.evaluate_chunk

    def spy_chunk(tag, sc, specs, indices, metric):  # type: ignore[no-untyped-def]
        searched.extend(indices)
        return chunk(tag, sc, specs, indices, metric)

    real = runner.Replicate

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, scenario, index, **kw):  # type: ignore[no-untyped-def]
            confirmed.append(index)
            super().__init__(scenario, index, **kw)

    monkeypatch.setattr(plans, "evaluate_chunk", spy_chunk)
    monkeypatch.setattr(runner, "Replicate", Spy)
    sc = wom.scenario_from_dict(twins(optimize={"trials": 8, "replicates": 12}))
    res = wom.optimize(sc, workers=1, confirm_replicates=10)
    assert searched and set(confirmed) == set(range(10))
    assert min(searched) >= opt.SEARCH_OFFSET
    assert not set(searched) & set(confirmed)
    assert res.confirmation is not None and res.confirmation.new_by_cause.shape[1] == 10


def test_cli_writes_the_folder_and_best_yaml_runs(tmp_path: Path) -> None:
    path = tmp_path / "twins.yaml"
    path.write_text("# LESSON: two twins\n" + yaml.safe_dump(
        twins(optimize={"trials": 8, "replicates": 12})), encoding="utf-8")
    out = tmp_path / "opt"
    res = CliRunner().invoke(main, ["optimize", str(path), "--out", str(out), "-w", "1",
                                    "-r", "8"])
    assert res.exit_code == 0, res.output
    for name in ("best.yaml", "trials.csv", "confirmation.csv", "search.png", "plan.png",
                 "report.html", "manifest.json"):
        assert (out / name).exists(), name
    assert "the scenario's best" in res.output
    best = wom.load_scenario(out / "best.yaml")
    assert best.strategies[-1].name == opt.FOUND and best.strategies[-1].kind == "mix"
    assert (out / "best.yaml").read_text(encoding="utf-8").startswith("# LESSON: two twins")
    ran = wom.run(best, replicates=8, workers=1).summary().set_index("strategy")
    conf = (out / "confirmation.csv").read_text(encoding="utf-8")
    assert f"{ran.loc[opt.FOUND, 'customers_mean']:.10g}" in conf  # the same fresh futures


def test_ctrl_c_keeps_the_trials_found(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    race = opt._race

    def stop_on_third(*args):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return race(*args)

    monkeypatch.setattr(opt, "_race", stop_on_third)
    sc = wom.scenario_from_dict(twins(optimize={"trials": 40, "replicates": 12}))
    res = wom.optimize(sc, workers=1)
    assert res.interrupted and res.confirmation is None
    assert len(res.trials) == 2 * opt.BATCH and res.best is not None


def test_the_found_plan_is_the_best_finalist_on_fresh_replicates() -> None:
    """The search's order of close finalists is noisy (it picked them on those replicates):
    the finalist best on the confirmation is the found plan, whatever its search rank."""
    from wom.engine import CAUSES
    from wom.experiment.race import chosen
    from wom.store import Results

    data = twins(strategies=[{"name": "focused", "kind": "focused", "segment": "a"},
                             {"name": "trial-4", "kind": "mix", "weights": {"a": 1}},
                             {"name": "trial-9", "kind": "mix", "weights": {"b": 1}}])
    sc = wom.scenario_from_dict(data)
    new = np.zeros((3, 5, sc.horizon, len(CAUSES), 2), dtype=np.int32)
    new[:, :, 1, CAUSES.index("marketing"), 0] = np.array([[3], [2], [5]])  # trial-9 best
    conf = Results(scenario=sc, new_by_cause=new, spend=np.zeros((3, 5, sc.horizon, 2)),
                   tam=np.array([200, 200]))
    finalists = sc.strategies[1:]
    out, renamed = chosen(finalists, conf, "customers", True, opt.FOUND)
    assert [s.name for s in out] == [opt.FOUND, "trial-4"]
    assert out[0].weights == {"b": 1}  # trial-9's plan
    assert renamed is not None and renamed.strategies == ["focused", "trial-4", opt.FOUND]
    assert renamed.summary().set_index("strategy").loc[opt.FOUND, "customers_mean"] == 5
    # fewest weeks to pay back: the lower mean wins
    out, _ = chosen(finalists, conf, "customers", False, opt.FOUND)
    assert out[0].weights == {"a": 1}
    # no confirmation (stopped): the search's best, first
    out, none = chosen(finalists, None, "customers", True, opt.FOUND)
    assert none is None and [s.name for s in out] == [opt.FOUND, "trial-9"]


@pytest.mark.parametrize("inside_a_kernel", [False, True])
def test_ctrl_c_in_the_confirmation_keeps_the_plan_found(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         inside_a_kernel: bool) -> None:
    """Ctrl-C in the confirmation, also inside a compiled kernel (numba wraps it in a
    SystemError; it was not caught there, and nothing was written)."""
    def stopped(*args: Any, **kw: Any) -> None:
        if inside_a_kernel:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as err:
                raise SystemError("<numba> returned a result with an exception set") from err
        raise KeyboardInterrupt

    monkeypatch.setattr(opt, "run", stopped)
    sc = wom.scenario_from_dict(twins(optimize={"trials": 8, "replicates": 12}))
    res = wom.optimize(sc, workers=1)
    assert res.interrupted and res.confirmation is None and res.best is not None
    assert res.best.name == opt.FOUND and len(res.trials) == 8
    out = write_optimize(res, tmp_path / "o")
    assert (out / "best.yaml").exists() and (out / "trials.csv").exists()


def test_with_accounts_a_plan_makes_a_pitch_of_the_scenarios_own() -> None:
    """In a market of accounts, every plan tried takes the aim and role resonance of one of
    the scenario's strategies (the model's default, resonance 1 with every role, would
    credit the plan found with a message nobody wrote)."""
    feature = {"aim": {"user": 1.0}, "resonance": {"user": 1.0, "buyer": 0.5, "payer": 0.1}}
    roi = {"aim": {"buyer": 0.5, "payer": 0.5},
           "resonance": {"user": 0.5, "buyer": 0.8, "payer": 0.9}}
    data = twins(optimize={"trials": 16, "replicates": 12},
                 strategies=[{"name": "feature", "kind": "focused", "segment": "a", **feature},
                             {"name": "roi", "kind": "focused", "segment": "b", **roi},
                             {"name": "roi-too", "kind": "broad", **roi}])
    for seg in data["segments"]:
        seg["accounts"] = {"size": 4}
    res = wom.optimize(wom.scenario_from_dict(data), workers=1, confirm_replicates=6)
    assert set(res.trials["pitch"]) == {"feature", "roi"}  # roi-too's pitch is roi's
    for spec in res.finalists:
        assert (spec.aim, spec.resonance) in [(p["aim"], p["resonance"]) for p in (feature, roi)]
    assert "pitch" not in wom.optimize(wom.scenario_from_dict(twins(
        optimize={"trials": 8, "replicates": 4})), workers=1, confirm_replicates=2).trials


def test_python_keeps_the_search_in_a_folder_and_saves_it(tmp_path: Path) -> None:
    """From Python as from the command line: a search kept in a folder resumes from it, and
    wom.save writes its files beside the store (or into a new folder)."""
    sc = wom.scenario_from_dict(twins(optimize={"trials": 8, "replicates": 12}))
    res = wom.optimize(sc, workers=1, confirm_replicates=6, store=tmp_path / "kept")
    assert wom.save(res, tmp_path / "kept") == tmp_path / "kept"
    names = {p.name for p in (tmp_path / "kept").iterdir()}
    assert {"search.sqlite", "best.yaml", "trials.csv", "confirmation.csv"} <= names
    again = wom.experiment.optimize.resume(tmp_path / "kept", workers=1)
    assert again.trials.equals(res.trials) and again.best == res.best
    fresh = wom.save(res, root=tmp_path / "root")
    assert fresh.parent == tmp_path / "root" / "twins" and (fresh / "best.yaml").exists()
    assert fresh.name.startswith("optimize-")


def test_payback_that_never_comes_scores_the_horizon_plus_one_everywhere() -> None:
    """No plan pays back (a price of 0.01): the search, the table, the pairing and the
    scenario's best all score "never" as the horizon + 1 weeks; nothing is NaN."""
    data = twins(optimize={"trials": 8, "replicates": 12, "objective": "payback"},
                 strategies=[{"name": "focused", "kind": "focused", "segment": "a"},
                             {"name": "even", "kind": "mix", "weights": {"a": 1, "b": 1}}])
    for seg in data["segments"]:
        seg["price"] = 0.01
    res = wom.optimize(wom.scenario_from_dict(data), workers=1, confirm_replicates=6)
    table = res.confirmed()
    assert (table["mean"] == data["horizon"] + 1).all()
    assert res.user_best() == "focused"  # equals: the first
    d = res.versus()
    assert d is not None and (d.mean, d.lo, d.hi, d.p_a_beats_b) == (0, 0, 0, 0.5)
    assert res.beats() is False


@pytest.mark.parametrize(("bounds", "grid"), [
    ((0.0, 0.02), [0.0, 0.02]), ((0.23, 0.31), [0.23, 0.27, 0.31]), ((0.4, 0.4), [0.4]),
    ((0.0, 1.0), [round(0.05 * i, 2) for i in range(21)])])
def test_seed_shares_searched_span_the_bounds(bounds: tuple[float, float],
                                              grid: list[float]) -> None:
    """Even bounds narrower than a step (0.05) are searched at both ends."""
    space = plans.Space(("a",), bounds, (1, 1), ("tailored",), ("random",))
    seen = {space.suggest(optuna.trial.FixedTrial({"seed_share": i, "trigger": 0})).seed_share
            for i in range(len(grid))}
    assert sorted(seen) == grid
