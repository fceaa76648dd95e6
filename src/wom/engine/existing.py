"""Today's customers (:mod:`wom.market.customers`) placed before a run's first step."""

from __future__ import annotations

import numba
import numpy as np

from wom.engine.state import EXISTING, TALK_TO
from wom.engine.trials import adopt


@numba.njit(cache=True)
def add_customers(market, params, people, persons, adopted_at):  # pragma: no cover
    """Today's customers adopt before the first step: each of `persons` (the market's
    customers, :mod:`wom.market.customers`, in non-decreasing order of `adopted_at`, every
    step < 0) becomes a reference for their segment and, while their talk weeks last, an
    advocate retelling the generic message: they came before any campaign of the scenario,
    through background or word of mouth, which carry it (as a fit of the past assumes)."""
    segment, indptr, indices = market.segment, market.indptr, market.indices
    generic = params.generic
    talk_to = people.counters[TALK_TO]
    for i in range(persons.size):
        u = persons[i]
        su = segment[u]
        adopt(people, u, adopted_at[i], EXISTING, generic)
        if params.need_refs:
            for a in range(indptr[u], indptr[u + 1]):
                v = indices[a]
                if segment[v] == su:
                    people.reference_count[v] += 1
        # They talk in steps adopted_at + 1 … adopted_at + talk_weeks; only those who still
        # talk at step 0 join the window.
        until = adopted_at[i] + params.talk_weeks
        if until >= 0:
            people.advocates[talk_to] = u
            people.advocate_tag[talk_to] = (np.int64(generic) << 32) | su
            people.advocate_until[talk_to] = until
            talk_to += 1
    people.counters[TALK_TO] = talk_to
