"""The trials of the adoption rule, written once and shared by every kernel.

Each influence on a person in a step is an independent trial (docs/model.md). A kernel asks
:func:`open_segment` whether the person may adopt at all, runs the trial, and records each
success with :func:`consider`; when several succeed in one step, the cause and message kept
are drawn in proportion to their probabilities.
"""

from __future__ import annotations

import numba

from wom.engine.rng import uniform


@numba.njit(cache=True, inline="always")
def open_segment(market, params, people, v):  # pragma: no cover - compiled
    """`v`'s segment if `v` may adopt now (open, with the references it needs), else −1."""
    sv = people.open_segment[v]  # one load answers "may v adopt?" and "which segment?"
    if sv < 0 or (params.need_refs and people.reference_count[v] < market.references[v]):
        return -1
    return sv


@numba.njit(cache=True, inline="always")
def wom_trial(params, mu, su, sv, p_max, state):  # pragma: no cover - compiled
    """An advocate of segment `su` carrying message `mu` talks to a person of segment `sv`.

    The tie was reached by a geometric skip at the message's largest chance `p_max`, so it is
    kept with probability ``p / p_max``: the same independent trial as trying every tie with
    probability ``p = β · resonance · tie strength``. Returns `p` on success, else 0.
    """
    p = params.beta * params.resonance[mu, sv] * (1.0 if sv == su else params.weak_tie)
    if p <= 0.0 or (p < p_max and uniform(state) * p_max >= p):
        return 0.0
    return p


@numba.njit(cache=True)
def consider(scratch, v, p, cause, msg, t, n_touched, state):  # pragma: no cover - compiled
    """Record a successful trial for `v`; keep one per person, drawn in proportion to `p`.

    Returns the new number of people touched this step.
    """
    if scratch.stamp[v] != t:
        scratch.stamp[v] = t
        scratch.weight[v] = p
        scratch.pick_cause[v] = cause
        scratch.pick_message[v] = msg
        scratch.touched[n_touched] = v
        return n_touched + 1
    scratch.weight[v] += p
    if uniform(state) * scratch.weight[v] < p:
        scratch.pick_cause[v] = cause
        scratch.pick_message[v] = msg
    return n_touched
