"""A run that needs more memory than the machine has is refused up front, with the estimate."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import wom
import wom.experiment.memory as memory
from helpers import small_scenario
from wom.cli import main
from wom.errors import WomError
from wom.experiment import MemoryRefusalError, check_memory, estimate

HUGE = """\
name: ten-billion
horizon: 52
replicates: 10
segments: {count: 200, size: 50000000}
strategies:
  - {name: broad, kind: broad}
"""


def market(count: int, size: int, **overrides) -> wom.Scenario:
    return small_scenario(segments={"count": count, "size": size},
                          strategies=[{"name": "broad", "kind": "broad"}], **overrides)


def test_ten_billion_people_are_refused_quickly_with_the_estimate(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE, encoding="utf-8")
    out = tmp_path / "out"
    t0 = time.perf_counter()
    result = CliRunner().invoke(main, ["run", str(path), "-w", "2", "-o", str(out)],
                                catch_exceptions=False)
    assert time.perf_counter() - t0 < 10
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    err = result.stderr  # no progress bar (nor the blank line it leaves) off a terminal
    assert err.startswith("error:")
    assert "'ten-billion' needs about" in err and "TiB" in err
    assert "10,000,000,000 people" in err
    assert "available" in err and "reduce" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.yaml"]


def test_validate_prints_the_estimate(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)], catch_exceptions=False)
    assert result.exit_code == 0  # valid, only too big for this machine
    assert "memory: about" in result.stdout and "TiB" in result.stdout
    assert "too much, wom run refuses it on this machine" in result.stdout


def test_the_estimate_grows_with_people_replicates_workers_and_horizon() -> None:
    sc = small_scenario()
    base = estimate(sc).total
    bigger = market(3, 1_000_000)
    assert estimate(bigger).total > base
    assert estimate(bigger, workers=2).total > estimate(bigger).total
    assert estimate(sc, replicates=100_000).total > estimate(sc, replicates=1000).total > base
    assert estimate(small_scenario(horizon=500)).total > base
    people = [estimate(market(2, z)).total
              for z in (10**5, 10**6, 10**7)]
    assert people == sorted(people) and people[2] > 5 * people[0]


def test_the_estimate_counts_ties_a_graph_can_have() -> None:
    # A tiny market with a huge mean degree cannot have more ties than pairs of people.
    sc = small_scenario(network={"model": "erdos_renyi", "mean_degree": 1e6})
    assert memory.expected_ties(sc) == sc.people * (sc.people - 1) // 2
    sc = small_scenario(network={"model": "complete"})
    assert memory.expected_ties(sc) == sc.people * (sc.people - 1) // 2
    sc = market(10, 100_000)
    assert memory.expected_ties(sc) == 10**6 * sc.network.mean_degree // 2


def test_available_memory_is_known_here() -> None:
    have = memory.available_memory()
    assert have is not None and have > 2**20


def test_run_is_refused_before_anything_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "available_memory", lambda: 100 * memory.MiB)

    def never(*args, **kwargs):
        raise AssertionError("the population was built")

    monkeypatch.setattr("wom.experiment.replicate.build_population", never)
    with pytest.raises(MemoryRefusalError) as info:
        wom.run(small_scenario(), workers=1)
    assert isinstance(info.value, WomError)
    assert "needs about" in str(info.value) and "100 MiB available" in str(info.value)


def test_a_small_run_fits() -> None:
    est = check_memory(small_scenario())
    assert est.total < 1024 * memory.MiB
    assert "people" in est.describe()


def test_unknown_available_memory_does_not_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "available_memory", lambda: None)
    huge = market(200, 50_000_000)
    assert check_memory(huge).total > 2**40


@pytest.mark.parametrize("command", [
    ["snapshot", "-s", "broad"],
    ["animate", "-s", "broad"],
])
def test_snapshot_and_animate_are_refused_too(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE, encoding="utf-8")
    out = tmp_path / ("out.png" if command[0] == "snapshot" else "out.gif")
    t0 = time.perf_counter()
    result = CliRunner().invoke(main, [command[0], str(path), *command[1:], "--out", str(out)],
                                catch_exceptions=False)
    assert time.perf_counter() - t0 < 10
    assert result.exit_code == 2, result.output
    assert "'ten-billion' needs about" in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_the_mesa_model_is_refused_too() -> None:
    from wom.abm import WomModel

    with pytest.raises(MemoryRefusalError, match="needs about"):
        WomModel(wom.scenario_from_dict(__import__("yaml").safe_load(HUGE)), "broad")


def test_the_app_refuses_a_market_it_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE, encoding="utf-8")
    result = CliRunner().invoke(main, ["app", str(path), "--port", "0"],
                                catch_exceptions=False)
    assert result.exit_code == 2 and "'ten-billion' needs about" in result.stderr


def test_the_estimate_counts_what_is_quadratic_in_segments(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """20,000 one-person segments: the engine's resonance of every message in every segment
    is float64[S+1, S] (3 GiB); the estimate counts it and a machine without it refuses the
    run up front (exit 2, the estimate, no traceback) instead of failing to allocate it."""
    S = 20_000
    listed = [{"name": f"s{i}", "size": 1} for i in range(S)]
    sc = small_scenario(segments=listed, strategies=[{"name": "broad", "kind": "broad"}])
    est = estimate(sc, replicates=2)
    assert est.per_replicate >= 8 * (S + 1) * S
    assert estimate(market(S // 2, 2)).per_replicate < est.per_replicate / 3  # S², not S
    lines = ["name: many", "replicates: 2", "network: {mixing: 0.5}", "segments:"]
    lines += [f"  - {{name: s{i}, size: 1}}" for i in range(S)]
    lines += ["strategies:", "  - {name: broad, kind: broad}"]
    path = tmp_path / "many.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(memory, "available_memory", lambda: 3 * 2**30)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "-q", "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error:") and "'many' needs about" in result.stderr
    assert "20,000 segments" in result.stderr
    assert not out.exists()
