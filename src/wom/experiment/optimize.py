"""``wom optimize``: search the plans a budget can buy for the one that wins, then confirm it.

The plan space is the strategy kind ``mix`` (docs/model.md §3): which segments get money and
in what proportion, tailored or generic message per segment, seed share, campaign length and
seeding rule, fixed or bounded by the scenario's ``optimize:`` block.

**Why optuna.** Each candidate's objective is a mean over simulated replicates, so it is
noisy, and good candidates deserve more replicates than bad ones. Optuna's TPE sampler
proposes candidates from what has worked so far, and its successive-halving pruner races them:
every candidate is first evaluated on ``min_replicates`` replicates, and only the best third
at each rung goes on to three times as many, up to ``replicates``. It is a well-kept library
doing exactly that (seeded, so the search is reproducible), rather than one more home-made
optimiser.

**Common random numbers.** Replicate ``i`` of every candidate is the same market and the same
streams (:class:`~wom.experiment.replicate.Replicate`), so candidates are compared on the same
futures. The search runs on replicates :data:`SEARCH_OFFSET` + ``i``; the confirmation re-runs
the best plans beside the scenario's strategies on replicates ``0 … n − 1`` — fresh futures
the search never saw (its best is flattered by the noise it was picked on: the winner's
curse), and exactly the replicates ``wom run best.yaml`` runs.

**Workers do not matter.** Trials are asked from the sampler in fixed batches of
:data:`BATCH`; a batch's candidates are evaluated replicate by replicate in parallel, and the
results reported and told in trial order. The sequence of trials depends only on the seed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wom.config import METRICS, Scenario, Strategy
from wom.config.optimize import Optimize
from wom.errors import WomError, interrupt_in
from wom.experiment.cluster import ClientPool
from wom.experiment.found import FOUND, OptimizeResult
from wom.experiment.memory import check_memory
from wom.experiment.plans import SEARCH_OFFSET, Evaluator, Space, key_of, objective_metric
from wom.experiment.pool import worker_pool
from wom.experiment.race import (
    BATCH,
    Trial,
    ask_batch,
    chosen,
    finalists_of,
    new_study,
    rungs,
    trials_table,
    warm_start,
)
from wom.experiment.race import race as _race
from wom.experiment.runner import check_whole, default_workers, run
from wom.experiment.searchstore import SearchStore, StoredTrial
from wom.experiment.sweep import executor
from wom.store.folder import held

#: Called with the trials finished so far and the total.
Progress = Callable[[int, int], None]


def prepare(
    sc: Scenario,
    *,
    objective: str | None = None,
    trials: int | None = None,
    seed: int | None = None,
) -> Scenario:
    """The scenario as searched: `seed` and the command line's `objective` and `trials` in
    its ``optimize:`` block (the defaults if it has none), checked (what a search store
    keeps, :class:`~wom.experiment.searchstore.SearchStore`)."""
    if not isinstance(sc, Scenario):
        raise WomError(f"wom.optimize takes a Scenario (wom.load_scenario(path)), not "
                       f"{type(sc).__name__}")
    for name, value, least in (("trials", trials, 1), ("seed", seed, 0)):
        check_whole(name, value, least)
    block = sc.optimize or Optimize()
    updates: dict[str, Any] = {}
    if objective is not None:
        objective_metric(objective)
        updates["objective"] = objective
    if trials is not None:
        updates["trials"] = trials
    if updates:
        try:
            block = Optimize.model_validate({**block.model_dump(), **updates})
        except ValidationError as err:
            raise WomError(f"--trials {trials}: {err.errors()[0]['msg']}") from None
    if seed is not None:
        sc = sc.model_copy(update={"seed": seed})
    sc = sc.model_copy(update={"optimize": block})
    if block.objective in ("profit", "payback") and not sc.priced:
        raise WomError(f"--objective {block.objective} needs prices: no segment has a "
                       "`price` or `cost_to_serve`, so every plan's profit is minus its "
                       "spend; optimize customers, or give prices")
    for st in sc.strategies:
        if st.name == FOUND or re.fullmatch(r"trial-\d+", st.name):
            raise WomError(f"the scenario has a strategy called {st.name!r}, a name wom "
                           f"optimize gives the plans it confirms ({FOUND}, trial-N): rename it")
    Space.of(sc, block)
    return sc


def check_room(sc: Scenario, confirm_replicates: int, workers: int | None) -> None:
    """Refuse, before a search starts, a confirmation the machine cannot hold or whose
    replicates would not be fresh (the search's are ``SEARCH_OFFSET + i``)."""
    check_whole("confirm_replicates", confirm_replicates, 1)
    if confirm_replicates >= SEARCH_OFFSET:
        raise WomError(f"--replicates {confirm_replicates}: at most {SEARCH_OFFSET - 1:,} "
                       "(the search's replicates are numbered from there on)")
    block = sc.optimize or Optimize()
    seg = sc.segment_names[0]
    extra = [Strategy(name=f"_{i}", kind="mix", weights={seg: 1}) for i in range(block.confirm)]
    check_memory(sc.model_copy(update={"strategies": [*sc.strategies, *extra]}),
                 replicates=confirm_replicates, workers=max(1, workers or default_workers()))


def optimize(
    sc: Scenario,
    *,
    objective: str | None = None,
    trials: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    confirm_replicates: int | None = None,
    progress: Progress | None = None,
    confirm_progress: Progress | None = None,
    store: Path | str | None = None,
) -> OptimizeResult:
    """Search the plans the scenario's budget can buy for the best `objective`, then
    confirm the best on fresh replicates beside the scenario's strategies.

    Parameters
    ----------
    sc
        A validated scenario; its ``optimize:`` block (or the defaults) sets the space.
    objective
        ``customers``, ``profit`` or ``payback`` [default: the block's, else customers].
    trials
        Plans tried [default: the block's, 200].
    seed
        Overrides the scenario's seed (markets, plans and the sampler).
    workers
        Local worker processes (default: all cores); the result does not depend on them.
    scheduler
        ``"tcp://host:port"`` or a ``distributed.Client``: evaluate on a Dask cluster
        instead of local processes (the same result).
    confirm_replicates
        Fresh replicates of the confirmation [default: the scenario's replicates].
    progress, confirm_progress
        Called as trials finish, and as the confirmation's replicates finish.
    store
        A folder to keep the search in (created; if it exists it must be empty), as
        ``wom optimize`` does: a stopped search goes on with :func:`resume` of it, and
        ``wom.save(result, store)`` writes the results beside it.

    Ctrl-C stops the search (or its confirmation) and returns what was found
    (``interrupted``, no confirmation).
    """
    sc = prepare(sc, objective=objective, trials=trials, seed=seed)
    check_room(sc, confirm_replicates or sc.replicates, workers)
    if store is not None:
        return resume(SearchStore.create(store, sc, confirm_replicates=confirm_replicates
                                         or sc.replicates), workers=workers,
                      scheduler=scheduler, progress=progress, confirm_progress=confirm_progress)
    return search(sc, confirm_replicates=confirm_replicates or sc.replicates,
                  workers=workers, scheduler=scheduler, progress=progress,
                  confirm_progress=confirm_progress)


def resume(
    store: SearchStore | Path | str,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    progress: Progress | None = None,
    confirm_progress: Progress | None = None,
) -> OptimizeResult:
    """Run (or go on with) the search kept in `store` (a folder holding ``search.sqlite``):
    the trials stored are replayed into a fresh sampler with the same seed without being
    evaluated again, and the search goes on from there, storing each batch as it finishes.
    The result is the one an uninterrupted search gives."""
    if not isinstance(store, SearchStore):
        store = SearchStore.open(store)
    with held(store.path, "search"):
        return search(store.scenario(), confirm_replicates=store.confirm_replicates,
                      workers=workers, scheduler=scheduler, store=store, progress=progress,
                      confirm_progress=confirm_progress)


def search(
    sc: Scenario,
    *,
    confirm_replicates: int,
    workers: int | None = None,
    scheduler: Any = None,
    store: SearchStore | None = None,
    progress: Progress | None = None,
    confirm_progress: Progress | None = None,
) -> OptimizeResult:
    """The search of :func:`optimize` on a scenario :func:`prepare` made; with a `store`,
    replaying the trials it holds and storing the rest."""

    check_whole("workers", workers, 1)
    block = sc.optimize or Optimize()
    metric = objective_metric(block.objective)
    higher = METRICS[metric].higher_is_better
    space = Space.of(sc, block)
    steps = rungs(block.min_replicates, block.replicates)

    study = new_study(sc.seed, block, higher)
    theirs = warm_start(study, space, sc)  # the user's own plans race first
    stored = {t.number: t for t in store.trials()} if store is not None else {}
    done: list[Trial] = []
    ev: Evaluator | None = None
    interrupted = False
    stop: KeyboardInterrupt | None = None
    started = time.time()
    t0 = time.perf_counter()
    with executor(scheduler) as client:
        pool_workers = (ClientPool(client).workers if client is not None
                        else max(1, workers or default_workers()))
        try:
            with _pool(pool_workers, client) as pool:
                ev = Evaluator(sc, metric, pool, pool_workers)
                for t in stored.values():  # the values stored are not computed again
                    for i, v in enumerate(t.values):
                        ev.done[(key_of(t.spec), i)] = v
                if progress is not None:
                    progress(0, block.trials)
                while len(done) < block.trials:
                    batch = ask_batch(study, space, min(BATCH, block.trials - len(done)))
                    _race(study, ev, batch, steps)
                    if store is not None:
                        _replayed(store, stored, batch)
                    done.extend(batch)
                    if progress is not None:
                        progress(len(done), block.trials)
        except (KeyboardInterrupt, SystemError) as err:  # keep the trials finished
            interrupted, stop = True, _stop(err)
        search_s = time.perf_counter() - t0

        table = trials_table(done, space)
        finalists = finalists_of(done, higher, block.confirm)
        confirmation = None
        t1 = time.perf_counter()
        if not interrupted and finalists:
            both = sc.model_copy(update={"strategies": [*sc.strategies, *finalists]})
            try:
                confirmation = run(both, replicates=confirm_replicates, workers=workers,
                                   progress=confirm_progress, executor=ClientPool(client)
                                   if client is not None else None)
            except (KeyboardInterrupt, SystemError) as err:  # write what was found
                interrupted, stop = True, _stop(err)
        names = [f.name for f in finalists]
        finalists, confirmation = chosen(finalists, confirmation, metric, higher, FOUND)
        best = finalists[0] if finalists else None
        found = next((n for n in names if n not in {f.name for f in finalists}), None)
    meta = {
        "seed": sc.seed, "objective": block.objective, "metric": metric,
        "trials": len(done), "trials_asked": block.trials, "batch": BATCH,
        "plans": len({key_of(t.spec) for t in done}),  # (TPE may ask a plan again)
        "from_scenario": theirs,  # the trials that are the scenario's own plans
        "found_trial": found,
        "rungs": steps, "search_replicates": f"{SEARCH_OFFSET} + i",
        "confirm_replicates": confirmation.new_by_cause.shape[1] if confirmation else 0,
        "workers": pool_workers, "scheduler": str(scheduler) if scheduler else None,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "search_s": round(search_s, 3),
        "confirm_s": round(time.perf_counter() - t1, 3),
        "trials_replayed": len(stored),
        "plan_replicates": len(ev.done) if ev is not None else 0,
        "interrupted": interrupted,
    }
    return OptimizeResult(scenario=sc, objective=block.objective, metric=metric,
                          trials=table, best=best, finalists=finalists,
                          confirmation=confirmation, interrupted=interrupted, meta=meta,
                          stop=stop)


def _replayed(store: SearchStore, stored: dict[int, StoredTrial], batch: list[Trial]) -> None:
    """Store a batch's new trials; a batch stored before must have been asked again as it
    was (else the sampler is not the one that made the store)."""
    for t in batch:
        old = stored.get(t.number)
        if old is not None and not old.same_as(t):
            raise WomError(f"{store.path}: trial {t.number} came out differently when the "
                           "search was replayed (another version of wom or optuna made the "
                           "store?); run the search again into a new folder")
    new = [t for t in batch if t.number not in stored]
    if new:
        store.add(new)


def _stop(err: BaseException) -> KeyboardInterrupt:
    """The Ctrl-C or stop signal `err` is (inside a compiled kernel numba wraps it in a
    SystemError); any other error goes on."""
    stop = interrupt_in(err)
    if stop is None:
        raise err
    return stop


@contextmanager
def _pool(workers: int, client: Any) -> Iterator[Any]:
    """Where evaluations run: this process, a local pool, or the Dask cluster."""
    if client is not None:
        yield ClientPool(client)
    elif workers == 1:
        yield None
    else:
        with worker_pool(workers) as pool:
            yield pool


__all__ = ["BATCH", "FOUND", "SEARCH_OFFSET", "OptimizeResult", "optimize", "prepare",
           "resume"]

