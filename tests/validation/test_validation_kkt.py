"""Kempe, Kleinberg & Tardos (2003) on a real graph (email-Eu-core, independent cascade):
greedy ≥ degree ≥ random at small k (see :func:`cases.kkt_case`)."""

from __future__ import annotations

import pytest
from cases import KKT, KKT_SMALL_K, Z_MAX, email_single_segment, kkt_case

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    labels = email_single_segment(tmp_path_factory.mktemp("kkt"))
    return kkt_case(labels, **KKT)


def test_degree_and_greedy_beat_random_at_small_k(result):
    for pair in (("hubs", "random"), ("greedy", "random")):
        for c in result.pairs[pair][:KKT_SMALL_K]:
            assert c.mean > Z_MAX * c.se, c


def test_greedy_is_never_worse_than_degree_beyond_its_oracle_resolution(result):
    for c, res in zip(result.pairs[("greedy", "hubs")], result.resolution, strict=True):
        assert c.mean >= -(Z_MAX * c.se + res), (c, res)


def test_greedy_beats_degree_once_the_hubs_audiences_overlap(result):
    """A directional claim: the test needs power, not a wide tolerance. Over scenario seeds
    41, 42, 43 the paired z was 5.9, 4.9, 3.7 (greedy's picks vary with its own noisy
    oracle), so the gate is 2 SE: a false pass under no effect has probability 2.3%, a
    false fail at the observed effect below 1%."""
    c = result.overlap
    assert c.mean > 2.0 * c.se, c
