"""What ``wom optimize`` found (:class:`OptimizeResult`): the plan, the trials, and how the
finalists held up on fresh replicates beside the scenario's own strategies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wom.config import METRICS, Scenario, Strategy
from wom.errors import WomError
from wom.store import Results
from wom.store.stats import Difference, mean_interval, paired


def scores(res: Results, metric: str) -> np.ndarray:
    """``float64[strategies, replicates]``: `metric` of each strategy of `res` on each
    replicate, as wom optimize scores it: a payback that never came is the horizon + 1
    weeks (the search, the choice of the found plan and the confirmation alike)."""
    values = res.per_replicate()[metric].to_numpy(float).reshape(len(res.strategies), -1)
    if metric == "payback_step":
        values = np.where(np.isnan(values), res.scenario.horizon + 1.0, values)
    return values


#: Name of the found plan in best.yaml and in the confirmation.
FOUND = "optimized"

@dataclass
class OptimizeResult:
    """What ``wom optimize`` found and how it held up on fresh replicates.

    Attributes
    ----------
    scenario
        The scenario searched (its ``optimize:`` block as used, command-line values in).
    objective, metric
        What was optimised (``customers``, ``profit``, ``payback``) and its metric.
    trials
        trials.csv: one row per candidate (its plan, state, replicates, objective).
    best
        The found plan (a ``mix`` strategy named :data:`FOUND`): of the finalists, the best
        on the confirmation's fresh replicates (without a confirmation, the best mean over
        the most replicates of the search); ``None`` if no trial finished.
    finalists
        The plans confirmed, the found plan first.
    confirmation
        Every strategy of the scenario and the finalists on fresh replicates ``0 … n − 1``
        (``None``: the search was stopped before it).
    interrupted
        The search was stopped (Ctrl-C): the trials are those finished.
    meta
        Seed, timings, workers, settings (the manifest).
    """

    scenario: Scenario
    objective: str
    metric: str
    trials: pd.DataFrame
    best: Strategy | None
    finalists: list[Strategy]
    confirmation: Results | None
    interrupted: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    stop: KeyboardInterrupt | None = None

    @property
    def higher_is_better(self) -> bool:
        return METRICS[self.metric].higher_is_better

    def best_scenario(self) -> Scenario:
        """The scenario with the found plan added as a strategy (best.yaml)."""
        if self.best is None:
            raise WomError("no trial finished: there is no plan to write")
        return self.scenario.model_copy(update={"strategies": [*self.scenario.strategies,
                                                                self.best]})

    def scores(self, name: str) -> np.ndarray:
        """`name`'s objective on each fresh replicate, as the search scored it (a payback
        that never came: the horizon + 1 weeks)."""
        assert self.confirmation is not None
        every = scores(self.confirmation, self.metric)
        return every[self.confirmation.strategies.index(name)]

    def user_best(self) -> str | None:
        """The scenario's own best strategy on the confirmation (``None``: it has none)."""
        if self.confirmation is None or not self.scenario.strategies:
            return None
        means = [float(self.scores(s.name).mean()) for s in self.scenario.strategies]
        best = int(np.argmax(means) if self.higher_is_better else np.argmin(means))
        return self.scenario.strategies[best].name

    def _versus(self, name: str) -> Difference:
        return paired(FOUND, name, self.metric, self.scores(FOUND), self.scores(name),
                      self.higher_is_better)

    def versus(self) -> Difference | None:
        """Found plan − the scenario's best strategy, paired on the fresh replicates."""
        other = self.user_best()
        if other is None or self.confirmation is None or self.best is None:
            return None
        return self._versus(other)

    def beats(self) -> bool | None:
        """Whether the found plan beats the scenario's best with 95% confidence (``None``:
        nothing to compare)."""
        d = self.versus()
        if d is None:
            return None
        return bool(d.lo > 0 if self.higher_is_better else d.hi < 0)

    def confirmed(self) -> pd.DataFrame:
        """Per strategy on the fresh replicates: the objective's mean and 95% interval and,
        for each, the paired difference from the found plan and P(found plan beats it)."""
        if self.confirmation is None:
            return pd.DataFrame()
        own = {s.name for s in self.scenario.strategies}
        rows = []
        for name in self.confirmation.strategies:
            mean, lo, hi = mean_interval(self.scores(name))
            row: dict[str, Any] = {"strategy": name, "found": name not in own,
                                   "mean": mean, "lo": lo, "hi": hi}
            if name != FOUND and self.best is not None:
                d = self._versus(name)
                row.update(diff_mean=d.mean, diff_lo=d.lo, diff_hi=d.hi,
                           p_found_beats=d.p_a_beats_b)
            rows.append(row)
        return pd.DataFrame(rows)
