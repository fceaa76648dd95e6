"""Statistics over replicates: means with intervals, paired differences, who wins.

Replicate ``i`` of every strategy sees the same market (common random numbers), so the
difference between two strategies is taken replicate by replicate (paired): its interval is
much tighter than the two means' intervals suggest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wom.config import METRICS


def mean_interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of `x` (NaNs dropped) and its `level` confidence interval (Student t)."""
    # scipy.special's inverse of Student's t CDF (what scipy.stats.t.ppf calls) without
    # importing scipy.stats, which takes longer than all the statistics of a run
    from scipy.special import stdtrit

    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if x.size < 2:
        return m, math.nan, math.nan
    half = float(stdtrit(x.size - 1, 0.5 + level / 2) * x.std(ddof=1) / math.sqrt(x.size))
    return m, m - half, m + half


def nanmean(s: pd.Series) -> float:
    """Mean of the values that are not NaN (NaN if there are none)."""
    x = s.to_numpy(float)
    return float(np.nanmean(x)) if np.any(~np.isnan(x)) else math.nan


@dataclass(frozen=True)
class Difference:
    """A paired difference ``a − b`` of one metric: mean, 95% interval, P(a beats b)."""

    a: str
    b: str
    metric: str
    mean: float
    lo: float
    hi: float
    p_a_beats_b: float

    @property
    def known(self) -> bool:
        """Whether there is an interval (two replicates or more)."""
        return not (math.isnan(self.lo) or math.isnan(self.hi))

    @property
    def excludes_zero(self) -> bool:
        """Whether the 95% interval lies wholly on one side of zero."""
        return self.known and (self.lo > 0 or self.hi < 0)


def paired(a: str, b: str, metric: str, x: np.ndarray, y: np.ndarray,
           higher_is_better: bool) -> Difference:
    """``a − b`` from their values `x` and `y` on the same replicates (pairs with a NaN
    left out): mean, 95% interval, and P(a beats b), ties counting half."""
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    d = d[~np.isnan(d)]
    m, lo, hi = mean_interval(d)
    if d.size:
        better = (d > 0) if higher_is_better else (d < 0)
        p = float(better.mean() + 0.5 * (d == 0).mean())
    else:
        p = math.nan
    return Difference(a, b, metric, m, lo, hi, p)


def pair(comparison: pd.DataFrame, a: str, b: str, metric: str = "customers") -> Difference:
    """``a − b`` of `metric` from a comparison table, whichever order its row has them in.

    Raises
    ------
    ValueError
        The table has no row for that pair and metric.
    """
    cmp = comparison[comparison["metric"] == metric]
    a_col, b_col = cmp["a"].astype(str), cmp["b"].astype(str)
    row = cmp[(a_col == a) & (b_col == b)]
    if len(row):
        r = row.iloc[0]
        return Difference(a, b, metric, float(r.diff_mean), float(r.diff_lo),
                          float(r.diff_hi), float(r.p_a_beats_b))
    row = cmp[(a_col == b) & (b_col == a)]
    if not len(row):
        raise ValueError(f"the comparison has no {metric} row for {a} and {b}")
    r = row.iloc[0]
    return Difference(a, b, metric, -float(r.diff_mean), -float(r.diff_hi), -float(r.diff_lo),
                      1 - float(r.p_a_beats_b))


@dataclass(frozen=True)
class Verdict:
    """Which strategy did best on a metric (customers by default), against the runner-up.

    Attributes
    ----------
    best, second
        The strategies with the best and second-best mean.
    best_mean, second_mean
        Their means.
    difference
        ``best − second``, paired (``None`` with a single strategy).
    metric
        The metric compared.
    """

    best: str
    best_mean: float
    second: str | None
    second_mean: float
    difference: Difference | None
    metric: str = "customers"

    @property
    def decided(self) -> bool:
        """The winner's paired 95% interval excludes zero."""
        d = self.difference
        if d is None or not d.known:
            return False
        return d.lo > 0 if METRICS[self.metric].higher_is_better else d.hi < 0


def verdict(summary: pd.DataFrame, comparison: pd.DataFrame,
            metric: str = "customers") -> Verdict:
    """The winner by the mean of `metric` (a compared metric: customers, profit, …) and its
    paired difference from the runner-up (ties keep the scenario's order)."""
    column = f"{metric}_mean"
    ranked = summary.sort_values(column, ascending=not METRICS[metric].higher_is_better,
                                 kind="stable", na_position="last")
    best = ranked.iloc[0]
    if len(ranked) < 2:
        return Verdict(str(best.strategy), float(best[column]), None, math.nan, None, metric)
    second = ranked.iloc[1]
    try:
        diff: Difference | None = pair(comparison, str(best.strategy), str(second.strategy),
                                       metric)
    except ValueError:  # a comparison table without that row: no interval to report
        diff = None
    return Verdict(str(best.strategy), float(best[column]), str(second.strategy),
                   float(second[column]), diff, metric)
