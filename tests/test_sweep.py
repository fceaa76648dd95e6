"""Parameter sweeps: parsing, designs, SQLite storage, resume, CSV and the phase figure."""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import wom
from helpers import small_scenario
from wom.cli import main
from wom.config import METRIC_NAMES, Vary, apply, parse_vary
from wom.errors import ScenarioError, WomError
from wom.experiment import analysis, design, sweep
from wom.experiment.design import points
from wom.viz import phase_figure


def tiny() -> wom.Scenario:
    return small_scenario(horizon=6, replicates=3,
                          budget={"total": 3000, "cost_per_seed": 200, "cost_per_contact": 5,
                                  "seed_share": 0.4, "campaign_weeks": 3})


# -- parse_vary ------------------------------------------------------------------------------

def test_parse_range_floats():
    v = parse_vary("network.mixing=0.01:0.3:8")
    assert v.path == "network.mixing"
    assert len(v.values) == 8
    assert v.values[0] == pytest.approx(0.01) and v.values[-1] == pytest.approx(0.3)
    assert all(isinstance(x, float) for x in v.values)
    assert np.allclose(np.diff(v.values), (0.3 - 0.01) / 7)
    assert v.range == (0.01, 0.3)


def test_parse_range_ints_stay_ints():
    v = parse_vary("segments.*.references=0:3:4")
    assert v.values == (0, 1, 2, 3)
    assert all(type(x) is int for x in v.values)
    assert v.integer
    # integer bounds with fractional steps give floats
    assert all(isinstance(x, float) for x in parse_vary("horizon=0:1:3").values)


def test_parse_list():
    v = parse_vary("segments.*.references=0,1,2,3")
    assert v.values == (0, 1, 2, 3) and v.range is None
    assert parse_vary("network.model=lfr,clustered").values == ("lfr", "clustered")
    assert parse_vary("dynamics.overlap=0.1, 0.5").values == (0.1, 0.5)


@pytest.mark.parametrize("text", [
    "network.mixing", "=0,1", "network..mixing=0,1", "network.mixing=", "network.mixing=0:1",
    "network.mixing=a:b:3", "network.mixing=0:1:0", "network.mixing=1:0:3",
    "network.mixing=0,,1", "network.mixing=1,1", "net work=1,2", "network.mixing=0:1:1",
])
def test_parse_errors_name_the_text(text):
    with pytest.raises(WomError, match="--vary") as exc:
        parse_vary(text)
    assert repr(text) in str(exc.value)


# -- designs ---------------------------------------------------------------------------------

def test_grid_is_the_cartesian_product():
    a, b = parse_vary("network.mixing=0.1:0.3:3"), parse_vary("segments.*.references=0,2")
    pts = points([a, b])
    assert len(pts) == 6
    assert {(p["network.mixing"], p["segments.*.references"]) for p in pts} == {
        (x, y) for x in a.values for y in b.values}
    assert all(list(p) == ["network.mixing", "segments.*.references"] for p in pts)


def test_lhs_hits_every_stratum_once():
    vs = [parse_vary("network.mixing=0:0.5:2"), parse_vary("dynamics.overlap=0.2:1:2")]
    n = 10
    pts = points(vs, "lhs", n=n, seed=3)
    assert len(pts) == n
    for v in vs:
        lo, hi = v.range
        x = np.array([p[v.path] for p in pts])
        assert ((x >= lo) & (x <= hi)).all()
        strata = np.floor((x - lo) / (hi - lo) * n).astype(int)
        assert sorted(strata.tolist()) == list(range(n))
    assert points(vs, "lhs", n=n, seed=3) == pts
    assert points(vs, "lhs", n=n, seed=4) != pts


def test_design_errors():
    with pytest.raises(WomError, match="numeric range"):
        points([parse_vary("segments.*.references=0,1")], "lhs", n=4)
    with pytest.raises(WomError, match="number of points"):
        points([parse_vary("network.mixing=0:1:3")], "lhs")
    with pytest.raises(WomError, match="unknown design"):
        points([parse_vary("network.mixing=0:1:3")], "sobol")
    with pytest.raises(WomError, match="twice"):
        points([parse_vary("network.mixing=0:1:3"), parse_vary("network.mixing=0,1")])


# -- apply -----------------------------------------------------------------------------------

def test_apply_sets_every_segment():
    sc = tiny()
    assert [s.references for s in sc.segments] == [1, 0, 0]
    out = apply(sc, {"segments.*.references": 3, "network.mixing": 0.25})
    assert [s.references for s in out.segments] == [3, 3, 3]
    assert out.network.mixing == 0.25
    assert sc.network.mixing == 0.15 and sc.segments[1].references == 0  # original untouched
    assert apply(sc, {"segments.1.size": 50}).segments[1].size == 50


def test_apply_errors_name_the_key():
    with pytest.raises(ScenarioError, match=r"network\.mixing"):
        apply(tiny(), {"network.mixing": 1.5})
    with pytest.raises(ScenarioError, match=r"network\.mixng"):
        apply(tiny(), {"network.mixng": 0.1})
    with pytest.raises(WomError, match="nosuch"):
        apply(tiny(), {"nosuch.key": 1})


# -- storage and resume ----------------------------------------------------------------------

VARIES = ["network.mixing=0.05,0.3", "segments.*.references=0:2:3"]


def _varies() -> list[Vary]:
    return [parse_vary(t) for t in VARIES]


def _table(out: Path) -> pd.DataFrame:
    with closing(sqlite3.connect(out / "sweep.sqlite")) as conn:
        return pd.read_sql_query(
            "SELECT p.params_json, r.strategy, r.replicate, r.customers, r.segments_ignited, "
            "r.weeks_to_ignite, r.cost_per_customer, r.wom_share, r.spend FROM results r "
            "JOIN points p ON p.id = r.point_id ORDER BY p.params_json, r.strategy, r.replicate",
            conn)


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "full"
    return sweep.run_sweep(tiny(), _varies(), out, replicates=3, workers=1)


def test_sqlite_rows_and_keys(full):
    t = _table(full)
    assert len(t) == 6 * 2 * 3
    assert not t.duplicated(["params_json", "strategy", "replicate"]).any()
    assert set(t.strategy) == {"focused", "broad"} and set(t.replicate) == {0, 1, 2}
    with closing(sqlite3.connect(full / "sweep.sqlite")) as conn:
        assert conn.execute("SELECT COUNT(*), SUM(done) FROM points").fetchone() == (6, 6)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    assert {"scenario", "varies", "design"} <= set(meta) and meta["design"] == "grid"
    # each point's rows are that point's own run (same seed: common random numbers)
    sc = apply(tiny(), {"network.mixing": 0.3, "segments.*.references": 2})
    per = wom.run(sc, replicates=3, workers=1).per_replicate()
    got = t[t.params_json == '{"network.mixing": 0.3, "segments.*.references": 2}']
    want = per.sort_values(["strategy", "replicate"])
    assert got.customers.tolist() == want.customers.astype(float).tolist()
    # the points differ from one another
    assert t.groupby("params_json").customers.sum().nunique() > 1


def test_existing_sweep_is_not_overwritten(full):
    with pytest.raises(WomError, match="resume"):
        sweep.run_sweep(tiny(), _varies(), full, replicates=3, workers=1)


def test_resume_after_interruption_is_identical_and_reruns_nothing(full, tmp_path, monkeypatch):
    calls = []
    real = design.run

    def counting(sc, **kw):
        calls.append((sc.network.mixing, sc.segments[0].references))
        return real(sc, **kw)

    monkeypatch.setattr(design, "run", counting)

    def stop_after_two(done, total):
        assert total == 6
        if done == 2:
            raise KeyboardInterrupt

    out = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        sweep.run_sweep(tiny(), _varies(), out, replicates=3, workers=1,
                        progress=stop_after_two)
    assert len(calls) == 2
    with closing(sqlite3.connect(out / "sweep.sqlite")) as conn:
        assert conn.execute("SELECT SUM(done) FROM points").fetchone() == (2,)
        assert conn.execute("SELECT COUNT(*) FROM results").fetchone() == (2 * 2 * 3,)
    first = list(calls)
    seen = []
    sweep.resume(out, workers=1, progress=lambda d, t: seen.append(d))
    assert len(calls) == 6
    assert set(calls[2:]).isdisjoint(first)
    assert seen == [2, 3, 4, 5, 6]  # where it stands, then each point finished
    pd.testing.assert_frame_equal(_table(out), _table(full))
    sweep.resume(out, workers=1)  # nothing left to do
    assert len(calls) == 6


def test_resume_of_a_folder_without_sweep(tmp_path):
    with pytest.raises(WomError, match="no sweep"):
        sweep.resume(tmp_path)


# -- CSV and figures -------------------------------------------------------------------------

def test_sweep_csv(full):
    path = analysis.export_csv(full)
    assert path == full / "sweep.csv"
    df = pd.read_csv(path)
    # every metric, not only the compared one (issue 14, item 14)
    assert list(df.columns) == ["network.mixing", "segments.*.references", "strategy",
                                *(f"{m}_{x}" for m in METRIC_NAMES
                                  for x in ("mean", "lo", "hi")),
                                "paid_back_share", "vs", "metric", "diff_mean", "diff_lo",
                                "diff_hi"]
    assert (df.metric == "customers").all()
    assert len(df) == 6 * 2
    assert (df.vs == "focused").all()
    assert df[df.strategy == "focused"].diff_mean.isna().all()
    t = analysis.read_results(full)
    one = t[(t["network.mixing"] == 0.05) & (t["segments.*.references"] == 1)]
    f = one[one.strategy == "focused"].customers.to_numpy()
    b = one[one.strategy == "broad"].customers.to_numpy()
    row = df[(df["network.mixing"] == 0.05) & (df["segments.*.references"] == 1)
             & (df.strategy == "broad")].iloc[0]
    assert row.customers_mean == pytest.approx(b.mean())
    assert row.diff_mean == pytest.approx((b - f).mean())
    assert row.customers_lo <= row.customers_mean <= row.customers_hi


def test_phase_figure_two_parameters(full):
    fig = phase_figure(full, "focused", "broad")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "network.mixing"
    assert ax.get_ylabel() == "segments.*.references"
    assert "focused − broad customers" in ax.get_title()
    z = ax.images[0].get_array()
    assert z.shape == (3, 2)
    assert ax.images[0].norm.vcenter == 0
    df = pd.read_csv(analysis.export_csv(full))
    broad = df[df.strategy == "broad"]
    # sweep.csv holds broad − focused: the same intervals, mirrored
    crossing = sum(math.isnan(lo) or lo <= 0 <= hi for lo, hi in zip(
        broad.diff_lo, broad.diff_hi, strict=True))
    marks = [t for t in ax.texts if t.get_text() == "×"]
    assert len(marks) == crossing
    r = broad[(broad["network.mixing"] == 0.3) & (broad["segments.*.references"] == 2)].iloc[0]
    assert z[2, 1] == pytest.approx(-r.diff_mean)


def test_phase_figure_one_parameter(tmp_path):
    out = sweep.run_sweep(tiny(), [parse_vary("network.mixing=0.05:0.35:3")], tmp_path / "one",
                          replicates=2, workers=1)
    fig = phase_figure(out, "focused", "broad")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "network.mixing"
    assert "focused − broad customers" in ax.get_title()
    line = ax.get_lines()[0]
    tab = analysis.paired(out, "focused", "broad")
    assert np.allclose(line.get_xdata(), [0.05, 0.2, 0.35])
    assert np.allclose(line.get_ydata(), tab.sort_values("network.mixing").diff_mean)
    assert any(np.allclose(ln.get_ydata(), 0) for ln in ax.get_lines()[1:])
    assert len(ax.collections) >= 1  # the band


def test_phase_figure_errors(full):
    with pytest.raises(WomError, match="unknown strategy"):
        phase_figure(full, "focused", "nope")


def test_a_sweep_whose_graph_file_changed_is_not_resumed(tmp_path):
    """Resuming after the graph file was edited would mix two markets: refused, naming the
    file (issue 14, item 3); the run manifest records the file's digest too."""
    from wom.experiment.sweep import create_store, resume, sweep_inputs

    graph = tmp_path / "g.txt"
    graph.write_text("".join(f"{i} {(i + 1) % 40}\n{i} {(i + 7) % 40}\n" for i in range(40)),
                     encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text("name: real\nreplicates: 2\nhorizon: 6\nnetwork:\n  model: file\n"
                    "  file: {path: g.txt}\nbudget: {total: 2000}\n"
                    "strategies:\n  - {name: b, kind: broad}\n", encoding="utf-8")
    sc = wom.load_scenario(path)
    pts = [{"dynamics.word_of_mouth": w} for w in (0.1, 0.2)]
    out = tmp_path / "sweep"
    create_store(out, sc, pts, {"varies": "[]", "replicates": "1",
                                "inputs": json.dumps(sweep_inputs(sc, pts))})
    graph.write_text(graph.read_text() + "0 20\n", encoding="utf-8")
    with pytest.raises(WomError, match=r"g\.txt: changed since the sweep in .* was started"):
        resume(out, workers=1)
    result = CliRunner().invoke(main, ["sweep", "--resume", str(out)])
    assert result.exit_code == 2 and "g.txt: changed since" in result.stderr
    assert not sqlite3.connect(out / "sweep.sqlite").execute(
        "SELECT COUNT(*) FROM results").fetchone()[0]  # nothing computed on the new graph
    graph.unlink()
    with pytest.raises(WomError, match="cannot be read now"):
        resume(out, workers=1)
    # a run's manifest names every input by content
    graph.write_text("0 1\n1 2\n2 0\n", encoding="utf-8")
    run = wom.run(wom.load_scenario(path), workers=1)
    assert run.meta["inputs"] == {str(graph.resolve()): hashlib.sha256(
        graph.read_bytes()).hexdigest()}


def test_a_store_that_cannot_be_written_is_refused_before_computing(tmp_path, monkeypatch):
    """Resuming on a read-only store computed a point, then died with a traceback (issue 14,
    item 6); a full disk while storing did too. Both are now errors naming the store, the
    first before any point runs, the second keeping the points stored before."""
    sc = small_scenario(replicates=2)
    out = tmp_path / "sweep"
    sweep.create_store(out, sc, [{"network.mixing": 0.1}, {"network.mixing": 0.2}],
                       {"varies": json.dumps([parse_vary("network.mixing=0.1,0.2").to_json()]),
                        "replicates": "2"})
    db = out / "sweep.sqlite"
    monkeypatch.setattr(sweep, "_connect", lambda d: sqlite3.connect(
        f"file:{d / 'sweep.sqlite'}?mode=ro", uri=True))
    monkeypatch.setattr(sweep, "point_rows", lambda *a, **k: pytest.fail("computed a point"))
    result = CliRunner().invoke(main, ["sweep", "--resume", str(out), "-w", "1"])
    assert result.exit_code == 2 and "cannot write the sweep store" in result.stderr, (
        result.output)
    monkeypatch.undo()

    stored = []
    real_store = sweep._store

    def fill_up(conn, point_id, rows):
        if stored:
            raise sqlite3.OperationalError("database or disk is full")
        stored.append(point_id)
        real_store(conn, point_id, rows)

    monkeypatch.setattr(sweep, "_store", fill_up)
    result = CliRunner().invoke(main, ["sweep", "--resume", str(out), "-w", "1"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot store a finished point (database or disk is full)" in result.stderr
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM points WHERE done = 1").fetchone()[0] == 1
    monkeypatch.undo()
    assert CliRunner().invoke(main, ["sweep", "--resume", str(out), "-w", "1"]).exit_code == 0
