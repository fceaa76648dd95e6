"""A stopped ``wom optimize`` goes on with ``--resume`` to the result of an uninterrupted
search (identical trials.csv and best.yaml), and runs on a Dask cluster to the result of
local workers (issue 17)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import wom
from test_optimize import twins
from wom.cli import main
from wom.experiment import optimize as opt
from wom.experiment.searchstore import STORE

#: A search of 5 batches (40 trials), long enough to stop after two of them.
SEARCH = {"trials": 40, "replicates": 12}
SAME = ("trials.csv", "best.yaml", "confirmation.csv")


def scenario_file(tmp_path: Path, **optimize: Any) -> Path:
    path = tmp_path / "twins.yaml"
    path.write_text("# LESSON: two twins\n" + yaml.safe_dump(
        twins(optimize={**SEARCH, **optimize})), encoding="utf-8")
    return path


def wom_cli(*args: str) -> Any:
    return CliRunner().invoke(main, [*args])


def stored(folder: Path) -> int:
    """Trials in the search's store."""
    with closing(sqlite3.connect(folder / STORE)) as conn:
        return conn.execute("SELECT COUNT(*) FROM trials").fetchone()[0]


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The search run straight through."""
    tmp = tmp_path_factory.mktemp("straight")
    out = tmp / "opt"
    res = wom_cli("optimize", str(scenario_file(tmp)), "-o", str(out), "-w", "1", "-r", "8",
                  "-q")
    assert res.exit_code == 0, res.output
    return out


def test_a_search_stopped_after_two_batches_resumes_to_the_same_result(
        tmp_path: Path, straight: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    race = opt._race

    def stop_on_third(*args):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return race(*args)

    monkeypatch.setattr(opt, "_race", stop_on_third)
    out = tmp_path / "opt"
    res = wom_cli("optimize", str(scenario_file(tmp_path)), "-o", str(out), "-w", "1",
                  "-r", "8", "-q")
    assert res.exit_code == 130, res.output
    assert f"the trials finished are kept: wom optimize --resume {out}" in res.output
    assert stored(out) == 2 * opt.BATCH
    # what was found so far is in the folder, not confirmed
    assert len((out / "trials.csv").read_text().splitlines()) == 1 + 2 * opt.BATCH
    assert (out / "best.yaml").exists() and not (out / "confirmation.csv").exists()
    assert json.loads((out / "manifest.json").read_text())["interrupted"] is True
    monkeypatch.setattr(opt, "_race", race)

    simulated: list[int] = []
    chunk = opt.Evaluator.values

    def spy(self, specs, replicates):  # type: ignore[no-untyped-def]
        before = len(self.done)
        got = chunk(self, specs, replicates)
        simulated.append(len(self.done) - before)
        return got

    monkeypatch.setattr(opt.Evaluator, "values", spy)
    res = wom_cli("optimize", "--resume", str(out), "-w", "2", "-q")
    assert res.exit_code == 0, res.output
    for name in SAME:
        assert (out / name).read_bytes() == (straight / name).read_bytes(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["trials_replayed"] == 2 * opt.BATCH and not manifest["interrupted"]
    # the trials replayed were not simulated again: the first calls computed nothing
    assert simulated[:2] == [0, 0] and sum(simulated) > 0
    assert not list(out.glob(".*"))  # no temporary left


def test_resuming_a_finished_search_says_so(straight: Path) -> None:
    before = {p.name: p.read_bytes() for p in straight.iterdir()}
    res = wom_cli("optimize", "--resume", str(straight))
    assert res.exit_code == 0, res.output
    assert "this search is finished" in res.output
    assert {p.name: p.read_bytes() for p in straight.iterdir()} == before


def test_resume_of_a_folder_that_is_not_a_search_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    res = wom_cli("optimize", "--resume", str(empty))
    assert res.exit_code == 2
    assert f"{empty} holds no wom optimize search (search.sqlite is missing)" in res.output
    assert "Traceback" not in res.output
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "sweep.sqlite").write_bytes(b"")
    res = wom_cli("optimize", "--resume", str(sweep))
    assert res.exit_code == 2 and f"it holds a sweep: wom sweep --resume {sweep}" in res.output
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / STORE).write_bytes(b"not a database at all, not even close" * 10)
    res = wom_cli("optimize", "--resume", str(junk))
    assert res.exit_code == 2 and "is not a wom optimize store" in res.output
    assert "Traceback" not in res.output
    res = wom_cli("optimize", "--resume", str(tmp_path / "nowhere"))
    assert res.exit_code == 2 and "nowhere: does not exist" in res.output


@pytest.mark.parametrize(("args", "message"), [
    (["--trials", "3"], "--trials cannot change it"),
    (["--seed", "1", "-r", "4"], "--seed, --replicates cannot change it"),
    (["SCENARIO"], "takes no SCENARIO"),
])
def test_a_resume_cannot_change_the_search(straight: Path, tmp_path: Path,
                                           args: list[str], message: str) -> None:
    args = [str(scenario_file(tmp_path)) if a == "SCENARIO" else a for a in args]
    res = wom_cli("optimize", "--resume", str(straight), *args)
    assert res.exit_code == 2 and message in res.output, res.output


def test_a_store_the_search_does_not_replay_is_refused(tmp_path: Path) -> None:
    """A store whose plans a fresh sampler does not ask again (here one plan altered, as
    another version of optuna would propose another) is refused, not silently mixed into
    a new search."""
    out = tmp_path / "opt"
    res = wom_cli("optimize", str(scenario_file(tmp_path, trials=16)), "-o", str(out),
                  "-w", "1", "-r", "4", "-q")
    assert res.exit_code == 0, res.output
    with closing(sqlite3.connect(out / STORE)) as conn, conn:
        plan = json.loads(conn.execute("SELECT plan FROM trials WHERE number = 2"
                                       ).fetchone()[0])
        plan["weights"] = {"a": 1, "b": 9} if plan["weights"] != {"a": 1, "b": 9} else {"a": 1}
        conn.execute("UPDATE trials SET plan = ? WHERE number = 2", (json.dumps(plan),))
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'finished'")
    res = wom_cli("optimize", "--resume", str(out), "-w", "1", "-q")
    assert res.exit_code == 2, res.output
    assert "trial 2 came out differently when the search was replayed" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize(("sql", "message"), [
    ("UPDATE meta SET value = 'abc' WHERE key = 'confirm_replicates'", "the store is damaged"),
    ("DELETE FROM meta WHERE key = 'inputs'", "the store is damaged"),
    ("UPDATE meta SET value = '{{: [' WHERE key = 'scenario'", "is not a wom optimize store"),
    ("UPDATE trials SET trial_values = 'null' WHERE number = 1", "cannot be read"),
])
def test_a_damaged_store_exits_2(straight: Path, tmp_path: Path, sql: str,
                                 message: str) -> None:
    out = tmp_path / "copy"
    shutil.copytree(straight, out)
    with closing(sqlite3.connect(out / STORE)) as conn, conn:
        conn.execute(sql)
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'finished'")
    res = wom_cli("optimize", "--resume", str(out), "-w", "1", "-q")
    assert res.exit_code == 2 and message in res.output, res.output
    assert "Traceback" not in res.output


def test_a_stop_while_the_store_is_made_leaves_no_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wom.experiment.searchstore import SearchStore

    def stopped(*args: Any, **kw: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SearchStore, "_create", stopped)
    out = tmp_path / "opt"
    res = wom_cli("optimize", str(scenario_file(tmp_path)), "-o", str(out), "-q")
    assert res.exit_code == 130
    assert not out.exists()  # the name is free for the next try


@pytest.mark.parametrize(("args", "message"), [
    (["--trials", "1000000"], "--trials 1000000: Input should be less than or equal to"),
    (["-r", "1000000"], "--replicates 1000000: at most 999,999"),
    (["--set", "strategies.focused.name=trial-3"], "a strategy called 'trial-3'"),
])
def test_a_search_that_cannot_be_done_is_refused_before_any_folder(
        tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "opt"
    res = wom_cli("optimize", str(scenario_file(tmp_path)), "-o", str(out), *args)
    assert res.exit_code == 2 and message in res.output, res.output
    assert "Traceback" not in res.output and not out.exists()


def test_a_seed_beyond_32_bits_searches(tmp_path: Path) -> None:
    res = wom_cli("optimize", str(scenario_file(tmp_path, trials=8)), "-o",
                  str(tmp_path / "o"), "--seed", str(2**40 + 3), "-w", "1", "-r", "4", "-q")
    assert res.exit_code == 0, res.output


def test_an_existing_folder_is_not_written_over(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    res = wom_cli("optimize", str(scenario_file(tmp_path)), "-o", str(other))
    assert res.exit_code == 2 and "already exists" in res.output
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


# -- a real process, stopped ------------------------------------------------------------------

def hear_ctrl_c() -> None:
    """In the child: Ctrl-C back to its default (a suite started in the background passes
    SIGINT on ignored; see tests/test_signals.py)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_and_stop(tmp_path: Path, sig: int, batches: int = 2) -> tuple[Path, int, str]:
    """``wom optimize`` in a subprocess, sent `sig` once `batches` batches are stored."""
    out = tmp_path / "opt"
    env = {**os.environ, "PYTHONPATH": str(Path(opt.__file__).parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wom.cli", "optimize", str(scenario_file(
            tmp_path, trials=80, replicates=100)), "-o", str(out), "-w", "2", "-r", "8",
         "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True, preexec_fn=hear_ctrl_c)
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / STORE).exists():
                try:
                    if stored(out) >= batches * opt.BATCH:
                        break
                except sqlite3.OperationalError:
                    pass
            time.sleep(0.02)
        assert proc.poll() is None, "the search ended before it could be stopped"
        os.kill(proc.pid, sig)
        err = proc.communicate(timeout=60)[1].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return out, proc.returncode, err


def resume_matches_straight(tmp_path: Path, out: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "wom.cli", "optimize", "--resume", str(out),
                           "-w", "2", "-q"], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(Path(opt.__file__).parents[2])})
    assert done.returncode == 0, done.stderr
    whole = tmp_path / "whole"
    whole.mkdir()
    res = wom_cli("optimize", str(scenario_file(whole, trials=80, replicates=100)),
                  "-o", str(whole / "opt"), "-w", "2", "-r", "8", "-q")
    assert res.exit_code == 0, res.output
    for name in SAME:
        assert (out / name).read_bytes() == (whole / "opt" / name).read_bytes(), name


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_exits_130_and_leaves_a_resumable_folder(tmp_path: Path, sig: int) -> None:
    """Ctrl-C (SIGTERM alike: 143) mid-search: the exit says how to go on, and going on
    gives the uninterrupted result."""
    out, code, err = start_and_stop(tmp_path, sig)
    assert code == 128 + sig, err
    assert "Traceback" not in err, err
    assert f"the trials finished are kept: wom optimize --resume {out}" in err, err
    assert stored(out) >= 2 * opt.BATCH and (out / "trials.csv").exists()
    resume_matches_straight(tmp_path, out)


@pytest.mark.slow
def test_a_search_killed_mid_batch_resumes_to_the_same_result(tmp_path: Path) -> None:
    out, code, _ = start_and_stop(tmp_path, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert stored(out) % opt.BATCH == 0  # a batch is stored whole or not at all
    assert not (out / "trials.csv").exists()
    resume_matches_straight(tmp_path, out)


@pytest.mark.slow
def test_a_resume_while_the_search_runs_is_refused(tmp_path: Path) -> None:
    """Two processes never go on with one search: a --resume of a folder whose search is
    still running exits 2 and changes nothing; the search then ends as if alone."""
    out = tmp_path / "opt"
    env = {**os.environ, "PYTHONPATH": str(Path(opt.__file__).parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wom.cli", "optimize", str(scenario_file(
            tmp_path, trials=80, replicates=100)), "-o", str(out), "-w", "1", "-r", "8",
         "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not (out / STORE).exists():
            time.sleep(0.02)
        second = subprocess.run([sys.executable, "-m", "wom.cli", "optimize", "--resume",
                                 str(out), "-w", "1", "-q"], capture_output=True, text=True,
                                timeout=120, env=env)
        assert proc.poll() is None, "the search ended before the second could try"
        assert second.returncode == 2, second.stderr
        assert "another wom process is going on with this search" in second.stderr
        assert "Traceback" not in second.stderr
        err = proc.communicate(timeout=600)[1].decode()
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    resume_matches_straight(tmp_path, out)  # (finished: the resume says so; bytes equal)


# -- Dask -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_dask_cluster_gives_the_local_result(tmp_path: Path, straight: Path) -> None:
    import distributed

    out = tmp_path / "dask"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc:
        res = wom_cli("optimize", str(scenario_file(tmp_path)), "-o", str(out),
                      "--scheduler", lc.scheduler_address, "-r", "8", "-q")
        assert res.exit_code == 0, res.output
        assert len(lc.workers) == 2
    for name in SAME:
        assert (out / name).read_bytes() == (straight / name).read_bytes(), name
    assert json.loads((out / "manifest.json").read_text())["workers"] == 2


def test_an_unreachable_scheduler_writes_nothing(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from wom.experiment import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1)
    out = tmp_path / "opt"
    res = wom_cli("optimize", str(scenario_file(tmp_path)), "-o", str(out), "--scheduler",
                  "tcp://127.0.0.1:9")
    assert res.exit_code == 2, res.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.output
    assert not out.exists()


def test_a_worker_that_dies_says_so_and_how_to_go_on(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures.process import BrokenProcessPool

    def dies(*args: Any, **kw: Any) -> None:
        raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    monkeypatch.setattr(opt, "resume", dies)
    out = tmp_path / "opt"
    res = wom_cli("optimize", str(scenario_file(tmp_path)), "-o", str(out), "-q")
    assert res.exit_code == 1, res.output
    assert "a worker process died (killed, or out of memory?)" in res.output
    assert f"wom optimize --resume {out}" in res.output and "Traceback" not in res.output


def test_writing_beside_a_store_leaves_another_live_writer_alone(tmp_path: Path) -> None:
    """A folder's half-written files of a process still running are not deleted (they were,
    and that writer then crashed); those of a process that is gone are."""

    from wom.store import PARTIAL
    from wom.store.partials import machine
    from wom.viz.optimize import write_optimize

    sc = wom.scenario_from_dict(twins(optimize={"trials": 8, "replicates": 4}))
    out = tmp_path / "kept"
    res = wom.optimize(sc, workers=1, confirm_replicates=4, store=out)
    host = machine()
    live = out / f".writing{PARTIAL}{host}-{os.getppid()}"
    dead = out / f".writing{PARTIAL}{host}-{2**22 + 12345}"  # above pid_max: no process
    for p in (live, dead):
        p.mkdir()
    write_optimize(res, out)
    assert live.exists() and not dead.exists()
    assert (out / "best.yaml").exists()


def test_out_on_a_search_folder_says_resume_and_a_bad_place_reads_well(
        straight: Path, tmp_path: Path) -> None:
    res = wom_cli("optimize", str(scenario_file(tmp_path)), "-o", str(straight))
    assert res.exit_code == 2 and f"wom optimize --resume {straight}" in res.output
    afile = tmp_path / "afile"
    afile.write_text("x")
    res = wom_cli("optimize", str(scenario_file(tmp_path)), "-o", str(afile / "sub"))
    assert res.exit_code == 2 and "cannot create the optimize folder" in res.output
    assert "folder folder" not in res.output, res.output
