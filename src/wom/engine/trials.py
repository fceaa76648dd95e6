"""The trials of the adoption rule, written once and shared by every kernel.

Each influence on a person in a step is an independent trial (docs/model.md). A kernel asks
:func:`open_segment` whether the person may adopt at all, runs the trial, and records each
success with :func:`consider`; when several succeed in one step, the cause and message kept
are drawn in proportion to their probabilities.

The helpers take the arrays they read, not the grouped tuples: a kernel takes the tuples'
fields into local variables once, before its loops, so the inner loops touch plain arrays
(passing a tuple of arrays into a helper inside a loop costs reference counting per array).
"""

from __future__ import annotations

import numba

from wom.engine.rng import uniform
from wom.engine.state import ADOPTED, LEFT_OTHERS, LEFT_SEEDS, NEVER, SEED, TALK_FROM, TALK_TO


@numba.njit(cache=True, inline="always")
def open_segment(open_seg, reference_count, references, need_refs, v):  # pragma: no cover
    """`v`'s segment if `v` may adopt now (open, with the references it needs), else −1.

    ``open_seg`` is ``People.open_segment``: one load answers "may v adopt?" and "which
    segment?".
    """
    sv = open_seg[v]
    if sv < 0 or (need_refs and reference_count[v] < references[v]):
        return -1
    return sv


@numba.njit(cache=True, inline="always")
def tie_chance(beta, rho, weak_tie, su, sv):  # pragma: no cover - compiled
    """The word-of-mouth chance on one tie: an advocate of segment `su` talks to a person of
    segment `sv`; ``rho[k]`` is the resonance of the advocate's message in segment ``k``
    (its row of the resonance matrix). ``β · resonance · tie strength``."""
    return tie_chance_at(beta, rho[sv], weak_tie, su, sv)


@numba.njit(cache=True, inline="always")
def tie_chance_at(beta, resonance, weak_tie, su, sv):  # pragma: no cover - compiled
    """:func:`tie_chance` with the message's resonance with the listener given (a message
    written for an attribute value resonates by the listener's value, not segment)."""
    return beta * resonance * (1.0 if sv == su else weak_tie)


@numba.njit(cache=True, inline="always")
def heard(codes, value_attr, value_code, value_overlap, m, v):  # pragma: no cover
    """Resonance of message `m`, written for an attribute value, with person `v`: 1 if `v`
    has the value, else the attribute's overlap."""
    return 1.0 if codes[value_attr[m], v] == value_code[m] else value_overlap[m]


@numba.njit(cache=True, inline="always")
def kept(p, p_max, state):  # pragma: no cover - compiled
    """Whether a word-of-mouth trial of chance `p` succeeds, on a tie reached by a geometric
    skip at the message's largest chance `p_max`: kept with probability ``p / p_max``, the
    same independent trial as trying every tie with probability `p`.

    ``kept(tie_chance(…), p_max, state)`` is the word-of-mouth trial; every kernel runs it
    this way. (Two helpers rather than one returning `p` or 0: the branch stays as simple as
    written out by hand, which the fast path's inner loop needs.)
    """
    return p > 0.0 and (p >= p_max or uniform(state) * p_max < p)


@numba.njit(cache=True)
def consider(stamp, weight, pick_cause, pick_message, touched, v, p, cause, msg, t, n_touched,
             state):  # pragma: no cover - compiled
    """Record a successful trial for `v` (the arrays of ``Scratch``); keep one per person,
    drawn in proportion to `p`. Returns the new number of people touched this step."""
    if stamp[v] != t:
        stamp[v] = t
        weight[v] = p
        pick_cause[v] = cause
        pick_message[v] = msg
        touched[n_touched] = v
        return n_touched + 1
    weight[v] += p
    if uniform(state) * weight[v] < p:
        pick_cause[v] = cause
        pick_message[v] = msg
    return n_touched


@numba.njit(cache=True, inline="always")
def adopt(people, v, t, cause, msg):  # pragma: no cover - compiled
    """`v` adopts at step `t` (effective from the next step's trials)."""
    n = people.counters[ADOPTED]
    people.open_segment[v] = -1
    people.adopted_at[v] = t
    people.message[v] = msg
    people.cause[v] = cause
    people.order[n] = v
    people.counters[ADOPTED] = n + 1


@numba.njit(cache=True, inline="always")
def depart(market, people, u, su, t, churned, need_refs):  # pragma: no cover - compiled
    """Customer `u` (of segment `su`) leaves at step `t`: counted in ``churned`` (seeds
    apart), and no longer a reference for their same-segment neighbours."""
    people.left_at[u] = t
    churned[LEFT_SEEDS if people.cause[u] == SEED else LEFT_OTHERS, su] += 1
    if need_refs:
        segment, indices, reference_count = market.segment, market.indices, \
            people.reference_count
        for a in range(market.indptr[u], market.indptr[u + 1]):
            v = indices[a]
            if segment[v] == su:
                reference_count[v] -= 1


@numba.njit(cache=True, inline="always")
def silence_leavers(people):  # pragma: no cover - compiled
    """Those who left fall silent: the advocates' window is compacted, keeping its order."""
    advocates, tag, until = people.advocates, people.advocate_tag, people.advocate_until
    left_at = people.left_at
    talk_from, talk_to = people.counters[TALK_FROM], people.counters[TALK_TO]
    j = talk_from
    for i in range(talk_from, talk_to):
        if left_at[advocates[i]] == NEVER:
            advocates[j], tag[j], until[j] = advocates[i], tag[i], until[i]
            j += 1
    people.counters[TALK_TO] = j


@numba.njit(cache=True, inline="always")
def direct_message(params, people, actions):  # pragma: no cover - compiled
    """The one message every advocate retells when word of mouth is the only trial of a
    step (no contacts, no background; 0 if nobody talks), else −1. In such a step a
    person's first success may adopt at once (:func:`~wom.engine.step.word_of_mouth`):
    there is nothing to choose between successes. **A new kind of trial** makes a step
    not direct when it is on: test it here."""
    if params.background > 0.0 or actions.pool_contacts > 0:
        return -1
    for k in range(actions.contacts.size):
        if actions.contacts[k] > 0:
            return -1
    talk_from, talk_to = people.counters[TALK_FROM], people.counters[TALK_TO]
    if talk_from == talk_to:
        return 0
    tags = people.advocate_tag
    one = tags[talk_from] >> 32
    for i in range(talk_from + 1, talk_to):
        if tags[i] >> 32 != one:
            return -1
    return one
