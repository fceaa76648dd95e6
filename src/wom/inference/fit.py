"""``wom fit``: estimate a scenario's free parameters from observed adoption.

:func:`fit` reads the data, sets it against the market (:mod:`~wom.inference.data`), and
samples the posterior of the free parameters under flat priors on their ``fit:`` ranges:
with the exact likelihood for individual data on a known graph
(:mod:`~wom.inference.individual`), by ABC-SMC for counts per segment
(:mod:`~wom.inference.abc`). It then simulates the market forward under posterior draws
(the posterior predictive) for the fit plot and the word-of-mouth share of simulated
adoption. Every estimate comes with its 95% interval.
"""

from __future__ import annotations

import os
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wom.config import Scenario, apply
from wom.config.inference import Fit, Uncertainty
from wom.errors import FitWarning, WomError
from wom.experiment.runner import (
    check_whole,
    input_digests,
    input_digests_of,
    package_versions,
    working_folder,
)
from wom.inference.abc import abc_smc
from wom.inference.data import Observed, observe
from wom.inference.individual import IndividualModel, posterior
from wom.inference.params import Free, free_parameters, values
from wom.inference.simulate import QuietRun, Simulator
from wom.inputs import PersonAdoptions, SegmentAdoptions, read_adoptions
from wom.version import __version__

#: Stage of the fit's own generator (the MCMC), below the scenario seed.
MCMC = 102
#: Posterior predictive simulations drawn for the fit plot.
PREDICTIVE = 200
#: Interval level of every estimate.
LEVEL = 0.95

Progress = Callable[[int, int], None]


def predictive_summary(run: QuietRun) -> tuple[np.ndarray, float]:
    """What the fit keeps of a predictive simulation: adopters so far per step and segment,
    and the share won by word of mouth."""
    return run.cumulative(), run.word_of_mouth_share()


@dataclass
class FitResult:
    """A fit: the posterior draws, what they imply, and how well the model reproduces the
    data.

    Attributes
    ----------
    scenario, observed, free, method
        What was fitted, to what, and how (``likelihood`` or ``abc``).
    draws
        One row per posterior draw, a column per free parameter (key path); with
        ``weight`` (ABC particles carry weights; MCMC draws weigh the same).
    derived
        ``wom_share`` (the share of adoption due to word of mouth) and, for individual data,
        ``wom_share:<segment>``, with a ``weight``: one row per draw (the observed adoptions
        attributed to their causes), or for counts one row per predictive simulation (the
        simulated adoptions' causes).
    predictive
        ``float64[sims, steps, S]``: adopters so far in simulations under posterior draws.
    diagnostics, meta
        How the sampler did (R-hat, effective sample size, acceptance, tolerances), and the
        run's settings for the manifest.
    """

    scenario: Scenario
    observed: Observed
    free: list[Free]
    method: str
    draws: pd.DataFrame
    derived: pd.DataFrame
    predictive: np.ndarray
    diagnostics: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def _weights(self) -> np.ndarray:
        w = self.draws["weight"].to_numpy(float)
        return w / w.sum()

    def estimates(self) -> pd.DataFrame:
        """``parameter, estimate, lo, hi`` (posterior median and 95% interval) for each free
        parameter, then the derived rows."""
        w = self._weights()
        rows = []
        for f in self.free:
            rows.append(_summary(f.path, self.draws[f.path].to_numpy(float), w, f.integer))
        dw = self.derived["weight"].to_numpy(float)
        for col in self.derived.columns.drop("weight"):
            x = self.derived[col].to_numpy(float)
            ok = ~np.isnan(x)
            if ok.any():
                rows.append(_summary(col, x[ok], dw[ok] / dw[ok].sum(), False))
        return pd.DataFrame(rows, columns=["parameter", "estimate", "lo", "hi"])

    def point(self) -> dict[str, Any]:
        """The estimates (posterior medians) as key path → value."""
        est = self.estimates().set_index("parameter")["estimate"]
        return {f.path: (int(est[f.path]) if f.integer else float(est[f.path]))
                for f in self.free}

    def fitted_scenario(self) -> Scenario:
        """The scenario with the estimates written in and the fit's uncertainty attached:
        ``uncertainty.draws`` holds ``fit.draws`` posterior draws (replicate i of a run uses
        draw i), so forecasts carry what the data left uncertain."""
        n = self.scenario.fit.draws if self.scenario.fit is not None else 400
        chosen = resample(self._weights(), n)
        draws = {f.path: [(int(v) if f.integer else float(v))
                          for v in self.draws[f.path].to_numpy()[chosen]] for f in self.free}
        point = self.point()
        # the user's scenario with the estimates written in: its fit:, sweep: and optimize:
        # blocks kept (a re-fit of fitted.yaml to new data used the default ranges)
        own = self.scenario
        sc = apply(own, point).model_copy(
            update={"fit": own.fit, "sweep": own.sweep, "optimize": own.optimize})
        source = (f"wom fit of {self.observed.path.name} ({self.method}, seed "
                  f"{self.scenario.seed})")  # (no date: same seed, same bytes)
        told = self.estimates().set_index("parameter")
        intervals = {f.path: [told.loc[f.path, "lo"], told.loc[f.path, "hi"]]
                     for f in self.free}  # (the report of a run quotes the fit's own)
        return sc.model_copy(update={"uncertainty": Uncertainty(
            draws=draws, source=source, estimates=point, intervals=intervals)})


def _summary(name: str, x: np.ndarray, w: np.ndarray, integer: bool) -> dict[str, Any]:
    lo, mid, hi = weighted_quantiles(x, w, [(1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2])
    if integer:
        lo, mid, hi = (round(v) for v in (lo, mid, hi))
    return {"parameter": name, "estimate": mid, "lo": lo, "hi": hi}


def weighted_quantiles(x: np.ndarray, w: np.ndarray, q: list[float]) -> list[float]:
    """Quantiles of `x` weighted by `w` (the lower value at a step of the distribution)."""
    order = np.argsort(x, kind="stable")
    x, cw = x[order], np.cumsum(w[order])
    cw /= cw[-1]
    return [float(x[min(int(np.searchsorted(cw, p)), x.size - 1)]) for p in q]


def resample(weights: np.ndarray, n: int) -> np.ndarray:
    """`n` indices spread evenly over the weights' distribution (systematic resampling,
    deterministic)."""
    positions = (np.arange(n) + 0.5) / n
    return np.minimum(np.searchsorted(np.cumsum(weights), positions), weights.size - 1)


def method_of(sc: Scenario, observed: Observed) -> str:
    chosen = sc.fit.method if sc.fit is not None else "auto"
    if chosen == "auto":
        return "likelihood" if observed.kind == "individual" else "abc"
    if chosen == "likelihood" and observed.kind != "individual":
        raise WomError("fit.method: likelihood needs individual data (person, adopted) on a "
                       "market read from a file; counts per segment are fitted by abc")
    return chosen


def outside_band(observed: Observed, predictive: np.ndarray) -> list[str]:
    """The segments whose observed adopters at the last period lie outside the fitted
    model's 95% predictive band (`predictive`: simulated adopters so far, ``[sims, steps,
    segments]``)."""
    final = observed.cumulative()[-1]
    lo, hi = np.quantile(predictive[:, -1, :], [0.025, 0.975], axis=0)
    return [name for name, x, a, b in zip(observed.segment_names, final, lo, hi, strict=True)
            if not a <= x <= b]


def fit_warnings(diagnostics: dict[str, Any], segments: int) -> list[str]:
    """What a user must know before trusting the estimates (empty: nothing)."""
    warnings = []
    if diagnostics.get("stopped") == "generations":
        tol = diagnostics["tolerances"]
        falling = (f"its tolerance was still falling, {tol[-2]:g} → {tol[-1]:g}"
                   if len(tol) > 1 else "one generation cannot show its tolerance settling")
        warnings.append(f"ABC had not converged after {len(tol)} "
                        f"generation{'s' if len(tol) != 1 else ''} ({falling}): raise "
                        "fit.generations; the intervals are too wide and may be off")
    rhat = diagnostics.get("rhat")
    if rhat and max(rhat.values()) > 1.05:
        warnings.append(f"the chains disagree (R-hat {max(rhat.values()):.3f} > 1.05): widen "
                        "or narrow fit.free, or check the data")
    outside = diagnostics.get("outside_band", [])
    if len(outside) >= 2 and len(outside) > segments / 4:
        warnings.append(f"the fitted model does not reproduce the data: the adopters of "
                        f"{len(outside)} of {segments} segments ({', '.join(outside[:4])}"
                        f"{', …' if len(outside) > 4 else ''}) lie outside its 95% band "
                        "(see fit.png): the model may not suit these data")
    return warnings


#: How near an edge of its fit range (a share of the range) an estimate's interval may come
#: before the range, not the data, is taken to be what stops it.
EDGE = 0.05
#: The share of its fit range an interval may cover before the estimate is taken to say more
#: about the range given (a flat prior) than about the data.
WIDE = 0.8


def range_warnings(free: list[Free], draws: pd.DataFrame, weights: np.ndarray) -> list[str]:
    """The free parameters whose 95% interval covers most of their fit range (the data say
    little: the range given decides the estimate), or else runs into an edge of the range
    that is not a natural one (0, or 1 for a chance): the range may be cutting off what the
    data favour (the other estimates then move to make up for it)."""
    out = []
    weights = weights / weights.sum()
    for f in free:
        if f.integer:
            continue
        x = draws[f.path].to_numpy(float)
        interval = _summary(f.path, x, weights, False)
        lo, hi = interval["lo"], interval["hi"]
        # piled against an edge (half as much weight again as a flat posterior puts in its
        # last tenth, 3 standard errors at a few hundred particles): the range cuts off what
        # the data favour; else a wide interval is the data's silence
        band = 0.1 * (f.hi - f.lo)
        piled = any(edge not in (0.0, 1.0) and weights[near].sum() >= 0.15 for edge, near in (
            (f.hi, x >= f.hi - band), (f.lo, x <= f.lo + band)))
        if not piled and hi - lo >= WIDE * (f.hi - f.lo):  # (its edges say nothing either)
            out.append(f"the data say little about {f.path}: its 95% interval ({lo:.3g}–"
                       f"{hi:.3g}) covers {(hi - lo) / (f.hi - f.lo):.0%} of its fit range "
                       f"({f.lo:g}–{f.hi:g}), so the estimate mostly reflects the range given; "
                       "a range from what you know, or data on who adopted when, would narrow "
                       "it")
            continue
        room = EDGE * (f.hi - f.lo)
        for near, edge, side, more in ((hi >= f.hi - room, f.hi, "top", "larger"),
                                       (lo <= f.lo + room, f.lo, "bottom", "smaller")):
            if near and edge not in (0.0, 1.0):
                out.append(f"the 95% interval of {f.path} reaches the {side} of its fit range "
                           f"({edge:g}): the data may favour {more} values, which the range "
                           f"rules out (the other estimates move to make up for it); widen "
                           f"fit.free's {f.path} and fit again")
    return out


def refuse_accounts_in_fit(sc: Scenario, file: Path | str | None = None) -> None:
    """Refuse to fit a market of accounts (`file`: the scenario's, for the message): the
    likelihood and the fit's simulations assume people buy alone. Not modelled yet."""
    copy = ("labels file has no `account` column" if sc.network.model == "file"
            else "segments have no `accounts:`")
    sc.refuse_accounts("fitting (wom fit)", "the likelihood and the fit's simulations assume "
                       f"people buy alone; fit a copy of the scenario whose {copy}, then run "
                       "the fitted scenario with the accounts added back", file)


def fit(sc: Scenario, adoptions: Path | str | PersonAdoptions | SegmentAdoptions, *,
        workers: int | None = None, scheduler: Any = None,
        progress: Progress | None = None) -> FitResult:
    """Estimate the free parameters of `sc` (its ``fit:`` block) from observed adoption.

    Parameters
    ----------
    sc
        The scenario describing the market (its strategies and budget are not used).
    adoptions
        A file of adoptions (``person, adopted`` or ``period, segment, new_customers``) or
        one read already.
    workers, scheduler
        Where simulations run (ABC and the predictive check): local processes, or a Dask
        cluster. Results do not depend on either.

    Raises
    ------
    WomError
        The data do not fit the market (naming file, line and column), a free parameter the
        method cannot estimate, or data impossible under the model in the whole box.
    """
    started, began = time.perf_counter(), time.time()
    if not isinstance(sc, Scenario):
        raise WomError(f"wom.fit takes a Scenario (wom.load_scenario(path)), not "
                       f"{type(sc).__name__}")
    refuse_accounts_in_fit(sc)
    churning = [s.name for s in sc.segments if s.churn > 0]
    if churning:
        # The likelihood and the simulator of the fit assume customers stay; prices and
        # margins do not touch adoption and are simply not used.
        raise WomError(f"wom fit does not estimate with churn (segments {', '.join(churning)} "
                       "have churn > 0): fitting with customers who leave is not supported; "
                       "set churn: 0 in the scenario you fit, and add churn to the fitted one")
    if not isinstance(adoptions, str | Path | PersonAdoptions | SegmentAdoptions) or (
            str(adoptions) == ""):
        raise WomError(f"adoptions={adoptions!r}: give the path of a CSV file (or data read "
                       "with wom.inputs.read_adoptions)")
    check_whole("workers", workers, 1)
    data = adoptions if isinstance(adoptions, PersonAdoptions | SegmentAdoptions) else (
        read_adoptions(adoptions))
    observed = observe(sc, data)
    free = free_parameters(sc)
    method = method_of(sc, observed)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(sc.seed, spawn_key=(MCMC,))))
    diagnostics: dict[str, Any] = {}
    # one pool (or cluster connection) for every batch of simulations: ABC's generations,
    # then the predictive check
    with Simulator(workers, scheduler) as where:
        if method == "likelihood":
            model = IndividualModel(sc, observed, free)
            chains = posterior(model, rng=rng, progress=progress)
            points = chains.pooled()
            weights = np.ones(len(points))
            diagnostics.update(
                sampler="adaptive Metropolis", chains=int(chains.samples.shape[0]),
                draws_per_chain=int(chains.samples.shape[1]),
                acceptance=round(chains.acceptance, 3),
                rhat={f.path: round(float(r), 4) for f, r in zip(free, chains.rhat(), strict=True)},
                ess={f.path: round(float(e)) for f, e in zip(free, chains.ess(), strict=True)})
            shares = [model.word_of_mouth_shares(values(free, u)) for u in points]
        else:
            fit_block = sc.fit
            particles = abc_smc(sc, observed, free,
                                particles=(fit_block or Fit()).particles,
                                generations=(fit_block or Fit()).generations,
                                progress=progress, simulator=where)
            points, weights = particles.points, particles.weights
            diagnostics.update(
                sampler="ABC-SMC", particles=len(points),
                generations=len(particles.tolerances),
                tolerances=[round(t, 5) for t in particles.tolerances[1:]] + [
                    round(float(np.median(particles.distances)), 5)],
                candidates=particles.evaluated, stopped=particles.stopped,
                ess=round(float(1.0 / np.sum(weights**2))))
            shares = []
        draws = pd.DataFrame([values(free, u) for u in points], columns=[f.path for f in free])
        draws["weight"] = weights
        chosen = resample(weights / weights.sum(), min(PREDICTIVE, len(points)))
        jobs = [(values(free, points[i]), 500_000 + k) for k, i in enumerate(chosen)]
        sims = where.runs(sc, jobs, observed.steps, summary=predictive_summary)
    predictive = np.stack([c for c, _ in sims]).astype(np.float64)
    names = list(observed.segment_names)
    diagnostics["outside_band"] = outside_band(observed, predictive)
    diagnostics["warnings"] = (fit_warnings(diagnostics, len(names))
                               + range_warnings(free, draws, weights))
    if method == "likelihood":
        derived = pd.DataFrame([[total, *per] for total, per in shares],
                               columns=["wom_share", *(f"wom_share:{n}" for n in names)])
    else:  # the causes of the simulated adoptions under posterior draws
        derived = pd.DataFrame({"wom_share": [s for _, s in sims]})
    share = [c for c in derived.columns if c.startswith("wom_share")]
    derived[share] = derived[share].clip(0.0, 1.0)  # (rounding: -2e-16 is no share)
    derived["weight"] = 1.0
    meta = {"wom": __version__, "python": platform.python_version(), "seed": sc.seed,
            "method": method, "data": str(observed.path), "observed": observed.describe(),
            # (where it was: the report's command to reproduce names it from the folder)
            "data_path": os.path.abspath(observed.path),
            "inputs": {**input_digests(sc),  # (data built in Python may have no file)
                       **input_digests_of([p for p in [Path(observed.path)] if p.is_file()])},
            "wall_time_s": round(time.perf_counter() - started, 3),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(began)),
            "workers": where.workers if scheduler is None else None,  # (None: a cluster)
            "packages": package_versions(),
            "cwd": working_folder(),
            # (the wom command records itself instead)
            "command": f"wom.fit(load_scenario(...), {str(observed.path)!r}, seed={sc.seed})"}
    for said in diagnostics["warnings"]:  # (a notebook shows them; wom fit prints its own)
        warnings.warn(said, FitWarning, stacklevel=2)
    return FitResult(sc, observed, free, method, draws, derived, predictive, diagnostics,
                     meta)
