"""Shared fixtures: small scenarios built in Python (no files needed), fuzzing settings."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings

import wom
from helpers import small_scenario


@pytest.fixture(autouse=True, scope="session")
def _compiled_note_off() -> None:
    """The suite's first progress bar would say that this version compiles its kernels first
    (a fresh clone has compiled nothing): a line on stderr in whichever test comes first.
    tests/test_numbacache.py tests the note itself."""
    from wom import numbacache

    numbacache.compiles_first = False


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
