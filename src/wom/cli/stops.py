"""Stop signals: SIGTERM and SIGHUP stop a command as Ctrl-C does (exit 128 + the signal);
a standard output closed by its reader (``wom run … | head``) ends it quietly, as SIGPIPE
would.

The handler raises :class:`Stopped` where the main thread is; if that lands where Python
swallows exceptions (a finaliser or a callback of a compiled library: "Exception ignored
in …"), the request is also kept, and the next checkpoint — each progress tick of long
work — raises it again.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import click
from rich.console import Console

from wom.errors import EXIT_BAD_INPUT

#: Exit status of a command stopped by a signal: 128 + the signal's number (the shell's
#: convention: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
SIGNAL_EXIT = 128

#: The signals that stop a command like Ctrl-C does (SIGHUP: where the OS has it).
STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))

#: Exit status when standard output was closed by its reader: what SIGPIPE would give
#: (Python ignores SIGPIPE and raises BrokenPipeError instead).
PIPE_EXIT = SIGNAL_EXIT + 13

_requested: list[int] = []


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled like Ctrl-C (workers stopped, nothing half-written)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def handler(signum: int, frame: object) -> None:
    """The signal handler: keep the request, and stop here."""
    _requested.append(signum)
    raise Stopped(signum)


def requested() -> int | None:
    """The stop signal received during this command, if any."""
    return _requested[0] if _requested else None


def forget() -> None:
    """A new command starts: no stop requested."""
    _requested.clear()


def checkpoint() -> None:
    """Raise :class:`Stopped` if a stop was requested (and swallowed where it landed)."""
    signum = requested()
    if signum is not None:
        raise Stopped(signum)


@contextmanager
def deferred() -> Iterator[None]:
    """Ctrl-C and the stop signals wait for the end of the block, then stop the command: a
    folder being written (a few seconds) is finished rather than lost half-way."""
    if threading.current_thread() is not threading.main_thread():  # (tests in threads)
        yield
        return
    got: list[int] = []

    def keep(signum: int, frame: object) -> None:
        got.append(signum)

    kept = {s: signal.signal(s, keep) for s in (signal.SIGINT, *STOP_SIGNALS)}
    try:
        yield
    finally:
        for s, before in kept.items():
            signal.signal(s, before)
    if got:
        _requested.append(got[0])
        raise Stopped(got[0])


#: Attribute of a table that must be printed whole: the width it needs (columns of numbers).
WHOLE_WIDTH = "wom_whole_width"


#: The narrowest terminal wom's text is laid out for.
MIN_COLUMNS = 40


class Terminal(Console):
    """rich's console for wom's commands: a closed pipe is raised as BrokenPipeError, for
    :func:`closed_pipe` (rich's own answer is a silent exit status 1); a table of numbers
    wider than the terminal is printed whole (rich would cut its numbers short, ``63–7``
    for ``63–70``), its lines wrapped by the terminal. A terminal said to be narrower than
    :data:`MIN_COLUMNS` (``COLUMNS=0`` printed no footnotes, a fit no table) is taken as
    that wide."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.width < MIN_COLUMNS:
            self.width = MIN_COLUMNS

    def print(self, *objects: Any, **kwargs: Any) -> None:
        needed = max((getattr(o, WHOLE_WIDTH, 0) for o in objects), default=0)
        if needed <= self.width:
            super().print(*objects, **kwargs)
            return
        kept = self.width
        self.width = needed
        try:
            super().print(*objects, **{**kwargs, "crop": False})
        finally:
            self.width = kept

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def quiet_stdout() -> None:
    """Standard output goes to /dev/null from now on: what could not be written there is
    not tried again as Python exits ("Exception ignored … BrokenPipeError")."""
    with suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def closed_pipe() -> click.exceptions.Exit:
    """Standard output was closed by its reader (``wom run … | head``): the exit, with
    SIGPIPE's status and nothing said (the reader wanted no more; files are complete: a run
    folder is written before its summary is printed)."""
    quiet_stdout()
    return click.exceptions.Exit(PIPE_EXIT)


def on_stdout(err: OSError) -> bool:
    """Whether `err` was raised writing to standard output: by ``click.echo`` (its `file`)
    or a rich console's (a failed write is not kept, so it cannot be tried again)."""
    tb = err.__traceback__
    while tb is not None:
        local = tb.tb_frame.f_locals
        owner = local.get("self")
        streams = (local.get("file"), owner.file if isinstance(owner, Console) else None)
        if any(s is not None and s is sys.stdout for s in streams):
            return True
        tb = tb.tb_next
    return False


def unwritable(err: OSError) -> click.exceptions.Exit:
    """A write that failed outside wom's own files (e.g. standard output on a full disk, ``>
    /dev/full``): ``error: …`` naming where, and exit status 2."""
    name = str(err.filename) if err.filename else ""
    if ".partial-" in name:  # (a folder being written: named by the file, not its temporary)
        name = os.path.basename(name)
    where = f": {name}" if name else ""
    if not where and on_stdout(err):
        where = " (writing to standard output)"
        quiet_stdout()
    with suppress(OSError):
        click.echo(f"error: {err.strerror or err}{where}", err=True)
    return click.exceptions.Exit(EXIT_BAD_INPUT)


#: What wom's text says with characters an ASCII terminal (``LANG=C`` without Python's UTF-8
#: mode, ``PYTHONIOENCODING=ascii``) cannot show; any other is written as Python escapes it
#: (``é`` as ``\xe9``: a name the user typed stays unambiguous).
PLAIN = {"–": "-", "—": "-", "−": "-", "─": "-", "━": "-", "×": "x", "≤": "<=", "≥": ">=",
         "…": "...", "±": "+/-", "→": "->", "·": "*", "’": "'", "‘": "'", "“": '"', "”": '"',
         "β": "beta", "ρ": "rho", "α": "alpha", "γ": "gamma", "²": "^2", "∝": "~",
         "∈": " in ", "≠": "!=", "√": "sqrt", "÷": "/", "§": "section "}
#: A negative number ends here / a number begins here (around a range's dash).
_NEGATIVE_BEFORE = re.compile(r"[-−][\d.,]*\d$")
_NUMBER_AFTER = re.compile(r"[-−+]?\d")


def _plain(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    text, out = err.object, []
    for i in range(err.start, err.end):
        c = text[i]
        # a range with a negative end reads "-503.5 to -287.5" or "-45.9 to 652.9", never
        # "-503.5--287.5" or "-45.9-652.9"
        if c == "–" and _NUMBER_AFTER.match(text, i + 1) and (
                text[i + 1] in "-−" or _NEGATIVE_BEFORE.search(text, max(0, i - 40), i)):
            out.append(" to ")
        else:
            out.append(PLAIN.get(c) or c.encode("ascii", "backslashreplace").decode("ascii"))
    return "".join(out), err.end


def plain_output() -> bool:
    """Whether standard output is an ASCII terminal's (:func:`plain_streams`)."""
    return getattr(sys.stdout, "encoding", None) == PLAIN_CODEC


def as_shown(rows: list[list[str]]) -> list[list[str]]:
    """A table's cells as standard output will show them, so that the table is laid out
    with what is printed (on an ASCII terminal "-26,594–-22,818" is printed "-26,594 to
    -22,818", three characters wider than the column rich measured)."""
    if not plain_output():
        return rows
    return [[cell.encode(PLAIN_CODEC).decode("ascii") for cell in row] for row in rows]


class _PlainEncoder(codecs.IncrementalEncoder):
    def encode(self, text: str, final: bool = False) -> bytes:
        return text.encode("ascii", PLAIN_CODEC)


def _plain_codec(name: str) -> codecs.CodecInfo | None:
    """ASCII, with wom's dashes and signs written plainly: an encoding of its own, so that
    click (which takes an ASCII stream for a misconfigured UTF-8 one and writes UTF-8 to it
    anyway) writes its lines through it as rich does."""
    if name != PLAIN_CODEC.replace("-", "_"):
        return None
    ascii_codec = codecs.lookup("ascii")
    return codecs.CodecInfo(lambda text, errors="strict": (_PlainEncoder().encode(text),
                                                           len(text)),
                            ascii_codec.decode, name=PLAIN_CODEC,
                            incrementalencoder=_PlainEncoder,
                            incrementaldecoder=ascii_codec.incrementaldecoder)


#: The encoding of a standard stream that cannot encode wom's text (:func:`plain_streams`).
PLAIN_CODEC = "wom-plain"
codecs.register_error(PLAIN_CODEC, _plain)
codecs.register(_plain_codec)


def plain_streams() -> None:
    """Standard output and error that cannot encode wom's dashes and signs (an ASCII
    locale) write them plainly ("63-70", "x") instead of raising UnicodeEncodeError, the
    lines click writes included."""
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper):  # (closed, or replaced: left as it is)
            continue
        try:
            "–×─".encode(stream.encoding)
        except UnicodeEncodeError:
            with suppress(ValueError):
                stream.reconfigure(encoding=PLAIN_CODEC, errors="strict")
        except LookupError:
            pass
