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
from wom.engine import CAUSES, NEVER, Plan, Simulation, StepCounts
from wom.experiment import LAYOUT, MESA, Replicate, check_memory, stream
from wom.market import Population, segment_layout

#: Columns of the model frame besides one per segment.
COLUMNS = ("week", "adopters", "customers", "churned",
           *(f"new_by_{c}" for c in CAUSES))
#: Columns added in a market of accounts (docs/model.md, "Accounts").
ACCOUNT_COLUMNS = ("accounts", "waiting")

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


def _accounts(model: WomModel) -> int:
    return model.accounts


def _waiting(model: WomModel) -> int:
    return model.waiting


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
    accounts_by_segment, waiting_by_segment
        In a market of accounts, ``int64[S]``: accounts that are customers now (bought, not
        left) and people waiting (convinced, their account not bought yet) in each segment;
        ``None`` without accounts.
    convinced_at
        In a market of accounts, ``int32[N]``: the week each person was convinced, NEVER if
        not yet (recorded as the model steps); ``None`` without accounts.
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
        that week); in a market of accounts also ``accounts`` (accounts that are customers
        now) and ``waiting`` (people convinced whose account has not bought).
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
        columns = COLUMNS + (ACCOUNT_COLUMNS if sc.has_accounts else ())
        clash = sorted(set(sc.segment_names) & set(columns))
        if clash:
            raise ValueError(
                f"segment name(s) {clash} clash with the model's data columns {list(columns)}"
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
        self.convinced_at: np.ndarray | None = None
        if self.population.accounts is not None:
            self.convinced_at = np.full(self.population.n, NEVER, dtype=np.int32)
        self._observe()

        if layout is None:
            layout = segment_layout(self.population, rng=stream(sc.seed, replicate, LAYOUT))
        self.grid = Network(self.population.to_networkx(), layout=layout, random=self.random)
        for cell in self.grid.all_cells:
            Person(self, cell.coordinate, cell)

        reporters = {"week": _week, "adopters": _adopters, "customers": _customers,
                     "churned": _churned}
        if self.population.accounts is not None:
            reporters |= {"accounts": _accounts, "waiting": _waiting}
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

    @property
    def accounts(self) -> int:
        """Accounts that are customers now (0 without accounts)."""
        return 0 if self.accounts_by_segment is None else int(self.accounts_by_segment.sum())

    @property
    def waiting(self) -> int:
        """People waiting now: convinced, their account not bought yet (0 without accounts)."""
        return 0 if self.waiting_by_segment is None else int(self.waiting_by_segment.sum())

    def _observe(self) -> None:
        sim, pop = self.simulation, self.population
        self.adopters_by_segment = sim.adopters_by_segment()
        self.customers_by_segment = sim.customers_by_segment()
        self.advocating = np.zeros(pop.n, dtype=bool)
        self.advocating[sim.advocates()] = True
        self.accounts_by_segment: np.ndarray | None = None
        self.waiting_by_segment: np.ndarray | None = None
        if self.convinced_at is not None:
            convinced = sim.convinced()
            self.convinced_at[(self.convinced_at == NEVER) & convinced] = sim.t - 1
            self.accounts_by_segment = sim.accounts_by_segment()
            # Counted person by person, as the pictures draw them (docs/model.md: convinced
            # in an account that has not bought).
            waiting = convinced & (sim.adopted_at == NEVER)
            self.waiting_by_segment = np.bincount(pop.segment[waiting],
                                                  minlength=pop.n_segments)

    def step(self) -> None:
        """Advance the simulation one step (week) and collect its data."""
        self.last_step = self.simulation.step()
        self._observe()
        self.running = self.simulation.t < self.simulation.horizon
        self.datacollector.collect(self)
