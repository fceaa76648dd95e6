"""A deliberately naive, per-agent implementation of the account rule (docs/model.md §2,
"Accounts: buyer, payer and users").

Like :mod:`reference`, it shares nothing with the engine but the population (who is in which
account, who buys and who pays) and the plan (seeds, contacts, aim, the message's resonance
with each role): every open person pulls every influence on them every step, in plain
Python. Roles are worked out here from the accounts' buyers and payers, not read from the
engine's role bits. The engine is checked against it statistically (tests/test_accounts.py).
"""

from __future__ import annotations

import numpy as np

from wom.config import Dynamics
from wom.engine import Plan
from wom.market import Population

CAUSES = ("seed", "marketing", "background", "wom")


def largest_remainder(c: int, shares: list[float]) -> list[int]:
    """`c` split by `shares` (summing to 1): each its whole part, then one more each for the
    largest fractional parts (ties: the first), only to shares above 0."""
    exact = [c * s for s in shares]
    out = [int(np.floor(x)) for x in exact]
    rank = sorted((i for i, s in enumerate(shares) if s > 0),
                  key=lambda i: -(exact[i] - out[i]))  # stable: ties keep the first
    for i in rank[: c - sum(out)]:
        out[i] += 1
    return out


def naive_accounts_run(
    pop: Population, plan: Plan, dyn: Dynamics, weak_tie: float, rng: np.random.Generator,
    churn: np.ndarray | None = None, strength: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """One run of the account rule; per segment: seats won by cause (``seed`` … ``wom``, as
    the members' causes; ``seats`` in all), ``accounts_won``, ``accounts_lost``, ``left``
    (seats lost), ``waiting`` (people convinced in accounts that have not bought, at the
    end).

    ``churn``: each segment's chance per step that an account leaves; ``strength``: each
    segment's ``accounts.strength`` (default 3)."""
    assert pop.accounts is not None
    n, S = pop.n, pop.n_segments
    seg = pop.segment.tolist()
    adj = [pop.indices[pop.indptr[v]:pop.indptr[v + 1]].tolist() for v in range(n)]
    adoptable = pop.adoptable.tolist()
    threshold = pop.references.tolist()
    leave = [0.0] * S if churn is None else [float(c) for c in churn]
    inside = [3.0] * S if strength is None else [float(x) for x in strength]

    # Who is in which account, and who holds which role (a person of an account of one
    # holds all three; the others of a bigger account are its users).
    account = pop.accounts.account.tolist()
    buyer = pop.accounts.buyer.tolist()
    payer = pop.accounts.payer.tolist()
    A = len(buyer)
    members: list[list[int]] = [[] for _ in range(A)]
    for v in range(n):
        members[account[v]].append(v)
    holds: list[set[str]] = []
    for v in range(n):
        a = account[v]
        r = set()
        if v == buyer[a]:
            r.add("buyer")
        if v == payer[a]:
            r.add("payer")
        if not r or len(members[a]) == 1:
            r.add("user")
        holds.append(r)
    user_r, buyer_r, payer_r = plan.roles
    by_role = {"user": user_r, "buyer": buyer_r, "payer": payer_r}
    role_r = [max(by_role[x] for x in holds[v]) for v in range(n)]
    # The campaign's messages (its seeds' and contacts'; a plan that reacts, any tailored
    # one) are heard at the role's resonance; any other (the generic message background
    # adopters retell, when the campaign does not use it) at 1.
    sent = set(plan.seed_message.tolist()) | set(plan.contact_message.tolist())
    if plan.reacts:
        sent |= set(range(S))

    def heard(message: int, v: int) -> float:
        return role_r[v] if message in sent else 1.0
    aim = [float(x) for x in plan.aim]
    groups = [None, "user", "buyer", "payer"]
    pools = [[[v for v in range(n) if seg[v] == k and (g is None or g in holds[v])]
              for g in groups] for k in range(S)]

    def resonance(message: int, segment: int) -> float:
        if message == S:
            return dyn.generic_resonance
        return 1.0 if message == segment else dyn.overlap

    convinced_at = [-1] * n  # the step a person was convinced (a trial or a seed)
    cause = [""] * n
    message = [-1] * n
    adopted_at = [-1] * n  # the step their account bought
    bought_at = [-1] * A
    left = [False] * A
    won = np.zeros(S, np.int64)
    lost = np.zeros(S, np.int64)

    def buys(a: int, t: int, closer: int) -> None:
        """Account `a` buys at `t` if its buyer and its payer are convinced; its members who
        were not convinced take the conviction of `closer`."""
        if bought_at[a] >= 0 or convinced_at[buyer[a]] < 0 or convinced_at[payer[a]] < 0:
            return
        bought_at[a] = t
        won[seg[buyer[a]]] += 1
        for w in members[a]:
            adopted_at[w] = t
            if convinced_at[w] < 0:
                cause[w], message[w] = cause[closer], message[closer]

    horizon = plan.contacts.shape[0]
    for t in range(horizon):
        if t == 0:  # seeds are convinced at once; their account buys if they close it
            for v, m in zip(plan.seeds.tolist(), plan.seed_message.tolist(), strict=True):
                if adoptable[v] and convinced_at[v] < 0 and adopted_at[v] < 0:
                    convinced_at[v], cause[v], message[v] = 0, "seed", m
                    buys(account[v], 0, v)
        contacts = [0] * n  # marketing trials of each person this step
        for k in range(S):
            for g, c in enumerate(largest_remainder(int(plan.contacts[t, k]), aim)):
                pool = pools[k][g]
                c = min(c, len(pool))
                if c:
                    for v in rng.choice(pool, size=c, replace=False).tolist():
                        contacts[v] += 1
        new: dict[int, tuple[str, int]] = {}
        for v in range(n):
            if not adoptable[v] or convinced_at[v] >= 0 or adopted_at[v] >= 0:
                continue
            refs = sum(1 for u in adj[v] if seg[u] == seg[v] and 0 <= adopted_at[u] < t
                       and not left[account[u]])
            if refs < threshold[v]:
                continue
            influences = []
            for u in adj[v]:  # the market's advocates, as without accounts, heard by role
                if (adopted_at[u] >= 0 and t - dyn.talk_weeks <= adopted_at[u] <= t - 1
                        and not left[account[u]]):
                    w = 1.0 if seg[u] == seg[v] else weak_tie
                    p = (dyn.word_of_mouth * w * resonance(message[u], seg[v])
                         * heard(message[u], v))
                    influences.append((p, "wom", message[u]))
            m = int(plan.contact_message[seg[v]])
            for _ in range(contacts[v]):
                p = dyn.marketing * resonance(m, seg[v]) * heard(m, v)
                influences.append((p, "marketing", m))
            influences.append((dyn.background, "background", S))  # no role: from outside
            a = account[v]
            for u in members[a]:  # champions: convinced members of an account not bought
                if (u != v and bought_at[a] < 0 and convinced_at[u] >= 0
                        and t - dyn.talk_weeks <= convinced_at[u] <= t - 1):
                    p = min(1.0, inside[seg[v]] * dyn.word_of_mouth
                            * resonance(message[u], seg[v]) * heard(message[u], v))
                    influences.append((p, "wom", message[u]))
            succeeded = [x for x in influences if rng.random() < x[0]]
            if succeeded:
                p = np.array([x[0] for x in succeeded])
                pick = succeeded[rng.choice(len(succeeded), p=p / p.sum())]
                new[v] = (pick[1], pick[2])
        # Accounts that are customers at the start of the step may leave at its end.
        for a in range(A):
            if 0 <= bought_at[a] < t and not left[a] and rng.random() < leave[seg[buyer[a]]]:
                left[a] = True
                lost[seg[buyer[a]]] += 1
        # The commit: the step's convictions, then the purchases they complete; the later
        # of the buyer's and the payer's convictions closes the sale (the payer's, when both
        # come in this step).
        for v, (c_, m_) in new.items():
            convinced_at[v], cause[v], message[v] = t, c_, m_
        for v in new:
            a = account[v]
            closer = payer[a] if convinced_at[payer[a]] == t else buyer[a]
            buys(a, t, closer)
    out: dict[str, np.ndarray] = {}
    for name in CAUSES:
        out[name] = np.bincount([seg[v] for v in range(n)
                                 if adopted_at[v] >= 0 and cause[v] == name], minlength=S)
    out["seats"] = sum(out[name] for name in CAUSES)
    out["accounts_won"] = won
    out["accounts_lost"] = lost
    out["left"] = np.bincount([seg[v] for v in range(n) if left[account[v]]], minlength=S)
    out["waiting"] = np.bincount([seg[v] for v in range(n)
                                  if convinced_at[v] >= 0 and adopted_at[v] < 0], minlength=S)
    return out
