"""The ``wom`` command: a thin layer over the public API (see :mod:`wom`).

Every command is one call of the API. Commands raise :class:`~wom.errors.WomError`; the
group turns it into ``error: …`` on stderr and the error's exit status (2: bad input), in
one place (:class:`WomGroup`), without a traceback.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from typing import IO, Any

import click

from wom.cli.fits import fit
from wom.cli.lessons import app_, list_, new, schema
from wom.cli.optimize import optimize
from wom.cli.options import RESUME
from wom.cli.runs import animate, plot, report, run, snapshot, validate
from wom.cli.stops import (
    SIGNAL_EXIT,
    STOP_SIGNALS,
    checkpoint,
    closed_pipe,
    forget,
    handler,
    plain_streams,
    unwritable,
)
from wom.cli.sweeps import sensitivity, sweep
from wom.errors import EXIT_BAD_INPUT, WomError, interrupt_in, stop_while_starting
from wom.experiment.pool import freeze_for_good
from wom.version import __version__


class UserError(click.ClickException):
    """A :class:`~wom.errors.WomError` on its way out of a command: shown without a
    traceback, with its own exit status."""

    def __init__(self, err: WomError) -> None:
        super().__init__(str(err))
        self.exit_code = err.exit_code  # type: ignore[misc]  # per error, not per class

    def show(self, file: IO[Any] | None = None) -> None:
        text = self.format_message()
        with suppress(OSError):  # (stderr full: the exit status still says it)
            click.echo(f"error: {text}" if "\n" not in text else f"error:\n{text}", err=True)




@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Stopped` in the main thread while a command runs."""
    if threading.current_thread() is not threading.main_thread():  # (tests in threads)
        yield
        return
    kept = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, before in kept.items():
            signal.signal(s, before)


class WomGroup(click.Group):
    """The command group: the one place a command's :class:`WomError` becomes its exit, and
    an interrupt (Ctrl-C, SIGTERM, SIGHUP) exit status 128 + the signal's number."""

    def invoke(self, ctx: click.Context) -> Any:
        forget()
        try:
            with stopped_by_signals():
                done = super().invoke(ctx)
                checkpoint()  # a stop that landed where Python swallowed it: said now
                return done
        except WomError as err:
            raise UserError(err) from None
        except SystemError as err:  # Ctrl-C inside a compiled kernel surfaces as this
            stop = interrupt_in(err)
            if stop is None:
                raise
            return self.stopped(getattr(stop, "signum", int(signal.SIGINT)),
                                ctx.meta.get(RESUME))
        except KeyboardInterrupt as stop:
            return self.stopped(getattr(stop, "signum", int(signal.SIGINT)),
                                ctx.meta.get(RESUME))
        except BrokenProcessPool:  # a worker killed (the OOM killer, kill -9)
            resume = ctx.meta.get(RESUME)
            with suppress(OSError):
                click.echo("error: a worker process died (killed, or out of memory?)"
                           f"{f'; {resume}' if resume else ''}", err=True)
            raise click.exceptions.Exit(1) from None
        except BrokenPipeError:  # stdout closed by its reader: `wom run … | head`
            raise closed_pipe() from None
        except OSError as err:  # e.g. stdout on a full disk (> /dev/full)
            raise unwritable(err) from None

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        """The group's own options (``--help``, ``--version``) print here, before
        :meth:`invoke`: a write they cannot make ends as in a command."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError:
            raise closed_pipe() from None
        except OSError as err:
            raise unwritable(err) from None

    @staticmethod
    def stopped(signum: int, resume: str | None = None) -> Any:
        """Leave with 128 + `signum` and a plain line (the work was stopped); `resume`:
        what was kept and the command that finishes it (a sweep's stored points, a search's
        trials)."""
        after = (f"; {resume}" if resume else
                 ": nothing half-written was left")
        with suppress(OSError):  # (after SIGHUP the terminal may be gone)
            click.echo(f"\nstopped ({signal.Signals(signum).name}){after}", err=True)
        raise click.exceptions.Exit(SIGNAL_EXIT + signum) from None


class Notes(logging.Handler):
    """wom's log records on stderr as ``note: …`` (whatever stderr is at the time)."""

    def emit(self, record: logging.LogRecord) -> None:
        with suppress(OSError):
            click.echo(f"note: {record.getMessage()}", err=True)


@click.group(cls=WomGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wom")
def main() -> None:
    """wom — word-of-mouth network simulator for go-to-market what-ifs."""
    try:
        import matplotlib
    except ValueError as err:  # (only in a process of its own does `command` drop it)
        raise WomError(f"MPLBACKEND={os.environ.get('MPLBACKEND')!r}: not a matplotlib "
                       "back-end (wom needs none: unset it)") from err

    from wom.viz.style import LITERAL

    matplotlib.rcParams.update(LITERAL)  # names drawn as written, "$" and all
    notes = logging.getLogger("wom")  # what long steps say (Louvain on a big graph, …)
    if not any(isinstance(h, Notes) for h in notes.handlers):
        notes.addHandler(Notes())
        notes.setLevel(logging.INFO)


for sub in (run, validate, plot, report, snapshot, animate, sweep, sensitivity, fit, app_,
            list_, new, schema, optimize):
    main.add_command(sub)


def command() -> None:
    """The ``wom`` command as a process of its own (the console script, ``python -m
    wom.cli``): :func:`main`, with what lives until the process ends left out of Python's
    garbage collections."""
    # started: a Ctrl-C is a KeyboardInterrupt again, which each command handles
    if signal.getsignal(signal.SIGINT) is stop_while_starting:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    freeze_for_good()  # (only here: a process that goes on after a command keeps them)
    # wom draws on its own canvases, never through a matplotlib back-end: the variable that
    # names one plays no part, and matplotlib would refuse a name it does not know as it is
    # imported (`wom list` included)
    os.environ.pop("MPLBACKEND", None)
    plain_streams()
    if sys.stdout is None:  # `>&-`: what wom says would go nowhere, with exit status 0
        with suppress(OSError):
            click.echo("error: Bad file descriptor (standard output is closed: give wom "
                       "a file, or /dev/null)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        main()
    except OSError:  # click could not show its own message (a usage error, `2> /dev/full`)
        sys.exit(EXIT_BAD_INPUT)


__all__ = ["UserError", "WomGroup", "command", "main"]
