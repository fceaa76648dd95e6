"""The race of a ``wom optimize`` search: trials asked from optuna in fixed batches, each
batch evaluated rung by rung (successive halving over replicates), its results reported and
told in trial order.

Everything the sampler and the pruner see is a function of the seed and of the values the
evaluations return, in the order they are told. So a search replayed from its stored values
(:mod:`wom.experiment.searchstore`), batch by batch in the same order, into a fresh sampler
with the same seed asks the same trials again: that is how a stopped search resumes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from wom.config import Scenario, Strategy
from wom.config.optimize import Optimize
from wom.experiment.found import scores
from wom.experiment.plans import Evaluator, Space, params_of
from wom.store import Results

#: Most trials drawn at random before TPE models the others: 16 sometimes left a good
#: sequence unseen (tests/test_optimize.py, the sequence that hands over after two weeks).
STARTUP = 32
#: Trials asked from the sampler together (the unit of parallel work and of the store;
#: fixed, so the trials do not depend on the number of workers).
BATCH = 8
#: Successive halving: a third of the candidates of a rung go on, with three times the
#: replicates.
REDUCTION = 3


@dataclass
class Trial:
    """One candidate: its plan, the replicates it reached and its mean objective there."""

    number: int
    spec: Strategy
    values: list[float] = field(default_factory=list)
    pruned: bool = False
    handle: Any = None  # the optuna trial, while it runs

    @property
    def mean(self) -> float:
        x = np.array(self.values, dtype=float)
        x = x[~np.isnan(x)]
        return float(x.mean()) if x.size else math.nan


def rungs(least: int, most: int) -> list[int]:
    """Replicates at each rung of successive halving: least, 3·least, … up to most."""
    out = [least]
    while out[-1] * REDUCTION < most:
        out.append(out[-1] * REDUCTION)
    if out[-1] < most:
        out.append(most)
    return out


def new_study(seed: int, block: Optimize, higher: bool) -> Any:
    """An optuna study: TPE seeded with `seed` (mod 2³², all its seeds; random for the first
    trials, fewer when few are asked, so a longer search is not a shorter one extended), pruned by
    successive halving from ``block.min_replicates``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=seed % 2**32, n_startup_trials=min(
            STARTUP, max(1, block.trials // 4)))
        pruner = optuna.pruners.SuccessiveHalvingPruner(
            min_resource=block.min_replicates, reduction_factor=REDUCTION)
    return optuna.create_study(direction="maximize" if higher else "minimize",
                               sampler=sampler, pruner=pruner)


def warm_start(study: Any, space: Space, sc: Scenario) -> dict[str, str]:
    """Queue the scenario's own strategies that the plan space can express as the search's
    first trials (:func:`~wom.experiment.plans.params_of`), each plan once: which trial is
    which strategy's plan (``{"trial-0": "focused", …}``)."""
    queued: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for spec in sc.strategies:
        params = params_of(space, spec, sc)
        if params is not None and params not in queued:
            study.enqueue_trial(params)
            names[f"trial-{len(queued)}"] = spec.name
            queued.append(params)
    return names


def ask_batch(study: Any, space: Space, n: int) -> list[Trial]:
    """The next `n` trials of the study, with their plans."""
    out = []
    for _ in range(n):
        ft = study.ask()
        out.append(Trial(ft.number, space.suggest(ft), handle=ft))
    return out


def race(study: Any, ev: Evaluator, batch: list[Trial], steps: list[int]) -> None:
    """Evaluate a batch rung by rung: at each rung the survivors get the next replicates,
    and report their mean in trial order; the pruner stops those not in the best third."""
    from optuna.trial import TrialState

    alive = list(batch)
    reached = 0
    for rung in steps:
        vals = ev.values([t.spec for t in alive], range(reached, rung))
        for t, v in zip(alive, vals, strict=True):
            t.values.extend(v.tolist())
        reached = rung
        nxt = []
        for t in alive:
            h = t.handle
            h.report(t.mean, rung)
            if rung < steps[-1] and h.should_prune():
                t.pruned = True
            else:
                nxt.append(t)
        alive = nxt
        if not alive:
            break
    for t in batch:
        h = t.handle
        if t.pruned:
            study.tell(h, state=TrialState.PRUNED)
        else:
            study.tell(h, t.mean)


def finalists_of(done: Sequence[Trial], higher: bool, confirm: int) -> list[Strategy]:
    """The best `confirm` plans that reached the most replicates, best first, each once."""
    complete = [t for t in done if not t.pruned and not math.isnan(t.mean)]
    ranked = sorted(complete, key=lambda t: (-t.mean if higher else t.mean, t.number))
    finalists: list[Strategy] = []
    seen: set[tuple[float, ...]] = set()
    for t in ranked:
        # Plans written differently can buy the same seeds and contacts (5:6 and 6:7 of 60
        # seeds round alike): the same results on every search replicate, the same plan.
        if tuple(t.values) in seen:
            continue
        seen.add(tuple(t.values))
        finalists.append(t.spec)
        if len(finalists) == confirm:
            break
    return finalists


def chosen(finalists: list[Strategy], confirmation: Results | None, metric: str,
           higher: bool, found: str) -> tuple[list[Strategy], Results | None]:
    """The finalists with the found plan first, named `found`, and the confirmation with
    the same names: the best mean on the confirmation's fresh replicates (ties: the
    search's order), or without a confirmation the search's best.

    The search's means are of the replicates it picked the finalists on, so they flatter
    them (the winner's curse) and can order close finalists wrongly; the confirmation's
    say which is best. Choosing among a few on the confirmation flatters the chosen one a
    little in turn: at most the spread of the finalists' means there."""
    if not finalists:
        return finalists, confirmation
    best = 0
    if confirmation is not None:
        every = scores(confirmation, metric).mean(axis=1)
        means = [every[confirmation.strategies.index(spec.name)] for spec in finalists]
        best = int(np.argmax(means) if higher else np.argmin(means))  # (the first of equals)
    name = finalists[best].name
    order = [best] + [i for i in range(len(finalists)) if i != best]
    out = [finalists[i] if i != best else finalists[i].model_copy(update={"name": found})
           for i in order]
    if confirmation is not None:
        renamed = [s.model_copy(update={"name": found}) if s.name == name else s
                   for s in confirmation.scenario.strategies]
        confirmation = replace(confirmation, scenario=confirmation.scenario.model_copy(
            update={"strategies": renamed}))
    return out, confirmation


def trials_table(done: Sequence[Trial], space: Space) -> pd.DataFrame:
    """trials.csv: per trial its state, replicates, mean objective and plan."""
    rows = []
    for t in done:
        rows.append({"trial": t.number, "state": "pruned" if t.pruned else "complete",
                     "replicates": len(t.values), "objective": t.mean,
                     "objective_se": (float(np.nanstd(t.values, ddof=1) / math.sqrt(
                         len(t.values))) if len(t.values) > 1 else math.nan),
                     **space.row(t.spec)})
    return pd.DataFrame(rows, columns=["trial", "state", "replicates", "objective",
                                       "objective_se", *space.columns()])
