"""Global sensitivity: which parameters move an outcome, over their whole ranges (SALib).

A Sobol (Saltelli) or Morris design over the parameters' ranges is run as a sweep (the same
SQLite store, so it resumes and runs on Dask like any sweep); the outcome at each design
point is the mean over replicates of one metric of one strategy, or the paired advantage
of one strategy over another. SALib then estimates the indices:

- **Sobol**: ``S1`` (the share of the outcome's variance a parameter explains alone) and
  ``ST`` (alone and through its interactions), with bootstrap 95% intervals. Costs
  ``n·(k+2)`` runs for ``k`` parameters; `n` must be a power of two.
- **Morris**: ``mu_star`` (mean absolute elementary effect: how much the outcome moves when
  the parameter steps across its range) and ``sigma`` (how much that effect depends on the
  other parameters), with a bootstrap interval on ``mu_star``. Costs ``n·(k+1)`` runs; a
  cheap screening.

Parameters whose bounds are both whole numbers (``references=0:3``) take whole values, each
equally likely: the design samples ``[lo, hi + 1)`` and the run takes the whole part. Every
point runs with the scenario's seed, so the design's points share their random numbers
(common random numbers), which keeps replicate noise from posing as sensitivity.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wom.config import METRIC_NAMES, Scenario
from wom.config.keys import KEY_PATH, Value, Vary
from wom.errors import WomError
from wom.experiment.sweep import DB, Scheduler, SweepProgress, read_meta, start
from wom.store import replace_whole

METHODS = ("sobol", "morris")
#: ``advantage``: the paired difference in customers, strategy − vs.
OUTPUTS = ("advantage", *METRIC_NAMES)
CSV = "sensitivity.csv"
MORRIS_LEVELS = 4


@dataclass(frozen=True)
class Param:
    """A parameter's range: ``path=lo:hi``."""

    path: str
    lo: float
    hi: float
    integer: bool = False


def parse_param(text: str) -> Param:
    """``path=lo:hi``; whole-number bounds make a whole-number parameter."""
    def bad(why: str) -> WomError:
        return WomError(f"--param {text!r}: {why}")

    path, eq, spec = (s.strip() for s in text.partition("="))
    if not eq:
        raise bad("expected PATH=LO:HI")
    if not KEY_PATH.match(path):
        raise bad(f"{path!r} is not a dotted key path (like network.mixing)")
    parts = [p.strip() for p in spec.split(":")]
    if len(parts) != 2:
        raise bad("a range is LO:HI")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise bad("LO and HI must be numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise bad("LO and HI must be finite")
    if not lo < hi:
        raise bad("LO must be below HI")
    integer = all(re.fullmatch(r"[+-]?\d+", p) for p in parts)
    return Param(path, lo, hi, integer)


def _problem(params: Sequence[Param]) -> dict[str, Any]:
    # A whole-number parameter is sampled on [lo, hi + 1) and floored (see _point), so each
    # whole number is equally likely; rounding [lo, hi] would halve the ends' weight.
    return {"num_vars": len(params), "names": [p.path for p in params],
            "bounds": [[p.lo, p.hi + 1 if p.integer else p.hi] for p in params]}


def design(params: Sequence[Param], method: str, n: int, seed: int) -> np.ndarray:
    """The SALib sample matrix (one row per run, one column per parameter)."""
    if not params:
        raise WomError("give at least one --param")
    if len({p.path for p in params}) != len(params):
        raise WomError("a parameter is given twice")
    if method == "sobol":
        if n < 2 or n & (n - 1):
            raise WomError(f"--n {n}: Sobol needs a power of two (e.g. 64, 128, 256)")
        from SALib.sample import sobol

        return np.asarray(sobol.sample(_problem(params), n, calc_second_order=False,
                                       seed=seed))
    if method == "morris":
        if n < 2:
            raise WomError(f"--n {n}: Morris needs at least 2 trajectories")
        from SALib.sample import morris

        return np.asarray(morris.sample(_problem(params), n, num_levels=MORRIS_LEVELS,
                                        seed=seed))
    raise WomError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def _point(params: Sequence[Param], row: np.ndarray) -> dict[str, Value]:
    return {p.path: min(int(np.floor(x)), int(p.hi)) if p.integer else float(x)
            for p, x in zip(params, row, strict=True)}


def run_sensitivity(sc: Scenario, params: Sequence[Param], out_dir: Path | str, *,
                    method: str = "sobol", n: int = 64, replicates: int | None = None,
                    output: str = "customers", strategy: str | None = None,
                    vs: str | None = None, workers: int | None = 1,
                    scheduler: Scheduler | None = None,
                    progress: SweepProgress | None = None, fresh: bool = False,
                    claimed: Callable[[Path], None] | None = None) -> Path:
    """Run a Sobol or Morris design into ``out_dir/sweep.sqlite`` (`fresh`, `claimed`: as for
    :func:`~wom.experiment.sweep.run_sweep`) and return the folder; read the indices with
    :func:`indices`. `output` is a metric of `strategy` (default: the first) or
    ``"advantage"``: customers of `strategy` − customers of `vs` (default: the second)."""
    if output not in OUTPUTS:
        raise WomError(f"unknown output {output!r}; choose one of {', '.join(OUTPUTS)}")
    a = sc.strategy(strategy).name
    b = None
    if output == "advantage":
        if vs is None:
            others = [s.name for s in sc.strategies if s.name != a]
            if not others:
                raise WomError("the advantage needs two strategies; the scenario has one")
            vs = others[0]
        b = sc.strategy(vs).name
        if b == a:
            raise WomError(f"the advantage of {a!r} over itself is zero")
    X = design(params, method, n, sc.seed)
    reps = replicates or sc.replicates
    varies = [Vary(p.path, (), (p.lo, p.hi), p.integer) for p in params]
    spec = {"method": method, "n": n, "output": output, "strategy": a, "vs": b,
            "params": [p.__dict__ for p in params], "X": X.tolist()}
    return start(out_dir, sc, [_point(params, row) for row in X], varies, reps,
                 {"design": method, "n": json.dumps(n), "sensitivity": json.dumps(spec)},
                 workers=workers, scheduler=scheduler, progress=progress, fresh=fresh,
                 claimed=claimed)


def analysis_spec(out_dir: Path | str, output: str | None = None) -> dict[str, Any]:
    """What a sensitivity folder analyses (method, output, strategies, design), with
    `output` in place of the one it was run for (every metric of every replicate is kept)."""
    _, _, meta = read_meta(out_dir)
    if "sensitivity" not in meta:
        raise WomError(f"{out_dir} holds a sweep, not a sensitivity analysis")
    spec: dict[str, Any] = json.loads(meta["sensitivity"])
    if output is not None and output != spec["output"]:
        # Another output of the same runs: every metric of every replicate is stored.
        if output not in OUTPUTS:
            raise WomError(f"unknown output {output!r}; choose one of {', '.join(OUTPUTS)}")
        spec["output"] = output
        if output == "advantage" and spec["vs"] is None:
            sc, _, _ = read_meta(out_dir)
            others = [s.name for s in sc.strategies if s.name != spec["strategy"]]
            if not others:
                raise WomError("the advantage needs two strategies; the scenario has one")
            spec["vs"] = others[0]
        elif output != "advantage":
            spec["vs"] = None
    return spec


def outcomes(out_dir: Path | str, output: str | None = None) -> np.ndarray:
    """The outcome at every row of the design (mean over replicates), in design order."""
    spec = analysis_spec(out_dir, output)
    params = [Param(**p) for p in spec["params"]]
    metric = "customers" if spec["output"] == "advantage" else spec["output"]
    with closing(sqlite3.connect(Path(out_dir) / DB)) as conn:
        per = pd.read_sql_query(
            f"SELECT p.params_json, r.strategy, r.replicate, r.{metric} AS y FROM results r "
            "JOIN points p ON p.id = r.point_id WHERE p.done = 1", conn)
    value: dict[str, float] = {}
    for key, d in per.groupby("params_json", sort=False):
        ya = d[d.strategy == spec["strategy"]].set_index("replicate").y.astype(float)
        if spec["vs"] is None:
            value[str(key)] = float(ya.mean())
        else:
            yb = d[d.strategy == spec["vs"]].set_index("replicate").y.astype(float)
            value[str(key)] = float((ya - yb).mean())
    Y = []
    for row in np.asarray(spec["X"], dtype=float):
        key = json.dumps(_point(params, row))
        if key not in value:
            raise WomError(f"{out_dir}: the sweep is unfinished (resume it: "
                           f"wom sensitivity --resume {out_dir})")
        Y.append(value[key])
    Yarr = np.asarray(Y, dtype=float)
    if not np.isfinite(Yarr).all():
        raise WomError(f"the output {spec['output']!r} is undefined at some design points "
                       "(e.g. weeks to ignite where nothing ignites); analyse another output "
                       f"of the same runs: wom sensitivity --resume {out_dir} --output "
                       "customers")
    return Yarr


def indices(out_dir: Path | str, output: str | None = None) -> pd.DataFrame:
    """One row per parameter: Sobol ``S1, S1_conf, ST, ST_conf`` or Morris ``mu_star,
    mu_star_conf, sigma, mu`` (``_conf``: half-width of the 95% bootstrap interval)."""
    spec = analysis_spec(out_dir, output)
    sc, _, _ = read_meta(out_dir)
    params = [Param(**p) for p in spec["params"]]
    problem = _problem(params)
    Y = outcomes(out_dir, output)
    if np.ptp(Y) == 0:
        raise WomError(f"the output {spec['output']!r} is the same at every design point: "
                       "nothing to attribute (widen the ranges or choose another output)")
    if spec["method"] == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(problem, Y, calc_second_order=False, seed=sc.seed)
        cols = ["S1", "S1_conf", "ST", "ST_conf"]
    else:
        from SALib.analyze import morris

        res = morris.analyze(problem, np.asarray(spec["X"], dtype=float), Y,
                             num_levels=MORRIS_LEVELS, seed=sc.seed)
        cols = ["mu_star", "mu_star_conf", "sigma", "mu"]
    df = pd.DataFrame({c: np.asarray(res[c], dtype=float) for c in cols})
    df.insert(0, "parameter", problem["names"])
    return df


def too_wide(table: pd.DataFrame) -> float | None:
    """The widest interval's half-width when the indices of :func:`indices` say little:
    a Sobol interval of ±0.5 spans the whole scale of a share of variance, and a Morris
    interval of half the largest ``mu_star`` cannot rank the parameters; else ``None``."""
    if "S1" in table.columns:
        widest = float(max(table.S1_conf.max(), table.ST_conf.max()))
        return widest if widest >= 0.5 else None
    widest = float(table.mu_star_conf.max())
    return widest if widest >= 0.5 * float(table.mu_star.abs().max()) else None


def describe_output(out_dir: Path | str, output: str | None = None) -> str:
    spec = analysis_spec(out_dir, output)
    if spec["output"] == "advantage":
        return f"{spec['strategy']} − {spec['vs']} customers"
    return f"{spec['output']} of {spec['strategy']}"


def export_csv(out_dir: Path | str, output: str | None = None) -> Path:
    path = Path(out_dir) / CSV
    table = indices(out_dir, output)
    # an earlier good file is never left half-rewritten
    return replace_whole(path, lambda tmp: table.to_csv(tmp, index=False, float_format="%.6g"))
