"""Runner and results: reproducibility, common random numbers, tables, the run folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import wom
from helpers import small_scenario
from wom.errors import WomError
from wom.experiment import Replicate
from wom.store import COMPARISON_COLUMNS, SUMMARY_COLUMNS, TIMESERIES_COLUMNS, write_run

CSV = ("scenario.yaml", "timeseries.csv", "summary.csv", "comparison.csv")


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    sc = small_scenario(replicates=10)
    one = write_run(wom.run(sc, workers=1), tmp_path / "one")
    two = write_run(wom.run(sc, workers=2), tmp_path / "two")
    again = write_run(wom.run(sc, workers=1), tmp_path / "again")
    for name in CSV:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
        assert (one / name).read_bytes() == (again / name).read_bytes(), name
    other = write_run(wom.run(sc, seed=8, workers=1), tmp_path / "other")
    assert (one / "timeseries.csv").read_bytes() != (other / "timeseries.csv").read_bytes()


def test_more_replicates_extend_without_changing_the_first_ones():
    sc = small_scenario()
    a = wom.run(sc, replicates=3, workers=1)
    b = wom.run(sc, replicates=5, workers=1)
    assert np.array_equal(a.new_by_cause, b.new_by_cause[:, :3])


def test_strategies_share_the_market_of_each_replicate():
    """Common random numbers: a strategy's results do not depend on the others listed."""
    sc = small_scenario()
    both = wom.run(sc, replicates=4, workers=1)
    only_broad = wom.run(sc.model_copy(update={"strategies": sc.strategies[1:]}),
                         replicates=4, workers=1)
    assert np.array_equal(both.new_by_cause[1], only_broad.new_by_cause[0])


def test_tables_follow_the_contract():
    res = wom.run(small_scenario(), replicates=6, workers=1)
    ts, summary, comp = res.timeseries(), res.summary(), res.comparison()
    sc = res.scenario
    assert list(ts.columns) == TIMESERIES_COLUMNS
    assert len(ts) == 2 * 6 * sc.horizon * 3
    assert list(summary.columns[:8]) == SUMMARY_COLUMNS[:8]
    assert list(comp.columns) == COMPARISON_COLUMNS
    causes = ts.new_by_seed + ts.new_by_marketing + ts.new_by_wom
    assert (causes == ts.new_adopters).all()
    cum = ts.groupby(["strategy", "replicate", "segment"], sort=False).new_adopters.cumsum()
    assert (cum == ts.adopters).all()
    assert (ts.groupby(["strategy", "replicate", "segment"]).adopters.diff().dropna() >= 0).all()
    # Summary agrees with the time series it summarises.
    last = ts[ts.step == sc.horizon - 1].groupby(["strategy", "replicate"]).adopters.sum()
    for row in summary.itertuples():
        c = last.loc[row.strategy].to_numpy(float)
        assert row.customers_mean == pytest.approx(c.mean())
        assert row.customers_lo < row.customers_mean < row.customers_hi
        spend = ts[ts.strategy == row.strategy].groupby("replicate").spend.sum()
        assert row.spend_mean == pytest.approx(spend.mean())
        assert row.spend_mean <= sc.budget.total
    # The paired difference is the difference of the means.
    c = comp[comp.metric == "customers"].iloc[0]
    s = summary.set_index("strategy")
    assert c.diff_mean == pytest.approx(s.customers_mean[c.a] - s.customers_mean[c.b])
    assert 0.0 <= c.p_a_beats_b <= 1.0


def test_interval_covers_like_a_95_percent_interval():
    """mean_interval: about 95% coverage on known normal data (binomial tolerance)."""
    from wom.store import mean_interval

    rng = np.random.default_rng(5)
    trials = 2000
    hits = sum(lo <= 3.0 <= hi for _, lo, hi in
               (mean_interval(rng.normal(3.0, 2.0, 12)) for _ in range(trials)))
    assert abs(hits / trials - 0.95) < 4 * np.sqrt(0.95 * 0.05 / trials)


def test_run_folder_is_complete_and_never_overwritten(tmp_path):
    res = wom.run(small_scenario(), replicates=3, workers=1)
    out = wom.save(res, tmp_path / "run")
    names = {p.name for p in out.iterdir()}
    assert {*CSV, "manifest.json", "adoption.png", "segments.png", "causes.png",
            "differences.png", "penetration.png"} <= names
    assert (out / "adoption.png").stat().st_size > 10_000
    back = wom.read_run(out)
    assert back.scenario == res.scenario
    assert list(back.timeseries().columns) == TIMESERIES_COLUMNS
    # one interface, live or read back (issue 14, item 20): the same methods, the same tables
    for table in ("timeseries", "summary", "comparison"):
        live, read = getattr(res, table)(), getattr(back, table)()
        # types too: a whole mean (spend 60000.0) came back as an integer (new-user trial)
        pd.testing.assert_frame_equal(live.reset_index(drop=True), read, rtol=1e-9)
    # the report reads the folder without its large timeseries
    small = wom.read_run(out, timeseries=False)
    pd.testing.assert_frame_equal(small.summary(), back.summary())
    pd.testing.assert_frame_equal(small.comparison(), back.comparison())
    assert small.scenario == back.scenario and small.manifest == back.manifest
    with pytest.raises(WomError, match="without its timeseries"):
        small.timeseries()
    with pytest.raises(WomError, match="plots are drawn from a run"):
        wom.plot_run(str(out), tmp_path / "plots")
    assert back.manifest["seed"] == 7 and back.manifest["graph"]["people"] == 270
    before = (out / "summary.csv").read_bytes()
    # said to a notebook user too, who has no --out (new-user trial)
    with pytest.raises(WomError, match=r"already exists; choose another folder \(--out on "
                                       r"the command line\): runs are never overwritten"):
        wom.save(res, out)
    assert (out / "summary.csv").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    # a link that leads nowhere is said to be one, as the command line says it (breaker)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "gone")
    with pytest.raises(WomError, match=f"a link to {tmp_path / 'gone'}, which leads nowhere"):
        wom.save(res, link)
    assert link.is_symlink() and not (tmp_path / "gone").exists()


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    res = wom.run(small_scenario(), replicates=2, workers=1)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("wom.viz.outputs.start_plots", boom)
    with pytest.raises(RuntimeError):
        wom.save(res, tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fails", ["timeseries.csv", "summary.csv", "manifest.json",
                                   "scenario.yaml"])
def test_a_full_disk_names_the_file_it_was_writing(tmp_path, monkeypatch, fails):
    # A full disk fails a write or a close, and neither error names a file: `wom fit` and
    # `wom run` said "cannot write the fit folder: No space left on device" (breaker trial)
    import errno

    from wom.errors import failed_write
    from wom.store import folder

    res = wom.run(small_scenario(), replicates=2, workers=1)
    real_frame, real_text = folder.write_frame, Path.write_text

    def full(path):
        if Path(path).name == fails:
            raise OSError(errno.ENOSPC, "No space left on device")  # (no file named)

    def frame(df, path, *args):
        full(path)
        real_frame(df, path, *args)

    def text(self, *args, **kwargs):
        full(self)
        return real_text(self, *args, **kwargs)

    monkeypatch.setattr(folder, "write_frame", frame)
    monkeypatch.setattr(Path, "write_text", text)
    with pytest.raises(OSError) as caught:
        wom.save(res, tmp_path / "a" / "b" / "run")
    assert Path(caught.value.filename).name == fails
    assert failed_write(caught.value) == f"No space left on device (writing {fails})"
    assert list(tmp_path.iterdir()) == []  # nor the folders it made for the run (a/b)


def test_a_run_folder_wom_names_is_named_when_it_cannot_be_written(tmp_path, monkeypatch):
    # without --out the error said "results: cannot write the run folder" (breaker re-check)
    import errno

    from click.testing import CliRunner

    from wom.cli import main
    from wom.store import folder

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    scenario = tmp_path / "mine.yaml"
    scenario.write_text(small_scenario().model_copy(update={"name": "mine"}).to_yaml())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(folder, "write_frame", full)
    done = CliRunner().invoke(main, ["run", "mine.yaml", "-r", "1", "-w", "1", "--quiet"])
    assert done.exit_code == 2, done.output
    assert done.stderr.startswith(f"error: {Path('results') / 'mine'}: cannot write the run "
                                  "folder: No space left on device (writing ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.yaml"]  # no results/mine/


def test_writing_names_only_what_names_no_file(tmp_path):
    from wom.errors import writing

    with pytest.raises(OSError) as caught, writing(tmp_path / "a.csv"):
        (tmp_path / "missing" / "b.csv").write_text("x")  # (names its own file)
    assert caught.value.filename == str(tmp_path / "missing" / "b.csv")
    with pytest.raises(OSError) as caught, writing("/dev/full"), open("/dev/full", "w") as f:
        f.write("x")
    assert caught.value.filename == "/dev/full"


def test_default_run_folders_are_distinct(tmp_path):
    res = wom.run(small_scenario(), replicates=2, workers=1)
    a = wom.save(res, root=tmp_path)
    b = wom.save(res, root=tmp_path)
    assert a != b and a.parent == b.parent == tmp_path / "small"


def test_replicate_i_runs_draw_i_of_the_uncertainty_block():
    """A fitted scenario's draws: replicate i uses draw i mod n, the same for every strategy
    (so strategy differences stay paired), and the market and streams stay replicate i's."""
    base = small_scenario(replicates=4, dynamics={"word_of_mouth": 0.0, "marketing": 0.0},
                          budget={"total": 0})
    data = base.model_dump(mode="json")
    data["uncertainty"] = {"draws": {"dynamics.background": [0.0, 0.3]}, "source": "a test"}
    sc = wom.scenario_from_dict(data)
    res = wom.run(sc, workers=1)
    per = res.per_replicate()
    customers = per.pivot(index="replicate", columns="strategy", values="customers")
    assert (customers.loc[[0, 2]] == 0).all().all()  # draws 0: no background
    assert (customers.loc[[1, 3]] > 50).all().all()  # draws 1: a third of the open adopt
    rep = Replicate(sc, 3)
    assert rep.scenario.dynamics.background == 0.3 and rep.scenario.uncertainty is None
    assert np.array_equal(rep.population.indices, Replicate(base, 3).population.indices)


def test_kept_tables_are_the_tables_derived_afresh():
    r = wom.run(small_scenario(), replicates=3, workers=1)
    fresh = {name: getattr(r, name)() for name in
             ("timeseries", "per_replicate", "summary", "comparison")}
    with r.kept():
        for name, table in fresh.items():
            kept = getattr(r, name)()
            assert getattr(r, name)() is kept  # derived once in the block
            pd.testing.assert_frame_equal(kept, table)
        assert r.money() is r.money()
    assert r.timeseries() is not r.timeseries()  # afresh again after it


def test_a_run_made_in_a_folder_since_removed_records_no_folder(monkeypatch):
    """The working folder goes into the manifest (its recorded call's relative paths); one
    removed while the run ran is recorded as unknown instead of losing the results."""
    from wom.experiment.runner import working_folder

    assert working_folder() == os.getcwd()

    def gone() -> str:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(os, "getcwd", gone)
    assert working_folder() == ""
