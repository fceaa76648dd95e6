"""Today's customers given by segment, replayed through the rule: who they probably are.

A CRM's counts say how many people of a segment bought in each period, not who. Placing
them uniformly at random would be wrong wherever the rule decides who can buy: pragmatists
who need references cannot have bought before their neighbours did, and word of mouth makes
customers neighbours of earlier customers. :func:`replay_customers` replays the periods in
order, without a campaign: in each, every open person's chance of adopting under the rule
(background, and word of mouth from the customers still talking; none without the references
they need) is computed, and the period's customers of each segment are drawn among its open
people in proportion to it (without replacement, Efraimidis & Spirakis 2006). Where chances
run out (nobody left with a positive chance), the rest are drawn uniformly, first among
those with the references they need, then among everyone open. Customers with no period are
replayed first, as one block long before the others.

Customers retell the generic message (as in :func:`wom.engine.existing.add_customers`).
"""

from __future__ import annotations

import numba
import numpy as np

from wom.config import Dynamics
from wom.engine.rng import new_state, uniform
from wom.engine.state import market_of, params_of
from wom.engine.trials import tie_chance
from wom.market import Population


@numba.njit(cache=True)
def _pick(candidates, keys, n, out, filled):  # pragma: no cover - compiled
    """The `n` candidates with the largest keys, into ``out[filled:]``."""
    order = np.argsort(-keys)
    for j in range(n):
        out[filled + j] = candidates[order[j]]
    return filled + n


@numba.njit(cache=True)
def _replay(market, params, open_seg, block_step, block_counts, state):  # pragma: no cover
    """Customers of each block (``block_counts[b, k]`` in segment ``k`` at step
    ``block_step[b]``, steps increasing) drawn in proportion to their chance under the
    rule. Returns ``persons`` in block order."""
    indptr, indices, segment = market.indptr, market.indices, market.segment
    references, seg_start = market.references, market.seg_start
    n_people = open_seg.size
    S = seg_start.size - 1
    reference_count = np.zeros(n_people, np.int32)
    log_q = np.zeros(n_people)
    total = 0
    for b in range(block_step.size):
        for k in range(S):
            total += block_counts[b, k]
    persons = np.empty(total, np.int64)
    since = np.empty(total, np.int64)
    filled = 0
    log_bg = np.log1p(-params.background) if params.background < 1.0 else -np.inf
    talk_from = 0
    rho = params.resonance[params.generic]  # the generic message
    for b in range(block_step.size):
        t = block_step[b]
        # Those still talking at step t: bought in steps t − talk_weeks … t − 1.
        while talk_from < filled and since[talk_from] + params.talk_weeks < t:
            talk_from += 1
        for i in range(talk_from, filled):
            u = persons[i]
            su = segment[u]
            for a in range(indptr[u], indptr[u + 1]):
                v = indices[a]
                if open_seg[v] >= 0:
                    p = tie_chance(params.beta, rho, params.weak_tie, su, segment[v])
                    log_q[v] += np.log1p(-p) if p < 1.0 else -np.inf
        start = filled
        for k in range(S):
            n = block_counts[b, k]
            if n == 0:
                continue
            lo, hi = seg_start[k], seg_start[k + 1]
            m = 0
            for v in range(lo, hi):
                if open_seg[v] >= 0:
                    m += 1
            cand = np.empty(m, np.int64)
            keys = np.empty(m)
            ready = np.empty(m, np.bool_)
            j = 0
            positive = 0
            for v in range(lo, hi):
                if open_seg[v] < 0:
                    continue
                ok = not params.need_refs or reference_count[v] >= references[v]
                chance = 1.0 - np.exp(log_bg + log_q[v]) if ok else 0.0
                cand[j] = v
                ready[j] = ok
                u = uniform(state)
                if chance > 0.0:
                    keys[j] = np.log(max(u, 1e-300)) / chance  # Efraimidis–Spirakis
                    positive += 1
                else:
                    keys[j] = -np.inf
                j += 1
            take = min(n, positive)
            filled = _pick(cand, keys, take, persons, filled)
            n -= take
            if n > 0:  # chances ran out: uniformly, the ready first, then anyone open
                for tier in range(2):
                    want_ready = tier == 0
                    size = 0
                    for i in range(m):
                        if keys[i] == -np.inf and ready[i] == want_ready:
                            size += 1
                    pool = np.empty(size, np.int64)
                    pool_keys = np.empty(size)
                    j = 0
                    for i in range(m):
                        if keys[i] == -np.inf and ready[i] == want_ready:
                            pool[j] = cand[i]
                            pool_keys[j] = uniform(state)
                            j += 1
                    extra = min(n, size)
                    filled = _pick(pool, pool_keys, extra, persons, filled)
                    n -= extra
                    if n == 0:
                        break
        for i in range(start, filled):
            v = persons[i]
            since[i] = t
            open_seg[v] = -1
            sv = segment[v]
            if params.need_refs:
                for a in range(indptr[v], indptr[v + 1]):
                    w = indices[a]
                    if segment[w] == sv:
                        reference_count[w] += 1
        for v in range(n_people):
            log_q[v] = 0.0
    return persons[:filled], since[:filled]


def replay_customers(pop: Population, dynamics: Dynamics, weak_tie: float,
                     segment: np.ndarray, since: np.ndarray,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Who today's customers of `pop` probably are: one per entry of `segment` (segment
    indices) and `since` (the step each bought at, < 0), drawn by replaying the steps under
    `dynamics` (module docstring).

    Returns
    -------
    persons, since
        ``int64[n]`` each, in order of `since`.

    Raises
    ------
    ValueError
        A segment has more customers than people who could adopt.
    """
    segment = np.asarray(segment, dtype=np.int64)
    since = np.asarray(since, dtype=np.int64)
    steps = np.unique(since)
    counts = np.zeros((steps.size, pop.n_segments), dtype=np.int64)
    np.add.at(counts, (np.searchsorted(steps, since), segment), 1)
    open_seg = np.where(pop.adoptable, pop.segment, -1).astype(np.int32)
    room = np.bincount(pop.segment[pop.adoptable], minlength=pop.n_segments)
    over = np.flatnonzero(counts.sum(axis=0) > room)
    if over.size:
        k = int(over[0])
        raise ValueError(f"segment {pop.segment_names[k]!r}: {int(counts[:, k].sum())} "
                         f"customers, but only {int(room[k])} people could adopt (TAM less "
                         "the incumbent's customers)")
    persons, at = _replay(market_of(pop), params_of(pop, dynamics, weak_tie), open_seg,
                          steps, counts, new_state(rng))
    return persons, at
