"""Messages written for attribute values (docs/model.md §2, attributes): which one a value
has, and how it resonates with each person."""

from __future__ import annotations

import numpy as np

from wom.config import Dynamics
from wom.engine.state import resonance_matrix
from wom.market import Population


def value_resonance(pop: Population, message: int, dyn: Dynamics) -> np.ndarray:
    """``float64[N]``: message `message`'s resonance with each person: by their segment
    (:func:`resonance_matrix`), or for a message written for a value (:func:`value_message`)
    1 with the people who have it and the attribute's ``overlap`` with everyone else,
    wherever they talk. What the kernels compute person by person."""
    S = pop.n_segments
    if message <= S:
        return resonance_matrix(dyn, pop.segment_names)[message, pop.segment]
    tr = pop.traits
    assert tr is not None
    offset = S + 1
    for a, values in enumerate(tr.values):
        if message < offset + len(values):
            return np.where(tr.codes[a] == message - offset, 1.0, tr.overlap[a])
        offset += len(values)
    raise ValueError(f"no message {message}")


def value_message(pop: Population, name: str, value: str) -> int:
    """The message written for `value` of attribute `name` (after the generic one)."""
    tr = pop.traits
    if tr is None:
        raise ValueError("the market has no attributes")
    a, code = tr.index(name, value)
    return pop.n_segments + 1 + sum(len(v) for v in tr.values[:a]) + code
