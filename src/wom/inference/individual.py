"""Fitting individual adoption on a known graph: the exact likelihood
(:mod:`wom.inference.likelihood`) under flat priors on the ``fit:`` ranges, sampled by
adaptive Metropolis (:mod:`wom.inference.mcmc`).

The likelihood reads the parameters it can see in individual data on a fixed graph: word
of mouth, background, talk weeks, the generic message's resonance (only its product with
word of mouth is identified), the weak-tie strength, and per segment the TAM, the
incumbent's share, the early market and the references needed. Anything else (the graph's
own keys, the campaign) cannot be estimated this way; the error says to use ``method: abc``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from wom.config import Scenario
from wom.errors import WomError
from wom.inference.data import Observed
from wom.inference.likelihood import (
    Exposures,
    background_share,
    log_likelihood,
    table_log_likelihood,
)
from wom.inference.mcmc import Chains, sample
from wom.inference.params import Free, values
from wom.market import to_csr

_DYNAMICS = {"dynamics.word_of_mouth", "dynamics.background", "dynamics.talk_weeks",
             "dynamics.generic_resonance", "network.weak_tie"}
_SEGMENT = re.compile(r"^segments\.(\*|\d+)\.(tam|incumbent|early_market|references)$")
#: p of a trial kept below 1, so logarithms stay finite.
_P_MAX = 1.0 - 1e-12


class IndividualModel:
    """The likelihood of individual data as a function of the free parameters."""

    def __init__(self, sc: Scenario, observed: Observed, free: list[Free]) -> None:
        for f in free:
            if f.path not in _DYNAMICS and not _SEGMENT.match(f.path):
                raise WomError(f"fit.free: {f.path} cannot be estimated from individual "
                               "adoption on a known graph (the graph is data; the past had no "
                               "campaign); use fit.method: abc for it")
        assert sc.network.file is not None and observed.adopted_step is not None
        graph = sc.network.file.load()
        indptr, indices = to_csr(graph.n, graph.u, graph.v)
        segment = np.repeat(np.arange(len(observed.sizes), dtype=np.int32), observed.sizes)
        self.scenario, self.observed, self.free = sc, observed, free
        self.segment = segment
        self.exposures = Exposures(observed, indptr, indices, segment)
        dyn, segs = sc.dynamics, sc.segments
        self.base: dict[str, Any] = {
            "dynamics.word_of_mouth": dyn.word_of_mouth, "dynamics.background": dyn.background,
            "dynamics.talk_weeks": dyn.talk_weeks,
            "dynamics.generic_resonance": dyn.generic_resonance,
            "network.weak_tie": sc.network.weak_tie,
            "tam": np.array([s.tam for s in segs]),
            "incumbent": np.array([s.incumbent for s in segs]),
            "early_market": np.array([s.early_market for s in segs]),
            "references": np.array([s.references for s in segs]),
        }
        self._traits = self._segment_traits(self.base)

    def arguments(self, point: dict[str, Any]) -> dict[str, Any]:
        """The likelihood's arguments at `point` (key path → value)."""
        a = dict(self.base)
        segments = {}
        for path, value in point.items():
            m = _SEGMENT.match(path)
            if m is None:
                a[path] = value
            else:
                if m.group(2) not in segments:
                    segments[m.group(2)] = a[m.group(2)].copy()
                if m.group(1) == "*":
                    segments[m.group(2)][:] = value
                else:
                    segments[m.group(2)][int(m.group(1))] = value
        traits = self._traits if not segments else self._segment_traits({**a, **segments})
        beta_rho = a["dynamics.word_of_mouth"] * a["dynamics.generic_resonance"]
        return {
            "talk_weeks": int(a["dynamics.talk_weeks"]),
            "background": min(float(a["dynamics.background"]), _P_MAX),
            "p_in": min(float(beta_rho), _P_MAX),
            "p_out": min(float(beta_rho * a["network.weak_tie"]), _P_MAX),
            **traits,
        }

    @staticmethod
    def _segment_traits(a: dict[str, Any]) -> dict[str, Any]:
        open_share = np.clip(a["tam"] - a["incumbent"], 0.0, 1.0).astype(np.float64)
        needs = a["references"].astype(np.int64)
        return {"open_share": open_share, "early": a["early_market"].astype(np.float64),
                "needs": needs, "observed_all": bool(not needs.any()
                                                     and (open_share >= 1.0).all())}

    def log_likelihood(self, point: dict[str, Any]) -> float:
        a = self.arguments(point)
        if a["observed_all"]:
            # nothing unobserved to mix over: the data reduce to a table of exposures
            i, o, n_survive, n_adopt = self.exposures.table(a["talk_weeks"])
            return float(table_log_likelihood(i, o, n_survive, n_adopt, a["background"],
                                              a["p_in"], a["p_out"]))
        offset, inside, outside, refs = self.exposures.of(a["talk_weeks"])
        return float(log_likelihood(offset, inside, outside, refs, self.observed.adopted_step,
                                    self.segment, a["background"], a["p_in"], a["p_out"],
                                    a["open_share"], a["early"], a["needs"]))

    def word_of_mouth_shares(self, point: dict[str, Any]) -> tuple[float, np.ndarray]:
        """The share of the observed adoptions the rule attributes to word of mouth, overall
        and per segment (NaN where a segment has no adopter)."""
        a = self.arguments(point)
        offset, inside, outside, _ = self.exposures.of(a["talk_weeks"])
        adopters, by_background = background_share(
            offset, inside, outside, self.observed.adopted_step, self.segment,
            len(self.observed.sizes), a["background"], a["p_in"], a["p_out"])
        with np.errstate(divide="ignore", invalid="ignore"):
            per = np.where(adopters > 0, 1.0 - by_background / adopters, np.nan)
        total = adopters.sum()
        return (float(1.0 - by_background.sum() / total) if total else float("nan")), per


def posterior(model: IndividualModel, *, rng: np.random.Generator,
              progress: Callable[[int, int], None] | None = None) -> Chains:
    """Posterior draws of the free parameters (flat priors on their ranges)."""
    free = model.free

    def log_density(u: np.ndarray) -> float:
        return model.log_likelihood(values(free, u))

    chains = sample(log_density, len(free), rng=rng, progress=progress)
    if not np.isfinite(chains.log_density).any():
        raise WomError("the data are impossible under the model at every point tried in the "
                       "fit ranges (e.g. someone adopted with no background and no "
                       "advocating neighbour while background is fixed at 0): widen fit.free "
                       "or free dynamics.background")
    return chains
