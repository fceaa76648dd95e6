"""People's attributes beside their segment (``attributes:``; docs/model.md §attributes).

Each attribute's values are drawn segment by segment, in the exact counts
:func:`wom.config.attributes.value_counts` gives, onto people chosen at random. The engine
reads a person's value when a message written for a value reaches them (it resonates with
people who have the value, wherever they talk), and a strategy's `target` is the people
with its values (:meth:`Traits.people_with`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from wom.config import Scenario
from wom.config.attributes import value_counts
from wom.inputs.columns import read_column


@dataclass(frozen=True)
class Traits:
    """The attributes of every person of a market.

    Attributes
    ----------
    names
        The attributes, in scenario order.
    values
        Each attribute's values (``values[a][code]``).
    codes
        ``int32[A, N]``: each person's value of each attribute, as an index of its values.
    overlap
        Each attribute's resonance of a message written for one value with people of
        another.
    """

    names: tuple[str, ...]
    values: tuple[tuple[str, ...], ...]
    codes: np.ndarray
    overlap: tuple[float, ...]

    @property
    def nbytes(self) -> int:
        return int(self.codes.nbytes)

    def index(self, name: str, value: str) -> tuple[int, int]:
        """``(attribute, code)`` of `value` of attribute `name` (ValueError: unknown)."""
        a = self.names.index(name)
        return a, self.values[a].index(value)

    def people_with(self, target: dict[str, str]) -> np.ndarray:
        """``int32[k]``: the people (in id order) who have every value of `target`."""
        keep = np.ones(self.codes.shape[1], dtype=bool)
        for name, value in target.items():
            a, code = self.index(name, value)
            keep &= self.codes[a] == code
        return np.flatnonzero(keep).astype(np.int32)


def file_attributes(sc: Scenario) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
    """The attributes a graph file's people file gives (``column``): each one's values and
    every person's code, in the market's numbering (empty: none is read from a file)."""
    spec = sc.network.file
    wanted = {name: att.column for name, att in (sc.attributes or {}).items()
              if att.column is not None}
    if not wanted or spec is None or spec.labels is None:
        return {}
    g = spec.load(Path.cwd())
    return {name: read_column(Path(spec.labels), column, g.node_ids)
            for name, column in wanted.items()}


@numba.njit(cache=True)
def _shuffle_blocks(x, starts, seed):  # pragma: no cover - compiled
    """Shuffle each block ``x[starts[k]:starts[k+1]]`` in place (Fisher–Yates, xorshift64*
    seeded by `seed`): the values of a segment onto its people at random, in one call."""
    state = seed
    for k in range(starts.size - 1):
        lo = starts[k]
        for i in range(starts[k + 1] - 1, lo, -1):
            state ^= state >> np.uint64(12)
            state ^= state << np.uint64(25)
            state ^= state >> np.uint64(27)
            r = (state * np.uint64(2685821657736338717)) >> np.uint64(11)
            j = lo + np.int64(r % np.uint64(i - lo + 1))
            tmp = x[i]
            x[i] = x[j]
            x[j] = tmp


#: The counts of the attributes being drawn, by the attribute's identity: every replicate of a
#: run draws from the same scenario object (checked: an entry names the attribute it is for).
_COUNTS: dict[int, tuple[object, list[str], list[int], np.ndarray]] = {}


def _counts(att: object, segments: list[str], sizes: list[int]) -> np.ndarray:
    """:func:`value_counts`, once per attribute object and market."""
    kept = _COUNTS.get(id(att))
    if kept is not None and kept[0] is att and kept[1] == segments and kept[2] == sizes:
        return kept[3]
    counts = value_counts(att, segments, sizes)  # type: ignore[arg-type]
    if len(_COUNTS) > 64:
        _COUNTS.clear()
    _COUNTS[id(att)] = (att, list(segments), list(sizes), counts)
    return counts


def draw_attributes(sc: Scenario, seg_start: np.ndarray, rng: np.random.Generator,
                    given: dict[str, tuple[tuple[str, ...], np.ndarray]] | None = None
                    ) -> Traits | None:
    """Draw every attribute's values (None: the scenario has none).

    For each attribute, segment by segment, the exact counts of each value are put on a
    random permutation of the segment's people (one compiled shuffle per attribute, seeded
    from `rng`). `given` holds the attributes a graph file
    gives (``column``): their values and each person's code, read as they are.
    """
    if not sc.attributes:
        return None
    n = int(seg_start[-1])
    names = list(sc.attributes)
    codes = np.zeros((len(names), n), dtype=np.int32)
    values: list[tuple[str, ...]] = []
    sizes = [s.size for s in sc.segments]
    for a, (name, att) in enumerate(sc.attributes.items()):
        if att.column is not None:
            vals, person_codes = (given or {})[name]
            values.append(vals)
            codes[a] = person_codes
            continue
        vals = tuple(att.values or ())
        values.append(vals)
        counts = _counts(att, sc.segment_names, sizes)
        codes[a] = np.repeat(np.tile(np.arange(len(vals), dtype=np.int32), len(sizes)),
                             counts.ravel())
        _shuffle_blocks(codes[a], seg_start, np.uint64(rng.integers(1, 2**63)))
    return Traits(names=tuple(names), values=tuple(values), codes=codes,
                  overlap=tuple(att.overlap for att in sc.attributes.values()))
