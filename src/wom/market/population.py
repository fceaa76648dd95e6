"""The population: conversation graph (CSR arrays) and per-person traits.

Everything here is sampled with numpy, vectorised, straight into compressed sparse rows, so a
market of a million people builds in seconds. People are numbered segment by segment: segment
``k`` is the contiguous id range ``seg_start[k]:seg_start[k+1]``. The graph models are in
:mod:`wom.market.partition` and :mod:`wom.market.graphs`, registered by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numba
import numpy as np

from wom.config import GRAPH_MODELS, Scenario
from wom.market.accounts import AccountArrays, draw_accounts
from wom.market.attributes import Traits, draw_attributes, file_attributes


class Existing(NamedTuple):
    """Today's customers (:mod:`wom.market.customers`): who (``int32[n]``, distinct) and the
    step each bought at (``int32[n]``, every one < 0), in order of that step."""

    persons: np.ndarray
    since: np.ndarray


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
    incumbent
        ``bool[N]``, already the incumbent's customer (inside the TAM; never adopts, never
        passes our message on).
    references
        ``int32[N]``, same-segment adopters a person needs before adopting (the scenario's
        ``references`` outside the early market, 0 inside it).
    customers
        Today's customers, who adopted before the run (None: nobody yet).
    accounts
        Who buys together (:mod:`wom.market.accounts`); None: everyone buys alone (a market
        of individuals, the rule without accounts).
    traits
        People's attributes beside their segment (:mod:`wom.market.attributes`); None: the
        scenario has none.
    """

    segment_names: tuple[str, ...]
    seg_start: np.ndarray
    segment: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    eligible: np.ndarray
    incumbent: np.ndarray
    references: np.ndarray
    #: Derived per-person scores (centrality, cross-segment ties), computed once and shared
    #: by every strategy of a replicate.
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    customers: Existing | None = field(default=None, compare=False, repr=False)
    accounts: AccountArrays | None = field(default=None, compare=False, repr=False)
    traits: Traits | None = field(default=None, compare=False, repr=False)

    @property
    def n_messages(self) -> int:
        """Messages a campaign may say: one tailored to each segment, the generic one, and
        with attributes one written for each value."""
        extra = 0 if self.traits is None else sum(len(v) for v in self.traits.values)
        return self.n_segments + 1 + extra

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
        """``bool[N]``: could adopt (inside the TAM, not the incumbent's customer, not
        already ours)."""
        could = self.eligible & ~self.incumbent
        if self.customers is not None:
            could[self.customers.persons] = False
        return could

    @property
    def tam_size(self) -> np.ndarray:
        """``int64[S]``: people inside each segment's TAM."""
        return np.bincount(self.segment[self.eligible], minlength=self.n_segments)

    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def nbytes(self) -> int:
        """Bytes of the market's arrays (the graph, the traits, accounts, today's customers
        and what :attr:`cache` holds): what keeping it costs."""
        def size(x: Any) -> int:
            if isinstance(x, np.ndarray):
                return int(x.nbytes)
            if isinstance(x, tuple | list):
                return sum(size(y) for y in x)
            if isinstance(x, dict):
                return sum(size(y) for y in x.values())
            if isinstance(x, Traits):
                return x.nbytes
            return sum(size(y) for y in vars(x).values()) if hasattr(x, "__dict__") else 0
        return sum(size(getattr(self, f)) for f in ("seg_start", "segment", "indptr", "indices",
                                                     "eligible", "incumbent", "references",
                                                     "cache", "customers", "accounts",
                                                     "traits"))

    def members(self, k: int) -> np.ndarray:
        return np.arange(self.seg_start[k], self.seg_start[k + 1], dtype=np.int64)

    def stats(self) -> dict[str, float | int]:
        """Summary statistics of the graph, for manifests and reports."""
        src = np.repeat(self.segment, np.diff(self.indptr))
        inside = float(np.mean(src == self.segment[self.indices])) if self.indices.size else 0.0
        out: dict[str, float | int] = {
            "people": self.n,
            "ties": self.n_ties,
            "mean_degree": 2 * self.n_ties / self.n if self.n else 0.0,
            "share_of_ties_inside_segments": inside,
            "isolated_people": int(np.sum(self.degree() == 0)),
        }
        if self.accounts is not None:  # (a market of individuals keeps its manifest)
            out["accounts"] = self.accounts.n
            out["accounts_in_tam"] = int(np.sum(self.eligible[self.accounts.buyer]))
        return out

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


def draw_traits(sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator,
                accounts: AccountArrays | None = None):
    """TAM membership, the incumbent's customers and the references needed, per person.

    Each segment gets exactly ``round(share·size)`` people of each kind, chosen at random:
    the TAM, the incumbent's customers (inside the TAM), and the early market (who need no
    references); everyone else needs ``references`` same-segment adopters. With `accounts`,
    the TAM and the incumbent's share are of the segment's accounts (an account buys as one,
    so all its members are inside the TAM or none is); accounts of one draw exactly as people.
    """
    n = int(seg_start[-1])
    eligible = np.zeros(n, dtype=bool)
    incumbent = np.zeros(n, dtype=bool)
    references = np.zeros(n, dtype=np.int32)
    if accounts is not None:
        tam_accounts = np.zeros(accounts.n, dtype=bool)
        comp_accounts = np.zeros(accounts.n, dtype=bool)
        by_segment = np.argsort(accounts.segment, kind="stable").astype(np.int64)
        bounds = np.searchsorted(accounts.segment[by_segment], np.arange(len(sc.segments) + 1))
    for k, seg in enumerate(sc.segments):
        start, size = int(seg_start[k]), seg.size
        if accounts is None:
            order = rng.permutation(size) + start
            n_tam = round(seg.tam * size)
            n_comp = min(round(seg.incumbent * size), n_tam)
            eligible[order[:n_tam]] = True
            incumbent[order[:n_comp]] = True
        else:
            mine = by_segment[bounds[k]:bounds[k + 1]]
            order = mine[rng.permutation(mine.size)]
            n_tam = round(seg.tam * mine.size)
            n_comp = min(round(seg.incumbent * mine.size), n_tam)
            tam_accounts[order[:n_tam]] = True
            comp_accounts[order[:n_comp]] = True
        if seg.references > 0:
            early = rng.permutation(size) + start
            references[early[round(seg.early_market * size):]] = seg.references
    if accounts is not None:
        eligible = tam_accounts[accounts.account]
        incumbent = comp_accounts[accounts.account]
    return eligible, incumbent, references


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
    u, v = GRAPH_MODELS[sc.network.model](sc, seg_start, rng)
    indptr, indices = to_csr(n, u, v)
    accounts = draw_accounts(sc, seg_start, rng)
    eligible, incumbent, references = draw_traits(sc, seg_start, rng, accounts)
    # last, so a market without attributes draws what it drew before they existed
    traits = draw_attributes(sc, seg_start, rng, given=file_attributes(sc))
    return Population(
        segment_names=tuple(sc.segment_names),
        seg_start=seg_start,
        segment=segment,
        indptr=indptr,
        indices=indices,
        eligible=eligible,
        incumbent=incumbent,
        references=references,
        accounts=accounts,
        traits=traits,
    )


