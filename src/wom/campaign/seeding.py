"""Seeding rules: who gets the seeds inside a targeted segment.

A rule is one function registered in :data:`wom.config.SEEDING_RULES`: ``(context,
candidates, k) -> chosen people``. Its name is what a strategy's ``seeding`` says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

from wom.config import SEEDING_RULES, Scenario, Strategy
from wom.market import Population


@dataclass(frozen=True)
class SeedingContext:
    """What a seeding rule may look at: the market, the scenario, the strategy, a generator,
    and the message the seeds will carry in each segment (``int32[S]``)."""

    population: Population
    scenario: Scenario
    spec: Strategy
    message: np.ndarray
    rng: np.random.Generator
    cache: dict = field(default_factory=dict)


def top(score: np.ndarray, candidates: np.ndarray, k: int,
        rng: np.random.Generator) -> np.ndarray:
    """The `k` best-scoring candidates, ties broken at random."""
    tie = rng.random(candidates.size)
    if 0 < k < candidates.size and not np.isnan(score).any():
        # Only those scoring at least the k-th best can be among them: sorting just those
        # gives the same first k (the sort is stable, and they keep their order)
        kth = np.partition(score, candidates.size - k)[candidates.size - k]
        near = np.flatnonzero(score >= kth)
        return candidates[near[np.lexsort((tie[near], -score[near]))[:k]]]
    order = np.lexsort((tie, -score))
    return candidates[order[:k]]


@numba.njit(cache=True)
def _block_pagerank(indptr, indices, s0, s1, damping, tol, max_iter):  # pragma: no cover
    """PageRank of the people ``s0:s1`` on the ties among them (their own segment)."""
    n = s1 - s0
    # The ties among them, once, in the order of the market's (so every sum below adds the
    # same numbers in the same order as walking the market's ties and skipping the others)
    ptr = np.zeros(n + 1, np.int64)
    for u in range(s0, s1):
        for a in range(indptr[u], indptr[u + 1]):
            if s0 <= indices[a] < s1:
                ptr[u - s0 + 1] += 1
    for i in range(n):
        ptr[i + 1] += ptr[i]
    col = np.empty(ptr[n], np.int32)
    m = 0
    for u in range(s0, s1):
        for a in range(indptr[u], indptr[u + 1]):
            w = indices[a]
            if s0 <= w < s1:
                col[m] = w - s0
                m += 1
    x = np.full(n, 1.0 / n)
    nxt = np.empty(n)
    for _ in range(max_iter):
        nxt[:] = 0.0
        dangling = 0.0
        for i in range(n):
            deg = ptr[i + 1] - ptr[i]
            if deg == 0:
                dangling += x[i]
                continue
            share = x[i] / float(deg)
            for a in range(ptr[i], ptr[i + 1]):
                nxt[col[a]] += share
        change = 0.0
        for i in range(n):
            y = (1.0 - damping) / n + damping * (nxt[i] + dangling / n)
            change += abs(y - x[i])
            x[i] = y
        if change < tol:
            break
    return x


def segment_centrality(pop: Population, k: int) -> np.ndarray:
    """PageRank inside segment `k` (on its own ties), for its members in id order."""
    key = f"pagerank:{k}"
    if key not in pop.cache:
        s0, s1 = int(pop.seg_start[k]), int(pop.seg_start[k + 1])
        pop.cache[key] = _block_pagerank(pop.indptr, pop.indices, s0, s1, 0.85, 1e-9, 100)
    return pop.cache[key]


@SEEDING_RULES.register("poster_child",
                        words="the poster children (the most central people inside the segment)")
def seed_poster_child(ctx: SeedingContext, candidates: np.ndarray, k: int) -> np.ndarray:
    """The most central people *inside their own segment* (PageRank on in-segment ties).

    A segment is defined by its centre: its poster child is whom the others talk to, not the
    member with the most ties to outsiders.
    """
    pop = ctx.population
    score = np.empty(candidates.size)
    seg = pop.segment[candidates]
    for s in np.unique(seg):
        here = seg == s
        score[here] = segment_centrality(pop, int(s))[candidates[here] - pop.seg_start[s]]
    return top(score, candidates, k, ctx.rng)


@SEEDING_RULES.register("hubs",
                        words="the hubs (the people with the most ties)")
def seed_hubs(ctx: SeedingContext, candidates: np.ndarray, k: int) -> np.ndarray:
    """The candidates with the most conversation ties."""
    return top(ctx.population.degree()[candidates].astype(float), candidates, k, ctx.rng)


def cross_ties(pop: Population) -> np.ndarray:
    """``int64[N]``: each person's ties to people of other segments."""
    src = np.repeat(pop.segment, np.diff(pop.indptr))
    other = src != pop.segment[pop.indices]
    owner = np.repeat(np.arange(pop.n), np.diff(pop.indptr))
    return np.bincount(owner[other], minlength=pop.n)


@SEEDING_RULES.register("bridges",
                        words="the bridges (the people with the most ties to other segments)")
def seed_bridges(ctx: SeedingContext, candidates: np.ndarray, k: int) -> np.ndarray:
    """The candidates with the most ties to other segments (they carry the word across)."""
    pop = ctx.population
    if "cross_ties" not in pop.cache:
        pop.cache["cross_ties"] = cross_ties(pop)
    score = pop.cache["cross_ties"]
    return top(score[candidates].astype(float), candidates, k, ctx.rng)


@SEEDING_RULES.register("random",
                        words="people drawn at random")
def seed_random(ctx: SeedingContext, candidates: np.ndarray, k: int) -> np.ndarray:
    """Seeds drawn uniformly among the candidates."""
    return ctx.rng.choice(candidates, size=min(k, candidates.size), replace=False)


def seeds_in(ctx: SeedingContext, segments: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Choose ``counts[i]`` seeds among the adoptable people of ``segments[i]``."""
    pop = ctx.population
    chosen = []
    adoptable = pop.adoptable
    rule = SEEDING_RULES[ctx.spec.seeding]
    for k, c in zip(segments, counts, strict=True):
        if c <= 0:
            continue
        members = pop.members(int(k))
        candidates = members[adoptable[members]]
        chosen.append(rule(ctx, candidates, int(c)))
    return np.concatenate(chosen).astype(np.int32) if chosen else np.empty(0, np.int32)
