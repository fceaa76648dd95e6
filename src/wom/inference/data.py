"""Observed adoption set against a scenario's market: periods become steps, people and
segments become the market's indices, and every mismatch is an error naming the line.

Periods are whole numbers; the data's first period is step 0 of the model (``fit.
first_period``, default 0 if a period 0 appears in the data, else 1) and its last period
(``fit.last_period``, default the last one in the data) ends the watch: a person with no
adoption had not adopted by then. Individual data needs a market read from a file (the
graph is data: ``network.model: file``); people of the market missing from the file are
taken as not having adopted. Aggregate data names segments of the scenario; a (period,
segment) not listed had no new customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wom.config import Scenario
from wom.experiment.customers import not_in_market, people_of
from wom.inputs import DataFileError, PersonAdoptions, SegmentAdoptions


@dataclass(frozen=True)
class Observed:
    """Adoption data on a scenario's market, by step.

    Attributes
    ----------
    kind
        ``"individual"`` (who adopted when) or ``"aggregate"`` (counts per segment).
    path
        The data file.
    first_period, last_period
        The periods of steps 0 and ``steps − 1``.
    segment_names, sizes
        The market's segments and their people (``int64[S]``).
    adopted_step
        Individual data: ``int64[N]``, the step each person of the market (in the market's
        order) adopted at, −1 for not by the end; ``None`` for aggregate data.
    new
        ``int64[steps, S]``: new adopters per step and segment (both kinds).
    """

    kind: str
    path: Path
    first_period: int
    last_period: int
    segment_names: tuple[str, ...]
    sizes: np.ndarray
    adopted_step: np.ndarray | None
    new: np.ndarray

    @property
    def steps(self) -> int:
        return self.last_period - self.first_period + 1

    def cumulative(self) -> np.ndarray:
        """``int64[steps, S]``: adopters so far at the end of each step, per segment."""
        return np.cumsum(self.new, axis=0)

    def describe(self) -> str:
        who = "who adopted when" if self.kind == "individual" else "new customers per segment"
        return (f"{self.path.name}: {who}, periods {self.first_period}–{self.last_period} "
                f"({self.steps} steps), {int(self.new.sum()):,} adopters of "
                f"{int(self.sizes.sum()):,} people in {len(self.segment_names)} segments")


def _periods(sc: Scenario, periods: np.ndarray) -> tuple[int, int]:
    fit = sc.fit
    first = fit.first_period if fit is not None and fit.first_period is not None else (
        0 if periods.size and periods.min() == 0 else 1)
    last = fit.last_period if fit is not None and fit.last_period is not None else (
        int(periods.max()) if periods.size else first)
    return int(first), max(int(last), int(first))


def _check_period(path: Path, line: int, period: int, first: int, last: int,
                  column: str) -> None:
    if period < first:
        raise DataFileError(path, line, f"period {period} is before the data's first period "
                            f"({first}; set fit.first_period to change it)", column)
    if period > last:
        raise DataFileError(path, line, f"period {period} is after the data's last period "
                            f"({last}, fit.last_period)", column)


def observe(sc: Scenario, data: PersonAdoptions | SegmentAdoptions) -> Observed:
    """Set `data` against the market of `sc`.

    Raises
    ------
    DataFileError
        A person not in the market, a segment the scenario does not have, a period outside
        the data's periods, more adopters than people in a segment; or individual data on
        a market not read from a file.
    """
    names = tuple(sc.segment_names)
    sizes = np.array([s.size for s in sc.segments], dtype=np.int64)
    if isinstance(data, PersonAdoptions):
        return _individual(sc, data, names, sizes)
    first, last = _periods(sc, data.period)
    index = {n: k for k, n in enumerate(names)}
    new = np.zeros((last - first + 1, len(names)), dtype=np.int64)
    for p, s, c, line in zip(data.period.tolist(), data.segment, data.new_customers.tolist(),
                             data.lines.tolist(), strict=True):
        if s not in index:
            known = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
            raise DataFileError(data.path, line, f"the scenario has no segment {s!r} (it "
                                f"has: {known})", "segment")
        _check_period(data.path, line, p, first, last, "period")
        k = index[s]
        new[p - first, k] += c
        seg = sc.segments[k]
        if new[:, k].sum() > seg.winnable:
            raise DataFileError(data.path, line, f"{int(new[:, k].sum())} new customers in "
                                f"segment {s!r} by this line, but it has only {seg.winnable} "
                                f"people who could adopt (size {seg.size}, tam {seg.tam:g}, "
                                f"incumbent {seg.incumbent:g})", "new_customers")
    return Observed("aggregate", data.path, first, last, names, sizes, None, new)


def _individual(sc: Scenario, data: PersonAdoptions, names: tuple[str, ...],
                sizes: np.ndarray) -> Observed:
    position = people_of(sc, data.path, "individual adoption data (person, adopted)",
                         "counts per segment (period, segment, new_customers)")
    first, last = _periods(sc, data.periods)
    step = np.full(len(position), -1, dtype=np.int64)
    for person, when, line in zip(data.people, data.adopted.tolist(), data.lines.tolist(),
                                  strict=True):
        if person not in position:
            raise not_in_market(sc, data.path, line, person)
        if when >= 0:
            _check_period(data.path, line, when, first, last, "adopted")
            step[position[person]] = when - first
    segment = np.repeat(np.arange(len(names)), sizes)
    new = np.zeros((last - first + 1, len(names)), dtype=np.int64)
    adopted = step >= 0
    np.add.at(new, (step[adopted], segment[adopted]), 1)
    return Observed("individual", data.path, first, last, names, sizes, step, new)
