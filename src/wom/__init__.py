"""wom: a word-of-mouth network simulator for go-to-market what-ifs.

The public API — everything the command line does is one of these calls::

    import wom
    sc = wom.load_scenario("scenarios/focused-vs-broad.yaml")
    results = wom.run(sc, replicates=200)
    found = wom.optimize(sc, trials=200)  # the plan the budget should buy, confirmed
    results.summary()                     # pandas DataFrame, one row per strategy
    wom.run(sc, customers="crm.csv")      # starting from today's customers
    folder = wom.save(results)            # results/<name>/<timestamp>/
    wom.plot_adoption(results, "adoption.png")

The sub-packages follow the data flow, each importing only those before it (a layer
contract in CI keeps it so; docs/developing.md)::

    errors → inputs → config → market → engine → campaign → store → experiment → inference
           → viz | abm → app | cli

They are imported here in that order, which also fills the registries of graph models,
strategy kinds and seeding rules before any scenario is validated.
"""

from __future__ import annotations

import itertools
import sys
from typing import TYPE_CHECKING, Any


def _stopped_while_starting(kind: type[BaseException], err: BaseException,
                            tb: Any, default: Any = sys.excepthook) -> None:
    """The ``wom`` command's last word on a Ctrl-C before it could handle one (while it
    imports, a second): a line, not a traceback (the exit status stays the interrupt's)."""
    if issubclass(kind, KeyboardInterrupt):
        sys.stderr.write("\nstopped (SIGINT) while starting: nothing was written\n")
    else:
        default(kind, err, tb)


def _the_command() -> bool:
    """Whether this process is the ``wom`` command (its script or ``python -m wom.cli``),
    not a notebook or a program importing wom."""
    me = sys.argv[0].replace("\\", "/") if sys.argv else ""
    given = sys.orig_argv  # (while ``-m`` imports the package, argv[0] is "-m")
    return me == "wom" or me.endswith("/wom") or any(
        pair == ("-m", "wom.cli") for pair in itertools.pairwise(given))


if _the_command():
    import signal

    from wom.errors import stop_while_starting

    sys.excepthook = _stopped_while_starting
    signal.signal(signal.SIGINT, stop_while_starting)  # (until the command starts: cli)

# isort: off
from wom.numbacache import configure  # noqa: E402

configure()  # before any kernel is defined: compiled kernels are keyed on the whole source

# The layers, in order (this also fills the registries before anything is validated).
from wom import inputs, config, market, engine, campaign, store  # noqa: E402
from wom import experiment, inference, viz  # noqa: E402
# isort: on
from wom.config import Scenario, json_schema, load_scenario, scenario_from_dict  # noqa: E402
from wom.errors import FitWarning, ScenarioError, WomError  # noqa: E402
from wom.experiment import Customers, load_customers, run  # noqa: E402
from wom.experiment.optimize import OptimizeResult, optimize  # noqa: E402
from wom.inference.fit import FitResult, fit  # noqa: E402
from wom.store import Results, RunFolder, read_run  # noqa: E402
from wom.version import __version__  # noqa: E402
from wom.viz import plot_adoption, plot_run, save, save_fit  # noqa: E402

if TYPE_CHECKING:
    from wom.abm import WomModel

__all__ = [
    "Customers", "FitResult", "FitWarning", "OptimizeResult", "Results", "RunFolder", "Scenario",
    "ScenarioError", "WomError", "WomModel", "__version__", "campaign", "config", "engine",
    "experiment", "fit", "inference", "inputs", "json_schema", "load_customers",
    "load_scenario", "market", "optimize",
    "plot_adoption", "plot_run", "read_run", "run", "save", "save_fit", "scenario_from_dict",
    "store", "viz",
]


def __getattr__(name: str) -> Any:
    # mesa is imported only by those who use the agent-based view.
    if name == "WomModel":
        from wom.abm import WomModel

        return WomModel
    raise AttributeError(f"module 'wom' has no attribute {name!r}")
