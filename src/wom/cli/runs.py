"""Commands on one scenario and its run folders: run, validate, plot, report, snapshot, animate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

import wom
from wom.cli.options import (
    FilePath,
    check_file_out,
    check_folder_out,
    check_out,
    check_picture_format,
    command_line,
    format_option,
    load,
    max_people_option,
    progress_bar,
    replicate_option,
    scenario_argument,
    set_option,
    workers_option,
)
from wom.cli.stops import Terminal
from wom.cli.summary import print_summary
from wom.config import COMPARED, METRICS
from wom.errors import WomError, failed_write
from wom.experiment.customers import refuse_with_accounts
from wom.inputs.tables import MAX_PERIOD
from wom.store import SCENARIO_FILE
from wom.viz.plots import prepare_drawing
from wom.viz.words import ONE_MARKET


@click.command()
@scenario_argument()
@click.option("--replicates", "-r", type=click.IntRange(min=1), help="Override `replicates`.")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Override `seed`.")
@workers_option
@click.option("--out", "-o", type=FilePath(path_type=Path),
              help="Run folder to create [default: results/<name>/<timestamp>/].")
@click.option("--customers", "-c", type=FilePath(path_type=Path),
              help="Start from today's customers: a CSV of person[,adopted] (people of the "
                   "scenario's graph file, with the week each bought in), segment[,adopted] "
                   "(a row per customer) or segment,customers[,adopted] (counts; a fit's "
                   "period,segment,new_customers too).")
@click.option("--today", type=click.IntRange(min=0, max=MAX_PERIOD), metavar="PERIOD",
              help="The period of the run's first week, for --customers with periods "
                   "[default: the period after the last purchase].")
@format_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no table.")
@click.option("--by", type=click.Choice(COMPARED), default="customers", show_default=True,
              help="The metric the verdict line compares (profit, paying_customers, …).")
@set_option
def run(scenario: Path, replicates: int | None, seed: int | None, workers: int | None,
        out: Path | None, customers: Path | None, today: int | None, fmt: str,
        quiet: bool, by: str = "customers", settings: tuple[str, ...] = ()) -> None:
    """Run every strategy of SCENARIO and write a run folder.

    With --customers, every strategy starts from today's customers: they count as customers
    and references from the first week, and those who bought within talk_weeks of it still
    talk (a customer with no purchase week no longer does). Customers given by segment are
    placed in each replicate by replaying their weeks through the adoption rule."""
    sc = load(scenario, need="run", settings=settings)
    if today is not None and customers is None:
        raise click.UsageError("--today needs --customers")
    if METRICS[by].accounts and not sc.has_accounts:
        raise click.BadParameter(f"{by} needs a market of accounts ({scenario} has no "
                                 "`accounts:` block on any segment)", param_hint="'--by'")
    if customers is not None:
        refuse_with_accounts(sc, scenario)
    existing = None if customers is None else wom.load_customers(sc, customers, today=today)
    check_out(out, "run")
    with progress_bar(sc.name, "replicates", replicates or sc.replicates,
                      quiet=quiet) as advance:
        results = wom.run(sc, replicates=replicates, seed=seed, workers=workers,
                          progress=meanwhile(advance, prepare_drawing), customers=existing)
    results.meta["command"] = command_line()
    results.meta[SCENARIO_FILE] = str(scenario)  # its opening LESSON comments are kept
    with results.kept():  # the folder and the table below derive the same tables
        try:
            folder = wom.save(results, out, fmt=fmt)
        except OSError as err:
            raise WomError(f"{out or Path('results') / sc.name}: cannot write the run folder: "
                           f"{failed_write(err)}") from None
        if not quiet:
            if existing is not None:
                click.echo(existing.describe(sc.dynamics.talk_weeks))
            print_summary(results, Terminal(), by=by)
    click.echo(f"results: {folder}")


def meanwhile(advance: Callable[[int, int], None], then: Callable[[], None]
              ) -> Callable[[int, int], None]:
    """`advance`, and `then()` once, after the first replicates are in: what this process
    does while the workers go on (it would otherwise wait for them)."""
    pending = True

    def progress(done: int, total: int) -> None:
        nonlocal pending
        advance(done, total)
        if pending:
            pending = False
            then()

    return progress


@click.command()
@scenario_argument()
@set_option
def validate(scenario: Path, settings: tuple[str, ...] = ()) -> None:
    """Check SCENARIO without running it."""
    from wom.experiment import default_workers, estimate
    from wom.experiment.memory import available_memory, human

    sc = load(scenario, settings=settings)

    def count(n: int, one: str, many: str) -> str:
        return f"{n:,} {one if n == 1 else many}"

    click.echo(f"{scenario}: ok — {count(len(sc.segments), 'segment', 'segments')}, "
               f"{count(sc.people, 'person', 'people')}, "
               f"{count(len(sc.strategies), 'strategy', 'strategies')}, "
               f"{count(sc.replicates, 'replicate', 'replicates')}"
               + (f", {count(len(sc.attributes), 'attribute', 'attributes')} "
                  f"({', '.join(sc.attributes)})" if sc.attributes else ""))
    if sc.network.resample == "once":
        click.echo(ONE_MARKET)
    need, have = estimate(sc, workers=default_workers()).total, available_memory()
    # valid (exit 0: a bigger machine runs it), but said plainly: `run` would refuse it here
    too_much = ("" if have is None or need <= have else
                ": too much, wom run refuses it on this machine")
    room = "" if have is None else f" ({human(have)} available{too_much})"
    click.echo(f"memory: about {human(need)} to run on all cores{room}")


@contextmanager
def written_by_wom(run_dir: Path) -> Iterator[None]:
    """A run folder whose files were edited in ways :func:`wom.read_run` does not check (a
    column renamed, a manifest's block of another type) is named, not a traceback."""
    try:
        yield
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, RecursionError) as e:
        raise WomError(f"{run_dir}: its tables or manifest were edited or damaged since wom "
                       f"wrote them ({type(e).__name__}: {e}); run it again") from None


@click.command()
@click.argument("run_dir", type=FilePath(path_type=Path, file_okay=False))
@format_option
@click.option("--out", "-o", type=FilePath(path_type=Path, file_okay=False),
              help="Folder for the plots [default: RUN_DIR].")
def plot(run_dir: Path, fmt: str, out: Path | None) -> None:
    """Redraw the plots of a run folder.

    Adoption, per-segment, causes, paired differences and penetration, from its tables."""
    check_folder_out(out or run_dir)
    with written_by_wom(run_dir):
        written = wom.plot_run(wom.read_run(run_dir), out or run_dir, fmt=fmt)
    for path in written:
        click.echo(f"wrote {path}")


@click.command()
@click.argument("run_dir", type=FilePath(path_type=Path, file_okay=False))
def report(run_dir: Path) -> None:
    """Rewrite a run folder's report.html from its tables and plots."""
    from wom.viz import write_report

    with written_by_wom(run_dir):
        written = write_report(run_dir)
    click.echo(f"wrote {written}")


@click.command()
@scenario_argument()
@click.option("--strategy", "-s", "strategy", required=True, help="The strategy to draw.")
@click.option("--step", "-t", type=click.IntRange(min=0), default=None,
              help="The week to draw [default: the last].")
@replicate_option
@max_people_option(5000)
@click.option("--out", "-o", type=FilePath(path_type=Path, dir_okay=False),
              help="Image to write (.png, .svg or .pdf) [default: snapshot-STRATEGY-STEP.png].")
@set_option
def snapshot(scenario: Path, strategy: str, step: int | None, replicate: int, max_people: int,
             out: Path | None, settings: tuple[str, ...] = ()) -> None:
    """Draw the conversation graph at one week.

    Segments coloured, customers highlighted; big markets drawn as a random sample."""
    from wom.viz import save_figure, snapshot_figure

    sc = load(scenario, need="draw", settings=settings)
    week = sc.horizon - 1 if step is None else step
    out = out or Path(f"snapshot-{strategy}-{week}.png")
    check_file_out(out)
    check_picture_format(out)
    fig = snapshot_figure(sc, strategy, week, replicate=replicate, max_people=max_people)
    click.echo(f"wrote {save_figure(fig, out)}")


@click.command()
@scenario_argument()
@click.option("--strategy", "-s", "strategies", multiple=True, required=True,
              help="A strategy to animate; repeat it for several side by side.")
@replicate_option
@click.option("--fps", type=click.IntRange(min=1, max=60), default=4, show_default=True)
@max_people_option(3000)
@click.option("--out", "-o", type=FilePath(path_type=Path, dir_okay=False),
              default=Path("spread.gif"), show_default=True,
              help="The GIF to write (an MP4 beside it when ffmpeg is installed).")
@set_option
def animate(scenario: Path, strategies: tuple[str, ...], replicate: int, fps: int,
            max_people: int, out: Path, settings: tuple[str, ...] = ()) -> None:
    """Animate the spread week by week (one frame per week)."""
    from wom.viz import animate as make_animation

    sc = load(scenario, need="animate", settings=settings)
    check_file_out(out)
    for path in make_animation(sc, list(strategies), out, replicate=replicate,
                               max_people=max_people, fps=fps):
        click.echo(f"wrote {path}")
