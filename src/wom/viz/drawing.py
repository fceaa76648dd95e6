"""Drawing the conversation graph: who is shown (a seeded sample of big markets), where
people sit, and one panel per strategy with the customers standing out.

People sit where :func:`wom.market.segment_positions` puts them (one disk per segment, O(N);
never a spring layout), computed once per market and shared by every strategy and every
frame. A market larger than ``max_people`` is drawn as a uniform random sample of its
people (of its accounts, in a market of accounts), and the figure says so. Used by
:mod:`wom.viz.snapshot` and the teaching app.

In a market of accounts (docs/model.md, "Accounts") a panel also shows, week by week, the
accounts won (a dark ring around their members), the people convinced whose account has not
bought yet (a hollow marker in their segment's colour: *waiting*), and who buys and who pays
in each account of two or more (a triangle, a square; a diamond for a buyer who pays).
Without accounts none of this is drawn and the picture is as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from wom.config import Scenario
from wom.engine import NEVER
from wom.errors import WomError
from wom.experiment import LAYOUT, stream
from wom.market import Population, segment_positions
from wom.market.accounts import AccountArrays
from wom.viz.accounts import (
    ROLE_AREA,
    AccountHistory,
    legend_handles,
    rings,
    role_marks,
    role_paths,
    sample_accounts,
    waiting_at,
)
from wom.viz.style import segment_colours, use_agg

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import EllipseCollection, PathCollection
    from matplotlib.figure import Figure

#: People drawn in a snapshot, and in each panel of an animation (kept small: GIF size).
MAX_PEOPLE = 5000
MAX_PEOPLE_ANIMATED = 3000
#: Ties drawn per person shown, at most (a random subset beyond that: a hairball hides all).
TIES_PER_PERSON = 2
#: Segments named in the legend before the rest are summarised as "+N more".
MAX_LEGEND = 12
#: Resolution of animation frames (pixels per inch); sizes below keep pixel counts even,
#: as H.264 in yuv420p requires.
ANIMATION_DPI = 100
PANEL_INCHES = (4.6, 5.0)
SNAPSHOT_INCHES = (6.4, 6.4)
LEGEND_INCHES = 1.8
EDGE = "#1a1a1a"
#: Room a segment's name takes on the drawing, per letter and in height, as shares of the
#: drawing's span (a bold medium font on a snapshot-sized panel).
NAME_CHAR = 0.022
NAME_HEIGHT = 0.05
TIE = "#8c8c8c"


def positions(population: Population, scenario: Scenario, replicate: int = 0) -> np.ndarray:
    """``float64[N, 2]``: where each person is drawn, computed once per market.

    Drawn from the replicate's layout stream (the Mesa view's positions) and kept in
    ``population.cache``, so every strategy and frame of that market reuses them. Under
    ``network.resample: once`` every replicate's market is replicate 0's, and so is its
    layout (whichever replicate is drawn first).
    """
    if "positions" not in population.cache:
        whose = 0 if scenario.network.resample == "once" else replicate
        population.cache["positions"] = segment_positions(
            population, rng=stream(scenario.seed, whose, LAYOUT))
    pos: np.ndarray = population.cache["positions"]
    return pos


@dataclass(frozen=True)
class Shown:
    """Who and which ties a picture draws, and how it was sampled.

    Attributes
    ----------
    people
        ``int64[k]``, sorted: the people drawn (everyone, or a uniform sample).
    ties
        ``int64[m, 2]``: ties among them that are drawn.
    total_people, total_ties
        People in the market; ties among the people drawn (before thinning).
    """

    people: np.ndarray
    ties: np.ndarray
    total_people: int
    total_ties: int
    #: What was sampled: people, or whole accounts (a market of accounts).
    unit: str = "people"

    @property
    def sampled(self) -> bool:
        return self.people.size < self.total_people

    def note(self) -> str:
        """What the picture shows, in words (sampling included)."""
        if self.sampled:
            sample = "random sample" if self.unit == "people" else f"random sample of {self.unit}"
            who = (f"showing {self.people.size:,} of {self.total_people:,} people "
                   f"({sample})")
        else:
            who = f"all {self.total_people:,} people"
        among = " among them" if self.sampled else ""
        if len(self.ties) < self.total_ties:
            ties = f"{len(self.ties):,} of {self.total_ties:,} ties{among} drawn (random sample)"
        else:
            ties = f"all {self.total_ties:,} ties{among} drawn"
        return f"{who}; {ties}"


def shown(
    population: Population, scenario: Scenario, *, replicate: int = 0,
    max_people: int = MAX_PEOPLE, ties_per_person: int = TIES_PER_PERSON,
) -> Shown:
    """The people and ties to draw: a uniform sample beyond `max_people` people.

    The sample is seeded from the scenario seed (its own stream, under the replicate's
    layout stream), so every strategy and frame of a replicate shows the same people. In a
    market of accounts whole accounts are sampled (drawn in a random order until the next
    would pass `max_people`), so that an account is drawn with all its members or not at all.
    """
    if max_people < 1:
        raise WomError(f"max_people must be at least 1 (got {max_people})")
    rng = stream(scenario.seed, replicate, LAYOUT, 1)
    n = population.n
    unit = "people"
    if n > max_people:
        people = sample_accounts(population.accounts, max_people, rng)
        if people is None:
            people = np.sort(rng.choice(n, size=max_people, replace=False)).astype(np.int64)
        else:
            unit = "accounts"
    else:
        people = np.arange(n, dtype=np.int64)
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(population.indptr))
    dst = population.indices.astype(np.int64)
    keep = src < dst
    if people.size < n:
        drawn = np.zeros(n, dtype=bool)
        drawn[people] = True
        keep &= drawn[src] & drawn[dst]
    ties = np.column_stack([src[keep], dst[keep]])
    total_ties = len(ties)
    cap = ties_per_person * people.size
    if total_ties > cap:
        ties = ties[np.sort(rng.choice(total_ties, size=cap, replace=False))]
    return Shown(people=people, ties=ties, total_people=n, total_ties=total_ties, unit=unit)


def segment_palette(sc: Scenario) -> list[str]:
    """Each segment's colour, in segment order."""
    by_name = segment_colours(sc.segment_names)
    return [by_name[n] for n in sc.segment_names]


def pale(colours: list[str]) -> np.ndarray:
    """The same hues washed out towards white (people who have not bought)."""
    from matplotlib.colors import to_rgba_array

    rgba = to_rgba_array(colours)
    rgba[:, :3] = 0.35 * rgba[:, :3] + 0.65
    return rgba


def hex_colour(rgba: np.ndarray) -> str:
    r, g, b = (round(255 * float(c)) for c in rgba[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def marker_sizes(n_shown: int) -> tuple[float, float]:
    """Marker areas (points²) for people who have not bought and for customers."""
    small = float(np.clip(1500.0 / max(n_shown, 1), 1.5, 30.0))
    return small, max(4.0 * small, 9.0)


def customers_at(adopted_at: np.ndarray, week: int,
                 left_at: np.ndarray | None = None) -> np.ndarray:
    """``bool[...]``: customers at the end of `week` — adopted at or before it
    (``adopted_at``: NEVER for never) and not left by then (``left_at``, churn: NEVER for
    never; ``None``: nobody leaves)."""
    bought = (adopted_at != NEVER) & (adopted_at <= week)
    if left_at is not None:
        bought &= (left_at == NEVER) | (left_at > week)
    return bought


class Panel:
    """One strategy's view: ties and pale people drawn once, customers redrawn per week
    (with `accounts`: also the accounts won and the people waiting, and buyers' and payers'
    markers by shape).

    Attributes
    ----------
    customers
        The customers' markers (the last collection of the axes).
    waiting, outlines
        With accounts: the markers of the people waiting, and the rings of the accounts won
        (``None`` without accounts).
    drawn_waiting, drawn_accounts
        How many people waiting and accounts won the last :meth:`show` drew.
    """

    def __init__(self, ax: Axes, pos: np.ndarray, show: Shown, segment: np.ndarray,
                 colours: list[str], adopted_at: np.ndarray,
                 left_at: np.ndarray | None = None,
                 accounts: AccountHistory | None = None) -> None:
        from matplotlib.collections import LineCollection

        self.ax, self.pos, self.people = ax, pos, show.people
        self.adopted_at = adopted_at[show.people]
        #: The step each person shown left at (churn), NEVER if they did not; None: nobody.
        self.left_at = None if left_at is None else left_at[show.people]
        from matplotlib.colors import to_rgba_array

        seg = segment[show.people]
        self.strong = to_rgba_array(colours)[seg]
        faded = pale(colours)
        small, self.big = marker_sizes(show.people.size)
        if len(show.ties):
            ax.add_collection(LineCollection(pos[show.ties], colors=TIE, linewidths=0.25,
                                             alpha=0.12, zorder=0))
        xy = pos[show.people]
        everyone = ax.scatter(xy[:, 0], xy[:, 1], s=small, facecolors=faded[seg],
                              linewidths=0, zorder=1)
        self.waiting: PathCollection | None = None
        self.outlines: EllipseCollection | None = None
        self.drawn_waiting = self.drawn_accounts = 0
        if accounts is not None:
            self._draw_accounts(everyone, accounts, small)
        self.customers: PathCollection = ax.scatter(
            xy[:0, 0], xy[:0, 1], s=self.big, facecolors=self.strong[:0], edgecolors=EDGE,
            linewidths=0.4, zorder=2)
        ax.set_aspect("equal")
        ax.autoscale_view()
        ax.margins(0.03)
        ax.set_axis_off()

    def _draw_accounts(self, everyone: PathCollection, history: AccountHistory,
                       small: float) -> None:
        """Buyers' and payers' markers by shape, and the (empty) rings and hollow markers
        :meth:`show` fills; the accounts drawn are those with a member shown."""
        from matplotlib.collections import EllipseCollection

        acc, people, ax = history.accounts, self.people, self.ax
        self.convinced_at = history.convinced_at[people]
        self.paths = role_paths(acc, people)
        self.grow = np.where(role_marks(acc, people) > 0, ROLE_AREA, 1.0)
        everyone.set_paths(list(self.paths))
        everyone.set_sizes(small * self.grow)
        xy = self.pos[people]
        # The accounts shown, each with its members' centre and a ring around them all.
        self.account_ids, self.centres, self.diameters = rings(acc, people, xy, self.big)
        self.bought_at = history.bought_at[self.account_ids]
        self.account_left = history.left_at[self.account_ids]
        self.outlines = EllipseCollection(
            [], [], [], units="xy", offsets=np.empty((0, 2)), offset_transform=ax.transData,
            facecolors="none", edgecolors=EDGE, linewidths=0.7, zorder=1.5)
        ax.add_collection(self.outlines, autolim=False)
        self.waiting = ax.scatter(xy[:0, 0], xy[:0, 1], s=self.big, facecolors="none",
                                  edgecolors=self.strong[:0], linewidths=0.9, zorder=2)

    def show(self, week: int) -> int:
        """Draw the customers at the end of `week` (won by then, not left by then); return
        how many are drawn (those among the people shown). With accounts, also the accounts
        won by then and not left, and the people waiting (:func:`waiting_at`)."""
        bought = customers_at(self.adopted_at, week, self.left_at)
        self.customers.set_offsets(self.pos[self.people[bought]])
        self.customers.set_facecolor(self.strong[bought])
        if self.outlines is not None and self.waiting is not None:
            self.customers.set_paths(list(self.paths[bought]))
            self.customers.set_sizes(self.big * self.grow[bought])
            waiting = waiting_at(self.convinced_at, self.adopted_at, week)
            self.waiting.set_offsets(self.pos[self.people[waiting]])
            self.waiting.set_edgecolor(self.strong[waiting])
            self.waiting.set_paths(list(self.paths[waiting]))
            self.waiting.set_sizes(self.big * self.grow[waiting])
            won = customers_at(self.bought_at, week, self.account_left)
            self.outlines.set_offsets(self.centres[won])
            self.outlines.set_widths(self.diameters[won])
            self.outlines.set_heights(self.diameters[won])
            self.outlines.set_angles(np.zeros(int(np.count_nonzero(won))))
            self.drawn_waiting = int(np.count_nonzero(waiting))
            self.drawn_accounts = int(np.count_nonzero(won))
        return int(np.count_nonzero(bought))

    def follow(self, adopted_at: np.ndarray, left_at: np.ndarray,
               history: AccountHistory | None = None) -> None:
        """Read the run's arrays again (whole-market arrays, as the constructor takes them):
        the app's runs go on after the panel is made."""
        self.adopted_at = adopted_at[self.people]
        self.left_at = left_at[self.people]
        if history is not None and self.outlines is not None:
            self.convinced_at = history.convinced_at[self.people]
            self.bought_at = history.bought_at[self.account_ids]
            self.account_left = history.left_at[self.account_ids]


def name_segments(ax: Axes, pos: np.ndarray, segment: np.ndarray, names: list[str],
                  limit: int = MAX_LEGEND) -> None:
    """Write each segment's name beside its disk, outward from the middle of the drawing
    (up to `limit` segments, the largest; the legend has the rest)."""
    import matplotlib.patheffects as effects

    sizes = np.bincount(segment, minlength=len(names))
    named = sorted(np.argsort(-sizes, kind="stable")[:limit].tolist())
    centres = np.array([pos[segment == k].mean(axis=0) if sizes[k] else (np.nan, np.nan)
                        for k in range(len(names))])
    middle = np.nanmean(centres, axis=0)
    span = float(np.ptp(pos, axis=0).max()) or 1.0
    halo = [effects.withStroke(linewidth=3, foreground="white")]
    for k in named:
        if not sizes[k]:
            continue
        members = pos[segment == k]
        radius = float(np.percentile(np.linalg.norm(members - centres[k], axis=1), 98))
        out = centres[k] - middle
        norm = float(np.linalg.norm(out))
        direction = out / norm if norm > 1e-9 * span else np.array([0.0, 1.0])
        x, y = centres[k] + direction * (radius + 0.02 * span)
        dx, dy = direction
        ha = "left" if dx > 0.35 else "right" if dx < -0.35 else "center"
        va = "bottom" if dy > 0.35 else "top" if dy < -0.35 else "center"
        ax.text(x, y, names[k], fontsize="medium", fontweight="bold", color="#222222",
                ha=ha, va=va, path_effects=halo, zorder=3)
        # Room for the name inside the axes (about a fiftieth of the drawing per letter, a
        # twentieth in height), so it is neither cut at the figure's edge nor under the title.
        wide, high = NAME_CHAR * span * len(names[k]), NAME_HEIGHT * span
        left = {"left": 0.0, "right": -wide, "center": -wide / 2}[ha]
        low = {"bottom": 0.0, "top": -high, "center": -high / 2}[va]
        ax.update_datalim([(x + left, y + low), (x + left + wide, y + low + high)])
    ax.autoscale_view()


def legend(fig: Figure, sc: Scenario, colours: list[str], fontsize: str = "small",
           accounts: AccountArrays | None = None) -> None:
    """The segments' colours and what the marks mean (with `accounts`: the accounts won,
    the people waiting, and the buyers' and payers' shapes found in the market)."""
    from matplotlib.lines import Line2D

    names = sc.segment_names
    listed = len(names) if len(names) <= MAX_LEGEND else MAX_LEGEND - 1

    def dot(colour: str, label: str, size: float = 7.0, edge: str = "none") -> Line2D:
        return Line2D([], [], linestyle="none", marker="o", markersize=size,
                      markerfacecolor=colour, markeredgecolor=edge, label=label)

    handles = [dot(colours[k], names[k]) for k in range(listed)]
    if listed < len(names):
        handles.append(Line2D([], [], linestyle="none", label=f"+{len(names) - listed} more"))
    handles.append(dot("#7f7f7f", "customer", 7.0, EDGE))
    if accounts is not None:
        handles += legend_handles(accounts, EDGE)
    handles.append(dot("#d9d9d9", "not a customer (yet, or any more)", 4.0))
    fig.legend(handles=handles, loc="outside right upper", frameon=False, fontsize=fontsize,
               title="segment", alignment="left")


def fit_height(fig: Figure, ax: Axes) -> None:
    """Take off the height a graph drawn to scale (equal aspect) leaves empty above and
    below itself in `fig` (a wide market left a band of white under it), laid out again."""
    engine = fig.get_layout_engine()
    if engine is None:  # (a figure of panels_figure is laid out by constraints)
        return
    for _ in range(3):  # the layout moves a little with the height: measure again
        engine.execute(fig)
        ax.apply_aspect()
        slack = ax.get_position(original=True).height - ax.get_position().height
        # never shorter than the legends beside it (a long list of segments)
        least = max((lg.get_window_extent().height / fig.dpi for lg in fig.legends),
                    default=0.0) + 0.2
        height = max(fig.get_figheight() * (1 - slack), least)
        if fig.get_figheight() - height < 0.02:
            return
        fig.set_figheight(height)
    engine.execute(fig)


def panels_figure(n_panels: int, dpi: int, panel: tuple[float, float] = PANEL_INCHES) -> Figure:
    use_agg()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    w, h = panel
    fig = Figure(figsize=(n_panels * w + LEGEND_INCHES, h), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)  # a renderer to measure text with (fit_text), no pyplot
    return fig
