"""The plans ``wom optimize`` searches and how one is evaluated: the plan space of a scenario
(strategy kind ``mix`` within its ``optimize:`` block) and plans run on the search's
replicates, each market built once per process and each (plan, replicate) run once.

Replicate ``i`` of every plan is the same market and the same streams
(:class:`~wom.experiment.replicate.Replicate`): candidates are compared on common random
numbers. The search's replicates are :data:`SEARCH_OFFSET` + ``i``, never ``0 … n − 1``.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from wom.config import Scenario, Strategy
from wom.config.optimize import OBJECTIVES, Optimize
from wom.engine import run_to_horizon
from wom.errors import WomError
from wom.experiment.replicate import Replicate
from wom.market import Population
from wom.store import Results

#: The search's replicates are SEARCH_OFFSET + i: never the confirmation's (0 … n − 1).
SEARCH_OFFSET = 1_000_000
#: Weights a segment may get: whole numbers 1 … WEIGHT_STEPS (a plan's split is their ratio).
WEIGHT_STEPS = 10
#: Seed shares searched: multiples of this within the bounds.
SHARE_STEP = 0.05


def objective_metric(objective: str) -> str:
    """The metric (:data:`wom.config.METRICS`) an objective is the mean of."""
    if objective not in OBJECTIVES:
        raise WomError(f"unknown objective {objective!r}; choose one of "
                       f"{', '.join(OBJECTIVES)}")
    return OBJECTIVES[objective]


@dataclass(frozen=True)
class Space:
    """The plan space of a scenario: what a trial chooses, within the ``optimize:`` block."""

    segments: tuple[str, ...]
    share: tuple[float, float]
    weeks: tuple[int, int]
    messages: tuple[str, ...]
    seeding: tuple[str, ...]

    @classmethod
    def of(cls, sc: Scenario, block: Optimize) -> Space:
        allowed = block.segments or sc.segment_names
        return cls(tuple(s for s in sc.segment_names if s in allowed),  # market order
                   (float(block.seed_share[0]), float(block.seed_share[1])),
                   block.weeks(sc.horizon), tuple(block.messages), tuple(block.seeding))

    def columns(self) -> list[str]:
        """The plan's columns in trials.csv."""
        return ([f"weight.{s}" for s in self.segments]
                + [f"message.{s}" for s in self.segments]
                + ["seed_share", "campaign_weeks", "seeding"])

    def suggest(self, trial: Any) -> Strategy:
        """The plan a trial proposes (every parameter is asked, used or not, so every trial
        has the same dimensions)."""
        weights: dict[str, int] = {}
        messages: dict[str, str] = {}
        many = len(self.segments) > 1
        best_unused = (0, self.segments[0])
        for s in self.segments:
            used = trial.suggest_categorical(f"use.{s}", [True, False]) if many else True
            w = trial.suggest_int(f"weight.{s}", 1, WEIGHT_STEPS) if many else 1
            said = (trial.suggest_categorical(f"message.{s}", list(self.messages))
                    if len(self.messages) > 1 else self.messages[0])
            if used:
                weights[s], messages[s] = w, said
            best_unused = max(best_unused, (w, s), key=lambda x: x[0])
        if not weights:  # nothing used: the heaviest segment (the first among equals)
            s = best_unused[1]
            weights[s] = best_unused[0]
            messages[s] = (trial.params.get(f"message.{s}", self.messages[0]))
        lo, hi = self.share
        steps = round((hi - lo) / SHARE_STEP)
        if steps >= 1:
            share = round(lo + (hi - lo) * trial.suggest_int("seed_share", 0, steps) / steps, 4)
        else:
            share = lo
        w_lo, w_hi = self.weeks
        weeks = trial.suggest_int("campaign_weeks", w_lo, w_hi) if w_hi > w_lo else w_lo
        seeding = (trial.suggest_categorical("seeding", list(self.seeding))
                   if len(self.seeding) > 1 else self.seeding[0])
        # One plan, one form: weights 2:4 are 1:2, and a key with no effect takes its first
        # value (the campaign length without contacts, the seeding rule without seeds), so
        # equal plans are evaluated once and confirmed once.
        common = math.gcd(*weights.values())
        weights = {s: w // common for s, w in weights.items()}
        if share >= 1.0:
            weeks = w_lo
        if share <= 0.0:
            seeding = self.seeding[0]
        kinds = set(messages.values())
        message: Any = kinds.pop() if len(kinds) == 1 else messages
        return Strategy(name=f"trial-{trial.number}", kind="mix", weights=weights,
                        message=message, seed_share=share, campaign_weeks=weeks,
                        seeding=seeding)

    def row(self, spec: Strategy) -> dict[str, Any]:
        """A plan's columns of trials.csv (weight 0: not targeted)."""
        weights = spec.weights or {}
        msg = spec.message
        out: dict[str, Any] = {f"weight.{s}": weights.get(s, 0) for s in self.segments}
        for s in self.segments:
            said = msg if isinstance(msg, str) else (msg or {}).get(s, "tailored")
            out[f"message.{s}"] = said if s in weights else ""
        out.update(seed_share=spec.seed_share, campaign_weeks=spec.campaign_weeks,
                   seeding=spec.seeding)
        return out


def key_of(spec: Strategy) -> str:
    """What makes two plans the same plan (their names aside)."""
    return spec.model_copy(update={"name": "-"}).model_dump_json()


#: Markets kept by each process, by replicate: every candidate of a search runs on the same
#: replicates, and a market is built once per process, not once per candidate.
_MARKETS: OrderedDict[tuple[str, int], Population] = OrderedDict()
#: Most people kept in :data:`_MARKETS` per process.
MARKET_CACHE_PEOPLE = 4_000_000


#: Guards :data:`_MARKETS` where evaluations share a process in threads (a Dask worker).
_MARKETS_LOCK = threading.Lock()


def _market(tag: str, sc: Scenario, index: int) -> Replicate:
    key = (tag, index)
    with _MARKETS_LOCK:
        pop = _MARKETS.get(key)
        if pop is not None:
            _MARKETS.move_to_end(key)
    if pop is not None:
        return Replicate(sc, index, population=pop)
    rep = Replicate(sc, index)
    with _MARKETS_LOCK:
        _MARKETS[key] = rep.population
        while len(_MARKETS) > max(1, MARKET_CACHE_PEOPLE // max(sc.people, 1)):
            _MARKETS.popitem(last=False)
    return rep


def evaluate(tag: str, sc: Scenario, specs: Sequence[Strategy], index: int,
             metric: str) -> np.ndarray:
    """`metric` of every plan of `specs` on replicate `index` (``float64[len(specs)]``).

    A plan that never pays back scores the horizon + 1 weeks (payback); one with no number
    (cost per customer with no customer) scores NaN.
    """
    rep = _market(tag, sc, index)
    trajs = [run_to_horizon(rep.simulation(spec)) for spec in specs]
    one = sc.model_copy(update={"strategies": list(specs)})
    res = Results(scenario=one, tam=rep.population.tam_size,
                  new_by_cause=np.stack([t.new_by_cause for t in trajs])[:, None],
                  spend=np.stack([t.spend for t in trajs])[:, None],
                  churned=np.stack([t.churned for t in trajs])[:, None],
                  accounts=(np.stack([t.accounts for t in trajs])[:, None]
                            if sc.has_accounts else None))
    values = res.per_replicate()[metric].to_numpy(float)
    if metric == "payback_step":
        values = np.where(np.isnan(values), sc.horizon + 1.0, values)
    return values


def evaluate_chunk(tag: str, sc: Scenario, specs: Sequence[Strategy], indices: Sequence[int],
                    metric: str) -> list[np.ndarray]:
    return [evaluate(tag, sc, specs, i, metric) for i in indices]


class Evaluator:
    """Plans on replicates, in this process or a pool; each (plan, replicate) once."""

    def __init__(self, sc: Scenario, metric: str, pool: Executor | None, workers: int) -> None:
        self.sc = sc.model_copy(update={"strategies": [], "optimize": None, "sweep": None})
        self.tag = hashlib.sha256(self.sc.to_yaml().encode()).hexdigest()
        self.metric = metric
        self.pool = pool
        self.workers = workers
        self.done: dict[tuple[str, int], float] = {}

    def values(self, specs: Sequence[Strategy], replicates: range) -> np.ndarray:
        """``float64[len(specs), len(replicates)]``: search replicates (SEARCH_OFFSET + i)."""
        todo = [s for s in dict.fromkeys(key_of(s) for s in specs)
                if any((s, i) not in self.done for i in replicates)]
        if todo:
            plans = {key_of(s): s for s in specs}
            run_specs = [plans[k] for k in todo]
            indices = [SEARCH_OFFSET + i for i in replicates]
            if self.pool is None or len(indices) == 1:
                out = evaluate_chunk(self.tag, self.sc, run_specs, indices, self.metric)
            else:
                size = max(1, math.ceil(len(indices) / self.workers))
                chunks = [indices[j:j + size] for j in range(0, len(indices), size)]
                futures = [self.pool.submit(evaluate_chunk, self.tag, self.sc, run_specs, c,
                                            self.metric) for c in chunks]
                out = [v for f in futures for v in f.result()]  # in replicate order
            for i, vals in zip(replicates, out, strict=True):
                for k, v in zip(todo, vals, strict=True):
                    self.done[(k, i)] = float(v)
        return np.array([[self.done[(key_of(s), i)] for i in replicates] for s in specs])
