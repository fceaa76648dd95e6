"""The conversation graph itself: who has bought by a given week, and the spread as a movie.

Pictures are of one replicate of ``wom run``: the market, the plan and the dynamics come from
the same random streams as :func:`wom.experiment.run_replicate`, so the customers counted here
are that replicate's. People sit where :func:`wom.market.segment_positions` puts them (one
disk per segment, O(N); never a spring layout), computed once per market and shared by every
strategy and every frame. A market larger than ``max_people`` is drawn as a uniform random
sample of its people, and the figure says so; counts in titles are always of the whole market.

Weeks are the run's steps: week ``t`` shows the customers won by the end of step ``t``
(``timeseries.csv`` row ``step = t``), from week 0 (the seeds) to week ``horizon − 1``.

In a market of accounts the pictures also show the accounts won (ringed), the people
convinced whose account has not bought (hollow markers: *waiting*) and the buyers and payers
(by shape), and the titles count the accounts won and the people waiting
(:mod:`wom.viz.drawing`).
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wom.config import Scenario, Strategy
from wom.engine import NEVER
from wom.errors import WomError
from wom.experiment import Replicate, check_memory
from wom.market import Population
from wom.store import (
    hidden_twin,
    missing_folders,
    place,
    remove_empty,
    remove_stale_partials,
    writable,
)
from wom.viz.accounts import AccountHistory, waiting_at
from wom.viz.drawing import (
    ANIMATION_DPI,
    EDGE,
    MAX_PEOPLE,
    MAX_PEOPLE_ANIMATED,
    SNAPSHOT_INCHES,
    Panel,
    customers_at,
    fit_height,
    hex_colour,
    legend,
    name_segments,
    pale,
    panels_figure,
    positions,
    segment_palette,
    shown,
)
from wom.viz.numbers import as_money
from wom.viz.style import as_written, fit_text, strategy_colours

if TYPE_CHECKING:
    from matplotlib.animation import AbstractMovieWriter
    from matplotlib.figure import Figure


def customers_by(adopted_at: np.ndarray, week: int, left_at: np.ndarray | None = None) -> int:
    """How many are customers at the end of `week` (:func:`~wom.viz.drawing.customers_at`)."""
    return int(np.count_nonzero(customers_at(adopted_at, week, left_at)))


def spread(
    scenario: Scenario, strategy: str, *, replicate: int = 0
) -> tuple[Population, np.ndarray]:
    """Replicate `replicate` of one strategy, run to the horizon.

    Returns
    -------
    population, adopted_at
        The replicate's market and ``int32[N]``: the week (step) each person adopted,
        NEVER for people who had not adopted by the horizon (as in
        :attr:`wom.engine.Simulation.adopted_at`).

    Raises
    ------
    WomError
        No strategy of that name, or a negative replicate.
    """
    spec = scenario.strategy(strategy)
    _check_replicate(replicate)
    check_memory(scenario, replicates=1)  # one market, one replicate: refuse up front
    rep = Replicate(scenario, replicate)
    return rep.population, _run(rep, spec)[0]


def _run(rep: Replicate, spec: Strategy) -> tuple[np.ndarray, np.ndarray]:
    """The step each person adopted at, and left at (churn), NEVER for never."""
    adopted_at, left_at, _ = _history(rep, spec)
    return adopted_at, left_at


def _history(rep: Replicate, spec: Strategy
             ) -> tuple[np.ndarray, np.ndarray, AccountHistory | None]:
    """As :func:`_run`, and in a market of accounts what the pictures draw of them: the week
    each person was convinced (recorded after every step: the engine keeps no such date),
    and the week each account bought and left."""
    sim = rep.simulation(spec)
    acc = rep.population.accounts
    convinced_at = None if acc is None else np.full(sim.population.n, NEVER, dtype=np.int32)
    while sim.t < sim.horizon:
        sim.step()
        if convinced_at is not None:
            convinced_at[(convinced_at == NEVER) & sim.convinced()] = sim.t - 1
    history = None
    if acc is not None and convinced_at is not None:
        history = AccountHistory(accounts=acc, convinced_at=convinced_at,
                                 bought_at=sim.people.bought_at.copy(),
                                 left_at=sim.people.account_left.copy())
    return sim.adopted_at.copy(), sim.left_at.copy(), history


def accounts_by(history: AccountHistory, adopted_at: np.ndarray, week: int
                ) -> tuple[int, int]:
    """Accounts that are customers at the end of `week` (bought by then, not left), and
    people waiting then (:func:`~wom.viz.drawing.waiting_at`), in the whole market."""
    won = customers_at(history.bought_at, week, history.left_at)
    waiting = waiting_at(history.convinced_at, adopted_at, week)
    return int(np.count_nonzero(won)), int(np.count_nonzero(waiting))


def _accounts_line(history: AccountHistory | None, adopted_at: np.ndarray, week: int) -> str:
    """A title's second line, "12 accounts won, 34 people waiting", with its line break
    (empty without accounts)."""
    if history is None:
        return ""
    won, waiting = accounts_by(history, adopted_at, week)
    return f"\n{won:,} accounts won, {waiting:,} people waiting"


def _check_replicate(replicate: int) -> None:
    if replicate < 0:
        raise WomError(f"replicate must be 0 or more (got {replicate})")


def _check_week(sc: Scenario, week: int) -> None:
    if not 0 <= week < sc.horizon:
        raise WomError(f"week {week} is outside the run: weeks go from 0 to {sc.horizon - 1} "
                       f"(horizon {sc.horizon})")



@as_written
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
    rep = Replicate(scenario, replicate)
    pop = rep.population
    adopted_at, left_at, history = _history(rep, spec)
    pos = positions(pop, scenario, replicate)
    show = shown(pop, scenario, replicate=replicate, max_people=max_people)
    palette = segment_palette(scenario)
    fig = panels_figure(1, dpi, SNAPSHOT_INCHES)
    ax = fig.add_subplot()
    drawn = Panel(ax, pos, show, pop.segment, palette, adopted_at, left_at,
                  accounts=history).show(step)
    name_segments(ax, pos, pop.segment, scenario.segment_names)
    customers = customers_by(adopted_at, step, left_at)
    # A sample of people shows only some of the customers: the title says how many (and
    # the note below how many people; the title had three lines on a slide)
    sample = f"\n{drawn:,} of them drawn (a random sample)" if show.sampled else ""
    won = _accounts_line(history, adopted_at, step)
    title = ax.set_title(f"{spec.name} — week {step}: {customers:,} customers "
                         f"(at a budget of {as_money(scenario.budget.total)}){won}{sample}",
                         fontsize="large")
    name = fig.suptitle(scenario.name, fontsize="medium", color="#555555")
    note = fig.supxlabel(f"replicate {replicate}; {show.note()}", fontsize="medium",
                         color="#555555")
    legend(fig, scenario, palette, fontsize="medium", accounts=pop.accounts)
    fit_text(fig, title, name, note)
    fit_height(fig, ax)
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
        rep = Replicate(sc, replicate)
        pop = rep.population
        histories = [_history(rep, spec) for spec in specs]
        runs = [(a, gone) for a, gone, _ in histories]
        self._adopted = [a for a, _ in runs]
        self._accounts = [h for _, _, h in histories]
        pos = positions(pop, sc, replicate)
        show = shown(pop, sc, replicate=replicate, max_people=max_people)
        palette = segment_palette(sc)
        self.scenario, self.names = sc, [s.name for s in specs]
        self.weeks = sc.horizon
        # Customers at the end of each week: won by then, less those who had left by then.
        counted = np.stack([np.bincount(a[a >= 0], minlength=self.weeks)[: self.weeks]
                            - np.bincount(gone[gone >= 0], minlength=self.weeks)[: self.weeks]
                            for a, gone in runs])
        self.customers = np.cumsum(counted, axis=1)
        self.figure = panels_figure(len(specs), dpi)
        axes = self.figure.subplots(1, len(specs), squeeze=False)[0]
        self._panels = [Panel(ax, pos, show, pop.segment, palette, a, gone, accounts=h)
                        for ax, (a, gone, h) in zip(axes, histories, strict=True)]
        self._strategy_colour = strategy_colours(self.names)
        self._sampled = show.sampled
        for panel in self._panels:
            name_segments(panel.ax, pos, pop.segment, sc.segment_names)
        #: Colours the frames must show exactly (the GIF palette keeps them).
        self.colours = [*palette, *(hex_colour(c) for c in pale(palette)),
                        *self._strategy_colour.values(), EDGE, "#000000", "#ffffff"]
        self.figure.supxlabel(
            f"replicate {replicate}; same people, places and replicate in every panel; "
            f"{show.note()}", fontsize="x-small", color="#555555")
        legend(self.figure, sc, palette, accounts=pop.accounts)

    def show(self, week: int) -> None:
        """Draw the customers won by the end of `week`."""
        _check_week(self.scenario, week)
        money = as_money(self.scenario.budget.total)
        self.figure.suptitle(f"{self.scenario.name} — week {week} (budget {money} each)",
                             fontsize="medium")
        for i, (name, panel) in enumerate(zip(self.names, self._panels, strict=True)):
            drawn = panel.show(week)
            sample = f"\n({drawn:,} drawn, random sample)" if self._sampled else ""
            won = _accounts_line(self._accounts[i], self._adopted[i], week)
            panel.ax.set_title(f"{name}: {int(self.customers[i, week]):,} customers{won}"
                               f"{sample}",
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
    paths = [out, *([out.with_suffix(".mp4")] if shutil.which("ffmpeg") else [])]
    # the files written (through links), refused before the weeks are simulated
    targets = {path: writable(path) for path in paths}
    frames = SpreadFrames(scenario, strategies, replicate=replicate, max_people=max_people)
    made = missing_folders(out.parent)  # (removed again if the file cannot be written)
    out.parent.mkdir(parents=True, exist_ok=True)
    writers: list[tuple[AbstractMovieWriter, Path]] = [(_gif_writer(fps, frames.colours), out)]
    if len(paths) > 1:
        writers.append((FFMpegWriter(fps=fps, codec="libx264",
                                     extra_args=["-pix_fmt", "yuv420p"]), paths[1]))
    for folder in {t.parent for t in targets.values()}:
        remove_stale_partials(folder)  # (animations of commands killed while writing them)
    # each written beside itself and renamed when whole: a full disk leaves no cut GIF
    hidden = {path: hidden_twin(targets[path]) for path in paths}
    try:
        with contextlib.ExitStack() as stack:
            for writer, path in writers:
                stack.enter_context(writer.saving(frames.figure, hidden[path], ANIMATION_DPI))
            for week in range(frames.weeks):
                frames.show(week)
                for writer, _ in writers:
                    writer.grab_frame()
        for path in paths:
            place(hidden[path], targets[path])
    except OSError as err:  # named as its file (the GIF if it does not say), never the
        #                     hidden temporary
        named = next((p for p, h in hidden.items() if str(h) == str(err.filename)), out)
        raise OSError(err.errno, err.strerror or str(err), str(named)) from None
    finally:
        for temporary in hidden.values():
            with contextlib.suppress(OSError):  # (a read-only file system: said above)
                temporary.unlink(missing_ok=True)
        if not out.exists():
            remove_empty(made)
    return [path for _, path in writers]
