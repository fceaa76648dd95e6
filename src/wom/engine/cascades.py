"""Repeated seed-only runs on one market, for influence maximisation (:mod:`wom.campaign.greedy`).

Each run starts from its own 64-bit seed (common random numbers: the same run seeds for every
seed set compared), with word of mouth only (no marketing). The general path runs the same
:func:`~wom.engine.step.step` as every replicate; when every seed carries one message and
nobody needs references and nobody leaves (no churn), a faster path applies
(:func:`_one_message`): whether a person adopts no longer depends on which trial succeeded,
so the first success adopts at once. With churn, every run takes the general path. Both make
their trials with :func:`~wom.engine.trials.tie_chance` and
:func:`~wom.engine.trials.kept`.
"""

from __future__ import annotations

import numba
import numpy as np

from wom.config import Dynamics
from wom.engine.rng import geometric_skip, seed_state
from wom.engine.state import (
    ADOPTED,
    NEVER,
    TALK_FROM,
    TALK_TO,
    Actions,
    Market,
    Params,
    People,
    Scratch,
    market_of,
    new_people,
    new_scratch,
    new_tally,
    params_of,
)
from wom.engine.step import step
from wom.engine.trials import kept, tie_chance
from wom.market import Population

#: Seed-only runs have no contacts to aim.
AIM = np.array([1.0, 0.0, 0.0, 0.0])


@numba.njit(cache=True)
def _reset(market, params, people):  # pragma: no cover - compiled
    """Undo a run: everyone who adopted is open again (seeds are chosen among the open)."""
    for i in range(people.counters[ADOPTED]):
        u = people.order[i]
        people.open_segment[u] = market.segment[u]
        people.adopted_at[u] = NEVER
        people.message[u] = -1
        people.cause[u] = -1
        people.left_at[u] = NEVER
        if params.need_refs:
            for a in range(market.indptr[u], market.indptr[u + 1]):
                people.reference_count[market.indices[a]] = 0
    people.counters[ADOPTED] = 0
    people.counters[TALK_FROM] = 0
    people.counters[TALK_TO] = 0


@numba.njit(cache=True)
def _cascade(market, params, people, scratch, seeds, seed_message, horizon, tally,
             state):  # pragma: no cover - compiled
    """Seeds only, word of mouth only, to the horizon; returns the people won (those who
    left since included) and leaves the state as it found it (nobody adopted), so one set
    of arrays serves any number of runs. Churn draws from the same run seed's stream (a
    cascade is its own experiment: nothing to keep unchanged)."""
    S = market.seg_start.size - 1
    no_contacts = np.zeros(S, np.int64)
    contact_message = np.zeros(S, np.int32)
    empty = seeds[:0]
    for t in range(horizon):
        step_seeds = seeds if t == 0 else empty
        step(t, market, params, people, scratch,
             Actions(step_seeds, seed_message, no_contacts, contact_message, AIM, 0, -1), tally,
             state, state)
        if people.counters[TALK_FROM] == people.counters[TALK_TO]:
            break  # nobody talks any more: nothing else can happen
    n = people.counters[ADOPTED]
    for i in range(n):
        scratch.stamp[people.order[i]] = -1
    _reset(market, params, people)
    return n


@numba.njit(cache=True)
def _cascades(market, params, people, scratch, seeds, seed_message, horizon, tally, run_seeds,
              state):  # pragma: no cover - compiled
    """Mean customers over runs, run ``i`` seeded by ``run_seeds[i]``."""
    total = 0
    for i in range(run_seeds.size):
        seed_state(state, run_seeds[i])
        total += _cascade(market, params, people, scratch, seeds, seed_message, horizon, tally,
                          state)
    return total / run_seeds.size


@numba.njit(cache=True)
def _one_message(indptr, indices, segment, rho, beta, weak_tie, p_max, log_q, talk_weeks,
                 horizon, seeds, open_seg, order, step_start, run_seeds,
                 state):  # pragma: no cover - compiled
    """Mean customers over runs when every seed carries one message (of resonance ``rho`` in
    each segment, largest chance `p_max`) and nobody needs references: the first successful
    trial adopts at once (still effective from the next step) and nothing but the adoption
    order is kept."""
    total = 0
    for r in range(run_seeds.size):
        seed_state(state, run_seeds[r])
        n = 0
        step_start[0] = 0
        for i in range(seeds.size):  # step 0: the seeds adopt; nobody talks yet
            v = seeds[i]
            if open_seg[v] >= 0:
                open_seg[v] = -1
                order[n] = v
                n += 1
        for t in range(1, horizon):
            step_start[t] = n
            first_new = n
            lo = step_start[t - talk_weeks] if t - talk_weeks > 0 else 0
            if p_max > 0.0 and lo < first_new:
                # The advocates' ties form one sequence; a geometric skip may cross from one
                # advocate's ties into the next's (one logarithm per tie tried).
                i = lo
                a = indptr[order[i]] - 1
                while True:
                    steps = 1
                    if p_max < 1.0:
                        # capped: a vanishing p_max (1e-300) gives skips beyond int64, and
                        # int64(inf) is a wild negative index
                        steps += np.int64(min(geometric_skip(state, log_q), 4e18))
                    while i < first_new:
                        left = indptr[order[i] + 1] - 1 - a
                        if steps <= left:
                            a += steps
                            break
                        steps -= left
                        i += 1
                        if i < first_new:
                            a = indptr[order[i]] - 1
                    if i >= first_new:
                        break
                    v = indices[a]
                    sv = open_seg[v]
                    if sv < 0:
                        continue
                    su = segment[order[i]]
                    if kept(tie_chance(beta, rho, weak_tie, su, sv), p_max, state):
                        open_seg[v] = -1
                        order[n] = v
                        n += 1
            quiet_from = t + 1 - talk_weeks
            if n == step_start[quiet_from if quiet_from > 0 else 0]:
                break  # nobody adopted in the last talk_weeks steps: nobody talks any more
        for i in range(n):
            u = order[i]
            open_seg[u] = segment[u]
        total += n
    return total / run_seeds.size


class Cascades:
    """Repeated seed-only runs on one market (word of mouth only: no marketing, no
    background)."""

    def __init__(self, population: Population, dynamics: Dynamics, weak_tie: float,
                 horizon: int, *, churn: np.ndarray | None = None) -> None:
        pop = population
        S = pop.n_segments
        self.population = pop
        self.horizon = int(horizon)
        self.market: Market = market_of(pop)
        # Greedy scores seed sets by word of mouth between people: accounts are left out.
        self.params: Params = params_of(pop, dynamics, weak_tie, word_of_mouth_only=True,
                                        churn=churn, individuals=True)
        self.people: People = new_people(pop, horizon)
        self.scratch: Scratch = new_scratch(pop.n)
        self._tally = new_tally(S)
        self._state = np.zeros(4, np.uint64)

    def _arrays(self, seeds: np.ndarray, seed_message: np.ndarray,
                ) -> tuple[np.ndarray, np.ndarray]:
        return (np.ascontiguousarray(seeds, dtype=np.int32),
                np.ascontiguousarray(seed_message, dtype=np.int32))

    def mean_customers(self, seeds: np.ndarray, seed_message: np.ndarray,
                       run_seeds: np.ndarray) -> float:
        """Mean customers won by `seeds` over one run per entry of `run_seeds`."""
        seeds, seed_message = self._arrays(seeds, seed_message)
        run_seeds = np.ascontiguousarray(run_seeds, dtype=np.int64)
        # (one message that resonates by segment: one written for a value, the general path)
        if (not self.params.need_refs and self.params.churn_max <= 0.0 and seed_message.size
                and self.params.value_attr[int(seed_message[0])] < 0
                and (seed_message == seed_message[0]).all()):
            m, p, people = self.market, self.params, self.people
            mu = int(seed_message[0])
            return float(_one_message(
                m.indptr, m.indices, m.segment, p.resonance[mu], p.beta, p.weak_tie,
                float(p.p_max[mu]), float(p.log_q[mu]), p.talk_weeks, self.horizon, seeds,
                people.open_segment, people.order, people.step_start, run_seeds, self._state))
        return float(_cascades(self.market, self.params, self.people, self.scratch, seeds,
                               seed_message, self.horizon, self._tally, run_seeds,
                               self._state))

    def customers(self, seeds: np.ndarray, seed_message: np.ndarray,
                  run_seeds: np.ndarray) -> np.ndarray:
        """Customers won by `seeds` in each run (one per entry of `run_seeds`)."""
        seeds, seed_message = self._arrays(seeds, seed_message)
        out = np.empty(len(run_seeds), np.int64)
        for i, s in enumerate(np.asarray(run_seeds, dtype=np.int64)):
            seed_state(self._state, s)
            out[i] = _cascade(self.market, self.params, self.people, self.scratch, seeds,
                              seed_message, self.horizon, self._tally, self._state)
        return out
