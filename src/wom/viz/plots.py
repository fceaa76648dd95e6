"""Every plot of a run, written into a folder: :func:`plot_run` (and :func:`plot_adoption`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from wom.errors import WomError
from wom.store import Results, RunFolder
from wom.viz.money import money_figure
from wom.viz.spread import (
    accounts_figure,
    adoption_figure,
    causes_figure,
    differences_figure,
    penetration_figure,
    segments_figure,
)
from wom.viz.style import FORMATS, compared, save_figure

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
    run: Results | RunFolder, out_dir: Path | str, *, fmt: str = "png"
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

    Raises
    ------
    WomError
        `run` is not a run, or `fmt` is not one of those formats.
    """
    if fmt not in FORMATS:
        raise WomError(f"unknown plot format {fmt!r} (use {', '.join(FORMATS)})")
    ts, cmp = _tables(run)
    sc = run.scenario
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
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
    # One figure at a time: a run with many segments makes large ones.
    return [save_figure(make(), out_dir / f"{name}.{fmt}", fmt=fmt)
            for name, make in makers.items()]
