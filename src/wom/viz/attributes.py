"""Customers by attribute value: one figure per attribute (``attribute-NAME.png``), a panel
per value, strategies overlaid — the segments' small multiples for what people are rather
than whom they talk to."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wom.config import Scenario
from wom.viz.spread import band, legend_entries
from wom.viz.style import (
    MAX_PANELS,
    compared,
    fit_text,
    legend_below,
    new_figure,
    panels,
    strategy_colours,
    weeks_axis,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def attribute_cube(table: pd.DataFrame, attribute: str, strategies: list[str],
                   ) -> tuple[list[str], np.ndarray]:
    """The values of `attribute` (in the table's order) and ``float64[strategies,
    replicates, steps, values]`` of their adopters."""
    d = table[table["attribute"].astype(str) == attribute]
    values = list(pd.unique(d["value"].astype(str)))
    st = pd.Categorical(d["strategy"].astype(str), categories=strategies).codes
    va = pd.Categorical(d["value"].astype(str), categories=values).codes
    reps, rep = np.unique(d["replicate"].to_numpy(), return_inverse=True)
    step = d["step"].to_numpy(np.int64)
    out = np.zeros((len(strategies), reps.size, int(step.max()) + 1, len(values)))
    keep = st >= 0
    out[st[keep], rep[keep], step[keep], va[keep]] = d["adopters"].to_numpy(float)[keep]
    return values, out


def attribute_figure(table: pd.DataFrame, scenario: Scenario, attribute: str, *,
                     max_panels: int = MAX_PANELS) -> Figure:
    """Small multiples: customers with each value of `attribute` over time, strategies
    overlaid (mean and the band holding 95% of replicates); the values with the most
    people first when there are more than `max_panels`."""
    strategies = [s.name for s in scenario.strategies]
    values, counts = attribute_cube(table, attribute, strategies)
    order = np.argsort(-counts[:, :, -1, :].mean(axis=(0, 1)), kind="stable")
    shown = sorted(order[:max_panels].tolist())
    colours = strategy_colours(strategies)
    fig = new_figure()
    steps = np.arange(counts.shape[2])
    for ax, j in zip(panels(fig, len(shown)), shown, strict=True):
        for k, name in enumerate(strategies):
            mean, lo, hi = band(counts[k, :, :, j])
            ax.fill_between(steps, lo, hi, color=colours[name], alpha=0.2, linewidth=0)
            ax.plot(steps, mean, color=colours[name], linewidth=1.8, label=name)
        ax.set_title(f"{attribute}: {values[j]}", fontsize="medium")
        weeks_axis(ax, int(steps[-1]))
        ax.set_ylim(0, max(1.0, float(counts[:, :, :, j].max())) * 1.05)
    handles, labels = legend_entries(fig.axes)
    legend_below(fig, handles, labels, title=f"mean; band: 95% of {counts.shape[1]} replicates")
    which = ("" if len(shown) == len(values)
             else f"\n(the {len(shown)} values with most customers of {len(values)})")
    heading = fig.suptitle(f"{scenario.name}: customers by {attribute} — "
                           f"{compared(scenario, counts.shape[1])}{which}")
    fit_text(fig, heading, *(ax.title for ax in fig.axes))
    return fig


def attribute_makers(table: pd.DataFrame, scenario: Scenario
                     ) -> dict[str, Callable[[], Figure]]:
    """The attribute figures of a run, by file name (``attribute-NAME``, the name's
    characters that a file name cannot hold as ``_``): none without attributes."""
    if table.empty:
        return {}
    names = list(pd.unique(table["attribute"].astype(str)))
    out: dict[str, Callable[[], Figure]] = {}
    for name in names:
        stem = "attribute-" + re.sub(r"[^\w.-]", "_", name)
        while stem in out:
            stem += "_"
        out[stem] = functools.partial(attribute_figure, table, scenario, name)
    return out
