"""Strategies turn a budget into a campaign plan: seeds at step 0 and contacts per step.

A strategy kind is one function registered in :data:`wom.config.STRATEGY_KINDS` with the
target keys it needs and takes (``segment``, ``segments``, ``order``); a seeding rule is one
function in :mod:`wom.campaign.seeding`. Messages are numbered: ``k`` is the message tailored
to segment ``k``, ``S`` (the number of segments) is the generic message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from wom.campaign.budget import budget_money, contact_schedule, strategy_costs, units
from wom.campaign.seeding import SeedingContext, seeds_in
from wom.config import IGNITION_SHARE, SEEDING_RULES, STRATEGY_KINDS, Scenario, Strategy
from wom.engine import Plan, Simulation, value_message
from wom.market import Population


def _pins_given(spec: Strategy) -> None:
    """A beachhead names its first pin (``segment``) or all of them (``order``)."""
    if spec.segment is None and not spec.order:
        raise ValueError("a beachhead strategy needs `order` (or `segment`, the first "
                         "pin, with the next ones chosen automatically)")
    if spec.segment is not None and spec.order and spec.order[0] != spec.segment:
        raise ValueError("`segment` must be the first of `order` (or leave it out)")


def indices_of(pop: Population, names: list[str]) -> np.ndarray:
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
    seed_cost, contact_cost = strategy_costs(spec, sc)
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


@STRATEGY_KINDS.register("focused", needs=("segment",), takes=("segment", "target"))
def focused(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """Everything on one segment, in that segment's own language; or, with `target`, on
    the people with an attribute value, wherever they talk (:func:`targeted`)."""
    if spec.target is not None:
        return targeted(spec, sc, pop, rng)
    k = pop.segment_names.index(spec.segment)
    message = np.full(pop.n_segments, k, dtype=np.int32)
    return _plan(spec, sc, pop, np.array([k]), message, rng)


def targeted(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """Everything on the people with the values of `target` (a bought list: dentists in
    every segment), in a message written for the first of them.

    Seeds are chosen among them by the strategy's seeding rule; each week's contacts are
    distinct people among them, drawn as a segment's are. A seed and a contact cost the
    strategy's own costs, or the mean of the targeted people's segments' costs.
    """
    tr = pop.traits
    target = spec.target or {}
    if tr is None:
        raise ValueError(f"{spec.name!r} targets {target}, but the market has no attributes")
    pool = tr.people_with(target)  # (may be nobody: several keys drawn apart; then the
    #                                 strategy spends nothing, as on a segment nobody can win)
    name, value = next(iter(target.items()))
    said = value_message(pop, name, value)
    S = pop.n_segments
    seg_seed, seg_contact = strategy_costs(spec, sc)
    of = pop.segment[pool] if pool.size else pop.segment
    seed_cost = float(seg_seed[of].mean())
    contact_cost = float(seg_contact[of].mean())
    seed_money, contact_money = budget_money(sc)
    message = np.full(S, said, dtype=np.int32)
    ctx = SeedingContext(pop, sc, spec, message, rng)
    n_seeds = int(units(seed_money, np.ones(1), np.array([seed_cost]))[0])
    candidates = pool[pop.adoptable[pool]].astype(np.int64)
    seeds = (SEEDING_RULES[spec.seeding](ctx, candidates, n_seeds).astype(np.int32)
             if n_seeds > 0 and candidates.size else np.empty(0, np.int32))
    n_contacts = units(contact_money, np.ones(1), np.array([contact_cost]))
    pool_contacts = contact_schedule(n_contacts, sc.budget.campaign_weeks, sc.horizon,
                                     np.array([pool.size]))[:, 0]
    return Plan(
        seeds=seeds,
        seed_message=np.full(seeds.size, said, dtype=np.int32),
        contacts=np.zeros((sc.horizon, S), dtype=np.int64),
        contact_message=message,
        seed_cost=np.full(S, seed_cost),
        contact_cost=np.full(S, contact_cost),
        pool=pool,
        pool_contacts=np.ascontiguousarray(pool_contacts, dtype=np.int64),
        pool_message=said,
    )


@STRATEGY_KINDS.register("broad")
def broad(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """The budget split over every segment by size, with the generic message."""
    S = pop.n_segments
    message = np.full(S, S, dtype=np.int32)
    return _plan(spec, sc, pop, np.arange(S), message, rng)


@STRATEGY_KINDS.register("multi", needs=("segments",), takes=("segments",))
def multi(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """The budget split over `segments` by size, each hearing its own tailored message."""
    targets = indices_of(pop, spec.segments or [])
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
    pin_message
        ``int32[S]``: the message each pin hears (None: its own tailored message; a sequenced
        :func:`mix` may give a pin the generic one).
    """

    reacts: ClassVar[bool] = True
    order: list[int] = field(default_factory=list)
    auto: bool = True
    trigger: float = IGNITION_SHARE
    schedule: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    tam: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pins: list[tuple[int, int]] = field(default_factory=list)
    pin_message: np.ndarray | None = None

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
        said = pin if self.pin_message is None else int(self.pin_message[pin])
        message = np.full(contacts.size, said, dtype=np.int32)
        return contacts, message


@STRATEGY_KINDS.register("beachhead", takes=("segment", "order"),
                          check=_pins_given)
def beachhead(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """Bowling pins: focused on the first pin until it wins `trigger` of its TAM, then the
    remaining contacts move to the next (`order`, or the segment with the most ties to the
    customers won so far).

    All seeds go to the first pin at step 0 (that is how the beachhead is won); each week's
    contacts go to the current pin, in its own language.
    """
    order = indices_of(pop, spec.order or [str(spec.segment)])
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


def _mix_given(spec: Strategy) -> None:
    """A mix names the segments it targets, either with weights that are not all zero (the
    budget split at once) or in `order` (a sequence), and gives messages only for them."""
    weights = spec.weights
    if spec.order is not None and not spec.order:
        raise ValueError("`order` is empty: name the segments won one after another")
    if (weights is None) == (spec.order is None):
        raise ValueError("a mix takes `weights` (the budget split over segments at once) or "
                         "`order` (the segments won one after another), one of the two")
    if weights is not None and sum(weights.values()) <= 0:
        raise ValueError("the `weights` of a mix must not all be 0: give each targeted "
                         "segment a weight above 0")
    if isinstance(spec.message, dict):
        for name in spec.message:
            if name not in spec.targets:
                raise ValueError(f"`message` names {name!r}, which is not in "
                                 f"`{'order' if weights is None else 'weights'}`")


def _messages(spec: Strategy, pop: Population) -> np.ndarray:
    """``int32[S]``: the message each segment hears from a mix (its own, or S: generic)."""
    S = pop.n_segments
    choice = spec.message if spec.message is not None else "tailored"
    message = np.arange(S, dtype=np.int32)
    for k, name in enumerate(pop.segment_names):
        said = choice if isinstance(choice, str) else choice.get(name, "tailored")
        if said == "generic":
            message[k] = S
    return message


@STRATEGY_KINDS.register("mix", takes=("weights", "order", "message", "seed_share",
                                       "campaign_weeks"),
                          check=_mix_given)
def mix(spec: Strategy, sc: Scenario, pop: Population, rng: np.random.Generator) -> Plan:
    """The budget split over segments by weight, each segment tailored or generic, with its
    own seed share and campaign length: the plans `wom optimize` searches.

    Seed money and contact money are both split in proportion to `weights` (not to size:
    the split is the decision); a segment's `message` is its own tailored message or the
    generic one. `seed_share` and `campaign_weeks` replace the budget's for this strategy.
    With `order` instead of `weights` the plan is a sequence (bowling pins, as
    :func:`beachhead` without its automatic pins): every seed on the first pin at step 0,
    each week's contacts on the current pin, which moves on when `trigger` of its TAM is won.
    """
    S = pop.n_segments
    message = _messages(spec, pop)
    b = sc.budget
    share = b.seed_share if spec.seed_share is None else spec.seed_share
    weeks = b.campaign_weeks if spec.campaign_weeks is None else spec.campaign_weeks
    sizes = np.diff(pop.seg_start)
    seed_cost, contact_cost = strategy_costs(spec, sc)
    ctx = SeedingContext(pop, sc, spec, message, rng)
    if spec.order is not None:
        order = indices_of(pop, spec.order)
        seeds = seeds_in(ctx, order[:1], units(b.total * share, np.ones(1),
                                               seed_cost[order[:1]]))
        per_pin = np.array([units(b.total * (1.0 - share), np.ones(1),
                                  contact_cost[k:k + 1])[0] for k in range(S)])
        schedule = contact_schedule(per_pin, weeks, sc.horizon, sizes)
        return BeachheadPlan(
            seeds=seeds, seed_message=message[pop.segment[seeds]].astype(np.int32),
            contacts=np.zeros_like(schedule), contact_message=message.astype(np.int32),
            seed_cost=seed_cost, contact_cost=contact_cost, order=[int(k) for k in order],
            auto=False, trigger=spec.trigger, schedule=schedule, tam=pop.tam_size,
            pin_message=message.copy())
    weights = spec.weights or {}
    # in the market's order of segments, whatever order the weights were written in
    names = pop.segment_names
    targets = np.array(sorted(names.index(n) for n in weights if weights[n] > 0),
                       dtype=np.int64)
    w = np.array([weights[names[k]] for k in targets], dtype=float)
    seeds = seeds_in(ctx, targets, units(b.total * share, w, seed_cost[targets]))
    per_segment = np.zeros(S, dtype=np.int64)
    per_segment[targets] = units(b.total * (1.0 - share), w, contact_cost[targets])
    return Plan(
        seeds=seeds,
        seed_message=message[pop.segment[seeds]].astype(np.int32),
        contacts=contact_schedule(per_segment, weeks, sc.horizon, sizes),
        contact_message=message.astype(np.int32),
        seed_cost=seed_cost,
        contact_cost=contact_cost,
    )


def make_plan(
    spec: Strategy, sc: Scenario, pop: Population, *, rng: np.random.Generator
) -> Plan:
    """The plan of strategy `spec` on population `pop` (with its aim and its message's
    resonance with each role, which matter only in a market of accounts)."""
    plan = STRATEGY_KINDS[spec.kind](spec, sc, pop, rng)
    plan.aim = np.array(spec.aim_shares(), dtype=np.float64)
    plan.roles = spec.role_resonance()
    return plan
