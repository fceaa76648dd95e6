"""Strategies turn a budget into a campaign plan: seeds at step 0 and contacts per step.

Adding a strategy is one function decorated with :func:`strategy`; adding a seeding rule is
one function decorated with :func:`seeding`. Messages are numbered: ``k`` is the message
tailored to segment ``k``, ``S`` (the number of segments) is the generic message.

Every strategy gets the same money: ``seed_share`` of the budget buys seeds at step 0, the
rest buys contacts spread evenly over ``campaign_weeks``. Money split over several segments is
split by segment size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numba
import numpy as np

from wom.network import Population
from wom.scenario import Dynamics, Scenario, Strategy

if TYPE_CHECKING:
    from wom.engine import Simulation


@dataclass
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
    seed_cost, contact_cost
        ``float64[S]``: cost of one seed and of one contact in each segment.
    """

    seeds: np.ndarray
    seed_message: np.ndarray
    contacts: np.ndarray
    contact_message: np.ndarray
    seed_cost: np.ndarray
    contact_cost: np.ndarray

    def at(self, t: int, sim: Simulation) -> tuple[np.ndarray, np.ndarray]:
        """Contacts per segment and their messages at step `t` (may read the state)."""
        return self.contacts[t], self.contact_message


def resonance_matrix(dyn: Dynamics, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """``float64[S+1, S]``: resonance of message ``m`` (row) in segment ``k`` (column)."""
    S = len(names)
    r = np.empty((S + 1, S), dtype=np.float64)
    for m, written_for in enumerate(names):
        for k, heard_in in enumerate(names):
            r[m, k] = dyn.overlap_of(written_for, heard_in)
    r[S] = dyn.generic_resonance
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


def units(money: float, weights: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Whole units bought in each segment with `money` split by `weights` at `cost` each.

    Money is split by weight; each segment buys what its share pays for, and what is left
    over buys one more unit where the unspent fraction is largest, while it lasts.
    """
    w = np.asarray(weights, dtype=float)
    if money <= 0 or w.sum() <= 0:
        return np.zeros(w.size, dtype=np.int64)
    exact = money * w / w.sum() / cost
    out = np.floor(exact + 1e-9).astype(np.int64)
    left = money - float((out * cost).sum())
    for k in np.argsort(-(exact - out), kind="stable"):
        if w[k] > 0 and exact[k] - out[k] > 1e-9 and cost[k] <= left + 1e-9:
            out[k] += 1
            left -= cost[k]
    return out


def segment_costs(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """``float64[S]`` costs of a seed and of a contact, segment by segment."""
    b = sc.budget
    seed = np.array([s.cost_per_seed or b.cost_per_seed for s in sc.segments], dtype=float)
    contact = np.array([s.cost_per_contact or b.cost_per_contact for s in sc.segments],
                       dtype=float)
    return seed, contact


def budget_money(sc: Scenario) -> tuple[float, float]:
    """Money for seeds and money for contacts."""
    b = sc.budget
    return b.total * b.seed_share, b.total * (1.0 - b.seed_share)


def budget_units(sc: Scenario) -> tuple[int, int]:
    """Seeds and contacts the budget buys at the budget's own unit costs."""
    seed_money, contact_money = budget_money(sc)
    b = sc.budget
    return int(seed_money // b.cost_per_seed), int(contact_money // b.cost_per_contact)


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


@dataclass(frozen=True)
class SeedingContext:
    """What a seeding rule may look at: the market, the scenario, the strategy, a generator,
    and the message the seeds will carry in each segment (``int32[S]``)."""

    population: Population
    scenario: Scenario
    spec: Strategy
    message: np.ndarray
    rng: np.random.Generator
    cache: dict = field(default_factory=dict)


Seeder = Callable[[SeedingContext, np.ndarray, int], np.ndarray]
SEEDING: dict[str, Seeder] = {}


def seeding(name: str) -> Callable[[Seeder], Seeder]:
    """Register a seeding rule ``(context, candidates, k) -> chosen people``."""

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
def seed_random(ctx: SeedingContext, candidates: np.ndarray, k: int) -> np.ndarray:
    """Seeds drawn uniformly among the candidates."""
    return ctx.rng.choice(candidates, size=min(k, candidates.size), replace=False)


@seeding("hubs")
def seed_hubs(ctx: SeedingContext, candidates: np.ndarray, k: int) -> np.ndarray:
    """The candidates with the most conversation ties."""
    return _top(ctx.population.degree()[candidates].astype(float), candidates, k, ctx.rng)


def cross_ties(pop: Population) -> np.ndarray:
    """``int64[N]``: each person's ties to people of other segments."""
    src = np.repeat(pop.segment, np.diff(pop.indptr))
    other = src != pop.segment[pop.indices]
    owner = np.repeat(np.arange(pop.n), np.diff(pop.indptr))
    return np.bincount(owner[other], minlength=pop.n)


@seeding("bridges")
def seed_bridges(ctx: SeedingContext, candidates: np.ndarray, k: int) -> np.ndarray:
    """The candidates with the most ties to other segments (they carry the word across)."""
    pop = ctx.population
    if "cross_ties" not in pop.cache:
        pop.cache["cross_ties"] = cross_ties(pop)
    score = pop.cache["cross_ties"]
    return _top(score[candidates].astype(float), candidates, k, ctx.rng)


@numba.njit(cache=True)
def _block_pagerank(indptr, indices, s0, s1, damping, tol, max_iter):  # pragma: no cover
    """PageRank of the people ``s0:s1`` on the ties among them (their own segment)."""
    n = s1 - s0
    deg = np.zeros(n)
    for u in range(s0, s1):
        for a in range(indptr[u], indptr[u + 1]):
            w = indices[a]
            if s0 <= w < s1:
                deg[u - s0] += 1.0
    x = np.full(n, 1.0 / n)
    nxt = np.empty(n)
    for _ in range(max_iter):
        nxt[:] = 0.0
        dangling = 0.0
        for i in range(n):
            if deg[i] == 0.0:
                dangling += x[i]
                continue
            share = x[i] / deg[i]
            u = s0 + i
            for a in range(indptr[u], indptr[u + 1]):
                w = indices[a]
                if s0 <= w < s1:
                    nxt[w - s0] += share
        change = 0.0
        for i in range(n):
            y = (1.0 - damping) / n + damping * (nxt[i] + dangling / n)
            change += abs(y - x[i])
            x[i] = y
        if change < tol:
            break
    return x


def segment_centrality(pop: Population, k: int) -> np.ndarray:
    """PageRank inside segment `k` (on its own ties), for its members in id order."""
    key = f"pagerank:{k}"
    if key not in pop.cache:
        s0, s1 = int(pop.seg_start[k]), int(pop.seg_start[k + 1])
        pop.cache[key] = _block_pagerank(pop.indptr, pop.indices, s0, s1, 0.85, 1e-9, 100)
    return pop.cache[key]


@seeding("poster_child")
def seed_poster_child(ctx: SeedingContext, candidates: np.ndarray, k: int) -> np.ndarray:
    """The most central people *inside their own segment* (PageRank on in-segment ties).

    A segment is defined by its centre: its poster child is whom the others talk to, not the
    member with the most ties to outsiders.
    """
    pop = ctx.population
    score = np.empty(candidates.size)
    seg = pop.segment[candidates]
    for s in np.unique(seg):
        here = seg == s
        score[here] = segment_centrality(pop, int(s))[candidates[here] - pop.seg_start[s]]
    return _top(score, candidates, k, ctx.rng)


def seeds_in(ctx: SeedingContext, segments: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Choose ``counts[i]`` seeds among the adoptable people of ``segments[i]``."""
    pop = ctx.population
    chosen = []
    adoptable = pop.adoptable
    rule = SEEDING[ctx.spec.seeding]
    for k, c in zip(segments, counts, strict=True):
        if c <= 0:
            continue
        members = pop.members(int(k))
        candidates = members[adoptable[members]]
        chosen.append(rule(ctx, candidates, int(c)))
    return np.concatenate(chosen).astype(np.int32) if chosen else np.empty(0, np.int32)


StrategyFn = Callable[[Strategy, Scenario, Population, np.random.Generator], Plan]
STRATEGIES: dict[str, StrategyFn] = {}


def strategy(kind: str) -> Callable[[StrategyFn], StrategyFn]:
    """Register a strategy kind ``(spec, scenario, population, rng) -> Plan``."""

    def register(fn: StrategyFn) -> StrategyFn:
        STRATEGIES[kind] = fn
        return fn

    return register


def _index(pop: Population, names: list[str]) -> np.ndarray:
    return np.array([pop.segment_names.index(n) for n in names], dtype=np.int64)


def _plan(
    spec: Strategy,
    sc: Scenario,
    pop: Population,
    targets: np.ndarray,
    message: np.ndarray,
    rng: np.random.Generator,
) -> Plan:
    """Split seed and contact money over `targets` by size; `message[k]` per segment."""
    S = pop.n_segments
    sizes = np.diff(pop.seg_start)
    seed_cost, contact_cost = segment_costs(sc)
    seed_money, contact_money = budget_money(sc)
    w = sizes[targets].astype(float)
    ctx = SeedingContext(pop, sc, spec, message, rng)
    seeds = seeds_in(ctx, targets, units(seed_money, w, seed_cost[targets]))
    per_segment = np.zeros(S, dtype=np.int64)
    per_segment[targets] = units(contact_money, w, contact_cost[targets])
    return Plan(
        seeds=seeds,
        seed_message=message[pop.segment[seeds]].astype(np.int32),
        contacts=contact_schedule(per_segment, sc.budget.campaign_weeks, sc.horizon, sizes),
        contact_message=message.astype(np.int32),
        seed_cost=seed_cost,
        contact_cost=contact_cost,
    )


@strategy("focused")
def focused(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """Everything on one segment, in that segment's own language."""
    k = pop.segment_names.index(spec.segment)
    message = np.full(pop.n_segments, k, dtype=np.int32)
    return _plan(spec, sc, pop, np.array([k]), message, rng)


@strategy("broad")
def broad(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """The budget split over every segment by size, with the generic message."""
    S = pop.n_segments
    message = np.full(S, S, dtype=np.int32)
    return _plan(spec, sc, pop, np.arange(S), message, rng)


@strategy("multi")
def multi(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """The budget split over `segments` by size, each hearing its own tailored message."""
    targets = _index(pop, spec.segments or [])
    message = np.arange(pop.n_segments, dtype=np.int32)
    return _plan(spec, sc, pop, targets, message, rng)


@dataclass
class BeachheadPlan(Plan):
    """Bowling pins: contacts go to the current pin until it reaches `trigger` of its TAM.

    Attributes
    ----------
    order
        The pins given in the scenario (segment indices); after them, if ``auto``, the next
        pin is the segment with the most ties to the customers won so far.
    schedule
        ``int64[horizon, S]``: the contacts each step would buy if that segment were the pin.
    pins
        ``(step, segment)`` each time a pin became the target, for reports.
    """

    order: list[int] = field(default_factory=list)
    auto: bool = True
    trigger: float = 0.16
    schedule: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    tam: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pins: list[tuple[int, int]] = field(default_factory=list)

    def _next_pin(self, sim: Simulation) -> int | None:
        done = {k for _, k in self.pins}
        for k in self.order:
            if k not in done:
                return k
        if not self.auto:
            return None
        pop = sim.population
        adopters = sim.order[: sim.n_adopted]
        starts, ends = pop.indptr[adopters], pop.indptr[adopters + 1]
        arcs = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)]
                              or [np.empty(0, np.int64)])
        ties = np.bincount(pop.segment[pop.indices[arcs]], minlength=pop.n_segments)
        ties = ties.astype(float)
        ties[list(done)] = -1.0
        if ties.max() < 0:
            return None
        return int(np.argmax(ties))  # ties broken towards the first segment

    def at(self, t: int, sim: Simulation) -> tuple[np.ndarray, np.ndarray]:
        if not self.pins:
            self.pins.append((t, self.order[0]))
        won = sim.adopters_by_segment()
        while True:
            pin = self.pins[-1][1]
            if self.tam[pin] == 0 or won[pin] < self.trigger * self.tam[pin]:
                break
            nxt = self._next_pin(sim)
            if nxt is None:
                break
            self.pins.append((t, nxt))
        pin = self.pins[-1][1]
        contacts = np.zeros(self.schedule.shape[1], dtype=np.int64)
        contacts[pin] = self.schedule[t, pin]
        message = np.full(contacts.size, pin, dtype=np.int32)
        return contacts, message


@strategy("beachhead")
def beachhead(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """Win one segment, then move the remaining contacts to the next pin.

    All seeds go to the first pin at step 0 (that is how the beachhead is won); each week's
    contacts go to the current pin, in its own language.
    """
    order = _index(pop, spec.order or [str(spec.segment)])
    first = int(order[0])
    base = _plan(spec, sc, pop, np.array([first]),
                 np.full(pop.n_segments, first, dtype=np.int32), rng)
    _, contact_money = budget_money(sc)
    sizes = np.diff(pop.seg_start)
    per_pin = np.array([units(contact_money, np.ones(1), base.contact_cost[k:k + 1])[0]
                        for k in range(pop.n_segments)])
    schedule = contact_schedule(per_pin, sc.budget.campaign_weeks, sc.horizon, sizes)
    return BeachheadPlan(
        seeds=base.seeds, seed_message=base.seed_message, contacts=base.contacts,
        contact_message=base.contact_message, seed_cost=base.seed_cost,
        contact_cost=base.contact_cost, order=[int(k) for k in order],
        auto=spec.order is None, trigger=spec.trigger, schedule=schedule, tam=pop.tam_size,
    )


def make_plan(
    spec: Strategy, sc: Scenario, pop: Population, *, rng: np.random.Generator
) -> Plan:
    """The plan of strategy `spec` on population `pop`."""
    return STRATEGIES[spec.kind](spec, sc, pop, rng)
