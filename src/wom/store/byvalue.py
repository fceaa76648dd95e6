"""Customers by attribute value (``attributes.csv``): a run's adopters counted by what they
are as well as by the segment they talk in."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from wom.store.stats import mean_interval

#: Columns of ``attributes.csv``: one row per strategy, replicate, step, attribute and value.
ATTRIBUTE_COLUMNS = ["strategy", "replicate", "step", "attribute", "value", "adopters",
                     "new_adopters", "churned"]
#: Columns of the summary by attribute value (the report's "By attribute" table).
ATTRIBUTE_SUMMARY_COLUMNS = ["strategy", "attribute", "value", "people", "customers_mean",
                             "customers_lo", "customers_hi", "share_mean", "won_share"]


def attribute_table(by_value: np.ndarray | None,
                    values: tuple[tuple[str, tuple[str, ...]], ...] | None,
                    strategies: list[str], *, first_replicate: int = 0,
                    last_step_only: bool = False) -> pd.DataFrame:
    """``attributes.csv`` from a run's counts by value (``int32[strategies, replicates,
    horizon, 3, V]``: new adopters, who left, today's customers at step 0); ``adopters``
    are everyone won so far, seeds and those who left included, as in ``timeseries.csv``
    (``churned``: who left in the step). `first_replicate`: the number of `by_value`'s
    first replicate (a part of a run's); `last_step_only`: only the horizon's rows."""
    if by_value is None or values is None:
        return pd.DataFrame({c: [] for c in ATTRIBUTE_COLUMNS})
    n_st, n_rep, H, _, V = by_value.shape
    new = by_value[:, :, :, 0, :].astype(np.int64)
    left = by_value[:, :, :, 1, :].astype(np.int64)
    adopters = np.cumsum(new + by_value[:, :, :, 2, :], axis=2)
    steps = np.arange(H)
    if last_step_only:
        new, left, adopters = new[:, :, -1:], left[:, :, -1:], adopters[:, :, -1:]
        steps = steps[-1:]
    names = [(a, v) for a, vals in values for v in vals]
    idx = np.indices((n_st, n_rep, steps.size, V)).reshape(4, -1)
    return pd.DataFrame({
        "strategy": np.array(strategies, dtype=object)[idx[0]],
        "replicate": idx[1] + first_replicate,
        "step": steps[idx[2]],
        "attribute": np.array([a for a, _ in names], dtype=object)[idx[3]],
        "value": np.array([v for _, v in names], dtype=object)[idx[3]],
        "adopters": adopters.reshape(-1),
        "new_adopters": new.reshape(-1),
        "churned": left.reshape(-1),
    }, columns=ATTRIBUTE_COLUMNS)


def attribute_parts(by_value: np.ndarray | None,
                    values: tuple[tuple[str, tuple[str, ...]], ...] | None,
                    strategies: list[str], rows: int = 1 << 15) -> Iterator[pd.DataFrame]:
    """:func:`attribute_table` in consecutive parts of about `rows` rows (whole
    replicates of one strategy each): the table written without all of it in memory."""
    if by_value is None or values is None:
        yield attribute_table(None, None, [])
        return
    n_st, n_rep, H, _, V = by_value.shape
    per = max(1, rows // max(1, H * V))  # replicates a part
    for k in range(n_st):
        for r in range(0, n_rep, per):
            yield attribute_table(by_value[k:k + 1, r:r + per], values, strategies[k:k + 1],
                                  first_replicate=r)


def attribute_summary(table: pd.DataFrame,
                      people: dict[str, dict[str, int]] | None = None) -> pd.DataFrame:
    """Customers at the horizon per strategy and value: the mean over replicates with its
    95% interval, the value's mean share of the strategy's customers, and with `people`
    (who holds each value, ``{attribute: {value: people}}``) the share of them won."""
    if table.empty:
        return pd.DataFrame({c: [] for c in ATTRIBUTE_SUMMARY_COLUMNS})
    last = table[table.step == table.step.max()]
    rows = []
    for (strategy, attribute), d in last.groupby(["strategy", "attribute"], sort=False):
        total = d.groupby("replicate")["adopters"].transform("sum").to_numpy(float)
        share = np.divide(d.adopters.to_numpy(float), total, out=np.full(total.size, np.nan),
                          where=total > 0)
        d = d.assign(share=share)
        for value, dv in d.groupby("value", sort=False):
            m, lo, hi = mean_interval(dv.adopters.to_numpy(float))
            held = (people or {}).get(str(attribute), {}).get(str(value))
            rows.append({"strategy": strategy, "attribute": attribute, "value": value,
                         "people": np.nan if held is None else held,
                         "customers_mean": m, "customers_lo": lo, "customers_hi": hi,
                         "share_mean": float(np.nanmean(dv.share)) if dv.share.notna().any()
                         else np.nan,
                         "won_share": m / held if held else np.nan})
    return pd.DataFrame(rows, columns=ATTRIBUTE_SUMMARY_COLUMNS)
