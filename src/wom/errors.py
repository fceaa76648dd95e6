"""Errors a user can act on: each names the file, the key or line, and what is wrong.

Every error class carries the exit status the command line gives it (:attr:`WomError.exit_code`);
the command line catches them in one place (:mod:`wom.cli`) and never prints a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Exit status of a command refused for bad input (a scenario, a file, an option).
EXIT_BAD_INPUT = 2


class WomError(Exception):
    """Base class of the errors wom reports to users without a traceback."""

    #: Exit status of the ``wom`` command that stops on this error.
    exit_code: int = EXIT_BAD_INPUT


@contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Name `path` in an OSError raised while writing it that names no file (a full disk
    fails a write or a close, and neither error says which file)."""
    try:
        yield
    except OSError as err:
        if err.filename is not None:
            raise
        raise OSError(err.errno, err.strerror or str(err), str(path)) from None


def failed_write(err: OSError) -> str:
    """Why a folder could not be written, without the name of the hidden temporary it was
    being written in (``.NAME.0.partial-HOST-PID``, which the user never sees): the system's
    reason, and the file it was writing if it has a name of its own."""
    name = Path(err.filename).name if isinstance(err.filename, str) else ""
    reason = err.strerror or str(err)
    return f"{reason} (writing {name})" if name and ".partial-" not in name else reason


class FitWarning(UserWarning):
    """What a fit found that its user should know (:func:`wom.fit`: a fit range deciding an
    estimate, ABC not converged, data the model does not reproduce); ``wom fit`` prints
    them, and they are kept in ``FitResult.diagnostics["warnings"]``."""


class ScenarioError(WomError):
    """A scenario file that cannot be run.

    Parameters
    ----------
    file
        The scenario file (or ``None`` for a scenario built in Python).
    problems
        ``(key_path, line, message)`` triples; ``line`` is 1-based or ``None``.
    """

    def __init__(self, file: Path | str | None, problems: list[tuple[str, int | None, str]]):
        self.file = None if file is None else Path(file)
        self.problems = problems
        super().__init__(self.render())

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its arguments, not its message: errors cross from worker processes.
        return (type(self), (self.file, self.problems))

    def render(self) -> str:
        """One line per problem: ``file:line: key.path: what is wrong``."""
        where = str(self.file) if self.file is not None else "<scenario>"
        lines = []
        for key, line, message in self.problems:
            loc = f"{where}:{line}" if line is not None else where
            lines.append(f"{loc}: {key}: {message}" if key else f"{loc}: {message}")
        return "\n".join(lines)


class UnknownStrategyError(WomError, ValueError):
    """A strategy name the scenario does not have."""


def interrupt_in(err: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or stop signal behind `err`, however deep in its chain of causes (numba
    wraps it in one SystemError per compiled call it crossed)."""
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def stop_while_starting(signum: int, frame: Any) -> None:
    """The ``wom`` command's Ctrl-C while it starts (its imports, a second, before it can
    handle one): a line, and out at once with the interrupt's status, nothing written yet.
    (Left to a KeyboardInterrupt, one raised inside an import's weakref callback was
    swallowed by Python, and the command went on to the end.)"""
    try:
        sys.stderr.write("\nstopped (SIGINT) while starting: nothing was written\n")
        sys.stderr.flush()
    finally:
        os._exit(128 + signum)
