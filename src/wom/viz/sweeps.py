"""Pictures of sweeps: where one strategy beats another across the grid (the phase diagram),
and which parameters move an outcome (sensitivity indices)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from wom.config import Vary
from wom.errors import WomError
from wom.experiment import analysis, sensitivity, sweep
from wom.viz.numbers import counted
from wom.viz.style import as_written, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _label(v: Any) -> str:
    return f"{v:g}" if _numeric([v]) else str(v)


def _axis_values(vary: Vary, column: pd.Series) -> list[Any]:
    """A grid axis: numbers in increasing order, text values in the order given."""
    seen = list(dict.fromkeys(column))
    return sorted(seen) if _numeric(seen) else [v for v in vary.values if v in seen]


def _span(z: np.ndarray) -> float:
    """Half-width of a colour scale centred at 0 that holds every finite value."""
    span = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    return span or 1.0


def _diverging_legend(fig: Figure, ax: Any, mappable: Any, label: str, a: str, b: str) -> None:
    fig.colorbar(mappable, ax=ax, label=label)
    ax.annotate(f"blue: {a} wins · red: {b} wins · ×: the 95% interval holds 0",
                (0.0, -0.13), xycoords="axes fraction", fontsize=9, va="top")


@as_written
def phase_figure(out_dir: Path | str, a: str, b: str, metric: str = "customers") -> Figure:
    """Paired advantage of strategy `a` over `b` across the sweep.

    Two varied parameters: a heatmap (diverging, centred at 0) with an "×" on cells whose
    95% interval crosses zero. One parameter: a line with its interval band and a zero line.
    """
    from matplotlib.colors import TwoSlopeNorm

    sc, varies, meta = sweep.read_meta(out_dir)
    tab = analysis.paired(out_dir, a, b, metric)
    n_points = len(tab)
    title = (f"{sc.name}: {a} − {b} {metric} at {n_points} points "
             f"({counted(int(meta['replicates']), 'paired replicate')} each)")
    fig = new_figure()
    ax = fig.add_subplot()
    if len(varies) == 1:
        p = varies[0].path
        numeric = _numeric(varies[0].values)
        t = tab.sort_values(p) if numeric else tab
        x = (t[p].to_numpy(float) if numeric
             else np.array([list(varies[0].values).index(v) for v in t[p]], dtype=float))
        mean, lo, hi = (t[c].to_numpy(float) for c in ("diff_mean", "diff_lo", "diff_hi"))
        if numeric:
            ax.fill_between(x, lo, hi, alpha=0.3, color="#0072B2", label="95% interval")
            ax.plot(x, mean, color="#0072B2", marker="o", label="mean")
        else:  # values with nothing between them: a point and its interval each, no line
            ax.set_xticks(range(len(varies[0].values)), [_label(v) for v in varies[0].values])
            ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt="o", color="#0072B2",
                        capsize=6, label="mean and 95% interval")
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel(p)
        ax.set_ylabel(f"{a} − {b} ({metric})")
        ax.grid(alpha=0.3)
        ax.legend()
    elif len(varies) == 2 and meta.get("design") == "lhs":
        # scattered points: one marker each, crossed out where the interval holds 0
        px, py = varies[0].path, varies[1].path
        z = tab.diff_mean.to_numpy(float)
        span = _span(z)
        im: Any = ax.scatter(tab[px].to_numpy(float), tab[py].to_numpy(float), c=z, s=120,
                        cmap="RdBu", norm=TwoSlopeNorm(0.0, -span, span), edgecolors="grey")
        unsure = [analysis.crosses_zero(lo, hi) for lo, hi in zip(tab.diff_lo, tab.diff_hi,
                                                         strict=True)]
        ax.scatter(tab[px][unsure].to_numpy(float), tab[py][unsure].to_numpy(float),
                   marker="x", color="black", s=40)
        ax.set_xlabel(px)
        ax.set_ylabel(py)
        ax.grid(alpha=0.3)
        _diverging_legend(fig, ax, im, f"{a} − {b} ({metric})", a, b)
    elif len(varies) == 2:
        px, py = varies[0].path, varies[1].path
        xs, ys = (_axis_values(varies[0], tab[px]), _axis_values(varies[1], tab[py]))
        z = np.full((len(ys), len(xs)), np.nan)
        for r in tab.itertuples(index=False):
            i, j = ys.index(r[1]), xs.index(r[0])
            z[i, j] = r.diff_mean
        span = _span(z)
        im = ax.imshow(z, origin="lower", aspect="auto", cmap="RdBu",
                       norm=TwoSlopeNorm(0.0, -span, span))
        for r in tab.itertuples(index=False):
            x, y = xs.index(r[0]), ys.index(r[1])
            if analysis.crosses_zero(r.diff_lo, r.diff_hi):
                ax.text(x, y, "×", ha="center", va="center", color="black", fontsize=12)
            elif len(tab) <= 60 and math.isfinite(r.diff_mean):  # the number, when it fits
                dark = abs(r.diff_mean) > 0.6 * span
                ax.text(x, y, f"{r.diff_mean:+,.3g}", ha="center", va="center", fontsize=9,
                        color="white" if dark else "black")
        ax.set_xticks(range(len(xs)), [_label(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
        ax.set_xlabel(px)
        ax.set_ylabel(py)
        _diverging_legend(fig, ax, im, f"{a} − {b} ({metric})", a, b)
    else:
        raise WomError(f"a phase figure needs one or two varied parameters, "
                       f"the sweep has {len(varies)}")
    ax.set_title(title)
    return fig


@as_written
def sensitivity_figure(out_dir: Path | str, output: str | None = None) -> Figure:
    """Bar chart of the indices with their 95% intervals, one group per parameter."""
    spec = sensitivity.analysis_spec(out_dir, output)
    sc, _, meta = sweep.read_meta(out_dir)
    df = sensitivity.indices(out_dir, output)
    what = sensitivity.describe_output(out_dir, output)
    fig = new_figure()
    ax = fig.add_subplot()
    y = np.arange(len(df))
    if spec["method"] == "sobol":
        h = 0.38
        ax.barh(y - h / 2, df.S1, h, xerr=df.S1_conf, color="#0072B2", capsize=3,
                label="first order S1 (alone)")
        ax.barh(y + h / 2, df.ST, h, xerr=df.ST_conf, color="#E69F00", capsize=3,
                label="total ST (with interactions)")
        ax.set_xlabel("Sobol index (share of the output's variance)")
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.legend(loc="best")
    else:
        ax.barh(y, df.mu_star, 0.6, xerr=df.mu_star_conf, color="#0072B2", capsize=3,
                label="mu* (mean |elementary effect|)")
        ax.plot(df.sigma, y, "o", color="#D55E00", label="sigma (interactions, non-linearity)")
        ax.set_xlabel(f"change in {what} across a parameter's range")
        ax.legend(loc="best")
    ax.set_yticks(y, df.parameter)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    runs = len(spec["X"])
    replicates = counted(int(meta["replicates"]), "replicate")
    ax.set_title(f"{sc.name}: what moves {what} — {spec['method']}, "
                 f"{counted(runs, 'design point')} × {replicates}")
    return fig
