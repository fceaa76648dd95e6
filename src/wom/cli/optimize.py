"""``wom optimize``: the plan the budget should buy, searched and confirmed (one call of
:func:`wom.optimize`, then the folder and the table)."""

from __future__ import annotations

import math
import time
from pathlib import Path

import click

from wom.cli.options import (
    check_out,
    load,
    progress_bar,
    scenario_argument,
    set_option,
    workers_option,
)
from wom.config.optimize import OBJECTIVES


def print_confirmation(res) -> None:  # type: ignore[no-untyped-def]
    """The terminal table: every strategy and the finalists on fresh replicates."""
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from wom.experiment.optimize import FOUND
    from wom.viz.optimize import describe_plan, verdict_text

    console = Console()
    conf = res.confirmed()

    def num(x: float) -> str:
        return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else (
            f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.4g}")

    if len(conf):
        n = res.confirmation.new_by_cause.shape[1]
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                      collapse_padding=True,
                      title=f"{res.objective} on {n} fresh replicates; − : {FOUND} − it, "
                            "paired")
        for head in ("strategy", res.objective, "95% CI", "−", "95% CI ", "P(beats)"):
            table.add_column(head, justify="left" if head == "strategy" else "right",
                             no_wrap=True)
        for r in conf.to_dict("records"):
            name = escape(str(r["strategy"])) + (" (found)" if r["found"] else "")
            table.add_row(name, num(r["mean"]), f"{num(r['lo'])}–{num(r['hi'])}",
                          num(r.get("diff_mean", math.nan)),
                          "" if r["strategy"] == FOUND else
                          f"{num(r['diff_lo'])}–{num(r['diff_hi'])}",
                          "" if r["strategy"] == FOUND else f"{r['p_found_beats']:.2f}")
        console.print(table)
    if res.best is not None:
        console.print(f"found: {escape(describe_plan(res))}")
    console.print(escape(verdict_text(res)))


@click.command()
@scenario_argument()
@click.option("--objective", type=click.Choice(list(OBJECTIVES)),
              help="What to maximise (payback: the payback week, minimised) [default: the "
                   "optimize: block's, else customers].")
@click.option("--trials", "-n", type=click.IntRange(min=1),
              help="Plans tried [default: the optimize: block's, else 200].")
@click.option("--seed", "-s", type=click.IntRange(min=0), help="Override `seed`.")
@click.option("--replicates", "-r", type=click.IntRange(min=1),
              help="Fresh replicates of the confirmation [default: the scenario's].")
@workers_option
@click.option("--out", "-o", type=click.Path(path_type=Path),
              help="Folder to create [default: results/<name>/optimize-<timestamp>/].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no table.")
@set_option
def optimize(scenario: Path, objective: str | None, trials: int | None, seed: int | None,
             replicates: int | None, workers: int | None, out: Path | None, quiet: bool,
             settings: tuple[str, ...] = ()) -> None:
    """Find the best plan the budget can buy, confirmed.

    Plans (strategy kind mix) split the budget over segments, each tailored or generic,
    with their own seed share, campaign length and seeding rule, within the scenario's
    optimize: block. Candidates are raced on common random numbers (optuna: TPE sampler,
    successive halving over replicates); the best few are re-run on fresh replicates beside
    the scenario's strategies. Writes best.yaml (ready for wom run), trials.csv,
    confirmation.csv, search.png, plan.png and report.html. Ctrl-C keeps the trials done.
    """
    import wom
    from wom.store import leading_comments
    from wom.viz.optimize import write_optimize

    sc = load(scenario, settings=settings)
    check_out(out, "optimize folder")
    folder = out or Path("results") / sc.name / time.strftime("optimize-%Y%m%d-%H%M%S")
    with progress_bar("optimize", "trials", quiet=quiet) as advance:
        res = wom.optimize(sc, objective=objective, trials=trials, seed=seed, workers=workers,
                           confirm_replicates=replicates, progress=advance)
    notes = leading_comments(scenario.read_text(encoding="utf-8"))
    written = write_optimize(res, folder, fresh=out is None, notes=notes)
    if not quiet:
        print_confirmation(res)
    click.echo(f"wrote {written}")
    if res.interrupted:
        click.echo(f"stopped: the {len(res.trials)} trials finished are kept in {written}",
                   err=True)
        raise res.stop or KeyboardInterrupt()
