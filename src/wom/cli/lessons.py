"""The lesson library and the teaching app: list, new, app; and the scenario file's schema."""

from __future__ import annotations

from pathlib import Path

import click

import wom
from wom.cli.options import FilePath, load, scenario_argument, set_option


@click.command("app")
@scenario_argument(required=False)
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 lets other machines in (no password!).")
@click.option("--max-sessions", type=click.IntRange(1), default=20, show_default=True,
              help="Browser sessions served at once (each holds its own models, about "
                   "100 MB for the flagship); a page opened beyond says the app is busy.")
@set_option
def app_(scenario: Path | None, port: int, host: str, max_sessions: int,
         settings: tuple[str, ...]) -> None:
    """Start the teaching app: lesson scenarios in the browser.

    Sliders for the ideas, a strategy picker, the graph by segment and adoption curves,
    two strategies side by side; every lesson of `wom list` in its menu. Ctrl-C stops it."""
    from wom.app import serve
    from wom.experiment import check_memory

    if settings and scenario is None:
        raise wom.WomError("--set changes the scenario the app opens with: give SCENARIO too")
    if scenario is not None:
        # the app builds one market per panel: refuse one it cannot hold, up front
        check_memory(load(scenario, settings=settings), replicates=2)
    try:
        serve(scenario, settings=settings, host=host, port=port, max_sessions=max_sessions,
              announce=click.echo)
    except KeyboardInterrupt:
        # uvicorn has shut down and raised the signal again: exit 128 + its number
        click.echo("wom app: stopped")
        raise
    click.echo("wom app: stopped")


@click.command("list")
def list_() -> None:
    """List the lesson scenarios (copy one with `wom new`)."""
    from wom.config.library import list_scenarios, scenario_dir

    rows = list_scenarios()
    if not rows:
        click.echo(f"no scenarios in {scenario_dir()} (set WOM_SCENARIOS to a folder)")
        return
    width = max(len(n) for n, _, _ in rows)
    for name, description, _ in rows:
        click.echo(f"{name:<{width}}  {description}")


@click.command()
@click.argument("name")
@click.option("--from", "template", default="blank", show_default=True,
              help="blank: every block with its keys explained; or a lesson scenario to "
                   "copy, comments and all (see `wom list`).")
@click.option("--dir", "dest", type=FilePath(file_okay=False, path_type=Path),
              help="Folder to write NAME.yaml in [default: here].")
def new(name: str, template: str, dest: Path | None) -> None:
    """Start NAME.yaml from a blank template or a lesson."""
    from wom.config.library import new_scenario

    path = new_scenario(name, template, dest=dest)
    click.echo(f"wrote {path} — edit it, then: wom run {path}")


@click.command()
def schema() -> None:
    """Print the JSON Schema of scenario files.

    Editors (VS Code's YAML extension, for one) autocomplete scenario files with it."""
    click.echo(wom.json_schema())
