"""The adoption rule of DESIGN §2, written once and compiled with numba.

Per not-yet-adopted person ``v`` that could adopt, at step ``t``::

    P(v adopts) = 1 − (1 − α_v(t)) · Π_{advocates u ∈ N(v)} (1 − β · w_uv · ρ(m_u, s(v)))
    α_v(t)     = a · ρ(m_c, s(v))   if a campaign reached v at t, else 0

and only if ``v`` has at least ``threshold_v`` adopted neighbours in its own segment (seeds
are exempt). Each term of the product is an independent trial, so the kernel runs them as
trials, pushing from the advocates (work grows with conversations, not with population).
When several trials succeed, the cause and message are drawn in proportion to their
probabilities. All adoptions of a step take effect together at its end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from wom.network import Population
from wom.scenario import Dynamics
from wom.strategies import Plan, resonance_matrix

CAUSE_SEED, CAUSE_MARKETING, CAUSE_WOM = 0, 1, 2
CAUSES = ("seed", "marketing", "wom")


@numba.njit(cache=True)
def _consider(v, p, cause, msg, t, stamp, weight, pick_cause, pick_msg, touched, n_touched, rng):
    """Record a successful trial for v; keep one per v, drawn in proportion to p."""
    if stamp[v] != t:
        stamp[v] = t
        weight[v] = p
        pick_cause[v] = cause
        pick_msg[v] = msg
        touched[n_touched] = v
        return n_touched + 1
    weight[v] += p
    if rng.random() * weight[v] < p:
        pick_cause[v] = cause
        pick_msg[v] = msg
    return n_touched


@numba.njit(cache=True)
def _step(
    t, indptr, indices, segment, seg_start, adoptable, threshold,
    adopted_at, message, cause, ref_count, order, step_start, n_adopted,
    perm, stamp, weight, pick_cause, pick_msg, touched,
    resonance, weak_tie, beta, alpha, talk_weeks,
    seeds, seed_message, contacts, contact_message, reached, out, rng,
):  # pragma: no cover - compiled
    """Advance one step; returns the new number of adopters. ``out[c, k]`` counts by cause."""
    step_start[t] = n_adopted
    first_new = n_adopted
    # Seeds adopt at their seeding step.
    for i in range(seeds.size):
        v = seeds[i]
        if adopted_at[v] < 0 and adoptable[v]:
            adopted_at[v] = t
            message[v] = seed_message[i]
            cause[v] = 0
            order[n_adopted] = v
            n_adopted += 1
    n_touched = 0
    # Word of mouth: advocates adopted at steps t-talk_weeks .. t-1.
    lo = step_start[t - talk_weeks] if t - talk_weeks > 0 else 0
    if beta > 0.0:
        for i in range(lo, first_new):
            u = order[i]
            mu = message[u]
            su = segment[u]
            for a in range(indptr[u], indptr[u + 1]):
                v = indices[a]
                if adopted_at[v] >= 0 or not adoptable[v] or ref_count[v] < threshold[v]:
                    continue
                sv = segment[v]
                p = beta * resonance[mu, sv] * (1.0 if sv == su else weak_tie)
                if p > 0.0 and rng.random() < p:
                    n_touched = _consider(v, p, 2, mu, t, stamp, weight, pick_cause, pick_msg,
                                          touched, n_touched, rng)
    # Marketing: distinct people per segment (partial Fisher-Yates on a kept permutation).
    for k in range(contacts.size):
        c = contacts[k]
        if c <= 0:
            continue
        start = seg_start[k]
        size = seg_start[k + 1] - start
        if c > size:
            c = size
        reached[k] = c
        mk = contact_message[k]
        p = alpha * resonance[mk, k]
        for i in range(c):
            j = i + rng.integers(0, size - i)
            tmp = perm[start + i]
            perm[start + i] = perm[start + j]
            perm[start + j] = tmp
            v = perm[start + i]
            if p <= 0.0 or adopted_at[v] >= 0 or not adoptable[v] or ref_count[v] < threshold[v]:
                continue
            if rng.random() < p:
                n_touched = _consider(v, p, 1, mk, t, stamp, weight, pick_cause, pick_msg,
                                      touched, n_touched, rng)
    for i in range(n_touched):
        v = touched[i]
        adopted_at[v] = t
        message[v] = pick_msg[v]
        cause[v] = pick_cause[v]
        order[n_adopted] = v
        n_adopted += 1
    # The step's adopters become references for their segment from the next step on.
    for i in range(first_new, n_adopted):
        u = order[i]
        su = segment[u]
        out[cause[u], su] += 1
        for a in range(indptr[u], indptr[u + 1]):
            v = indices[a]
            if segment[v] == su:
                ref_count[v] += 1
    return n_adopted


@dataclass
class StepCounts:
    """What happened in one step, per segment: new adopters by cause, people reached."""

    new_by_cause: np.ndarray  # int64[3, S]
    reached: np.ndarray  # int64[S]
    seeded: np.ndarray  # int64[S]


class Simulation:
    """One replicate of one strategy, advanced step by step.

    Parameters
    ----------
    population
        The market (graph and traits).
    plan
        The strategy's seeds and contacts.
    dynamics
        Word of mouth, marketing, talk weeks and resonance.
    weak_tie
        Strength of a cross-segment tie.
    rng
        The only source of randomness for the dynamics.

    Attributes
    ----------
    adopted_at
        ``int32[N]``: step each person adopted at, −1 if not (yet).
    message, cause
        The message each adopter carries and why they adopted (see :data:`CAUSES`).
    """

    def __init__(
        self,
        population: Population,
        plan: Plan,
        dynamics: Dynamics,
        weak_tie: float,
        *,
        rng: np.random.Generator,
    ) -> None:
        pop = population
        n = pop.n
        self.population, self.plan, self.rng = pop, plan, rng
        self.resonance = resonance_matrix(dynamics, pop.segment_names)
        self.weak_tie = float(weak_tie)
        self.beta = float(dynamics.word_of_mouth)
        self.alpha = float(dynamics.marketing)
        self.talk_weeks = int(dynamics.talk_weeks)
        self.adoptable = pop.adoptable
        self.adopted_at = np.full(n, -1, dtype=np.int32)
        self.message = np.full(n, -1, dtype=np.int32)
        self.cause = np.full(n, -1, dtype=np.int8)
        self.ref_count = np.zeros(n, dtype=np.int32)
        self.order = np.empty(n, dtype=np.int32)
        horizon = plan.contacts.shape[0]
        self.step_start = np.zeros(horizon + 1, dtype=np.int64)
        self.n_adopted = 0
        self._perm = np.arange(n, dtype=np.int32)
        self._stamp = np.full(n, -1, dtype=np.int32)
        self._weight = np.zeros(n, dtype=np.float64)
        self._pick_cause = np.zeros(n, dtype=np.int8)
        self._pick_msg = np.zeros(n, dtype=np.int32)
        self._touched = np.empty(n, dtype=np.int32)
        self._no_seeds = (np.empty(0, np.int32), np.empty(0, np.int32))
        self.t = 0
        self.horizon = horizon

    @property
    def adopters(self) -> int:
        return self.n_adopted

    def adopters_by_segment(self) -> np.ndarray:
        """``int64[S]``: adopters so far in each segment."""
        pop = self.population
        return np.bincount(pop.segment[self.order[: self.n_adopted]], minlength=pop.n_segments)

    def step(self) -> StepCounts:
        """Advance one step (week)."""
        if self.t >= self.horizon:
            raise RuntimeError(f"the horizon ({self.horizon} steps) is reached")
        pop, plan, t = self.population, self.plan, self.t
        S = pop.n_segments
        seeds, seed_msg = (plan.seeds, plan.seed_message) if t == 0 else self._no_seeds
        contacts, contact_message = plan.at(t, self)
        out = np.zeros((3, S), dtype=np.int64)
        reached = np.zeros(S, dtype=np.int64)
        self.n_adopted = _step(
            t, pop.indptr, pop.indices, pop.segment, pop.seg_start, self.adoptable,
            pop.threshold, self.adopted_at, self.message, self.cause, self.ref_count,
            self.order, self.step_start, self.n_adopted, self._perm, self._stamp,
            self._weight, self._pick_cause, self._pick_msg, self._touched, self.resonance,
            self.weak_tie, self.beta, self.alpha, self.talk_weeks, seeds, seed_msg,
            contacts, contact_message, reached, out, self.rng,
        )
        seeded = np.bincount(pop.segment[seeds], minlength=S) if t == 0 else np.zeros(S, np.int64)
        self.t += 1
        return StepCounts(new_by_cause=out, reached=reached, seeded=seeded)


@dataclass(frozen=True)
class Trajectory:
    """A whole replicate of one strategy, per step and segment.

    Attributes
    ----------
    new_by_cause
        ``int32[horizon, 3, S]``: new adopters by cause (seed, marketing, word of mouth).
    spend
        ``float64[horizon, S]``: money spent in each step in each segment.
    """

    new_by_cause: np.ndarray
    spend: np.ndarray


def simulate(
    population: Population,
    plan: Plan,
    dynamics: Dynamics,
    weak_tie: float,
    *,
    rng: np.random.Generator,
) -> Trajectory:
    """Run one replicate of one strategy to the horizon."""
    sim = Simulation(population, plan, dynamics, weak_tie, rng=rng)
    S = population.n_segments
    new = np.zeros((sim.horizon, 3, S), dtype=np.int32)
    spend = np.zeros((sim.horizon, S), dtype=np.float64)
    for t in range(sim.horizon):
        c = sim.step()
        new[t] = c.new_by_cause
        spend[t] = c.seeded * plan.seed_cost + c.reached * plan.contact_cost
    return Trajectory(new_by_cause=new, spend=spend)


@numba.njit(cache=True)
def _cascade(
    indptr, indices, segment, seg_start, adoptable, threshold, resonance, weak_tie, beta,
    talk_weeks, horizon, seeds, seed_message, adopted_at, message, cause, ref_count, order,
    step_start, perm, stamp, weight, pick_cause, pick_msg, touched, no_contacts,
    contact_message, reached, out, rng,
):  # pragma: no cover - compiled
    """Seeds only, word of mouth only, to the horizon; returns the customers won.

    The state arrays are left as they were found (all people unadopted), so one set of
    arrays serves any number of runs.
    """
    n_adopted = 0
    empty = seeds[:0]
    for t in range(horizon):
        step_seeds = seeds if t == 0 else empty
        n_adopted = _step(
            t, indptr, indices, segment, seg_start, adoptable, threshold,
            adopted_at, message, cause, ref_count, order, step_start, n_adopted,
            perm, stamp, weight, pick_cause, pick_msg, touched,
            resonance, weak_tie, beta, 0.0, talk_weeks,
            step_seeds, seed_message, no_contacts, contact_message, reached,
            out, rng,
        )
        quiet_from = t + 1 - talk_weeks
        if n_adopted == step_start[quiet_from if quiet_from > 0 else 0] and t > 0:
            break  # nobody adopted in the last talk_weeks steps: nobody talks any more
    for i in range(n_adopted):
        u = order[i]
        adopted_at[u] = -1
        message[u] = -1
        cause[u] = -1
        stamp[u] = -1
        for a in range(indptr[u], indptr[u + 1]):
            ref_count[indices[a]] = 0
    return n_adopted


class Cascades:
    """Repeated seed-only runs on one market, for influence maximisation.

    Each run starts from its own seed (common random numbers: the same run seeds for every
    seed set compared), with word of mouth only (no marketing).
    """

    def __init__(self, population: Population, dynamics: Dynamics, weak_tie: float,
                 horizon: int) -> None:
        pop = population
        n, S = pop.n, pop.n_segments
        self.population = pop
        self.args_head = (pop.indptr, pop.indices, pop.segment, pop.seg_start, pop.adoptable,
                          pop.threshold, resonance_matrix(dynamics, pop.segment_names),
                          float(weak_tie), float(dynamics.word_of_mouth),
                          int(dynamics.talk_weeks), int(horizon))
        self.state = (
            np.full(n, -1, np.int32), np.full(n, -1, np.int32), np.full(n, -1, np.int8),
            np.zeros(n, np.int32), np.empty(n, np.int32), np.zeros(horizon + 1, np.int64),
            np.arange(n, dtype=np.int32), np.full(n, -1, np.int32), np.zeros(n),
            np.zeros(n, np.int8), np.zeros(n, np.int32), np.empty(n, np.int32),
            np.zeros(S, np.int64), np.zeros(S, np.int32), np.zeros(S, np.int64),
            np.zeros((3, S), np.int64),
        )

    def mean_customers(self, seeds: np.ndarray, seed_message: np.ndarray,
                       run_seeds: np.ndarray) -> float:
        """Mean customers won by `seeds` over one run per entry of `run_seeds`."""
        seeds = np.ascontiguousarray(seeds, dtype=np.int32)
        seed_message = np.ascontiguousarray(seed_message, dtype=np.int32)
        total = 0
        for s in run_seeds:
            rng = np.random.Generator(np.random.PCG64(int(s)))
            total += _cascade(*self.args_head, seeds, seed_message, *self.state, rng)
        return total / len(run_seeds)
