"""A run folder with everything in it: the tables, every plot and the report, written at once.

:func:`save` is what ``wom run`` and ``wom.save`` do: :func:`wom.store.write_run` writes the
tables into a hidden folder, this adds the plots and the report before it is renamed into
place, so a run folder appears complete or not at all.
"""

from __future__ import annotations

from pathlib import Path

from wom.experiment.optimize import OptimizeResult
from wom.inference.fit import FitResult
from wom.store import Results, new_run_dir, started_stamp, write_run
from wom.viz.fits import save_fit
from wom.viz.optimize import write_optimize
from wom.viz.plots import start_plots
from wom.viz.report import write_report


def save(results: Results | OptimizeResult | FitResult, out: Path | str | None = None, *,
         root: Path | str = "results", fmt: str = "png") -> Path:
    """Write a run folder (default ``results/<name>/<timestamp>/``, plots as `fmt`) and return
    its path; a fit's or a search's result, their folders (:func:`~wom.viz.fits.save_fit`,
    ``optimize-<timestamp>/``: best.yaml, trials.csv, … beside the store of a search kept in
    `out`)."""
    if isinstance(results, FitResult):
        return save_fit(results, out, root=root)
    fresh = out is None  # a name wom chose: another run may take it first
    if isinstance(results, OptimizeResult):
        if out is None:
            out = new_run_dir(Path(root), results.scenario.name,
                              started_stamp(results.meta, "optimize-%Y%m%d-%H%M%S"))
        return write_optimize(results, out, fresh=fresh)
    if out is None:
        stamp = started_stamp(results.meta)  # (when the run started, as a sweep's folder)
        out = new_run_dir(Path(root), results.scenario.name, stamp)
    workers = results.meta.get("workers", 1)  # as many as the run had, to draw the plots
    with results.kept():  # the tables are asked for by each plot, the CSVs and the report
        results.timeseries(), results.comparison()  # (before the plots' workers fork)
        return write_run(
            results, Path(out), fresh=fresh,
            plots=lambda folder: start_plots(results, folder, fmt=fmt,
                                             workers=workers if isinstance(workers, int) else 1),
            report=lambda folder: write_report(folder, command=results.meta.get("command")),
        )
