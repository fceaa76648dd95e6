"""The Mesa view of one replicate of one strategy (docs/model.md).

:class:`WomModel` drives the same :class:`~wom.engine.Simulation` as the runner, one step
at a time, built by the same :class:`~wom.experiment.Replicate` as the runner's replicate
``replicate``; stepping it to the horizon gives the runner's numbers. Its agents
(:class:`~wom.abm.agents.Person`) are views on the engine's arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import mesa
import numpy as np
from mesa.discrete_space import Network

from wom.abm.agents import Person
from wom.config import Scenario, Strategy
from wom.engine import CAUSES, Plan, Simulation, StepCounts
from wom.experiment import LAYOUT, MESA, Replicate, check_memory, stream
from wom.market import Population, segment_layout

#: Columns of the model frame besides one per segment.
COLUMNS = ("week", "adopters", "customers", "churned",
           *(f"new_by_{c}" for c in CAUSES))

Layout = Mapping[int, tuple[float, float]]


def _week(model: WomModel) -> int:
    # The last week simulated, as timeseries.csv counts: -1 before the first (docs/model.md).
    return model.simulation.t - 1


def _adopters(model: WomModel) -> int:
    return model.simulation.adopters


def _customers(model: WomModel) -> int:
    return model.customers


def _churned(model: WomModel) -> int:
    last = model.last_step
    return 0 if last is None else int(last.churned.sum())


def _segment_customers(model: WomModel, k: int) -> int:
    return int(model.customers_by_segment[k])


def _new_by(model: WomModel, cause: int) -> int:
    last = model.last_step
    return 0 if last is None else int(last.new_by_cause[cause].sum())


class WomModel(mesa.Model):
    """One replicate of one strategy, as a Mesa model on the conversation graph.

    Parameters
    ----------
    wom_scenario
        A validated wom scenario. (Not ``scenario``: Mesa 3.5 keeps its own parameter
        object under that name, and its app and ``batch_run`` rely on it.)
    strategy
        Name of one of the scenario's strategies (default: the first).
    replicate
        Which replicate's market, plan and dynamics to use (as in the runner).
    layout
        Positions ``{person: (x, y)}``; default :func:`wom.market.segment_layout`, drawn
        from the scenario seed (the same for every strategy of a replicate).
    rng
        Only ``None`` is accepted (Mesa's ``batch_run`` passes it): the randomness is fixed
        by the scenario seed and ``replicate``; vary ``replicate`` for independent runs.

    Attributes
    ----------
    simulation, population, plan
        The engine's state, the market and the strategy's campaign plan.
    wom_scenario, strategy, replicate
        The wom scenario, the strategy run (its specification) and the replicate.
    adopters_by_segment, customers_by_segment
        ``int64[S]``: adopters so far in each segment; customers now (adopters who have
        not left: the same without churn).
    advocating
        ``bool[N]``: who talks in the coming step.
    grid
        The network space; cell ``v`` holds person ``v``.
    datacollector
        A row before the first step (``week`` −1: the market at launch, customers from
        before the campaign included) and one per step after it: ``week`` ``t`` is the
        week just simulated, row for row ``timeseries.csv``'s ``step`` ``t``; ``adopters``
        (ever), ``customers`` (now: adopters who have not left), ``churned`` (left in that
        week), one column per segment (customers there now) and ``new_by_<cause>`` (in
        that week).
        Mesa's own ``Step`` (in ``batch_run``) counts steps taken: ``week + 1``.
    last_step
        What happened in the last step (``None`` before the first).
    """

    def __init__(
        self,
        wom_scenario: Scenario,
        strategy: str | None = None,
        replicate: int = 0,
        *,
        layout: Layout | None = None,
        rng: None = None,
    ) -> None:
        if rng is not None:
            raise ValueError(
                "a WomModel is seeded by its scenario's seed and `replicate`; "
                "vary `replicate` instead of passing `rng`"
            )
        sc = wom_scenario
        spec = sc.strategy(strategy)
        clash = sorted(set(sc.segment_names) & set(COLUMNS))
        if clash:
            raise ValueError(
                f"segment name(s) {clash} clash with the model's data columns {list(COLUMNS)}"
            )
        super().__init__(rng=stream(sc.seed, replicate, MESA))
        self.wom_scenario: Scenario = sc
        self.strategy: Strategy = spec
        self.replicate = replicate
        check_memory(sc, replicates=1)  # refuse a market this machine cannot hold, up front
        # The same replicate, built the same way, as the runner's replicate `replicate`.
        rep = Replicate(sc, replicate)
        self.population: Population = rep.population
        self.simulation: Simulation = rep.simulation(spec)
        self.plan: Plan = self.simulation.plan
        self.last_step: StepCounts | None = None
        self._observe()

        if layout is None:
            layout = segment_layout(self.population, rng=stream(sc.seed, replicate, LAYOUT))
        self.grid = Network(self.population.to_networkx(), layout=layout, random=self.random)
        for cell in self.grid.all_cells:
            Person(self, cell.coordinate, cell)

        reporters = {"week": _week, "adopters": _adopters, "customers": _customers,
                     "churned": _churned}
        for k, name in enumerate(self.population.segment_names):
            reporters[name] = partial(_segment_customers, k=k)
        for c, cause in enumerate(CAUSES):
            reporters[f"new_by_{cause}"] = partial(_new_by, cause=c)
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.running = self.simulation.t < self.simulation.horizon
        self.datacollector.collect(self)

    @property
    def customers(self) -> int:
        """Customers now: adopters who have not left (all adopters without churn)."""
        return int(self.customers_by_segment.sum())

    def _observe(self) -> None:
        sim = self.simulation
        self.adopters_by_segment = sim.adopters_by_segment()
        self.customers_by_segment = sim.customers_by_segment()
        self.advocating = np.zeros(self.population.n, dtype=bool)
        self.advocating[sim.advocates()] = True

    def step(self) -> None:
        """Advance the simulation one step (week) and collect its data."""
        self.last_step = self.simulation.step()
        self._observe()
        self.running = self.simulation.t < self.simulation.horizon
        self.datacollector.collect(self)
