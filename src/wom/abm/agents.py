"""The people of a :class:`wom.abm.WomModel`, as Mesa agents.

A person holds no state of its own: every property reads the engine's arrays
(``model.simulation`` and ``model.population``), so the agents can never drift from the
numbers the engine computes, and stepping the model costs nothing per agent.
"""

from __future__ import annotations

from typing import Protocol

import mesa
import numpy as np
from mesa.discrete_space import Cell, CellAgent

from wom.engine import CAUSES, EXISTING, NEVER, Simulation
from wom.market import Population


class PeopleModel(Protocol):
    """What a person reads of its model (:class:`wom.abm.WomModel`)."""

    population: Population
    simulation: Simulation
    advocating: np.ndarray

#: Name of the message that is not tailored to any segment.
GENERIC = "generic"


class Person(CellAgent):
    """One person of the market, a view on the engine's arrays.

    Parameters
    ----------
    model
        The model the person lives in.
    person
        The person's index in the population's arrays (also its node in the graph).
    cell
        The person's cell in the model's network space.
    """

    model: PeopleModel  # type: ignore[assignment]

    def __init__(self, model: mesa.Model, person: int, cell: Cell) -> None:
        super().__init__(model)
        self.person = int(person)
        self.cell = cell

    @property
    def segment(self) -> str:
        """Name of the person's segment."""
        pop = self.model.population
        return pop.segment_names[int(pop.segment[self.person])]

    @property
    def eligible(self) -> bool:
        """Inside the segment's TAM (may ever buy)."""
        return bool(self.model.population.eligible[self.person])

    @property
    def incumbent(self) -> bool:
        """Already the incumbent's customer (never adopts, never passes our message on)."""
        return bool(self.model.population.incumbent[self.person])

    @property
    def adopted_at(self) -> int | None:
        """Step the person adopted at (negative: before the run), or ``None`` if not (yet)."""
        t = int(self.model.simulation.adopted_at[self.person])
        return t if t != NEVER else None

    @property
    def adopted(self) -> bool:
        """Has adopted (is our customer)."""
        return bool(self.model.simulation.adopted_at[self.person] != NEVER)

    @property
    def cause(self) -> str | None:
        """Why the person adopted: one of :data:`~wom.engine.CAUSES`, ``'existing'`` (a
        customer from before the run), or ``None`` if not."""
        c = int(self.model.simulation.cause[self.person])
        return CAUSES[c] if c >= 0 else "existing" if c == EXISTING else None

    @property
    def message(self) -> str | None:
        """The message the person adopted with and retells.

        The name of the segment it is tailored to, ``'generic'``, or ``None`` if not adopted.
        """
        m = int(self.model.simulation.message[self.person])
        if m < 0:
            return None
        names = self.model.population.segment_names
        return names[m] if m < len(names) else GENERIC

    @property
    def advocating(self) -> bool:
        """Talks in the coming step (adopted within the last ``talk_weeks`` steps)."""
        return bool(self.model.advocating[self.person])
