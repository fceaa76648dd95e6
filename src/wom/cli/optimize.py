"""``wom optimize``: the plan the budget should buy, searched and confirmed (one call of
:func:`wom.optimize`, then the folder and the table)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from wom.cli.options import (
    FilePath,
    check_out,
    command_line,
    load,
    progress_bar,
    resumable,
    resume_option,
    scenario_argument,
    scheduler_option,
    set_option,
    workers_option,
)
from wom.config.optimize import OBJECTIVES
from wom.errors import WomError


def print_confirmation(res) -> None:  # type: ignore[no-untyped-def]
    """The terminal table: every strategy and the finalists on fresh replicates, in the
    terminal's columns (money as ``wom run``'s money table writes it), and what it says."""
    from rich.markup import escape

    from wom.cli.stops import Terminal
    from wom.cli.summary import fitted_table
    from wom.viz.numbers import counted
    from wom.viz.searchwords import (
        confirmation_notes,
        confirmation_rows,
        describe_plan,
        objective_head,
        verdict_text,
    )

    console = Terminal()
    rows = confirmation_rows(res)
    if rows:
        n = res.confirmation.new_by_cause.shape[1]
        table = fitted_table(f"{res.objective} on {counted(n, 'fresh replicate')}",
                       ("strategy", objective_head(res), "95% CI", "difference", "95% CI",
                        "P(beats)"),
                       [[escape(c) for c in r] for r in rows], console.width)
        console.print(table)
        console.print("\n".join(escape(line) for line in confirmation_notes(res)),
                      style="dim")
    if res.best is not None:
        console.print(f"found: {escape(describe_plan(res))}")
    console.print(escape(verdict_text(res)))


@contextmanager
def _progress(quiet: bool) -> Iterator[tuple[Callable[[int, int], None],
                                             Callable[[int, int], None]]]:
    """The search's progress (trials), then the confirmation's (replicates): one bar after
    the other, as a terminal shows one at a time (in a log, a line per tenth of each)."""
    stack = ExitStack()
    confirm: Callable[[int, int], None] | None = None
    try:
        trials = stack.enter_context(progress_bar("optimize", "trials", quiet=quiet))

        def confirming(done: int, total: int) -> None:
            nonlocal confirm
            if confirm is None:
                stack.close()  # the search's bar is done
                confirm = stack.enter_context(progress_bar("confirmation", "replicates",
                                                           quiet=quiet))
            confirm(done, total)

        yield trials, confirming
    finally:
        stack.close()


@click.command()
@scenario_argument(required=False)
@click.option("--objective", type=click.Choice(list(OBJECTIVES)),
              help="What to maximise (payback: the payback week, minimised) [default: the "
                   "optimize: block's, else customers].")
@click.option("--trials", "-n", type=click.IntRange(min=1),
              help="Plans tried [default: the optimize: block's, else 200].")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Override `seed`.")
@click.option("--replicates", "-r", type=click.IntRange(min=1),
              help="Fresh replicates of the confirmation [default: the scenario's].")
@workers_option
@scheduler_option
@click.option("--out", "-o", type=FilePath(path_type=Path, file_okay=False),
              help="Folder to create [default: results/<name>/optimize-<timestamp>/].")
@resume_option("search")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no table.")
@set_option
def optimize(scenario: Path | None, objective: str | None, trials: int | None,
             seed: int | None, replicates: int | None, workers: int | None,
             scheduler: str | None, out: Path | None, resume_dir: Path | None, quiet: bool,
             settings: tuple[str, ...] = ()) -> None:
    """Find the best plan the budget can buy, confirmed.

    Plans (strategy kind mix) split the budget over segments at once or win them one
    after another (bowling pins: order and trigger), each segment tailored or generic,
    with their own seed share, campaign length and seeding rule, within the scenario's
    optimize: block; the scenario's own strategies are the first plans tried. Candidates
    are raced on common random numbers (optuna: TPE sampler, successive halving over
    replicates); the best few are re-run on fresh replicates beside the scenario's
    strategies, and the best there is the plan found. Writes best.yaml (ready for wom
    run), scenario.yaml (the scenario as searched), trials.csv, confirmation.csv,
    search.png, plan.png and report.html. The trials are stored as they finish
    (search.sqlite): a stopped search goes on with --resume FOLDER.
    """
    from wom.cli.stops import deferred
    from wom.experiment.optimize import check_room, prepare, resume
    from wom.experiment.searchstore import SearchStore
    from wom.experiment.sweep import executor
    from wom.store import leading_comments
    from wom.store.folder import held
    from wom.viz.optimize import write_optimize

    if resume_dir is not None:
        if scenario is not None or settings:
            raise WomError("--resume DIR takes no SCENARIO or --set: the optimize folder "
                           "holds them")
        kept = [o for o, v in (("--objective", objective), ("--trials", trials),
                               ("--seed", seed), ("--replicates", replicates),
                               ("--out", out)) if v is not None]
        if kept:
            raise WomError(f"--resume DIR goes on with the search as it was started: "
                           f"{', '.join(kept)} cannot change it")
        store = SearchStore.open(resume_dir)
        if store.finished and all((resume_dir / f).exists() for f in ("best.yaml",
                                                                       "trials.csv")):
            click.echo(f"{resume_dir}: this search is finished; its results are there "
                       "(nothing to resume)")
            return
    elif scenario is None:
        raise WomError("give a SCENARIO (or --resume DIR)")
    else:
        sc = prepare(load(scenario, settings=settings), objective=objective, trials=trials,
                     seed=seed)
        check_room(sc, replicates or sc.replicates, workers)
        if out is not None:
            SearchStore.refuse_taken(out)
        check_out(out, "optimize")  # "optimize folders …"
    with executor(scheduler) as client:  # reached before anything is written
        if resume_dir is None:
            assert scenario is not None
            folder = out or Path("results") / sc.name / time.strftime(
                "optimize-%Y%m%d-%H%M%S")
            store = SearchStore.create(
                folder, sc, confirm_replicates=replicates or sc.replicates,
                fresh=out is None,
                notes=leading_comments(scenario.read_text(encoding="utf-8")),
                command=command_line())
        with held(store.path, "search"):  # through the writing, not only the search
            resumable(store.folder, "optimize", "trials")
            with _progress(quiet) as (advance, confirming):
                res = resume(store, workers=workers, scheduler=client, progress=advance,
                             confirm_progress=confirming)
            res.meta["command"] = store.meta.get("command") or None
            res.meta["cwd"] = store.meta.get("cwd") or None  # (where it was typed)
            with deferred():  # a stop now waits for the folder to be written
                written = write_optimize(res, store.folder, notes=store.notes)
                if not res.interrupted:
                    store.finish()
            if res.interrupted:  # what was found is in the folder; the exit says how to go on
                from wom.viz.searchwords import best_so_far

                click.echo(f"\n{best_so_far(res)}", err=True)
                raise res.stop or KeyboardInterrupt()
    if not quiet:
        print_confirmation(res)
    click.echo(f"wrote {written}")
    if not quiet:
        by = "" if res.metric == "customers" else f" --by {res.metric}"
        click.echo(f"next: wom run {written / 'best.yaml'}{by}")
