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
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from wom.config import Scenario, Strategy
from wom.config.optimize import OBJECTIVES, Optimize
from wom.engine import run_to_horizon
from wom.errors import WomError
from wom.experiment.found import scores
from wom.experiment.replicate import Markets, Replicate, market_key
from wom.store import Results

#: The search's replicates are SEARCH_OFFSET + i: never the confirmation's (0 … n − 1).
SEARCH_OFFSET = 1_000_000
#: Weights a segment may get: whole numbers 1 … WEIGHT_STEPS (a plan's split is their ratio).
WEIGHT_STEPS = 10
#: Seed shares searched: multiples of this within the bounds.
SHARE_STEP = 0.05
#: Triggers searched: multiples of this within the bounds (0.16, Moore's, is one).
TRIGGER_STEP = 0.01


#: The metrics objectives maximise: none reads a market's TAM (:func:`evaluate_chunk`).
TAM_FREE = frozenset(OBJECTIVES.values())


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
    sequencing: tuple[str, ...] = ("parallel", "sequenced")
    trigger: tuple[float, float] = (0.05, 0.5)
    pitches: tuple[Strategy, ...] = ()

    @classmethod
    def of(cls, sc: Scenario, block: Optimize) -> Space:
        allowed = block.segments or sc.segment_names
        return cls(tuple(s for s in sc.segment_names if s in allowed),  # market order
                   (float(block.seed_share[0]), float(block.seed_share[1])),
                   block.weeks(sc.horizon, sc.budget.campaign_weeks), tuple(block.messages),
                   tuple(block.seeding),
                   tuple(block.sequencing), (float(block.trigger[0]), float(block.trigger[1])),
                   pitches_of(sc))

    def columns(self) -> list[str]:
        """The plan's columns in trials.csv."""
        return ([f"weight.{s}" for s in self.segments]
                + [f"message.{s}" for s in self.segments]
                + ["order", "trigger", "seed_share", "campaign_weeks", "seeding"]
                + (["pitch"] if self.pitches else []))

    def pitch(self, trial: Any) -> dict[str, Any]:
        """The aim and role resonance a trial's plan takes (a market of accounts)."""
        if not self.pitches:
            return {}
        names = [p.name for p in self.pitches]
        name = trial.suggest_categorical("pitch", names) if len(names) > 1 else names[0]
        spec = self.pitches[names.index(name)]
        return {"aim": spec.aim, "resonance": spec.resonance}

    def pitch_name(self, spec: Strategy) -> str | None:
        """The strategy of the scenario whose aim and resonance `spec` has (None: none)."""
        for p in self.pitches:
            if (p.aim, p.resonance) == (spec.aim, spec.resonance):
                return p.name
        return None

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
        sequenced = (trial.suggest_categorical("sequencing", list(self.sequencing))
                     if len(self.sequencing) > 1 and many
                     else self.sequencing[0]) == "sequenced"
        trigger = _on_grid(trial, "trigger", self.trigger, TRIGGER_STEP)
        share = _on_grid(trial, "seed_share", self.share, SHARE_STEP)
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
        # A sequence is the heaviest first (ties: market order). With one segment, or with
        # no contacts (every seed is on the first pin), it is the parallel plan of its first.
        order = sorted(weights, key=lambda s: (-weights[s], self.segments.index(s)))
        if sequenced and (len(order) < 2 or share >= 1.0):
            sequenced, weights = False, {order[0]: 1}
            messages = {order[0]: messages[order[0]]}
        kinds = set(messages.values())
        message: Any = kinds.pop() if len(kinds) == 1 else messages
        pitch = self.pitch(trial)
        if sequenced:
            return Strategy(name=f"trial-{trial.number}", kind="mix", order=order,
                            trigger=trigger, message=message, seed_share=share,
                            campaign_weeks=weeks, seeding=seeding, **pitch)
        return Strategy(name=f"trial-{trial.number}", kind="mix", weights=weights,
                        message=message, seed_share=share, campaign_weeks=weeks,
                        seeding=seeding, **pitch)

    def row(self, spec: Strategy) -> dict[str, Any]:
        """A plan's columns of trials.csv (weight 0: not targeted)."""
        weights = spec.weights
        msg = spec.message
        targets = spec.targets
        out: dict[str, Any] = {
            f"weight.{s}": "" if weights is None else _whole(weights.get(s, 0))
            for s in self.segments}
        for s in self.segments:
            said = msg if isinstance(msg, str) else (msg or {}).get(s, "tailored")
            out[f"message.{s}"] = said if s in targets else ""
        out.update(order=" > ".join(spec.order) if spec.order else "",
                   trigger=spec.trigger if spec.order else "",
                   seed_share=spec.seed_share, campaign_weeks=spec.campaign_weeks,
                   seeding=spec.seeding)
        if self.pitches:
            out["pitch"] = self.pitch_name(spec)
        return out


def pitches_of(sc: Scenario) -> tuple[Strategy, ...]:
    """In a market of accounts, the pitches a plan may make: each (aim, role resonance) of
    the scenario's strategies, named by the first strategy with it. A plan searched with
    the model's default (anyone, resonance 1 with every role) would credit it with a
    message better than any the user wrote."""
    if not sc.has_accounts:
        return ()
    out: list[Strategy] = []
    for st in sc.strategies:
        if all((p.aim, p.resonance) != (st.aim, st.resonance) for p in out):
            out.append(st)
    return tuple(out)


def _whole(x: float) -> float | int:
    """A weight as written: 3, not 3.0."""
    return int(x) if float(x).is_integer() else x


def _steps(bounds: tuple[float, float], step: float) -> int:
    """Steps of the grid over `bounds`: about `step` each, at least one if they differ."""
    lo, hi = bounds
    return max(round((hi - lo) / step), 1 if hi > lo else 0)


def _on_grid(trial: Any, name: str, bounds: tuple[float, float], step: float) -> float:
    """A share within `bounds`, on a grid of `step` (one value if they meet)."""
    lo, hi = bounds
    steps = _steps(bounds, step)
    if steps < 1:
        return lo
    return round(lo + (hi - lo) * trial.suggest_int(name, 0, steps) / steps, 4)


def _grid_index(value: float, bounds: tuple[float, float], step: float) -> int | None:
    """The index :func:`_on_grid` gives `value` (None: not on the grid)."""
    lo, hi = bounds
    steps = _steps(bounds, step)
    if steps < 1:
        return 0 if abs(value - lo) < 1e-9 else None
    i = round((value - lo) / (hi - lo) * steps)
    return i if 0 <= i <= steps and abs(lo + (hi - lo) * i / steps - value) < 1e-9 else None


def _size_weights(sc: Scenario, names: Sequence[str]) -> dict[str, int] | None:
    """Whole weights 1 … WEIGHT_STEPS in proportion to the segments' sizes, if exact."""
    sizes = [sc.segments[sc.segment_names.index(n)].size for n in names]
    if not all(sizes):
        return None
    common = math.gcd(*sizes)
    w = [x // common for x in sizes]
    return dict(zip(names, w, strict=True)) if max(w) <= WEIGHT_STEPS else None


def params_of(space: Space, spec: Strategy, sc: Scenario) -> dict[str, Any] | None:
    """The trial parameters under which :meth:`Space.suggest` proposes the plan of the
    scenario's strategy `spec` (None: the space cannot express it exactly — a target by
    attribute or costs of its own, a segment,
    seeding rule, seed share or campaign outside it, automatic bowling pins, sizes not in
    whole ratios up to WEIGHT_STEPS). The search starts from these: the user's own plans
    are in the race, so the plan found is at least the best of them on the search's
    replicates."""
    if spec.target is not None or spec.cost_per_contact or spec.cost_per_seed:
        return None  # people by attribute, or costs of its own: not a plan of the space
    S = len(sc.segment_names)
    b = sc.budget
    seq, trigger = False, space.trigger[0]
    message: Any = "tailored"
    weights: dict[str, int] | None
    if spec.kind == "mix":
        seq = spec.order is not None
        weights = ({s: len(spec.order or []) - i for i, s in enumerate(spec.order or [])}
                   if seq else {s: round(w) for s, w in (spec.weights or {}).items() if w > 0})
        if not seq and any(abs(w - round(w)) > 1e-9 or w > WEIGHT_STEPS
                           for w in (spec.weights or {}).values()):
            return None
        message = spec.message or "tailored"
        trigger = spec.trigger
    elif spec.kind == "focused":
        weights = {str(spec.segment): 1}
    elif spec.kind in ("broad", "multi"):
        weights = _size_weights(sc, sc.segment_names if spec.kind == "broad"
                                else spec.segments or [])
        message = "generic" if spec.kind == "broad" else "tailored"
    elif spec.kind == "beachhead" and spec.order is not None:
        seq, trigger = True, spec.trigger
        weights = {s: len(spec.order) - i for i, s in enumerate(spec.order)}
    else:
        return None
    share = b.seed_share if spec.seed_share is None else spec.seed_share
    weeks = b.campaign_weeks if spec.campaign_weeks is None else spec.campaign_weeks
    said = {s: message if isinstance(message, str) else message.get(s, "tailored")
            for s in weights or {}}
    if (not weights or max(weights.values()) > WEIGHT_STEPS
            or not set(weights) <= set(space.segments)
            or not set(said.values()) <= set(space.messages)
            or spec.seeding not in space.seeding
            or not space.weeks[0] <= weeks <= space.weeks[1]
            or (space.pitches and space.pitch_name(spec) is None)
            or (seq and len(weights) > 1 and "sequenced" not in space.sequencing)
            or (not seq and "parallel" not in space.sequencing and S > 1)):
        return None
    share_at = _grid_index(share, space.share, SHARE_STEP)
    trigger_at = _grid_index(trigger, space.trigger, TRIGGER_STEP) if seq else 0
    if share_at is None or trigger_at is None:
        return None
    out: dict[str, Any] = {}
    many = len(space.segments) > 1
    for s in space.segments:
        if many:
            out[f"use.{s}"] = s in weights
            out[f"weight.{s}"] = weights.get(s, 1)
        if len(space.messages) > 1:
            out[f"message.{s}"] = said.get(s, space.messages[0])
    if len(space.sequencing) > 1 and many:
        out["sequencing"] = "sequenced" if seq else "parallel"
    if _steps(space.trigger, TRIGGER_STEP) >= 1:
        out["trigger"] = trigger_at
    if _steps(space.share, SHARE_STEP) >= 1:
        out["seed_share"] = share_at
    if space.weeks[1] > space.weeks[0]:
        out["campaign_weeks"] = weeks
    if len(space.seeding) > 1:
        out["seeding"] = spec.seeding
    if len(space.pitches) > 1:
        out["pitch"] = space.pitch_name(spec)
    return out


def key_of(spec: Strategy) -> str:
    """What makes two plans the same plan (their names aside)."""
    return spec.model_copy(update={"name": "-"}).model_dump_json()


#: Markets kept by each process, by scenario and replicate: every candidate of a search runs
#: on the same replicates, and a market is built once per process, not once per candidate.
MARKETS = Markets(limit=1024 * 2**20)


def replicate_market(tag: str, sc: Scenario, index: int, market: str) -> Replicate:
    """Replicate `index` of `sc`, its market kept under (`tag`, `market` — the digest of
    what it is drawn from, graph files' sizes and times included —, `index`)."""
    if sc.network.resample == "once":  # one market for every replicate, kept by Replicate
        return Replicate(sc, index)
    key = (tag, market, index)
    pop = MARKETS.get(key)
    if pop is not None:
        return Replicate(sc, index, population=pop)
    rep = Replicate(sc, index)
    MARKETS.put(key, rep.population)
    return rep


def evaluate_chunk(tag: str, sc: Scenario, specs: Sequence[Strategy], indices: Sequence[int],
                   metric: str) -> list[np.ndarray]:
    """`metric` of every plan of `specs` on each replicate of `indices` (a
    ``float64[len(specs)]`` per replicate).

    The chunk's runs make one table of results, so its metrics are computed once, not once
    per replicate: an objective does not read the TAM, the one number that differs between
    the markets of the chunk and that :class:`~wom.store.Results` keeps once. A plan that
    never pays back scores the horizon + 1 weeks (payback); one with no number (cost per
    customer with no customer) scores NaN.
    """
    if metric not in TAM_FREE:
        raise WomError(f"{metric} is not an objective of wom optimize")
    trajs, tams = [], []
    market = market_key(sc)
    for i in indices:
        rep = replicate_market(tag, sc, i, market)
        tams.append(rep.population.tam_size)
        trajs.append([run_to_horizon(rep.simulation(spec)) for spec in specs])

    def stack(field: str) -> np.ndarray:  # [plan, replicate, …]
        return np.stack([np.stack([getattr(t, field) for t in row]) for row in trajs], axis=1)

    one = sc.model_copy(update={"strategies": list(specs)})
    res = Results(scenario=one, tam=tams[0], new_by_cause=stack("new_by_cause"),
                  spend=stack("spend"), churned=stack("churned"),
                  accounts=stack("accounts") if sc.has_accounts else None)
    values = scores(res, metric)
    return [values[:, j] for j in range(len(indices))]


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
