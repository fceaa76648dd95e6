"""The ``wom`` command: a thin layer over the public API (see :mod:`wom`).

Every command is one call of the API. Commands raise :class:`~wom.errors.WomError`; the
group turns it into ``error: …`` on stderr and the error's exit status (2: bad input), in
one place (:class:`WomGroup`), without a traceback.
"""

from __future__ import annotations

from typing import IO, Any

import click

from wom.cli.fits import fit
from wom.cli.lessons import app_, list_, new, schema
from wom.cli.runs import animate, plot, report, run, snapshot, validate
from wom.cli.sweeps import sensitivity, sweep
from wom.errors import WomError
from wom.version import __version__


class UserError(click.ClickException):
    """A :class:`~wom.errors.WomError` on its way out of a command: shown without a
    traceback, with its own exit status."""

    def __init__(self, err: WomError) -> None:
        super().__init__(str(err))
        self.exit_code = err.exit_code  # type: ignore[misc]  # per error, not per class

    def show(self, file: IO[Any] | None = None) -> None:
        text = self.format_message()
        click.echo(f"error: {text}" if "\n" not in text else f"error:\n{text}", err=True)


class WomGroup(click.Group):
    """The command group: the one place a command's :class:`WomError` becomes its exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WomError as err:
            raise UserError(err) from None


@click.group(cls=WomGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wom")
def main() -> None:
    """wom — word-of-mouth network simulator for go-to-market what-ifs."""


for command in (run, validate, plot, report, snapshot, animate, sweep, sensitivity, fit, app_,
                list_, new, schema):
    main.add_command(command)

__all__ = ["UserError", "WomGroup", "main"]
