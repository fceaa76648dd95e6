"""Today's customers in a market: who they are and when they bought.

A market may start with customers (``wom run --customers``): they have adopted before the
first step, so they cannot be won again or seeded, they count as references for their
segment from step 0, and those who bought within ``talk_weeks`` of the start still talk.
:func:`with_customers` places them in a built :class:`~wom.market.Population`; the engine
adds them before the first step (:func:`wom.engine.existing.add_customers`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from wom.market.population import Existing, Population

#: The step of a customer whose purchase date is not known: long enough before the run that
#: their talk weeks are over (they are customers and references, and no longer talk).
LONG_AGO = -(2**30)


def with_customers(pop: Population, persons: np.ndarray, since: np.ndarray,
                   rng: np.random.Generator) -> Population:
    """`pop` with today's customers `persons`, who bought at steps `since` (< 0).

    A listed customer the market's draw left outside the TAM, or gave to the incumbent, is a
    customer all the same: they trade places with a random person of their segment who could
    adopt, so each segment's TAM and incumbent's share stay as the scenario says (when nobody
    is left to trade with, the customer joins the TAM regardless).

    Raises
    ------
    ValueError
        A person listed twice or not in the market, a step that is not before the run.
    """
    persons = np.asarray(persons, dtype=np.int64)
    since = np.asarray(since, dtype=np.int64)
    if persons.shape != since.shape or persons.ndim != 1:
        raise ValueError("customers: persons and steps must be 1-d and the same length")
    if persons.size and (persons.min() < 0 or persons.max() >= pop.n):
        raise ValueError("customers: a person is not in the market")
    if np.unique(persons).size != persons.size:
        raise ValueError("customers: a person is listed twice")
    if np.any(since >= 0):
        raise ValueError("customers: a customer's purchase must be before the run (step < 0)")
    eligible, incumbent = pop.eligible.copy(), pop.incumbent.copy()
    listed = np.zeros(pop.n, dtype=bool)
    listed[persons] = True
    for v in persons[~(eligible & ~incumbent)[persons]].tolist():
        k = int(pop.segment[v])
        members = pop.members(k)
        free = members[eligible[members] & ~incumbent[members] & ~listed[members]]
        if eligible[v]:  # the incumbent's: they swap who the incumbent holds
            if free.size:
                incumbent[rng.choice(free)] = True
            incumbent[v] = False
        else:  # outside the TAM: they swap who is inside it
            outside_free = free if free.size else members[eligible[members] & ~listed[members]]
            if outside_free.size:
                w = rng.choice(outside_free)
                eligible[w], incumbent[w] = False, False
            eligible[v] = True
    order = np.argsort(since, kind="stable")
    existing = Existing(persons[order].astype(np.int32), since[order].astype(np.int32))
    return dataclasses.replace(pop, eligible=eligible, incumbent=incumbent, customers=existing,
                               cache={})
