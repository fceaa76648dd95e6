"""The population: conversation graph (CSR arrays) and per-person traits.

Everything here is sampled with numpy, vectorised, straight into compressed sparse rows, so a
market of a million people builds in seconds. People are numbered segment by segment: segment
``k`` is the contiguous id range ``seg_start[k]:seg_start[k+1]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

from wom.scenario import Scenario


@dataclass(frozen=True)
class Population:
    """A market: graph plus traits, as flat arrays (one entry per person or per arc).

    Attributes
    ----------
    segment_names
        Segment names, in scenario order.
    seg_start
        ``int64[S+1]``; people of segment ``k`` are ``seg_start[k]:seg_start[k+1]``.
    segment
        ``int32[N]``, each person's segment index.
    indptr, indices
        The undirected conversation graph in CSR form (``int64[N+1]``, ``int32[2E]``).
    eligible
        ``bool[N]``, inside the segment's TAM (may ever buy).
    competitor
        ``bool[N]``, already held by an incumbent (inside the TAM; never adopts, never talks).
    threshold
        ``int32[N]``, same-segment adopting neighbours needed before adopting.
    """

    segment_names: tuple[str, ...]
    seg_start: np.ndarray
    segment: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    eligible: np.ndarray
    competitor: np.ndarray
    threshold: np.ndarray
    #: Derived per-person scores (centrality, cross-segment ties), computed once and shared
    #: by every strategy of a replicate.
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n(self) -> int:
        return int(self.segment.shape[0])

    @property
    def n_segments(self) -> int:
        return len(self.segment_names)

    @property
    def n_ties(self) -> int:
        return int(self.indices.shape[0] // 2)

    @property
    def adoptable(self) -> np.ndarray:
        """``bool[N]``: could adopt (inside the TAM and not a competitor's customer)."""
        return self.eligible & ~self.competitor

    @property
    def tam_size(self) -> np.ndarray:
        """``int64[S]``: people inside each segment's TAM."""
        return np.bincount(self.segment[self.eligible], minlength=self.n_segments)

    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    def members(self, k: int) -> np.ndarray:
        return np.arange(self.seg_start[k], self.seg_start[k + 1], dtype=np.int64)

    def stats(self) -> dict[str, float | int]:
        """Summary statistics of the graph, for manifests and reports."""
        src = np.repeat(self.segment, np.diff(self.indptr))
        inside = float(np.mean(src == self.segment[self.indices])) if self.indices.size else 0.0
        return {
            "people": self.n,
            "ties": self.n_ties,
            "mean_degree": 2 * self.n_ties / self.n if self.n else 0.0,
            "share_of_ties_inside_segments": inside,
            "isolated_people": int(np.sum(self.degree() == 0)),
        }

    def to_networkx(self):
        """The graph as a :class:`networkx.Graph` with a ``segment`` node attribute."""
        import networkx as nx

        g = nx.Graph()
        names = self.segment_names
        g.add_nodes_from((v, {"segment": names[s]}) for v, s in enumerate(self.segment.tolist()))
        src = np.repeat(np.arange(self.n), np.diff(self.indptr))
        keep = src < self.indices
        g.add_edges_from(zip(src[keep].tolist(), self.indices[keep].tolist(), strict=True))
        return g


GraphBuilder = Callable[[Scenario, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]
GRAPH_MODELS: dict[str, GraphBuilder] = {}


def graph_model(name: str) -> Callable[[GraphBuilder], GraphBuilder]:
    """Register a graph builder ``(scenario, seg_start, rng) -> (u, v)`` edge arrays."""

    def register(fn: GraphBuilder) -> GraphBuilder:
        GRAPH_MODELS[name] = fn
        return fn

    return register


@numba.njit(cache=True)
def _grow(a: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    b = np.empty(2 * a.size + 16, a.dtype)
    b[: a.size] = a
    return b


@numba.njit(cache=True)
def gnp_block(sa, na, sb, nb, p, rng):  # pragma: no cover - compiled
    """Ties of a G(n, p) block in O(n + ties) (Batagelj & Brandes 2005, geometric skips).

    ``sa == sb`` (and ``na == nb``): pairs inside one range; else all pairs between two
    disjoint ranges. Each pair is a tie independently with probability `p`.
    """
    within = sa == sb
    total = na * (na - 1) // 2 if within else na * nb
    expected = p * total
    cap = int(expected + 6.0 * np.sqrt(expected + 1.0)) + 16
    # int32 ends (people < 2**31): the edge lists are the biggest temporaries of a build.
    us = np.empty(cap, np.int32)
    vs = np.empty(cap, np.int32)
    m = 0
    if p <= 0.0 or total <= 0:
        return us[:0], vs[:0]
    log_q = np.log(1.0 - p) if p < 1.0 else -np.inf
    if log_q == 0.0:  # p below 1e-16: 1 − p rounds to 1 (and numba raises on x / 0)
        log_q = np.log1p(-p)
    if within:
        v, w = 1, -1
        while v < na:
            if p < 1.0:
                skip = np.floor(np.log(1.0 - rng.random()) / log_q)
                if skip > total:
                    break
                w += 1 + int(skip)
            else:
                w += 1
            while w >= v and v < na:
                w -= v
                v += 1
            if v < na:
                if m == us.size:
                    us = _grow(us)
                    vs = _grow(vs)
                us[m] = sa + w
                vs[m] = sa + v
                m += 1
    else:
        idx = -1
        while True:
            if p < 1.0:
                skip = np.floor(np.log(1.0 - rng.random()) / log_q)
                if skip > total:
                    break
                idx += 1 + int(skip)
            else:
                idx += 1
            if idx >= total:
                break
            if m == us.size:
                us = _grow(us)
                vs = _grow(vs)
            us[m] = sa + idx // nb
            vs[m] = sb + idx % nb
            m += 1
    return us[:m], vs[:m]


def cross_shares(sc: Scenario) -> np.ndarray:
    """``float[S, S]``: share of segment a's cross-segment ties that go to segment b."""
    sizes = np.array([s.size for s in sc.segments], dtype=float)
    names = sc.segment_names
    idx = {n: i for i, n in enumerate(names)}
    S = len(names)
    share = np.zeros((S, S))
    tw = sc.network.talks_with or {}
    for a in range(S):
        given = tw.get(names[a], {})
        fixed = np.zeros(S, dtype=bool)
        for b_name, x in given.items():
            share[a, idx[b_name]] = x
            fixed[idx[b_name]] = True
        free = ~fixed
        free[a] = False
        rest = 1.0 - share[a].sum()
        if free.any() and rest > 0:
            share[a, free] = rest * sizes[free] / sizes[free].sum()
    return share


def cross_expected(sc: Scenario, out_total: np.ndarray, iterations: int = 500) -> np.ndarray:
    """``float[S, S]``: expected ties between each pair of segments.

    Symmetric, zero on the diagonal, and each row adds up to ``out_total`` (what the
    segment's people send outside: ``size·mean_degree·mixing``) where the segments can take
    it (never more), with the pairs weighted as
    :func:`cross_shares` says (``talks_with``, else by size). Found by iterative
    proportional fitting, ``E[a, b] = x_a·x_b·T[a, b]``: averaging what a sends b with what b
    sends a instead would give small segments next to big ones far more outside ties than
    ``mixing`` asks for.
    """
    share = cross_shares(sc)
    prior = share + share.T
    np.fill_diagonal(prior, 0.0)
    target = np.asarray(out_total, dtype=float)
    x = np.sqrt(np.maximum(target, 0.0) / max(prior.sum(), 1e-300)) + 1e-300
    for _ in range(iterations):
        reach = prior @ x
        with np.errstate(over="ignore"):
            new = np.where(reach > 0, target / np.where(reach > 0, reach, 1.0), 0.0)
            # Bounded: with no exact solution (see below) x can run off to inf (and 0).
            x_next = np.minimum(np.sqrt(x * new), 1e150)
        if np.allclose(x_next, x, rtol=1e-10, atol=0.0):
            x = x_next
            break
        x = x_next
    e = x[:, None] * x[None, :] * prior
    # A segment may want more outside ties than all the others together can take (a big
    # segment among small ones): no exact solution exists. Scale every pair down to what
    # both of its segments allow, so no segment sends more than `mixing` asks for.
    rows = e.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rows > target, target / rows, 1.0)
    return e * np.minimum(ratio[:, None], ratio[None, :])


@graph_model("planted_partition")
def planted_partition(sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator):
    """Segments as dense random blocks; a share ``mixing`` of each person's ties leave.

    Inside segment ``k`` ties are G(n_k, p) with expected degree ``mean_degree·(1−mixing)``.
    Between segments the expected number of ties of each pair of segments comes from
    :func:`cross_expected` (every segment sends ``mixing`` of its ties out); each pair of
    people of the block is a tie independently.
    """
    net = sc.network
    sizes = np.diff(seg_start)
    S = sizes.size
    d_in = net.mean_degree * (1.0 - net.mixing) if S > 1 else net.mean_degree
    d_out = net.mean_degree * net.mixing if S > 1 else 0.0
    us, vs = [], []
    for k in range(S):
        n = int(sizes[k])
        p = min(1.0, d_in / (n - 1)) if n > 1 else 0.0
        u, v = gnp_block(int(seg_start[k]), n, int(seg_start[k]), n, p, rng)
        us.append(u)
        vs.append(v)
    if d_out > 0:
        expected_ties = cross_expected(sc, sizes * d_out)
        for a in range(S):
            for b in range(a + 1, S):
                expected = expected_ties[a, b]
                p = min(1.0, expected / (int(sizes[a]) * int(sizes[b])))
                u, v = gnp_block(int(seg_start[a]), int(sizes[a]), int(seg_start[b]),
                                 int(sizes[b]), p, rng)
                us.append(u)
                vs.append(v)
    return np.concatenate(us), np.concatenate(vs)


@graph_model("erdos_renyi")
def erdos_renyi(sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator):
    """Ties at random with expected degree ``mean_degree``, ignoring segments."""
    n = int(seg_start[-1])
    p = min(1.0, sc.network.mean_degree / (n - 1)) if n > 1 else 0.0
    return gnp_block(0, n, 0, n, p, rng)


@graph_model("complete")
def complete(sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator):
    """Everyone talks to everyone: the well-mixed market of the Bass model."""
    n = int(seg_start[-1])
    u, v = np.triu_indices(n, k=1)
    return u.astype(np.int64), v.astype(np.int64)


def _file_ties(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """The ties of a real graph (the same in every replicate; only traits are redrawn)."""
    from pathlib import Path

    from wom.graphfile import load_graph

    spec = sc.network.file
    assert spec is not None
    g = load_graph(spec, base=Path.cwd(), seed=spec.louvain_seed)
    if list(g.names) != sc.segment_names or not np.array_equal(
        g.sizes, [s.size for s in sc.segments]
    ):
        raise ValueError(f"{spec.path}: its segments changed since the scenario was validated")
    return g.u, g.v


@numba.njit(cache=True)
def _csr(n, u, v):  # pragma: no cover - compiled
    indptr = np.zeros(n + 1, np.int64)
    for i in range(u.size):
        indptr[u[i] + 1] += 1
        indptr[v[i] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    pos = indptr[:-1].copy()
    indices = np.empty(2 * u.size, np.int32)
    for i in range(u.size):
        a, b = u[i], v[i]
        indices[pos[a]] = b
        pos[a] += 1
        indices[pos[b]] = a
        pos[b] += 1
    return indptr, indices


def to_csr(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Undirected ties ``(u, v)`` to CSR ``(indptr int64[n+1], indices int32[2E])``.

    A counting sort, O(n + ties); a person's neighbours are listed in tie order.
    """
    u, v = np.ascontiguousarray(u), np.ascontiguousarray(v)
    if u.dtype != v.dtype or u.dtype.kind != "i":
        u, v = u.astype(np.int64), v.astype(np.int64)
    return _csr(n, u, v)


def draw_traits(sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator):
    """TAM membership, incumbents' customers and reference thresholds, per person.

    Each segment gets exactly ``round(share·size)`` people of each kind, chosen at random:
    the TAM, the competitor's customers (inside the TAM), and the early market (threshold 0);
    everyone else needs ``references`` same-segment adopters.
    """
    n = int(seg_start[-1])
    eligible = np.zeros(n, dtype=bool)
    competitor = np.zeros(n, dtype=bool)
    threshold = np.zeros(n, dtype=np.int32)
    for k, seg in enumerate(sc.segments):
        start, size = int(seg_start[k]), seg.size
        order = rng.permutation(size) + start
        n_tam = round(seg.tam * size)
        n_comp = min(round(seg.incumbent * size), n_tam)
        eligible[order[:n_tam]] = True
        competitor[order[:n_comp]] = True
        if seg.references > 0:
            early = rng.permutation(size) + start
            threshold[early[round(seg.early_market * size):]] = seg.references
    return eligible, competitor, threshold


def build_population(sc: Scenario, *, rng: np.random.Generator) -> Population:
    """Build the conversation graph and draw every person's traits.

    Parameters
    ----------
    sc
        A validated scenario.
    rng
        The only source of randomness (one per replicate, from the scenario seed).
    """
    sizes = np.array([s.size for s in sc.segments], dtype=np.int64)
    seg_start = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=seg_start[1:])
    n = int(seg_start[-1])
    segment = np.repeat(np.arange(sizes.size, dtype=np.int32), sizes)
    if sc.network.model == "file":
        u, v = _file_ties(sc)
    else:
        u, v = GRAPH_MODELS[sc.network.model](sc, seg_start, rng)
    indptr, indices = to_csr(n, u, v)
    eligible, competitor, threshold = draw_traits(sc, seg_start, rng)
    return Population(
        segment_names=tuple(sc.segment_names),
        seg_start=seg_start,
        segment=segment,
        indptr=indptr,
        indices=indices,
        eligible=eligible,
        competitor=competitor,
        threshold=threshold,
    )


# The other graph models register themselves in the same table.
from wom import graphs as _graphs  # noqa: E402, F401
