"""wom: a word-of-mouth network simulator for go-to-market what-ifs.

The public API — everything the command line does is one of these calls::

    import wom
    sc = wom.load_scenario("scenarios/focused-vs-broad.yaml")
    results = wom.run(sc, replicates=200)
    results.summary()                     # pandas DataFrame, one row per strategy
    folder = wom.save(results)            # results/<name>/<timestamp>/
    wom.plot_adoption(results, "adoption.png")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from wom.errors import ScenarioError, WomError
from wom.plots import plot_adoption, plot_run
from wom.results import Results, RunFolder, read_run
from wom.runner import run
from wom.scenario import Scenario, json_schema, load_scenario, scenario_from_dict

if TYPE_CHECKING:
    from wom.model import WomModel

__version__ = "0.1.0"
__all__ = [
    "Results", "RunFolder", "Scenario", "ScenarioError", "WomError", "WomModel", "json_schema",
    "load_scenario", "plot_adoption", "plot_run", "read_run", "run", "save",
    "scenario_from_dict",
]


def save(results: Results, out: Path | str | None = None, *, root: Path | str = "results",
         fmt: str = "png") -> Path:
    """Write a run folder (default ``results/<name>/<timestamp>/``, plots as `fmt`) and return
    its path."""
    import time

    from wom.results import new_run_dir, write_run

    if out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = new_run_dir(Path(root), results.scenario.name, stamp)
    return write_run(results, Path(out), fmt=fmt)


def __getattr__(name: str) -> Any:
    # mesa is imported only by those who use the agent-based view.
    if name == "WomModel":
        from wom.model import WomModel

        return WomModel
    raise AttributeError(f"module 'wom' has no attribute {name!r}")
