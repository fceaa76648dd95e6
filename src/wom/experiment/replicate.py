"""Replicate ``i``: its random streams, its market, and a simulation of any strategy on it.

Every path that runs a replicate — the runner, the Mesa model, snapshots and animations, the
teaching app, the validation suite — builds it here, so replicate ``i`` is the same market
and the same random numbers everywhere. Randomness: replicate ``i`` draws from
``SeedSequence(seed, spawn_key=(i, stage))``; stage :data:`POPULATION` builds the market,
:data:`PLAN` the strategies' plans, :data:`DYNAMICS` the dynamics, :data:`MESA` and
:data:`LAYOUT` serve the Mesa view, :data:`CUSTOMERS` places today's customers, :data:`CHURN`
decides who leaves (churn; nothing is drawn from it without churn). Every
strategy of replicate ``i`` starts from the same streams (common random numbers), so
differences between strategies are paired.

With ``network.resample: once`` every replicate runs on one market, replicate 0's (built from
its POPULATION stream, so replicate 0 is the same under both settings): each process builds
it once (:func:`shared_market`) and replicates differ only in their other streams.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np

from wom.campaign import make_plan
from wom.config import Scenario, Strategy, apply
from wom.config.keys import market_key_path, once_draw_problem
from wom.engine import Plan, Simulation
from wom.errors import ScenarioError
from wom.experiment.customers import Customers
from wom.market import Population, build_population

#: Streams of a replicate. MESA and LAYOUT serve the Mesa view (wom.abm) only; CUSTOMERS
#: places today's customers (wom.experiment.customers); CHURN decides who leaves.
POPULATION, PLAN, DYNAMICS, MESA, LAYOUT, CUSTOMERS, CHURN = 0, 1, 2, 3, 4, 5, 6


def stream(seed: int, replicate: int, stage: int, *more: int) -> np.random.Generator:
    """The random generator of one stage of one replicate (``more``: a sub-stream)."""
    seq = np.random.SeedSequence(seed, spawn_key=(replicate, stage, *more))
    return np.random.Generator(np.random.PCG64(seq))


def scenario_of(sc: Scenario, index: int) -> Scenario:
    """The scenario replicate `index` runs: `sc` itself, or with its draw from a fit
    (``uncertainty:``, draw ``index mod n``) so forecasts carry the fit's uncertainty."""
    if sc.uncertainty is None:
        return sc
    return apply(sc, sc.uncertainty.draw(index))


class Replicate:
    """Replicate `index` of a scenario: its market, and any strategy simulated on it.

    Parameters
    ----------
    scenario
        A validated scenario (with an ``uncertainty:`` block, this replicate runs its own
        draw of the parameters, :func:`scenario_of`, its market included; with
        ``network.resample: once`` the market is the one all replicates share, and no
        market key may be drawn).
    index
        Which replicate (``0 … replicates − 1`` in a run; any number ≥ 0).
    population
        The market to use instead of building replicate `index`'s (the validation suite
        gives one with thresholds a scenario cannot express).
    customers
        Today's customers, placed in the market before any strategy runs (the same people
        for every strategy of the replicate).
    """

    def __init__(self, scenario: Scenario, index: int, *,
                 population: Population | None = None,
                 customers: Customers | None = None) -> None:
        self.index = int(index)
        self.scenario = scenario_of(scenario, self.index)
        if population is None:  # (from this replicate's draw: a fit of a market key,
            # segments.*.references, was drawn but every market was built without it)
            population = (shared_market(scenario) if scenario.network.resample == "once"
                          else build_population(self.scenario, rng=self.stream(POPULATION)))
        self.population = population
        if customers is not None:
            self.population = customers.place(self.scenario, self.population,
                                              self.stream(CUSTOMERS))

    def stream(self, stage: int, *more: int) -> np.random.Generator:
        """This replicate's random generator for `stage`."""
        return stream(self.scenario.seed, self.index, stage, *more)  # the draw keeps the seed

    def plan(self, strategy: Strategy | str | None = None) -> Plan:
        """The campaign plan of `strategy` (a name, or the first) on this market."""
        spec = strategy if isinstance(strategy, Strategy) else self.scenario.strategy(strategy)
        return make_plan(spec, self.scenario, self.population, rng=self.stream(PLAN))

    def simulation(self, strategy: Strategy | str | None = None) -> Simulation:
        """A fresh simulation of `strategy` on this market, at step 0."""
        sc = self.scenario
        return Simulation(self.population, self.plan(strategy), sc.dynamics,
                          sc.network.weak_tie, rng=self.stream(DYNAMICS),
                          churn=np.array(sc.churn, dtype=np.float64),
                          # without churn nothing is drawn from it: no stream to build
                          churn_rng=self.stream(CHURN) if any(sc.churn) else None,
                          strength=strengths(sc))


def strengths(sc: Scenario) -> np.ndarray:
    """``float64[S]``: how much more often members of one account talk together, per
    segment (3 where a segment has no ``accounts:`` block)."""
    return np.array([3.0 if s.accounts is None else s.accounts.strength for s in sc.segments],
                    dtype=np.float64)


def check_resample(sc: Scenario) -> None:
    """Refuse ``network.resample: once`` with an ``uncertainty:`` draw of a key the market
    is drawn from (one market cannot carry a draw per replicate); a scenario read from a
    file was checked as it was read (:func:`wom.config.load.inference_checks`).

    Raises
    ------
    ScenarioError
        Naming the drawn key.
    """
    if sc.network.resample != "once" or sc.uncertainty is None:
        return
    bad: list[tuple[str, int | None, str]] = [
        (f"uncertainty.draws.{path}", None, once_draw_problem(path))
        for path in sc.uncertainty.draws if market_key_path(path)]
    if bad:
        raise ScenarioError(None, bad)


def market_key(sc: Scenario) -> str:
    """What a scenario's market is drawn from, as a digest: its seed, segments, network and
    attributes, and the size and time of its graph files (two sweep points that differ only
    in their dynamics or strategies share a market)."""
    data = sc.model_dump(mode="json", include={"seed", "segments", "network", "attributes"})
    if data.get("attributes") is None:  # (the digest of a market without them is unchanged)
        data.pop("attributes", None)
    files = []
    for path in sc.input_files():
        st = os.stat(path)
        files.append([str(path), st.st_mtime_ns, st.st_size])
    text = json.dumps([data, files], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class Markets:
    """Markets a process keeps, newest last, within `limit` bytes of arrays (the newest is
    always kept: whoever asked for it needs it); thread-safe (a Dask worker runs tasks in
    threads). Bytes, not people: a dense market of few people can be the largest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._kept: OrderedDict[Hashable, Population] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Population | None:
        with self._lock:
            pop = self._kept.get(key)
            if pop is not None:
                self._kept.move_to_end(key)
            return pop

    def put(self, key: Hashable, pop: Population) -> None:
        with self._lock:
            self._kept[key] = pop
            self._kept.move_to_end(key)
            while len(self._kept) > 1 and sum(p.nbytes for p in self._kept.values()) > self.limit:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


#: The shared markets of this process (``network.resample: once``): a run or a search needs
#: one; a sweep's points that differ only in their dynamics share one, and a point whose
#: market differs rarely comes back.
SHARED = Markets(limit=512 * 2**20)


def shared_market(sc: Scenario) -> Population:
    """The one market every replicate of `sc` runs on under ``network.resample: once``:
    replicate 0's, built once per process and kept (forked workers inherit it)."""
    check_resample(sc)
    key = market_key(sc)
    pop = SHARED.get(key)
    if pop is None:
        pop = build_population(sc, rng=stream(sc.seed, 0, POPULATION))
        SHARED.put(key, pop)
    return pop
