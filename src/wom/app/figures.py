"""The app's two pictures of a :class:`~wom.app.lesson.Lesson`, as matplotlib figures.

The graph is drawn as ``wom snapshot`` and ``wom animate`` draw it (:mod:`wom.viz.drawing`):
segments as disks (:func:`wom.market.segment_positions`, O(N), never a spring layout),
people not yet customers pale, customers in their segment's full colour; markets above
:data:`MAX_PEOPLE` people as a seeded random sample, the same people in every panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from wom.viz.drawing import (
    MAX_PEOPLE_ANIMATED,
    Panel,
    Shown,
    legend,
    panels_figure,
    positions,
    segment_palette,
    shown,
)
from wom.viz.style import segment_colours, strategy_colours
from wom.viz.words import as_money

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from wom.app.lesson import Lesson

#: People drawn per panel (a sample of bigger markets): redrawn every week, so kept small.
MAX_PEOPLE = MAX_PEOPLE_ANIMATED
DPI = 90


def drawn(lesson: Lesson, max_people: int = MAX_PEOPLE) -> Shown:
    """Who the graph shows: computed once per market and kept with it."""
    pop = lesson.models[0].population
    key = f"app-shown-{max_people}"
    if key not in pop.cache:
        pop.cache[key] = shown(pop, lesson.wom_scenario, replicate=lesson.replicate,
                               max_people=max_people)
    out: Shown = pop.cache[key]
    return out


def graph_figure(lesson: Lesson, *, max_people: int = MAX_PEOPLE, dpi: int = DPI) -> Figure:
    """The conversation graph by segment, the customers so far lit, one panel per strategy."""
    sc = lesson.wom_scenario
    pop = lesson.models[0].population
    pos = positions(pop, sc, lesson.replicate)
    show = drawn(lesson, max_people)
    palette = segment_palette(sc)
    names = [m.strategy.name for m in lesson.models]
    by_strategy = strategy_colours([s.name for s in sc.strategies])
    fig = panels_figure(len(lesson.models), dpi)
    axes = fig.subplots(1, len(lesson.models), squeeze=False)[0]
    for ax, name, model in zip(axes, names, lesson.models, strict=True):
        # Week t's customers are those who adopted in steps 0 … t − 1.
        Panel(ax, pos, show, pop.segment, palette, model.simulation.adopted_at).show(
            model.simulation.t - 1)
        ax.set_title(f"{name}: {model.simulation.adopters:,} customers",
                     color=by_strategy.get(name, "#000000"), fontweight="bold")
    fig.suptitle(f"{sc.name} — week {lesson.week} of {lesson.horizon} "
                 f"(budget {as_money(sc.budget.total)} each)", fontsize="medium")
    fig.supxlabel(f"market {lesson.replicate}; same people and places in every panel; "
                  f"{show.note()}", fontsize="x-small", color="#555555")
    legend(fig, sc, palette)
    return fig


def curves_figure(lesson: Lesson, *, dpi: int = DPI) -> Figure:
    """Customers per segment week by week, one panel per strategy (same scales)."""
    sc = lesson.wom_scenario
    segments = sc.segment_names
    colours = segment_colours(segments)
    by_strategy = strategy_colours([s.name for s in sc.strategies])
    fig = panels_figure(len(lesson.models), dpi, (4.6, 3.0))
    axes = fig.subplots(1, len(lesson.models), squeeze=False, sharey=True)[0]
    for ax, model in zip(axes, lesson.models, strict=True):
        frame = model.datacollector.get_model_vars_dataframe()
        weeks = frame["week"].to_numpy()
        for name in segments:
            ax.plot(weeks, frame[name].to_numpy(), color=colours[name], linewidth=1.6,
                    label=name)
        ax.set_xlim(0, lesson.horizon)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
        name = model.strategy.name
        ax.set_title(f"{name}: customers per segment", color=by_strategy.get(name, "#000000"),
                     fontsize="medium")
    axes[0].set_ylabel("customers")
    top = max(int(np.max(m.adopters_by_segment)) for m in lesson.models)
    axes[0].set_ylim(0, max(10, 1.1 * top))
    handles, labels = axes[0].get_legend_handles_labels()
    shown_ = min(len(handles), 12)
    fig.legend(handles[:shown_], labels[:shown_], loc="outside right upper", frameon=False,
               fontsize="small", title="segment", alignment="left")
    return fig
