"""Sampling a posterior on a box: adaptive random-walk Metropolis, several chains.

Parameters live in ``[0, 1]^d`` (the box of the ``fit:`` ranges, scaled); a whole-number
parameter is the rounded value of its coordinate, so the chain moves over a
piecewise-constant posterior. Proposals are Gaussian steps reflected at the box's faces
(still symmetric), with the covariance learnt from each chain's own history during the
burn-in (Haario, Saksman & Tamminen 2001) and frozen after it. Chains start spread over the
box. Everything is drawn from generators seeded by the caller: one seed, one result.

Diagnostics: the split R-hat of every parameter (Gelman et al. 2013; near 1 when the
chains agree) and its effective sample size (from the chains' autocorrelation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LogDensity = Callable[[np.ndarray], float]


@dataclass(frozen=True)
class Chains:
    """The kept draws of every chain (``float64[chains, draws, d]``, in ``[0, 1]^d``) and
    what the sampler saw."""

    samples: np.ndarray
    log_density: np.ndarray  # float64[chains, draws]
    acceptance: float

    def pooled(self) -> np.ndarray:
        return self.samples.reshape(-1, self.samples.shape[2])

    def rhat(self) -> np.ndarray:
        """Split R-hat per parameter."""
        n, d = self.samples.shape[1:]
        half = n // 2
        if half < 2:
            return np.full(d, np.nan)
        parts = np.concatenate([self.samples[:, :half], self.samples[:, half:2 * half]])
        means = parts.mean(axis=1)
        within = parts.var(axis=1, ddof=1).mean(axis=0)
        between = half * means.var(axis=0, ddof=1)
        var = (half - 1) / half * within + between / half
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.sqrt(var / within)
        return np.where(within > 0, r, 1.0)

    def ess(self) -> np.ndarray:
        """Effective sample size per parameter (Geyer's initial positive sequence)."""
        c, n, d = self.samples.shape
        out = np.empty(d)
        for j in range(d):
            x = self.samples[:, :, j] - self.samples[:, :, j].mean()
            var = x.var()
            if var == 0:
                out[j] = c * n
                continue
            f = np.fft.rfft(x, 2 * n, axis=1)
            acf = np.fft.irfft(f * np.conj(f), axis=1)[:, :n].mean(axis=0) / (n * var)
            tau = 1.0
            for k in range(1, n - 1, 2):
                pair = acf[k] + acf[k + 1]
                if pair <= 0:
                    break
                tau += 2 * pair
            out[j] = c * n / tau
        return out


def _reflect(u: np.ndarray) -> np.ndarray:
    u = np.mod(u, 2.0)
    return np.where(u > 1.0, 2.0 - u, u)


def sample(log_density: LogDensity, d: int, *, rng: np.random.Generator, chains: int = 4,
           burn: int = 1500, keep: int = 2500,
           progress: Callable[[int, int], None] | None = None) -> Chains:
    """Draw from the density proportional to ``exp(log_density(u))`` on ``[0, 1]^d``.

    Each chain starts at the best of a few points drawn in its part of the box (a chain
    that starts where the density is zero finds its way by the best it has seen), adapts
    its proposal during `burn` steps and keeps the next `keep`.
    """
    total = chains * (burn + keep)
    samples = np.empty((chains, keep, d))
    dens = np.empty((chains, keep))
    accepted = 0
    done = 0
    for c in range(chains):
        starts = (rng.random((16, d)) + c) / chains  # a stratum of the box per chain
        starts = np.clip(starts, 0.0, 1.0)
        values = np.array([log_density(s) for s in starts])
        x = starts[int(np.argmax(values))].copy()
        lx = float(values.max())
        chol = np.eye(d) * 0.1
        history = np.empty((burn, d))
        scale = 2.38**2 / d
        for it in range(burn + keep):
            if it < burn and it >= 100 and it % 50 == 0:
                cov = scale * np.cov(history[:it], rowvar=False).reshape(d, d)
                chol = np.linalg.cholesky(cov + 1e-8 * np.eye(d))
            y = _reflect(x + chol @ rng.standard_normal(d))
            ly = float(log_density(y))
            if np.isfinite(ly) and (not np.isfinite(lx) or np.log(rng.random()) < ly - lx):
                x, lx = y, ly
                if it >= burn:
                    accepted += 1
            if it < burn:
                history[it] = x
            else:
                samples[c, it - burn] = x
                dens[c, it - burn] = lx
            done += 1
            if progress is not None and done % 500 == 0:
                progress(done, total)
    return Chains(samples, dens, accepted / (chains * keep))
