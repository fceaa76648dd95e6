"""The market without a campaign, simulated forward: what a fit compares with the data.

The past had no wom strategy: nobody is seeded or contacted, people adopt by background
and word of mouth alone. :func:`quiet_run` runs one such market (a replicate of the
scenario with the given parameter values) and returns its adopters per step and segment
and by cause; :func:`quiet_runs` runs many, in order, on local processes or a Dask cluster
(the results do not depend on which, nor on the number of workers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np

from wom.config import Scenario, apply
from wom.engine import CAUSES, WOM, Plan, Simulation, run_to_horizon
from wom.experiment import DYNAMICS, Customers, Replicate, default_workers
from wom.experiment.cluster import client_for
from wom.experiment.pool import worker_pool

#: Offset of the replicate numbers a fit's simulations use (away from a run's 0, 1, 2 …).
FIT_REPLICATES = 1_000_000_000


@dataclass(frozen=True)
class QuietRun:
    """One simulated market: ``new_by_cause`` is ``int32[steps, len(CAUSES), S]``."""

    new_by_cause: np.ndarray

    def cumulative(self) -> np.ndarray:
        """``int64[steps, S]``: adopters so far at the end of each step."""
        return np.cumsum(self.new_by_cause.sum(axis=1, dtype=np.int64), axis=0)

    def word_of_mouth_share(self) -> float:
        total = int(self.new_by_cause.sum())
        return float(self.new_by_cause[:, WOM].sum() / total) if total else float("nan")


def quiet_plan(segments: int, steps: int) -> Plan:
    """A plan that seeds nobody and contacts nobody."""
    none = np.zeros(segments)
    return Plan(seeds=np.empty(0, np.int32), seed_message=np.empty(0, np.int32),
                contacts=np.zeros((steps, segments), np.int64),
                contact_message=np.zeros(segments, np.int32), seed_cost=none,
                contact_cost=none)


def quiet_run(sc: Scenario, point: dict[str, Any], steps: int, index: int,
              customers: Customers | None = None) -> QuietRun:
    """Replicate ``FIT_REPLICATES + index`` of `sc` with the values of `point`, for `steps`
    steps with no campaign (starting from today's `customers`, if given)."""
    if point:
        sc = apply(sc, point)
    rep = Replicate(sc, FIT_REPLICATES + index, customers=customers)
    pop = rep.population
    sim = Simulation(pop, quiet_plan(pop.n_segments, steps), sc.dynamics, sc.network.weak_tie,
                     rng=rep.stream(DYNAMICS))
    traj = run_to_horizon(sim)
    assert traj.new_by_cause.shape[1] == len(CAUSES)
    return QuietRun(traj.new_by_cause)


def as_is(run: QuietRun) -> QuietRun:
    return run


def _batch(sc: Scenario, jobs: Sequence[tuple[dict[str, Any], int]], steps: int,
           summary: Callable[[QuietRun], Any], customers: Customers | None) -> list[Any]:
    return [summary(quiet_run(sc, point, steps, index, customers)) for point, index in jobs]


class Simulator:
    """Where a fit's simulations run for the length of a ``with`` block: this process, one
    pool of local worker processes, or a Dask cluster (connected once).

    A fit runs its simulations in many batches (an ABC generation at a time, then the
    predictive ones); one pool serves them all, so each worker starts and loads the compiled
    kernels once, not once per batch (half a second of each worker's time per batch: a
    flagship fit ran slower on two workers than on one).
    """

    def __init__(self, workers: int | None = None, scheduler: Any = None) -> None:
        self.workers = max(1, workers or default_workers())
        self.scheduler = scheduler
        self._stack = ExitStack()
        self._pool: Any = None
        self._client: Any = None

    def __enter__(self) -> Simulator:
        with self._stack as stack:
            if self.scheduler is not None:
                self._client = stack.enter_context(client_for(self.scheduler))
            elif self.workers > 1:
                self._pool = stack.enter_context(worker_pool(self.workers))
            self._stack = stack.pop_all()
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stack.__exit__(kind, err, tb)

    def runs(self, sc: Scenario, jobs: Sequence[tuple[dict[str, Any], int]], steps: int, *,
             summary: Callable[[QuietRun], Any] = as_is,
             customers: Customers | None = None) -> list[Any]:
        """``summary(quiet_run(sc, point, steps, index, customers))`` for every ``(point,
        index)`` of `jobs`, in their order (`summary` is sent to the workers: a module-level
        function)."""
        if self._client is not None:
            client = self._client
            chunks = _chunks(jobs, 4 * max(1, len(client.scheduler_info()["workers"])))
            remote = client.scatter(sc, broadcast=True)
            futures = [client.submit(_batch, remote, chunk, steps, summary, customers,
                                     pure=False) for chunk in chunks]
            return [x for part in client.gather(futures) for x in part]
        if self._pool is None or len(jobs) < 2:
            return _batch(sc, jobs, steps, summary, customers)
        parts = self._pool.map(_batch, *zip(*[(sc, chunk, steps, summary, customers)
                                              for chunk in _chunks(jobs, 4 * self.workers)],
                                            strict=True))
        return [x for part in parts for x in part]


def quiet_runs(sc: Scenario, jobs: Sequence[tuple[dict[str, Any], int]], steps: int, *,
               summary: Callable[[QuietRun], Any] = as_is, workers: int | None = None,
               scheduler: Any = None, customers: Customers | None = None) -> list[Any]:
    """``summary(quiet_run(sc, point, steps, index, customers))`` for every ``(point,
    index)`` of `jobs`, in their order; on `workers` local processes or a Dask `scheduler`
    (`summary` is sent to them: a module-level function). Many batches: one
    :class:`Simulator` for them all."""
    workers = max(1, workers or default_workers())
    with Simulator(min(workers, max(1, len(jobs))), scheduler) as where:
        return where.runs(sc, jobs, steps, summary=summary, customers=customers)


def _chunks(jobs: Sequence[Any], n: int) -> list[Sequence[Any]]:
    size = max(1, -(-len(jobs) // n))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]
