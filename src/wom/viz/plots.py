"""Every plot of a run, written into a folder: :func:`plot_run` (and :func:`plot_adoption`)."""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from wom.config import Scenario
from wom.errors import WomError
from wom.experiment.pool import shared_with_forks, worker_pool
from wom.store import Results, RunFolder
from wom.viz.attributes import attribute_makers
from wom.viz.money import money_figure
from wom.viz.spread import (
    accounts_figure,
    adoption_figure,
    causes_figure,
    differences_figure,
    penetration_figure,
    segments_figure,
)
from wom.viz.style import FORMATS, compared, save_figure, use_agg

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _tables(run: Results | RunFolder) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not isinstance(run, Results | RunFolder):
        raise WomError(f"plots are drawn from a run (wom.run(...) or wom.read_run(folder)), "
                       f"not {type(run).__name__}")
    return run.timeseries(), run.comparison()



def plot_adoption(run: Results | RunFolder, path: Path | str) -> Path:
    """Write ``adoption.png`` (or any matplotlib format by suffix) for a run."""
    ts, _ = _tables(run)
    sc = run.scenario
    fig = adoption_figure(
        ts,
        [s.name for s in sc.strategies],
        title=f"{sc.name}: customers over time — {compared(sc, ts['replicate'].nunique())}",
    )
    return save_figure(fig, path)


def plot_run(
    run: Results | RunFolder, out_dir: Path | str, *, fmt: str = "png", workers: int = 1
) -> list[Path]:
    """Write every plot of a run into `out_dir` as ``NAME.fmt`` and return the paths.

    The plots: ``adoption``, ``segments``, ``causes``, ``differences`` (two or more
    strategies), ``penetration``; in a market of accounts ``accounts`` (accounts won and
    people waiting) and ``account-differences``; when the scenario has prices
    (:attr:`~wom.config.Scenario.priced`), ``money`` (revenue and cumulative profit).

    Parameters
    ----------
    run
        A :class:`~wom.store.Results` or a :class:`~wom.store.RunFolder`.
    fmt
        ``png``, ``svg`` or ``pdf``.
    workers
        Processes drawing at once (forked; the files are the same for any number).

    Raises
    ------
    WomError
        `run` is not a run, or `fmt` is not one of those formats.
    """
    return start_plots(run, out_dir, fmt=fmt, workers=workers)()


#: The figures being drawn by forked workers (:func:`start_plots`), by a number per call:
#: a worker forked after they were set finds them here, nothing of them is pickled.
_DRAWING: dict[int, dict[str, Callable[[], Figure]]] = {}
_CALLS = itertools.count()


def _draw(call: int, name: str, path: Path, fmt: str) -> Path:
    """In a forked worker: draw and save one figure of :data:`_DRAWING`, and free it (a
    figure's artists refer to each other: only a collection frees them, and the next
    figure then reuses their memory instead of adding to it)."""
    try:
        return save_figure(_DRAWING[call][name](), path, fmt=fmt)
    finally:
        gc.collect()


def prepare_drawing() -> None:
    """Import what drawing needs (matplotlib's figures and its Agg canvas). ``wom run`` does
    it while its workers simulate, so that the plots' workers, forked after, start drawing
    at once instead of this process importing it between the two."""
    use_agg()
    from matplotlib import figure  # noqa: F401
    from matplotlib.backends import backend_agg  # noqa: F401


def start_plots(
    run: Results | RunFolder, out_dir: Path | str, *, fmt: str = "png", workers: int = 1
) -> Callable[[], list[Path]]:
    """Begin :func:`plot_run`; call what it returns to wait for the paths.

    With one worker the plots are drawn before this returns. With more they are drawn by
    that many forked processes, largest first, while the caller goes on (``wom run``
    writes its CSV files meanwhile); the function returned waits for them and re-raises
    what failed.
    """
    if fmt not in FORMATS:
        raise WomError(f"unknown plot format {fmt!r} (use {', '.join(FORMATS)})")
    ts, cmp = _tables(run)
    sc = run.scenario
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    makers = {**_makers(ts, cmp, sc), **attribute_makers(run)}
    paths = {name: out_dir / f"{name}.{fmt}" for name in makers}
    if workers < 2 or len(makers) < 2:
        # One figure at a time: a run with many segments makes large ones.
        done = [save_figure(make(), paths[name], fmt=fmt) for name, make in makers.items()]
        return lambda: done
    prepare_drawing()  # (imported once, before forking, not by every worker)

    call = next(_CALLS)
    _DRAWING[call] = makers
    stack = ExitStack()
    stack.callback(_DRAWING.pop, call)
    # The workers share this process's objects: left out of collections until the plots
    # are done, here and in the workers
    stack.enter_context(shared_with_forks())
    try:
        pool = stack.enter_context(worker_pool(min(workers, len(makers))))
        # longest first (so no worker is left with a long one at the end): the small
        # multiples, then the heatmap and the stacked areas, the single plots last
        order = sorted(makers, key=_drawing_order)
        futures = {name: pool.submit(_draw, call, name, paths[name], fmt) for name in order}
    except BaseException:
        stack.close()
        raise

    def finish() -> list[Path]:
        with stack:
            return [futures[name].result() for name in makers]

    return finish


#: Figures by how long they take to draw, longest first (measured on the flagship: the
#: segments' small multiples 0.6 s, the heatmap 0.4 s, the stacked areas 0.3 s, a single
#: plot 0.15-0.2 s); a name not listed is drawn with the single plots.
_LONGEST_FIRST = ("segments", "attribute-", "penetration", "causes", "money", "accounts")


def _drawing_order(name: str) -> int:
    return next((i for i, first in enumerate(_LONGEST_FIRST) if name.startswith(first)),
                len(_LONGEST_FIRST))


def _makers(ts: pd.DataFrame, cmp: pd.DataFrame, sc: Scenario) -> dict[str, Callable[[], Figure]]:
    """The figures of a run, by file name, in the order they are listed."""
    n_rep = ts["replicate"].nunique()
    makers: dict[str, Callable[[], Figure]] = {
        "adoption": lambda: adoption_figure(
            ts, [s.name for s in sc.strategies],
            title=f"{sc.name}: customers over time — {compared(sc, n_rep)}"),
        "segments": lambda: segments_figure(ts, sc),
        "causes": lambda: causes_figure(ts, sc),
        "differences": lambda: differences_figure(cmp, sc),
        "penetration": lambda: penetration_figure(ts, sc),
    }
    if len(sc.strategies) < 2:
        del makers["differences"]
    if sc.has_accounts and "accounts_won" in ts:
        makers["accounts"] = lambda: accounts_figure(ts, sc)
        if len(sc.strategies) > 1:
            makers["account-differences"] = lambda: differences_figure(
                cmp, sc, metric="accounts_won")
    if sc.priced:
        makers["money"] = lambda: money_figure(ts, sc)
        if len(sc.strategies) > 1:
            makers["profit-differences"] = lambda: differences_figure(cmp, sc, metric="profit")
    return makers
