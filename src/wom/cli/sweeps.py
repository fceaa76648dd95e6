"""Commands over many runs of a scenario: sweep (grids and Latin hypercubes of what-ifs) and
sensitivity (which parameters move an outcome)."""

from __future__ import annotations

import functools
import math
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import click

import wom
from wom.cli.options import (
    FilePath,
    load,
    progress_bar,
    resumable,
    resume_option,
    scenario_argument,
    scheduler_option,
    set_option,
    workers_option,
)
from wom.config import COMPARED, METRIC_NAMES, METRICS, parse_vary, setting_path
from wom.errors import WomError
from wom.viz.words import ONE_MARKET

#: Rows of a sweep's table printed in the terminal (the rest: in sweep.csv).
SHOWN_ROWS = 40


def print_sweep(csv: Path, params: list[str], metric: str) -> None:
    """The sweep's table: per point and strategy, `metric` with its 95% interval and the
    paired advantage over the first strategy (the first :data:`SHOWN_ROWS` rows)."""
    import pandas as pd
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from wom.cli.stops import WHOLE_WIDTH, Terminal, as_shown

    df = pd.read_csv(csv, dtype={"strategy": str})
    first = escape(str(df.vs.iloc[0])) if len(df) else ""
    # Parameters by their last key (a full path would not leave the numbers room on an
    # 80-column terminal); the full paths are said below the table.
    last = [p.rsplit(".", 1)[-1] for p in params]
    short = [k if last.count(k) == 1 else p for k, p in zip(last, params, strict=True)]
    big = METRICS[metric].kind == "money" if metric in METRICS else False

    def num(x: float) -> str:
        # money in whole units (4 significant digits would print 1.995e+05)
        return "–" if pd.isna(x) else f"{x:,.0f}" if big and abs(x) >= 1000 else f"{x:,.4g}"

    def mean(d: dict[str, Any]) -> str:
        if metric != "payback_step":
            return num(d[f"{metric}_mean"])
        share = d.get("paid_back_share", math.nan)  # the mean is over those that paid back
        return "never" if share == 0 else f"{num(d[f'{metric}_mean'])} ({share:.0%})"

    rows = [[*(escape(str(d[p])) for p in params), escape(str(d["strategy"])), mean(d),
             f"{num(d[f'{metric}_lo'])}–{num(d[f'{metric}_hi'])}"
             if not pd.isna(d[f"{metric}_mean"]) else "–",
             num(d["diff_mean"]),
             "" if pd.isna(d["diff_mean"]) else f"{num(d['diff_lo'])}–{num(d['diff_hi'])}"]
            for d in df.head(SHOWN_ROWS).to_dict("records")]  # (keys: columns, dots and all)
    heads = [*map(escape, short), "strategy", escape(metric), "95% CI", f"− {first}",
             "95% CI "]
    title = (f"{metric}: mean (95% CI); − {first}: paired difference, strategy − {first}"
             if len(df) else metric)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
                  title=title)
    rows = as_shown(rows)
    widths = [max([len(head)] + [len(r[i]) for r in rows]) for i, head in enumerate(heads)]
    for head, width in zip(heads, widths, strict=True):
        # Fixed widths and no wrapping: the intervals are never cut into ellipses.
        table.add_column(head, justify="left" if head == "strategy" else "right",
                         width=width, no_wrap=True)
    for r in rows:
        table.add_row(*r)
    # (rich would cut the numbers to fit a narrow terminal: the lines run on instead)
    setattr(table, WHOLE_WIDTH, sum(widths) + 2 * (len(widths) - 1))
    console = Terminal()
    console.print(table)
    renamed = [f"{k}: {escape(p)}" for k, p in zip(short, params, strict=True) if k != p]
    if renamed:
        console.print("; ".join(renamed), style="dim")
    if len(df) > SHOWN_ROWS:
        console.print(f"… {len(df) - SHOWN_ROWS:,} more rows in {escape(str(csv))}", style="dim")


def _phase_pair(sc: wom.Scenario, compare: str | None) -> tuple[str, str] | None:
    """The two strategies of the phase diagram (``None``: the scenario has only one),
    checked before anything runs."""
    if compare is not None:
        pair = [x.strip() for x in compare.split(",")]
        if len(pair) != 2 or not all(pair):
            raise WomError(f"--compare {compare!r}: expected two strategies A,B")
    elif sc.sweep is not None and sc.sweep.compare:
        pair = list(sc.sweep.compare)
    elif len(sc.strategies) >= 2:
        pair = [s.name for s in sc.strategies[:2]]
    else:
        return None
    for name in pair:
        sc.strategy(name)  # names the strategies that exist
    if pair[0] == pair[1]:
        raise WomError(f"--compare {compare!r}: compare two different strategies")
    return pair[0], pair[1]


@click.command()
@scenario_argument(required=False)
@click.option("--vary", "-v", "varies", multiple=True, metavar="PATH=LO:HI:N|A,B,C",
              help="A parameter to vary, e.g. network.mixing=0.01:0.3:8 or "
                   "segments.*.references=0,1,2 (repeatable) [default: the scenario's "
                   "sweep: block].")
@click.option("--design", type=click.Choice(["grid", "lhs"]),
              help="grid: every combination; lhs: a Latin hypercube of --points points "
                   "[default: grid, or the sweep: block's].")
@click.option("--points", "--n", "n_points", type=click.IntRange(min=1),
              help="Points of a Latin hypercube.")
@click.option("--replicates", "-r", type=click.IntRange(min=1),
              help="Replicates per point [default: the sweep: block's, else the scenario's].")
@workers_option
@scheduler_option
@click.option("--compare", metavar="A,B",
              help="The phase diagram shows A − B [default: the sweep: block's, else the "
                   "first two strategies].")
@click.option("--metric", type=click.Choice(COMPARED),
              help="What sweep.csv's paired advantage and the phase diagram compare, e.g. "
                   "profit [default: the sweep: block's, else customers].")
@click.option("--out", "-o", type=FilePath(path_type=Path, file_okay=False),
              help="Sweep folder [default: results/<name>/sweep-<timestamp>/].")
@resume_option("sweep")
@set_option
def sweep(scenario: Path | None, varies: tuple[str, ...], design: str | None,
          n_points: int | None, replicates: int | None, workers: int | None,
          scheduler: str | None, compare: str | None, out: Path | None,
          resume_dir: Path | None, metric: str | None = None,
          settings: tuple[str, ...] = ()) -> None:
    """Run SCENARIO over a grid of what-ifs; resumable.

    Writes sweep.sqlite, sweep.csv and, for 1 or 2 varied parameters, phase.png: the
    paired advantage of one strategy over another across the grid.
    """
    from wom.experiment import analysis
    from wom.experiment import sweep as sweeps
    from wom.viz import phase_figure, save_figure

    with progress_bar("sweep", "points") as advance:
        if resume_dir is not None:
            if scenario is not None or varies or settings:
                raise WomError("--resume DIR takes no SCENARIO, --vary or --set: the sweep "
                               "folder holds them")
            ignored = [o for o, v in (("--design", design), ("--points", n_points),
                                      ("--replicates", replicates), ("--out", out))
                       if v is not None]
            if ignored:
                raise WomError(f"--resume DIR keeps the sweep as it was started: "
                               f"{', '.join(ignored)} cannot change it")
            sc, _, meta = sweeps.read_meta(resume_dir)
            resumable(resume_dir)
            pair = _phase_pair(sc, compare)
            folder = sweeps.resume(resume_dir, workers=workers, scheduler=scheduler,
                                   progress=advance)
        else:
            if scenario is None:
                raise WomError("give a SCENARIO (or --resume DIR)")
            sc = load(scenario, need="sweep", settings=settings)
            if metric is not None and METRICS[metric].accounts and not sc.has_accounts:
                raise click.BadParameter(f"{metric} needs a market of accounts ({scenario} "
                                         "has no `accounts:` block on any segment)",
                                         param_hint="'--metric'")
            block = None if varies else sc.sweep  # --vary replaces the whole block
            if not varies and block is None:
                raise WomError(f"{scenario}: no --vary given and no sweep: block in the "
                               "scenario")
            kept = ([parse_vary(v) for v in varies] if block is None
                    else block.varies())
            both = sorted({v.path for v in kept} & {setting_path(t) for t in settings})
            if both:  # the sweep would overwrite the setting at every point, silently
                raise WomError(f"{', '.join(both)}: both set (--set) and swept; a sweep "
                               "varies it, so drop the --set (or the --vary)")
            pair = _phase_pair(sc, compare)
            folder = out or Path("results") / sc.name / time.strftime("sweep-%Y%m%d-%H%M%S")
            chosen = design or (block.design if block else "grid")
            if chosen == "grid" and n_points is not None:
                raise WomError("--points sets the size of a Latin hypercube (--design "
                               "lhs); a grid has every combination of the values")
            folder = sweeps.run_sweep(
                sc, kept, folder,
                design=chosen,
                n=n_points or (block.points if block else None),
                replicates=replicates or (block.replicates if block else None),
                workers=workers, scheduler=scheduler, progress=advance, fresh=out is None,
                claimed=resumable, metric=metric)
        sc, kept, meta = sweeps.read_meta(folder)
        # as asked, else as the sweep was started (a resume keeps its metric)
        metric = metric or meta.get("metric") or (sc.sweep.metric if sc.sweep else
                                                  "customers")
        # every file first, then the table: a reader that stops early (`| head`) loses
        # nothing of the folder
        written = analysis.export_csv(folder, metric)
        phase = (save_figure(phase_figure(folder, *pair, metric), folder / "phase.png")
                 if pair is not None and len(kept) in (1, 2) and "sensitivity" not in meta
                 else None)
        print_sweep(written, [v.path for v in kept], metric)
        if sc.network.resample == "once":
            click.echo(ONE_MARKET.replace("replicate 0's market", "replicate 0's market of "
                                          "its point"))
        click.echo(f"wrote {written}")
        if phase is not None:
            click.echo(f"wrote {phase}")


@click.command()
@scenario_argument(required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="PATH=LO:HI",
              help="A parameter and its range, e.g. network.mixing=0.01:0.4 (repeatable); "
                   "whole-number bounds make it whole (segments.*.references=0:3).")
@click.option("--method", type=click.Choice(["sobol", "morris"]), default="sobol",
              show_default=True, help="Sobol indices (variance shares) or Morris screening.")
@click.option("--n", "n", type=click.IntRange(min=2), default=64, show_default=True,
              help="Base sample: Sobol runs n·(k+2) points (n a power of two), Morris "
                   "n·(k+1) (n trajectories), for k parameters.")
@click.option("--output", type=click.Choice(["advantage", *METRIC_NAMES]),
              help="What to explain: a metric of --strategy, or 'advantage' (customers of "
                   "--strategy − customers of --vs) [default: customers; with --resume, "
                   "another output of the same runs].")
@click.option("--strategy", "-s", help="[default: the first strategy]")
@click.option("--vs", help="The other strategy of the advantage [default: the next one].")
@click.option("--replicates", "-r", type=click.IntRange(min=1),
              help="Replicates per design point [default: the scenario's].")
@workers_option
@scheduler_option
@click.option("--out", "-o", type=FilePath(path_type=Path, file_okay=False),
              help="Folder [default: results/<name>/sensitivity-<timestamp>/].")
@resume_option("analysis")
@set_option
def sensitivity(scenario: Path | None, params: tuple[str, ...], method: str, n: int,
                output: str, strategy: str | None, vs: str | None, replicates: int | None,
                workers: int | None, scheduler: str | None, out: Path | None,
                resume_dir: Path | None, settings: tuple[str, ...] = ()) -> None:
    """Which parameters move an outcome: Sobol or Morris (SALib).

    Writes sweep.sqlite (resumable), sensitivity.csv and sensitivity.png.
    """
    from wom.experiment import sensitivity as sens
    from wom.experiment.sweep import resume
    from wom.viz import save_figure, sensitivity_figure

    with progress_bar(method if resume_dir is None else "sensitivity", "points") as advance:
        if resume_dir is not None:
            if scenario is not None or params or settings:
                raise WomError("--resume DIR takes no SCENARIO, --param or --set: the folder "
                               "holds them")
            sens.describe_output(resume_dir, output)  # refuses a plain sweep up front
            resumable(resume_dir, "sensitivity")
            folder = resume(resume_dir, workers=workers, scheduler=scheduler,
                            progress=advance)
        else:
            if scenario is None or not params:
                raise WomError("give a SCENARIO and at least one --param (or --resume DIR)")
            sc = load(scenario, need="analyse", settings=settings)
            parsed = [sens.parse_param(p) for p in params]
            folder = out or Path("results") / sc.name / time.strftime(
                "sensitivity-%Y%m%d-%H%M%S")
            folder = sens.run_sensitivity(
                sc, parsed, folder, method=method, n=n, replicates=replicates,
                output=output or "customers", strategy=strategy, vs=vs, workers=workers,
                scheduler=scheduler, progress=advance, fresh=out is None,
                claimed=functools.partial(resumable, command="sensitivity"))
    shown = output if resume_dir is not None else None  # another output, on resume
    table = sens.indices(folder, shown)
    written = sens.export_csv(folder, shown)  # the files first (a reader may stop early)
    figure = save_figure(sensitivity_figure(folder, shown), folder / "sensitivity.png")
    click.echo(f"{sens.describe_output(folder, shown)}:")
    click.echo(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    click.echo("_conf: half-width of the 95% bootstrap interval (it halves as --n quadruples)")
    widest = sens.too_wide(table)
    if widest is not None:  # (a tiny design looked as sure as a large one)
        n_run = sens.analysis_spec(folder, shown)["n"]
        with suppress(OSError):
            click.echo(f"warning: intervals as wide as ±{widest:.3g}: these indices say little; "
                       f"a larger --n than {n_run} narrows them", err=True)
    click.echo(f"wrote {written}")
    click.echo(f"wrote {figure}")
