"""The app's two pictures of a :class:`~wom.app.lesson.Lesson`, as matplotlib figures.

The graph is drawn as ``wom snapshot`` and ``wom animate`` draw it (:mod:`wom.viz.drawing`):
segments as disks (:func:`wom.market.segment_positions`, O(N), never a spring layout),
people not yet customers pale, customers in their segment's full colour; markets above
:data:`MAX_PEOPLE` people as a seeded random sample, the same people in every panel. In a
market of accounts, also the accounts won (ringed), the people waiting (hollow) and the
buyers and payers (by shape), and the panel titles count accounts won and people waiting.

Each picture is built once per lesson (:class:`GraphFigure`, :class:`CurvesFigure`) and
brought up to date week by week with :meth:`update`, which touches only what changes (the
customers, the counts in the titles, the curves' data); :attr:`dynamic` lists those artists,
so :class:`wom.app.pictures.Picture` can redraw them alone over the rest, drawn once.
:func:`graph_figure` and :func:`curves_figure` build and update in one call.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from wom.viz.accounts import AccountHistory
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
from wom.viz.numbers import as_money
from wom.viz.style import segment_colours, strategy_colours

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.text import Text

    from wom.abm import WomModel
    from wom.app.lesson import Lesson

#: People drawn per panel (a sample of bigger markets): redrawn every week, so kept small.
MAX_PEOPLE = MAX_PEOPLE_ANIMATED
DPI = 90
#: The curves' y axis ends at the first of these (× a power of ten) above 1.1 × the most
#: customers: it changes a few times per run, not every week.
NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def drawn(lesson: Lesson, max_people: int = MAX_PEOPLE) -> Shown:
    """Who the graph shows: computed once per market and kept with it."""
    pop = lesson.models[0].population
    # (the replicate too: with network.resample: once, replicates share the market)
    key = f"app-shown-{max_people}-{lesson.replicate}"
    if key not in pop.cache:
        pop.cache[key] = shown(pop, lesson.wom_scenario, replicate=lesson.replicate,
                               max_people=max_people)
    out: Shown = pop.cache[key]
    return out


def history(model: WomModel) -> AccountHistory | None:
    """What the graph draws of a market of accounts, as the model stands (``None`` without
    accounts)."""
    acc = model.population.accounts
    if acc is None or model.convinced_at is None:
        return None
    people = model.simulation.people
    return AccountHistory(accounts=acc, convinced_at=model.convinced_at,
                          bought_at=people.bought_at, left_at=people.account_left)


def panel_title(model: WomModel) -> str:
    """A graph panel's title: the strategy and its customers (and, with accounts, the
    accounts won and the people waiting, on a second line)."""
    title = f"{model.strategy.name}: {model.customers:,} customers"
    if model.population.accounts is not None:
        title += f"\n{model.accounts:,} accounts won, {model.waiting:,} people waiting"
    return title


class GraphFigure:
    """The conversation graph by segment, one panel per strategy: ties and people drawn
    once; the customers so far (with accounts: the accounts won and the people waiting)
    and the counts in the titles set by :meth:`update`."""

    def __init__(self, lesson: Lesson, *, max_people: int = MAX_PEOPLE, dpi: int = DPI) -> None:
        sc = lesson.wom_scenario
        pop = lesson.models[0].population
        pos = positions(pop, sc, lesson.replicate)
        show = drawn(lesson, max_people)
        palette = segment_palette(sc)
        by_strategy = strategy_colours([s.name for s in sc.strategies])
        self.fig: Figure = panels_figure(len(lesson.models), dpi)
        axes = self.fig.subplots(1, len(lesson.models), squeeze=False)[0]
        self.axes: list[Axes] = list(axes)
        self.panels = [Panel(ax, pos, show, pop.segment, palette, m.simulation.adopted_at,
                             accounts=history(m))
                       for ax, m in zip(axes, lesson.models, strict=True)]
        for ax, model in zip(axes, lesson.models, strict=True):
            # y given: Matplotlib would otherwise move the title above where it thinks the
            # hidden x axis ends, off the figure (the panels had no visible titles).
            ax.set_title(" ", color=by_strategy.get(model.strategy.name, "#000000"),
                         fontweight="bold", y=1.0)
        self.title: Text = self.fig.suptitle(" ", fontsize="medium")
        self.fig.supxlabel(f"market {lesson.replicate}; same people and places in every "
                           f"panel; {show.note()}", fontsize="x-small", color="#555555")
        legend(self.fig, sc, palette, accounts=pop.accounts)
        self.update(lesson)

    @property
    def dynamic(self) -> list[Artist]:
        """What :meth:`update` changes: each panel's customers and title, the figure title
        (with accounts: each panel's rings of accounts won and people waiting too)."""
        marks: list[Artist] = [a for p in self.panels for a in (p.outlines, p.waiting)
                               if a is not None]
        return [*marks, *(p.customers for p in self.panels), *(ax.title for ax in self.axes),
                self.title]

    def update(self, lesson: Lesson) -> bool:
        """Show the lesson's week; ``False``: only :attr:`dynamic` changed."""
        sc = lesson.wom_scenario
        for ax, panel, model in zip(self.axes, self.panels, lesson.models, strict=True):
            # The panel keeps its people's adoption steps (a copy): read them again.
            panel.follow(model.simulation.adopted_at, model.simulation.left_at,
                         history(model))
            # Week t's customers are those who adopted in steps 0 … t (none before week 0).
            panel.show(lesson.week)
            # set_text, not set_title: that would move the title back to where it was
            # before the layout placed it
            ax.title.set_text(panel_title(model))
        self.title.set_text(f"{sc.name} — {lesson.week_label} "
                            f"(budget {as_money(sc.budget.total)} each)")
        return False


def nice_top(most: float) -> float:
    """The first "nice" number (:data:`NICE` × 10^k) at or above ``max(10, 1.1 × most)``."""
    want = max(10.0, 1.1 * float(most))
    power = 10.0 ** math.floor(math.log10(want))
    return next(power * n for n in NICE if power * n >= want * (1 - 1e-12))


class CurvesFigure:
    """Customers per segment week by week, one panel per strategy (same scales): axes drawn
    once; :meth:`update` (not yet called) sets the curves' data, and the y axis when it
    must grow."""

    def __init__(self, lesson: Lesson, *, dpi: int = DPI) -> None:
        sc = lesson.wom_scenario
        segments = sc.segment_names
        colours = segment_colours(segments)
        by_strategy = strategy_colours([s.name for s in sc.strategies])
        self.fig: Figure = panels_figure(len(lesson.models), dpi, (4.6, 3.0))
        axes = self.fig.subplots(1, len(lesson.models), squeeze=False, sharey=True)[0]
        self.axes: list[Axes] = list(axes)
        self.lines: list[list[Line2D]] = []
        for ax, model in zip(axes, lesson.models, strict=True):
            self.lines.append([ax.plot([], [], color=colours[name], linewidth=1.6,
                                       label=name)[0] for name in segments])
            ax.set_xlim(0, max(lesson.horizon - 1, 1))
            ax.set_xlabel("week")
            ax.grid(alpha=0.3)
            name = model.strategy.name
            ax.set_title(f"{name}: customers per segment",
                         color=by_strategy.get(name, "#000000"), fontsize="medium")
        axes[0].set_ylabel("customers")
        # Until the first update, the axis is as tall as it could ever be (the biggest
        # segment): a layout made now leaves room for the widest numbers it will show.
        sizes = np.bincount(lesson.models[0].population.segment)
        self.top = nice_top(int(sizes.max()) if sizes.size else 0)
        axes[0].set_ylim(0, self.top)
        handles, labels = axes[0].get_legend_handles_labels()
        shown_ = min(len(handles), 12)
        self.fig.legend(handles[:shown_], labels[:shown_], loc="outside right upper",
                        frameon=False, fontsize="small", title="segment", alignment="left")

    @property
    def dynamic(self) -> list[Artist]:
        """The curves (the axes change only when :meth:`update` says so)."""
        return [line for lines in self.lines for line in lines]

    def update(self, lesson: Lesson) -> bool:
        """Show the lesson's weeks so far; ``True``: the y axis grew (redraw everything)."""
        for lines, model in zip(self.lines, lesson.models, strict=True):
            data = model.datacollector.model_vars
            # From week 0, as the plots of `wom run` start (the row before it is the launch).
            weeks = np.asarray(data["week"])[1:]
            for line in lines:
                line.set_data(weeks, np.asarray(data[line.get_label()])[1:])
        top = nice_top(max(int(np.max(m.customers_by_segment)) for m in lesson.models))
        if top == self.top:
            return False
        self.top = top
        self.axes[0].set_ylim(0, top)
        return True


def graph_figure(lesson: Lesson, *, max_people: int = MAX_PEOPLE, dpi: int = DPI) -> Figure:
    """The conversation graph by segment, the customers so far lit, one panel per strategy."""
    return GraphFigure(lesson, max_people=max_people, dpi=dpi).fig


def curves_figure(lesson: Lesson, *, dpi: int = DPI) -> Figure:
    """Customers per segment week by week, one panel per strategy (same scales)."""
    curves = CurvesFigure(lesson, dpi=dpi)
    curves.update(lesson)
    return curves.fig
