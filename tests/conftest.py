"""Shared fixtures: small scenarios built in Python (no files needed)."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import wom


def small_scenario(**overrides: Any) -> wom.Scenario:
    """A small two-strategy market; keyword arguments replace top-level sections."""
    data: dict[str, Any] = {
        "name": "small",
        "seed": 7,
        "horizon": 12,
        "replicates": 8,
        "segments": [
            {"name": "a", "size": 120, "tam": 0.8, "incumbent": 0.1,
             "early_market": 0.3, "references": 1},
            {"name": "b", "size": 90},
            {"name": "c", "size": 60, "tam": 0.5},
        ],
        "network": {"model": "planted_partition", "mean_degree": 8, "mixing": 0.15},
        "dynamics": {"word_of_mouth": 0.15, "marketing": 0.1, "talk_weeks": 2,
                     "generic_resonance": 0.5, "overlap": 0.3},
        "budget": {"total": 3000, "cost_per_seed": 200, "cost_per_contact": 5,
                   "seed_share": 0.4, "campaign_weeks": 4},
        "strategies": [
            {"name": "focused", "kind": "focused", "segment": "a", "seeding": "poster_child"},
            {"name": "broad", "kind": "broad", "seeding": "random"},
        ],
    }
    data.update(overrides)
    return wom.scenario_from_dict(data)


@pytest.fixture
def small() -> wom.Scenario:
    return small_scenario()


# ------------------------------------------------------------------ fuzzing (tests/test_fuzz.py)

# "ci" (the default): a bounded, derandomised number of examples, the same on every run, so a
# failure reproduces. HYPOTHESIS_PROFILE=thorough tries many more, with fresh randomness.
_FUZZ_COMMON = {"deadline": None, "database": None,
                "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("ci", max_examples=200, derandomize=True, **_FUZZ_COMMON)
settings.register_profile("thorough", max_examples=2000, **_FUZZ_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: Inputs tried by the fuzz tests, by property and outcome; printed at the end of the run.
FUZZ_TALLY = pytest.StashKey[dict[str, Counter[str]]]()


@pytest.fixture(scope="session")
def fuzz_tally(pytestconfig: pytest.Config) -> dict[str, Counter[str]]:
    """``tally[property][outcome] += 1`` for every input a fuzz test tries."""
    return pytestconfig.stash.setdefault(FUZZ_TALLY, {})


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    tally = config.stash.get(FUZZ_TALLY, {})
    if not any(tally.values()):
        return
    terminalreporter.section("fuzz: inputs tried")
    for name, outcomes in tally.items():
        parts = ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items()))
        terminalreporter.write_line(f"{name}: {sum(outcomes.values())} ({parts})")
