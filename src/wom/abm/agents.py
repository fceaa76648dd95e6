"""The people of a :class:`wom.abm.WomModel`, as Mesa agents.

A person holds no state of its own: every property reads the engine's arrays
(``model.simulation`` and ``model.population``), so the agents can never drift from the
numbers the engine computes, and stepping the model costs nothing per agent.

In a market of accounts (docs/model.md, "Accounts") a person belongs to an account in which
they hold roles (user, buyer, payer); a trial *convinces* them, and they become a customer
(``adopted``) when their account buys. Without accounts everyone buys alone: convinced and
adopted are the same.
"""

from __future__ import annotations

from typing import Protocol

import mesa
import numpy as np
from mesa.discrete_space import Cell, CellAgent

from wom.engine import CAUSES, EXISTING, NEVER, Simulation
from wom.market import Population
from wom.market.accounts import ALONE, ROLE_BITS


class PeopleModel(Protocol):
    """What a person reads of its model (:class:`wom.abm.WomModel`)."""

    population: Population
    simulation: Simulation
    advocating: np.ndarray
    convinced_at: np.ndarray | None

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
        """Has adopted (is our customer; with accounts: their account has bought)."""
        return bool(self.model.simulation.adopted_at[self.person] != NEVER)

    @property
    def account(self) -> int | None:
        """The person's account (its index in ``population.accounts``), ``None`` in a market
        without accounts (everyone buys alone)."""
        acc = self.model.population.accounts
        return None if acc is None else int(acc.account[self.person])

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles the person holds in their account, of ``('user', 'buyer', 'payer')``:
        all three for a person alone (an account of one, or a market without accounts)."""
        acc = self.model.population.accounts
        bits = ALONE if acc is None else int(acc.role[self.person])
        return tuple(name for name, bit in ROLE_BITS.items() if bits & bit)

    @property
    def role(self) -> str:
        """:attr:`roles` in one word: ``'buyer'``, ``'payer'``, ``'user'``, or joined by
        ``+`` for several (``'buyer+payer'``; ``'user+buyer+payer'`` for a person alone)."""
        return "+".join(self.roles)

    @property
    def convinced(self) -> bool:
        """Convinced by a trial (word of mouth, marketing, background, a seed), whether or
        not their account has bought; without accounts, the same as :attr:`adopted`."""
        return bool(self.model.simulation.message[self.person] >= 0)

    @property
    def waiting(self) -> bool:
        """Convinced, their account not bought yet (never without accounts)."""
        return self.convinced and not self.adopted

    @property
    def convinced_at(self) -> int | None:
        """Week the person was convinced, or ``None`` if not (yet); without accounts, the
        week they adopted (:attr:`adopted_at`)."""
        at = self.model.convinced_at
        if at is None:
            return self.adopted_at
        t = int(at[self.person])
        return t if t != NEVER else None

    @property
    def cause(self) -> str | None:
        """Why the person adopted (with accounts: was convinced): one of
        :data:`~wom.engine.CAUSES`, ``'existing'`` (a customer from before the run), or
        ``None`` if not."""
        c = int(self.model.simulation.cause[self.person])
        return CAUSES[c] if c >= 0 else "existing" if c == EXISTING else None

    @property
    def message(self) -> str | None:
        """The message the person adopted with (with accounts: was convinced by) and retells.

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
