"""Sweeps beyond one process: Dask clusters, kills and resumes, sweep: blocks, sensitivity,
and the crossover lesson."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection

import wom
from helpers import small_scenario
from wom.cli import main
from wom.config import apply, make_vary, parse_vary
from wom.errors import WomError
from wom.experiment import analysis, cluster, design, sensitivity, sweep
from wom.experiment.design import points
from wom.viz import phase_figure, sensitivity_figure

ROOT = Path(__file__).resolve().parents[1]


def tiny(**kw) -> wom.Scenario:
    kw.setdefault("budget", {"total": 3000, "cost_per_seed": 200, "cost_per_contact": 5,
                             "seed_share": 0.4, "campaign_weeks": 3})
    return small_scenario(horizon=6, replicates=3, **kw)


VARIES = ["network.mixing=0.05,0.3", "segments.*.references=0:2:3"]


def _table(out: Path) -> pd.DataFrame:
    """Every stored row, keyed by the point's parameters (not its id)."""
    with closing(sqlite3.connect(out / "sweep.sqlite")) as conn:
        return pd.read_sql_query(
            "SELECT p.params_json, p.done, r.strategy, r.replicate, r.customers, "
            "r.segments_ignited, r.weeks_to_ignite, r.cost_per_customer, r.wom_share, r.spend "
            "FROM results r JOIN points p ON p.id = r.point_id "
            "ORDER BY p.params_json, r.strategy, r.replicate", conn)


# -- Dask ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_dask_local_cluster_gives_the_local_rows(tmp_path):
    import distributed  # the test extra installs it: the cluster test must not skip
    varies = [parse_vary(v) for v in VARIES]
    local = sweep.run_sweep(tiny(), varies, tmp_path / "local", replicates=4, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc:
        seen: list[int] = []
        remote = sweep.run_sweep(tiny(), varies, tmp_path / "dask", replicates=4,
                                 scheduler=lc.scheduler_address,
                                 progress=lambda d, t: seen.append(d))
        with distributed.Client(lc) as client:  # an existing client works too
            again = sweep.run_sweep(tiny(), varies, tmp_path / "client", replicates=4,
                                    scheduler=client)
        # both workers took part (one point per task)
        assert len(lc.workers) == 2
    a, b, c = _table(local), _table(remote), _table(again)
    assert len(a) == 6 * 2 * 4 and a.done.all()
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    assert seen == [0, 1, 2, 3, 4, 5, 6]
    assert (tmp_path / "dask" / "sweep.csv").exists() is False  # export is a separate step
    assert analysis.export_csv(remote).read_bytes() == analysis.export_csv(local).read_bytes()


def test_unreachable_scheduler_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1)
    sc_file = tmp_path / "s.yaml"
    sc_file.write_text(tiny().to_yaml())
    out = tmp_path / "sweep"
    res = CliRunner().invoke(main, ["sweep", str(sc_file), "--vary", VARIES[0], "--scheduler",
                                    "tcp://127.0.0.1:9", "-o", str(out)])
    assert res.exit_code == 2, res.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.output
    assert "Traceback" not in res.output
    assert not out.exists()
    res = CliRunner().invoke(main, ["sweep", str(sc_file), "--vary", VARIES[0], "--scheduler",
                                    "localhost:8786", "-o", str(out)])
    assert res.exit_code == 2 and "expected an address like tcp://" in res.output
    assert not out.exists()


# -- killed mid-way, resumed -----------------------------------------------------------------

def _scenario_file(tmp_path: Path, **kw) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(tiny(**kw).to_yaml())
    return path


@pytest.mark.slow
def test_sweep_killed_mid_way_resumes_to_the_uninterrupted_table(tmp_path):
    """A real `wom sweep` process is killed (SIGKILL: no clean-up runs) once some points are
    stored; `wom sweep --resume` finishes it, and the table equals an uninterrupted sweep."""
    sc_file = _scenario_file(tmp_path)
    varies = ["network.mixing=0.05:0.35:4", "segments.*.references=0:2:3"]  # 12 points
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "wom.cli", "sweep", str(sc_file), "-r", "40", "-w", "1",
           "-o", str(out)]
    for v in varies:
        cmd += ["--vary", v]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / "sweep.sqlite").exists():
                try:
                    with closing(sqlite3.connect(out / "sweep.sqlite", timeout=5)) as conn:
                        done = conn.execute("SELECT SUM(done) FROM points").fetchone()[0] or 0
                except sqlite3.OperationalError:
                    done = 0
                if done >= 2:
                    break
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep finished before it could be killed: " \
            "make it longer"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with closing(sqlite3.connect(out / "sweep.sqlite")) as conn:
        done_at_kill, total = conn.execute("SELECT SUM(done), COUNT(*) FROM points").fetchone()
        # a point is whole or absent: rows only for done points, every done point complete
        per_point = dict(conn.execute(
            "SELECT p.id, COUNT(r.replicate) FROM points p LEFT JOIN results r "
            "ON r.point_id = p.id GROUP BY p.id").fetchall())
        flags = dict(conn.execute("SELECT id, done FROM points").fetchall())
    assert 2 <= done_at_kill < total == 12
    assert all(per_point[p] == (2 * 40 if flags[p] else 0) for p in flags)
    assert not (out / "sweep.csv").exists()

    res = subprocess.run([sys.executable, "-m", "wom.cli", "sweep", "--resume", str(out),
                          "-w", "1"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    whole = sweep.run_sweep(tiny(), [parse_vary(v) for v in varies], tmp_path / "whole",
                            replicates=40, workers=2)
    pd.testing.assert_frame_equal(_table(out), _table(whole))
    assert (out / "sweep.csv").read_bytes() == analysis.export_csv(whole).read_bytes()


def test_a_store_is_whole_or_absent(tmp_path, monkeypatch):
    """A failure while the store is being set up leaves no store (and no temporary file
    posing as one); the folder can then be used again."""
    out = tmp_path / "s"
    monkeypatch.setattr(sweep.sqlite3, "connect", _failing_connect())
    # a WomError naming the store (it was a raw OSError: a traceback on the command line)
    with pytest.raises(WomError, match=r"s/sweep\.sqlite: cannot write the sweep store: "
                                       "disk full"):
        sweep.run_sweep(tiny(), [parse_vary(VARIES[0])], tmp_path / "a" / "b" / "s",
                        replicates=1, workers=1)
    assert list(tmp_path.iterdir()) == []  # the folders it made are removed again (a/b/s)
    with pytest.raises(WomError, match="disk full"):
        sweep.run_sweep(tiny(), [parse_vary(VARIES[0])], out, replicates=1, workers=1)
    assert not out.exists()
    out.mkdir()  # a folder of the user's own is kept, without a store or a temporary
    with pytest.raises(WomError, match="disk full"):
        sweep.run_sweep(tiny(), [parse_vary(VARIES[0])], out, replicates=1, workers=1)
    monkeypatch.undo()
    assert list(out.iterdir()) == []
    with pytest.raises(WomError, match="holds no sweep"):
        sweep.resume(out)
    sweep.run_sweep(tiny(), [parse_vary(VARIES[0])], out, replicates=1, workers=1)
    assert (out / "sweep.sqlite").exists()


def _failing_connect():
    connect = sqlite3.connect

    class Conn(sqlite3.Connection):
        def executemany(self, sql, rows):  # type: ignore[override]
            if sql.startswith("INSERT OR IGNORE INTO points"):
                raise OSError("disk full")
            return super().executemany(sql, rows)

    def make(path, *a, **kw):
        return connect(path, *a, factory=Conn, **kw)

    return make


# -- the sweep: block --------------------------------------------------------------------------

def test_sweep_block_drives_wom_sweep(tmp_path):
    data = yaml.safe_load(tiny().to_yaml())
    data["sweep"] = {"vary": {"network.mixing": "0.05:0.3:2", "segments.*.references": [0, 2]},
                     "replicates": 2, "compare": ["broad", "focused"]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["sweep", str(path), "-o", str(out), "-w", "1"])
    assert res.exit_code == 0, res.output
    with closing(sqlite3.connect(out / "sweep.sqlite")) as conn:
        params = [json.loads(p) for (p,) in conn.execute("SELECT params_json FROM points")]
        reps = conn.execute("SELECT COUNT(DISTINCT replicate) FROM results").fetchone()[0]
    assert sorted((p["network.mixing"], p["segments.*.references"]) for p in params) == [
        (0.05, 0), (0.05, 2), (0.3, 0), (0.3, 2)]
    assert reps == 2
    # the block's compare sets the phase diagram's direction
    fig_title = phase_figure(out, "broad", "focused").axes[0].get_title()
    assert "broad − focused" in fig_title and (out / "phase.png").exists()
    # --vary on the command line wins over the block
    out2 = tmp_path / "out2"
    res = CliRunner().invoke(main, ["sweep", str(path), "-o", str(out2), "-w", "1",
                                    "--vary", "dynamics.talk_weeks=1,2,3"])
    assert res.exit_code == 0, res.output
    with closing(sqlite3.connect(out2 / "sweep.sqlite")) as conn:
        assert conn.execute("SELECT COUNT(*) FROM points").fetchone() == (3,)


def test_sweep_block_errors_name_the_line(tmp_path):
    data = yaml.safe_load(tiny().to_yaml())
    data["sweep"] = {"vary": {"network.nosuch": [1, 2]}, "compare": ["focused", "nope"]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=None))
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2
    lines = path.read_text().splitlines()
    nosuch = next(i for i, t in enumerate(lines, 1) if "network.nosuch" in t)
    assert f"s.yaml:{nosuch}: sweep.vary.network.nosuch: the scenario has no key 'nosuch'" \
        in res.output
    assert "sweep.compare[1]: unknown strategy 'nope'" in res.output
    data["sweep"] = {"vary": {"network.mixing": "0.1:0.2"}}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2 and "sweep.vary: network.mixing: a range is LO:HI:N" in res.output
    data["sweep"] = {"vary": {"network.mixing": "0.1:0.2:2"}, "design": "lhs"}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2 and "needs `points`" in res.output


def test_no_vary_and_no_block_is_a_clear_error(tmp_path):
    path = _scenario_file(tmp_path)
    res = CliRunner().invoke(main, ["sweep", str(path), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no sweep: block" in res.output
    assert not (tmp_path / "o").exists()


# -- sensitivity -----------------------------------------------------------------------------

#: degree_exponent only shapes `lfr` graphs: on planted_partition it changes nothing.
INERT = "network.degree_exponent=2.5:3.5"
ACTIVE = "budget.total=500:6000"


@pytest.fixture(scope="module")
def sobol_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sens") / "sobol"
    params = [sensitivity.parse_param(p) for p in (ACTIVE, INERT)]
    return sensitivity.run_sensitivity(tiny(), params, out, method="sobol", n=16,
                                       replicates=3, workers=1)


def test_sobol_finds_the_parameter_that_matters(sobol_run):
    df = sensitivity.indices(sobol_run).set_index("parameter")
    # common random numbers: an inert parameter leaves every outcome unchanged, so its
    # indices are exactly zero (not merely small)
    assert df.loc["network.degree_exponent", "ST"] == 0.0
    assert df.loc["network.degree_exponent", "S1"] == 0.0
    active = df.loc["budget.total"]
    # the outcome depends on the budget alone, so its true S1 and ST are 1: the estimates'
    # 95% intervals hold 1 and exclude 0
    assert active.ST - active.ST_conf > 0 and abs(active.ST - 1) <= active.ST_conf
    assert active.S1 - active.S1_conf > 0 and abs(active.S1 - 1) <= active.S1_conf
    # the outcomes are the mean customers of the first strategy at each design row
    y = sensitivity.outcomes(sobol_run)
    assert len(y) == 16 * (2 + 2)
    with closing(sqlite3.connect(sobol_run / "sweep.sqlite")) as conn:
        spec = json.loads(dict(conn.execute("SELECT * FROM meta").fetchall())["sensitivity"])
    row = np.asarray(spec["X"][5])
    sc = apply(tiny(), {"budget.total": float(row[0]),
                              "network.degree_exponent": float(row[1])})
    per = wom.run(sc, replicates=3, workers=1).per_replicate()
    assert y[5] == pytest.approx(per[per.strategy == "focused"].customers.mean())


def test_sensitivity_csv_and_figure(sobol_run):
    path = sensitivity.export_csv(sobol_run)
    df = pd.read_csv(path)
    assert list(df.columns) == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    fig = sensitivity_figure(sobol_run)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["budget.total",
                                                            "network.degree_exponent"]
    widths = [p.get_width() for p in ax.patches]
    assert widths[:2] == pytest.approx(df.S1.tolist()) and widths[2:] == pytest.approx(
        df.ST.tolist())
    assert "customers of focused" in ax.get_title()


def test_morris_screens_out_the_inert_parameter(tmp_path):
    params = [sensitivity.parse_param(p) for p in (ACTIVE, INERT,
                                                   "segments.*.references=0:2")]
    out = sensitivity.run_sensitivity(tiny(), params, tmp_path / "m", method="morris", n=4,
                                      replicates=2, output="advantage", workers=1)
    df = sensitivity.indices(out).set_index("parameter")
    assert df.loc["network.degree_exponent", "mu_star"] == 0.0
    assert df.loc["budget.total", "mu_star"] > 0
    assert sensitivity.describe_output(out) == "focused − broad customers"
    # whole-number bounds: the runs saw whole numbers of references
    with closing(sqlite3.connect(out / "sweep.sqlite")) as conn:
        refs = {json.loads(p)["segments.*.references"]
                for (p,) in conn.execute("SELECT params_json FROM points")}
    assert refs <= {0, 1, 2} and all(isinstance(r, int) for r in refs)


def test_sensitivity_cli(tmp_path):
    path = _scenario_file(tmp_path)
    out = tmp_path / "cli"
    res = CliRunner().invoke(main, ["sensitivity", str(path), "-p", ACTIVE, "-p", INERT,
                                    "--n", "8", "-r", "2", "-w", "1", "-o", str(out),
                                    "--output", "advantage"])
    assert res.exit_code == 0, res.output
    assert "focused − broad customers" in res.output
    assert (out / "sensitivity.csv").exists() and (out / "sensitivity.png").exists()
    again = CliRunner().invoke(main, ["sensitivity", "--resume", str(out)])
    assert again.exit_code == 0 and again.output.splitlines()[:4] == res.output.splitlines()[:4]
    assert "_conf: half-width of the 95% bootstrap interval" in res.stdout
    widest = sensitivity.too_wide(sensitivity.indices(out))
    assert ("warning: intervals as wide as" in res.stderr) == (widest is not None)


def test_intervals_that_say_little_are_flagged():
    # A tiny design (--n 2) printed S1 -0.27 ± 0.54, ST 0.68 ± 1.30 as plainly as a large
    # one's (new-user trial): ±0.5 spans the whole scale of a Sobol index
    sobol = pd.DataFrame({"parameter": ["a", "b"], "S1": [-0.27, 0.0], "S1_conf": [0.54, 0.0],
                          "ST": [0.68, 0.0], "ST_conf": [1.30, 0.0]})
    assert sensitivity.too_wide(sobol) == pytest.approx(1.30)
    assert sensitivity.too_wide(sobol.assign(S1_conf=0.2, ST_conf=0.49)) is None
    # Morris: an interval half the size of the largest effect cannot rank the parameters
    morris = pd.DataFrame({"parameter": ["a", "b"], "mu_star": [10.0, 2.0],
                           "mu_star_conf": [5.0, 1.0], "sigma": [1.0, 1.0], "mu": [-10.0, 2.0]})
    assert sensitivity.too_wide(morris) == 5.0
    assert sensitivity.too_wide(morris.assign(mu_star_conf=[4.9, 1.0])) is None


@pytest.mark.parametrize(("args", "message"), [
    (["-p", ACTIVE, "--n", "12"], "Sobol needs a power of two"),
    (["-p", "budget.total=6000:500"], "LO must be below HI"),
    (["-p", "budget.total"], "expected PATH=LO:HI"),
    (["-p", ACTIVE, "-p", ACTIVE], "given twice"),
    (["-p", ACTIVE, "--strategy", "nope"], "unknown strategy 'nope'"),
    (["-p", "network.nosuch=0:1"], "nosuch"),
    ([], "at least one --param"),
])
def test_sensitivity_errors_exit_2_and_write_nothing(tmp_path, args, message):
    path = _scenario_file(tmp_path)
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["sensitivity", str(path), "-o", str(out), *args])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert not (out / "sweep.sqlite").exists()


def test_sensitivity_of_a_plain_sweep_is_refused(tmp_path):
    out = sweep.run_sweep(tiny(), [parse_vary(VARIES[0])], tmp_path / "s", replicates=1)
    with pytest.raises(WomError, match="holds a sweep, not a sensitivity"):
        sensitivity.indices(out)


# -- the crossover lesson ----------------------------------------------------------------------

@pytest.mark.slow
def test_crossover_focus_wins_with_references_and_low_mixing_broad_without(tmp_path):
    """The corners of scenarios/crossover.yaml's own sweep: focused beats broad where
    pragmatists need references and communities keep to themselves; broad beats focused
    where nobody needs a reference and communities mix most. Paired 95% intervals."""
    sc = wom.load_scenario(ROOT / "scenarios" / "crossover.yaml")
    assert sc.sweep is not None
    mixing = sc.sweep.varies()[0]
    refs = sc.sweep.varies()[1]
    assert mixing.path == "network.mixing" and refs.path == "segments.*.references"
    lo_mix, hi_mix = min(mixing.values), max(mixing.values)
    corners = [make_vary("network.mixing", [lo_mix, hi_mix]),
               make_vary("segments.*.references", [min(refs.values), 2])]
    out = sweep.run_sweep(sc, corners, tmp_path / "corners", replicates=30, workers=2)
    tab = analysis.paired(out, "focused", "broad").set_index(["network.mixing",
                                                           "segments.*.references"])
    assert tab.loc[(lo_mix, 2)].diff_lo > 0  # focus wins: references, low mixing
    assert tab.loc[(hi_mix, 0)].diff_hi < 0  # broad wins: no references, high mixing
    assert tab.loc[(lo_mix, 0)].diff_hi < 0  # without references broad wins anyway
    # and mixing erodes focus's edge where references are needed
    assert tab.loc[(lo_mix, 2)].diff_lo > tab.loc[(hi_mix, 2)].diff_hi


# -- bad sweeps are refused before anything runs --------------------------------------------

def _invoke(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.mark.parametrize(("vary", "message"), [
    (["network.mixing=0.1,2"], "sweep point network.mixing=2: network.mixing: Input should be"),
    (["strategies.0.segment=a,nosuch"], "unknown segment 'nosuch'"),
    (["segments.*.size=100,40000000"], "needs about"),
    (["network.mixing=0:1:5000", "dynamics.generic_resonance=0:1:5000"],
     "the grid has 25,000,000 points"),
])
def test_every_point_is_checked_before_anything_is_written(tmp_path, vary, message):
    path = _scenario_file(tmp_path)
    out = tmp_path / "o"
    args = ["sweep", str(path), "-o", str(out), "-w", "2"]
    for v in vary:
        args += ["--vary", v]
    res = _invoke(args)
    assert res.exit_code == 2, res.output
    assert message in res.stderr and "Traceback" not in res.output
    assert not out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--compare", "focused,nosuch"], "unknown strategy 'nosuch'"),
    (["--compare", "focused,focused"], "compare two different strategies"),
    (["--compare", "focused"], "expected two strategies A,B"),
])
def test_compare_is_checked_before_the_sweep_runs(tmp_path, monkeypatch, args, message):
    ran = []
    monkeypatch.setattr(design, "run", lambda *a, **k: ran.append(1))
    path = _scenario_file(tmp_path)
    out = tmp_path / "o"
    res = _invoke(["sweep", str(path), "--vary", VARIES[0], "-o", str(out), *args])
    assert res.exit_code == 2 and message in res.stderr
    assert not ran and not out.exists()


def test_folder_and_store_errors_exit_2(tmp_path):
    path = _scenario_file(tmp_path)
    (tmp_path / "afile").write_text("x")
    res = _invoke(["sweep", str(path), "--vary", VARIES[0], "-o", str(tmp_path / "afile/sub")])
    assert res.exit_code == 2 and "cannot create the sweep folder" in res.stderr
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "sweep.sqlite").write_bytes(b"not a database at all, just bytes" * 10)
    res = _invoke(["sweep", "--resume", str(fake)])
    assert res.exit_code == 2 and "is not a wom sweep store" in res.stderr
    res = _invoke(["sweep", "--resume", str(fake), "--design", "lhs"])
    assert res.exit_code == 2 and "--design cannot change it" in res.stderr
    res = _invoke(["sweep", str(path), "--vary", VARIES[0], "--points", "5"])
    assert res.exit_code == 2 and "--points sets the size of a Latin hypercube" in res.stderr


def test_scenario_errors_cross_process_boundaries():
    import pickle

    from wom.errors import ScenarioError

    err = ScenarioError("s.yaml", [("network.mixing", 3, "too big")])
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back, ScenarioError) and str(back) == str(err)


def test_a_text_parameter_gets_a_phase_figure(tmp_path):
    path = _scenario_file(tmp_path)
    out = tmp_path / "o"
    res = _invoke(["sweep", str(path), "-o", str(out), "-w", "1", "-r", "2",
                   "--vary", "strategies.1.seeding=random,hubs", "--vary", VARIES[0]])
    assert res.exit_code == 0, res.output
    fig = phase_figure(out, "focused", "broad")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["random", "hubs"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.05", "0.3"]
    one = sweep.run_sweep(tiny(), [parse_vary("strategies.1.seeding=random,hubs")],
                          tmp_path / "one", replicates=2)
    ax = phase_figure(one, "focused", "broad").axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["random", "hubs"]
    # two values with nothing between them: a point and an interval each, no joining line
    # and no band (a band between the two labels would claim values in between)
    tab = analysis.paired(one, "focused", "broad")
    means = ax.get_lines()[0]
    assert means.get_linestyle() == "None"
    assert np.allclose(means.get_ydata(), tab.diff_mean.to_numpy(float))
    assert not any(isinstance(c, PolyCollection) for c in ax.collections)


def test_whole_number_ranges_are_sampled_evenly():
    """Rounding a uniform draw on [0, 3] would give 0 and 3 half the weight of 1 and 2."""
    lhs = points([parse_vary("segments.*.references=0:3:4")], "lhs", n=400, seed=5)
    counts = np.bincount([p["segments.*.references"] for p in lhs])
    assert counts.tolist() == [100, 100, 100, 100]  # one per stratum: exact
    param = sensitivity.parse_param("segments.*.references=0:3")
    X = sensitivity.design([param], "sobol", 256, seed=5)
    values = [sensitivity._point([param], row)["segments.*.references"] for row in X]
    counts = np.bincount(values, minlength=4)
    # the Sobol base samples are balanced: each whole number within a few of a quarter
    assert counts.sum() == len(X) and np.abs(counts - len(X) / 4).max() <= 0.05 * len(X)


def test_sweep_block_lhs_needs_ranges_and_valid_values(tmp_path):
    data = yaml.safe_load(tiny().to_yaml())
    data["sweep"] = {"vary": {"network.mixing": "0.1:2:3",
                              "segments.*.references": [0, 1]}, "design": "lhs", "points": 4}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=None))
    res = _invoke(["validate", str(path)])
    assert res.exit_code == 2 and "needs ranges 'LO:HI:N', not lists: segments.*.references" \
        in res.stderr
    data["sweep"]["design"] = "grid"
    path.write_text(yaml.safe_dump(data, sort_keys=False, default_flow_style=None))
    res = _invoke(["validate", str(path)])
    assert res.exit_code == 2
    assert "sweep.vary.network.mixing: the value 1.05 does not make a valid scenario" in \
        res.stderr


def test_sensitivity_resume_can_explain_another_output(tmp_path):
    path = _scenario_file(tmp_path)
    out = tmp_path / "s"
    res = _invoke(["sensitivity", str(path), "-p", ACTIVE, "--n", "4", "-r", "2", "-w", "1",
                   "-o", str(out)])
    assert res.exit_code == 0 and "customers of focused" in res.output
    res = _invoke(["sensitivity", "--resume", str(out), "--output", "advantage"])
    assert res.exit_code == 0 and "focused − broad customers" in res.output
    want = sensitivity.indices(out, "advantage")
    assert pd.read_csv(out / "sensitivity.csv").ST.tolist() == pytest.approx(want.ST.tolist())


# -- fuzz: generated --vary options through wom sweep ----------------------------------------

_PATHS = ["network.mixing", "segments.*.references", "dynamics.talk_weeks", "budget.total",
          "strategies.1.seeding", "segments.0.size", "network.nosuch", "horizon", "seed",
          "segments.9.tam", "strategies.*.kind", "dynamics", "network.model"]
_ATOMS = st.one_of(st.integers(-5, 10**6), st.floats(-2, 3),
                   st.sampled_from(["nan", "inf", "hubs", "random", "lfr", "x", "", "1e9",
                                    "-0", "2:1:3", "0:1:0", "true"]))


_SANE = {"network.mixing": st.floats(0, 1), "segments.*.references": st.integers(0, 3),
         "dynamics.talk_weeks": st.integers(1, 6), "budget.total": st.floats(100, 9000),
         "strategies.1.seeding": st.sampled_from(["random", "hubs", "bridges"])}


@st.composite
def _vary_text(draw):
    if draw(st.integers(0, 3)) > 0:  # mostly plausible: a real key, values of its kind
        path = draw(st.sampled_from(sorted(_SANE)))
        items = draw(st.lists(_SANE[path], min_size=1, max_size=3, unique=True))
        if path != "strategies.1.seeding" and len(items) == 2 and draw(st.booleans()):
            lo, hi = sorted(items)
            return f"{path}={lo}:{hi}:{draw(st.integers(1, 3))}"
        return f"{path}=" + ",".join(str(i) for i in items)
    path = draw(st.sampled_from(_PATHS))
    if draw(st.booleans()):
        lo, hi = draw(_ATOMS), draw(_ATOMS)
        n = draw(st.integers(-1, 3))
        return f"{path}={lo}:{hi}:{n}"
    items = draw(st.lists(_ATOMS, min_size=0, max_size=3))
    return f"{path}=" + ",".join(str(i) for i in items)


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("WOM_FUZZ_SWEEPS", "60")))
@given(varies=st.lists(_vary_text(), min_size=1, max_size=2),
       design=st.sampled_from(["grid", "grid", "grid", "lhs"]))
def test_fuzzed_sweeps_run_or_exit_2(varies, design, fuzz_tally, tmp_path_factory):
    tally = fuzz_tally.setdefault("--vary options through wom sweep", Counter())
    base = tmp_path_factory.mktemp("fz")
    path = base / "s.yaml"
    path.write_text(tiny().model_copy(update={"replicates": 1}).to_yaml())
    out = base / "o"
    args = ["sweep", str(path), "-o", str(out), "-w", "1", "--design", design]
    if design == "lhs":
        args += ["--points", "3"]
    for v in varies:
        args += ["--vary", v]
    res = CliRunner().invoke(main, args)
    assert res.exception is None or isinstance(res.exception, SystemExit), (
        f"{args}: {res.exception!r}\n{res.output}")
    assert res.exit_code in (0, 2), res.output
    assert "Traceback" not in res.output
    if res.exit_code == 2:
        err = "\n".join(x for x in res.stderr.splitlines() if not x.startswith("warning:"))
        assert err.startswith("error:") and len(err) > 10
        assert not (out / "sweep.sqlite").exists()
        tally["refused"] += 1
    else:
        assert (out / "sweep.csv").exists()
        tally["ran"] += 1


def test_the_sweep_blocks_metric_is_the_one_in_sweep_csv(tmp_path):
    data = yaml.safe_load(tiny().to_yaml())
    data["sweep"] = {"vary": {"network.mixing": "0.05:0.3:2"}, "replicates": 2,
                     "metric": "wom_share"}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    res = CliRunner().invoke(main, ["sweep", str(path), "-o", str(tmp_path / "o"), "-w", "1"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "o" / "sweep.csv")
    assert {"wom_share_mean", "customers_mean"} <= set(table.columns)  # every metric
    assert (table.metric == "wom_share").all()  # the paired advantage is in the block's


def test_a_store_from_another_version_is_refused_clearly(tmp_path):
    """A sweep store made before a metric existed (fewer columns) cannot be resumed into."""
    out = sweep.run_sweep(tiny(), [parse_vary("network.mixing=0.1,0.2")], tmp_path / "s",
                          replicates=1, workers=1)
    with closing(sqlite3.connect(out / "sweep.sqlite")) as conn, conn:
        conn.execute("ALTER TABLE results DROP COLUMN spend")
        conn.execute("UPDATE points SET done = 0")
    res = CliRunner().invoke(main, ["sweep", "--resume", str(out), "-w", "1"])
    assert res.exit_code == 2 and "made by another version of wom" in res.stderr
    assert "Traceback" not in res.output
