"""The conversation graph itself: who has bought by a given week, and the spread as a movie.

Pictures are of one replicate of ``wom run``: the market, the plan and the dynamics come from
the same random streams as :func:`wom.runner.run_replicate`, so the customers counted here
are that replicate's. People sit where :func:`wom.layout.segment_positions` puts them (one
disk per segment, O(N); never a spring layout), computed once per market and shared by every
strategy and every frame. A market larger than ``max_people`` is drawn as a uniform random
sample of its people, and the figure says so; counts in titles are always of the whole market.

Weeks are the run's steps: week ``t`` shows the customers won by the end of step ``t``
(``timeseries.csv`` row ``step = t``), from week 0 (the seeds) to week ``horizon − 1``.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wom import plots
from wom.engine import Simulation
from wom.errors import WomError
from wom.layout import segment_positions
from wom.memory import check_memory
from wom.network import Population
from wom.runner import DYNAMICS, LAYOUT, PLAN, replicate_population, stream
from wom.scenario import Scenario, Strategy
from wom.strategies import make_plan

if TYPE_CHECKING:
    from matplotlib.animation import AbstractMovieWriter
    from matplotlib.axes import Axes
    from matplotlib.collections import PathCollection
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
_PANEL_INCHES = (4.6, 5.0)
_SNAPSHOT_INCHES = (6.4, 6.4)
_LEGEND_INCHES = 1.8
_EDGE = "#1a1a1a"
_TIE = "#8c8c8c"


def customers_by(adopted_at: np.ndarray, week: int) -> int:
    """People who adopted at or before `week` (``adopted_at`` is −1 for never)."""
    return int(np.count_nonzero((adopted_at >= 0) & (adopted_at <= week)))


def spread(
    scenario: Scenario, strategy: str, *, replicate: int = 0
) -> tuple[Population, np.ndarray]:
    """Replicate `replicate` of one strategy, run to the horizon.

    Returns
    -------
    population, adopted_at
        The replicate's market and ``int32[N]``: the week (step) each person adopted,
        −1 for people who had not adopted by the horizon (as in
        :attr:`wom.engine.Simulation.adopted_at`).

    Raises
    ------
    WomError
        No strategy of that name, or a negative replicate.
    """
    spec = scenario.strategy(strategy)
    _check_replicate(replicate)
    check_memory(scenario, replicates=1)  # one market, one replicate: refuse up front
    pop = replicate_population(scenario, replicate)
    return pop, _adopted_at(scenario, spec, pop, replicate)


def _adopted_at(sc: Scenario, spec: Strategy, pop: Population, replicate: int) -> np.ndarray:
    # The same calls, with the same streams, as runner.run_replicate.
    plan = make_plan(spec, sc, pop, rng=stream(sc.seed, replicate, PLAN))
    sim = Simulation(pop, plan, sc.dynamics, sc.network.weak_tie,
                     rng=stream(sc.seed, replicate, DYNAMICS))
    while sim.t < sim.horizon:
        sim.step()
    return sim.adopted_at.copy()


def _check_replicate(replicate: int) -> None:
    if replicate < 0:
        raise WomError(f"replicate must be 0 or more (got {replicate})")


def _check_week(sc: Scenario, week: int) -> None:
    if not 0 <= week < sc.horizon:
        raise WomError(f"week {week} is outside the run: weeks go from 0 to {sc.horizon - 1} "
                       f"(horizon {sc.horizon})")


def positions(population: Population, scenario: Scenario, replicate: int = 0) -> np.ndarray:
    """``float64[N, 2]``: where each person is drawn, computed once per market.

    Drawn from the replicate's layout stream (the Mesa view's positions) and kept in
    ``population.cache``, so every strategy and frame of that market reuses them.
    """
    if "positions" not in population.cache:
        population.cache["positions"] = segment_positions(
            population, rng=stream(scenario.seed, replicate, LAYOUT))
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

    @property
    def sampled(self) -> bool:
        return self.people.size < self.total_people

    def note(self) -> str:
        """What the picture shows, in words (sampling included)."""
        if self.sampled:
            who = (f"showing {self.people.size:,} of {self.total_people:,} people "
                   "(random sample)")
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
    layout stream), so every strategy and frame of a replicate shows the same people.
    """
    if max_people < 1:
        raise WomError(f"max_people must be at least 1 (got {max_people})")
    seq = np.random.SeedSequence(scenario.seed, spawn_key=(replicate, LAYOUT, 1))
    rng = np.random.Generator(np.random.PCG64(seq))
    n = population.n
    if n > max_people:
        people = np.sort(rng.choice(n, size=max_people, replace=False)).astype(np.int64)
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
    return Shown(people=people, ties=ties, total_people=n, total_ties=total_ties)


def _colours(sc: Scenario) -> list[str]:
    names = sc.segment_names
    segment_colours = getattr(plots, "segment_colours", None)
    if segment_colours is not None:
        by_name = segment_colours(names)
        return [by_name[n] for n in names]
    return [plots.PALETTE[k % len(plots.PALETTE)] for k in range(len(names))]


def _pale(colours: list[str]) -> np.ndarray:
    """The same hues washed out towards white (people who have not bought)."""
    from matplotlib.colors import to_rgba_array

    rgba = to_rgba_array(colours)
    rgba[:, :3] = 0.35 * rgba[:, :3] + 0.65
    return rgba


def _hex(rgba: np.ndarray) -> str:
    r, g, b = (round(255 * float(c)) for c in rgba[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _money(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _sizes(n_shown: int) -> tuple[float, float]:
    """Marker areas (points²) for people who have not bought and for customers."""
    small = float(np.clip(1500.0 / max(n_shown, 1), 1.5, 30.0))
    return small, max(4.0 * small, 9.0)


class _Panel:
    """One strategy's view: ties and pale people drawn once, customers redrawn per week."""

    def __init__(self, ax: Axes, pos: np.ndarray, show: Shown, segment: np.ndarray,
                 colours: list[str], adopted_at: np.ndarray) -> None:
        from matplotlib.collections import LineCollection

        self.ax, self.pos, self.people = ax, pos, show.people
        self.adopted_at = adopted_at[show.people]
        from matplotlib.colors import to_rgba_array

        seg = segment[show.people]
        self.strong = to_rgba_array(colours)[seg]
        pale = _pale(colours)
        small, self.big = _sizes(show.people.size)
        if len(show.ties):
            ax.add_collection(LineCollection(pos[show.ties], colors=_TIE, linewidths=0.25,
                                             alpha=0.12, zorder=0))
        xy = pos[show.people]
        ax.scatter(xy[:, 0], xy[:, 1], s=small, facecolors=pale[seg], linewidths=0, zorder=1)
        self.customers: PathCollection = ax.scatter(
            xy[:0, 0], xy[:0, 1], s=self.big, facecolors=self.strong[:0], edgecolors=_EDGE,
            linewidths=0.4, zorder=2)
        ax.set_aspect("equal")
        ax.autoscale_view()
        ax.margins(0.03)
        ax.set_axis_off()

    def show(self, week: int) -> None:
        bought = (self.adopted_at >= 0) & (self.adopted_at <= week)
        self.customers.set_offsets(self.pos[self.people[bought]])
        self.customers.set_facecolor(self.strong[bought])


def _legend(fig: Figure, sc: Scenario, colours: list[str]) -> None:
    from matplotlib.lines import Line2D

    names = sc.segment_names
    listed = len(names) if len(names) <= MAX_LEGEND else MAX_LEGEND - 1

    def dot(colour: str, label: str, size: float = 7.0, edge: str = "none") -> Line2D:
        return Line2D([], [], linestyle="none", marker="o", markersize=size,
                      markerfacecolor=colour, markeredgecolor=edge, label=label)

    handles = [dot(colours[k], names[k]) for k in range(listed)]
    if listed < len(names):
        handles.append(Line2D([], [], linestyle="none", label=f"+{len(names) - listed} more"))
    handles += [dot("#7f7f7f", "customer", 7.0, _EDGE),
                dot("#d9d9d9", "not (yet) a customer", 4.0)]
    fig.legend(handles=handles, loc="outside right upper", frameon=False, fontsize="small",
               title="segment", alignment="left")


def _figure(n_panels: int, dpi: int, panel: tuple[float, float] = _PANEL_INCHES) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    w, h = panel
    return Figure(figsize=(n_panels * w + _LEGEND_INCHES, h), dpi=dpi, layout="constrained")


def snapshot_figure(
    scenario: Scenario, strategy: str, step: int, *, replicate: int = 0,
    max_people: int = MAX_PEOPLE, dpi: int = 150,
) -> Figure:
    """The conversation graph by segment, with the customers won by week `step` standing out.

    Parameters
    ----------
    scenario, strategy
        The scenario and the name of one of its strategies.
    step
        The week shown, ``0 … horizon − 1`` (the customers by the end of that step).
    replicate
        Which replicate of ``wom run`` to draw.
    max_people
        Larger markets are drawn as a uniform random sample of this many people (seeded from
        the scenario seed), with the ties among them; the figure says so.

    Raises
    ------
    WomError
        Unknown strategy, or `step` outside the run.
    """
    spec = scenario.strategy(strategy)
    _check_week(scenario, step)
    _check_replicate(replicate)
    check_memory(scenario, replicates=1)  # one market, one replicate: refuse up front
    pop = replicate_population(scenario, replicate)
    adopted_at = _adopted_at(scenario, spec, pop, replicate)
    pos = positions(pop, scenario, replicate)
    show = shown(pop, scenario, replicate=replicate, max_people=max_people)
    colours = _colours(scenario)
    fig = _figure(1, dpi, _SNAPSHOT_INCHES)
    ax = fig.add_subplot()
    _Panel(ax, pos, show, pop.segment, colours, adopted_at).show(step)
    customers = customers_by(adopted_at, step)
    ax.set_title(f"{spec.name} — week {step}: {customers:,} customers "
                 f"(at a budget of {_money(scenario.budget.total)})", fontsize="medium")
    fig.suptitle(scenario.name, fontsize="small", color="#555555")
    fig.supxlabel(f"replicate {replicate}; {show.note()}", fontsize="x-small", color="#555555")
    _legend(fig, scenario, colours)
    return fig


class SpreadFrames:
    """An animation's figure: one panel per strategy, moved to any week with :meth:`show`.

    Every panel shows the same people at the same places on the same replicate (common
    random numbers), so the panels differ only by what the strategies did.

    Attributes
    ----------
    figure
        The figure (one axes per strategy, in the order given).
    weeks
        Frames: one per week, ``0 … horizon − 1``.
    customers
        ``int64[strategies, weeks]``: customers in the whole market by the end of each week.
    """

    def __init__(
        self, scenario: Scenario, strategies: Sequence[str], *, replicate: int = 0,
        max_people: int = MAX_PEOPLE_ANIMATED, dpi: int = ANIMATION_DPI,
    ) -> None:
        if not strategies:
            raise WomError("animate needs at least one strategy")
        specs = [scenario.strategy(name) for name in strategies]
        _check_replicate(replicate)
        sc = scenario
        check_memory(sc, replicates=1)
        pop = replicate_population(sc, replicate)
        adopted = [_adopted_at(sc, spec, pop, replicate) for spec in specs]
        pos = positions(pop, sc, replicate)
        show = shown(pop, sc, replicate=replicate, max_people=max_people)
        colours = _colours(sc)
        self.scenario, self.names = sc, [s.name for s in specs]
        self.weeks = sc.horizon
        counted = np.stack([np.bincount(a[a >= 0], minlength=self.weeks) for a in adopted])
        self.customers = np.cumsum(counted[:, : self.weeks], axis=1)
        self.figure = _figure(len(specs), dpi)
        axes = self.figure.subplots(1, len(specs), squeeze=False)[0]
        self._panels = [_Panel(ax, pos, show, pop.segment, colours, a)
                        for ax, a in zip(axes, adopted, strict=True)]
        self._strategy_colour = plots.strategy_colours(self.names)
        #: Colours the frames must show exactly (the GIF palette keeps them).
        self.colours = [*colours, *(_hex(c) for c in _pale(colours)),
                        *self._strategy_colour.values(), _EDGE, "#000000", "#ffffff"]
        self.figure.supxlabel(
            f"replicate {replicate}; same people, places and replicate in every panel; "
            f"{show.note()}", fontsize="x-small", color="#555555")
        _legend(self.figure, sc, colours)

    def show(self, week: int) -> None:
        """Draw the customers won by the end of `week`."""
        _check_week(self.scenario, week)
        money = _money(self.scenario.budget.total)
        self.figure.suptitle(f"{self.scenario.name} — week {week} (budget {money} each)",
                             fontsize="medium")
        for i, (name, panel) in enumerate(zip(self.names, self._panels, strict=True)):
            panel.show(week)
            panel.ax.set_title(f"{name}: {int(self.customers[i, week]):,} customers",
                               color=self._strategy_colour[name], fontweight="bold")


def _gif_writer(fps: int, colours: Sequence[str]) -> AbstractMovieWriter:
    """A PillowWriter with one palette for every frame and no dithering.

    Per-frame palettes shift the segment colours from frame to frame and make every pixel
    change, so the GIF would store whole frames. One palette holding `colours` exactly (the
    segments', the strategies') and, for the rest, the colours of the first and last frames
    keeps the colours true and lets the GIF store only what changed between frames.
    """
    from matplotlib.animation import PillowWriter
    from matplotlib.colors import to_rgb
    from PIL import Image

    key = list(dict.fromkeys(tuple(round(255 * c) for c in to_rgb(x)) for x in colours))
    key = key[:128]

    class SharedPaletteWriter(PillowWriter):
        frames: list[Image.Image]

        def setup(self, fig: Figure, outfile: Path | str, dpi: float | None = None) -> None:
            super().setup(fig, outfile, dpi=dpi)
            self.frames = []

        def grab_frame(self, **savefig_kwargs: Any) -> None:
            buf = io.BytesIO()
            self.fig.savefig(buf, **{**savefig_kwargs, "format": "rgba", "dpi": self.dpi})
            self.frames.append(Image.frombuffer("RGBA", self.frame_size, buf.getvalue(),
                                                "raw", "RGBA", 0, 1).convert("RGB"))

        def finish(self) -> None:
            frames = self.frames
            if not frames:
                return
            w, h = frames[0].size
            both = Image.new("RGB", (w, 2 * h))
            both.paste(frames[0], (0, 0))
            both.paste(frames[-1], (0, h))
            rest = both.quantize(colors=256 - len(key), method=Image.Quantize.MEDIANCUT)
            palette = Image.new("P", (1, 1))
            palette.putpalette([c for rgb in key for c in rgb]
                               + (rest.getpalette() or [])[: 3 * (256 - len(key))])
            still = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
            still[0].save(self.outfile, save_all=True, append_images=still[1:],
                          duration=int(1000 / self.fps), loop=0)

    return SharedPaletteWriter(fps=fps)


def animate(
    scenario: Scenario, strategies: list[str], out: Path, *, replicate: int = 0,
    max_people: int = MAX_PEOPLE_ANIMATED, fps: int = 4,
) -> list[Path]:
    """Write the spread week by week as a GIF, and as an MP4 beside it when ffmpeg exists.

    One frame per week: ``horizon`` frames, weeks ``0 … horizon − 1`` (week 0 shows the
    seeds), one panel per strategy side by side.

    Parameters
    ----------
    out
        The GIF to write (``.gif``); the MP4 is ``out`` with the suffix ``.mp4``.
    max_people
        People drawn per panel (a uniform sample of larger markets), which keeps the GIF small.
    fps
        Frames (weeks) per second.

    Returns
    -------
    list of Path
        The files written: the GIF, then the MP4 if ffmpeg was found.
    """
    from matplotlib.animation import FFMpegWriter

    out = Path(out)
    if out.suffix.lower() != ".gif":
        raise WomError(f"{out}: the animation is written as a GIF; name it *.gif")
    if fps < 1:
        raise WomError(f"fps must be at least 1 (got {fps})")
    frames = SpreadFrames(scenario, strategies, replicate=replicate, max_people=max_people)
    out.parent.mkdir(parents=True, exist_ok=True)
    writers: list[tuple[AbstractMovieWriter, Path]] = [(_gif_writer(fps, frames.colours), out)]
    if shutil.which("ffmpeg"):
        writers.append((FFMpegWriter(fps=fps, codec="libx264",
                                     extra_args=["-pix_fmt", "yuv420p"]),
                        out.with_suffix(".mp4")))
    with contextlib.ExitStack() as stack:
        for writer, path in writers:
            stack.enter_context(writer.saving(frames.figure, path, ANIMATION_DPI))
        for week in range(frames.weeks):
            frames.show(week)
            for writer, _ in writers:
                writer.grab_frame()
    return [path for _, path in writers]
