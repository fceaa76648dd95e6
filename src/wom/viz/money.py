"""Money over time: revenue and cumulative profit per strategy, with bands and payback marks.

Drawn from the ``timeseries`` table (its ``revenue``, ``gross_profit`` and ``spend``
columns), live or read back, like every spread plot (:mod:`wom.viz.spread`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wom.config import Scenario
from wom.store import Results, RunFolder, pair
from wom.store.money import payback_step
from wom.viz.numbers import band_title
from wom.viz.spread import band, cube
from wom.viz.style import (
    as_written,
    compared,
    fit_text,
    money_axis,
    new_figure,
    strategy_colours,
    weeks_axis,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@as_written
def money_figure(timeseries: pd.DataFrame, scenario: Scenario) -> Figure:
    """Two panels: revenue per week, and cumulative profit (gross profit − spend) with the
    break-even line; a dot marks each strategy's mean payback week over the replicates that
    paid back (its share in the legend). Mean and the band holding 90% of replicates."""
    strategies = [s.name for s in scenario.strategies]
    revenue = cube(timeseries, "revenue", strategies).sum(axis=3)
    gross = cube(timeseries, "gross_profit", strategies).sum(axis=3)
    spend = cube(timeseries, "spend", strategies).sum(axis=3)
    profit = np.cumsum(gross - spend, axis=2)
    payback = payback_step(gross, spend)  # strategies × replicates
    fig = new_figure()
    left, right = fig.subplots(1, 2)
    colours = strategy_colours(strategies)
    steps = np.arange(revenue.shape[2])
    for k, name in enumerate(strategies):
        c = colours[name]
        for ax, curves in ((left, revenue[k]), (right, profit[k])):
            mean, lo, hi = band(curves)
            ax.fill_between(steps, lo, hi, color=c, alpha=0.2, linewidth=0)
            ax.plot(steps, mean, color=c, linewidth=2)
        paid = payback[k][~np.isnan(payback[k])]
        label = name
        if paid.size:
            week = float(paid.mean())
            at = round(week)
            right.plot([week], [profit[k, :, at].mean()], "o", color=c, markersize=8,
                       markeredgecolor="white", zorder=5)
            label += f": pays back in week {week:.1f} ({paid.size / payback[k].size:.0%})"
        else:
            label += ": does not pay back by the horizon"
        right.plot([], [], color=c, linewidth=2, marker="o" if paid.size else None,
                   label=label)
    right.axhline(0.0, color="#555555", linewidth=1, linestyle="--")
    left.set_title("revenue per week")
    right.set_title("cumulative profit (gross profit − spend)")
    for ax in (left, right):
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
        weeks_axis(ax, int(steps[-1]))
        money_axis(ax.yaxis)
    left.set_ylabel("money")
    left.set_ylim(bottom=0)
    right.legend(loc="upper left", frameon=False, fontsize="small",
                 title=band_title(revenue.shape[1]))
    heading = fig.suptitle(f"{scenario.name}: money over time — "
                           f"{compared(scenario, revenue.shape[1])}")
    fit_text(fig, heading)
    return fig


def money_lesson(run: Results | RunFolder) -> str:
    """Which plan pays back first, and by how much, with the paired interval; and which
    earns the most profit (the report's money line; ``""`` for a scenario without prices)."""
    sc = run.scenario
    if not sc.priced or len(sc.strategies) < 2:
        return ""
    summary = run.summary().set_index(run.summary()["strategy"].astype(str))
    cmp = run.comparison()
    by_profit = summary["profit_mean"].sort_values(ascending=False, kind="stable")
    best, second = str(by_profit.index[0]), str(by_profit.index[1])
    d = pair(cmp, best, second, "profit")
    if d.lo == d.hi == d.mean == 0:  # every paired replicate the same: no plan leads
        return (f"Every plan makes the same profit by the horizon (week {sc.horizon - 1}) in "
                "every paired replicate: no plan leads on money.")
    sure = "" if d.excludes_zero else " (the interval includes zero: not established)"
    most = "Most profit" if summary.loc[best, "profit_mean"] > 0 else (
        "Least loss (no plan makes a profit)")
    words = (f"{most} by the horizon (week {sc.horizon - 1}): {best}, {d.mean:+,.0f} against "
             f"{second} (paired 95% interval {d.lo:+,.0f} to {d.hi:+,.0f}){sure}.")
    paid = summary["paid_back_share"]
    first = summary[paid > 0]["payback_step_mean"].sort_values(kind="stable")
    if first.empty:
        return words + f" No plan pays its spend back within the {sc.horizon} weeks."
    a = str(first.index[0])
    words += (f" {a} pays back first: week {first.iloc[0]:.1f} on average, in "
              f"{paid[a]:.0%} of replicates")
    others = [s for s in summary.index if s != a]
    b = min(others, key=lambda s: (-paid[s], summary.loc[s, "payback_step_mean"]))
    if paid[b] == 0:
        return words + f"; {b} does not pay back within the {sc.horizon} weeks."
    p = pair(cmp, a, b, "payback_step")
    sure = "" if p.excludes_zero else "; the interval includes zero: not established"
    return words + (f"; {-p.mean:,.1f} weeks before {b} (paired 95% interval "
                    f"{-p.hi:,.1f} to {-p.lo:,.1f} weeks, over the replicates where both "
                    f"pay back{sure}).")
