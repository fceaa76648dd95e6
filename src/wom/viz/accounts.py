"""Accounts over time: accounts won and people waiting per strategy, with bands.

Drawn from the ``timeseries`` table's account columns (a market of accounts: docs/model.md,
accounts), live or read back, like every spread plot (:mod:`wom.viz.spread`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wom.config import Scenario
from wom.viz.spread import band, cube
from wom.viz.style import compared, fit_text, new_figure, strategy_colours, weeks_axis

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def accounts_figure(timeseries: pd.DataFrame, scenario: Scenario) -> Figure:
    """Two panels: accounts won so far, and people waiting (convinced in accounts that have
    not bought: their buyer or their payer is not). Mean and the band holding 95% of
    replicates. A plan that delights users and never speaks to payers shows few accounts
    and many people waiting."""
    strategies = [s.name for s in scenario.strategies]
    won = cube(timeseries, "accounts_won", strategies).sum(axis=3)
    waiting = cube(timeseries, "waiting", strategies).sum(axis=3)
    fig = new_figure()
    left, right = fig.subplots(1, 2)
    colours = strategy_colours(strategies)
    steps = np.arange(won.shape[2])
    for k, name in enumerate(strategies):
        c = colours[name]
        for ax, curves in ((left, won[k]), (right, waiting[k])):
            mean, lo, hi = band(curves)
            ax.fill_between(steps, lo, hi, color=c, alpha=0.2, linewidth=0)
            ax.plot(steps, mean, color=c, linewidth=2, label=name if ax is left else None)
    left.set_title("accounts won")
    right.set_title("people waiting (convinced, account not bought)")
    for ax in (left, right):
        ax.set_xlabel("week")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        weeks_axis(ax, int(steps[-1]))
    left.set_ylabel("accounts")
    right.set_ylabel("people")
    left.legend(loc="lower right", frameon=False, fontsize="small",
                title=f"mean; band: 95% of {won.shape[1]} replicates")
    heading = fig.suptitle(f"{scenario.name}: accounts over time — "
                           f"{compared(scenario, won.shape[1])}")
    fit_text(fig, heading)
    return fig
