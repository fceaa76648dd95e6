"""``wom fit``: estimate a scenario's free parameters from observed adoption."""

from __future__ import annotations

import inspect
import shlex
import warnings
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

import wom
from wom.cli.options import (
    FilePath,
    check_out,
    command_line,
    load,
    progress_bar,
    scenario_argument,
    set_option,
    workers_option,
)
from wom.cli.stops import Terminal
from wom.cli.summary import fitted_table
from wom.errors import FitWarning, failed_write
from wom.experiment.runner import input_digests_of
from wom.inference.fit import refuse_accounts_in_fit
from wom.viz.fits import ASSUMPTIONS
from wom.viz.fitwords import drawn


def print_fit(result: wom.FitResult, console: Console) -> None:
    """The estimates with their intervals, and how the sampler did."""
    rows = []
    for r in result.estimates().itertuples(index=False):
        name = str(r.parameter)
        if name.startswith("wom_share"):
            shown = (f"{r.estimate:.0%}", f"{r.lo:.0%}–{r.hi:.0%}")
        else:
            # three figures, as the warnings and the run's report give them
            shown = (drawn(r.estimate), f"{drawn(r.lo)}–{drawn(r.hi)}")
        rows.append([escape(name), *shown])
    # (fitted: a narrow terminal cut names and intervals short, "0.00414–0.04…")
    console.print(fitted_table(f"{escape(result.scenario.name)}: "
                               f"{escape(result.observed.describe())}",
                               ("parameter", "estimate", "95% interval"), rows, console.width))
    console.print("wom_share: the share of adoption due to word of mouth (the rest: background)",
                  style="dim")
    d = result.diagnostics
    if result.method == "likelihood":
        worst = max(d["rhat"].values())
        note = (f"exact likelihood, {d['chains']} chains × {d['draws_per_chain']:,} draws, "
                f"R-hat ≤ {worst:.3f}, effective draws ≥ {min(d['ess'].values()):,}")
    else:
        note = (f"ABC-SMC, {d['particles']} particles, {d['generations']} generations "
                f"({STOPPED[d['stopped']]}), final tolerance {d['tolerances'][-1]}, effective "
                f"particles {d['ess']}")
    console.print(note, style="dim")
    for warning in d.get("warnings", []):
        console.print(f"warning: {escape(warning)}", style="bold yellow")


#: Why ABC stopped, in words.
STOPPED = {"converged": "converged", "acceptance": "stopped: too few candidates kept",
           "generations": "not converged"}


@click.command("fit")
@scenario_argument()
@click.option("--adoptions", "-a", type=FilePath(path_type=Path), required=True,
              help="Observed adoption: person,adopted (who adopted in which period, on the "
                   "scenario's graph file), period,segment,new_customers (counts), or a "
                   "customer list segment,adopted (a row per customer).")
@click.option("--out", "-o", type=FilePath(path_type=Path),
              help="Fit folder to create [default: results/<name>/fit-<timestamp>/].")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Override `seed`.")
@workers_option
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run the fit's simulations on a Dask cluster (tcp://HOST:PORT; needs the "
                   "dask extra) instead of local processes; same results.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no table.")
@set_option
def fit(scenario: Path, adoptions: Path, out: Path | None, seed: int | None,
        workers: int | None, scheduler: str | None, quiet: bool,
        settings: tuple[str, ...] = ()) -> None:
    """Estimate SCENARIO's free parameters from observed adoption.

    The `fit:` block names them with their ranges (default: word of mouth and background).
    Individual data on a known graph is fitted by its exact likelihood, counts per segment
    by simulation (ABC-SMC). Writes estimates.csv (95% intervals), fitted.yaml (the
    scenario with the estimates and posterior draws, ready for `wom run` once it has
    strategies), draws.csv, fit.png and report.html.

    Assumed:
    """
    sc = load(scenario, settings=settings)
    # the scenario file's bytes as read now, not after the fit (edited or moved meanwhile;
    # a pipe is read once: no hash)
    read = input_digests_of([Path(scenario)]) if Path(scenario).is_file() else {}
    refuse_accounts_in_fit(sc, scenario)
    if seed is not None:
        sc = sc.model_copy(update={"seed": seed})
    check_out(out, "fit")
    # (its warnings are printed below, with the estimates)
    with progress_bar("fit", "steps", quiet=quiet) as advance, warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        result = wom.fit(sc, adoptions, workers=workers, scheduler=scheduler, progress=advance)
    result.meta["command"] = command_line()
    # the scenario file as it was (its --set settings are in the command)
    result.meta["inputs"] = {**result.meta.get("inputs", {}), **read}
    try:
        folder = wom.save_fit(result, out)
    except OSError as err:
        raise wom.WomError(f"{out or Path('results') / sc.name}: cannot write the fit folder: "
                           f"{failed_write(err)}") from None
    if not quiet:
        print_fit(result, Terminal())
    click.echo(f"results: {folder}")
    if not quiet:  # what to do with it (the report says it last; the terminal said nothing)
        # from today: the data's adopters are today's customers (a run from none
        # forecast a market with nobody in it; new-user trial)
        run = (f"wom run {shlex.quote(str(folder / 'fitted.yaml'))} --customers "
               f"{shlex.quote(str(adoptions))}")
        click.echo(f"next: {run}" if sc.strategies else
                   f"next: add strategies to {folder / 'fitted.yaml'} (as in "
                   f"scenarios/focused-vs-broad.yaml), then {run}")


fit.help = inspect.cleandoc(fit.help or "") + "\n\n" + "\n\n".join(ASSUMPTIONS)
