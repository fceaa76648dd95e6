"""The account stages of the rule (docs/model.md, accounts), compiled with numba.

With accounts (``Params.accounts``), a successful trial *convinces* a person
(:func:`accept`); an account buys when its buyer and payer are convinced (:func:`decide`),
and then every member adopts. Contacts may be aimed at roles (:func:`marketing_aimed`),
champions talk inside their account (:func:`inside_accounts`), churn takes whole accounts
(:func:`leave_accounts`) and :func:`after_accounts` counts accounts won and people waiting.
:func:`wom.engine.step.step` runs them in place of (or beside) the individual stages; without
accounts none runs and nothing is drawn for them.
"""

from __future__ import annotations

import numba
import numpy as np

from wom.engine.rng import below, geometric_skip, uniform
from wom.engine.state import (
    ACC_LOST,
    ACC_LOST_SEED,
    ACC_WAITING,
    ACC_WON,
    ACC_WON_SEED,
    ACCOUNTS_BOUGHT,
    CHAMP_FROM,
    CHAMP_TO,
    MARKETING,
    NEVER,
    SEED,
    WOM,
)
from wom.engine.trials import adopt, consider, depart, open_segment, silence_leavers


@numba.njit(cache=True)
def decide(market, people, a, t, closer):  # pragma: no cover - compiled
    """Account `a` buys at step `t` if its buyer and its payer are convinced: every member
    becomes a customer (effective from the next step, like any adoption). Members who were
    not convinced themselves take the cause and message of `closer`, the buyer or the payer
    whose conviction closed the sale."""
    if people.bought_at[a] != NEVER:
        return
    message = people.message
    if message[market.buyer[a]] < 0 or message[market.payer[a]] < 0:
        return
    cause, msg = people.cause[closer], message[closer]
    n_acc = people.counters[ACCOUNTS_BOUGHT]
    people.bought_at[a] = t
    people.account_order[n_acc] = a
    people.account_cause[a] = cause
    people.counters[ACCOUNTS_BOUGHT] = n_acc + 1
    for i in range(market.acc_ptr[a], market.acc_ptr[a + 1]):
        w = market.acc_members[i]
        if people.adopted_at[w] != NEVER:
            continue
        if message[w] >= 0:  # convinced before: keeps their own cause and message
            people.waiting[market.segment[w]] -= 1
            adopt(people, w, t, people.cause[w], message[w])
        else:
            adopt(people, w, t, cause, msg)


@numba.njit(cache=True)
def accept(market, params, people, new, v, t, cause, msg):  # pragma: no cover - compiled
    """With accounts, a successful trial convinces `v`; their account buys if that was the
    last conviction it needed, else `v` champions it inside the account while their talk
    weeks last.

    ``new`` (``Scratch.stamp``) marks who was convinced in step `t`: the payer's conviction
    closes the sale if the payer was convinced in this step, else the buyer's (so which of
    two convictions of one step closes does not depend on the order of the step's stages).
    A member whose account bought earlier in this step's commit is a customer already, and
    keeps the cause and message of their own trial."""
    if people.adopted_at[v] != NEVER:  # bought with their account earlier in this commit
        people.cause[v] = cause
        people.message[v] = msg
        return
    new[v] = t
    people.open_segment[v] = -1
    people.message[v] = msg
    people.cause[v] = cause
    people.waiting[market.segment[v]] += 1
    a = market.account[v]
    payer = market.payer[a]
    decide(market, people, a, t, payer if new[payer] == t else market.buyer[a])
    if people.bought_at[a] == NEVER:
        j = people.counters[CHAMP_TO]
        people.champions[j] = v
        people.champion_until[j] = t + params.talk_weeks
        people.counters[CHAMP_TO] = j + 1


@numba.njit(cache=True)
def _split(c, aim, out):  # pragma: no cover - compiled
    """`c` contacts split over the aim's groups by largest remainder: each group its whole
    part, then one more each for the groups with the largest fractional parts (ties: the
    first), only to groups aimed at."""
    given = 0
    for g in range(aim.size):
        out[g] = np.int64(np.floor(c * aim[g]))
        given += out[g]
    done = np.zeros(aim.size, np.bool_)  # groups that had their one more
    while given < c:
        best, frac = -1, -1.0
        for g in range(aim.size):
            f = c * aim[g] - np.floor(c * aim[g])
            if aim[g] > 0.0 and not done[g] and f > frac:
                best, frac = g, f
        if best < 0:
            break
        done[best] = True
        out[best] += 1
        given += 1


@numba.njit(cache=True)
def marketing_aimed(t, market, params, people, scratch, actions, reached, n_touched,
                    state):  # pragma: no cover - compiled
    """Contacts with accounts: each segment's contacts split over the groups the campaign
    aims at (anyone, users, buyers, payers); each group's distinct people drawn as
    :func:`marketing` draws a segment's, each converted with probability
    ``a · ρ · resonance with their role``. Aimed at anyone, the draws are :func:`marketing`'s."""
    contacts, contact_message, aim = actions.contacts, actions.contact_message, actions.aim
    seg_start, references, role_start = market.seg_start, market.references, market.role_start
    role, role_res = market.role, params.role_res
    alpha, resonance, need_refs = params.alpha, params.resonance, params.need_refs
    open_seg, reference_count = people.open_segment, people.reference_count
    stamp, weight = scratch.stamp, scratch.weight
    pick_cause, pick_message, touched = scratch.pick_cause, scratch.pick_message, scratch.touched
    split = np.zeros(aim.size, np.int64)
    for k in range(contacts.size):
        c = contacts[k]
        if c <= 0:
            continue
        _split(c, aim, split)
        mk = contact_message[k]
        p0 = alpha * resonance[mk, k]
        total = 0
        for g in range(aim.size):
            cg = split[g]
            if cg <= 0:
                continue
            if g == 0:
                perm, start = scratch.perm, seg_start[k]
                size = seg_start[k + 1] - start
            else:
                perm, start = scratch.role_perm, role_start[g - 1, k]
                size = role_start[g - 1, k + 1] - start
            if cg > size:
                cg = size
            total += cg
            for i in range(cg):
                j = i + below(state, size - i)
                tmp = perm[start + i]
                perm[start + i] = perm[start + j]
                perm[start + j] = tmp
                v = perm[start + i]
                p = p0 * role_res[mk, role[v]]
                if p <= 0.0 or open_segment(open_seg, reference_count, references, need_refs,
                                            v) < 0:
                    continue
                if uniform(state) < p:
                    n_touched = consider(stamp, weight, pick_cause, pick_message, touched, v,
                                         p, MARKETING, mk, t, n_touched, state)
        reached[k] = total
    return n_touched


@numba.njit(cache=True)
def inside_accounts(t, market, params, people, scratch, champ_end, n_touched,
                    state):  # pragma: no cover - compiled
    """Talk inside accounts: each champion (a convinced member of an account that has not
    bought, within their talk weeks) tries every other open member of their account, with
    chance ``min(1, β · strength · ρ(message, segment) · resonance with the member's role)``:
    users win their buyer over, the buyer the payer. Champions made this step talk from the
    next (``champ_end``: the window's end when the step began)."""
    references, need_refs = market.references, params.need_refs
    account, acc_ptr, acc_members = market.account, market.acc_ptr, market.acc_members
    segment, role, role_res, inside = market.segment, market.role, params.role_res, params.inside
    resonance, bought_at, message = params.resonance, people.bought_at, people.message
    open_seg, reference_count, champions = people.open_segment, people.reference_count, \
        people.champions
    stamp, weight, pick_cause = scratch.stamp, scratch.weight, scratch.pick_cause
    pick_message, touched = scratch.pick_message, scratch.touched
    for i in range(people.counters[CHAMP_FROM], champ_end):
        u = champions[i]
        a = account[u]
        if bought_at[a] != NEVER:
            continue
        mu = message[u]
        base = inside[segment[u]] * resonance[mu, segment[u]]
        if base <= 0.0:
            continue
        for j in range(acc_ptr[a], acc_ptr[a + 1]):
            v = acc_members[j]
            if v == u or open_segment(open_seg, reference_count, references, need_refs,
                                      v) < 0:
                continue
            p = min(1.0, base * role_res[mu, role[v]])
            if p > 0.0 and uniform(state) < p:
                n_touched = consider(stamp, weight, pick_cause, pick_message, touched, v, p,
                                     WOM, mu, t, n_touched, state)
    return n_touched


@numba.njit(cache=True)
def leave_accounts(t, market, params, people, first_acc, churned, lost,
                   churn_state):  # pragma: no cover - compiled
    """Churn with accounts: each account that is a customer at the start of step `t` leaves
    with its segment's chance, all its members at once; drawn as :func:`leave` draws people,
    over the accounts in the order they bought (accounts of one draw exactly as it does).
    ``lost``: the tally's accounts rows."""
    c_max = params.churn_max
    if c_max <= 0.0 or first_acc == 0:
        return
    churn, segment, order = params.churn, market.segment, people.account_order
    need_refs = params.need_refs
    acc_ptr, acc_members, buyer = market.acc_ptr, market.acc_members, market.buyer
    log_q = np.log1p(-c_max) if c_max < 1.0 else -np.inf
    n_left = 0
    i = -1
    while True:
        if c_max < 1.0:
            i += 1 + np.int64(min(geometric_skip(churn_state, log_q), 4e18))
        else:
            i += 1
        if i >= first_acc:
            break
        a = order[i]
        if people.account_left[a] != NEVER:
            continue
        sa = segment[buyer[a]]
        c = churn[sa]
        if c <= 0.0 or (c < c_max and uniform(churn_state) * c_max >= c):
            continue
        people.account_left[a] = t
        lost[ACC_LOST, sa] += 1
        if people.account_cause[a] == SEED:
            lost[ACC_LOST_SEED, sa] += 1
        for m in range(acc_ptr[a], acc_ptr[a + 1]):
            depart(market, people, acc_members[m], sa, t, churned, need_refs)
            n_left += 1
    if n_left:
        silence_leavers(people)


@numba.njit(cache=True)
def after_accounts(t, market, people, first_acc, out):  # pragma: no cover - compiled
    """Count the step's accounts won (and those a seed closed) and the people waiting in
    accounts that have not bought; champions whose talk weeks are over fall quiet."""
    for i in range(first_acc, people.counters[ACCOUNTS_BOUGHT]):
        a = people.account_order[i]
        sa = market.segment[market.buyer[a]]
        out[ACC_WON, sa] += 1
        if people.account_cause[a] == SEED:
            out[ACC_WON_SEED, sa] += 1
    for k in range(people.waiting.size):
        out[ACC_WAITING, k] = people.waiting[k]
    cf, ct = people.counters[CHAMP_FROM], people.counters[CHAMP_TO]
    while cf < ct and people.champion_until[cf] <= t:
        cf += 1
    people.counters[CHAMP_FROM] = cf


@numba.njit(cache=True, inline="always")
def convince_seeds(t, market, params, people, scratch, actions):  # pragma: no cover
    """Seeds are convinced at their seeding step (those who still can); a seed's account
    buys at once if the seed is its buyer and payer."""
    for i in range(actions.seeds.size):
        v = actions.seeds[i]
        if people.open_segment[v] >= 0:
            accept(market, params, people, scratch.stamp, v, t, SEED, actions.seed_message[i])


@numba.njit(cache=True, inline="always")
def commit_accounts(t, market, params, people, scratch, n_touched):  # pragma: no cover
    """The step's successful trials take effect together: they convince, and accounts whose
    buyer and payer are now convinced buy."""
    touched, pick_cause, pick_message = scratch.touched, scratch.pick_cause, scratch.pick_message
    for i in range(n_touched):
        v = touched[i]
        accept(market, params, people, scratch.stamp, v, t, pick_cause[v], pick_message[v])
