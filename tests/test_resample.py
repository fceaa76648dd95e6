"""network.resample: once — every replicate on one market, replicates differing only in
their plans and dynamics; per_replicate (the default) draws a market per replicate."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

import wom
from helpers import small_scenario
from wom.cli import main
from wom.config import parse_vary
from wom.errors import ScenarioError
from wom.experiment import Replicate, sweep
from wom.experiment.plans import replicate_market
from wom.experiment.replicate import SHARED, Markets, check_resample, market_key
from wom.store import write_run

CSV = ("timeseries.csv", "summary.csv", "comparison.csv")


def once(**overrides) -> wom.Scenario:
    sc = small_scenario(**overrides)
    return sc.model_copy(update={"network": sc.network.model_copy(
        update={"resample": "once"})})


def test_replicate_0_is_the_same_market_under_both():
    per, one = small_scenario(), once()
    a, b = Replicate(per, 0).population, Replicate(one, 0).population
    for name in ("indptr", "indices", "eligible", "incumbent", "references", "segment"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    ra, rb = wom.run(per, replicates=1, workers=1), wom.run(one, replicates=1, workers=1)
    assert np.array_equal(ra.new_by_cause, rb.new_by_cause)
    assert np.array_equal(ra.spend, rb.spend)


def test_once_shares_the_market_and_draws_the_dynamics():
    sc = once()
    reps = [Replicate(sc, i) for i in range(4)]
    for r in reps[1:]:
        assert r.population is reps[0].population  # built once in this process
    per = [Replicate(small_scenario(), i).population for i in range(2)]
    assert not np.array_equal(per[0].indices, per[1].indices)  # the default draws anew
    res = wom.run(sc, replicates=6, workers=1)
    # the same market, yet replicates differ: plans (random seeding) and dynamics
    by_rep = res.new_by_cause.reshape(res.new_by_cause.shape[0], 6, -1)
    assert len({by_rep[1, r].tobytes() for r in range(6)}) == 6
    # the same strategies differ across replicates in who the random seeds are
    plans = [Replicate(sc, i).plan("broad").seeds for i in range(3)]
    assert not np.array_equal(plans[0], plans[1])


@pytest.mark.parametrize("resample", ["per_replicate", "once"])
def test_same_bytes_whatever_the_workers(tmp_path, resample):
    sc = small_scenario(replicates=10) if resample == "per_replicate" else once(replicates=10)
    one = write_run(wom.run(sc, workers=1), tmp_path / "one")
    two = write_run(wom.run(sc, workers=2), tmp_path / "two")
    for name in CSV:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert wom.run(sc, replicates=1, workers=1).meta["resample"] == resample


def test_once_differs_from_per_replicate_after_replicate_0():
    a = wom.run(small_scenario(), replicates=3, workers=1).new_by_cause
    b = wom.run(once(), replicates=3, workers=1).new_by_cause
    assert np.array_equal(a[:, 0], b[:, 0]) and not np.array_equal(a[:, 1:], b[:, 1:])


def test_market_key_follows_the_market_only():
    sc = once()
    dyn = sc.model_copy(update={"dynamics": sc.dynamics.model_copy(
        update={"word_of_mouth": 0.3}), "strategies": sc.strategies[:1]})
    assert market_key(dyn) == market_key(sc)  # a sweep over β shares one market
    mixed = sc.model_copy(update={"network": sc.network.model_copy(update={"mixing": 0.3})})
    assert market_key(mixed) != market_key(sc)
    assert market_key(sc.model_copy(update={"seed": 8})) != market_key(sc)
    assert Replicate(mixed, 1).population is not Replicate(sc, 1).population


def _with_draws(sc: wom.Scenario, draws: dict) -> wom.Scenario:
    data = sc.model_dump(mode="json")
    data["uncertainty"] = {"draws": draws, "source": "a test"}
    return wom.scenario_from_dict(data)


def test_once_with_uncertainty_of_the_dynamics_only():
    """Drawn dynamics keep the one market; each replicate runs its draw."""
    sc = _with_draws(once(replicates=4, dynamics={"word_of_mouth": 0.0, "marketing": 0.0},
                          budget={"total": 0}),
                     {"dynamics.background": [0.0, 0.3], "network.weak_tie": [0.2, 0.4]})
    per = wom.run(sc, workers=1).per_replicate()
    customers = per.pivot(index="replicate", columns="strategy", values="customers")
    assert (customers.loc[[0, 2]] == 0).all().all()
    assert (customers.loc[[1, 3]] > 50).all().all()
    assert Replicate(sc, 3).population is Replicate(sc, 0).population
    assert Replicate(sc, 3).scenario.network.weak_tie == 0.4


@pytest.mark.parametrize("path", ["segments.*.tam", "segments.0.references",
                                  "network.mixing", "network.mean_degree"])
def test_once_refuses_a_draw_that_changes_the_market(path):
    base = once()
    with pytest.raises(ScenarioError, match=f"uncertainty.draws.{path}: .*shares one market"):
        _with_draws(base, {path: [0.5, 0.6] if "references" not in path else [1, 2]})
    # built in Python past the loader's checks, the replicate still refuses
    data = base.model_dump(mode="json")
    data["uncertainty"] = {"draws": {path: [1, 2]}, "source": "a test"}
    bypass = base.model_copy(update={"uncertainty": wom.Scenario.model_validate(
        data).uncertainty})
    with pytest.raises(ScenarioError, match=path.replace("*", r"\*")):
        check_resample(bypass)


def _sweep_table(out) -> list[tuple]:
    with closing(sqlite3.connect(out / "sweep.sqlite")) as conn:
        return conn.execute(
            "SELECT p.params_json, r.strategy, r.replicate, r.customers, r.spend FROM results r"
            " JOIN points p ON p.id = r.point_id ORDER BY p.params_json, r.strategy, "
            "r.replicate").fetchall()


@pytest.mark.parametrize("resample", ["per_replicate", "once"])
def test_sweep_same_rows_whatever_the_workers(tmp_path, resample):
    """Each sweep point is its own scenario: under once, its own one market (points that
    differ only in their dynamics share it), the same whoever runs it."""
    sc = small_scenario(horizon=6, replicates=3)
    if resample == "once":
        sc = once(horizon=6, replicates=3)
    varies = [parse_vary("network.mixing=0.05,0.3"), parse_vary("dynamics.word_of_mouth=0.1,0.2")]
    one = sweep.run_sweep(sc, varies, tmp_path / "one", replicates=3, workers=1)
    two = sweep.run_sweep(sc, varies, tmp_path / "two", replicates=3, workers=2)
    assert _sweep_table(one) == _sweep_table(two)
    assert len(_sweep_table(one)) == 4 * 2 * 3


def test_optimize_markets_follow_resample():
    sc = once()
    key = market_key(sc)
    assert (replicate_market("t", sc, 3, key).population
            is replicate_market("t", sc, 0, key).population)
    per = small_scenario()
    key = market_key(per)
    assert not np.array_equal(replicate_market("t", per, 3, key).population.indices,
                              replicate_market("t", per, 0, key).population.indices)


def _file_market(tmp_path, ties: list[tuple[int, int]], resample: str) -> wom.Scenario:
    (tmp_path / "labels.txt").write_text("".join(f"{i} {'x' if i < 20 else 'y'}\n"
                                                 for i in range(40)), encoding="utf-8")
    (tmp_path / "graph.txt").write_text("".join(f"{u} {v}\n" for u, v in ties),
                                        encoding="utf-8")
    path = tmp_path / "fg.yaml"
    path.write_text(yaml.safe_dump({
        "name": "fg", "seed": 3, "horizon": 4, "replicates": 2,
        "network": {"model": "file", "resample": resample,
                    "file": {"path": "graph.txt", "labels": "labels.txt"}},
        "budget": {"total": 500},
        "strategies": [{"name": "broad", "kind": "broad"}]}), encoding="utf-8")
    return wom.load_scenario(path)


@pytest.mark.parametrize("resample", ["per_replicate", "once"])
def test_a_search_sees_a_changed_graph_file(tmp_path, resample):
    """The search's markets were kept by the scenario's text alone: a graph file rewritten
    between two searches in one process left the second on the old graph."""
    ring = [(i, (i + 1) % 40) for i in range(40)]
    first = _file_market(tmp_path, ring, resample)
    old = replicate_market("t", first, 0, market_key(first)).population
    assert old.n_ties == 40
    star = [(0, i) for i in range(1, 40)] + [(1, 2), (3, 4), (5, 6)]
    second = _file_market(tmp_path, star, resample)
    new = replicate_market("t", second, 0, market_key(second)).population
    assert new.n_ties == 42 and new.degree()[0] == 39


def test_markets_kept_within_bytes_not_people():
    """A dense market of few people can be the largest: the cap counts bytes, and the
    newest market is always kept."""
    small = Replicate(small_scenario(), 0).population
    kept = Markets(limit=int(2.5 * small.nbytes))
    for k in range(4):
        kept.put(k, small)
    assert len(kept) == 2 and kept.get(0) is None and kept.get(3) is small
    tiny = Markets(limit=1)
    tiny.put("a", small)
    tiny.put("b", small)
    assert len(tiny) == 1 and tiny.get("b") is small
    assert small.nbytes >= small.indices.nbytes + small.indptr.nbytes + small.segment.nbytes


def test_wom_run_says_one_market_and_refuses_a_bad_setting(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(small_scenario().to_yaml(), encoding="utf-8")
    args = ["run", str(path), "--replicates", "2", "--workers", "1"]
    ok = CliRunner().invoke(main, [*args, "--set", "network.resample=once",
                                   "--out", str(tmp_path / "once")])
    assert ok.exit_code == 0, ok.output
    assert "one market (network.resample: once)" in ok.output
    assert wom.read_run(tmp_path / "once").manifest["resample"] == "once"
    bad = CliRunner().invoke(main, [*args, "--set", "network.resample=twice",
                                    "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "network.resample" in bad.stderr and "'per_replicate' or 'once'" in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_the_report_and_validate_say_one_market(tmp_path):
    """The report is what gets shared: it says the run had one market, as the terminal does."""
    path = tmp_path / "small.yaml"
    path.write_text(small_scenario().to_yaml(), encoding="utf-8")
    ok = CliRunner().invoke(main, ["run", str(path), "--replicates", "2", "--workers", "1",
                                   "--set", "network.resample=once", "--out",
                                   str(tmp_path / "once")])
    assert ok.exit_code == 0, ok.output
    report = (tmp_path / "once" / "report.html").read_text(encoding="utf-8")
    assert "ran on one market, replicate 0&#x27;s" in report or \
        "ran on one market, replicate 0's" in report
    assert "futures of this market, not over markets" in report
    per = CliRunner().invoke(main, ["run", str(path), "--replicates", "2", "--workers", "1",
                                    "--out", str(tmp_path / "per")])
    assert per.exit_code == 0, per.output
    assert "one market" not in (tmp_path / "per" / "report.html").read_text(encoding="utf-8")
    said = CliRunner().invoke(main, ["validate", str(path), "--set", "network.resample=once"])
    assert said.exit_code == 0 and "one market (network.resample: once)" in said.output
    plain = CliRunner().invoke(main, ["validate", str(path)])
    assert plain.exit_code == 0 and "one market" not in plain.output


def test_sweep_says_one_market(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(small_scenario().to_yaml(), encoding="utf-8")
    res = CliRunner().invoke(main, ["sweep", str(path), "-o", str(tmp_path / "s"), "-w", "1",
                                    "-r", "2", "--vary", "dynamics.word_of_mouth=0.1,0.2",
                                    "--set", "network.resample=once"])
    assert res.exit_code == 0, res.output
    assert "replicate 0's market of its point" in res.output


def test_a_fit_of_a_market_key_is_refused_under_once(tmp_path):
    """A fit ends in draws of its keys per replicate (fitted.yaml's uncertainty block): under
    once the fit would write a scenario that wom run refuses, so it is refused up front,
    naming the key, by validate as by fit; keys of the dynamics may be fitted."""
    data = once().model_dump(mode="json")
    data["fit"] = {"free": {"network.mixing": [0.01, 0.4],
                            "dynamics.word_of_mouth": [0.0, 0.3]}}
    with pytest.raises(ScenarioError, match=r"fit.free.network.mixing: .*shares one market.*"
                                            r"per_replicate, or give network.mixing"):
        wom.scenario_from_dict(data)
    data["fit"] = {"free": {"dynamics.word_of_mouth": [0.0, 0.3]}}
    assert wom.scenario_from_dict(data).fit is not None
    path = tmp_path / "fit.yaml"
    data["fit"] = {"free": {"segments.*.tam": [0.2, 0.9]}}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert f"{path}:" in res.stderr and "fit.free.segments.*.tam" in res.stderr


def test_a_value_assigned_from_python_is_checked():
    """sc.network.resample = "Once" used to run silently as per_replicate."""
    sc = small_scenario()
    with pytest.raises(ValidationError, match="'per_replicate' or 'once'"):
        sc.network.resample = "Once"  # type: ignore[assignment]
    with pytest.raises(ValidationError):
        sc.network.mixing = 2.0
    with pytest.raises(ValidationError):
        sc.replicates = 0
    sc.network.resample = "once"
    assert sc.network.resample == "once"


def test_validate_refuses_a_sweep_to_once_with_a_market_draw(tmp_path):
    """wom validate said ok; wom sweep then refused the point, naming no file or line."""
    data = small_scenario().model_dump(mode="json")
    data["uncertainty"] = {"draws": {"network.mixing": [0.05, 0.3]}, "source": "a test"}
    data["sweep"] = {"vary": {"network.resample": ["per_replicate", "once"]}}
    path = tmp_path / "up.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert f"{path}:" in res.stderr and "sweep.vary.network.resample" in res.stderr
    assert "the value 'once'" in res.stderr and "uncertainty.draws.network.mixing" in res.stderr


def test_under_once_the_layout_does_not_depend_on_which_replicate_came_first():
    from wom.viz.drawing import positions

    sc = once(replicates=4)
    first_three = positions(Replicate(sc, 3).population, sc, 3).copy()
    SHARED.clear()
    positions(Replicate(sc, 0).population, sc, 0)
    assert np.array_equal(positions(Replicate(sc, 3).population, sc, 3), first_three)
