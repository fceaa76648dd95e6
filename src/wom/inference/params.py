"""The free parameters of a fit: their key paths, ranges, and how a point of ``[0, 1]^d``
becomes values (whole numbers for keys that hold them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wom.config import Scenario
from wom.config.inference import DEFAULT_FREE
from wom.config.load import integer_key


@dataclass(frozen=True)
class Free:
    """One estimated parameter: its key path and range (a flat prior over it)."""

    path: str
    lo: float
    hi: float
    integer: bool

    def value(self, u: float) -> float | int:
        """The parameter at coordinate `u` ∈ [0, 1] (a whole number: each equally likely)."""
        if self.integer:
            lo, hi = int(self.lo), int(self.hi)
            return int(min(hi, lo + np.floor(u * (hi - lo + 1))))
        return float(self.lo + u * (self.hi - self.lo))

    def coordinate(self, value: float) -> float:
        """A coordinate of `value` (the middle of its cell for a whole number)."""
        if self.integer:
            return float((value - self.lo + 0.5) / (self.hi - self.lo + 1))
        return float((value - self.lo) / (self.hi - self.lo))


def free_parameters(sc: Scenario) -> list[Free]:
    """The scenario's ``fit.free`` (default: word of mouth and background in [0, 0.5])."""
    free = sc.fit.free if sc.fit is not None else DEFAULT_FREE
    data = sc.model_dump(mode="json")
    return [Free(path, float(lo), float(hi), integer_key(data, path))
            for path, (lo, hi) in free.items()]


def values(free: list[Free], u: np.ndarray) -> dict[str, Any]:
    """Key path → value at the point `u` of ``[0, 1]^d``."""
    return {f.path: f.value(float(x)) for f, x in zip(free, u, strict=True)}
