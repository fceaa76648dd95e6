"""SIR final size on Erdős–Rényi graphs (Newman 2002): wom's independent cascade against
the exact finite-n law of the epidemic, with Newman's S = 1 − exp(−cT·S) its large-n limit
and c·T = 1 its threshold (see :func:`cases.sir_sizes` for the mapping)."""

from __future__ import annotations

import numpy as np
import pytest
from cases import SIR, Z_MAX, er_component_law, newman_s, sir_all, sir_point

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sizes() -> dict[float, np.ndarray]:
    return sir_all(**SIR)


@pytest.mark.parametrize("ct", SIR["cT"])
def test_final_sizes_match_the_exact_epidemic(sizes, ct):
    point = sir_point(sizes[ct], SIR["people"], ct)
    for c in point.checks:
        assert c.ok, c


def test_the_threshold_separates_small_outbreaks_from_epidemics(sizes):
    """Below c·T = 1 no outbreak reaches a tenth of the people; above, most do."""
    n = SIR["people"]
    assert (sizes[0.5] < n // 10).all()
    assert (sizes[2.0] >= n // 10).mean() > 0.7


def test_the_exact_law_converges_to_newman():
    """The finite-n reference tends to Newman's formulas as n grows: large outbreaks'
    share → S above the threshold, mean outbreak size → 1/(1 − cT) below it."""
    for ct in (1.5, 2.0):
        s = newman_s(ct)
        gaps = []
        for n in (250, 1000):
            law = er_component_law(n, ct / (n - 1))
            k = np.arange(n + 1)
            big = k >= n // 10
            gaps.append(abs((law[big] @ k[big]) / law[big].sum() / n - s))
        assert gaps[1] < gaps[0] and gaps[1] < 0.01
    law = er_component_law(1000, 0.5 / 999)
    assert abs(law @ np.arange(1001) - 2.0) < 0.01


def test_a_wrong_transmissibility_is_caught(sizes):
    """The tolerance discriminates: theory at c·T = 2.2 against a run at 2.0."""
    wrong = sir_point(sizes[2.0], SIR["people"], 2.2)
    assert max(abs(c.z) for c in wrong.checks) > Z_MAX
