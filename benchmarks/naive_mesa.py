"""A deliberately naive Mesa 3.5 agent model of the independent cascade (IC).

This is the textbook way to write IC as an agent-based model, used as a peer in
``benchmarks/ic.py``. It shares nothing with wom's engine except the graph and the seeds:

- one :class:`Person` agent per node, placed on a :class:`mesa.discrete_space.Network`
  cell, with the positions given by the caller (wom's segment layout: a spring layout
  of 100,000 nodes would take longer than the benchmark);
- each step, every agent is asked to act (``AgentSet.do``); a person activated in the
  previous step tries each still-inactive neighbour once, with probability ``p``
  (Mesa's ``model.random``); then every agent is asked to advance (synchronous update:
  people reached in this step start talking in the next);
- a run ends when nobody was activated in the last step.

Nothing here is tuned: the point is what a straightforward agent model costs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import mesa
import networkx as nx
from mesa.discrete_space import CellAgent, Network

INACTIVE, ACTIVE, REACHED, DONE = 0, 1, 2, 3


class Person(CellAgent):
    """One node of the graph. ``state``: inactive, active (talks this step), reached (will
    talk next step) or done (talked once, stays activated)."""

    def __init__(self, model: NaiveCascade, cell) -> None:
        super().__init__(model)
        self.cell = cell
        self.state = INACTIVE

    def step(self) -> None:
        if self.state != ACTIVE:
            return
        p = self.model.p
        for other in self.cell.neighborhood.agents:
            if other.state == INACTIVE and self.random.random() < p:
                other.state = REACHED
                self.model.reached_this_step += 1

    def advance(self) -> None:
        if self.state == ACTIVE:
            self.state = DONE
        elif self.state == REACHED:
            self.state = ACTIVE


class NaiveCascade(mesa.Model):
    """Independent cascade on a networkx graph, one agent per node.

    Parameters
    ----------
    graph
        Undirected graph whose nodes are ``0..N-1``.
    p
        Chance that an activated person activates an inactive neighbour (tried once).
    layout
        Positions ``{node: (x, y)}`` for the network space.
    seed
        Seed of Mesa's random generator.
    """

    def __init__(self, graph: nx.Graph, p: float, layout: Mapping, seed: int = 0) -> None:
        super().__init__(rng=seed)
        self.p = float(p)
        self.grid = Network(graph, layout=layout, random=self.random)
        self.people: list[Person] = [None] * graph.number_of_nodes()  # type: ignore[list-item]
        for cell in self.grid.all_cells:
            self.people[cell.coordinate] = Person(self, cell)
        self.reached_this_step = 0

    def reset(self, seeds: Iterable[int]) -> None:
        """Everyone inactive except `seeds`, who talk in the first step."""
        for person in self.agents:
            person.state = INACTIVE
        for v in seeds:
            self.people[int(v)].state = ACTIVE
        self.running = True

    def step(self) -> None:
        self.reached_this_step = 0
        self.agents.do("step")
        self.agents.do("advance")
        self.running = self.reached_this_step > 0

    def run(self, seeds: Iterable[int]) -> None:
        """One cascade from `seeds` until nobody is activated any more."""
        self.reset(seeds)
        while self.running:
            self.step()

    def activated(self) -> list[int]:
        """The nodes activated in the last run (seeds included)."""
        return [person.cell.coordinate for person in self.agents if person.state != INACTIVE]
