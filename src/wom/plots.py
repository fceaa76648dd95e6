"""Spread plots. matplotlib is imported inside functions (Agg backend, no screen needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from wom.results import Results, RunFolder

#: Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]


def strategy_colours(names: list[str]) -> dict[str, str]:
    """One colour per strategy, by its position in the scenario (stable across plots)."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def adoption_figure(
    timeseries: pd.DataFrame, strategies: list[str], *, title: str = "", budget: float | None = None
) -> Figure:
    """Mean cumulative customers per strategy, with the band holding 95% of replicates."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    total = timeseries.groupby(["strategy", "replicate", "step"], sort=False)["adopters"].sum()
    fig = Figure(figsize=(8, 4.5), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    colours = strategy_colours(strategies)
    for name in strategies:
        curves = total.loc[name].unstack("step").to_numpy(float)  # replicates × steps
        steps = np.arange(curves.shape[1])
        mean = curves.mean(axis=0)
        lo, hi = np.percentile(curves, [2.5, 97.5], axis=0)
        ax.fill_between(steps, lo, hi, color=colours[name], alpha=0.2, linewidth=0)
        ax.plot(steps, mean, color=colours[name], linewidth=2, label=f"{name} (mean)")
    n_rep = timeseries["replicate"].nunique()
    ax.set_xlabel("week")
    ax.set_ylabel("customers (people)")
    money = f" at a budget of {budget:,.0f}" if budget is not None else ""
    ax.set_title(title or f"Customers over time{money}")
    ax.legend(title=f"band: 95% of {n_rep} replicates", loc="upper left", frameon=False)
    ax.grid(alpha=0.3)
    ax.set_xlim(0, max(1, timeseries["step"].max()))
    ax.set_ylim(bottom=0)
    return fig


def plot_adoption(run: Results | RunFolder | Any, path: Path | str) -> Path:
    """Write ``adoption.png`` (or any matplotlib format by suffix) for a run."""
    ts = run.timeseries() if callable(getattr(run, "timeseries", None)) else run.timeseries
    sc = run.scenario
    fig = adoption_figure(
        ts,
        [s.name for s in sc.strategies],
        title=f"{sc.name}: customers over time at a budget of {sc.budget.total:,.0f}",
    )
    path = Path(path)
    fig.savefig(path)
    return path
