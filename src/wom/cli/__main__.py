"""``python -m wom.cli``: the ``wom`` command."""

from wom.cli import command

command()
