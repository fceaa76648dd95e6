"""One look across wom's pictures: colours per strategy, segment and cause, slide-sized
figures without pyplot state, and saving them whole.

A colour per strategy (:func:`strategy_colours`) and per segment (:func:`segment_colours`),
by position in the scenario, from colour-blind-safe palettes. matplotlib is imported inside
functions; figures are :class:`matplotlib.figure.Figure` objects with no pyplot state behind
them (Agg backend, no screen needed).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from wom.config import IGNITION_SHARE, Scenario
from wom.engine import CAUSES
from wom.store import replace_whole
from wom.viz.numbers import as_cell

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend
    from matplotlib.text import Text

#: Okabe–Ito, for strategies: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]
#: Paul Tol's "muted" scheme, for segments: colour-blind safe and unlike the strategies' hues.
SEGMENT_PALETTE = ["#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255",
                   "#44AA99", "#999933", "#AA4499"]
#: Each cause of adoption in words, and its colour (Paul Tol's "high contrast" scheme, also
#: distinct in greyscale, and his teal for background).
CAUSE_LABELS = {"seed": "seed", "marketing": "marketing", "background": "background",
                "wom": "word of mouth"}
CAUSE_COLOURS = {"seed": "#004488", "marketing": "#DDAA33", "background": "#009988",
                 "wom": "#BB5566"}
#: A 16:9 slide, in inches; png resolution.
SLIDE = (10.0, 5.6)
DPI = 150
FORMATS = ("png", "svg", "pdf")
#: More segments than this are summarised by the largest in the small multiples.
MAX_PANELS = 12
#: Heatmap cells are annotated with their value up to this many segments.
MAX_ANNOTATED = 20
IGNITION_LABEL = f"{IGNITION_SHARE:.0%} of TAM (ignition)"
WINNABLE_LABEL = "winnable (TAM − incumbent's customers)"
assert set(CAUSE_LABELS) == set(CAUSE_COLOURS) == set(CAUSES)
#: Causes the causes plot always draws (the others only when they won someone).
ALWAYS_SHOWN = ("seed", "marketing", "wom")


def strategy_colours(names: Sequence[str]) -> dict[str, str]:
    """One colour per strategy, by its position in the scenario (stable across plots)."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def segment_colours(names: Sequence[str]) -> dict[str, str]:
    """One colour per segment, by its position in the scenario; cycles past nine segments."""
    return {n: SEGMENT_PALETTE[i % len(SEGMENT_PALETTE)] for i, n in enumerate(names)}


def tam_sizes(scenario: Scenario) -> np.ndarray:
    """``int64[S]``: people in each segment's TAM, ``round(tam·size)`` as the market draws it."""
    return np.array([round(s.tam * s.size) for s in scenario.segments], dtype=np.int64)


def incumbent_sizes(scenario: Scenario) -> np.ndarray:
    """``int64[S]``: the incumbent's customers in each segment, inside its TAM, as the market
    draws them (``min(round(incumbent·size), TAM)``)."""
    return np.minimum([round(s.incumbent * s.size) for s in scenario.segments],
                      tam_sizes(scenario)).astype(np.int64)


def ignition_sizes(scenario: Scenario) -> np.ndarray:
    """``float64[S]``: customers that ignite each segment, ``⌈16%·TAM⌉`` of the whole TAM
    (the incumbent's customers included), exactly as :class:`wom.store.Results` counts it."""
    tam = tam_sizes(scenario)
    return np.where(tam > 0, np.ceil(IGNITION_SHARE * tam), np.inf)


def compared(scenario: Scenario, replicates: int | None = None) -> str:
    """What a run compared: ``"focused vs broad at a budget of 60,000 — 200 replicates"``."""
    names = [s.name for s in scenario.strategies]
    what = " vs ".join(names) if len(names) <= 4 else f"{len(names)} strategies"
    n = scenario.replicates if replicates is None else replicates
    total = scenario.budget.total
    money = f"{total:,.0f}" if float(total).is_integer() else f"{total:,.2f}"
    return f"{what} at a budget of {money} — {n:,} replicate{'' if n == 1 else 's'}"


def use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)


#: Names are drawn as written: a ``$`` in a segment, value or strategy name ("$1M-$5M") is
#: not matplotlib's math markup (which would garble it, or fail on a name it cannot parse).
LITERAL: dict[Any, Any] = {"text.parse_math": False}


def literal_text() -> AbstractContextManager[Any]:
    """Within it, the text of figures made is drawn as written (:data:`LITERAL`); ``wom``
    itself sets it for the whole command."""
    import matplotlib

    return matplotlib.rc_context(LITERAL)


def as_written[**P, R](make: Callable[P, R]) -> Callable[P, R]:
    """`make`, a figure function, with the texts it makes drawn as written ("$" and all)
    whatever the caller's matplotlib settings (:func:`literal_text`)."""

    @functools.wraps(make)
    def made(*args: P.args, **kwargs: P.kwargs) -> R:
        with literal_text():
            return make(*args, **kwargs)

    return made


def new_figure(size: tuple[float, float] = SLIDE) -> Figure:
    use_agg()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # a renderer to measure text with (fit_text), no pyplot
    return fig


#: Pixels kept free between a text and the figure's edge.
EDGE_PX = 4.0


def _measurer(fig: Figure) -> RendererBase:
    """A renderer of `fig` to measure text with, without laying it out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    return canvas.get_renderer()


def _renderer(fig: Figure) -> RendererBase:
    """Lay `fig` out (constrained layout included) and return a renderer to measure with."""
    engine = fig.get_layout_engine()
    if engine is None:
        fig.draw_without_rendering()
    else:
        engine.execute(fig)
    return _measurer(fig)


def _room(fig: Figure, text: Text, renderer: RendererBase) -> float:
    """Pixels of width `text` may take where it is anchored, inside the figure."""
    box, page = text.get_window_extent(renderer), fig.bbox
    ha = text.get_horizontalalignment()
    if ha == "left":
        return page.x1 - box.x0 - EDGE_PX
    if ha == "right":
        return box.x1 - page.x0 - EDGE_PX
    centre = (box.x0 + box.x1) / 2
    room = 2 * (min(centre - page.x0, page.x1 - centre) - EDGE_PX)
    return min(room, _cell(fig, text))


def _cell(fig: Figure, text: Text) -> float:
    """Pixels of width a panel's title has before it meets its neighbours' (its panel's
    width and the gap to the nearest panel beside it in the grid); infinite for any other
    text."""
    ax = text.axes
    spec = ax.get_subplotspec() if ax is not None and text is ax.title else None
    if ax is None or spec is None:
        return math.inf
    box, grid = ax.bbox, spec.get_gridspec()
    gaps = [max(o.bbox.x0 - box.x1, box.x0 - o.bbox.x1) for o in fig.axes
            if o is not ax and (o_spec := o.get_subplotspec()) is not None
            and o_spec.get_gridspec() is grid and o.bbox.y0 < box.y1 and o.bbox.y1 > box.y0]
    gaps = [gap for gap in gaps if gap > 0]  # (a twin on the same panel is no neighbour)
    return box.width + min(gaps) - EDGE_PX if gaps else math.inf


def _wrap(line: str, fits: Callable[[str], bool]) -> list[str]:
    """`line` broken so each piece fits: at " — " where that is enough, else at spaces (and
    a word too long alone after its hyphens, underscores and slashes)."""
    if fits(line):
        return [line]
    parts = line.split(" — ")
    if len(parts) > 1 and all(fits(p) for p in parts):
        lines = [parts[0]]
        for part in parts[1:]:
            joined = f"{lines[-1]} — {part}"
            lines[-1:] = [joined] if fits(joined) else [lines[-1], part]
        return lines
    out: list[str] = []
    for word in line.split(" "):
        if out and fits(f"{out[-1]} {word}"):
            out[-1] = f"{out[-1]} {word}"
        elif fits(word):
            out.append(word)
        else:  # a long name with no spaces: after its hyphens, underscores, slashes
            pieces = re.findall(r"[^-_/]+[-_/]*|[-_/]+", word)
            out.append(pieces[0])
            for piece in pieces[1:]:
                if fits(out[-1] + piece):
                    out[-1] += piece
                else:
                    out.append(piece)
    return out


def fit_text(fig: Figure, *texts: Text) -> None:
    """Break each of `texts` (titles, notes) into lines so that, laid out, it lies inside the
    figure: long scenario and strategy names wrap instead of being cut at the edges.

    The figure is left laid out: :func:`save_figure` does not lay it out again unless
    something in it changed since (a figure's makers call this last)."""
    for _ in range(3):  # wrapping a title moves the layout a little: measure again
        renderer = _renderer(fig)
        fig.stale = False  # (any change after this marks it stale again)
        changed = False
        for text in texts:
            room = _room(fig, text, renderer)
            prop = text.get_fontproperties()

            def fits(s: str, prop: Any = prop, room: float = room,
                     renderer: RendererBase = renderer) -> bool:
                width = renderer.get_text_width_height_descent(s, prop, ismath=False)[0]
                return bool(width <= room)

            old = text.get_text()
            new = "\n".join(piece for line in old.split("\n") for piece in _wrap(line, fits))
            if new != old:
                text.set_text(new)
                changed = True
        if not changed:
            return


def legend_below(fig: Figure, handles: Sequence[Any], labels: Sequence[str],
                 **kwargs: Any) -> Legend:
    """A legend under the panels, one row if it fits the figure's width, else as few rows
    as fit (a row per entry overflows the figure with many strategies or long names)."""
    entries = len(labels)
    ncols = entries
    while True:
        legend = fig.legend(handles, labels, loc="outside lower center", ncols=ncols,
                            frameon=False, **kwargs)
        # (its size does not depend on where the layout puts it: no layout to measure it)
        box = legend.get_window_extent(_measurer(fig))
        if ncols == 1 or box.width <= fig.bbox.width:
            return legend
        legend.remove()
        ncols = min(ncols - 1, math.ceil(entries / (math.ceil(entries / ncols) + 1)))


def save_figure(fig: Figure, path: Path | str, *, fmt: str | None = None) -> Path:
    """Save `fig` (format from `fmt` or the suffix), without dates. (Not cleared after: its
    artists refer to each other, so only a collection frees them either way, and clearing
    remakes every axis first, a tenth of a figure's time.)"""
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower() or "png"
    no_date = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
    engine = fig.get_layout_engine()
    # savefig lays a figure out in a draw of its own (rendering nothing) before the draw
    # that renders. At the figure's own resolution (png) the layout alone gives the same
    # positions without that draw. (Vector formats lay out at 72 dpi: savefig does it.)
    own_layout = engine is not None and fmt == "png" and fig.dpi == DPI
    try:
        if engine is not None and own_layout:
            if fig.stale:  # (else fit_text laid it out last, and nothing changed since)
                engine.execute(fig)
            fig.set_layout_engine(None)
        import matplotlib

        # (an SVG's ids come from a hash salted at random unless a salt is given)
        with matplotlib.rc_context({"svg.hashsalt": "wom"} if fmt == "svg" else {}):
            # a redrawn figure replaces the old one whole, never half-written
            replace_whole(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=DPI,
                                                        metadata=no_date))
    finally:
        if own_layout:
            fig.set_layout_engine(engine)
    return path


def panel_grid(n: int) -> tuple[int, int]:
    """Rows and columns for `n` panels on a wide slide."""
    cols = {1: 1, 2: 2, 3: 3, 4: 2, 5: 3, 6: 3, 7: 4, 8: 4, 9: 3}.get(n)
    if cols is None:
        cols = 4 if n <= 12 else math.ceil(math.sqrt(n * 16 / 9))
    return math.ceil(n / cols), cols


def panels(fig: Figure, n: int, xlabel: str = "week") -> list[Axes]:
    """`n` panels sharing the x axis, labelled on the outer edges, with a few round ticks
    on the y axis (the default fills a small panel with up to ten, and each tick is most of
    the time a panel takes to lay out and draw)."""
    rows, cols = panel_grid(n)
    axes = list(fig.subplots(rows, cols, sharex=True, squeeze=False).ravel())
    for ax in axes[n:]:
        fig.delaxes(ax)
    for k, ax in enumerate(axes[:n]):
        ax.grid(alpha=0.3)
        people_axis(ax.yaxis, nbins=5)
        for spine in ax.spines.values():  # (inside the tick labels: the layout need not
            spine.set_in_layout(False)    # measure them, and their ticks, again)
        if k // cols == rows - 1 or k + cols >= n:
            ax.set_xlabel(xlabel)
            ax.xaxis.set_tick_params(labelbottom=True)
        else:
            _unlabelled(ax.xaxis)
        if k % cols == 0:
            ax.set_ylabel("customers (people)")
        else:
            _unlabelled(ax.yaxis)
    return axes[:n]


def _unlabelled(axis: Any) -> None:
    """An axis without a label: none to place (matplotlib places even an empty one, beyond
    the tick labels it measures anew for it at each layout and draw) or lay out."""
    axis.set_label_coords(0.5, 0.5)
    axis.label.set_visible(False)


def people_axis(axis: Any, nbins: int | Literal["auto"] = "auto") -> None:
    """An axis counting people: whole numbers, written out with thousands separators.
    (Never matplotlib's "1e6" above the axis, which a title placed at the top outright,
    :func:`panel_title`, would cover.)"""
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    axis.set_major_locator(MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10], integer=True))
    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def money_axis(axis: Any) -> None:
    """An axis of money (or any amount): plain numbers with thousands separators and as
    many decimals as the ticks' spacing needs ("1,500,000", "2.5"), never matplotlib's
    "1e6" or "+1.5e6" above the axis, which a reader of a slide misses."""
    from matplotlib.ticker import Formatter

    class Plain(Formatter):
        places = 0

        def set_locs(self, locs: Any) -> None:
            ticks = np.asarray(locs, dtype=float)
            step = float(np.min(np.diff(ticks))) if ticks.size > 1 else 1.0
            self.places = len(f"{step:.6f}".rstrip("0").split(".")[1]) if 0 < step < 1 else 0

        def __call__(self, x: float, pos: int | None = None) -> str:
            return as_cell(x, self.places)

    axis.set_major_formatter(Plain())


def panel_title(ax: Axes, text: str) -> Text:
    """A small multiple's title, at the panel's top. (Placed there outright, not moved
    above tick labels on top, which panels do not have: matplotlib would otherwise measure
    every axis of the panel at each layout and draw to find out.)"""
    return ax.set_title(text, fontsize="medium", y=1.0)


def weeks_axis(ax: Axes, last: int) -> None:
    """An x axis of whole steps from 0 to `last`, as many ticks as its width holds."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlim(0, max(1, last))
    ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10], integer=True))


def accent(ax: Axes, colour: str) -> None:
    """Mark a panel as a strategy's or a segment's with a thick top edge in its colour."""
    ax.spines["top"].set_color(colour)
    ax.spines["top"].set_linewidth(4)
