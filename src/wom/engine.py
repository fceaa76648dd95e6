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

# The kernels draw from xoshiro256** (Blackman & Vigna 2018), inlined: numpy's Generator
# costs a call through a function pointer per draw, a third of the time of a cascade. Its
# state is four words seeded from the caller's Generator, so one seed still fixes everything.
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


@numba.njit(cache=True, inline="always")
def _rotl(x, k):  # pragma: no cover - compiled
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@numba.njit(cache=True, inline="always")
def _next(state):  # pragma: no cover - compiled
    """Next 64 random bits."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return result


@numba.njit(cache=True, inline="always")
def _uniform(state):  # pragma: no cover - compiled
    """A double in [0, 1) with 53 random bits."""
    return float(_next(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True, inline="always")
def _below(state, n):  # pragma: no cover - compiled
    """An integer in [0, n), n < 2**32 (Lemire's multiply-shift; bias below 2**-32)."""
    return np.int64(((_next(state) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


def new_state(rng: np.random.Generator) -> np.ndarray:
    """A kernel generator state drawn from `rng` (never all zero)."""
    state = rng.integers(1, 2**63, size=4, dtype=np.int64).astype(np.uint64)
    return state


@numba.njit(cache=True)
def _seed_state(state, seed):  # pragma: no cover - compiled
    """Fill a state from one 64-bit seed with splitmix64 (for many short runs)."""
    x = np.uint64(seed)
    for i in range(4):
        x += np.uint64(0x9E3779B97F4A7C15)
        z = x
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        state[i] = z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def _consider(v, p, cause, msg, t, stamp, weight, pick_cause, pick_msg, touched, n_touched,
              state):
    """Record a successful trial for v; keep one per v, drawn in proportion to p."""
    if stamp[v] != t:
        stamp[v] = t
        weight[v] = p
        pick_cause[v] = cause
        pick_msg[v] = msg
        touched[n_touched] = v
        return n_touched + 1
    weight[v] += p
    if _uniform(state) * weight[v] < p:
        pick_cause[v] = cause
        pick_msg[v] = msg
    return n_touched


@numba.njit(cache=True)
def _step(
    t, indptr, indices, segment, seg_start, open_seg, threshold,
    adopted_at, message, cause, ref_count, order, order_tag, step_start, n_adopted,
    perm, stamp, weight, pick_cause, pick_msg, touched,
    resonance, weak_tie, beta, alpha, talk_weeks,
    seeds, seed_message, contacts, contact_message, reached, out, state, need_refs,
):  # pragma: no cover - compiled
    """Advance one step; returns the new number of adopters. ``out[c, k]`` counts by cause.

    An advocate's trials use the largest probability its message can have on any tie,
    ``p_max``: the next tie tried is a geometric skip away, and a tie reached is kept with
    probability ``p / p_max`` — the same independent trials, without visiting every tie.
    """
    step_start[t] = n_adopted
    first_new = n_adopted
    # Seeds adopt at their seeding step.
    for i in range(seeds.size):
        v = seeds[i]
        if open_seg[v] >= 0:
            open_seg[v] = -1
            adopted_at[v] = t
            message[v] = seed_message[i]
            cause[v] = 0
            order[n_adopted] = v
            order_tag[n_adopted] = (np.int64(seed_message[i]) << 32) | segment[v]
            n_adopted += 1
    n_touched = 0
    # Word of mouth: advocates adopted at steps t-talk_weeks .. t-1.
    lo = step_start[t - talk_weeks] if t - talk_weeks > 0 else 0
    if beta > 0.0 and lo < first_new:
        n_msg = resonance.shape[0]
        p_max_of = np.empty(n_msg)
        log_q_of = np.empty(n_msg)
        for m in range(n_msg):
            best = 0.0
            for k in range(resonance.shape[1]):
                best = max(best, resonance[m, k])
            p_max_of[m] = beta * best
            log_q_of[m] = np.log1p(-p_max_of[m]) if p_max_of[m] < 1.0 else -np.inf
        for i in range(lo, first_new):
            u = order[i]
            # message and segment kept beside the adoption order: no random loads per advocate
            mu = order_tag[i] >> 32
            su = order_tag[i] & 0xFFFFFFFF
            p_max = p_max_of[mu]
            if p_max <= 0.0:
                continue
            log_q = log_q_of[mu]
            a = indptr[u] - 1
            end = indptr[u + 1]
            while True:
                if p_max < 1.0:
                    skip = np.floor(np.log(1.0 - _uniform(state)) / log_q)
                    if a + 1 + skip >= end:
                        break
                    a += 1 + np.int64(skip)
                else:
                    a += 1
                    if a >= end:
                        break
                v = indices[a]
                sv = open_seg[v]  # one load answers "may v adopt?" and "which segment?"
                if sv < 0 or (need_refs and ref_count[v] < threshold[v]):
                    continue
                p = beta * resonance[mu, sv] * (1.0 if sv == su else weak_tie)
                if p <= 0.0 or (p < p_max and _uniform(state) * p_max >= p):
                    continue
                n_touched = _consider(v, p, 2, mu, t, stamp, weight, pick_cause, pick_msg,
                                      touched, n_touched, state)
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
            j = i + _below(state, size - i)
            tmp = perm[start + i]
            perm[start + i] = perm[start + j]
            perm[start + j] = tmp
            v = perm[start + i]
            if p <= 0.0 or open_seg[v] < 0 or (need_refs and ref_count[v] < threshold[v]):
                continue
            if _uniform(state) < p:
                n_touched = _consider(v, p, 1, mk, t, stamp, weight, pick_cause, pick_msg,
                                      touched, n_touched, state)
    for i in range(n_touched):
        v = touched[i]
        open_seg[v] = -1
        adopted_at[v] = t
        message[v] = pick_msg[v]
        cause[v] = pick_cause[v]
        order[n_adopted] = v
        order_tag[n_adopted] = (np.int64(pick_msg[v]) << 32) | segment[v]
        n_adopted += 1
    # The step's adopters become references for their segment from the next step on (only
    # counted when someone needs references: it costs a visit of every adopter's ties).
    for i in range(first_new, n_adopted):
        u = order[i]
        su = segment[u]
        out[cause[u], su] += 1
        if not need_refs:
            continue
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
        self.population, self.plan = pop, plan
        self._state = new_state(rng)
        self._need_refs = bool(pop.threshold.max(initial=0) > 0)
        self.resonance = resonance_matrix(dynamics, pop.segment_names)
        self.weak_tie = float(weak_tie)
        self.beta = float(dynamics.word_of_mouth)
        self.alpha = float(dynamics.marketing)
        self.talk_weeks = int(dynamics.talk_weeks)
        # Each person's segment while they may still adopt, −1 once they cannot.
        self._open = np.where(pop.adoptable, pop.segment, -1).astype(np.int32)
        self.adopted_at = np.full(n, -1, dtype=np.int32)
        self.message = np.full(n, -1, dtype=np.int32)
        self.cause = np.full(n, -1, dtype=np.int8)
        self.ref_count = np.zeros(n, dtype=np.int32)
        self.order = np.empty(n, dtype=np.int32)
        self._order_tag = np.empty(n, dtype=np.int64)
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
            t, pop.indptr, pop.indices, pop.segment, pop.seg_start, self._open,
            pop.threshold, self.adopted_at, self.message, self.cause, self.ref_count,
            self.order, self._order_tag, self.step_start, self.n_adopted, self._perm,
            self._stamp, self._weight, self._pick_cause, self._pick_msg, self._touched,
            self.resonance, self.weak_tie, self.beta, self.alpha, self.talk_weeks, seeds, seed_msg,
            contacts, contact_message, reached, out, self._state, self._need_refs,
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
    indptr, indices, segment, seg_start, open_seg, threshold, resonance, weak_tie, beta,
    talk_weeks, horizon, seeds, seed_message, adopted_at, message, cause, ref_count, order,
    order_tag, step_start, perm, stamp, weight, pick_cause, pick_msg, touched, no_contacts,
    contact_message, reached, out, state, need_refs,
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
            t, indptr, indices, segment, seg_start, open_seg, threshold,
            adopted_at, message, cause, ref_count, order, order_tag, step_start, n_adopted,
            perm, stamp, weight, pick_cause, pick_msg, touched,
            resonance, weak_tie, beta, 0.0, talk_weeks,
            step_seeds, seed_message, no_contacts, contact_message, reached,
            out, state, need_refs,
        )
        quiet_from = t + 1 - talk_weeks
        if n_adopted == step_start[quiet_from if quiet_from > 0 else 0] and t > 0:
            break  # nobody adopted in the last talk_weeks steps: nobody talks any more
    for i in range(n_adopted):
        u = order[i]
        open_seg[u] = segment[u]  # every adopter was open: seeds are chosen among them
        adopted_at[u] = -1
        message[u] = -1
        cause[u] = -1
        stamp[u] = -1
        if need_refs:
            for a in range(indptr[u], indptr[u + 1]):
                ref_count[indices[a]] = 0
    return n_adopted


@numba.njit(cache=True)
def _cascades_one_message(
    indptr, indices, segment, open_seg, resonance_row, weak_tie, beta, talk_weeks, horizon,
    seeds, seed_segment, order, step_start, run_seeds, state,
):  # pragma: no cover - compiled
    """Mean customers over runs when every seed carries one message and nobody needs
    references: whether a person adopts no longer depends on which trial succeeded, so the
    first success adopts at once (still effective from the next step) and nothing but the
    adoption order is kept."""
    p_max = 0.0
    for k in range(resonance_row.size):
        p_max = max(p_max, beta * resonance_row[k])
    log_q = np.log1p(-p_max) if p_max < 1.0 else -np.inf
    total = 0
    for r in range(run_seeds.size):
        _seed_state(state, run_seeds[r])
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
                        skip = np.floor(np.log(1.0 - _uniform(state)) / log_q)
                        # capped: a vanishing p_max (1e-300) gives skips beyond int64, and
                        # int64(inf) is a wild negative index
                        steps += np.int64(min(skip, 4e18))
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
                    p = beta * resonance_row[sv] * (1.0 if sv == su else weak_tie)
                    if p <= 0.0 or (p < p_max and _uniform(state) * p_max >= p):
                        continue
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


@numba.njit(cache=True)
def _cascades(
    indptr, indices, segment, seg_start, open_seg, threshold, resonance, weak_tie, beta,
    talk_weeks, horizon, seeds, seed_message, adopted_at, message, cause, ref_count, order,
    order_tag, step_start, perm, stamp, weight, pick_cause, pick_msg, touched, no_contacts,
    contact_message, reached, out, run_seeds, state, need_refs,
):  # pragma: no cover - compiled
    """Mean customers over runs, run ``i`` seeded by ``run_seeds[i]``."""
    total = 0
    for i in range(run_seeds.size):
        _seed_state(state, run_seeds[i])
        total += _cascade(
            indptr, indices, segment, seg_start, open_seg, threshold, resonance, weak_tie,
            beta, talk_weeks, horizon, seeds, seed_message, adopted_at, message, cause,
            ref_count, order, order_tag, step_start, perm, stamp, weight, pick_cause, pick_msg,
            touched, no_contacts, contact_message, reached, out, state, need_refs,
        )
    return total / run_seeds.size


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
        self.args_head = (pop.indptr, pop.indices, pop.segment, pop.seg_start,
                          np.where(pop.adoptable, pop.segment, -1).astype(np.int32),
                          pop.threshold, resonance_matrix(dynamics, pop.segment_names),
                          float(weak_tie), float(dynamics.word_of_mouth),
                          int(dynamics.talk_weeks), int(horizon))
        self.state = (
            np.full(n, -1, np.int32), np.full(n, -1, np.int32), np.full(n, -1, np.int8),
            np.zeros(n, np.int32), np.empty(n, np.int32), np.empty(n, np.int64),
            np.zeros(horizon + 1, np.int64),
            np.arange(n, dtype=np.int32), np.full(n, -1, np.int32), np.zeros(n),
            np.zeros(n, np.int8), np.zeros(n, np.int32), np.empty(n, np.int32),
            np.zeros(S, np.int64), np.zeros(S, np.int32), np.zeros(S, np.int64),
            np.zeros((3, S), np.int64),
        )
        self._kernel_state = np.zeros(4, np.uint64)
        self._need_refs = bool(pop.threshold.max(initial=0) > 0)

    def mean_customers(self, seeds: np.ndarray, seed_message: np.ndarray,
                       run_seeds: np.ndarray) -> float:
        """Mean customers won by `seeds` over one run per entry of `run_seeds`."""
        seeds = np.ascontiguousarray(seeds, dtype=np.int32)
        seed_message = np.ascontiguousarray(seed_message, dtype=np.int32)
        run_seeds = np.ascontiguousarray(run_seeds, dtype=np.int64)
        if not self._need_refs and seed_message.size and (seed_message == seed_message[0]).all():
            (indptr, indices, segment, _, open_seg, _, resonance, weak_tie, beta, talk_weeks,
             horizon) = self.args_head
            order, step_start = self.state[4], self.state[6]
            return _cascades_one_message(
                indptr, indices, segment, open_seg, resonance[seed_message[0]], weak_tie,
                beta, talk_weeks, horizon, seeds, segment[seeds], order, step_start,
                run_seeds, self._kernel_state)
        return _cascades(*self.args_head, seeds, seed_message, *self.state, run_seeds,
                         self._kernel_state, self._need_refs)

    def customers(self, seeds: np.ndarray, seed_message: np.ndarray,
                  run_seeds: np.ndarray) -> np.ndarray:
        """Customers won by `seeds` in each run (one per entry of `run_seeds`)."""
        seeds = np.ascontiguousarray(seeds, dtype=np.int32)
        seed_message = np.ascontiguousarray(seed_message, dtype=np.int32)
        out = np.empty(len(run_seeds), np.int64)
        for i, s in enumerate(np.asarray(run_seeds, dtype=np.int64)):
            _seed_state(self._kernel_state, s)
            out[i] = _cascade(*self.args_head, seeds, seed_message, *self.state,
                              self._kernel_state, self._need_refs)
        return out
