"""Watts (2002): the cascade window of fractional-threshold contagion on Erdős–Rényi
graphs, φ = 0.18 (see :func:`cases.watts_population` for how wom expresses the rule)."""

from __future__ import annotations

import pytest
from cases import WATTS, Z_MAX, watts_all, watts_condition, watts_point

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs():
    return watts_all(**WATTS)


def test_the_points_avoid_the_window_edges():
    for z in WATTS["degrees"]:
        c = watts_condition(z, WATTS["phi"])
        assert c < 0.9 or c > 1.3, (z, c)


@pytest.mark.parametrize("z", WATTS["degrees"])
def test_cascade_frequency_matches_watts(runs, z):
    point = watts_point(*runs[z], WATTS["people"], z, WATTS["phi"])
    assert point.check.ok, point.check
    inside = point.condition > 1.0
    assert (point.check.mean > 0.3) if inside else (point.check.mean == 0.0)


@pytest.mark.parametrize("z", WATTS["degrees"])
def test_a_seed_touching_the_giant_vulnerable_cluster_always_cascades(runs, z):
    """Watts' mechanism, run by run and exactly: certain word of mouth must take the whole
    vulnerable cluster a seed touches, so a seed in or next to a global one always sets off
    a global cascade. The converse may fail at finite n (escapes through stable people
    tipped by two small clusters, O(1/n) per run): they stay rare."""
    point = watts_point(*runs[z], WATTS["people"], z, WATTS["phi"])
    assert point.misses == 0
    assert point.escapes <= 0.02 * WATTS["replicates"]


@pytest.mark.parametrize("z", WATTS["degrees"])
def test_the_finite_size_term_bounds_the_graphs_own_bias(runs, z):
    """The exact per-graph frequency (no dynamics) is within 10/n + 4 SE of the limit."""
    point = watts_point(*runs[z], WATTS["people"], z, WATTS["phi"])
    g = point.graph_share
    assert abs(g.mean - g.theory) <= point.check.slack + Z_MAX * g.se, g


def test_a_wrong_threshold_is_caught(runs):
    """The tolerance discriminates: φ = 0.14 (vulnerable up to degree 7, not 5) at z = 5."""
    wrong = watts_point(*runs[5.0], WATTS["people"], 5.0, 0.14)
    assert abs(wrong.check.z) > Z_MAX
