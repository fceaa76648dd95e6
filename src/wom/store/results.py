"""Results: the tidy tables of a run and the statistics over replicates.

:class:`Results` keeps a run as arrays; its tables (``timeseries``, ``summary``,
``comparison``) are derived from them, with the metrics of :data:`wom.config.METRICS`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from wom.config import COMPARED, IGNITION_SHARE, METRICS, Scenario
from wom.engine import CAUSES, SEED, WOM
from wom.engine.state import ACC_WAITING, ACC_WON
from wom.store.byvalue import attribute_parts, attribute_summary, attribute_table
from wom.store.money import Economics, Series, account_counts, discounted, payback_step, series
from wom.store.stats import mean_interval, nanmean, paired

TIMESERIES_COLUMNS = [
    "strategy", "replicate", "step", "segment", "adopters", "new_adopters",
    *(f"new_by_{c}" for c in CAUSES), "spend", "churned", "customers", "revenue",
    "gross_profit",
]
#: Metrics in ``summary.csv`` with their 95% interval (``_mean``, ``_lo``, ``_hi``), after
#: the columns it had before money.
MONEY_SUMMARY = ("paying_customers", "revenue", "gross_profit", "profit", "npv", "roi",
                 "acquisition_cost", "payback_step")
SUMMARY_COLUMNS = [
    "strategy", "customers_mean", "customers_lo", "customers_hi", "segments_ignited_mean",
    "weeks_to_ignite_mean", "cost_per_customer_mean", "wom_share_mean",
    "replicates", "customers_sd", "customers_p5", "customers_p95", "ignited_share", "spend_mean",
    "customers_at_start", "seeds_mean", "segments_ignited_won_mean",
    *(f"{m}_{x}" for m in MONEY_SUMMARY for x in ("mean", "lo", "hi")), "paid_back_share",
    "churned_mean",
]
#: Columns of ``summary.csv`` that are whole numbers (the others are floats).
WHOLE_SUMMARY_COLUMNS = frozenset({"replicates", "customers_at_start"})
COMPARISON_COLUMNS = ["a", "b", "metric", "diff_mean", "diff_lo", "diff_hi", "p_a_beats_b"]
#: Columns a market of accounts adds to ``timeseries.csv``: accounts won so far, won in the
#: step, customers now (won, not left), and people convinced in accounts that have not bought.
ACCOUNT_TIMESERIES = ["accounts_won", "new_accounts", "accounts", "waiting"]
#: And to ``summary.csv`` (each with its 95% interval).
ACCOUNT_SUMMARY = ("accounts_won", "waiting")
T = TypeVar("T")


@dataclass
class Results:
    """Everything a run produced, as arrays; tables are derived from them.

    Attributes
    ----------
    scenario
        The scenario as run.
    new_by_cause
        ``int32[strategies, replicates, horizon, len(CAUSES), S]``: new adopters per step
        by cause.
    spend
        ``float64[strategies, replicates, horizon, S]``.
    tam
        ``int64[S]``: TAM size per segment.
    graph
        Statistics of replicate 0's conversation graph.
    meta
        Timings and run settings (for the manifest).
    initial
        ``int64[S]``: today's customers per segment, there before the first step (``wom run
        --customers``); ``None``: none. ``adopters`` and ``customers`` count them; cost per
        customer and word-of-mouth share are over the customers won in the run.
    churned
        ``int32[strategies, replicates, horizon, 2, S]``: customers who left per step, seeds
        (row 0) apart from the others (row 1); ``None``: nobody left.
    accounts
        ``int32[strategies, replicates, horizon, len(ACCOUNT_ROWS), S]``: accounts won and
        lost per step and people waiting at its end (:data:`wom.engine.ACCOUNT_ROWS`);
        ``None``: a market of individuals (the tables have no account columns).
    n_accounts
        ``int64[S]``: accounts per segment in replicate 0's market (with accounts).
    by_value
        ``int32[strategies, replicates, horizon, 3, V]``: with attributes, new adopters, who
        left and today's customers by attribute value (:mod:`wom.store.byvalue`).
    attribute_values
        The attributes and their values, in the order of `by_value`'s last axis.
    """

    scenario: Scenario
    new_by_cause: np.ndarray
    spend: np.ndarray
    tam: np.ndarray
    graph: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    initial: np.ndarray | None = None
    churned: np.ndarray | None = None
    accounts: np.ndarray | None = None
    n_accounts: np.ndarray | None = None
    by_value: np.ndarray | None = None
    attribute_values: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    #: The tables derived so far, while :meth:`kept` is open (``None``: derived afresh).
    _kept: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @contextmanager
    def kept(self) -> Iterator[Results]:
        """``with results.kept():`` each table (and :meth:`money`) is derived once and
        handed out again, the same object, until the block ends.

        Writing a run folder asks for ``per_replicate`` five times and ``timeseries``
        twice; the arrays must not change inside the block (nothing of wom's changes
        them), and the tables handed out must not be changed in place."""
        outer = self._kept is None
        if outer:
            self._kept = {}
        try:
            yield self
        finally:
            if outer:
                self._kept = None

    def _once(self, name: str, make: Callable[[], T]) -> T:
        if self._kept is None:
            return make()
        if name not in self._kept:
            self._kept[name] = make()
        return self._kept[name]  # type: ignore[no-any-return]

    @property
    def strategies(self) -> list[str]:
        return [s.name for s in self.scenario.strategies]

    @property
    def segments(self) -> list[str]:
        return self.scenario.segment_names

    @property
    def has_accounts(self) -> bool:
        """Whether the market is one of accounts (its tables have account columns)."""
        return self.accounts is not None

    def account_series(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Accounts won so far, won in the step, customers now, and people waiting, per
        strategy × replicate × step × segment (``int64``; with accounts)."""
        if self.accounts is None:
            raise ValueError("this run's market has no accounts")
        new = self.accounts[:, :, :, ACC_WON, :].astype(np.int64)
        served, _ = account_counts(self.accounts, True)
        return (np.cumsum(new, axis=2), new, served,
                self.accounts[:, :, :, ACC_WAITING, :].astype(np.int64))

    @property
    def at_start(self) -> np.ndarray:
        """``int64[S]``: customers per segment before the first step."""
        S = self.new_by_cause.shape[-1]
        return np.zeros(S, np.int64) if self.initial is None else np.asarray(self.initial,
                                                                              np.int64)

    def adopters(self) -> np.ndarray:
        """``int64[strategies, replicates, horizon, S]``: customers at the end of each step
        (today's customers, if any, and those won so far)."""
        won = np.cumsum(self.new_by_cause.sum(axis=3, dtype=np.int64), axis=2)
        return won + self.at_start if self.initial is not None else won

    def money(self) -> Series:
        """Paying customers, revenue and gross profit per strategy × replicate × step ×
        segment (:mod:`wom.store.money`)."""
        return self._once("money", self._money)

    def _money(self) -> Series:
        churned = self.churned
        if churned is None:
            shape = self.new_by_cause.shape
            churned = np.zeros((*shape[:3], 2, shape[4]), np.int32)
        return series(self.adopters(), self.new_by_cause, churned, Economics.of(self.scenario),
                      self.accounts)

    def timeseries(self) -> pd.DataFrame:
        """One row per strategy × replicate × step × segment (docs/model.md, the run folder)."""
        return self._once("timeseries", self._timeseries)

    def _timeseries(self) -> pd.DataFrame:
        n_st, n_rep, horizon, _, S = self.new_by_cause.shape
        idx = np.indices((n_st, n_rep, horizon, S)).reshape(4, -1)
        # int64, as the table reads back from its CSV
        new = self.new_by_cause.transpose(0, 1, 2, 4, 3).reshape(-1, len(CAUSES)).astype(
            np.int64)
        money = self.money()
        extra: dict[str, np.ndarray] = {}
        if self.accounts is not None:
            extra = {name: x.reshape(-1) for name, x in
                     zip(ACCOUNT_TIMESERIES, self.account_series(), strict=True)}
        return pd.DataFrame({
            "strategy": np.array(self.strategies, dtype=object)[idx[0]],
            "replicate": idx[1],
            "step": idx[2],
            "segment": np.array(self.segments, dtype=object)[idx[3]],
            "adopters": self.adopters().reshape(-1),
            "new_adopters": new.sum(axis=1),
            **{f"new_by_{c}": new[:, i] for i, c in enumerate(CAUSES)},
            "spend": self.spend.reshape(-1),
            "churned": money.churned.reshape(-1),
            "customers": money.paying.reshape(-1),
            "revenue": money.revenue.reshape(-1),
            "gross_profit": money.gross_profit.reshape(-1),
            **extra,
        }, columns=TIMESERIES_COLUMNS + list(extra))

    def attributes(self) -> pd.DataFrame:
        """``attributes.csv``: customers per strategy, replicate, step, attribute and value
        (no rows without attributes)."""
        return self._once("attributes", lambda: attribute_table(
            self.by_value, self.attribute_values, self.strategies))

    def attribute_parts(self, rows: int = 1 << 15) -> Iterator[pd.DataFrame]:
        """:meth:`attributes` in consecutive parts of about `rows` rows (what ``wom run``
        writes ``attributes.csv`` from: never the whole table in memory)."""
        yield from attribute_parts(self.by_value, self.attribute_values, self.strategies,
                                   rows)

    def attribute_summary(self) -> pd.DataFrame:
        """Customers at the horizon by attribute value, with 95% intervals: a row per
        strategy, attribute and value; ``people`` who hold it (replicate 0's market),
        ``customers_mean``/``_lo``/``_hi`` those of them who are customers (seeds and those
        who left included) over replicates and its 95% interval, ``won_share`` that mean ÷
        ``people``, ``share_mean`` the value's mean share of the strategy's customers."""
        final = attribute_table(self.by_value, self.attribute_values, self.strategies,
                                last_step_only=True)
        return attribute_summary(final, self.people_by_value())

    def people_by_value(self) -> dict[str, dict[str, int]]:
        """Who holds each attribute value, ``{attribute: {value: people}}`` (replicate 0's
        market; empty without attributes)."""
        return dict(self.graph.get("attributes") or {})

    def per_replicate(self) -> pd.DataFrame:
        """Outcome metrics per strategy × replicate."""
        return self._once("per_replicate", self._per_replicate)

    def _per_replicate(self) -> pd.DataFrame:
        adopters = self.adopters()
        final = adopters[:, :, -1, :]
        customers = final.sum(axis=2)
        won = customers - int(self.at_start.sum())
        ignite_at = np.where(self.tam > 0, np.ceil(IGNITION_SHARE * self.tam), np.inf)
        ignited_now = adopters >= ignite_at
        segments_ignited = ignited_now[:, :, -1, :].sum(axis=2)
        any_ignited = ignited_now.any(axis=3)
        weeks = np.where(any_ignited.any(axis=2), any_ignited.argmax(axis=2), np.nan)
        spend = self.spend.sum(axis=(2, 3))
        wom = self.new_by_cause[:, :, :, WOM, :].sum(axis=(2, 3))
        seeds = self.new_by_cause[:, :, :, SEED, :].astype(np.int64)
        # Ignited by customers won: the seeds (bought, not won) left out.
        won_now = adopters - np.cumsum(seeds, axis=2)
        segments_won = (won_now[:, :, -1, :] >= ignite_at).sum(axis=2)
        acquired = won - seeds.sum(axis=(2, 3))  # by marketing, background, word of mouth
        money = self.money()
        gross = money.gross_profit.sum(axis=3)  # per step
        step_spend = self.spend.sum(axis=3)
        gross_profit = gross.sum(axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            cost = np.where(won > 0, spend / np.maximum(won, 1), np.nan)
            wom_share = np.where(won > 0, wom / np.maximum(won, 1), np.nan)
            acquisition = np.where(acquired > 0, spend / np.maximum(acquired, 1), np.nan)
            roi = np.where(spend > 0, (gross_profit - spend) / spend, np.nan)
        n_st, n_rep = customers.shape
        if self.accounts is not None:
            won_acc, _, _, waiting_now = self.account_series()
            accounts_won = won_acc[:, :, -1, :].sum(axis=2)
            waiting = waiting_now[:, :, -1, :].sum(axis=2)
        else:  # everyone an account of one: the accounts won are the customers won
            accounts_won, waiting = won, np.zeros_like(won)
        return pd.DataFrame({
            "strategy": np.repeat(np.array(self.strategies, dtype=object), n_rep),
            "replicate": np.tile(np.arange(n_rep), n_st),
            "customers": customers.reshape(-1),
            "segments_ignited": segments_ignited.reshape(-1),
            "weeks_to_ignite": weeks.reshape(-1),
            "cost_per_customer": cost.reshape(-1),
            "wom_share": wom_share.reshape(-1),
            "spend": spend.reshape(-1),
            "paying_customers": money.paying[:, :, -1, :].sum(axis=2).reshape(-1),
            "seeds": seeds.sum(axis=(2, 3)).reshape(-1),
            "segments_ignited_won": segments_won.reshape(-1),
            "acquisition_cost": acquisition.reshape(-1),
            "revenue": money.revenue.sum(axis=(2, 3)).reshape(-1),
            "gross_profit": gross_profit.reshape(-1),
            "profit": (gross_profit - spend).reshape(-1),
            "npv": discounted(gross - step_spend, Economics.of(self.scenario).discount_rate
                              ).reshape(-1),
            "roi": roi.reshape(-1),
            "payback_step": payback_step(gross, step_spend).reshape(-1),
            "churned": money.churned.sum(axis=(2, 3)).reshape(-1),
            "accounts_won": accounts_won.reshape(-1),
            "waiting": waiting.reshape(-1),
        })

    def summary(self) -> pd.DataFrame:
        """One row per strategy: means over replicates with 95% intervals."""
        return self._once("summary", self._summary)

    def _summary(self) -> pd.DataFrame:
        per = self.per_replicate()
        rows = []
        for name in self.strategies:
            d = per[per.strategy == name]
            c = d.customers.to_numpy(float)
            m, lo, hi = mean_interval(c)
            rows.append({
                "strategy": name,
                "customers_mean": m, "customers_lo": lo, "customers_hi": hi,
                "segments_ignited_mean": d.segments_ignited.mean(),
                "weeks_to_ignite_mean": nanmean(d.weeks_to_ignite),
                "cost_per_customer_mean": nanmean(d.cost_per_customer),
                "wom_share_mean": nanmean(d.wom_share),
                "replicates": len(d),
                "customers_sd": float(c.std(ddof=1)) if c.size > 1 else math.nan,
                "customers_p5": float(np.percentile(c, 5)),
                "customers_p95": float(np.percentile(c, 95)),
                "ignited_share": float(d.weeks_to_ignite.notna().mean()),
                "spend_mean": d.spend.mean(),
                "customers_at_start": int(self.at_start.sum()),
                "seeds_mean": d.seeds.mean(),
                "segments_ignited_won_mean": d.segments_ignited_won.mean(),
                **{f"{k}_{x}": v for k in MONEY_SUMMARY
                   for x, v in zip(("mean", "lo", "hi"), mean_interval(d[k].to_numpy(float)),
                                   strict=True)},
                "paid_back_share": float(d.payback_step.notna().mean()),
                "churned_mean": d.churned.mean(),
            })
            if self.accounts is not None:
                rows[-1].update({f"{k}_{x}": v for k in ACCOUNT_SUMMARY
                                 for x, v in zip(("mean", "lo", "hi"),
                                                 mean_interval(d[k].to_numpy(float)),
                                                 strict=True)})
        extra = ([f"{k}_{x}" for k in ACCOUNT_SUMMARY for x in ("mean", "lo", "hi")]
                 if self.accounts is not None else [])
        return pd.DataFrame(rows, columns=SUMMARY_COLUMNS + extra)

    def comparison(self) -> pd.DataFrame:
        """Paired differences (same replicate = same market) for every pair of strategies."""
        return self._once("comparison", self._comparison)

    def _comparison(self) -> pd.DataFrame:
        per = self.per_replicate()
        rows = []
        for a, b in itertools.combinations(self.strategies, 2):
            da = per[per.strategy == a].reset_index(drop=True)
            db = per[per.strategy == b].reset_index(drop=True)
            for metric in COMPARED:
                if METRICS[metric].accounts and self.accounts is None:
                    continue
                d = paired(a, b, metric, da[metric].to_numpy(float),
                           db[metric].to_numpy(float), METRICS[metric].higher_is_better)
                rows.append({"a": a, "b": b, "metric": metric, "diff_mean": d.mean,
                             "diff_lo": d.lo, "diff_hi": d.hi, "p_a_beats_b": d.p_a_beats_b})
        return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
