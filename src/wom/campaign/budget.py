"""Money: how a budget becomes whole seeds and contacts, segment by segment and week by week.

Every strategy gets the same money: ``seed_share`` of the budget buys seeds at step 0, the
rest buys contacts spread evenly over ``campaign_weeks``. Money split over several segments is
split by segment size, at each segment's own costs.
"""

from __future__ import annotations

import numpy as np

from wom.config import Scenario, Strategy


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


def strategy_costs(spec: Strategy, sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """:func:`segment_costs`, with the strategy's own costs where it gives them (content a
    mindset finds may cost more per contact than a bought list)."""
    seed, contact = segment_costs(sc)
    if spec.cost_per_seed is not None:
        seed[:] = spec.cost_per_seed
    if spec.cost_per_contact is not None:
        contact[:] = spec.cost_per_contact
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

