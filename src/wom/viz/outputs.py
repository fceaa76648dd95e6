"""A run folder with everything in it: the tables, every plot and the report, written at once.

:func:`save` is what ``wom run`` and ``wom.save`` do: :func:`wom.store.write_run` writes the
tables into a hidden folder, this adds the plots and the report before it is renamed into
place, so a run folder appears complete or not at all.
"""

from __future__ import annotations

import time
from pathlib import Path

from wom.store import Results, new_run_dir, write_run
from wom.viz.plots import plot_run
from wom.viz.report import write_report


def save(results: Results, out: Path | str | None = None, *, root: Path | str = "results",
         fmt: str = "png") -> Path:
    """Write a run folder (default ``results/<name>/<timestamp>/``, plots as `fmt`) and return
    its path."""
    fresh = out is None  # a name wom chose: another run may take it first
    if out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = new_run_dir(Path(root), results.scenario.name, stamp)
    return write_run(
        results, Path(out), fresh=fresh,
        plots=lambda folder: plot_run(results, folder, fmt=fmt),
        report=lambda folder: write_report(folder, command=results.meta.get("command")),
    )
