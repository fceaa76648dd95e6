"""The ``wom`` command: a thin layer over the public API (see :mod:`wom`)."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

import wom
from wom.errors import WomError

EXIT_BAD_INPUT = 2


def _fail(err: WomError) -> None:
    click.echo(f"error: {err}" if "\n" not in str(err) else f"error:\n{err}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _load(path: Path) -> wom.Scenario:
    try:
        return wom.load_scenario(path)
    except WomError as err:
        _fail(err)
        raise  # unreachable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(wom.__version__, prog_name="wom")
def main() -> None:
    """wom — word-of-mouth network simulator for go-to-market what-ifs."""


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--replicates", "-r", type=click.IntRange(min=1), help="Override `replicates`.")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Override `seed`.")
@click.option("--workers", "-w", type=click.IntRange(min=1),
              help="Local worker processes [default: all cores].")
@click.option("--out", "-o", type=click.Path(path_type=Path),
              help="Run folder to create [default: results/<name>/<timestamp>/].")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True, help="Format of the plots.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no table.")
def run(scenario: Path, replicates: int | None, seed: int | None, workers: int | None,
        out: Path | None, fmt: str, quiet: bool) -> None:
    """Run every strategy of SCENARIO and write a run folder."""
    sc = _load(scenario)
    if out is not None and out.exists():
        _fail(WomError(f"{out}: already exists; choose another --out (runs are never "
                       "overwritten)"))
    if out is not None:
        # Fail now rather than after the whole run: the folder could not be created.
        above = next(p for p in out.absolute().parents if p.exists())
        if not above.is_dir():
            _fail(WomError(f"{out}: cannot create the run folder, {above} is not a folder"))
    console = Console(stderr=True)
    n = replicates or sc.replicates
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("replicates"), TimeRemainingColumn(), console=console,
                      disable=quiet or not console.is_terminal, transient=True,
                      auto_refresh=False) as bar:
            task = bar.add_task(f"{sc.name}", total=n)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, refresh=True)

            # no refresh thread: the worker processes are forked (see wom.runner)
            results = wom.run(sc, replicates=replicates, seed=seed, workers=workers,
                              progress=advance)
    except WomError as err:  # e.g. more memory than the machine has (wom.memory)
        _fail(err)
    results.meta["command"] = "wom " + " ".join(sys.argv[1:]) if sys.argv else "wom run"
    try:
        folder = wom.save(results, out, fmt=fmt)
    except WomError as err:
        _fail(err)
    except OSError as err:
        _fail(WomError(f"{out or 'results'}: cannot write the run folder: {err}"))
    if not quiet:
        print_summary(results, Console())
    click.echo(f"results: {folder}")


def _fmt(x: float, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def print_summary(results: wom.Results, console: Console) -> None:
    """The summary as a table, and which strategy wins (paired, with its interval)."""
    sc = results.scenario
    summary = results.summary()
    # Names are the user's text, not rich markup: "[...]" in a name must print as it is.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
                  title=f"{escape(sc.name)}: {sc.replicates} replicates, budget "
                        f"{sc.budget.total:,.0f} each, {sc.horizon} weeks")
    rows = [
        [
            escape(row.strategy),
            _fmt(row.customers_mean),
            f"{_fmt(row.customers_lo)}–{_fmt(row.customers_hi)}",
            _fmt(row.segments_ignited_mean, 2),
            _fmt(row.weeks_to_ignite_mean, 1),
            _fmt(row.cost_per_customer_mean, 1),
            f"{_fmt(100 * row.wom_share_mean)}%" if not math.isnan(row.wom_share_mean) else "–",
        ]
        for row in summary.itertuples()
    ]
    headers = ("strategy", "customers", "95% CI", "ignited", "ignition\nweek",
               "cost per\ncustomer", "word of\nmouth")
    for i, head in enumerate(headers):
        # Fixed widths: rich would otherwise measure a two-line header by its whole text and
        # squeeze the numbers into ellipses on an 80-column terminal.
        width = max([len(line) for line in head.split("\n")] + [len(r[i]) for r in rows])
        table.add_column(head, justify="left" if i == 0 else "right", width=width,
                         no_wrap=True)
    for r in rows:
        table.add_row(*r)
    note = ("ignited: segments reaching 16% of their TAM; ignition week: when the first did "
            "(in replicates that ignite one); all means over replicates")
    console.print(table)
    console.print(note, style="dim")
    if len(summary) < 2:
        return
    ranked = summary.sort_values("customers_mean", ascending=False, kind="stable")
    best, second = ranked.iloc[0].strategy, ranked.iloc[1].strategy
    comp = results.comparison()
    row = comp[(comp.metric == "customers") & (((comp.a == best) & (comp.b == second))
                                               | ((comp.a == second) & (comp.b == best)))].iloc[0]
    sign = 1 if row.a == best else -1
    lo, hi = sorted((sign * row.diff_lo, sign * row.diff_hi))
    p = row.p_a_beats_b if sign == 1 else 1 - row.p_a_beats_b
    best, second = escape(best), escape(second)
    if math.isnan(lo):  # one replicate: no interval
        console.print(f"[bold]{best}[/bold] leads: {sign * row.diff_mean:+,.0f} customers over "
                      f"{second} (a single replicate: no interval; run more replicates).")
        return
    verdict = "wins" if lo > 0 else "leads, but the interval includes zero"
    console.print(
        f"[bold]{best}[/bold] {verdict}: {sign * row.diff_mean:+,.0f} customers over {second} "
        f"(95% CI {lo:+,.0f} to {hi:+,.0f}); it beat {second} in {100 * p:.0f}% of paired "
        "replicates."
    )


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True, help="Format of the plots.")
@click.option("--out", "-o", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the plots [default: RUN_DIR].")
def plot(run_dir: Path, fmt: str, out: Path | None) -> None:
    """Redraw the plots of a run folder.

    Adoption, per-segment, causes, paired differences and penetration, from its tables."""
    try:
        run = wom.read_run(run_dir)
    except WomError as err:
        _fail(err)
    for path in wom.plot_run(run, out or run_dir, fmt=fmt):
        click.echo(f"wrote {path}")


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path, file_okay=False))
def report(run_dir: Path) -> None:
    """Rewrite a run folder's report.html from its tables and plots."""
    from wom.report import write_report

    try:
        path = write_report(run_dir)
    except WomError as err:
        _fail(err)
    click.echo(f"wrote {path}")


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--strategy", "-s", "strategy", required=True, help="The strategy to draw.")
@click.option("--step", "-t", type=click.IntRange(min=0), default=None,
              help="The week to draw [default: the last].")
@click.option("--replicate", "-r", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--max-people", type=click.IntRange(min=10), default=5000, show_default=True,
              help="Bigger markets are drawn as a random sample of this many people.")
@click.option("--out", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Image to write (.png, .svg or .pdf) [default: snapshot-STRATEGY-STEP.png].")
def snapshot(scenario: Path, strategy: str, step: int | None, replicate: int, max_people: int,
             out: Path | None) -> None:
    """Draw the conversation graph at one week.

    Segments coloured, customers highlighted; big markets drawn as a random sample."""
    from wom.plots import save_figure
    from wom.snapshot import snapshot_figure

    sc = _load(scenario)
    week = sc.horizon - 1 if step is None else step
    out = out or Path(f"snapshot-{strategy}-{week}.png")
    try:
        fig = snapshot_figure(sc, strategy, week, replicate=replicate, max_people=max_people)
    except WomError as err:
        _fail(err)
    click.echo(f"wrote {save_figure(fig, out)}")


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--strategy", "-s", "strategies", multiple=True, required=True,
              help="A strategy to animate; give it twice for two side by side.")
@click.option("--replicate", "-r", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--fps", type=click.IntRange(min=1, max=60), default=4, show_default=True)
@click.option("--max-people", type=click.IntRange(min=10), default=3000, show_default=True,
              help="Bigger markets are drawn as a random sample of this many people.")
@click.option("--out", "-o", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("spread.gif"), show_default=True,
              help="The GIF to write (an MP4 beside it when ffmpeg is installed).")
def animate(scenario: Path, strategies: tuple[str, ...], replicate: int, fps: int,
            max_people: int, out: Path) -> None:
    """Animate the spread week by week (one frame per week)."""
    from wom.snapshot import animate as make_animation

    sc = _load(scenario)
    try:
        paths = make_animation(sc, list(strategies), out, replicate=replicate,
                               max_people=max_people, fps=fps)
    except WomError as err:
        _fail(err)
    for path in paths:
        click.echo(f"wrote {path}")


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
def validate(scenario: Path) -> None:
    """Check SCENARIO without running it."""
    from wom.memory import available_memory, estimate, human
    from wom.runner import default_workers

    sc = _load(scenario)
    click.echo(f"{scenario}: ok — {len(sc.segments)} segments, {sc.people:,} people, "
               f"{len(sc.strategies)} strategies, {sc.replicates} replicates")
    need, have = estimate(sc, workers=default_workers()).total, available_memory()
    too_much = "" if have is None or need <= have else ": too much"
    room = "" if have is None else f" ({human(have)} available{too_much})"
    click.echo(f"memory: about {human(need)} to run on all cores{room}")


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


_SCHEDULER_HELP = ("Run the points on a Dask cluster (tcp://HOST:PORT; needs the dask extra) "
                   "instead of local processes; same results.")


@contextmanager
def _points_progress(label: str) -> Iterator[tuple[Progress, Callable[[int, int], None]]]:
    """A progress bar of points on stderr (off a terminal: none) and the callback that
    moves it."""
    console = Console(stderr=True)
    with Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("points"), TimeRemainingColumn(), console=console,
                  transient=True, auto_refresh=False,
                  disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, refresh=True)

        yield bar, advance


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path), required=False)
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
@click.option("--workers", "-w", type=click.IntRange(min=1),
              help="Local worker processes [default: all cores].")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help=_SCHEDULER_HELP)
@click.option("--compare", metavar="A,B",
              help="The phase diagram shows A − B [default: the sweep: block's, else the "
                   "first two strategies].")
@click.option("--out", "-o", type=click.Path(path_type=Path, file_okay=False),
              help="Sweep folder [default: results/<name>/sweep-<timestamp>/].")
@click.option("--resume", "resume_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Finish an interrupted sweep in this folder (nothing done is rerun).")
def sweep(scenario: Path | None, varies: tuple[str, ...], design: str | None,
          n_points: int | None, replicates: int | None, workers: int | None,
          scheduler: str | None, compare: str | None, out: Path | None,
          resume_dir: Path | None) -> None:
    """Run SCENARIO over a grid of what-ifs; resumable.

    Writes sweep.sqlite, sweep.csv and, for 1 or 2 varied parameters, phase.png: the
    paired advantage of one strategy over another across the grid.
    """
    from wom import sweep as sweeps

    with _points_progress("sweep") as (bar, advance):
        try:
            if resume_dir is not None:
                if scenario is not None or varies:
                    raise WomError("--resume DIR takes no SCENARIO or --vary: the sweep "
                                   "folder holds them")
                ignored = [o for o, v in (("--design", design), ("--points", n_points),
                                          ("--replicates", replicates), ("--out", out))
                           if v is not None]
                if ignored:
                    raise WomError(f"--resume DIR keeps the sweep as it was started: "
                                   f"{', '.join(ignored)} cannot change it")
                sc, _, meta = sweeps.read_meta(resume_dir)
                pair = _phase_pair(sc, compare)
                folder = sweeps.resume(resume_dir, workers=workers, scheduler=scheduler,
                                       progress=advance)
            else:
                if scenario is None:
                    raise WomError("give a SCENARIO (or --resume DIR)")
                sc = _load(scenario)
                block = None if varies else sc.sweep  # --vary replaces the whole block
                if not varies and block is None:
                    raise WomError(f"{scenario}: no --vary given and no sweep: block in the "
                                   "scenario")
                kept = [sweeps.parse_vary(v) for v in varies] if block is None else block.varies()
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
                    workers=workers, scheduler=scheduler, progress=advance)
            click.echo(f"wrote {sweeps.export_csv(folder)}")
            sc, kept, meta = sweeps.read_meta(folder)
            if pair is not None and len(kept) in (1, 2) and "sensitivity" not in meta:
                from wom.plots import save_figure

                metric = sc.sweep.metric if sc.sweep else "customers"
                fig = sweeps.phase_figure(folder, *pair, metric)
                click.echo(f"wrote {save_figure(fig, folder / 'phase.png')}")
        except WomError as err:
            bar.stop()
            _fail(err)


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path), required=False)
@click.option("--param", "-p", "params", multiple=True, metavar="PATH=LO:HI",
              help="A parameter and its range, e.g. network.mixing=0.01:0.4 (repeatable); "
                   "whole-number bounds make it whole (segments.*.references=0:3).")
@click.option("--method", type=click.Choice(["sobol", "morris"]), default="sobol",
              show_default=True, help="Sobol indices (variance shares) or Morris screening.")
@click.option("--n", "n", type=click.IntRange(min=2), default=64, show_default=True,
              help="Base sample: Sobol runs n·(k+2) points (n a power of two), Morris "
                   "n·(k+1) (n trajectories), for k parameters.")
@click.option("--output", type=click.Choice(["advantage", "customers", "segments_ignited",
                                             "weeks_to_ignite", "cost_per_customer",
                                             "wom_share", "spend"]),
              help="What to explain: a metric of --strategy, or 'advantage' (customers of "
                   "--strategy − customers of --vs) [default: customers; with --resume, "
                   "another output of the same runs].")
@click.option("--strategy", "-s", help="[default: the first strategy]")
@click.option("--vs", help="The other strategy of the advantage [default: the next one].")
@click.option("--replicates", "-r", type=click.IntRange(min=1),
              help="Replicates per design point [default: the scenario's].")
@click.option("--workers", "-w", type=click.IntRange(min=1),
              help="Local worker processes [default: all cores].")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help=_SCHEDULER_HELP)
@click.option("--out", "-o", type=click.Path(path_type=Path, file_okay=False),
              help="Folder [default: results/<name>/sensitivity-<timestamp>/].")
@click.option("--resume", "resume_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Finish an interrupted analysis in this folder.")
def sensitivity(scenario: Path | None, params: tuple[str, ...], method: str, n: int,
                output: str, strategy: str | None, vs: str | None, replicates: int | None,
                workers: int | None, scheduler: str | None, out: Path | None,
                resume_dir: Path | None) -> None:
    """Which parameters move an outcome: Sobol or Morris (SALib).

    Writes sweep.sqlite (resumable), sensitivity.csv and sensitivity.png.
    """
    from wom import sensitivity as sens
    from wom.sweep import resume

    with _points_progress(method if resume_dir is None else "sensitivity") as (bar, advance):
        try:
            if resume_dir is not None:
                if scenario is not None or params:
                    raise WomError("--resume DIR takes no SCENARIO or --param: the folder "
                                   "holds them")
                sens.describe_output(resume_dir, output)  # refuses a plain sweep up front
                folder = resume(resume_dir, workers=workers, scheduler=scheduler,
                                progress=advance)
            else:
                if scenario is None or not params:
                    raise WomError("give a SCENARIO and at least one --param "
                                   "(or --resume DIR)")
                sc = _load(scenario)
                parsed = [sens.parse_param(p) for p in params]
                folder = out or Path("results") / sc.name / time.strftime(
                    "sensitivity-%Y%m%d-%H%M%S")
                folder = sens.run_sensitivity(
                    sc, parsed, folder, method=method, n=n, replicates=replicates,
                    output=output or "customers", strategy=strategy, vs=vs, workers=workers,
                    scheduler=scheduler, progress=advance)
            bar.stop()
            shown = output if resume_dir is not None else None  # another output, on resume
            table = sens.indices(folder, shown)
            click.echo(f"{sens.describe_output(folder, shown)}:")
            click.echo(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
            click.echo(f"wrote {sens.export_csv(folder, shown)}")
            from wom.plots import save_figure

            fig = sens.sensitivity_figure(folder, shown)
            click.echo(f"wrote {save_figure(fig, folder / 'sensitivity.png')}")
        except WomError as err:
            bar.stop()
            _fail(err)


@main.command("app")
@click.argument("scenario", type=click.Path(path_type=Path), required=False)
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets other machines in (no password!).")
def app_(scenario: Path | None, port: int, host: str) -> None:
    """Start the teaching app: lesson scenarios in the browser.

    Sliders for the ideas, a strategy picker, the graph by segment and adoption curves,
    two strategies side by side; every lesson of `wom list` in its menu. Ctrl-C stops it."""
    from wom.app import serve

    if scenario is not None:
        from wom.memory import check_memory

        try:  # the app builds one market per panel: refuse one it cannot hold, up front
            check_memory(_load(scenario), replicates=2)
        except WomError as err:
            _fail(err)
    try:
        serve(scenario, host=host, port=port, announce=click.echo)
    except WomError as err:
        _fail(err)
    except KeyboardInterrupt:  # pragma: no cover - uvicorn handles Ctrl-C itself
        pass
    click.echo("wom app: stopped")


@main.command("list")
def list_() -> None:
    """List the lesson scenarios (copy one with `wom new`)."""
    from wom.library import list_scenarios, scenario_dir

    rows = list_scenarios()
    if not rows:
        click.echo(f"no scenarios in {scenario_dir()} (set WOM_SCENARIOS to a folder)")
        return
    width = max(len(n) for n, _, _ in rows)
    for name, description, _ in rows:
        click.echo(f"{name:<{width}}  {description}")


@main.command()
@click.argument("name")
@click.option("--from", "template", default="focused-vs-broad", show_default=True,
              help="The library scenario to start from (see `wom list`).")
@click.option("--dir", "dest", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write NAME.yaml in [default: here].")
def new(name: str, template: str, dest: Path | None) -> None:
    """Start a scenario NAME.yaml from a library scenario."""
    from wom.library import new_scenario

    try:
        path = new_scenario(name, template, dest=dest)
    except WomError as err:
        _fail(err)
    click.echo(f"wrote {path} — edit it, then: wom run {path}")


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files.

    Editors (VS Code's YAML extension, for one) autocomplete scenario files with it."""
    click.echo(wom.json_schema())


if __name__ == "__main__":  # pragma: no cover
    main()
