"""How much memory a run needs, estimated from the scenario before anything is built.

:func:`check_memory` is called by :func:`wom.experiment.run` before the first population is
sampled: a scenario that would need more memory than the machine has available is refused up
front with the estimate, instead of being killed by the operating system after minutes (or
taking the machine down with it).

The estimate adds up what :mod:`wom.market`, :mod:`wom.engine`, :mod:`wom.campaign` and
:mod:`wom.store` allocate:

- **per process that runs replicates** (one per worker at once, or the main process with one
  worker): the population, 18 bytes per person and 8 per tie, plus the larger of the graph
  sampler's temporaries (two int32 edge lists grown by doubling, then concatenated: up to 24
  bytes per tie) and what a running replicate adds (62 bytes per person of engine state and
  about 40 of seeding scores: block PageRank iterates, cross-segment tie counts);
- **per pair of segments** (what is still quadratic in the number of segments S): the
  engine's resonance of every message in every segment, ``float64[S+1, S]``, once for the
  run and once more for greedy seeding's cascades; and, up to
  :data:`wom.market.cross.DENSE_SEGMENTS` segments, the dense fit of cross-segment ties
  (about 48 bytes a pair). Beyond that the fit and the draw of cross-segment ties take
  ``O(S + ties)`` memory (:mod:`wom.market.cross`), though still ``O(S²)`` time when some
  segment spreads its ties over all the others (about 0.1 µs a pair);
- **the results arrays**, 32 bytes per row of ``timeseries.csv`` (strategy × replicate × week ×
  segment: new adopters by cause and customers who left, seeds apart, as int32, spend as
  float64), kept by the main process from start to finish;
- **writing the run folder**, about 260 bytes per row more while the tidy tables (the
  ``timeseries`` DataFrame, cumulative adopters, per-replicate metrics) exist;
- **with attributes**, 4 bytes per person and attribute in the market, and per row of
  ``attributes.csv`` (strategy × replicate × week × value) 12 bytes kept and about 200 while
  the table is written;
- **the interpreter** with numpy, numba, pandas and matplotlib loaded (about 320 MiB), and the
  private pages of each forked worker (about 50 MiB; the rest is shared with the parent).

Checked against measurement (2 cores, Linux, the flagship scenario scaled up: 8 segments, mean
degree 10, 2 strategies, 52 weeks; peak of ``/usr/bin/time -v``, or with workers the peak PSS
(RSS) of the whole process tree sampled every 50 ms as ``benchmarks/full_model.py`` does):

==============================================  ==========  ===========================
run                                             estimate    measured peak
==============================================  ==========  ===========================
1,000 people × 4 replicates, 1 worker            320 MiB    321 MiB
1,000,000 people × 4 replicates, 1 worker        490 MiB    341 MiB
4,000,000 people × 4 replicates, 1 worker        999 MiB    797 MiB
1,000,000 people × 100 replicates, 2 workers     761 MiB    583 MiB PSS (809 MiB RSS)
1,000 people × 20,000 replicates, 2 workers     3.6 GiB    3.3 GiB PSS (3.3 GiB RSS)
==============================================  ==========  ===========================

The estimate errs on the high side (it adds peaks that do not all happen at once), so a run
it accepts fits; it refuses only runs that need more than the memory available.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wom.config import Scenario
from wom.errors import WomError
from wom.market.cross import DENSE_SEGMENTS

MiB = 2**20
GiB = 2**30

#: Interpreter with numpy, numba, pandas, matplotlib and wom loaded.
BASE_BYTES = 320 * MiB
#: Private pages of one forked worker process (the rest is shared with the parent).
WORKER_BYTES = 50 * MiB
#: Population: segment (int32), row pointer (int64), TAM and incumbent flags, threshold (int32).
POPULATION_PER_PERSON = 18
#: Population: both ends of every tie in the CSR indices (int32).
POPULATION_PER_TIE = 8
#: Graph sampler: int32 edge lists grown by doubling, then concatenated (freed after the build).
BUILD_PER_TIE = 24
#: A running replicate: engine state (wom.engine.state: People 37 bytes, Scratch 25) and
#: seeding scores (PageRank).
ENGINE_PER_PERSON = 62
STRATEGY_PER_PERSON = 40
#: The engine's resonance matrix (wom.engine.state.resonance_matrix): float64 per message × segment.
RESONANCE_PER_PAIR = 8
#: The dense cross-segment fit (share, prior, the product, E and its scaling: float64 each),
#: for markets of at most DENSE_SEGMENTS segments.
DENSE_FIT_PER_PAIR = 48
#: Results arrays: new adopters by cause (4 × int32), who left (2 × int32) and spend (float64)
#: per timeseries row.
RESULT_PER_ROW = 32
#: With attributes: each person's value of each attribute (int32), kept with the market.
ATTRIBUTE_PER_PERSON = 4
#: And per row of ``attributes.csv`` (strategy × replicate × week × value): new adopters,
#: who left and today's customers (int32) kept, and the table written from them.
VALUE_RESULT_PER_ROW = 12
VALUE_WRITE_PER_ROW = 200
#: Writing the run folder: the timeseries DataFrame and the tables derived from it (190 bytes
#: measured before the money columns; their four columns and the cumulative sums behind them
#: add about 70).
WRITE_PER_ROW = 260


class MemoryRefusalError(WomError):
    """A run that needs more memory than the machine has available."""


@dataclass(frozen=True)
class Estimate:
    """Peak memory of a run, in bytes, and what it is made of."""

    people: int
    ties: int
    segments: int
    replicates: int
    concurrent: int
    rows: int
    per_replicate: int
    segment_pairs: int
    results: int
    writing: int
    base: int

    @property
    def running(self) -> int:
        """Peak while replicates run."""
        workers = self.concurrent * WORKER_BYTES if self.concurrent > 1 else 0
        return self.base + self.results + workers + self.concurrent * self.per_replicate

    @property
    def total(self) -> int:
        """Peak of the whole run: replicates running, or the run folder being written."""
        return max(self.running, self.base + self.results + self.writing)

    def describe(self) -> str:
        """What the estimate is made of, in words."""
        pairs = (f", {self.segments:,} segments: {human(self.segment_pairs)} of them per pair"
                 if self.segment_pairs >= 64 * MiB else "")
        return (f"{self.people:,} people and about {self.ties:,} ties{pairs}: "
                f"{human(self.per_replicate)} per running replicate × {self.concurrent} at once; "
                f"results of {self.rows:,} timeseries rows: {human(self.results + self.writing)}")


def human(n: float) -> str:
    """Bytes in MiB, GiB or TiB."""
    for unit, size in (("TiB", 2**40), ("GiB", GiB)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / MiB:,.0f} MiB"


def expected_ties(sc: Scenario) -> int:
    """Expected number of undirected ties of one replicate's conversation graph."""
    n = sc.people
    pairs = n * (n - 1) // 2
    if sc.network.model == "complete":
        return pairs
    if sc.network.model == "file" and sc.network.file is not None:
        try:  # read (and cached) when the scenario was validated
            return sc.network.file.load(Path.cwd()).n_ties
        except WomError:
            pass
    half = n * sc.network.mean_degree / 2  # may overflow to inf (mean_degree: 1e308)
    return pairs if half >= pairs else math.ceil(half)


def segment_pair_bytes(sc: Scenario) -> int:
    """Memory a running replicate holds per pair of segments (quadratic in their number)."""
    S = len(sc.segments)
    greedy = any(st.seeding == "greedy" for st in sc.strategies)
    resonance = RESONANCE_PER_PAIR * (S + 1) * S * (2 if greedy else 1)
    fit = DENSE_FIT_PER_PAIR * S * S if S <= DENSE_SEGMENTS else 0
    return resonance + fit


def estimate(sc: Scenario, *, replicates: int | None = None, workers: int = 1) -> Estimate:
    """Peak memory of running `sc` with `replicates` (default: the scenario's) on `workers`."""
    n = sc.people
    reps = sc.replicates if replicates is None else replicates
    ties = expected_ties(sc)
    concurrent = 1 if workers <= 1 or reps <= 1 else min(workers, reps)
    attributes = sc.attributes or {}
    per_person = POPULATION_PER_PERSON + ATTRIBUTE_PER_PERSON * len(attributes)
    population = per_person * (n + 1) + POPULATION_PER_TIE * ties
    working = max(BUILD_PER_TIE * ties, (ENGINE_PER_PERSON + STRATEGY_PER_PERSON) * n)
    rows = len(sc.strategies) * reps * sc.horizon * len(sc.segments)
    # customers by value (attributes.csv): a column attribute's values are not known yet (1)
    values = sum(len(a.values or [None]) for a in attributes.values())
    value_rows = len(sc.strategies) * reps * sc.horizon * values
    pairs = segment_pair_bytes(sc)
    return Estimate(
        people=n, ties=ties, segments=len(sc.segments), replicates=reps,
        concurrent=concurrent, rows=rows, per_replicate=population + working + pairs,
        segment_pairs=pairs, results=RESULT_PER_ROW * rows + VALUE_RESULT_PER_ROW * value_rows,
        writing=WRITE_PER_ROW * rows + VALUE_WRITE_PER_ROW * value_rows, base=BASE_BYTES,
    )


def available_memory() -> int | None:
    """Bytes this process could still allocate, or ``None`` when the system does not say.

    The operating system's available memory (``MemAvailable``: free plus reclaimable cache),
    capped by the control group's limit when the process runs in a container.
    """
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    if not found:
        try:
            import psutil  # type: ignore[import-untyped]

            found.append(int(psutil.virtual_memory().available))
        except Exception:  # not installed, or no answer on this system
            pass
    if not found:
        with contextlib.suppress(ValueError, OSError, AttributeError):
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    limit = _cgroup_room()
    if limit is not None:
        found.append(limit)
    return min(found) if found else None


def _cgroup_room() -> int | None:
    """Room left under the control group's memory limit (v2, then v1), if there is one."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
         "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            limit = Path(limit_file).read_text().strip()
            usage = Path(usage_file).read_text().strip()
        except OSError:
            continue
        if not limit.isdigit() or not usage.isdigit() or int(limit) >= 2**60:
            return None  # "max", or v1's "no limit" (a huge number)
        return max(0, int(limit) - int(usage))
    return None


def check_memory(sc: Scenario, *, replicates: int | None = None, workers: int = 1,
                 available: int | Literal["ask"] | None = "ask") -> Estimate:
    """Refuse a run that would need more memory than is available (`available` bytes when
    the caller has already asked the system, as a sweep checking many points does).

    Returns
    -------
    Estimate
        The estimate, when the run fits (or the system does not say how much is available).

    Raises
    ------
    MemoryRefusalError
        Naming the estimate, what it is made of, and the memory available.
    """
    est = estimate(sc, replicates=replicates, workers=workers)
    have = available_memory() if available == "ask" else available
    if have is not None and est.total > have:
        raise MemoryRefusalError(
            f"scenario {sc.name!r} needs about {human(est.total)} of memory "
            f"({est.describe()}), but this machine has {human(have)} available; "
            "reduce the segments' sizes (people), their number, replicates, horizon or --workers"
        )
    return est
