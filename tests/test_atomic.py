"""Nothing lost (issue 8): a run killed at any moment leaves no half-written run folder.

``wom run`` runs as a subprocess (as a user starts it) and is killed with SIGKILL — no chance
to clean up — at points drawn from a seeded generator across its lifetime: while it starts,
simulates, and writes the run folder (timed from the moment the hidden temporary appears, so
that write-out is always hit). After each kill the ``--out`` folder is either absent or
complete and readable; the only thing left behind is a hidden temporary, never taken for a
run. Rerunning to the same ``--out`` then completes the run (and removes the dead run's
temporary) or, when the folder is complete, refuses to overwrite it.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from wom.cli import main
from wom.errors import WomError
from wom.store import read_run
from wom.store.folder import atomic_folder

SCENARIO = """\
name: kill-me
seed: 3
horizon: 8
replicates: 4
segments:
  - {name: a, size: 300, references: 1}
  - {name: b, size: 200}
budget: {total: 5000, cost_per_seed: 100, cost_per_contact: 5, campaign_weeks: 4}
strategies:
  - {name: focused, kind: focused, segment: a}
  - {name: broad, kind: broad, seeding: random}
"""
RUN_FILES = {"scenario.yaml", "manifest.json", "timeseries.csv", "summary.csv",
             "comparison.csv", "report.html", "adoption.png"}
#: Kill points: uniformly over the whole run, and inside the write-out.
KILLS_ANYWHERE, KILLS_WRITING = 4, 5


def start(scenario: Path, out: Path, *, stderr: int = subprocess.DEVNULL
          ) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "wom.cli", "run", str(scenario), "--workers", "1", "--quiet",
         "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=stderr,
    )


def partials(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".")]


def wait_for(proc: subprocess.Popen[bytes], ready) -> float | None:
    """Seconds until `ready()` (None: the process ended first)."""
    t0 = time.perf_counter()
    while proc.poll() is None:
        if ready():
            return time.perf_counter() - t0
        time.sleep(0.002)
    return None


def check_state(out: Path) -> str:
    """The promise after a kill: `out` absent, or complete and readable."""
    if not out.exists():
        return "absent"
    assert {p.name for p in out.iterdir()} >= RUN_FILES
    run = read_run(out)
    assert len(run.timeseries()) == 2 * 4 * 8 * 2
    assert list(run.summary().strategy) == ["focused", "broad"]
    return "complete"


@pytest.fixture(scope="module")
def timing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float, float, float]:
    """The scenario, and the seconds an undisturbed run takes to start writing its folder,
    to write it, and in all."""
    folder = tmp_path_factory.mktemp("kill")
    scenario = folder / "kill-me.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    for attempt in ("warm-up", "timed"):  # the first may compile and cache numba's kernels
        out = folder / attempt
        t0 = time.perf_counter()
        proc = start(scenario, out, stderr=subprocess.PIPE)
        to_partial = wait_for(proc, lambda: partials(folder))
        writing = wait_for(proc, out.exists)
        _, err = proc.communicate(timeout=300)
        total = time.perf_counter() - t0
        assert proc.returncode == 0, err.decode()
        assert to_partial is not None and writing is not None
        check_state(out)
    return scenario, to_partial, writing, total


@pytest.mark.slow
def test_killed_run_leaves_the_old_state_or_the_complete_new_one(
    timing: tuple[Path, float, float, float], tmp_path: Path,
    fuzz_tally: dict[str, Counter[str]],
) -> None:
    scenario, _, writing, total = timing
    rng = np.random.default_rng(20261124)
    plan = ([("anywhere", d) for d in rng.uniform(0.0, total, KILLS_ANYWHERE)]
            + [("writing", d) for d in rng.uniform(0.0, writing, KILLS_WRITING)])
    tally = fuzz_tally.setdefault("wom run killed (SIGKILL) at random points", Counter())
    for i, (when, delay) in enumerate(plan):
        folder = tmp_path / f"kill-{i}"
        folder.mkdir()
        out = folder / "run"
        proc = start(scenario, out)
        if when == "writing" and wait_for(proc, functools.partial(partials, folder)) is None:
            pytest.fail("the run ended before writing its folder")
        time.sleep(delay)
        ended_first = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        state = check_state(out)
        # Anything else left is a hidden temporary: not a run folder, never read as one.
        for p in partials(folder):
            assert re.match(r"\.run\.\d+\.partial-", p.name), p.name
            with pytest.raises(WomError):
                read_run(p)
        assert {p.name for p in folder.iterdir() if not p.name.startswith(".")} <= {"run"}
        phase = ("after it ended" if ended_first else "once the folder was complete"
                 if state == "complete" else "while writing" if partials(folder)
                 else "before writing")
        tally[f"{phase}: folder {state}"] += 1

        # Rerun to the same --out: a complete folder is never overwritten; an absent one is
        # written, and the killed run's temporary goes.
        before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
        result = CliRunner().invoke(main, ["run", str(scenario), "-w", "1", "-q", "-o", str(out)],
                                    catch_exceptions=False)
        if state == "complete":
            assert result.exit_code == 2 and "already exists" in result.stderr
            assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
        else:
            assert result.exit_code == 0, result.output
            assert check_state(out) == "complete"
            assert partials(folder) == []
    assert sum(tally.values()) == KILLS_ANYWHERE + KILLS_WRITING


def test_write_run_removes_only_dead_runs_temporaries(tmp_path: Path) -> None:
    from wom.store import remove_stale_partials
    from wom.store.partials import machine

    host = machine()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".run.partial-{host}-{dead.pid}"
    alive = tmp_path / f".run.partial-{host}-{os.getppid()}"
    elsewhere = tmp_path / f".run.partial-other-host-{dead.pid}"
    for p in (stale, alive, elsewhere):
        p.mkdir()
        (p / "summary.csv").write_text("x\n", encoding="utf-8")
    remove_stale_partials(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, elsewhere.name])


def test_a_finished_temporary_is_still_not_a_run_folder(tmp_path: Path) -> None:
    """Killed after its last file but before the rename: complete inside, yet not a run."""
    scenario = tmp_path / "kill-me.yaml"
    scenario.write_text(SCENARIO.replace("replicates: 4", "replicates: 2"), encoding="utf-8")
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(scenario), "-w", "1", "-q", "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0
    hidden = out.rename(tmp_path / ".run.partial-somehost-12345")
    with pytest.raises(WomError, match="interrupted"):
        read_run(hidden)


def small_results(tmp_path: Path):
    import wom

    path = tmp_path / "kill-me.yaml"
    path.write_text(SCENARIO.replace("replicates: 4", "replicates: 2"), encoding="utf-8")
    return wom.run(wom.load_scenario(path), workers=1)


def test_a_run_folder_named_for_the_user_lands_beside_one_taken_meanwhile(tmp_path: Path):
    """Two runs writing the same timestamped folder at once (issue 14, item 2): the second
    to finish lands at NAME-2 instead of failing with 'Directory not empty' (or replacing an
    empty folder); a folder the user named is refused instead, and nothing is left behind."""
    from wom.store import write_run

    results = small_results(tmp_path)
    out = tmp_path / "results" / "stamp"
    inner: list[Path] = []

    def meanwhile(folder: Path) -> None:  # another run takes the name while this one writes
        inner.append(write_run(results, out, fresh=True))

    outer = write_run(results, out, plots=meanwhile, fresh=True)
    assert inner == [out] and outer == out.with_name("stamp-2")
    assert (outer / "summary.csv").read_bytes() == (out / "summary.csv").read_bytes()
    assert sorted(p.name for p in out.parent.iterdir()) == ["stamp", "stamp-2"]

    mine = tmp_path / "mine"
    before = {}

    def taken(folder: Path) -> None:
        write_run(results, mine)
        before.update({p.name: p.read_bytes() for p in mine.iterdir()})

    with pytest.raises(WomError, match="already exists"):
        write_run(results, mine, plots=taken)
    assert {p.name: p.read_bytes() for p in mine.iterdir()} == before  # untouched
    assert not partials(tmp_path)


def test_an_empty_folder_is_not_replaced_by_a_run(tmp_path: Path):
    """A plain rename would silently replace an empty folder created meanwhile."""
    from wom.store import rename_noreplace

    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    (src / "x").write_text("x")
    dst.mkdir()
    with pytest.raises(FileExistsError):
        rename_noreplace(src, dst)
    assert (src / "x").exists() and list(dst.iterdir()) == []
    rename_noreplace(src, tmp_path / "free")
    assert (tmp_path / "free" / "x").exists() and not src.exists()


def test_two_sweeps_never_share_a_store(tmp_path: Path, monkeypatch):
    """A second sweep into the same folder that checks before the first has linked its store
    in is refused when it tries, instead of replacing the first's store (issue 14, item 2)."""
    import sqlite3

    from wom.experiment import sweep

    sc = small_results(tmp_path).scenario
    pts = [{"network.mixing": 0.1}]
    out = tmp_path / "sweep"
    connect = sqlite3.connect
    raced = []

    def racing_connect(path, *args, **kwargs):
        if not raced and ".partial-" in str(path):
            raced.append(True)  # the other sweep creates its store first
            sweep.create_store(out, sc, pts, {"varies": "[]", "replicates": "1", "who": "first"})
        return connect(path, *args, **kwargs)

    monkeypatch.setattr(sweep.sqlite3, "connect", racing_connect)
    with pytest.raises(WomError, match="another sweep created it first"):
        sweep.create_store(out, sc, pts, {"varies": "[]", "replicates": "1", "who": "second"})
    assert sweep.read_meta(out)[2]["who"] == "first"
    assert [p.name for p in out.iterdir()] == ["sweep.sqlite"]


def test_sweeps_started_in_the_same_second_get_their_own_folders(tmp_path: Path, monkeypatch):
    """Without --out, a second sweep in the same second was told to resume the first's
    store; now it gets NAME-2 (issue 14, item 2)."""
    from wom.cli import sweeps as sweep_cli

    scenario = tmp_path / "kill-me.yaml"
    scenario.write_text(SCENARIO.replace("replicates: 4", "replicates: 1"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sweep_cli.time, "strftime", lambda fmt, *a: "sweep-same")
    for _ in range(2):
        result = CliRunner().invoke(main, ["sweep", str(scenario), "-v",
                                           "network.mixing=0.1,0.2", "-w", "1"])
        assert result.exit_code == 0, result.output
    folders = sorted(p.name for p in (tmp_path / "results" / "kill-me").iterdir())
    assert folders == ["sweep-same", "sweep-same-2"]
    for f in folders:
        assert (tmp_path / "results" / "kill-me" / f / "sweep.sqlite").is_file()


def test_a_long_folder_name_is_written(tmp_path):
    """A 240-byte --out is a legal name, but its hidden temporary (.NAME.K.partial-HOST-PID)
    was not: 'cannot write the run folder: File name too long' (breaker trial)."""
    out = tmp_path / ("z" * 240)
    with atomic_folder(out) as folder:
        (folder.tmp / "x.csv").write_text("a\n")
    assert (out / "x.csv").read_text() == "a\n"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_folder_wom_names_is_named_for_when_the_command_started(tmp_path: Path):
    """A run folder was named for when the run was saved (a ten-minute run started at 10:00
    landed in …-1010…), unlike a sweep's; now for when it started, as its manifest says."""
    import json

    import wom
    from wom.store import started_stamp

    results = small_results(tmp_path)
    results.meta["started"] = "2026-11-30T09:59:58+0000"
    folder = wom.save(results, root=tmp_path / "results")
    assert folder == tmp_path / "results" / "kill-me" / "20261130-095958"
    assert json.loads((folder / "manifest.json").read_text())["started"] == (
        "2026-11-30T09:59:58+0000")
    assert started_stamp({"started": "2026-11-30T23:05:00-0500"}, "fit-%Y%m%d-%H%M%S") == (
        "fit-20261130-230500")  # (as the clock read where it ran)
    assert started_stamp({}) == started_stamp({"started": "not a time"})  # now, either way


def test_a_fit_says_it_started_before_it_ended(tmp_path: Path, monkeypatch):
    """A fit's manifest gave the time it ended as its start."""
    import time as clock
    import types

    import wom
    from test_fit import synthetic_counts
    from wom.inference import fit as fitting

    sc, path = synthetic_counts(tmp_path)
    sc = wom.scenario_from_dict({**sc.model_dump(mode="json"),
                                 "fit": {**sc.model_dump(mode="json")["fit"], "particles": 20,
                                         "generations": 1}})
    began = 1_000_000_000.0  # the clock as the fit starts; it reads the real one after
    calls = []

    def now() -> float:
        calls.append(1)
        return began if len(calls) == 1 else clock.time()

    monkeypatch.setattr(fitting, "time", types.SimpleNamespace(
        time=now, perf_counter=clock.perf_counter, strftime=clock.strftime,
        localtime=clock.localtime))
    res = wom.fit(sc, path, workers=1)
    assert res.meta["started"] == clock.strftime("%Y-%m-%dT%H:%M:%S%z", clock.localtime(began))
