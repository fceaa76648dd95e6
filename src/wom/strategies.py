"""Strategies turn a budget into a campaign plan: seeds at step 0 and contacts per step.

Adding a strategy is one function decorated with :func:`strategy`; adding a seeding rule is
one function decorated with :func:`seeding`. Messages are numbered: ``k`` is the message
tailored to segment ``k``, ``S`` (the number of segments) is the generic message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np

from wom.network import Population
from wom.scenario import Budget, Dynamics, Scenario, Strategy


@dataclass(frozen=True)
class Plan:
    """What a strategy does with the budget.

    Attributes
    ----------
    seeds
        ``int32[k]`` people who adopt at step 0.
    seed_message
        ``int32[k]`` the message each seed carries.
    contacts
        ``int64[horizon, S]`` distinct people to reach in each segment at each step.
    contact_message
        ``int32[S]`` the message a contact in segment ``k`` hears.
    cost_per_seed, cost_per_contact
        To turn what was done into spend.
    """

    seeds: np.ndarray
    seed_message: np.ndarray
    contacts: np.ndarray
    contact_message: np.ndarray
    cost_per_seed: float
    cost_per_contact: float


def resonance_matrix(dyn: Dynamics, n_segments: int) -> np.ndarray:
    """``float64[S+1, S]``: resonance of message ``m`` (row) in segment ``k`` (column)."""
    r = np.full((n_segments + 1, n_segments), dyn.overlap, dtype=np.float64)
    np.fill_diagonal(r[:n_segments], 1.0)
    r[n_segments] = dyn.generic_resonance
    return r


def split(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer in proportion to weights (largest remainder; ties to the first)."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(w.size, dtype=np.int64)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    rest = total - int(out.sum())
    if rest > 0:
        out[np.argsort(-(exact - out), kind="stable")[:rest]] += 1
    return out


def budget_units(budget: Budget) -> tuple[int, int]:
    """Seeds and contacts the budget buys (whole units; the rest is not spent)."""
    n_seeds = int(budget.total * budget.seed_share // budget.cost_per_seed)
    n_contacts = int(budget.total * (1.0 - budget.seed_share) // budget.cost_per_contact)
    return n_seeds, n_contacts


def contact_schedule(
    per_segment: np.ndarray, weeks: int, horizon: int, sizes: np.ndarray
) -> np.ndarray:
    """Spread each segment's contacts evenly over the first `weeks` steps.

    Nobody is reached twice in one step, so a step's contacts in a segment are capped at its
    size; the money for contacts beyond the cap is not spent.
    """
    out = np.zeros((horizon, per_segment.size), dtype=np.int64)
    for k, c in enumerate(per_segment):
        out[:weeks, k] = split(int(c), np.ones(weeks))
    np.minimum(out, sizes[None, :], out=out)
    return out


Seeder = Callable[[Population, np.ndarray, int, np.random.Generator], np.ndarray]
SEEDING: dict[str, Seeder] = {}


def seeding(name: str) -> Callable[[Seeder], Seeder]:
    """Register a seeding rule ``(population, candidates, k, rng) -> chosen people``."""

    def register(fn: Seeder) -> Seeder:
        SEEDING[name] = fn
        return fn

    return register


def _top(score: np.ndarray, candidates: np.ndarray, k: int, rng: np.random.Generator):
    """The `k` best-scoring candidates, ties broken at random."""
    tie = rng.random(candidates.size)
    order = np.lexsort((tie, -score))
    return candidates[order[:k]]


@seeding("random")
def seed_random(pop: Population, candidates: np.ndarray, k: int, rng: np.random.Generator):
    """Seeds drawn uniformly among the candidates."""
    return rng.choice(candidates, size=min(k, candidates.size), replace=False)


@seeding("hubs")
def seed_hubs(pop: Population, candidates: np.ndarray, k: int, rng: np.random.Generator):
    """The candidates with the most conversation ties."""
    return _top(pop.degree()[candidates].astype(float), candidates, k, rng)


@numba.njit(cache=True)
def _segment_pagerank(indptr, indices, segment, seg_start, damping, iterations):  # pragma: no cover
    n = segment.size
    x = np.empty(n)
    for k in range(seg_start.size - 1):
        size = seg_start[k + 1] - seg_start[k]
        for v in range(seg_start[k], seg_start[k + 1]):
            x[v] = 1.0 / size
    deg = np.zeros(n)
    for u in range(n):
        for a in range(indptr[u], indptr[u + 1]):
            if segment[indices[a]] == segment[u]:
                deg[u] += 1.0
    nxt = np.empty(n)
    n_seg = seg_start.size - 1
    dangling = np.empty(n_seg)
    for _ in range(iterations):
        dangling[:] = 0.0
        nxt[:] = 0.0
        for u in range(n):
            if deg[u] == 0.0:
                dangling[segment[u]] += x[u]
                continue
            share = x[u] / deg[u]
            for a in range(indptr[u], indptr[u + 1]):
                v = indices[a]
                if segment[v] == segment[u]:
                    nxt[v] += share
        for v in range(n):
            s = segment[v]
            size = seg_start[s + 1] - seg_start[s]
            x[v] = (1.0 - damping) / size + damping * (nxt[v] + dangling[s] / size)
    return x


@seeding("poster_child")
def seed_poster_child(pop: Population, candidates: np.ndarray, k: int, rng: np.random.Generator):
    """The most central people *inside their own segment* (PageRank on in-segment ties).

    A segment is defined by its centre: its poster child is whom the others talk to, not the
    member with the most ties to outsiders.
    """
    score = _segment_pagerank(pop.indptr, pop.indices, pop.segment, pop.seg_start, 0.85, 40)
    return _top(score[candidates], candidates, k, rng)


def seeds_in(
    pop: Population, segments: np.ndarray, counts: np.ndarray, rule: str, rng: np.random.Generator
) -> np.ndarray:
    """Choose ``counts[i]`` seeds among the adoptable people of ``segments[i]``."""
    chosen = []
    adoptable = pop.adoptable
    for k, c in zip(segments, counts, strict=True):
        if c <= 0:
            continue
        members = pop.members(int(k))
        candidates = members[adoptable[members]]
        chosen.append(SEEDING[rule](pop, candidates, int(c), rng))
    return np.concatenate(chosen).astype(np.int32) if chosen else np.empty(0, np.int32)


StrategyFn = Callable[[Strategy, Scenario, Population, np.random.Generator], Plan]
STRATEGIES: dict[str, StrategyFn] = {}


def strategy(kind: str) -> Callable[[StrategyFn], StrategyFn]:
    """Register a strategy kind ``(spec, scenario, population, rng) -> Plan``."""

    def register(fn: StrategyFn) -> StrategyFn:
        STRATEGIES[kind] = fn
        return fn

    return register


def _plan(
    sc: Scenario,
    pop: Population,
    targets: np.ndarray,
    weights: np.ndarray,
    message: np.ndarray,
    rule: str,
    rng: np.random.Generator,
) -> Plan:
    """Split seeds and contacts over `targets` by `weights`; `message[k]` per segment."""
    S = pop.n_segments
    n_seeds, n_contacts = budget_units(sc.budget)
    seed_counts = split(n_seeds, weights)
    seeds = seeds_in(pop, targets, seed_counts, rule, rng)
    per_segment = np.zeros(S, dtype=np.int64)
    per_segment[targets] = split(n_contacts, weights)
    sizes = np.diff(pop.seg_start)
    return Plan(
        seeds=seeds,
        seed_message=message[pop.segment[seeds]].astype(np.int32),
        contacts=contact_schedule(per_segment, sc.budget.campaign_weeks, sc.horizon, sizes),
        contact_message=message.astype(np.int32),
        cost_per_seed=sc.budget.cost_per_seed,
        cost_per_contact=sc.budget.cost_per_contact,
    )


@strategy("focused")
def focused(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """Everything on one segment, in that segment's own language."""
    k = pop.segment_names.index(spec.segment)
    message = np.full(pop.n_segments, k, dtype=np.int32)
    return _plan(sc, pop, np.array([k]), np.array([1.0]), message, spec.seeding, rng)


@strategy("broad")
def broad(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """The budget split over every segment by size, with the generic message."""
    S = pop.n_segments
    message = np.full(S, S, dtype=np.int32)
    sizes = np.diff(pop.seg_start).astype(float)
    return _plan(sc, pop, np.arange(S), sizes, message, spec.seeding, rng)


def make_plan(
    spec: Strategy, sc: Scenario, pop: Population, *, rng: np.random.Generator
) -> Plan:
    """The plan of strategy `spec` on population `pop`."""
    return STRATEGIES[spec.kind](spec, sc, pop, rng)
