"""wom fit: the exact likelihood against the engine, the samplers, the fit folder, bad input."""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import os
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import wom
from helpers import MEDICAL, medical_scenario
from wom.cli import main
from wom.engine import Simulation, run_to_horizon
from wom.inference.data import observe
from wom.inference.individual import IndividualModel
from wom.inference.mcmc import sample
from wom.inference.params import free_parameters
from wom.inference.simulate import quiet_plan
from wom.inputs import PersonAdoptions

ROOT = Path(__file__).resolve().parents[1]



def tiny_market(tmp_path: Path, segments: object = None) -> wom.Scenario:
    """a — b — c, with a and b in one segment and c in another; two periods watched."""
    (tmp_path / "ties.csv").write_text("source,target\na,b\nb,c\n")
    (tmp_path / "people.csv").write_text("person,segment\na,x\nb,x\nc,y\n")
    return wom.scenario_from_dict({
        "name": "tiny", "horizon": 2, "replicates": 1,
        "segments": segments or {"tam": 1.0},
        "network": {"model": "file", "weak_tie": 0.5,
                    "file": {"path": str(tmp_path / "ties.csv"),
                             "labels": str(tmp_path / "people.csv")}},
        "dynamics": {"word_of_mouth": 0.6, "background": 0.3, "marketing": 0.0,
                     "talk_weeks": 1, "generic_resonance": 1.0},
        "fit": {"first_period": 1, "last_period": 2},
    }, file=tmp_path / "s.yaml")


def history_probabilities(sc: wom.Scenario) -> dict[tuple[int, int, int], float]:
    """The likelihood of every history (each person adopts in period 1, 2 or never: 0)."""
    model = None
    out = {}
    for h in itertools.product((1, 2, 0), repeat=3):
        data = PersonAdoptions(Path("h.csv"), ("a", "b", "c"),
                               np.array([p if p else -1 for p in h]), np.arange(2, 5))
        model = IndividualModel(sc, observe(sc, data), free_parameters(sc))
        out[h] = float(np.exp(model.log_likelihood({"dynamics.word_of_mouth": 0.6,
                                                    "dynamics.background": 0.3})))
    return out


@pytest.mark.parametrize("segments", [
    None,
    # c needs a reference of its own segment and has none: it never adopts
    [{"name": "x", "tam": 1.0, "early_market": 1.0, "references": 1},
     {"name": "y", "tam": 1.0, "early_market": 0.0, "references": 1}],
])
def test_the_likelihood_is_the_engine_s_distribution_of_histories(tmp_path: Path, segments):
    """Over all 27 histories the likelihood sums to 1 and matches how often the engine
    produces each one (20,000 runs; 4 standard errors). (With shares of a segment that
    are not 0 or 1 the likelihood mixes person by person while the market draws exact
    counts: equal only for large segments, docs/fit.md.)"""
    sc = tiny_market(tmp_path, segments)
    prob = history_probabilities(sc)
    assert sum(prob.values()) == pytest.approx(1.0, abs=1e-9)
    runs = 20_000
    counts: dict[tuple[int, int, int], int] = dict.fromkeys(prob, 0)
    rng = np.random.default_rng(4)
    for i in range(runs):
        rep = wom.experiment.Replicate(sc, i)
        sim = Simulation(rep.population, quiet_plan(2, 2), sc.dynamics, 0.5, rng=rng)
        run_to_horizon(sim)
        at = sim.adopted_at
        counts[tuple(int(t) + 1 if t >= 0 else 0 for t in at)] += 1
    for h, p in prob.items():
        se = np.sqrt(p * (1 - p) / runs)
        assert abs(counts[h] / runs - p) <= 4 * se + 1e-4, (h, counts[h] / runs, p)
    if segments is not None:
        assert all(p == 0.0 for h, p in prob.items() if h[2] != 0)


def test_the_sampler_finds_a_known_posterior():
    """A Beta(3, 5) × Beta(5, 2) density on the unit square: the pooled draws' means are
    within 4 Monte Carlo standard errors (from the effective sample size) of 3/8 and 5/7."""
    from scipy import stats

    def log_density(u: np.ndarray) -> float:
        return float(stats.beta(3, 5).logpdf(u[0]) + stats.beta(5, 2).logpdf(u[1]))

    chains = sample(log_density, 2, rng=np.random.default_rng(0))
    draws = chains.pooled()
    ess = chains.ess()
    truth = np.array([3 / 8, 5 / 7])
    sd = np.array([stats.beta(3, 5).std(), stats.beta(5, 2).std()])
    assert (np.abs(draws.mean(axis=0) - truth) < 4 * sd / np.sqrt(ess)).all()
    assert (chains.rhat() < 1.05).all()


def test_wom_fit_on_medical_innovation_writes_the_fit_folder(tmp_path: Path):
    out = tmp_path / "fit"
    scenario = medical_scenario(tmp_path)
    lesson = "# LESSON — doctors talk to doctors.\n#\n# WHAT TO SEE: how much.\n"
    scenario.write_text(lesson + "\n" + scenario.read_text())
    r = CliRunner().invoke(main, ["fit", str(scenario), "--adoptions",
                                  str(MEDICAL / "people.csv"), "--out", str(out), "-w", "1"],
                           env={"COLUMNS": "30"})  # (a narrow terminal cut the intervals)
    assert r.exit_code == 0, r.output
    assert {"estimates.csv", "draws.csv", "fitted.yaml", "fit.png", "report.html",
            "manifest.json"} <= {p.name for p in out.iterdir()}
    est = pd.read_csv(out / "estimates.csv").set_index("parameter")
    assert {"dynamics.word_of_mouth", "dynamics.background", "wom_share"} <= set(est.index)
    assert (est.lo <= est.estimate).all() and (est.estimate <= est.hi).all()
    assert est.loc["wom_share", "lo"] >= 0 and est.loc["wom_share", "hi"] <= 1
    assert "wom_share" in r.output and "R-hat" in r.output
    for p in ("dynamics.word_of_mouth", "dynamics.background"):  # printed whole
        # in three figures, no more than the interval supports (new-user trial: 0.004835)
        lo, hi = (np.format_float_positional(est.loc[p, x], precision=3, unique=False,
                                             fractional=False, trim="-") for x in ("lo", "hi"))
        assert f"{lo}–{hi}" in r.output
    assert "…" not in r.output
    # what to do next is said (new-user trial: only the report's last line said it)
    assert "next: " in r.output and str(out / "fitted.yaml") in r.output.splitlines()[-1]
    # from today's customers, the data's (a run from none forecast an empty market)
    assert r.output.splitlines()[-1].endswith(f"--customers {MEDICAL / 'people.csv'}")
    # the report: how to reproduce it; the sampler's diagnostics as words, not Python lists;
    # no "add strategies" to a scenario that has them
    page = (out / "report.html").read_text()
    assert (f"<h2>Reproduce</h2><p>This fit was made in <code>{html.escape(os.getcwd())}"
            "</code> with:</p><pre>wom ") in page
    inputs = json.loads((out / "manifest.json").read_text())["inputs"]
    digest = inputs[str(MEDICAL / "people.csv")]
    # the scenario file too, as it was when fitted (new-user trial)
    assert inputs[str(scenario)] == hashlib.sha256(scenario.read_bytes()).hexdigest()
    assert f"(SHA-256 {digest[:12]}…)" in page and "whatever the number of workers" in page
    sampler = page.split("<h2>Sampler</h2>")[1].split("</dl>")[0]
    assert not set("[]{}'") & set(sampler), sampler  # (a likelihood fit's R-hat was a dict)
    assert "R-hat (chains agreeing: near 1)" in sampler
    assert "add strategies" not in page and "<code>wom run</code> it." in page
    assert "fit range (flat prior)" in page and "<td>0–0.5</td>" in page
    # fitted.yaml does not carry the scenario file's lesson: its numbers are the example's
    # (new-user trial: a fit of one's own data reported the template's figures)
    assert (out / "fitted.yaml").read_text().startswith("name: medical-innovation")
    # fitted.yaml runs as it is, each replicate with its own posterior draw
    fitted = wom.load_scenario(out / "fitted.yaml")
    draws = fitted.uncertainty.draws["dynamics.word_of_mouth"]
    assert len(draws) == 400 and min(draws) >= 0 and max(draws) <= 0.5
    assert fitted.dynamics.word_of_mouth == pytest.approx(
        est.loc["dynamics.word_of_mouth", "estimate"])
    for i in (0, 1, 401):
        assert wom.experiment.replicate.scenario_of(fitted, i).dynamics.word_of_mouth == \
            draws[i % 400]
    run = CliRunner().invoke(main, ["run", str(out / "fitted.yaml"), "-r", "3", "-q",
                                    "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["method"] == "likelihood"
    assert manifest["workers"] == 1 and manifest["packages"]["numba"]  # (was null, and none)
    # fitted.yaml carries the fit's own intervals: a run's report quotes those (new-user
    # trial: it gave the draws' middle 95%, a second "95% interval" beside the fit's)
    lo, hi = fitted.uncertainty.intervals["dynamics.word_of_mouth"]
    assert (lo, hi) == pytest.approx((est.loc["dynamics.word_of_mouth", "lo"],
                                      est.loc["dynamics.word_of_mouth", "hi"]), rel=1e-9)
    # the report's command to make the fit again, run from the fit's folder as it says,
    # gives the same estimates and draws (new-user trial: an API fit's report had none)
    again = html.unescape(page.split("From this folder,</p><pre>")[1].split("</pre>")[0])
    assert again.startswith("wom fit fitted.yaml --adoptions ")
    os.chdir(out)
    try:
        twice = CliRunner().invoke(main, shlex.split(again)[1:])
    finally:
        os.chdir(Path(__file__).parent.parent)
    assert twice.exit_code == 0, twice.output
    for name in ("estimates.csv", "draws.csv"):
        assert (tmp_path / "fit-again" / name).read_bytes() == (out / name).read_bytes(), name


def test_a_fit_does_not_depend_on_the_worker_count(tmp_path: Path):
    sc = wom.load_scenario(medical_scenario(tmp_path))
    a = wom.fit(sc, MEDICAL / "people.csv", workers=1)
    b = wom.fit(sc, MEDICAL / "people.csv", workers=2)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    assert np.array_equal(a.predictive, b.predictive)


def synthetic_counts(tmp_path: Path) -> tuple[wom.Scenario, Path]:
    sc = wom.scenario_from_dict({
        "name": "counts", "seed": 3, "horizon": 20, "replicates": 1,
        "segments": {"count": 4, "size": 200},
        "network": {"model": "planted_partition", "mean_degree": 8, "mixing": 0.1},
        "dynamics": {"word_of_mouth": 0.08, "background": 0.01, "marketing": 0.0,
                     "talk_weeks": 3, "generic_resonance": 1.0},
        "fit": {"free": {"dynamics.word_of_mouth": [0, 0.3], "dynamics.background": [0, 0.1]},
                "particles": 100, "generations": 5},
    })
    rep = wom.experiment.Replicate(sc, 0)
    sim = Simulation(rep.population, quiet_plan(4, 20), sc.dynamics, sc.network.weak_tie,
                     rng=rep.stream(wom.experiment.DYNAMICS))
    new = run_to_horizon(sim).new_by_cause.sum(axis=1)
    rows = [f"{t + 1},{name},{int(new[t, k])}" for t in range(20)
            for k, name in enumerate(sc.segment_names)]
    path = tmp_path / "counts.csv"
    path.write_text("period,segment,new_customers\n" + "\n".join(rows) + "\n")
    return sc, path


def test_counts_per_segment_are_fitted_by_abc_the_same_with_any_workers(tmp_path: Path):
    sc, path = synthetic_counts(tmp_path)
    one = wom.fit(sc, path, workers=1)
    two = wom.fit(sc, path, workers=2)
    assert one.method == "abc"
    pd.testing.assert_frame_equal(one.draws, two.draws)
    est = one.estimates().set_index("parameter")
    # one seeded data set: the truth inside the 95% intervals
    for key, truth in (("dynamics.word_of_mouth", 0.08), ("dynamics.background", 0.01)):
        assert est.loc[key, "lo"] <= truth <= est.loc[key, "hi"], est
    assert one.predictive.shape[1:] == (20, 4)
    assert not [w for w in one.diagnostics["warnings"] if "fit range" in w]  # (ranges wide)
    # later generations have tighter tolerances
    tol = one.diagnostics["tolerances"]
    assert all(a >= b for a, b in itertools.pairwise(tol))


def test_a_fit_range_that_cuts_off_the_answer_is_warned_of(tmp_path: Path):
    """New-user trial: background capped at half its true value, the fit piled its estimate
    against the cap, moved word of mouth to make up for it, and said nothing."""
    sc, path = synthetic_counts(tmp_path)
    data = sc.model_dump(mode="json")
    data["fit"]["free"] = {"dynamics.word_of_mouth": [0, 0.3], "dynamics.background": [0, 0.005]}
    res = wom.fit(wom.scenario_from_dict(data), path, workers=1)
    hi = res.estimates().set_index("parameter").loc["dynamics.background", "hi"]
    assert hi >= 0.005 * (1 - 0.05)  # the interval runs into the cap (the truth is 0.01) …
    warned = [w for w in res.diagnostics["warnings"] if "fit range" in w]
    assert len(warned) == 1 and "dynamics.background reaches the top" in warned[0], warned
    # … and the bottom edge at 0 is a natural one: no warning about it


def test_the_progress_of_a_fit_ends_at_its_end(tmp_path: Path):
    """ABC stops before its most generations: the bar stayed at 40%, 'about 96 s left',
    when the fit was done (new-user trial)."""
    sc, path = synthetic_counts(tmp_path)
    assert sc.fit is not None
    sc = sc.model_copy(update={"fit": sc.fit.model_copy(update={"generations": 30})})
    calls: list[tuple[int, int]] = []
    res = wom.fit(sc, path, workers=1, progress=lambda d, t: calls.append((d, t)))
    assert res.diagnostics["stopped"] != "generations"  # (stopped early, as in the trial)
    done, total = calls[-1]
    assert done == total == res.diagnostics["generations"] * res.diagnostics["particles"]
    assert all(d <= t for d, t in calls)


def test_an_interval_over_most_of_its_range_says_the_range_decides():
    """New-user trial: word of mouth's interval covered 93% of its range [0, 0.3]; widened
    to [0, 1] as the edge warning said, the estimate moved from 0.14 to 0.24 — the data
    barely constrain it, and only a warning that says so is true."""
    from wom.inference.fit import range_warnings
    from wom.inference.params import Free

    rng = np.random.default_rng(3)
    free = [Free("dynamics.word_of_mouth", 0.0, 0.3, False),
            Free("dynamics.background", 0.0, 0.05, False)]
    draws = pd.DataFrame({"dynamics.word_of_mouth": rng.uniform(0.0, 0.3, 4000),
                          "dynamics.background": rng.normal(0.01, 0.001, 4000)})
    warned = range_warnings(free, draws, np.full(4000, 1 / 4000))
    assert len(warned) == 1, warned  # (not also "reaches the top": the edge says nothing)
    assert warned[0].startswith("the data say little about dynamics.word_of_mouth: its 95% "
                                "interval (0.00") and "of its fit range (0–0.3)" in warned[0]
    narrow = draws.assign(**{"dynamics.word_of_mouth": rng.normal(0.1, 0.02, 4000)})
    assert range_warnings(free, narrow, np.full(4000, 1 / 4000)) == []


def test_a_fit_starts_its_workers_once_for_all_its_simulations(tmp_path: Path, monkeypatch):
    """ABC runs a batch of simulations per generation, then the predictive ones: a pool per
    batch forked workers that each loaded the compiled kernels again (half a second a
    worker), and a flagship fit ran slower on two workers than on one."""
    from wom.inference import simulate

    sc, path = synthetic_counts(tmp_path)
    pools = []
    real = simulate.worker_pool

    def counted(workers: int):
        pools.append(workers)
        return real(workers)

    monkeypatch.setattr(simulate, "worker_pool", counted)
    res = wom.fit(sc, path, workers=2)
    assert res.diagnostics["generations"] >= 2  # several batches …
    assert pools == [2]  # … one pool


@pytest.mark.parametrize(("data", "message"), [
    ("person,adopted\nnobody,3\n", "adoptions.csv:2: column person: person 'nobody' is not "
                                   "in the market"),
    ("person,adopted\n1,2.5\n", "adoptions.csv:2: column adopted:"),
    ("person,adopted\n1001,99\n", "column adopted: period 99 is after the data's last period"),
    ("person,adopted\n1001,3\n1001,4\n", "adoptions.csv:3: column person: '1001' is listed twice"),
    ("", "adoptions.csv: the file is empty"),
    ("period,segment,new_customers\n1,city-1,-2\n", "adoptions.csv:2: column new_customers:"),
    ("period,segment,new_customers\n1,nowhere,2\n", "adoptions.csv:2: column segment: the "
                                                    "scenario has no segment 'nowhere'"),
])
def test_bad_adoption_files_exit_2_and_write_nothing(tmp_path: Path, data: str, message: str):
    sc = medical_scenario(tmp_path, "fit: {last_period: 17}\n")
    path = tmp_path / "adoptions.csv"
    path.write_text(data)
    out = tmp_path / "fit"
    r = CliRunner().invoke(main, ["fit", str(sc), "--adoptions", str(path), "--out", str(out)])
    assert r.exit_code == 2 and message in r.output, r.output
    assert "Traceback" not in r.output and not out.exists()


@pytest.mark.parametrize(("block", "message"), [
    ("fit: {free: {dynamics.background: [0, 2]}}", "fit.free.dynamics.background: the value "
                                                   "2 does not make a valid"),
    ("fit: {free: {dynamics.nosuch: [0, 1]}}", "fit.free.dynamics.nosuch: the scenario has no "
                                               "key 'nosuch'"),
])
def test_bad_fit_blocks_exit_2_and_write_nothing(tmp_path: Path, block: str, message: str):
    out = tmp_path / "fit"
    r = CliRunner().invoke(main, ["fit", str(medical_scenario(tmp_path, block + "\n")),
                                  "--adoptions", str(MEDICAL / "people.csv"), "--out",
                                  str(out)])
    assert r.exit_code == 2 and message in r.output, r.output
    assert not out.exists()


def test_fitted_yaml_is_a_scenario_with_its_uncertainty(tmp_path: Path):
    sc = wom.load_scenario(medical_scenario(tmp_path))
    result = wom.fit(sc, MEDICAL / "people.csv", workers=1)
    data = yaml.safe_load(result.fitted_scenario().to_yaml())
    assert "fit" not in data and set(data["uncertainty"]["draws"]) == {
        "dynamics.word_of_mouth", "dynamics.background"}
    assert "wom fit of people.csv (likelihood" in data["uncertainty"]["source"]


def test_fitted_yaml_keeps_the_fit_block_so_a_refit_uses_its_ranges(tmp_path: Path):
    """fitted.yaml is the user's scenario with the estimates written in: a re-fit of it to
    newer data fits the same keys over the same ranges (breaker trial: the block was
    dropped, and the re-fit used the default ranges without a word)."""
    block = ("fit: {free: {dynamics.word_of_mouth: [0, 0.2], dynamics.background: [0, 0.1]}, "
             "draws: 50}\n")
    sc = wom.load_scenario(medical_scenario(tmp_path, block))
    result = wom.fit(sc, MEDICAL / "people.csv", workers=1)
    # the call that made it, for the report of a fit made in Python (new-user trial)
    assert result.meta["command"] == (f"wom.fit(load_scenario(...), "
                                      f"{str(MEDICAL / 'people.csv')!r}, seed={sc.seed})")
    fitted = result.fitted_scenario()
    assert fitted.fit == sc.fit and fitted.uncertainty is not None
    assert len(fitted.uncertainty.draws["dynamics.background"]) == 50
    path = tmp_path / "fitted.yaml"
    path.write_text(fitted.to_yaml())
    again = wom.fit(wom.load_scenario(path), MEDICAL / "people.csv", workers=1)
    assert [(f.path, f.lo, f.hi) for f in again.free] == [
        ("dynamics.word_of_mouth", 0, 0.2), ("dynamics.background", 0, 0.1)]  # not [0, 0.5]
    # the same data, the same ranges, the same seed: the same estimate
    assert again.point() == pytest.approx(wom.fit(sc, MEDICAL / "people.csv",
                                                  workers=1).point())


@pytest.mark.slow
def test_abc_says_when_it_has_not_converged_and_goes_on_until_it_has(tmp_path: Path):
    """Sparse counts (a handful of customers) start ABC far from the data: stopped after a
    fixed number of generations it gave a background rate the data rule out, and the only
    sign was a number ('final tolerance'). Now it runs until the tolerance stops falling,
    and says so when capped (new-user trial of issue 13, finding 1)."""
    sc, _ = synthetic_counts(tmp_path)
    rows = [f"{t + 1},{name},{1 if (t, k) in ((4, 0), (12, 2)) else 0}" for t in range(20)
            for k, name in enumerate(sc.segment_names)]
    path = tmp_path / "sparse.csv"
    path.write_text("period,segment,new_customers\n" + "\n".join(rows) + "\n")
    def at_most(generations: int) -> wom.Scenario:
        assert sc.fit is not None
        return sc.model_copy(update={"fit": sc.fit.model_copy(
            update={"generations": generations})})

    with pytest.warns(wom.FitWarning, match="had not converged"):  # (seen in a notebook)
        capped = wom.fit(at_most(3), path, workers=1)
    assert capped.diagnostics["stopped"] == "generations"
    assert any("had not converged after 3 generations" in w
               for w in capped.diagnostics["warnings"])
    full = wom.fit(at_most(30), path, workers=1)
    assert full.diagnostics["stopped"] in ("converged", "acceptance")
    # converged: no warning but the true one, that 2 customers say little of word of mouth
    assert [w.split(":")[0] for w in full.diagnostics["warnings"]] == [
        "the data say little about dynamics.word_of_mouth"], full.diagnostics["warnings"]
    assert full.diagnostics["outside_band"] == []
    # 2 customers among 800 people over 20 periods: background far below the capped fit's
    est = full.estimates().set_index("parameter")
    assert est.loc["dynamics.background", "hi"] < capped.estimates().set_index(
        "parameter").loc["dynamics.background", "estimate"]
    assert est.loc["dynamics.background", "hi"] < 0.002
    # the command line and the report say it where a user reads
    (tmp_path / "capped.yaml").write_text(at_most(3).to_yaml())
    result = CliRunner().invoke(main, ["fit", str(tmp_path / "capped.yaml"), "-a", str(path),
                                       "-w", "1", "-o", str(tmp_path / "f")])
    assert result.exit_code == 0, result.output
    assert "(not converged)" in result.output and "warning: ABC had not converged" in (
        result.output)
    assert "Warning:</strong> ABC had not converged" in (tmp_path / "f" / "report.html"
                                                          ).read_text()


def test_a_fit_that_misses_the_data_says_so():
    """The predictive check: observed adopters outside the fitted model's 95% band in more
    than a quarter of the segments is a warning."""
    from wom.inference.fit import fit_warnings

    assert fit_warnings({"outside_band": ["a"]}, 8) == []
    warned = fit_warnings({"outside_band": ["a", "b", "c"]}, 8)
    assert len(warned) == 1 and "3 of 8 segments (a, b, c)" in warned[0]


def test_one_generation_warns_without_a_crash():
    """fit.generations: 1 is allowed, and stopped on its generations the warning read the
    tolerance of a generation before the first (IndexError, no fit folder)."""
    from wom.inference.fit import fit_warnings

    one = fit_warnings({"stopped": "generations", "tolerances": [3.5]}, 4)
    assert len(one) == 1 and "after 1 generation (one generation cannot show" in one[0]
    two = fit_warnings({"stopped": "generations", "tolerances": [3.5, 2.0]}, 4)
    assert "after 2 generations (its tolerance was still falling, 3.5 → 2)" in two[0]


def test_the_scenario_file_is_hashed_as_it_was_read_not_after_the_fit(tmp_path: Path,
                                                                      monkeypatch):
    """Edited or moved while a long fit ran, the file was hashed after it: the manifest named
    the wrong bytes, or the fit was thrown away at its end (breaker trial)."""
    scenario = medical_scenario(tmp_path)
    before = hashlib.sha256(scenario.read_bytes()).hexdigest()
    fit = wom.fit

    def moved_meanwhile(*args, **kwargs):
        result = fit(*args, **kwargs)
        scenario.rename(tmp_path / "moved.yaml")
        return result

    monkeypatch.setattr(wom, "fit", moved_meanwhile)
    out = tmp_path / "fit"
    r = CliRunner().invoke(main, ["fit", str(scenario), "--adoptions",
                                  str(MEDICAL / "people.csv"), "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "manifest.json").read_text())["inputs"][str(scenario)] == before
