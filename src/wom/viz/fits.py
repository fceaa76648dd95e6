"""A fit on paper: the data against the fitted model (``fit.png``), the fit folder with its
tables, and its ``report.html``."""

from __future__ import annotations

import base64
import os
import shlex
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from wom.errors import writing
from wom.inference.fit import FitResult
from wom.store import (
    MANIFEST,
    atomic_folder,
    final_name,
    new_run_dir,
    started_stamp,
    write_csv,
    write_manifest,
)
from wom.viz.fitwords import drawn
from wom.viz.htmltable import made_with
from wom.viz.numbers import as_percent
from wom.viz.style import (
    MAX_PANELS,
    accent,
    as_written,
    new_figure,
    panel_title,
    panels,
    save_figure,
    segment_colours,
    weeks_axis,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIT_FILES = ("estimates.csv", "draws.csv", "fitted.yaml", "fit.png", "report.html")
#: The assumptions of a fit, in words, for the report and the terminal.
ASSUMPTIONS = (
    "The past had no campaign of the company's own: people adopted through background "
    "channels (press, search, the category's buzz: chance b per period) and word of mouth "
    "(chance β·ρ·w per advocating neighbour and period, ρ the generic message's resonance).",
    "Flat priors over the fit ranges; estimates are posterior medians with 95% intervals.",
    "The first period of the data is step 0 of the model; a person with no adoption had not "
    "adopted by the last period.",
)


@as_written
def fit_figure(result: FitResult) -> Figure:
    """Observed adopters so far per segment against the fitted model's 95% predictive band
    (simulations under posterior draws); the largest 12 segments if there are more."""
    obs = result.observed
    names = list(obs.segment_names)
    order = sorted(range(len(names)), key=lambda k: (-int(obs.sizes[k]), k))[:MAX_PANELS]
    shown = sorted(order)
    cum = obs.cumulative()
    lo, mid, hi = np.percentile(result.predictive, [2.5, 50, 97.5], axis=0)
    steps = np.arange(obs.steps)
    periods = steps + obs.first_period
    colours = segment_colours(names)
    fig = new_figure()
    for ax, k in zip(panels(fig, len(shown), xlabel="period"), shown, strict=True):
        ax.fill_between(periods, lo[:, k], hi[:, k], color=colours[names[k]], alpha=0.25,
                        linewidth=0, label="model: 95% of simulations")
        ax.plot(periods, mid[:, k], color=colours[names[k]], linewidth=1.5,
                label="model: median")
        ax.plot(periods, cum[:, k], "o", color="black", markersize=3, label="observed")
        panel_title(ax, f"{names[k]} ({int(obs.sizes[k]):,} people)")
        accent(ax, colours[names[k]])
        weeks_axis(ax, int(periods[-1]))
        ax.set_xlim(periods[0], max(periods[-1], periods[0] + 1))
        ax.set_ylim(0, max(1.0, float(hi[:, k].max()), float(cum[:, k].max())) * 1.05)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
    which = "" if len(shown) == len(names) else f" (the {len(shown)} largest of {len(names)})"
    fig.suptitle(f"{result.scenario.name}: adopters so far per segment{which}, observed and "
                 f"fitted ({result.method}, {len(result.predictive)} simulations)")
    return fig


def save_fit(result: FitResult, out: Path | str | None = None, *,
             root: Path | str = "results") -> Path:
    """Write the fit folder (default ``results/<name>/fit-<timestamp>/``) atomically:
    ``estimates.csv``, ``draws.csv``, ``fitted.yaml``, ``fit.png``, ``report.html``,
    ``manifest.json``."""
    fresh = out is None  # a name wom chose: another fit may take it first
    if out is None:
        out = new_run_dir(Path(root), result.scenario.name,
                          started_stamp(result.meta, "fit-%Y%m%d-%H%M%S"))
    with atomic_folder(out, "fit", fresh=fresh) as folder:
        tmp = folder.tmp
        write_csv(result.estimates(), tmp / "estimates.csv")
        write_csv(result.draws, tmp / "draws.csv")
        with writing(tmp / "fitted.yaml"):
            # (not the fitted file's opening comments: a template's lesson, with its
            # example's numbers, would describe a fit of other data)
            (tmp / "fitted.yaml").write_text(result.fitted_scenario().to_yaml(),
                                             encoding="utf-8")
        save_figure(fit_figure(result), tmp / "fit.png")
        write_manifest(tmp, {**result.meta, "diagnostics": result.diagnostics},
                       ["report.html"])
        with writing(tmp / "report.html"):
            (tmp / "report.html").write_text(fit_report(result, tmp / "fit.png"),
                                             encoding="utf-8", errors="replace")
    return folder.path


def _cell(x: float) -> str:
    return drawn(x)  # three figures: as many as the intervals support


def fit_report(result: FitResult, figure: Path | None = None) -> str:
    """The fit on one self-contained page."""
    est = result.estimates()
    ranges = {f.path: f"{f.lo:g}–{f.hi:g}" for f in result.free}
    rows = []
    for r in est.itertuples(index=False):
        shown = as_percent if str(r.parameter).startswith("wom_share") else _cell
        rows.append(f"<tr><td class=t>{escape(str(r.parameter))}</td><td>{shown(r.estimate)}"
                    f"</td><td>{shown(r.lo)}</td><td>{shown(r.hi)}</td>"
                    f"<td>{ranges.get(str(r.parameter), '')}</td></tr>")
    image = ""
    if figure is not None and figure.is_file():
        data = base64.b64encode(figure.read_bytes()).decode("ascii")
        image = f'<img src="data:image/png;base64,{data}" alt="observed and fitted adopters">'
    diag = "".join(f"<dt>{escape(LABELS.get(str(k), str(k).replace('_', ' ')))}</dt>"
                   f"<dd>{escape(_shown(v))}</dd>"
                   for k, v in result.diagnostics.items() if k != "warnings")  # (above)
    assumptions = "".join(f"<li>{escape(a)}</li>" for a in ASSUMPTIONS)
    warnings = "".join(f'<p class=w><strong>Warning:</strong> {escape(w)}</p>'
                       for w in result.diagnostics.get("warnings", []))
    fit_block = result.scenario.fit
    kept = fit_block.draws if fit_block is not None else 400
    then = ("<code>wom run</code> it" if result.scenario.strategies else
            "add strategies and <code>wom run</code> it")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(result.scenario.name)} — wom fit</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem}}
table{{border-collapse:collapse}}td,th{{padding:.2rem .6rem;border-bottom:1px solid #ddd;
text-align:right}}.t{{text-align:left}}img{{max-width:100%}}dt{{font-weight:600}}
.w{{background:#fff3cd;border-left:4px solid #e0a800;padding:.5rem}}</style>
</head><body>
<h1>{escape(result.scenario.name)}: fitted to {escape(result.observed.path.name)}</h1>
<p>{escape(result.observed.describe())}; method: {escape(result.method)}.</p>
{warnings}<h2>Estimates</h2>
<table><tr><th class=t>parameter</th><th>estimate</th><th>95% interval: low</th>
<th>high</th><th>fit range (flat prior)</th></tr>{''.join(rows)}</table>
<p><code>wom_share</code>: the share of adoption due to word of mouth (the rest came through
background channels).</p>
<h2>Observed and fitted</h2>{image}
<h2>What is assumed</h2><ul>{assumptions}</ul>
<h2>Sampler</h2><dl>{diag}</dl>
<p>Files: {', '.join(FIT_FILES)}, {MANIFEST}. <code>fitted.yaml</code> is the scenario with
the estimates written in and {kept:,} posterior draws in its <code>uncertainty:</code>
block (replicate i of a run uses draw i mod their number): {then}.</p>
<h2>Reproduce</h2>{_reproduce(result, None if figure is None else figure.parent)}
</body></html>
"""


#: The sampler's diagnostics that need more than their key's name.
LABELS = {"ess": "effective sample size (independent draws the weighted ones are worth)",
          "rhat": "R-hat (chains agreeing: near 1)", "outside_band": "periods outside the "
          "predictive band", "tolerances": "tolerance by generation (distance to the data)",
          "candidates": "simulations by generation"}


def _shown(v: object) -> str:
    """A diagnostic as words: a list as its items (none if empty), a mapping as its keys and
    values, numbers to 4 figures."""
    if isinstance(v, dict):
        return "; ".join(f"{k} {_shown(x)}" for k, x in v.items()) if v else "none"
    if isinstance(v, list | tuple):
        return ", ".join(_shown(x) for x in v) if v else "none"
    if isinstance(v, float):
        return f"{v:,.4g}"
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


def _reproduce(result: FitResult, folder: Path | None = None) -> str:
    """How this fit was made: the command, the seed, the data's SHA-256, the versions; and,
    written into `folder`, the command that makes it again from there (``fitted.yaml`` keeps
    the scenario's ``fit:`` block and seed, and the values it fits do not enter the fit)."""
    m = result.meta
    made = made_with("fit", m)
    data = result.observed.path
    digest = dict(m.get("inputs") or {}).get(str(data))
    versions = ", ".join(f"{label} {escape(str(m[key]))}"
                         for key, label in (("wom", "wom"), ("python", "Python")) if key in m)
    where = m.get("data_path")
    if folder is not None and where:
        named = os.path.relpath(str(where), folder.resolve())
        again = (f"wom fit fitted.yaml --adoptions {shlex.quote(named)} --out "
                 f"{shlex.quote('../' + final_name(folder) + '-again')}")
        same = (f"From this folder,</p><pre>{escape(again)}</pre><p>gives the same "
                "estimates and draws")
    else:
        same = "The same command on the same data, into another folder, gives the same " \
               "estimates and draws"
    return (f"{made}<p>Seed {result.scenario.seed}; the data: <code>{escape(str(data))}</code>"
            + (f" (SHA-256 {escape(str(digest)[:12])}…)" if digest else "")
            + f". {same}, whatever the number of workers"
            + (f" ({versions})." if versions else ".") + "</p>")
