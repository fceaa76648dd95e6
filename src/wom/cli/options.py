"""What the commands share: loading a scenario, options with one meaning everywhere, and
progress on stderr (a bar on a terminal; on a log, a line per tenth of long work)."""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

import wom
from wom import numbacache
from wom.cli.stops import Terminal, checkpoint
from wom.store import link_note, writable

SCHEDULER_HELP = ("Run on a Dask cluster (tcp://HOST:PORT; needs the dask extra) "
                  "instead of local processes; same results.")


def command_line() -> str:
    """This command as typed, quoted for a shell (``wom …``; a byte of a file name that is
    not UTF-8 shown as U+FFFD: the command goes into UTF-8 reports)."""
    typed = "wom " + shlex.join(sys.argv[1:])
    return typed.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def load(path: Path, need: str | None = None, settings: tuple[str, ...] = ()) -> wom.Scenario:
    """The scenario file at `path` (a bad one raises :class:`~wom.ScenarioError`), with the
    ``--set`` `settings` applied.

    `need`: what the command does with its strategies ("run", "sweep", …); a scenario
    without any is then refused naming the file."""
    from wom.config.checks import suspicious

    sc = wom.load_scenario(path, settings)
    where = f"{path} with --set {' '.join(settings)}" if settings else str(path)
    for key, what in suspicious(sc):  # legal, probably a mistake: said, not refused
        with suppress(OSError):  # (said if stderr takes it: `2> /dev/full` stops nothing)
            click.echo(f"warning: {where}: {key}: {what}", err=True)
    if need is not None:
        sc.require_strategies(need, file=path)
    return sc


#: ``ctx.meta`` key: how to finish the work if it is stopped now (set by the sweep commands).
RESUME = "wom.resume"


def resumable(folder: Path, command: str = "sweep", what: str = "points") -> None:
    """Say that work stopped from now on is finished by ``wom COMMAND --resume FOLDER``
    (`what`: the pieces of work kept, e.g. points or trials)."""
    click.get_current_context().meta[RESUME] = (f"the {what} finished are kept: "
                                                f"wom {command} --resume {folder}")


def check_out(out: Path | None, what: str) -> None:
    """Refuse, before any work, an `out` folder that exists or cannot be created or written
    (``None``: a name wom chooses later)."""
    if out is None:
        return
    if out.exists() or out.is_symlink():  # (a link that leads nowhere exists too)
        raise wom.WomError(f"{out}: already exists{link_note(out)}; choose another --out "
                           f"({what} folders are never overwritten)")
    _writable_place(out, f"cannot create the {what} folder")


def check_folder_out(out: Path) -> None:
    """Refuse, before any drawing, a folder to draw into that is a link leading nowhere (a
    folder that exists is drawn into)."""
    if out.is_symlink() and not out.exists():
        raise wom.WomError(f"{out}: cannot be written{link_note(out)}")


def check_file_out(out: Path) -> None:
    """Refuse, before any drawing, an output file that cannot be written: a folder by that
    name, or a place under a file or not writable."""
    if out.is_dir():
        raise wom.WomError(f"{out}: is a folder; give a file name (e.g. {out / 'out.png'})")
    try:
        target = writable(out)  # (a link: the file it links to, written through)
    except OSError as err:
        raise wom.WomError(f"{out}: cannot be written: {err.strerror}") from None
    _writable_place(target, "cannot be written")


def check_picture_format(out: Path) -> None:
    """Refuse, before any drawing, a file name whose ending names no picture format."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    known = FigureCanvasAgg(Figure()).get_supported_filetypes()
    suffix = out.suffix.lower().lstrip(".")
    if suffix not in known:
        raise wom.WomError(f"{out}: {'no' if not suffix else f'.{suffix} is not a'} picture "
                           f"format; end the name with one of "
                           f"{', '.join('.' + k for k in sorted(known))}")


def _writable_place(out: Path, cannot: str) -> None:
    """Refuse `out` if the nearest existing folder above it is a file or not writable."""
    above = next(p for p in out.absolute().parents if p.exists())
    if not above.is_dir():
        raise wom.WomError(f"{out}: {cannot}, {above} is not a folder")
    if not os.access(above, os.W_OK | os.X_OK):
        raise wom.WomError(f"{out}: {cannot}, {above} is not writable")


class FilePath(click.Path):
    """A path that is not empty (``Path("")`` is the current folder: ``wom run ''`` said
    ``.: is a directory``)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("the path is empty", param, ctx)
        return super().convert(value, param, ctx)


def scenario_argument(required: bool = True) -> Callable[[Any], Any]:
    return click.argument("scenario", type=FilePath(path_type=Path), required=required)


def set_option[F: Callable[..., Any]](fn: F) -> F:
    return click.option(
        "--set", "settings", multiple=True, metavar="PATH=VALUE",
        help="Change one value of the scenario for this command, without editing the file "
             "(repeatable): a key path as --vary takes it, segments and strategies by name "
             "(segments.vets.references=0, strategies.focused.segment=vets, "
             "budget.total=80000).")(fn)


def workers_option[F: Callable[..., Any]](fn: F) -> F:
    return click.option("--workers", "-w", type=click.IntRange(min=1),
                        help="Local worker processes [default: all cores].")(fn)


def scheduler_option[F: Callable[..., Any]](fn: F) -> F:
    return click.option("--scheduler", metavar="tcp://HOST:PORT", help=SCHEDULER_HELP)(fn)


def format_option[F: Callable[..., Any]](fn: F) -> F:
    return click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]),
                        default="png", show_default=True, help="Format of the plots.")(fn)


def replicate_option[F: Callable[..., Any]](fn: F) -> F:
    return click.option("--replicate", "-r", type=click.IntRange(min=0), default=0,
                        show_default=True)(fn)


def max_people_option(default: int) -> Callable[[Any], Any]:
    return click.option("--max-people", type=click.IntRange(min=10), default=default,
                        show_default=True,
                        help="Bigger markets are drawn as a random sample of this many people.")


def resume_option(what: str) -> Callable[[Any], Any]:
    return click.option("--resume", "resume_dir",
                        type=FilePath(path_type=Path, file_okay=False),
                        help=f"Finish an interrupted {what} in this folder"
                             + (" (nothing done is rerun)." if what == "sweep" else "."))


#: Off a terminal, work that has run this long (seconds) reports each tenth done.
QUIET_SECONDS = 10.0


def progress_columns(unit: str) -> tuple[ProgressColumn, ...]:
    """The bar's columns: "run ━━━━ 1000/5000 replicates 0:00:07 elapsed, 0:00:25 left"."""
    return (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn(unit), TimeElapsedColumn(), TextColumn("elapsed,"),
            TimeRemainingColumn(), TextColumn("left"))


@contextmanager
def progress_bar(label: str, unit: str, total: int | None = None, *,
                 quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """Progress of `unit` on stderr and the callback that moves it: ``advance(done, total)``.

    On a terminal, a bar shown from the start, with the time spent and the time left; off a
    terminal (a log), a line at each tenth once the work has taken :data:`QUIET_SECONDS`
    (short work stays silent); `quiet`: nothing. It refreshes without a thread: the runner
    forks its worker processes.
    """
    console = Terminal(stderr=True)
    shown = not quiet and console.is_terminal
    if not quiet and numbacache.compiles_first:  # (else 20–60 s would pass in silence)
        numbacache.compiles_first = False
        with suppress(OSError):
            click.echo("note: this version of wom runs here for the first time: it compiles "
                       "its kernels first, once (a minute or two)", err=True)
    with Progress(*progress_columns(unit), console=console, disable=not shown,
                  transient=True, auto_refresh=False) as bar:
        task = bar.add_task(escape(label), total=total)
        bar.refresh()  # at once: a long run must not start silently
        t0, told = time.monotonic(), 0
        first: tuple[float, int] | None = None  # when the first work came in, and how much

        def advance(done: int, all_: int) -> None:
            nonlocal told, first
            checkpoint()  # a stop signal swallowed where it landed stops the work here
            bar.update(task, completed=done, total=all_, refresh=True)
            spent = time.monotonic() - t0
            if first is None and done > 0:
                first = (spent, done)
            tenth = 10 * done // max(all_, 1)
            if quiet or shown or spent < QUIET_SECONDS or tenth <= told or done <= 0:
                return
            told = tenth
            # The pace since the first work came in: what came before it (starting the
            # workers, compiling the kernels on a first run) is not paid again.
            since, before = (spent - first[0], done - first[1]) if first else (0.0, 0)
            left = (f", about {since * (all_ - done) / before:.0f} s left"
                    if before > 0 and done < all_ else "")
            with suppress(OSError):  # (progress is said if stderr takes it)
                click.echo(f"{label}: {done:,}/{all_:,} {unit} ({done / all_:.0%}) in "
                           f"{spent:.0f} s{left}", err=True)

        yield advance
