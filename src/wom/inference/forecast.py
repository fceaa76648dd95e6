"""Forecast checks: fit the data's first periods, forecast the rest, compare with what happened.

:func:`holdout_check` fits the periods up to `split` (as ``wom fit`` does), then forecasts
the later periods from the customers the first ones made (:mod:`wom.experiment.customers`),
under posterior draws, so the forecast carries the fit's uncertainty and the simulation's
own. Beside it, a Bass curve is fitted to each segment's same first periods
(:func:`bass_fit`, least squares with scipy) and extended: the usual benchmark of a
diffusion forecast, which knows nothing of who talks to whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from wom.config import Scenario
from wom.config.inference import Fit
from wom.errors import WomError
from wom.experiment import Customers, resolve_customers
from wom.inference.data import Observed, observe
from wom.inference.fit import LEVEL, FitResult, Progress, fit, resample
from wom.inference.simulate import QuietRun, quiet_runs
from wom.inputs import (
    PersonAdoptions,
    PersonCustomers,
    SegmentAdoptions,
    SegmentCustomers,
    read_adoptions,
)

#: Forecast simulations (posterior draws resampled, one simulation each).
FORECASTS = 200
#: Replicate numbers of the forecasts (away from the fit's own simulations).
FORECAST_REPLICATES = 700_000


def bass_curve(t: np.ndarray, p: float, q: float, m: float) -> np.ndarray:
    """Bass's cumulative adopters at time `t` (innovation `p`, imitation `q`, market `m`)."""
    e = np.exp(-(p + q) * t)
    return m * (1 - e) / (1 + (q / p) * e)


def bass_fit(cumulative: np.ndarray, ceiling: float) -> tuple[float, float, float]:
    """``(p, q, m)`` of the Bass curve closest (least squares) to `cumulative` at times
    ``1 … n``, with ``m`` between the adopters so far and `ceiling` (the segment's people).
    Several starts, the best kept: the fit has local minima."""
    y = np.asarray(cumulative, dtype=float)
    t = np.arange(1, y.size + 1, dtype=float)
    low_m = max(float(y[-1]), 1e-9)
    if y[-1] <= 0:
        return 1e-6, 0.0, low_m
    best: tuple[float, tuple[float, float, float]] = (np.inf, (1e-3, 0.0, low_m))
    for p0 in (0.003, 0.03, 0.1):
        for q0 in (0.05, 0.3, 0.8):
            for share in (1.0, 1.5, 3.0):
                m0 = min(max(low_m * share, low_m), ceiling)
                x0 = np.array([p0, q0, m0])
                hi = np.array([1.0, 3.0, max(ceiling, low_m * (1 + 1e-9))])
                lo = np.array([1e-6, 0.0, low_m])
                x0 = np.clip(x0, lo, hi)
                r = least_squares(lambda x: bass_curve(t, *x) - y, x0, bounds=(lo, hi))
                if r.cost < best[0]:
                    best = (float(r.cost), (float(r.x[0]), float(r.x[1]), float(r.x[2])))
    return best[1]


@dataclass(frozen=True)
class HoldoutCheck:
    """A forecast check: observed, wom's forecasts and Bass's, in the held-out periods.

    Attributes
    ----------
    fit
        The fit of the first periods.
    periods
        The held-out periods.
    observed
        ``int64[H, S]``: adopters so far at the end of each held-out period.
    forecasts
        ``float64[sims, H, S]``: wom's forecasts of the same.
    bass
        ``float64[H, S]``: Bass curves fitted per segment, extended.
    """

    fit: FitResult
    periods: np.ndarray
    observed: np.ndarray
    forecasts: np.ndarray
    bass: np.ndarray

    @property
    def split(self) -> int:
        """The last period fitted."""
        return int(self.periods[0]) - 1

    def table(self) -> pd.DataFrame:
        """Per segment (and ``all``): adopters at the last period, observed and forecast
        (wom: mean and 95% band; Bass), and each method's mean absolute error over the
        held-out periods (adopters so far)."""
        names = list(self.fit.observed.segment_names)
        obs = np.concatenate([self.observed, self.observed.sum(axis=1, keepdims=True)], axis=1)
        sims = np.concatenate([self.forecasts, self.forecasts.sum(axis=2, keepdims=True)],
                              axis=2)
        bass = np.concatenate([self.bass, self.bass.sum(axis=1, keepdims=True)], axis=1)
        mean = sims.mean(axis=0)
        lo, hi = np.quantile(sims[:, -1, :], [(1 - LEVEL) / 2, (1 + LEVEL) / 2], axis=0)
        inside = ((np.quantile(sims, (1 - LEVEL) / 2, axis=0) <= obs) &
                  (obs <= np.quantile(sims, (1 + LEVEL) / 2, axis=0))).mean(axis=0)
        return pd.DataFrame({
            "segment": [*names, "all"],
            "observed": obs[-1],
            "wom": mean[-1], "wom_lo": lo, "wom_hi": hi,
            "bass": bass[-1],
            "wom_error": np.abs(mean - obs).mean(axis=0),
            "bass_error": np.abs(bass - obs).mean(axis=0),
            "inside_band": inside,
        })


def _first_periods(data: PersonAdoptions | SegmentAdoptions,
                   split: int) -> PersonAdoptions | SegmentAdoptions:
    if isinstance(data, PersonAdoptions):
        adopted = np.where(data.adopted > split, -1, data.adopted)
        return PersonAdoptions(data.path, data.people, adopted, data.lines)
    keep = data.period <= split
    return SegmentAdoptions(data.path, data.period[keep],
                            tuple(s for s, k in zip(data.segment, keep, strict=True) if k),
                            data.new_customers[keep], data.lines[keep])


def customers_at(sc: Scenario, data: PersonAdoptions | SegmentAdoptions, split: int) -> Customers:
    """The customers the first periods made, as of the first held-out period."""
    if isinstance(data, PersonAdoptions):
        won = (data.adopted >= 0) & (data.adopted <= split)
        listed = PersonCustomers(data.path, tuple(p for p, w in zip(data.people, won,
                                                                     strict=True) if w),
                                 data.adopted[won], data.lines[won])
        return resolve_customers(sc, listed, today=split + 1)
    keep = (data.period <= split) & (data.new_customers > 0)
    rows = SegmentCustomers(data.path, tuple(s for s, k in zip(data.segment, keep, strict=True)
                                             if k),
                            data.new_customers[keep], data.period[keep], data.lines[keep])
    return resolve_customers(sc, rows, today=split + 1)


def cumulative_of(run: QuietRun) -> np.ndarray:
    return run.cumulative()


def holdout_check(sc: Scenario, adoptions: Path | str | PersonAdoptions | SegmentAdoptions, *,
                  split: int | None = None, workers: int | None = None,
                  scheduler: Any = None, progress: Progress | None = None) -> HoldoutCheck:
    """Fit the periods up to `split` (default: the middle one), forecast the rest.

    Raises
    ------
    WomError
        As :func:`~wom.inference.fit.fit`; or a split that leaves no period on either side.
    """
    data = adoptions if isinstance(adoptions, PersonAdoptions | SegmentAdoptions) else (
        read_adoptions(adoptions))
    whole: Observed = observe(sc, data)
    first, last = whole.first_period, whole.last_period
    split = (first + last) // 2 if split is None else int(split)
    if not first <= split < last:
        raise WomError(f"the split period {split} must leave periods to fit and to forecast "
                       f"(the data run from {first} to {last})")
    block = (sc.fit or Fit()).model_copy(update={"first_period": first, "last_period": split})
    fitted_on = sc.model_copy(update={"fit": block})
    result = fit(fitted_on, _first_periods(data, split), workers=workers, scheduler=scheduler,
                 progress=progress)
    customers = customers_at(sc, data, split)
    chosen = resample(result.draws["weight"].to_numpy(float) /
                       result.draws["weight"].sum(), FORECASTS)
    jobs = [({f.path: (int if f.integer else float)(result.draws[f.path].iloc[i])
              for f in result.free}, FORECAST_REPLICATES + k) for k, i in enumerate(chosen)]
    held = last - split
    sims = quiet_runs(sc, jobs, held, summary=cumulative_of, workers=workers,
                      scheduler=scheduler, customers=customers)
    forecasts = np.stack(sims).astype(np.float64) + customers.initial
    cumulative = whole.cumulative()
    n_fit = split - first + 1
    bass = np.empty((held, len(whole.segment_names)))
    t_ahead = np.arange(n_fit + 1, n_fit + held + 1, dtype=float)
    for k in range(len(whole.segment_names)):
        p, q, m = bass_fit(cumulative[:n_fit, k], float(whole.sizes[k]))
        bass[:, k] = bass_curve(t_ahead, p, q, m) if cumulative[n_fit - 1, k] > 0 else 0.0
    return HoldoutCheck(result, np.arange(split + 1, last + 1), cumulative[n_fit:], forecasts,
                        bass)
