"""Bass (1969) diffusion in a well-mixed market: wom's mean adoption curve against the exact
law of the same discrete-time chain (see :func:`cases.bass_scenario` for the mapping)."""

from __future__ import annotations

import numpy as np
import pytest
from cases import BASS, Z_MAX, bass_case, bass_curves, bass_scenario

import wom

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def curves() -> np.ndarray:
    return bass_curves(**BASS)


def test_the_engine_loop_is_wom_run_number_for_number(curves):
    """The suite builds the complete graph once; wom.run rebuilds it per replicate."""
    b = BASS
    sc = bass_scenario(b["people"], b["p"], b["q"], b["horizon"], b["seed"])
    res = wom.run(sc, replicates=3, workers=1)
    cum = res.new_by_cause[0].sum(axis=(2, 3)).cumsum(axis=1)
    assert np.array_equal(cum, curves[:3])


def test_the_mean_curve_is_the_exact_bass_chain_week_by_week(curves):
    res = bass_case(curves, BASS["people"], BASS["p"], BASS["q"])
    # Every week (30 correlated comparisons at 4 SE: false alarm below 0.2%).
    assert np.abs(res.z).max() <= Z_MAX, res.z
    assert all(c.ok for c in res.checks)
    # The S-curve: new customers per week rise, then fall.
    new = np.diff(res.mean, prepend=0.0)
    peak = int(np.argmax(new))
    assert 2 <= peak <= BASS["horizon"] - 5


def test_the_variance_is_the_chain_s_too(curves):
    """The spread between replicates matches the chain's exact variance: the sample
    variance of 300 replicates has relative SE about √(2/299) ≈ 8%, so 40% is 5 SE."""
    res = bass_case(curves, BASS["people"], BASS["p"], BASS["q"])
    var = curves.var(axis=0, ddof=1)
    mid = res.exact_var > 10
    assert np.all(np.abs(var[mid] / res.exact_var[mid] - 1) < 0.4)


def test_a_five_percent_error_in_q_is_caught(curves):
    """The tolerance discriminates: theory with q·1.05 is rejected by many SE."""
    wrong = bass_case(curves, BASS["people"], BASS["p"], BASS["q"] * 1.05)
    assert np.abs(wrong.z).max() > 2 * Z_MAX
