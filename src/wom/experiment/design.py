"""The points of a sweep (every combination of the values, or a Latin hypercube) and what one
point yields: a full run of the scenario with the point's values, as per-replicate rows."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from wom.config import METRIC_NAMES, Scenario, apply
from wom.config.keys import Value, Vary
from wom.errors import WomError
from wom.experiment.runner import run

DESIGNS = ("grid", "lhs")
#: Most points a sweep may have (a typo such as 0:1:5000 twice must not fill the memory).
MAX_POINTS = 1_000_000


def points(varies: Sequence[Vary], design: str = "grid", n: int | None = None,
           seed: int = 0) -> list[dict[str, Value]]:
    """The points of a sweep: the cartesian product (grid) or a Latin hypercube of `n`."""
    paths = [v.path for v in varies]
    if len(set(paths)) != len(paths):
        raise WomError("a parameter is varied twice")
    if not varies:
        raise WomError("nothing to vary")
    if design == "grid":
        size = math.prod(len(v.values) for v in varies)
        if size > MAX_POINTS:
            raise WomError(f"the grid has {size:,} points ("
                           + " × ".join(str(len(v.values)) for v in varies)
                           + f"); the limit is {MAX_POINTS:,}: fewer values, or a Latin "
                           "hypercube (design lhs) of fewer points")
        return [dict(zip(paths, combo, strict=True))
                for combo in itertools.product(*(v.values for v in varies))]
    if design != "lhs":
        raise WomError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")
    if n is None or n < 1 or n > MAX_POINTS:
        raise WomError(f"a Latin hypercube design needs its number of points, 1 to "
                       f"{MAX_POINTS:,}")
    for v in varies:
        if v.range is None:
            raise WomError(f"{v.path}: a Latin hypercube needs a numeric range LO:HI:N, not "
                           "a list of values")
    rng = np.random.default_rng(seed)
    cols: list[list[Value]] = []
    for v in varies:
        assert v.range is not None
        lo, hi = v.range
        u = (rng.permutation(n) + rng.random(n)) / n
        if v.integer:  # every whole number of [lo, hi] equally likely (not rounding, which
            # would give the two ends half the weight of the others)
            cols.append([min(int(np.floor(lo + a * (hi - lo + 1))), int(hi)) for a in u])
        else:
            cols.append([float(lo + a * (hi - lo)) for a in u])
    return [dict(zip(paths, row, strict=True)) for row in zip(*cols, strict=True)]



def describe_point(point: dict[str, Value]) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items())


def point_error(point: dict[str, Value], err: WomError) -> WomError:
    # A point's scenario has no file: "<scenario>: " would only add noise.
    return WomError(f"sweep point {describe_point(point)}: "
                    + str(err).replace("<scenario>: ", ""))


def _none_if_nan(x: Any) -> Any:
    x = float(x)
    return None if math.isnan(x) else x


Rows = list[tuple[Any, ...]]


def point_rows(sc: Scenario, point: dict[str, Value], replicates: int,
               workers: int | None = 1) -> Rows:
    """One point's per-replicate rows: ``(strategy, replicate, *METRIC_NAMES)``.

    Depends only on the scenario, the point and the seed: a Dask worker computes the same
    rows as a local process.
    """
    try:
        res = run(apply(sc, point, keep_uncertainty=True), replicates=replicates,
                  workers=workers)
    except WomError as err:
        raise point_error(point, err) from None
    return [(str(r.strategy), int(r.replicate),
             *(_none_if_nan(getattr(r, m)) for m in METRIC_NAMES))
            for r in res.per_replicate().itertuples(index=False)]
