"""Replicates of every strategy, on local processes, reproducibly.

Replicate ``i`` is built by :class:`wom.experiment.replicate.Replicate` (its market and
streams); every strategy of it starts from the same streams, so differences between
strategies are paired. Nothing depends on the number of workers.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import time
from collections.abc import Callable, Iterator
from concurrent.futures import as_completed
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from wom.config import Scenario
from wom.engine import ACCOUNT_ROWS, CAUSES, Trajectory, run_to_horizon
from wom.errors import WomError
from wom.experiment.customers import Customers, load_customers, refuse_with_accounts
from wom.experiment.memory import check_memory
from wom.experiment.pool import worker_pool
from wom.experiment.replicate import Replicate, shared_market
from wom.market import Population
from wom.store import Results

#: Called with the number of replicates finished so far and the total.
Progress = Callable[[int, int], None]


def run_replicate(sc: Scenario, replicate: int, customers: Customers | None = None,
                  ) -> tuple[np.ndarray, np.ndarray, Population]:
    """Every strategy on replicate `replicate`'s market (with today's `customers`).

    Returns
    -------
    new_by_cause, spend, population
        ``int32[strategies, horizon, len(CAUSES), S]``, ``float64[strategies, horizon, S]``
        (who left: :func:`replicate_trajectories`).
    """
    traj, pop = replicate_trajectories(sc, replicate, customers)
    return traj.new_by_cause, traj.spend, pop


def replicate_trajectories(sc: Scenario, replicate: int, customers: Customers | None = None,
                           market: Population | None = None) -> tuple[Trajectory, Population]:
    """Every strategy on replicate `replicate`'s market (`market`: the one shared under
    ``network.resample: once``, looked up by the caller), as one :class:`Trajectory` whose
    arrays gain a leading strategy axis, and the market."""
    rep = Replicate(sc, replicate, customers=customers, population=market)
    trajs = [run_to_horizon(rep.simulation(spec)) for spec in sc.strategies]
    values = [t.by_value for t in trajs if t.by_value is not None]
    return Trajectory(new_by_cause=np.stack([t.new_by_cause for t in trajs]),
                      spend=np.stack([t.spend for t in trajs]),
                      churned=np.stack([t.churned for t in trajs]),
                      accounts=np.stack([t.accounts for t in trajs]),
                      by_value=np.stack(values) if values and len(values) == len(trajs)
                      else None), rep.population


def _run_chunk(sc: Scenario, replicates: range, customers: Customers | None):
    # One market for every replicate of the chunk under once: looked up once, not per replicate
    market = shared_market(sc) if sc.network.resample == "once" else None
    out = []
    for r in replicates:
        traj, _ = replicate_trajectories(sc, r, customers, market)
        out.append((r, traj))
    return out


def _chunks(n: int, workers: int) -> Iterator[range]:
    size = max(1, min(50, n // (workers * 8) or 1))
    for start in range(0, n, size):
        yield range(start, min(n, start + size))


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run(
    sc: Scenario,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    customers: Customers | Path | str | None = None,
    executor: Any = None,
) -> Results:
    """Run every strategy of a scenario over its replicates.

    Parameters
    ----------
    sc
        A validated scenario.
    replicates, seed
        Override the scenario's values.
    workers
        Local worker processes (default: all cores; 1 runs in this process).
    progress
        Called as replicates finish.
    customers
        Today's customers (:mod:`wom.experiment.customers`): a CSV file, or one already
        read with :func:`~wom.experiment.customers.load_customers`. Every strategy starts
        from them; ``customers`` in the tables counts them too.
    executor
        Runs the replicates instead of local workers: a Dask cluster
        (:class:`wom.experiment.cluster.ClientPool`); the same results.

    Raises
    ------
    wom.experiment.memory.MemoryRefusalError
        The run would need more memory than the machine has available.
    wom.inputs.DataFileError
        The file of customers cannot be read or does not fit the market.
    """
    if not isinstance(sc, Scenario):
        raise WomError(f"wom.run takes a Scenario (wom.load_scenario(path)), not "
                       f"{type(sc).__name__}")
    sc.require_strategies("run")
    for name, value, least in (("replicates", replicates, 1), ("seed", seed, 0),
                               ("workers", workers, 1)):
        check_whole(name, value, least)
    updates = {k: v for k, v in {"replicates": replicates, "seed": seed}.items() if v is not None}
    if updates:
        sc = sc.model_copy(update=updates)
    if customers is not None:
        refuse_with_accounts(sc)
    if customers is not None and not isinstance(customers, Customers):
        customers = load_customers(sc, customers)
    if customers is not None and customers.names and customers.names != tuple(sc.segment_names):
        raise WomError(f"{customers.path}: these customers were set against another market "
                       f"(segments {', '.join(customers.names[:4])}…): load them with this "
                       "scenario (wom.load_customers(sc, path))")
    workers = max(1, workers or default_workers())
    n = sc.replicates
    check_memory(sc, workers=workers)  # refuse before allocating anything
    started = time.time()
    t0 = time.perf_counter()
    pop0 = Replicate(sc, 0, customers=customers).population
    tam, graph = pop0.tam_size, dict[str, Any]({**pop0.stats(), "replicate": 0})
    n_accounts = (None if pop0.accounts is None
                  else pop0.accounts.by_segment(pop0.n_segments))
    traits = pop0.traits
    attribute_values = (None if traits is None
                        else tuple(zip(traits.names, traits.values, strict=True)))
    if traits is not None:  # who holds each value (replicate 0's market: the counts drawn
        #                    are the same in every replicate, read from a file too)
        graph["attributes"] = {
            name: dict(zip(values, np.bincount(traits.codes[a], minlength=len(values))
                           .tolist(), strict=True))
            for a, (name, values) in enumerate(attribute_values or ())}
    del pop0  # forked workers would otherwise each carry a copy-on-write replica of it
    n_st, S = len(sc.strategies), len(sc.segments)
    new = np.zeros((n_st, n, sc.horizon, len(CAUSES), S), dtype=np.int32)
    spend = np.zeros((n_st, n, sc.horizon, S), dtype=np.float64)
    churned = np.zeros((n_st, n, sc.horizon, 2, S), dtype=np.int32)
    # Accounts won, lost and waiting (wom.engine.state.ACCOUNT_ROWS), kept only for a market
    # of accounts: the tables of a market of individuals stay as they were.
    accounts = (np.zeros((n_st, n, sc.horizon, len(ACCOUNT_ROWS), S), dtype=np.int32)
                if sc.has_accounts else None)
    # New adopters, who left and today's customers per attribute value (with attributes)
    by_value = (None if attribute_values is None else np.zeros(
        (n_st, n, sc.horizon, 3, sum(len(v) for _, v in attribute_values)), dtype=np.int32))
    done = 0

    def keep(rows) -> None:
        nonlocal done
        for r, traj in rows:
            new[:, r] = traj.new_by_cause
            spend[:, r] = traj.spend
            churned[:, r] = traj.churned
            if accounts is not None:
                accounts[:, r] = traj.accounts
            if by_value is not None and traj.by_value is not None:
                by_value[:, r] = traj.by_value
        done += len(rows)
        if progress is not None:
            progress(done, n)

    if executor is not None:
        futures = [executor.submit(_run_chunk, sc, chunk, customers)
                   for chunk in _chunks(n, executor.workers)]
        for fut in futures:
            keep(fut.result())
    elif workers == 1 or n == 1:
        for chunk in _chunks(n, 1):
            keep(_run_chunk(sc, chunk, customers))
    else:
        with worker_pool(min(workers, n)) as pool:
            futures = [pool.submit(_run_chunk, sc, chunk, customers)
                       for chunk in _chunks(n, workers)]
            for fut in as_completed(futures):
                keep(fut.result())
    wall = time.perf_counter() - t0
    meta = {
        "wom": _version("wom"),
        "python": platform.python_version(),
        "packages": package_versions(),
        "seed": sc.seed,
        "seed_entropy": str(np.random.SeedSequence(sc.seed).entropy),
        "replicates": n,
        # once: every replicate ran on one market (replicate 0's, the graph below)
        "resample": sc.network.resample,
        "workers": workers,
        "command": f"wom.run(load_scenario(...), replicates={n}, seed={sc.seed}, "
                   f"workers={workers}"
                   + ("" if customers is None else ", customers=" + (
                       repr(str(customers.path)) if customers.today is None else
                       f"load_customers(..., {str(customers.path)!r}, today={customers.today})"))
                   + ")",
        "cwd": working_folder(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "wall_time_s": round(wall, 3),
        "platform": platform.platform(),
        "inputs": (inputs := input_digests(sc)),
    }
    initial = None
    if customers is not None:
        initial = customers.initial
        meta["customers"] = {
            "file": str(customers.path), "sha256": customers.sha256,
            # (where it was: the report's command to reproduce names it from the folder)
            "path": os.path.abspath(customers.path),
            "today": customers.today,
            "per_segment": dict(zip(sc.segment_names, customers.initial.tolist(), strict=True)),
        }
        meta["inputs"] = {**inputs, str(customers.path): customers.sha256}
    return Results(scenario=sc, new_by_cause=new, spend=spend, tam=tam, graph=graph, meta=meta,
                   initial=initial, churned=churned, accounts=accounts,
                   n_accounts=n_accounts, by_value=by_value, attribute_values=attribute_values)


def check_whole(name: str, value: object, least: int) -> None:
    """Refuse an API argument `name` that is given (not ``None``) but is not a whole number
    of at least `least` (a bool is no number here)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or value < least):
        raise WomError(f"{name}={value!r}: a whole number, at least {least}")


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (inputs are recorded by content in manifests).

    Read once per version of the file: a sweep's store is read several times at the end of
    a command (table, figure, …), each time checking its graph file; a file whose size or
    modification time changed is read again (as the graph reader's cache does)."""
    st = os.stat(path)
    return _digest(Path(path).resolve(), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=64)
def _digest(path: Path, _mtime_ns: int, _size: int) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def input_digests(sc: Scenario) -> dict[str, str]:
    """``{file: sha256}`` of every file the scenario's market is read from (its graph file
    and labels): recorded in run manifests and sweep stores, checked when a sweep resumes."""
    return input_digests_of(sc.input_files())


def input_digests_of(paths: list[Path]) -> dict[str, str]:
    """``{file: sha256}`` of `paths` (a file that cannot be read is a :class:`WomError`)."""
    digests = {}
    for path in paths:
        try:
            digests[str(path)] = file_digest(path)
        except OSError as err:
            raise WomError(f"{path}: cannot read the scenario's input file: "
                           f"{err.strerror or err}") from None
    return digests


def check_inputs(recorded: dict[str, str], what: str) -> None:
    """Refuse to go on with `what` (e.g. a sweep being resumed) if a file it was started on
    has changed or gone since (`recorded`: :func:`input_digests` then).

    Raises
    ------
    WomError
        Naming the file and what happened to it.
    """
    for name, digest in recorded.items():
        path = Path(name)
        try:
            now = file_digest(path)
        except OSError as err:
            raise WomError(f"{path}: {what} was started on this file, which cannot be read "
                           f"now ({err.strerror or err}); put it back to go on") from None
        if now != digest:
            raise WomError(f"{path}: changed since {what} was started on it (sha256 "
                           f"{digest[:12]}… then, {now[:12]}… now): its results would mix "
                           "two markets; put the file back or start a new one")


def working_folder() -> str:
    """The folder the run was made in (relative paths in its recorded call are relative to
    it), with a byte of its name that is not UTF-8 shown as U+FFFD (it goes into reports);
    empty if it is gone (removed while the run ran: the results are not lost for that)."""
    try:
        here = os.getcwd()
    except OSError:
        return ""
    return here.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def package_versions() -> dict[str, str]:
    """The versions of the packages a result depends on (recorded in manifests)."""
    return {p: _version(p) for p in ("numpy", "numba", "networkx", "mesa", "pydantic")}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
