"""A deliberately naive, per-agent implementation of the adoption rule (docs/model.md §2).

It shares nothing with the engine but the population and the plan: every person looks at
every neighbour every step (pull, not push), in plain Python. The engine is checked against
it statistically (tests/test_engine.py).
"""

from __future__ import annotations

import numpy as np

from wom.config import Dynamics
from wom.engine import Plan
from wom.market import Population


def naive_run(
    pop: Population, plan: Plan, dyn: Dynamics, weak_tie: float, rng: np.random.Generator,
    churn: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Final adopters per segment, in total and by cause (seed, marketing, background, wom),
    and (``left``) how many of them left; ``churn``: each segment's chance per step that a
    customer leaves (docs/model.md: at the end of each step, every customer there at its
    start; a leaver no longer talks, counts as a reference or adopts again)."""
    n, S = pop.n, pop.n_segments
    seg = pop.segment.tolist()
    adj = [pop.indices[pop.indptr[v]:pop.indptr[v + 1]].tolist() for v in range(n)]
    adoptable = pop.adoptable.tolist()
    threshold = pop.references.tolist()

    def resonance(message: int, segment: int) -> float:
        if message == S:
            return dyn.generic_resonance
        return 1.0 if message == segment else dyn.overlap

    leave = [0.0] * S if churn is None else [float(c) for c in churn]
    left = [False] * n
    adopted_at = [-1] * n
    message = [-1] * n
    cause = [""] * n
    horizon = plan.contacts.shape[0]
    for t in range(horizon):
        new: dict[int, tuple[str, int]] = {}
        if t == 0:
            for v, m in zip(plan.seeds.tolist(), plan.seed_message.tolist(), strict=True):
                new[v] = ("seed", m)
        reached: set[int] = set()
        for k in range(S):
            members = np.arange(pop.seg_start[k], pop.seg_start[k + 1])
            c = min(int(plan.contacts[t, k]), members.size)
            if c:
                reached.update(rng.choice(members, size=c, replace=False).tolist())
        for v in range(n):
            if adopted_at[v] >= 0 or v in new or not adoptable[v]:
                continue
            refs = sum(1 for u in adj[v]
                       if seg[u] == seg[v] and 0 <= adopted_at[u] < t and not left[u])
            if refs < threshold[v]:
                continue
            influences = []
            for u in adj[v]:
                if (adopted_at[u] >= 0 and t - dyn.talk_weeks <= adopted_at[u] <= t - 1
                        and not left[u]):
                    w = 1.0 if seg[u] == seg[v] else weak_tie
                    influences.append((dyn.word_of_mouth * w * resonance(message[u], seg[v]),
                                       "wom", message[u]))
            if v in reached:
                m = int(plan.contact_message[seg[v]])
                influences.append((dyn.marketing * resonance(m, seg[v]), "marketing", m))
            influences.append((dyn.background, "background", S))  # the generic message
            succeeded = [x for x in influences if rng.random() < x[0]]
            if succeeded:
                p = np.array([x[0] for x in succeeded])
                pick = succeeded[rng.choice(len(succeeded), p=p / p.sum())]
                new[v] = (pick[1], pick[2])
        for v in range(n):  # customers there at the start of the step may leave at its end
            if 0 <= adopted_at[v] < t and not left[v] and rng.random() < leave[seg[v]]:
                left[v] = True
        for v, (c_, m) in new.items():
            adopted_at[v], message[v], cause[v] = t, m, c_
    out = {}
    for name in ("seed", "marketing", "background", "wom"):
        counts = np.zeros(S, dtype=np.int64)
        for v in range(n):
            if cause[v] == name:
                counts[seg[v]] += 1
        out[name] = counts
    out["total"] = out["seed"] + out["marketing"] + out["background"] + out["wom"]
    out["left"] = np.bincount([seg[v] for v in range(n) if left[v]], minlength=S)
    return out
