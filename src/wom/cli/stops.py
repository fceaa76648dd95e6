"""Stop signals: SIGTERM and SIGHUP stop a command as Ctrl-C does (exit 128 + the signal).

The handler raises :class:`Stopped` where the main thread is; if that lands where Python
swallows exceptions (a finaliser or a callback of a compiled library: "Exception ignored
in …"), the request is also kept, and the next checkpoint — each progress tick of long
work — raises it again.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Exit status of a command stopped by a signal: 128 + the signal's number (the shell's
#: convention: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
SIGNAL_EXIT = 128

#: The signals that stop a command like Ctrl-C does (SIGHUP: where the OS has it).
STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))

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
