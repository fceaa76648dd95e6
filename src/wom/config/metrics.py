"""The outcome metrics, in one table: every table, plot, sweep and analysis reads it.

Each replicate of each strategy yields one value of every metric (:mod:`wom.store` computes
them); summaries average them, comparisons pair them, sweeps store them, sensitivity
analyses explain them. Adding a metric is one row here and its computation in
:meth:`wom.store.Results.per_replicate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["people", "segments", "share", "money", "weeks", "ratio", "accounts"]


@dataclass(frozen=True)
class Metric:
    """One outcome metric.

    Attributes
    ----------
    name
        Its column name (``summary.csv``, ``comparison.csv``, ``sweep.sqlite``, options).
    label
        In words, for tables and plots.
    unit
        What it is counted in, for axis labels.
    better
        ``"higher"`` or ``"lower"`` when one direction is better, else ``""``.
    compared
        Paired differences between strategies are reported (``comparison.csv``); such a
        metric has a better direction.
    kind
        What it counts, which says how it is formatted: people, segments, a share, money,
        weeks, a ratio (ROI: printed as a percentage, may exceed 100% or fall below 0) or
        accounts.
    priced
        It means something only when some segment has a price or a cost to serve
        (:attr:`wom.config.Scenario.priced`); tables and plots leave it out otherwise.
    accounts
        It means something only in a market of accounts (:attr:`wom.config.Scenario.
        has_accounts`); tables leave it out otherwise (in a market of individuals every
        person is an account of one: accounts won are the customers, nobody waits).
    """

    name: str
    label: str
    unit: str
    better: Literal["higher", "lower", ""]
    compared: bool
    kind: Kind
    priced: bool = False
    accounts: bool = False

    @property
    def higher_is_better(self) -> bool:
        """Whether more is better (a metric with no better direction raises)."""
        if not self.better:
            raise ValueError(f"{self.name} has no better direction")
        return self.better == "higher"


#: Every metric, in the order of the per-replicate table and the sweep store's columns.
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("customers", "customers", "people", "higher", True, "people"),
    Metric("segments_ignited", "segments ignited", "segments", "higher", True, "segments"),
    Metric("weeks_to_ignite", "weeks to ignite", "weeks", "lower", False, "weeks"),
    Metric("cost_per_customer", "cost per customer", "per customer", "lower", True, "money"),
    Metric("wom_share", "word-of-mouth share", "share of customers", "higher", True, "share"),
    Metric("spend", "spend", "money", "", False, "money"),
    Metric("paying_customers", "paying customers", "people", "higher", True, "people"),
    Metric("seeds", "seeds", "people", "", False, "people"),
    Metric("segments_ignited_won", "segments ignited by customers won", "segments", "higher",
           True, "segments"),
    Metric("acquisition_cost", "acquisition cost", "per customer won", "lower", True, "money"),
    Metric("revenue", "revenue", "money", "higher", True, "money", priced=True),
    Metric("gross_profit", "gross profit", "money", "higher", True, "money", priced=True),
    Metric("profit", "profit", "money", "higher", True, "money", priced=True),
    Metric("npv", "net present value", "money", "higher", True, "money", priced=True),
    Metric("roi", "ROI", "return per unit spent", "higher", True, "ratio", priced=True),
    Metric("payback_step", "payback week", "weeks", "lower", True, "weeks", priced=True),
    Metric("churned", "customers who left", "people", "", False, "people"),
    Metric("accounts_won", "accounts won", "accounts", "higher", True, "accounts",
           accounts=True),
    Metric("waiting", "people waiting", "people", "", False, "people", accounts=True),
)}
#: Names of every metric.
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
#: The metrics with paired differences in ``comparison.csv``, in that order.
COMPARED: tuple[str, ...] = tuple(n for n, m in METRICS.items() if m.compared)
assert all(METRICS[n].better for n in COMPARED), "a compared metric needs a better direction"
