"""One step of the adoption rule (docs/model.md), compiled with numba.

Per not-yet-adopted person ``v`` that could adopt, at step ``t``::

    P(v adopts) = 1 − (1 − α_v(t)) · Π_{advocates u ∈ N(v)} (1 − β · w_uv · ρ(m_u, s(v)))
    α_v(t)     = a · ρ(m_c, s(v))   if a campaign reached v at t, else 0

and only if ``v`` has at least as many adopted neighbours in its own segment as it needs
references (seeds are exempt). Each term of the product is an independent trial, so the
kernel runs them as trials, pushing from the advocates (work grows with conversations, not
with population). All adoptions of a step take effect together at its end.

:func:`step` runs the stages in order. **A new mechanism plugs in here**: a new kind of trial
is a stage between :func:`marketing` and :func:`commit` that calls
:func:`~wom.engine.trials.consider` for each success (with its own cause), taking the
tuples' fields into local variables before its loops; a change to who
stays a customer, an advocate or a reference goes in :func:`after_adoptions` or beside it,
as :func:`leave` (churn) does. Each stage draws random numbers only when its mechanism is
on, so adding one leaves the streams of scenarios that do not use it unchanged; churn draws
from a stream of its own (``churn_state``), so turning it on changes no other draw either.
Accounts (:mod:`wom.engine.accounts`) are such a mechanism: their stages run only when the
market has accounts. See docs/developing.md.
"""

from __future__ import annotations

import numba
import numpy as np

from wom.engine.accounts import (
    after_accounts,
    commit_accounts,
    convince_seeds,
    inside_accounts,
    leave_accounts,
    marketing_aimed,
)
from wom.engine.rng import below, geometric_skip, uniform
from wom.engine.state import (
    ACCOUNTS_BOUGHT,
    ADOPTED,
    BACKGROUND,
    CHAMP_TO,
    MARKETING,
    NEVER,
    SEED,
    TALK_FROM,
    TALK_TO,
    WOM,
)
from wom.engine.trials import (
    adopt,
    consider,
    depart,
    direct_message,
    heard,
    kept,
    open_segment,
    silence_leavers,
    tie_chance,
    tie_chance_at,
)


@numba.njit(cache=True, inline="always")
def adopt_seeds(t, people, actions):  # pragma: no cover - compiled
    """Seeds adopt at their seeding step (those who still can)."""
    for i in range(actions.seeds.size):
        v = actions.seeds[i]
        if people.open_segment[v] >= 0:
            adopt(people, v, t, SEED, actions.seed_message[i])


@numba.njit(cache=True, inline="always")
def word_of_mouth(t, market, params, people, scratch, n_touched, state,
                  direct=False):  # pragma: no cover
    """Every advocate's trials with its neighbours.

    An advocate's trials use the largest probability its message can have on any tie,
    ``p_max``: the next tie tried is a geometric skip away, and a tie reached is kept with
    probability ``p / p_max`` (:func:`~wom.engine.trials.kept`) — the same independent
    trials, without visiting every tie.

    `direct` (:func:`~wom.engine.trials.direct_message`: word of mouth is the step's only
    trial and every advocate retells one message): a person's first success adopts at once
    instead of being kept for :func:`commit` — with one cause and one message there is
    nothing to choose between successes. The same random numbers are drawn, in the same
    order: a person adopted in this step is marked ``−2 − segment`` in ``open_segment``
    (until :func:`after_adoptions` closes them), and a further success on them draws the
    number :func:`consider` draws for a second success. The adopters, their order and every
    later draw are those of the general path.
    """
    talk_from, talk_to = people.counters[TALK_FROM], people.counters[TALK_TO]
    beta = params.beta
    if beta <= 0.0 or talk_from == talk_to:
        return n_touched
    indptr, indices, references = market.indptr, market.indices, market.references
    resonance, weak_tie, need_refs = params.resonance, params.weak_tie, params.need_refs
    p_max_of, log_q_of = params.p_max, params.log_q
    open_seg, reference_count = people.open_segment, people.reference_count
    advocates, advocate_tag = people.advocates, people.advocate_tag
    stamp, weight, pick_cause = scratch.stamp, scratch.weight, scratch.pick_cause
    pick_message, touched = scratch.pick_message, scratch.touched
    accounts, role, role_res = params.accounts, market.role, params.role_res
    codes, value_attr = market.codes, params.value_attr
    value_code, value_overlap = params.value_code, params.value_overlap
    adopted_at, message, cause, order = people.adopted_at, people.message, people.cause, \
        people.order
    n_adopted = people.counters[ADOPTED]
    for i in range(talk_from, talk_to):
        u = advocates[i]
        # message and segment kept beside the advocate: no random loads per advocate
        mu = advocate_tag[i] >> 32
        su = advocate_tag[i] & 0xFFFFFFFF
        p_max = p_max_of[mu]
        if p_max <= 0.0:
            continue
        log_q = log_q_of[mu]
        by_value = value_attr[mu] >= 0  # a message written for an attribute value
        rho = resonance[mu]
        a = indptr[u] - 1
        end = indptr[u + 1]
        while True:
            if p_max < 1.0:
                skip = geometric_skip(state, log_q)
                if a + 1 + skip >= end:
                    break
                a += 1 + np.int64(skip)
            else:
                a += 1
                if a >= end:
                    break
            v = indices[a]
            again = False
            if direct and open_seg[v] < -1:  # adopted earlier in this step
                sv = -2 - open_seg[v]
                again = True
            else:
                sv = open_segment(open_seg, reference_count, references, need_refs, v)
                if sv < 0:
                    continue
            if by_value:
                p = tie_chance_at(beta, heard(codes, value_attr, value_code, value_overlap,
                                              mu, v), weak_tie, su, sv)
            else:
                p = tie_chance(beta, rho, weak_tie, su, sv)
            if accounts:
                p *= role_res[mu, role[v]]
            if not kept(p, p_max, state):
                continue
            if not direct:
                n_touched = consider(stamp, weight, pick_cause, pick_message, touched, v, p,
                                     WOM, mu, t, n_touched, state)
            elif again:
                uniform(state)  # (consider's draw for a second success: nothing to pick)
            else:
                open_seg[v] = -2 - sv
                adopted_at[v], message[v], cause[v] = t, mu, WOM
                order[n_adopted] = v
                n_adopted += 1
    people.counters[ADOPTED] = n_adopted
    return n_touched


@numba.njit(cache=True, inline="always")
def _draw(t, start, size, c, mk, p0, params, market, people, scratch, perm, reached,
          n_touched, state):  # pragma: no cover - compiled
    """`c` distinct people of ``perm[start:start+size]`` (a partial Fisher–Yates shuffle of
    a kept permutation), each converted with probability ``a · ρ``: `p0` for everyone, or
    for a message written for an attribute value, by the person's value. Each person
    reached counts in their segment (when `reached` is given: a pool's contacts)."""
    references, need_refs = market.references, params.need_refs
    by_value, segment = params.value_attr[mk] >= 0, market.segment
    open_seg, reference_count = people.open_segment, people.reference_count
    stamp, weight = scratch.stamp, scratch.weight
    pick_cause, pick_message, touched = scratch.pick_cause, scratch.pick_message, scratch.touched
    for i in range(c):
        j = i + below(state, size - i)
        tmp = perm[start + i]
        perm[start + i] = perm[start + j]
        perm[start + j] = tmp
        v = perm[start + i]
        if reached.size:
            reached[segment[v]] += 1
        p = (params.alpha * heard(market.codes, params.value_attr, params.value_code,
                                  params.value_overlap, mk, v) if by_value else p0)
        if p <= 0.0 or open_segment(open_seg, reference_count, references, need_refs,
                                    v) < 0:
            continue
        if uniform(state) < p:
            n_touched = consider(stamp, weight, pick_cause, pick_message, touched, v, p,
                                 MARKETING, mk, t, n_touched, state)
    return n_touched


@numba.njit(cache=True, inline="always")
def marketing(t, market, params, people, scratch, actions, reached, n_touched,
              state):  # pragma: no cover - compiled
    """Contacts: distinct people per segment, and among the people a plan targets by
    attribute (its pool), each converted with probability ``a · ρ`` (:func:`_draw`)."""
    contacts, contact_message = actions.contacts, actions.contact_message
    seg_start = market.seg_start
    no_count = reached[:0]
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
        n_touched = _draw(t, start, size, c, mk, params.alpha * params.resonance[mk, k],
                          params, market, people, scratch, scratch.perm, no_count, n_touched,
                          state)
    c = actions.pool_contacts
    if c > 0:
        size = scratch.pool_perm.size
        if c > size:
            c = size
        n_touched = _draw(t, 0, size, c, actions.pool_message, 0.0, params, market, people,
                          scratch, scratch.pool_perm, reached, n_touched, state)
    return n_touched


@numba.njit(cache=True, inline="always")
def background(t, market, params, people, scratch, n_touched, state):  # pragma: no cover
    """Adoption through channels outside the graph and the campaign: every person who may
    adopt has a trial of chance ``b`` each step. Run as independent trials over everyone,
    the next tried a geometric skip away (work ∝ b·N, not N); a person tried who may not
    adopt is a failed trial. Background adopters carry the generic message."""
    b = params.background
    if b <= 0.0:
        return n_touched
    references, need_refs = market.references, params.need_refs
    open_seg, reference_count = people.open_segment, people.reference_count
    stamp, weight, pick_cause = scratch.stamp, scratch.weight, scratch.pick_cause
    pick_message, touched = scratch.pick_message, scratch.touched
    generic = params.generic
    n = open_seg.size
    log_q = np.log1p(-b) if b < 1.0 else -np.inf
    v = -1
    while True:
        if b < 1.0:
            v += 1 + np.int64(min(geometric_skip(state, log_q), 4e18))
        else:
            v += 1
        if v >= n:
            break
        if open_segment(open_seg, reference_count, references, need_refs, v) >= 0:
            n_touched = consider(stamp, weight, pick_cause, pick_message, touched, v, b,
                                 BACKGROUND, generic, t, n_touched, state)
    return n_touched


@numba.njit(cache=True, inline="always")
def commit(t, people, scratch, n_touched):  # pragma: no cover - compiled
    """The step's successful trials take effect together."""
    touched, pick_cause, pick_message = scratch.touched, scratch.pick_cause, scratch.pick_message
    for i in range(n_touched):
        v = touched[i]
        adopt(people, v, t, pick_cause[v], pick_message[v])


@numba.njit(cache=True, inline="always")
def leave(t, market, params, people, first_new, churned, churn_state):  # pragma: no cover
    """Churn: each customer there at the start of step `t` (not the step's own adopters)
    leaves with their segment's chance. A customer who leaves stops talking and stops
    counting as a reference from the next step on, and never adopts again (they stay out
    of the open people). Run as independent trials over the adoption order, the next tried
    a geometric skip away at the largest chance (work ∝ churn · customers); a person
    reached who left before is a failed trial. Nothing runs, and nothing is drawn, when no
    segment churns."""
    c_max = params.churn_max
    if c_max <= 0.0 or first_new == 0:
        return
    churn, segment, order = params.churn, market.segment, people.order
    left_at, need_refs = people.left_at, params.need_refs
    log_q = np.log1p(-c_max) if c_max < 1.0 else -np.inf
    n_left = 0
    i = -1
    while True:
        if c_max < 1.0:
            i += 1 + np.int64(min(geometric_skip(churn_state, log_q), 4e18))
        else:
            i += 1
        if i >= first_new:
            break
        u = order[i]
        if left_at[u] != NEVER:
            continue
        su = segment[u]
        c = churn[su]
        if c <= 0.0 or (c < c_max and uniform(churn_state) * c_max >= c):
            continue
        depart(market, people, u, su, t, churned, need_refs)
        n_left += 1
    if n_left:
        silence_leavers(people)


@numba.njit(cache=True, inline="always")
def after_adoptions(t, market, params, people, first_new, out,
                    one=-1):  # pragma: no cover
    """Count the step's adopters by cause; they become references for their segment and
    advocates from the next step on; advocates whose ``talk_weeks`` are over fall quiet.

    After a direct step (`one`: the message every advocate retold, else −1;
    :func:`word_of_mouth`) its word-of-mouth adopters are closed; their segment is read from
    their mark, their cause and message are known."""
    n_adopted = people.counters[ADOPTED]
    segment, indptr, indices = market.segment, market.indptr, market.indices
    order, cause, message = people.order, people.cause, people.message
    reference_count, open_seg = people.reference_count, people.open_segment
    advocates, advocate_tag, until = people.advocates, people.advocate_tag, people.advocate_until
    need_refs, talk_weeks = params.need_refs, params.talk_weeks
    # Who talks in the next step: those still within their talk weeks, then this step's
    # adopters. The window is in adoption order, so those whose weeks are over are first.
    talk_from, talk_to = people.counters[TALK_FROM], people.counters[TALK_TO]
    while talk_from < talk_to and until[talk_from] <= t:
        talk_from += 1
    for i in range(first_new, n_adopted):
        u = order[i]
        mark = open_seg[u] if one >= 0 else -1
        if mark < -1:  # adopted by word of mouth in a direct step
            open_seg[u] = -1
            su, cu, mu = -2 - mark, WOM, one
        else:
            su, cu, mu = segment[u], cause[u], message[u]
        out[cu, su] += 1
        advocates[talk_to] = u
        advocate_tag[talk_to] = (np.int64(mu) << 32) | su
        until[talk_to] = t + talk_weeks
        talk_to += 1
        # References are only counted when someone needs them: it costs a visit of every
        # adopter's ties.
        if need_refs:
            for a in range(indptr[u], indptr[u + 1]):
                v = indices[a]
                if segment[v] == su:
                    reference_count[v] += 1
    people.counters[TALK_FROM] = talk_from
    people.counters[TALK_TO] = talk_to


@numba.njit(cache=True, inline="always")
def step(t, market, params, people, scratch, actions, tally, state,
         churn_state):  # pragma: no cover - compiled
    """Advance one step: the stages of the rule, in order. ``tally`` receives the step's new
    adopters by cause, the people reached and the customers who left, per segment;
    ``churn_state`` is churn's own random stream. A market of accounts steps with
    :func:`step_accounts` instead (kept apart so a market without accounts never compiles
    the account stages)."""
    first_new = people.counters[ADOPTED]
    people.step_start[t] = first_new
    adopt_seeds(t, people, actions)
    # (a new kind of trial makes a step not direct: add its test to direct_message)
    one = direct_message(params, people, actions) if params.direct else -1
    if one >= 0:
        word_of_mouth(t, market, params, people, scratch, 0, state, True)
        leave(t, market, params, people, first_new, tally.churned, churn_state)
        after_adoptions(t, market, params, people, first_new, tally.new_by_cause, one)
        return
    n_touched = word_of_mouth(t, market, params, people, scratch, 0, state)
    n_touched = marketing(t, market, params, people, scratch, actions, tally.reached,
                          n_touched, state)
    n_touched = background(t, market, params, people, scratch, n_touched, state)
    # ← a new kind of trial goes here (docs/developing.md)
    commit(t, people, scratch, n_touched)
    leave(t, market, params, people, first_new, tally.churned, churn_state)
    after_adoptions(t, market, params, people, first_new, tally.new_by_cause)


@numba.njit(cache=True, inline="always")
def step_accounts(t, market, params, people, scratch, actions, tally, state,
                  churn_state):  # pragma: no cover - compiled
    """:func:`step` in a market of accounts (``params.accounts``): seeds and trials convince,
    contacts are aimed, champions talk inside their accounts, accounts buy and leave as one
    (:mod:`wom.engine.accounts`); ``tally.accounts`` receives the accounts won and lost and
    the people waiting."""
    first_new = people.counters[ADOPTED]
    first_acc = people.counters[ACCOUNTS_BOUGHT]
    champ_end = people.counters[CHAMP_TO]
    people.step_start[t] = first_new
    convince_seeds(t, market, params, people, scratch, actions)
    n_touched = word_of_mouth(t, market, params, people, scratch, 0, state)
    n_touched = marketing_aimed(t, market, params, people, scratch, actions, tally.reached,
                                n_touched, state)
    n_touched = background(t, market, params, people, scratch, n_touched, state)
    n_touched = inside_accounts(t, market, params, people, scratch, champ_end, n_touched,
                                state)
    commit_accounts(t, market, params, people, scratch, n_touched)
    leave_accounts(t, market, params, people, first_acc, tally.churned, tally.accounts,
                   churn_state)
    after_accounts(t, market, people, first_acc, tally.accounts)
    after_adoptions(t, market, params, people, first_new, tally.new_by_cause)
