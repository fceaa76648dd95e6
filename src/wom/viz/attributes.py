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
from wom.store import Results, RunFolder
from wom.viz.htmltable import html_table
from wom.viz.spread import finish_panels, strategy_bands
from wom.viz.style import (
    MAX_PANELS,
    as_written,
    new_figure,
    panel_title,
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
    names = table["attribute"].astype(str)
    if not (names == attribute).any():
        raise ValueError(f"no attribute {attribute!r} in the table (it has: "
                         f"{', '.join(pd.unique(names)) or 'none'})")
    d = table[names == attribute]
    values = list(pd.unique(d["value"].astype(str)))
    st = pd.Categorical(d["strategy"].astype(str), categories=strategies).codes
    va = pd.Categorical(d["value"].astype(str), categories=values).codes
    reps, rep = np.unique(d["replicate"].to_numpy(), return_inverse=True)
    step = d["step"].to_numpy(np.int64)
    out = np.zeros((len(strategies), reps.size, int(step.max()) + 1, len(values)))
    keep = st >= 0
    out[st[keep], rep[keep], step[keep], va[keep]] = d["adopters"].to_numpy(float)[keep]
    return values, out


def attribute_cubes(run: Results | RunFolder) -> dict[str, tuple[list[str], np.ndarray]]:
    """Every attribute's values and cube (:func:`attribute_cube`): from a live run's counts
    by value without its table, from a folder's ``attributes.csv``."""
    if isinstance(run, Results):
        if run.by_value is None or run.attribute_values is None:
            return {}
        won = np.cumsum(run.by_value[:, :, :, 0, :] + run.by_value[:, :, :, 2, :], axis=2,
                        dtype=np.float64)
        out, offset = {}, 0
        for name, values in run.attribute_values:
            out[name] = (list(values), won[..., offset:offset + len(values)])
            offset += len(values)
        return out
    table = run.attributes()
    strategies = [s.name for s in run.scenario.strategies]
    return {name: attribute_cube(table, name, strategies)
            for name in pd.unique(table["attribute"].astype(str))}


@as_written
def attribute_figure(table: pd.DataFrame | tuple[list[str], np.ndarray], scenario: Scenario,
                     attribute: str, *, max_panels: int = MAX_PANELS,
                     people: dict[str, int] | None = None) -> Figure:
    """Small multiples: customers with each value of `attribute` over time, strategies
    overlaid (mean and the band holding 90% of replicates); the values with the most
    customers first when there are more than `max_panels`. `table`: ``attributes.csv``, or
    the attribute's values and cube (:func:`attribute_cubes`). `people`: who holds each
    value, in the panels' titles (what could be won)."""
    strategies = [s.name for s in scenario.strategies]
    values, counts = (table if isinstance(table, tuple)
                      else attribute_cube(table, attribute, strategies))
    order = np.argsort(-counts[:, :, -1, :].mean(axis=(0, 1)), kind="stable")
    shown = sorted(order[:max_panels].tolist())
    colours = strategy_colours(strategies)
    fig = new_figure()
    steps = np.arange(counts.shape[2])
    for ax, j in zip(panels(fig, len(shown)), shown, strict=True):
        strategy_bands(ax, steps, counts[:, :, :, j], strategies, colours)
        held = (people or {}).get(values[j])  # (in the title: a line at it would flatten
        top = float(counts[:, :, :, j].max())  # the curves when few of them are won)
        panel_title(ax, f"{attribute}: {values[j]}"
                    + ("" if held is None else f"\n{held:,} people"))
        weeks_axis(ax, int(steps[-1]))
        ax.set_ylim(0, max(1.0, top) * 1.05)
    which = ("" if len(shown) == len(values)
             else f"\n(the {len(shown)} values with most customers of {len(values)})")
    return finish_panels(fig, scenario, counts.shape[1], f"customers by {attribute}", which)


def attribute_makers(run: Results | RunFolder) -> dict[str, Callable[[], Figure]]:
    """The attribute figures of a run, by file name (``attribute-NAME``, the name's
    characters that a file name cannot hold as ``_``): none without attributes. Their
    numbers are ready before any is drawn (forked workers only read arrays)."""
    cubes = attribute_cubes(run)
    people = run.people_by_value()
    scenario = run.scenario
    out: dict[str, Callable[[], Figure]] = {}
    for name, cube in cubes.items():
        stem = "attribute-" + re.sub(r"[^\w.-]", "_", name)
        while stem in out:
            stem += "_"
        out[stem] = functools.partial(attribute_figure, cube, scenario, name,
                                      people=people.get(name))
    return out


def attribute_section(run: RunFolder) -> str:
    """The report's "By attribute" section: customers at the horizon per strategy and
    attribute value, with 95% intervals (empty without attributes)."""
    table = run.attribute_summary()
    if table.empty:
        return ""
    def pct(x: float) -> str:
        return f"{x:.0%}" if x == x else "—"

    rows = [[r["strategy"], r["attribute"], r["value"],
             f"{r['people']:,.0f}" if r["people"] == r["people"] else "—",
             f"{r['customers_mean']:,.1f}", f"{r['customers_lo']:,.1f} to {r['customers_hi']:,.1f}",
             pct(r["won_share"]), pct(r["share_mean"])] for r in table.to_dict("records")]
    return ("<h2>By attribute</h2><p>Customers at the horizon with each value, wherever they "
            "talk (attributes.csv): the people who hold it (replicate 0), the mean over "
            "replicates of those won and its 95% interval, the share of them won, and the "
            "value's share of the strategy's customers.</p>" + html_table(
                rows, ["strategy", "attribute", "value", "people", "customers (mean)",
                       "95% interval", "won", "share of customers"], text=3))
