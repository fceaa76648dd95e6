"""Fitting counts per segment: approximate Bayesian computation by sequential Monte Carlo
(ABC-SMC; Toni et al. 2009, with the adaptive kernel of Beaumont et al. 2009).

Counts per segment and period have no tractable likelihood (who adopted, and whom they
talked to, is not observed), so parameters are judged by simulating the market with them
(:mod:`wom.inference.simulate`) and comparing the simulated adopters per segment and step
with the data. Generation 0 draws particles from the flat prior on the ``fit:`` ranges and
keeps those within the median distance; each next generation perturbs particles of the
last (a Gaussian kernel with twice their weighted covariance), keeps those within a
tighter tolerance (the median distance of the last generation) and weighs them by prior /
proposal density. It stops once the tolerance falls by less than 10% in a generation
(converged), once fewer than 1 in 50 candidates are kept, or after ``fit.generations``
(then not converged: the fit says so). The last generation is the posterior sample.

The distance between simulated and observed adopters so far, ``C[t, k]``::

    d = sqrt( mean_{t,k} ((C_sim[t, k] − C_obs[t, k]) / scale_k)² ),  scale_k = max(C_obs[T, k], 5)

so every segment's curve counts on its own scale.

Deterministic: candidate ``i`` of generation ``g`` draws its parent, its step and its market
from its own stream ``SeedSequence(seed, (ABC, g, i))``; candidates are evaluated in
fixed-size blocks and the first accepted by index are kept, so the result does not depend
on the number of workers. (pyabc, the well-kept implementation, accepts particles in the
order workers finish them, which would tie the result to the worker count.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from wom.config import Scenario
from wom.inference.data import Observed
from wom.inference.params import Free, values
from wom.inference.simulate import QuietRun, Simulator

#: Stage of the fit's streams (below the scenario seed), away from a run's stages.
ABC = 101
#: Stop when fewer than this share of a generation's candidates are kept.
MIN_ACCEPTANCE = 0.02
#: Most candidates evaluated in one generation, in multiples of the particles.
MAX_TRIES = 60
#: Converged: the tolerance fell by less than this share in the last generation.
MIN_GAIN = 0.1


@dataclass(frozen=True)
class Particles:
    """The last generation: points of ``[0, 1]^d``, weights (summing to 1), distances,
    the tolerance of each generation, how many candidates each evaluated, and why the
    sampler stopped (``"converged"``, ``"acceptance"``: too few candidates kept, or
    ``"generations"``: the most generations, still improving)."""

    points: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    tolerances: list[float]
    evaluated: list[int]
    accepted: list[int]
    stopped: str = "generations"


class Distance:
    """The summary distance to the observed adopters so far (a module-level callable: it is
    sent to worker processes)."""

    def __init__(self, observed: Observed) -> None:
        self.target = observed.cumulative().astype(float)
        self.scale = np.maximum(self.target[-1], 5.0)

    def __call__(self, run: QuietRun) -> float:
        diff = (run.cumulative() - self.target) / self.scale
        return float(np.sqrt(np.mean(diff**2)))


def _candidate(seed: int, generation: int, i: int, d: int, prev: Particles | None,
               chol: np.ndarray | None) -> np.ndarray:
    """Candidate `i` of `generation`: from the prior, or a perturbed particle of `prev`."""
    rng = np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(seed, spawn_key=(ABC, generation, i))))
    if prev is None or chol is None:
        return rng.random(d)
    while True:
        parent = prev.points[rng.choice(len(prev.weights), p=prev.weights)]
        u = parent + chol @ rng.standard_normal(parent.size)
        if np.all((u >= 0.0) & (u <= 1.0)):
            return u



def abc_smc(sc: Scenario, observed: Observed, free: list[Free], *, particles: int,
            generations: int, workers: int | None = None, scheduler: Any = None,
            progress: Callable[[int, int], None] | None = None,
            simulator: Simulator | None = None) -> Particles:
    """ABC-SMC posterior sample of the free parameters given aggregate data; the
    simulations run in `simulator` (default: one for this call, on `workers` or the
    Dask `scheduler`)."""
    if simulator is None:
        with Simulator(workers, scheduler) as where:
            return abc_smc(sc, observed, free, particles=particles, generations=generations,
                           progress=progress, simulator=where)
    d = len(free)
    distance = Distance(observed)
    steps = observed.steps
    prev: Particles | None = None
    tolerance = np.inf
    tolerances: list[float] = []
    evaluated: list[int] = []
    accepted_counts: list[int] = []
    block = particles
    for g in range(generations):
        chol = None
        if prev is not None:
            cov = 2.0 * np.cov(prev.points, rowvar=False, aweights=prev.weights).reshape(d, d)
            chol = np.linalg.cholesky(cov + 1e-10 * np.eye(d))
        kept: list[tuple[np.ndarray, float]] = []
        tried = 0
        while len(kept) < particles and tried < MAX_TRIES * particles:
            points = [_candidate(sc.seed, g, tried + j, d, prev, chol) for j in range(block)]
            jobs = [(values(free, u), g * MAX_TRIES * particles + tried + j)
                    for j, u in enumerate(points)]
            dist = simulator.runs(sc, jobs, steps, summary=distance)
            tried += block
            kept += [(u, x) for u, x in zip(points, dist, strict=True) if x <= tolerance]
            if progress is not None:
                progress(g * particles + min(len(kept), particles), generations * particles)
        if len(kept) < particles:  # the tolerance is out of reach: keep the last generation
            if prev is not None:
                prev = replace(prev, stopped="acceptance")
            break
        kept = kept[:particles]
        pts = np.array([u for u, _ in kept])
        dists = np.array([x for _, x in kept])
        if prev is None or chol is None:
            w = np.full(particles, 1.0 / particles)
        else:
            inv = np.linalg.inv(chol @ chol.T)
            delta = pts[:, None, :] - prev.points[None, :, :]
            kern = np.exp(-0.5 * np.einsum("ijk,kl,ijl->ij", delta, inv, delta))
            w = 1.0 / (kern @ prev.weights)
            w /= w.sum()
        tolerances.append(float(tolerance))
        evaluated.append(tried)
        accepted_counts.append(particles)
        used, tolerance = tolerance, float(np.median(dists))
        stopped = ("acceptance" if particles / tried < MIN_ACCEPTANCE
                   else "converged" if tolerance > (1.0 - MIN_GAIN) * used else "")
        prev = Particles(pts, w, dists, list(tolerances), list(evaluated),
                         list(accepted_counts), stopped or "generations")
        if stopped:
            break
    if prev is None:
        raise RuntimeError("no particle was accepted")  # generation 0 accepts everything
    if progress is not None:  # done, though below the most generations allowed (the bar
        done = len(prev.tolerances) * particles  # stayed at 40%, "96 s left": new user)
        progress(done, done)
    return prev
