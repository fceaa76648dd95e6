"""Forecasts from today's customers: from counts per segment and period (replayed through
the rule) they cover what happened about as often as forecasts by someone who knows who the
customers are; and the forecast check of docs/fit.md runs on both markets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from forecast_cases import (
    SYNTHETIC_TRUTH,
    medical_check,
    synthetic_check,
    synthetic_scenario,
    write_counts,
)

from wom.engine import Simulation, run_to_horizon
from wom.experiment import DYNAMICS, Replicate
from wom.inference.forecast import cumulative_of, customers_at
from wom.inference.simulate import quiet_plan, quiet_runs
from wom.inputs import read_adoptions
from wom.market import with_customers

pytestmark = pytest.mark.slow


def _oracle_band(sc, index: int, split: int) -> tuple[int, float, float]:
    """Replicate `index`'s adoption over the horizon, and the 95% band of forecasts made by
    someone who knows exactly who the customers are at `split` (and everyone's traits)."""
    rep = Replicate(sc, index)
    pop = rep.population
    sim = Simulation(pop, quiet_plan(pop.n_segments, sc.horizon), sc.dynamics,
                     sc.network.weak_tie, rng=rep.stream(DYNAMICS))
    run_to_horizon(sim)
    at = sim.adopted_at.astype(np.int64)
    won = np.flatnonzero((at >= 0) & (at < split))
    known = with_customers(pop, won, at[won] - split, np.random.default_rng(0))
    totals = []
    for k in range(100):
        ahead = Simulation(known, quiet_plan(pop.n_segments, sc.horizon - split), sc.dynamics,
                           sc.network.weak_tie, rng=np.random.default_rng([index, k]))
        totals.append(won.size + int(run_to_horizon(ahead).new_by_cause.sum()))
    lo, hi = np.quantile(totals, [0.025, 0.975])
    return int(np.sum(at >= 0)), float(lo), float(hi)


def test_forecasts_from_counts_are_as_good_as_knowing_the_customers(tmp_path: Path):
    """40 data sets of the flagship's chasm market (pragmatists need 2 references); from the
    first 26 weeks' counts per segment, the last 26 weeks are forecast at the true
    parameters. An oracle who knows who the customers are (and everyone's traits) has the
    observed total inside its 95% band in about 95% of data sets; wom, which only has the
    counts and replays them through the rule, must come close (within 4 of 40) and reach
    32 of 40. (Placing the customers uniformly at random instead got 29 of 40, 11 with the
    data below the band: the early market they should have used up stayed open.)"""
    sc = synthetic_scenario(seed=5)
    split = 26
    oracle = replayed = 0
    for i in range(40):
        total, lo, hi = _oracle_band(sc, i, split)
        oracle += int(lo <= total <= hi)
        data = read_adoptions(write_counts(sc, i, tmp_path / f"d{i}.csv"))
        customers = customers_at(sc, data, split)
        sims = quiet_runs(sc, [(SYNTHETIC_TRUTH, 900_000 + 1000 * i + k) for k in range(100)],
                          sc.horizon - split, summary=cumulative_of, customers=customers)
        totals = np.array([s[-1].sum() for s in sims]) + customers.total
        lo, hi = np.quantile(totals, [0.025, 0.975])
        replayed += int(lo <= total <= hi)
    print(f"observed total inside the 95% band: oracle {oracle} of 40, wom from counts "
          f"{replayed} of 40")
    assert replayed >= 32 and replayed >= oracle - 4


def test_the_forecast_check_runs_on_both_markets(tmp_path: Path):
    for check in (medical_check(), synthetic_check(tmp_path)):
        t = check.table()
        print(t.to_string(index=False))
        assert np.isfinite(t[["wom", "bass", "wom_error", "bass_error"]].to_numpy()).all()
        assert (t.wom_lo <= t.wom).all() and (t.wom <= t.wom_hi).all()
        assert check.forecasts.shape[1:] == check.observed.shape
        # adopters never go down, and the forecast starts from the customers already won
        assert (np.diff(check.forecasts, axis=1) >= 0).all()
        assert (check.forecasts[:, 0, :] >= check.fit.observed.cumulative()[-1]).all()
