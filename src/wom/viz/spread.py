"""Spread plots from the tidy tables of a run, live (:class:`~wom.store.Results`) or read back.

Every figure function takes tables (the ``timeseries`` or ``comparison`` frame) and the
scenario, so the same code draws a run just finished and a run folder read from disk.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wom.config import IGNITION_SHARE, METRICS, Scenario
from wom.engine import CAUSES
from wom.store import pair
from wom.viz.numbers import band_title
from wom.viz.style import (
    ALWAYS_SHOWN,
    CAUSE_COLOURS,
    CAUSE_LABELS,
    IGNITION_LABEL,
    MAX_ANNOTATED,
    MAX_PANELS,
    SLIDE,
    WINNABLE_LABEL,
    accent,
    as_written,
    compared,
    fit_text,
    ignition_sizes,
    incumbent_sizes,
    legend_below,
    new_figure,
    panel_title,
    panels,
    people_axis,
    segment_colours,
    strategy_colours,
    tam_sizes,
    weeks_axis,
)

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def cube(
    timeseries: pd.DataFrame, column: str, strategies: Sequence[str],
    segments: Sequence[str] | None = None,
) -> np.ndarray:
    """``float64[strategies, replicates, steps, segments]`` of one timeseries column.

    Names are compared as text: a CSV read back turns a segment called ``4`` into a number.
    """
    strategy = timeseries["strategy"].astype(str)
    segment = timeseries["segment"].astype(str)
    if segments is None:
        segments = list(pd.unique(segment))
    st = pd.Categorical(strategy, categories=list(strategies)).codes
    sg = pd.Categorical(segment, categories=list(segments)).codes
    if (st < 0).any() or (sg < 0).any():
        unknown = sorted(set(strategy[st < 0]) | set(segment[sg < 0]))
        raise ValueError(f"the timeseries names strategies or segments the scenario does not "
                         f"have: {', '.join(unknown[:5])}")
    reps, rep = np.unique(timeseries["replicate"].to_numpy(), return_inverse=True)
    step = timeseries["step"].to_numpy(np.int64)
    out = np.zeros((len(strategies), reps.size, int(step.max()) + 1, len(segments)))
    out[st, rep, step, sg] = timeseries[column].to_numpy(float)
    return out


def band(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over replicates (axis 0) and the band holding 90% of them: their 5th to 95th
    percentiles, the spread the summary gives (``customers_p5``, ``customers_p95``)."""
    lo, hi = np.percentile(curves, [5, 95], axis=0)
    return curves.mean(axis=0), lo, hi


@as_written
def adoption_figure(
    timeseries: pd.DataFrame, strategies: Sequence[str], *, title: str = "",
    budget: float | None = None,
) -> Figure:
    """Mean cumulative customers per strategy, with the band holding 90% of replicates:
    `strategies`, of those the timeseries holds."""
    named = timeseries["strategy"].astype(str)
    held = list(pd.unique(named))
    missing = sorted(set(strategies) - set(held))
    if missing:
        raise ValueError(f"the timeseries has no strategy {', '.join(missing[:5])} (it has: "
                         f"{', '.join(held[:10])})")
    timeseries = timeseries[named.isin(list(strategies))]
    total = cube(timeseries, "adopters", strategies).sum(axis=3)  # strategies × reps × steps
    fig = new_figure()
    ax = fig.add_subplot()
    colours = strategy_colours(strategies)
    steps = np.arange(total.shape[2])
    for k, name in enumerate(strategies):
        mean, lo, hi = band(total[k])
        ax.fill_between(steps, lo, hi, color=colours[name], alpha=0.2, linewidth=0)
        ax.plot(steps, mean, color=colours[name], linewidth=2, label=name)
    ax.set_xlabel("week")
    ax.set_ylabel("customers (people)")
    people_axis(ax.yaxis)
    money = f" at a budget of {budget:,.0f}" if budget is not None else ""
    heading = ax.set_title(title or f"Customers over time{money}", y=1.0)  # (panel_title)
    # Beside the plot, never over the curves and bands.
    ax.legend(title=band_title(total.shape[1], "\n"), loc="upper left",
              bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False,
              alignment="left")
    ax.grid(alpha=0.3)
    weeks_axis(ax, int(steps[-1]))
    ax.set_ylim(bottom=0)
    fit_text(fig, heading)
    return fig


def shown_segments(scenario: Scenario, limit: int = MAX_PANELS) -> list[int]:
    """Indices of the segments given a panel: all, or the `limit` largest, in scenario order."""
    sizes = [s.size for s in scenario.segments]
    largest = sorted(range(len(sizes)), key=lambda k: (-sizes[k], k))[:limit]
    return sorted(largest)


@as_written
def segments_figure(
    timeseries: pd.DataFrame, scenario: Scenario, *, max_panels: int = MAX_PANELS
) -> Figure:
    """Small multiples: customers per segment, strategies overlaid, TAM and ignition lines.

    More than `max_panels` segments: the largest by size get a panel, as the title says.
    """
    strategies = [s.name for s in scenario.strategies]
    segments = scenario.segment_names
    counts = cube(timeseries, "adopters", strategies, segments)
    shown = shown_segments(scenario, max_panels)
    tam, ignite, held_by = tam_sizes(scenario), ignition_sizes(scenario), incumbent_sizes(scenario)
    colours, seg_colours = strategy_colours(strategies), segment_colours(segments)
    fig = new_figure()
    steps = np.arange(counts.shape[2])
    for ax, j in zip(panels(fig, len(shown)), shown, strict=True):
        strategy_bands(ax, steps, counts[:, :, :, j], strategies, colours)
        ax.axhline(tam[j], color="0.35", linewidth=1, label="TAM")
        if tam[j] > 0:  # (an empty TAM never ignites)
            ax.axhline(ignite[j], color="0.35", linewidth=1, linestyle="--",
                       label=IGNITION_LABEL)
        held = f", incumbent holds {held_by[j]:,}" if held_by[j] else ""
        if held_by[j]:
            ax.axhline(tam[j] - held_by[j], color="#D55E00", linewidth=1.2, linestyle=":",
                       label=WINNABLE_LABEL)
        # two short lines: a panel is narrow, and a long title runs into its neighbours'
        panel_title(ax, f"{segments[j]}\nTAM {tam[j]:,}{held}")
        accent(ax, seg_colours[segments[j]])
        weeks_axis(ax, int(steps[-1]))
        ax.set_ylim(0, max(1.0, tam[j], float(counts[:, :, :, j].max())) * 1.05)
    which = ("" if len(shown) == len(segments)
             else f"\n(the {len(shown)} largest of {len(segments)} segments)")
    return finish_panels(fig, scenario, counts.shape[1], "customers per segment", which)


def strategy_bands(ax: Axes, steps: np.ndarray, curves: np.ndarray, strategies: Sequence[str],
                   colours: dict[str, str]) -> None:
    """Each strategy's mean curve and the band holding 90% of its replicates
    (``curves[k]``: ``[replicates, steps]`` of strategy ``k``), on one panel."""
    for k, name in enumerate(strategies):
        mean, lo, hi = band(curves[k])
        ax.fill_between(steps, lo, hi, color=colours[name], alpha=0.2, linewidth=0)
        ax.plot(steps, mean, color=colours[name], linewidth=1.8, label=name)


def finish_panels(fig: Figure, scenario: Scenario, replicates: int, what: str,
                  which: str) -> Figure:
    """Small multiples' legend below them and their heading (``what`` the panels count;
    ``which``: a note on the panels left out), fitted to the figure."""
    handles, labels = legend_entries(fig.axes)
    legend_below(fig, handles, labels, title=band_title(replicates))
    heading = fig.suptitle(f"{scenario.name}: {what} — {compared(scenario, replicates)}{which}")
    fit_text(fig, heading, *(ax.title for ax in fig.axes))
    return fig


def legend_entries(axes: Sequence[Axes]) -> tuple[list[Artist], list[str]]:
    """Every label of the panels once, in the order first drawn (a line only some panels
    have, such as what an incumbent leaves winnable, still gets its entry)."""
    handles: dict[str, Artist] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    return list(handles.values()), list(handles)


@as_written
def causes_figure(timeseries: pd.DataFrame, scenario: Scenario) -> Figure:
    """Customers by cause over time (seed, marketing, background, word of mouth), stacked; a
    panel per strategy, on one scale. A cause beyond the campaign's and word of mouth
    (background) is drawn only when it won someone."""
    strategies = [s.name for s in scenario.strategies]
    causes = [c for c in CAUSES if c in ALWAYS_SHOWN or timeseries[f"new_by_{c}"].any()]
    # Mean over replicates of each cause's cumulative customers, summed over segments.
    by_cause = [
        np.cumsum(cube(timeseries, f"new_by_{c}", strategies).sum(axis=3), axis=2).mean(axis=1)
        for c in causes
    ]
    stack = np.stack(by_cause, axis=1)  # strategies × causes × steps
    fig = new_figure()
    steps = np.arange(stack.shape[2])
    top = max(1.0, float(stack.sum(axis=1).max()) * 1.05)
    colours = strategy_colours(strategies)
    for ax, (k, name) in zip(panels(fig, len(strategies)), enumerate(strategies), strict=True):
        ax.stackplot(steps, stack[k], labels=[CAUSE_LABELS[c] for c in causes],
                     colors=[CAUSE_COLOURS[c] for c in causes], alpha=0.9)
        panel_title(ax, name)
        accent(ax, colours[name])
        weeks_axis(ax, int(steps[-1]))
        ax.set_ylim(0, top)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    legend_below(fig, handles, labels, title="customers won by")
    n_rep = timeseries["replicate"].nunique()
    heading = fig.suptitle(f"{scenario.name}: customers by cause (mean) — "
                           f"{compared(scenario, n_rep)}")
    fit_text(fig, heading, *(ax.title for ax in fig.axes))
    return fig


@as_written
def differences_figure(
    comparison: pd.DataFrame, scenario: Scenario, *, metric: str = "customers"
) -> Figure:
    """Paired difference of the first strategy minus each other one, with 95% intervals.

    The same replicate is the same market for every strategy, so the differences are paired;
    ``P(A beats B)`` is the share of markets where A did better.
    """
    strategies = [s.name for s in scenario.strategies]
    if len(strategies) < 2:
        raise ValueError("a paired difference needs at least two strategies")
    first, others = strategies[0], strategies[1:]
    colours = strategy_colours(strategies)
    size = (SLIDE[0], min(SLIDE[1], 1.6 + 0.6 * len(others)))
    fig = new_figure(size)
    ax = fig.add_subplot()
    ys = np.arange(len(others))[::-1]  # the second strategy on top
    p_labels = []
    for y, b in zip(ys, others, strict=True):
        d = pair(comparison, first, b, metric)
        m, lo, hi, p = d.mean, d.lo, d.hi, d.p_a_beats_b
        xerr = None if math.isnan(lo) else [[m - lo], [hi - m]]
        ax.errorbar([m], [y], xerr=xerr, fmt="o", color=colours[b], markersize=8,
                    capsize=6, linewidth=2, label=b)
        p_labels.append("n/a" if math.isnan(p) else f"P({first} beats {b}) = {p:.2f}")
    ax.axvline(0, color="0.2", linewidth=1)
    ax.set_yticks(ys, [f"{first} − {b}" for b in others])
    ax.set_ylim(-0.6, len(others) - 0.4)
    right = ax.secondary_yaxis("right")
    right.set_yticks(ys, p_labels)
    right.tick_params(length=0)
    unit = METRICS[metric].unit if metric in METRICS else ""
    what = metric.replace("_", " ")
    ax.set_xlabel(f"difference in {what} at the horizon" + (f" ({unit})" if unit else ""))
    ax.set_ylabel("paired with")
    ax.grid(axis="x", alpha=0.3)
    shown = "one replicate: no interval" if scenario.replicates == 1 else "mean, 95% interval"
    heading = ax.set_title(f"{scenario.name}: {what}, {first} minus each other strategy "
                           f"({shown})\n{compared(scenario)}", fontsize="medium", y=1.0)
    fit_text(fig, heading)
    return fig


def penetration(timeseries: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """``float64[strategies, S]``: mean customers at the horizon / TAM (NaN for an empty TAM)."""
    strategies = [s.name for s in scenario.strategies]
    final = cube(timeseries, "adopters", strategies, scenario.segment_names)[:, :, -1, :]
    tam = tam_sizes(scenario).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(tam > 0, final.mean(axis=1) / tam, np.nan)


@as_written
def penetration_figure(timeseries: pd.DataFrame, scenario: Scenario) -> Figure:
    """Heatmap, strategy × segment: share of each segment's TAM won at the horizon."""
    from matplotlib.ticker import FuncFormatter

    strategies = [s.name for s in scenario.strategies]
    segments = scenario.segment_names
    values = penetration(timeseries, scenario)
    n_st, S = values.shape
    size = (min(30.0, max(SLIDE[0], 3.0 + 0.3 * S)), max(SLIDE[1], 1.5 + 0.5 * n_st))
    fig = new_figure(size)
    ax = fig.add_subplot()
    peak = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    top = next(v for v in (0.25, 0.5, 1.0) if peak <= v) if peak <= 1 else peak
    image = ax.imshow(values, cmap="viridis", vmin=0.0, vmax=top, aspect="auto")
    if S <= MAX_ANNOTATED:
        for (k, j), v in np.ndenumerate(values):
            text = "no TAM" if math.isnan(v) else f"{v:.0%}"
            dark = not math.isnan(v) and v / top < 0.55
            ax.text(j, k, text, ha="center", va="center", fontsize="small",
                    color="white" if dark else "black")
    ax.set_xticks(range(S), segments, rotation=0 if S <= 6 else 90 if S > 12 else 45,
                  ha="center" if S <= 6 or S > 12 else "right")
    ax.set_yticks(range(n_st), strategies)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.tick_params(axis="y", length=0)
    # Each segment's colour as a thick tick under its column.
    ax.tick_params(axis="x", length=9, width=7)
    for tick, colour in zip(ax.xaxis.get_major_ticks(), segment_colours(segments).values(),
                            strict=True):
        tick.tick1line.set_markeredgecolor(colour)
    ax.set_xlabel("segment")
    ax.set_ylabel("strategy")
    step = {0.25: 0.05, 0.5: 0.1, 1.0: 0.25}.get(top, top / 4)
    ticks = [t for t in np.arange(0.0, top + step / 2, step)
             if abs(t - IGNITION_SHARE) > 0.035] + [IGNITION_SHARE]
    bar = fig.colorbar(image, ax=ax, label="share of the segment's TAM won (mean)",
                       ticks=sorted(ticks), format=FuncFormatter(lambda x, _: (
                           f"{x:.0%} ignition" if x == IGNITION_SHARE else f"{x:.0%}")))
    bar.ax.axhline(IGNITION_SHARE, color="white", linewidth=2)
    last = int(timeseries["step"].max())
    n_rep = timeseries["replicate"].nunique()
    heading = ax.set_title(f"{scenario.name}: share of each segment's TAM won by week {last} — "
                           f"{compared(scenario, n_rep)}", fontsize="medium", y=1.0)
    fit_text(fig, heading)
    return fig


@as_written
def accounts_figure(timeseries: pd.DataFrame, scenario: Scenario) -> Figure:
    """Two panels: accounts won so far, and people waiting (convinced in accounts that have
    not bought: their buyer or their payer is not). Mean and the band holding 90% of
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
    left.legend(loc="best", frameon=True, framealpha=0.9, fontsize="small",
                title=band_title(won.shape[1]))
    heading = fig.suptitle(f"{scenario.name}: accounts over time — "
                           f"{compared(scenario, won.shape[1])}")
    fit_text(fig, heading)
    return fig
