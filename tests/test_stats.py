"""Statistics of the store: a pair's paired difference read in either order, and the verdict."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from wom.store import mean_interval, pair, verdict

COMPARISON = pd.DataFrame([
    {"a": "focused", "b": "broad", "metric": "customers", "diff_mean": 30.0, "diff_lo": 10.0,
     "diff_hi": 50.0, "p_a_beats_b": 0.9},
    {"a": "focused", "b": "broad", "metric": "wom_share", "diff_mean": 0.1, "diff_lo": 0.05,
     "diff_hi": 0.15, "p_a_beats_b": 0.8},
    {"a": "focused", "b": "multi", "metric": "customers", "diff_mean": -5.0, "diff_lo": -9.0,
     "diff_hi": 2.0, "p_a_beats_b": 0.3},
    {"a": "broad", "b": "multi", "metric": "customers", "diff_mean": -35.0, "diff_lo": -60.0,
     "diff_hi": -10.0, "p_a_beats_b": 0.05},
])


def _summary(means: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame([{"strategy": s, "customers_mean": m} for s, m in means.items()])


def test_a_pair_reads_its_row_in_either_order() -> None:
    forward = pair(COMPARISON, "focused", "broad")
    assert (forward.mean, forward.lo, forward.hi, forward.p_a_beats_b) == (30, 10, 50, 0.9)
    back = pair(COMPARISON, "broad", "focused")
    assert (back.a, back.b) == ("broad", "focused")
    assert (back.mean, back.lo, back.hi) == (-30, -50, -10)
    assert back.p_a_beats_b == pytest.approx(0.1)
    assert pair(COMPARISON, "focused", "broad", "wom_share").mean == 0.1
    assert forward.excludes_zero and not pair(COMPARISON, "focused", "multi").excludes_zero


def test_a_pair_the_table_does_not_have_is_an_error() -> None:
    with pytest.raises(ValueError, match="no segments_ignited row for focused and broad"):
        pair(COMPARISON, "focused", "broad", "segments_ignited")


def test_the_verdict_is_the_winner_against_the_runner_up() -> None:
    won = verdict(_summary({"focused": 100.0, "broad": 70.0, "multi": 105.0}), COMPARISON)
    assert (won.best, won.second) == ("multi", "focused")
    assert won.difference is not None and won.difference.mean == 5.0
    assert not won.decided  # the interval −2 to +9 holds zero
    won = verdict(_summary({"focused": 100.0, "broad": 70.0}), COMPARISON)
    assert won.decided and won.difference is not None and won.difference.lo == 10.0


def test_a_tie_keeps_the_scenario_order_and_one_strategy_has_no_runner_up() -> None:
    assert verdict(_summary({"broad": 80.0, "focused": 80.0}), COMPARISON).best == "broad"
    alone = verdict(_summary({"focused": 12.0}), COMPARISON.iloc[:0])
    assert alone.second is None and alone.difference is None and not alone.decided


def test_the_mean_interval_is_student_t_and_ignores_nan() -> None:
    m, lo, hi = mean_interval(np.array([1.0, 2.0, 3.0, math.nan]))
    # mean 2, sd 1, t(0.975, 2) = 4.303: half-width 4.303/√3
    assert m == 2.0 and hi - m == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert m - lo == pytest.approx(hi - m)
    assert math.isnan(mean_interval(np.array([5.0]))[1])


@pytest.mark.parametrize("n", [2, 3, 10, 30, 199, 200, 1001])
def test_the_mean_interval_is_the_one_scipy_stats_gives(n: int) -> None:
    # mean_interval takes the t quantile from scipy.special (scipy.stats is slow to import):
    # the interval must be the one t.ppf gives, to the last bit (the CSVs keep 10 digits)
    from scipy.stats import t

    x = np.random.default_rng(n).normal(3.0, 2.0, n)
    m, lo, hi = mean_interval(x)
    half = float(t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
    assert (lo, hi) == (m - half, m + half)
