"""Greedy seeding: influence maximisation on the model's own simulations (CELF).

Kempe, Kleinberg & Tardos (2003) pick seeds one by one, each time the person adding the
most expected customers; Leskovec et al. (2007) make it lazy (CELF): a person's gain can
only shrink as seeds are added, so stale gains are re-evaluated only when they reach the top.
Expected customers are estimated by :class:`wom.engine.Cascades` with word of mouth only,
the same run seeds for every seed set (common random numbers).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np

from wom.campaign.seeding import SeedingContext, top
from wom.config import SEEDING_RULES
from wom.engine import Cascades


def celf(gain_of: Callable[[list[int], int], float], candidates: np.ndarray, k: int) -> list[int]:
    """Lazy greedy: `k` candidates maximising a submodular set function.

    Parameters
    ----------
    gain_of
        ``gain_of(chosen, c) -> float``: the value added by `c` to the list `chosen`.
    """
    chosen: list[int] = []
    heap = [(-gain_of(chosen, int(c)), i, int(c), 0) for i, c in enumerate(candidates)]
    heapq.heapify(heap)
    while heap and len(chosen) < k:
        _, i, c, fresh_at = heapq.heappop(heap)
        if fresh_at == len(chosen):
            chosen.append(c)
        else:
            heapq.heappush(heap, (-gain_of(chosen, c), i, c, len(chosen)))
    return chosen


@SEEDING_RULES.register("greedy", words="people picked by greedy influence maximisation on the "
                                   "model's own simulations")
def seed_greedy(ctx: SeedingContext, candidates: np.ndarray, k: int) -> np.ndarray:
    """The seeds that add the most expected customers, one at a time (CELF).

    Only the ``greedy_pool`` candidates with the most ties are considered (the rest rarely
    win and each costs ``greedy_runs`` simulations); seeds already chosen in other segments
    of the same plan count as given.
    """
    pop, sc, spec = ctx.population, ctx.scenario, ctx.spec
    cascades = ctx.cache.get("cascades")
    if cascades is None:
        cascades = ctx.cache["cascades"] = Cascades(pop, sc.dynamics, sc.network.weak_tie,
                                                    sc.horizon, churn=np.array(sc.churn))
        ctx.cache["run_seeds"] = ctx.rng.integers(0, 2**63 - 1, size=spec.greedy_runs)
        ctx.cache["greedy_chosen"] = []
    run_seeds = ctx.cache["run_seeds"]
    given: list[int] = ctx.cache["greedy_chosen"]
    pool = top(pop.degree()[candidates].astype(float), candidates,
                min(spec.greedy_pool, candidates.size), ctx.rng)
    memo: dict[tuple[int, ...], float] = {}

    def value(seeds: list[int]) -> float:
        key = tuple(seeds)
        if key not in memo:
            arr = np.array(given + seeds, dtype=np.int32)
            memo[key] = cascades.mean_customers(arr, ctx.message[pop.segment[arr]], run_seeds)
        return memo[key]

    def gain(chosen: list[int], c: int) -> float:
        return value([*chosen, c]) - value(chosen)

    picked = celf(gain, pool, min(k, pool.size))
    given.extend(picked)
    return np.array(picked, dtype=np.int64)
