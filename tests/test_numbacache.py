"""Compiled kernels are keyed on the whole source: an edit of one file never leaves a stale
kernel of another (numba alone invalidates only the edited file's own kernels)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba
import pytest

from wom import numbacache

SRC = Path(__file__).resolve().parents[1] / "src" / "wom"


def test_the_digest_follows_every_file(tmp_path: Path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    first = numbacache.source_digest(pkg)
    (pkg / "sub" / "b.py").write_text("y = 3\n")
    assert numbacache.source_digest(pkg) != first
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    assert numbacache.source_digest(pkg) == first


def test_configure_points_numba_at_this_source_and_clears_older_ones(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(numbacache, "cache_root", lambda package=None: tmp_path)
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    (tmp_path / "0123456789abcdef").mkdir()
    folder = numbacache.configure()
    assert folder == tmp_path / numbacache.source_digest()
    assert str(folder) == numba.config.CACHE_DIR
    assert not (tmp_path / "0123456789abcdef").exists()
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert numbacache.configure() is None


RUN = """
import wom
sc = wom.scenario_from_dict({"name": "c", "seed": 3, "horizon": 8, "replicates": 3,
    "segments": {"count": 2, "size": 300},
    "dynamics": {"word_of_mouth": 0.1, "marketing": 0.0, "talk_weeks": 2},
    "budget": {"total": 5000, "cost_per_seed": 500, "seed_share": 1.0},
    "strategies": [{"name": "b", "kind": "broad", "seeding": "random"}]})
print(int(wom.run(sc, workers=1).per_replicate().customers.sum()))
"""


@pytest.mark.slow
def test_a_first_run_of_this_source_is_told_it_compiles_first(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from wom.cli import main

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(numbacache, "cache_root", lambda package=None: tmp_path)
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    monkeypatch.setattr(numbacache, "compiles_first", False)
    kept = numba.config.CACHE_DIR
    folder = numbacache.configure()
    assert folder is not None and numbacache.compiles_first  # nothing compiled there yet
    (folder / "wom" / "engine").mkdir(parents=True)
    (folder / "wom" / "engine" / "step.f-1.py312.nbi").write_bytes(b"")  # numba's index
    numbacache.configure()
    assert not numbacache.compiles_first
    numba.config.CACHE_DIR = kept  # the run below loads the suite's kernels
    scenario = str(Path(__file__).resolve().parents[1] / "scenarios" / "bass.yaml")
    note = "note: this version of wom runs here for the first time"
    for quiet, said in ((["--quiet"], False), ([], True)):
        monkeypatch.setattr(numbacache, "compiles_first", True)
        result = CliRunner().invoke(main, ["run", scenario, "-r", "1", "-w", "1",
                                           "-o", str(tmp_path / f"run{len(quiet)}"), *quiet])
        assert result.exit_code == 0, result.output
        assert (note in result.stderr) is said and result.stderr.count(note) <= 1
        assert numbacache.compiles_first is not said  # said once per process


def test_an_edit_of_a_called_kernel_is_never_run_stale(tmp_path: Path):
    """Edit trials.py (inlined into step.py's stages, which simulation.py's whole-horizon
    kernel inlines): the next run must use the edit, not numba's cached copy."""
    copy = tmp_path / "src" / "wom"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = str(copy.parent)

    def customers() -> int:
        done = subprocess.run([sys.executable, "-c", RUN], capture_output=True, text=True,
                              env=env, cwd=tmp_path, check=True)
        return int(done.stdout.strip().splitlines()[-1])

    before = customers()
    assert customers() == before  # a second run: the cache, same numbers
    trials = copy / "engine" / "trials.py"
    text = trials.read_text()
    assert "return beta * resonance * (" in text
    trials.write_text(text.replace("return beta * resonance * (",
                                   "return 0.0 * beta * resonance * ("))
    after = customers()
    assert after < before  # no word of mouth any more: only the seeds
    assert after == 3 * 10  # 10 seeds in each of 3 replicates
