"""Agreement with independent simulators (cynetdiff, EoN) on mean final size: the same
graph (email-Eu-core), the same seeds, the same activation probability."""

from __future__ import annotations

import importlib.util

import pytest
from cases import (
    PEERS,
    Z_MAX,
    cynetdiff_sizes,
    email_single_segment,
    eon_sizes,
    peer_setup,
    two_sample,
    wom_ic_sizes,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    labels = email_single_segment(tmp_path_factory.mktemp("peers"))
    sc, pop, plan = peer_setup(labels, PEERS["beta"], PEERS["seeds"], PEERS["seed"])
    ours = wom_ic_sizes(sc, pop, plan, PEERS["runs"]["wom"], PEERS["seed"])
    return pop, plan, ours


def _need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (it comes with the test extra: "
                    "pip install -e '.[test]')")


def test_cynetdiff_agrees(setup):
    _need("cynetdiff")
    pop, plan, ours = setup
    theirs = cynetdiff_sizes(pop, plan.seeds, PEERS["beta"], PEERS["runs"]["cynetdiff"],
                             PEERS["seed"])
    c = two_sample("wom vs cynetdiff", ours, theirs)
    assert c.ok, c


def test_eon_agrees(setup):
    _need("EoN")
    pop, plan, ours = setup
    theirs = eon_sizes(pop, plan.seeds, PEERS["beta"], PEERS["runs"]["EoN"], PEERS["seed"])
    c = two_sample("wom vs EoN", ours, theirs)
    assert c.ok, c


def test_a_ten_percent_error_in_beta_is_caught(setup):
    """The tolerance discriminates: cynetdiff at 1.1·β is told apart from wom at β."""
    _need("cynetdiff")
    pop, plan, ours = setup
    theirs = cynetdiff_sizes(pop, plan.seeds, 1.1 * PEERS["beta"],
                             PEERS["runs"]["cynetdiff"], PEERS["seed"])
    assert abs(two_sample("wom vs cynetdiff(1.1β)", ours, theirs).z) > Z_MAX
