"""What the teaching app runs: a scenario with the sliders' what-ifs, one or two strategies.

:class:`Lesson` is a Mesa model holding one :class:`~wom.abm.WomModel` per strategy shown
(one, or two side by side). Both are replicate ``replicate`` of the same scenario, so they
see the same people, graph, TAM draw, thresholds and random streams (common random numbers,
as in :func:`wom.experiment.run_replicate`): the panels differ only by what the strategies did.

Nothing here imports solara: the page (:mod:`wom.app.views`) draws a :class:`Lesson`, and
:func:`controls` describes the sliders in Mesa's ``model_params`` format.
"""

from __future__ import annotations

import math
import weakref
from collections import Counter
from typing import Any

import mesa

from wom.abm import WomModel
from wom.config import Scenario, scenario_from_dict
from wom.experiment import MESA, stream

#: The ``side_by_side`` value that runs one strategy alone.
ALONE = "nothing"
#: Markets (replicates) the replicate slider offers.
MARKETS = 20
#: Graph models whose ties follow ``network.mixing`` (the mixing slider is shown for these).
MIXED_GRAPHS = ("planted_partition", "lfr", "clustered")
#: The what-ifs the sliders set, in the order they are shown.
WHAT_IFS = ("mixing", "generic_resonance", "overlap", "references", "budget", "seed_share",
            "talk_weeks")
#: Every Lesson alive in this process (to see that closed sessions leave none behind).
_LIVE: weakref.WeakSet[Lesson] = weakref.WeakSet()


def live_lessons() -> int:
    """Lessons alive in this process (garbage not yet collected included)."""
    return len(_LIVE)


def _overlap_default(sc: Scenario) -> float:
    """The tailored message's resonance outside its segment (a matrix's ``default``)."""
    overlap = sc.dynamics.overlap
    if isinstance(overlap, dict):
        default = overlap.get("default", 0.2)
        return float(default) if isinstance(default, float | int) else 0.2
    return float(overlap)


def _references(sc: Scenario) -> int:
    """The references most segments need."""
    return Counter(s.references for s in sc.segments).most_common(1)[0][0]


def scenario_values(sc: Scenario) -> dict[str, float | int]:
    """The scenario's own value of every what-if (where the sliders start)."""
    return {
        "mixing": sc.network.mixing,
        "generic_resonance": sc.dynamics.generic_resonance,
        "overlap": _overlap_default(sc),
        "references": _references(sc),
        "budget": round(sc.budget.total),
        "seed_share": sc.budget.seed_share,
        "talk_weeks": sc.dynamics.talk_weeks,
    }


def what_if(sc: Scenario, **changes: float | int | None) -> Scenario:
    """`sc` with some of its numbers changed, validated again.

    Parameters
    ----------
    sc
        The scenario.
    **changes
        Any of :data:`WHAT_IFS`; ``None`` keeps the scenario's value. ``mixing``:
        ``network.mixing``; ``generic_resonance``: ``dynamics.generic_resonance``;
        ``overlap``: the tailored message's resonance outside its segment
        (``dynamics.overlap``, or a matrix's ``default``); ``references``: every segment's
        ``references``; ``budget``: ``budget.total``; ``seed_share``: ``budget.seed_share``
        (share of the budget spent on seeds); ``talk_weeks``: ``dynamics.talk_weeks``.

    Raises
    ------
    ScenarioError
        A value the scenario file would not accept either (e.g. a share above 1).
    ValueError
        A name that is not one of :data:`WHAT_IFS`.
    """
    unknown = sorted(set(changes) - set(WHAT_IFS))
    if unknown:
        raise ValueError(f"unknown what-if(s) {unknown}; known: {', '.join(WHAT_IFS)}")
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        return sc
    data = sc.model_dump()
    if "mixing" in changes:
        data["network"]["mixing"] = changes["mixing"]
    for key in ("generic_resonance", "talk_weeks"):
        if key in changes:
            data["dynamics"][key] = changes[key]
    if "overlap" in changes:
        if isinstance(data["dynamics"]["overlap"], dict):
            data["dynamics"]["overlap"]["default"] = changes["overlap"]
        else:
            data["dynamics"]["overlap"] = changes["overlap"]
    if "references" in changes:
        for segment in data["segments"]:
            segment["references"] = changes["references"]
    if "budget" in changes:
        data["budget"]["total"] = changes["budget"]
    if "seed_share" in changes:
        data["budget"]["seed_share"] = changes["seed_share"]
    return scenario_from_dict(data)


def _step(value: float) -> int:
    """A round slider step giving about 20 stops up to `value`."""
    rough = max(value / 20.0, 1.0)
    magnitude = 10 ** (len(str(int(rough))) - 1)
    return int(max(1, round(rough / magnitude)) * magnitude)


def controls(sc: Scenario) -> dict[str, Any]:
    """The app's inputs for `sc`, as Mesa's ``SolaraViz`` ``model_params``.

    ``wom_scenario`` is fixed; ``strategy`` and ``side_by_side`` are pickers; the rest are
    sliders starting at the scenario's own values (:func:`scenario_values`). ``mixing`` is
    offered only for graphs whose ties follow it (:data:`MIXED_GRAPHS`) and ``overlap`` only
    for markets of several segments.
    """
    names = [s.name for s in sc.strategies]
    start = scenario_values(sc)
    budget = int(start["budget"])
    budget_step = _step(max(budget, 1))
    # The scenario's budget must be a stop of the slider (a slider shows its nearest stop).
    budget_step = math.gcd(budget, budget_step) or budget_step
    params: dict[str, Any] = {
        "wom_scenario": sc,
        "strategy": {"type": "Select", "label": "strategy", "value": names[0], "values": names},
        "side_by_side": {"type": "Select", "label": "side by side with",
                         "value": names[1] if len(names) > 1 else ALONE,
                         "values": [ALONE, *names]},
        "replicate": {"type": "SliderInt", "label": "market (replicate)", "value": 0,
                      "min": 0, "max": MARKETS - 1, "step": 1},
    }
    if sc.network.model in MIXED_GRAPHS and len(sc.segments) > 1:
        params["mixing"] = {"type": "SliderFloat", "label": "mixing: share of ties leaving "
                            "a segment", "value": start["mixing"], "min": 0.0,
                            "max": max(0.5, start["mixing"]), "step": 0.01}
    params["generic_resonance"] = {"type": "SliderFloat", "label": "resonance of the generic "
                                   "message", "value": start["generic_resonance"], "min": 0.0,
                                   "max": 1.0, "step": 0.01}
    if len(sc.segments) > 1:
        params["overlap"] = {"type": "SliderFloat", "label": "resonance of a tailored message "
                             "outside its segment", "value": start["overlap"], "min": 0.0,
                             "max": 1.0, "step": 0.01}
    params["references"] = {"type": "SliderInt", "label": "references needed",
                            "value": start["references"], "min": 0,
                            "max": max(5, int(start["references"])), "step": 1}
    params["budget"] = {"type": "SliderInt", "label": "budget", "value": budget,
                        "min": 0, "max": max(4 * budget, 20 * budget_step),
                        "step": budget_step}
    params["seed_share"] = {"type": "SliderFloat", "label": "seeds: share of the budget",
                            "value": start["seed_share"], "min": 0.0, "max": 1.0, "step": 0.01}
    params["talk_weeks"] = {"type": "SliderInt", "label": "talk weeks", "value":
                            start["talk_weeks"], "min": 1,
                            "max": max(26, int(start["talk_weeks"])), "step": 1}
    return params


class Lesson(mesa.Model):
    """One strategy, or two side by side, on the same market, one week per step.

    Parameters
    ----------
    wom_scenario
        The scenario as loaded (its file's numbers).
    strategy
        The strategy to run (default: the scenario's first).
    side_by_side
        A second strategy run beside it on the same market and random numbers, or
        :data:`ALONE` / ``None`` for none.
    replicate
        Which replicate's market and random streams (replicate ``i`` of ``wom run``).
    mixing, generic_resonance, overlap, references, budget, seed_share, talk_weeks
        What-ifs (see :func:`what_if`); ``None`` or the scenario's own value keeps it.
    rng
        Only ``None`` (Mesa's app passes it): the randomness is the scenario seed's.

    Attributes
    ----------
    wom_scenario
        The scenario run: `wom_scenario` with the what-ifs applied.
    models
        One :class:`~wom.abm.WomModel` per strategy shown, in order.
    """

    def __init__(
        self,
        wom_scenario: Scenario,
        strategy: str | None = None,
        side_by_side: str | None = ALONE,
        replicate: int = 0,
        *,
        mixing: float | None = None,
        generic_resonance: float | None = None,
        overlap: float | None = None,
        references: int | None = None,
        budget: float | None = None,
        seed_share: float | None = None,
        talk_weeks: int | None = None,
        rng: None = None,
    ) -> None:
        if rng is not None:
            raise ValueError("a Lesson is seeded by its scenario's seed and `replicate`")
        given = {"mixing": mixing, "generic_resonance": generic_resonance, "overlap": overlap,
                 "references": references, "budget": budget, "seed_share": seed_share,
                 "talk_weeks": talk_weeks}
        own = scenario_values(wom_scenario)
        # A slider left where it started keeps the file's value, even where the file says
        # more than one number can (references per segment, an overlap matrix).
        changed = {k: v for k, v in given.items() if v is not None and v != own[k]}
        sc = what_if(wom_scenario, **changed)
        names = [sc.strategy(strategy).name]
        if side_by_side not in (None, ALONE):
            names.append(sc.strategy(side_by_side).name)
        super().__init__(rng=stream(sc.seed, replicate, MESA))
        self.wom_scenario: Scenario = sc
        self.replicate = replicate
        # Same scenario and replicate: the same market and random streams for each.
        self.models: list[WomModel] = [WomModel(sc, name, replicate) for name in names]
        self.running = any(m.running for m in self.models)
        _LIVE.add(self)

    @property
    def steps_done(self) -> int:
        """Weeks (steps) simulated so far."""
        return self.models[0].simulation.t

    @property
    def week(self) -> int:
        """The last week simulated, counted as ``timeseries.csv`` counts steps: ``0`` after
        the first step (the seeds' week), ``horizon − 1`` at the end, ``−1`` before the first."""
        return self.steps_done - 1

    @property
    def week_label(self) -> str:
        """The week as the app shows it: "Week 12 (weeks 0–51)", "Before week 0 (…)"."""
        span = f"(weeks 0–{self.horizon - 1})"
        return f"Before week 0 {span}" if self.week < 0 else f"Week {self.week} {span}"

    @property
    def horizon(self) -> int:
        return self.wom_scenario.horizon

    def step(self) -> None:
        """One week for every strategy shown."""
        for model in self.models:
            if model.running:
                model.step()
        self.running = any(m.running for m in self.models)
