"""Money: paying customers, revenue, gross profit, payback and lifetime value (docs/model.md §6).

Everything here is computed from a run's counts (new adopters by cause, who left, spend) and
the segments' economics (``price``, ``gross_margin``, ``cost_to_serve``, ``churn``; the
budget's ``seeds_pay`` and ``discount_rate``). Per strategy × replicate × step × segment:

- customers *served* ``U = adopters − left`` (everyone still using the product, seeds too);
- *paying* customers ``P = U − (seeds − seeds who left)`` (``P = U`` when seeds pay);
- revenue ``price · P``; gross profit ``price · gross_margin · P − cost_to_serve · U``.

In a market of accounts (docs/model.md, accounts), a segment with ``price_per: account`` is
paid per account: ``P`` counts the accounts that are customers (those a seed closed apart,
unless seeds pay) instead of people; ``cost_to_serve`` stays per seat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from wom.config import Scenario
from wom.engine import SEED
from wom.engine.state import ACC_LOST, ACC_LOST_SEED, ACC_WON, ACC_WON_SEED


@dataclass(frozen=True)
class Economics:
    """The segments' economics as arrays (``float64[S]``) and the budget's money settings."""

    price: np.ndarray
    gross_margin: np.ndarray
    cost_to_serve: np.ndarray
    churn: np.ndarray
    seeds_pay: bool
    discount_rate: float
    per_account: np.ndarray | None = None  # bool[S]: price per account (with accounts)

    @classmethod
    def of(cls, sc: Scenario) -> Economics:
        def col(key: str) -> np.ndarray:
            return np.array([getattr(s, key) for s in sc.segments], dtype=np.float64)

        per_account = (np.array([s.price_per == "account" for s in sc.segments])
                       if sc.has_accounts else None)
        return cls(col("price"), col("gross_margin"), col("cost_to_serve"), col("churn"),
                   bool(sc.budget.seeds_pay), float(sc.budget.discount_rate), per_account)

    @property
    def margin_per_step(self) -> np.ndarray:
        """``float64[S]``: gross profit of one paying customer in one step."""
        return self.price * self.gross_margin - self.cost_to_serve

    def lifetime_value(self) -> np.ndarray:
        """``float64[S]``: expected gross profit of a paying customer over their life, from
        the step they buy: ``m·(1 + d)/(d + c)`` with ``m`` the margin per step, ``c`` the
        churn and ``d`` the discount rate (``m/c`` undiscounted). A customer who buys in a
        step pays for it and stays each later step with chance ``1 − c``; with neither churn
        nor discounting the value is unbounded (``inf``; 0 if ``m`` is 0)."""
        m, c, d = self.margin_per_step, self.churn, self.discount_rate
        with np.errstate(divide="ignore", invalid="ignore"):
            ltv = m * (1.0 + d) / (d + c)
            unbounded = np.where(m > 0, math.inf, -math.inf)
        return np.where(m == 0, 0.0, np.where(d + c > 0, ltv, unbounded))


@dataclass(frozen=True)
class Series:
    """Money per strategy × replicate × step × segment (``[st, rep, H, S]``)."""

    served: np.ndarray  # int64: customers using the product at the end of the step
    paying: np.ndarray  # int64: those who pay (seeds apart unless they pay)
    churned: np.ndarray  # int64: customers who left in the step
    revenue: np.ndarray  # float64
    gross_profit: np.ndarray  # float64


def account_counts(accounts: np.ndarray, seeds_pay: bool) -> tuple[np.ndarray, np.ndarray]:
    """Accounts that are customers at the end of each step, and those that pay (a seed's
    account apart unless seeds pay), ``[st, rep, H, S]``, from a run's account rows
    (``[st, rep, H, rows, S]``, :data:`wom.engine.ACCOUNT_ROWS`)."""
    won, lost = accounts[:, :, :, ACC_WON, :], accounts[:, :, :, ACC_LOST, :]
    served = np.cumsum(won.astype(np.int64) - lost, axis=2)
    if seeds_pay:
        return served, served
    seeded = np.cumsum(accounts[:, :, :, ACC_WON_SEED, :].astype(np.int64)
                       - accounts[:, :, :, ACC_LOST_SEED, :], axis=2)
    return served, served - seeded


def series(adopters: np.ndarray, new_by_cause: np.ndarray, churned: np.ndarray,
           econ: Economics, accounts: np.ndarray | None = None) -> Series:
    """The money series of a run: `adopters` (``[st, rep, H, S]``, customers ever, today's
    included), `new_by_cause` (``[st, rep, H, causes, S]``), `churned` (``[st, rep, H, 2, S]``:
    seeds, the others), `accounts` (``[st, rep, H, rows, S]``, with accounts)."""
    left = np.cumsum(churned.sum(axis=3, dtype=np.int64), axis=2)
    served = adopters - left
    if econ.seeds_pay:
        paying = served
    else:
        seeds_now = np.cumsum(new_by_cause[:, :, :, SEED, :].astype(np.int64)
                              - churned[:, :, :, 0, :], axis=2)
        paying = served - seeds_now
    billed = paying
    if accounts is not None and econ.per_account is not None and econ.per_account.any():
        billed = np.where(econ.per_account, account_counts(accounts, econ.seeds_pay)[1],
                          paying)
    revenue = econ.price * billed
    gross_profit = econ.price * econ.gross_margin * billed - econ.cost_to_serve * served
    return Series(served=served, paying=paying, churned=churned.sum(axis=3, dtype=np.int64),
                  revenue=revenue, gross_profit=gross_profit)


def payback_step(gross_profit: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """``float64[...]``: the first step from which cumulative gross profit covers cumulative
    spend at every step to the horizon; NaN if it does not at the horizon (not paid back
    within the horizon). `gross_profit` and `spend` are per step on the last axis."""
    short = np.cumsum(gross_profit, axis=-1) < np.cumsum(spend, axis=-1)
    H = short.shape[-1]
    # The last step still short; payback is the step after it.
    last_short = np.where(short.any(axis=-1), H - 1 - np.argmax(short[..., ::-1], axis=-1), -1)
    step = (last_short + 1).astype(np.float64)
    return np.where(step >= H, math.nan, step)


def discounted(x: np.ndarray, rate: float) -> np.ndarray:
    """Sum over the last axis (steps) of ``x[t] / (1 + rate)^t``."""
    if rate == 0.0:
        return x.sum(axis=-1)
    return (x / (1.0 + rate) ** np.arange(x.shape[-1])).sum(axis=-1)
