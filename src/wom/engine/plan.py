"""What the engine takes from :mod:`wom.campaign` (:class:`Plan`: seeds, contacts, messages
and costs) and what one step returns (:class:`StepCounts`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from wom.engine.state import AIM_NONE


@dataclass
class Plan:
    """What a strategy does with the budget: the engine's input from :mod:`wom.campaign`.

    Attributes
    ----------
    seeds
        ``int32[k]`` people who adopt at step 0.
    seed_message
        ``int32[k]`` the message each seed carries.
    contacts
        ``int64[horizon, S]`` distinct people to reach in each segment at each step.
    contact_message
        ``int32[S]`` the message a contact in segment ``k`` hears.
    seed_cost, contact_cost
        ``float64[S]``: cost of one seed and of one contact in each segment.
    aim
        ``float64[4]``: with accounts, the contacts' shares for anyone in the segment,
        users, buyers and payers (default: anyone).
    roles
        With accounts, the message's resonance with users, buyers and payers.
    pool
        ``int32[P]``: people targeted by attribute (a strategy's ``target``), in id order:
        contacts drawn among them, in whatever segment they are (empty: none).
    pool_contacts
        ``int64[horizon]``: distinct people of `pool` to reach at each step (empty: none).
    pool_message
        The message they hear (−1: no pool).
    """

    seeds: np.ndarray
    seed_message: np.ndarray
    contacts: np.ndarray
    contact_message: np.ndarray
    seed_cost: np.ndarray
    contact_cost: np.ndarray
    aim: np.ndarray = field(default_factory=lambda: AIM_NONE.copy())
    roles: tuple[float, float, float] = (1.0, 1.0, 1.0)
    pool: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    pool_contacts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    pool_message: int = -1

    def pool_at(self, t: int) -> int:
        """Contacts among the :attr:`pool` at step `t`."""
        return int(self.pool_contacts[t]) if self.pool_contacts.size else 0

    #: Whether :meth:`at` reads the market's state (a plan that reacts must be stepped from
    #: Python; a fixed plan runs the whole horizon in one compiled call).
    reacts: ClassVar[bool] = False

    def at(self, t: int, sim: Any) -> tuple[np.ndarray, np.ndarray]:
        """Contacts per segment and their messages at step `t`.

        The campaign's per-step hook: a plan that reacts to the market (bowling pins) reads
        the simulation's state here before each step, and sets :attr:`reacts`.
        """
        return self.contacts[t], self.contact_message


@dataclass
class StepCounts:
    """What happened in one step, per segment: new adopters by cause, people reached,
    seeds placed, customers who left (rows: seeds, the others), accounts won and lost and
    people waiting (rows of :data:`~wom.engine.state.ACCOUNT_ROWS`; zeros without accounts)."""

    new_by_cause: np.ndarray  # int64[len(CAUSES), S]
    reached: np.ndarray  # int64[S]
    seeded: np.ndarray  # int64[S]
    churned: np.ndarray  # int64[2, S]
    accounts: np.ndarray  # int64[len(ACCOUNT_ROWS), S]
