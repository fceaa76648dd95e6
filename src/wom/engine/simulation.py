"""A replicate of one strategy, step by step: :class:`Simulation`, and :func:`simulate` to
run one to the horizon.

:meth:`Simulation.step` is plain Python around the compiled :func:`~wom.engine.step.step`:
it asks the plan what the campaign does this step (:meth:`Plan.at`, the campaign's hook),
runs the kernel and returns what happened. The Mesa model and the app drive it one step at
a time; the runner calls :func:`simulate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from wom.config import Dynamics
from wom.engine.existing import add_customers
from wom.engine.plan import Plan, StepCounts
from wom.engine.rng import new_state
from wom.engine.state import (
    ACCOUNT_ROWS,
    ACCOUNTS_BOUGHT,
    ADOPTED,
    CAUSES,
    NEVER,
    TALK_FROM,
    TALK_TO,
    Actions,
    Tally,
    campaign_messages,
    market_of,
    new_people,
    new_scratch,
    new_tally,
    params_of,
)
from wom.engine.step import step, step_accounts
from wom.market import Population


class Simulation:
    """One replicate of one strategy, advanced step by step.

    Parameters
    ----------
    population
        The market (graph and traits).
    plan
        The strategy's seeds and contacts.
    dynamics
        Word of mouth, marketing, talk weeks and resonance.
    weak_tie
        Strength of a cross-segment tie.
    rng
        The source of randomness for the dynamics.
    churn
        ``float64[S]``: each segment's chance per step that a customer leaves (default:
        nobody leaves).
    churn_rng
        Churn's own random stream (default: drawn from `rng` after the dynamics' stream,
        which it leaves unchanged). Without churn nothing is drawn from it.
    strength
        ``float64[S]``: with accounts, how much more often members of one account talk
        together, per segment (default 3).

    Attributes
    ----------
    market, params, people
        The kernel's inputs (:mod:`wom.engine.state`); ``people`` is everyone's state.
    t, horizon
        Steps done, and steps in all.
    """

    def __init__(
        self,
        population: Population,
        plan: Plan,
        dynamics: Dynamics,
        weak_tie: float,
        *,
        rng: np.random.Generator,
        churn: np.ndarray | None = None,
        churn_rng: np.random.Generator | None = None,
        strength: np.ndarray | None = None,
    ) -> None:
        self.population, self.plan = population, plan
        self._state = new_state(rng)
        self._churn_state = new_state(rng if churn_rng is None else churn_rng)
        self.market = market_of(population)
        self.params = params_of(population, dynamics, weak_tie, churn=churn, roles=plan.roles,
                                campaign=campaign_messages(plan.seed_message,
                                                           plan.contact_message, plan.reacts,
                                                           population.n_segments,
                                                           population.n_messages,
                                                           plan.pool_message),
                                strength=strength)
        self.horizon = int(plan.contacts.shape[0])
        self.people = new_people(population, self.horizon)
        self._scratch = new_scratch(population.n, population)
        if plan.pool.size:  # (a copy: the draws shuffle it)
            self._scratch = self._scratch._replace(
                pool_perm=np.ascontiguousarray(plan.pool, dtype=np.int32).copy())
        self._pool_contacts = (np.ascontiguousarray(plan.pool_contacts, dtype=np.int64)
                               if plan.pool_contacts.size
                               else np.zeros(self.horizon, dtype=np.int64))
        self._aim = np.ascontiguousarray(plan.aim, dtype=np.float64)
        self._no_seeds = (np.empty(0, np.int32), np.empty(0, np.int32))
        self.t = 0
        if population.customers is not None:  # today's customers adopted before step 0
            if population.accounts is not None:
                raise ValueError("today's customers cannot be given for a market of accounts "
                                 "yet")
            add_customers(self.market, self.params, self.people, *population.customers)

    # Everyone's state, by name (views on ``people``).
    @property
    def adopted_at(self) -> np.ndarray:
        """``int32[N]``: step each person adopted at (negative: a customer from before the
        run), :data:`~wom.engine.state.NEVER` if not (yet)."""
        return self.people.adopted_at

    @property
    def message(self) -> np.ndarray:
        """``int32[N]``: the message each adopter carries, −1 if not adopted."""
        return self.people.message

    @property
    def cause(self) -> np.ndarray:
        """``int8[N]``: why each adopter adopted (an index of :data:`CAUSES`), −1 if not."""
        return self.people.cause

    @property
    def order(self) -> np.ndarray:
        """``int32[N]``: adopters in the order they adopted (the first :attr:`n_adopted`)."""
        return self.people.order

    @property
    def n_adopted(self) -> int:
        return int(self.people.counters[ADOPTED])

    @property
    def adopters(self) -> int:
        return self.n_adopted

    @property
    def talk_weeks(self) -> int:
        return self.params.talk_weeks

    def advocates(self) -> np.ndarray:
        """``int32[k]``: the people who talk in the coming step."""
        counters = self.people.counters
        return self.people.advocates[counters[TALK_FROM]:counters[TALK_TO]]

    @property
    def left_at(self) -> np.ndarray:
        """``int32[N]``: step each customer left at (churn), NEVER if they did not."""
        return self.people.left_at

    def adopters_by_segment(self) -> np.ndarray:
        """``int64[S]``: adopters so far in each segment (those who left included)."""
        pop = self.population
        return np.bincount(pop.segment[self.order[: self.n_adopted]], minlength=pop.n_segments)

    @property
    def accounts_bought(self) -> int:
        """Accounts that have bought so far (those that left included; with accounts)."""
        return int(self.people.counters[ACCOUNTS_BOUGHT])

    def accounts_by_segment(self) -> np.ndarray:
        """``int64[S]``: accounts that are customers now in each segment (bought, not left);
        without accounts, the customers."""
        acc, pop = self.population.accounts, self.population
        if acc is None:
            return self.customers_by_segment()
        bought = self.people.account_order[: self.accounts_bought]
        now = bought[self.people.account_left[bought] == NEVER]
        return np.bincount(acc.segment[now], minlength=pop.n_segments)

    def waiting_by_segment(self) -> np.ndarray:
        """``int64[S]``: people convinced in accounts that have not bought (zeros without
        accounts)."""
        return self.people.waiting.copy()

    def convinced(self) -> np.ndarray:
        """``bool[N]``: people convinced (with accounts, whether or not their account has
        bought; without, the adopters)."""
        return self.people.message >= 0

    def customers_by_segment(self) -> np.ndarray:
        """``int64[S]``: customers now in each segment (adopters who have not left)."""
        pop = self.population
        adopters = self.order[: self.n_adopted]
        stayed = adopters[self.people.left_at[adopters] == NEVER]
        return np.bincount(pop.segment[stayed], minlength=pop.n_segments)

    def step(self) -> StepCounts:
        """Advance one step (week)."""
        if self.t >= self.horizon:
            raise RuntimeError(f"the horizon ({self.horizon} steps) is reached")
        pop, plan, t = self.population, self.plan, self.t
        S = pop.n_segments
        seeds, seed_msg = (plan.seeds, plan.seed_message) if t == 0 else self._no_seeds
        contacts, contact_message = plan.at(t, self)
        tally = new_tally(S)
        one = step_accounts if self.params.accounts else step
        one(t, self.market, self.params, self.people, self._scratch,
            Actions(seeds, seed_msg, contacts, contact_message, self._aim, plan.pool_at(t),
                    plan.pool_message), tally, self._state,
            self._churn_state)
        seeded = np.bincount(pop.segment[seeds], minlength=S) if t == 0 else np.zeros(S, np.int64)
        self.t += 1
        return StepCounts(new_by_cause=tally.new_by_cause, reached=tally.reached, seeded=seeded,
                          churned=tally.churned, accounts=tally.accounts)


@dataclass(frozen=True)
class Trajectory:
    """A whole replicate of one strategy, per step and segment.

    Attributes
    ----------
    new_by_cause
        ``int32[horizon, len(CAUSES), S]``: new adopters by cause.
    spend
        ``float64[horizon, S]``: money spent in each step in each segment.
    churned
        ``int32[horizon, 2, S]``: customers who left in each step, seeds (row 0) apart from
        the others (row 1).
    accounts
        ``int32[horizon, len(ACCOUNT_ROWS), S]``: accounts won and lost in each step, and
        people waiting at its end (:data:`~wom.engine.state.ACCOUNT_ROWS`); zeros without
        accounts.
    by_value
        ``int32[horizon, 3, V]``: with attributes, per value of every attribute in turn
        (:attr:`wom.market.Traits.values`), new adopters in each step (row 0), customers
        who left (row 1), and today's customers at step 0 (row 2); None without.
    """

    new_by_cause: np.ndarray
    spend: np.ndarray
    churned: np.ndarray
    accounts: np.ndarray
    by_value: np.ndarray | None = None


#: Rows of :attr:`Trajectory.by_value`.
VALUE_NEW, VALUE_LEFT, VALUE_AT_START = 0, 1, 2


def by_value(sim: Simulation) -> np.ndarray | None:
    """:attr:`Trajectory.by_value` of a simulation run to its horizon (None: no attributes)."""
    tr = sim.population.traits
    if tr is None:
        return None
    H = sim.horizon
    sizes = [len(v) for v in tr.values]
    out = np.zeros((H, 3, sum(sizes)), dtype=np.int32)
    who = sim.order[: sim.n_adopted]
    when = sim.adopted_at[who].astype(np.int64)
    left = sim.left_at[who].astype(np.int64)
    now, before = when >= 0, when < 0
    gone = left != NEVER
    offset = 0
    for a, n_values in enumerate(sizes):
        code = tr.codes[a, who].astype(np.int64)
        cells = H * n_values
        out[:, VALUE_NEW, offset:offset + n_values] = np.bincount(
            when[now] * n_values + code[now], minlength=cells)[:cells].reshape(H, n_values)
        out[:, VALUE_LEFT, offset:offset + n_values] = np.bincount(
            left[gone] * n_values + code[gone], minlength=cells)[:cells].reshape(H, n_values)
        out[0, VALUE_AT_START, offset:offset + n_values] = np.bincount(code[before],
                                                                       minlength=n_values)
        offset += n_values
    return out


@numba.njit(cache=True, inline="always")
def _record(t, market, step_seeds, seed_cost, contact_cost, tally, new_by_cause, spend,
            churned, accounts, with_accounts):  # pragma: no cover - compiled
    """Step `t`'s tally into the trajectory's arrays, and its spend."""
    S = spend.shape[1]
    seeded = np.zeros(S, np.int64)
    for i in range(step_seeds.size):
        seeded[market.segment[step_seeds[i]]] += 1
    for k in range(S):
        for c in range(new_by_cause.shape[1]):
            new_by_cause[t, c, k] = tally.new_by_cause[c, k]
        spend[t, k] = seeded[k] * seed_cost[k] + tally.reached[k] * contact_cost[k]
        for r in range(churned.shape[1]):
            churned[t, r, k] = tally.churned[r, k]
        if with_accounts:
            for r in range(accounts.shape[1]):
                accounts[t, r, k] = tally.accounts[r, k]


@numba.njit(cache=True)
def _fixed_plan(market, params, people, scratch, seeds, seed_message, contacts,
                contact_message, aim, seed_cost, contact_cost, first, new_by_cause, spend,
                churned, accounts, state, churn_state, pool_contacts,
                pool_message):  # pragma: no cover - compiled
    """Steps ``first … H−1`` of a plan that does not react, in one call: the same calls of
    :func:`~wom.engine.step.step`, and the same spend, as stepping from Python."""
    H, S = contacts.shape
    for t in range(first, H):
        tally = Tally(np.zeros(new_by_cause.shape[1:], np.int64), np.zeros(S, np.int64),
                      np.zeros(churned.shape[1:], np.int64),
                      np.zeros(accounts.shape[1:], np.int64))
        step_seeds = seeds if t == 0 else seeds[:0]
        step(t, market, params, people, scratch,
             Actions(step_seeds, seed_message if t == 0 else seed_message[:0], contacts[t],
                     contact_message, aim, pool_contacts[t], pool_message), tally, state,
             churn_state)
        _record(t, market, step_seeds, seed_cost, contact_cost, tally, new_by_cause, spend,
                churned, accounts, False)


@numba.njit(cache=True)
def _fixed_plan_accounts(market, params, people, scratch, seeds, seed_message, contacts,
                         contact_message, aim, seed_cost, contact_cost, first, new_by_cause,
                         spend, churned, accounts, state, churn_state, pool_contacts,
                         pool_message):  # pragma: no cover - compiled
    """:func:`_fixed_plan` in a market of accounts (:func:`~wom.engine.step.step_accounts`;
    two functions so a market without accounts never compiles the account stages)."""
    H, S = contacts.shape
    for t in range(first, H):
        tally = Tally(np.zeros(new_by_cause.shape[1:], np.int64), np.zeros(S, np.int64),
                      np.zeros(churned.shape[1:], np.int64),
                      np.zeros(accounts.shape[1:], np.int64))
        step_seeds = seeds if t == 0 else seeds[:0]
        step_accounts(t, market, params, people, scratch,
                      Actions(step_seeds, seed_message if t == 0 else seed_message[:0],
                              contacts[t], contact_message, aim, pool_contacts[t],
                              pool_message), tally, state, churn_state)
        _record(t, market, step_seeds, seed_cost, contact_cost, tally, new_by_cause, spend,
                churned, accounts, True)


def run_to_horizon(sim: Simulation) -> Trajectory:
    """Step `sim` to its horizon and return its trajectory (from step :attr:`Simulation.t`:
    the steps already taken are zero).

    A plan that does not react runs in one compiled call; one that does is stepped from
    Python, asking it before each step (:meth:`Plan.at`). Both give the same numbers.
    """
    S = sim.population.n_segments
    plan = sim.plan
    new = np.zeros((sim.horizon, len(CAUSES), S), dtype=np.int32)
    spend = np.zeros((sim.horizon, S), dtype=np.float64)
    churned = np.zeros((sim.horizon, 2, S), dtype=np.int32)
    accounts = np.zeros((sim.horizon, len(ACCOUNT_ROWS), S), dtype=np.int32)
    if not plan.reacts:
        whole = _fixed_plan_accounts if sim.params.accounts else _fixed_plan
        whole(sim.market, sim.params, sim.people, sim._scratch, plan.seeds,
                    plan.seed_message, plan.contacts, plan.contact_message, sim._aim,
                    plan.seed_cost, plan.contact_cost, sim.t, new, spend, churned, accounts,
                    sim._state, sim._churn_state, sim._pool_contacts, int(plan.pool_message))
        sim.t = sim.horizon
        return Trajectory(new_by_cause=new, spend=spend, churned=churned, accounts=accounts,
                          by_value=by_value(sim))
    for t in range(sim.t, sim.horizon):
        c = sim.step()
        new[t] = c.new_by_cause
        spend[t] = c.seeded * plan.seed_cost + c.reached * plan.contact_cost
        churned[t] = c.churned
        accounts[t] = c.accounts
    return Trajectory(new_by_cause=new, spend=spend, churned=churned, accounts=accounts,
                      by_value=by_value(sim))


def simulate(
    population: Population,
    plan: Plan,
    dynamics: Dynamics,
    weak_tie: float,
    *,
    rng: np.random.Generator,
    churn: np.ndarray | None = None,
    churn_rng: np.random.Generator | None = None,
    strength: np.ndarray | None = None,
) -> Trajectory:
    """Run one replicate of one strategy to the horizon (``churn``, ``churn_rng``,
    ``strength``: as :class:`Simulation`)."""
    return run_to_horizon(Simulation(population, plan, dynamics, weak_tie, rng=rng,
                                     churn=churn, churn_rng=churn_rng, strength=strength))
