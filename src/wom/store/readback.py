"""A run folder read back (:func:`read_run`): the scenario and the tables, typed as live.

Split from :mod:`wom.store.folder`, which writes it.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from wom.config import Scenario, scenario_from_dict
from wom.engine import CAUSES
from wom.errors import WomError
from wom.store.byvalue import ATTRIBUTE_COLUMNS, attribute_summary, attribute_table
from wom.store.folder import ATTRIBUTES, MANIFEST, TABLES, leading_comments
from wom.store.partials import machine, partial_owner
from wom.store.results import (
    ACCOUNT_TIMESERIES,
    COMPARISON_COLUMNS,
    SUMMARY_COLUMNS,
    TIMESERIES_COLUMNS,
    WHOLE_SUMMARY_COLUMNS,
)

#: Only an empty cell is missing: a name such as NA, None or null (a region, a segment) is
#: read as the text it is, not as a missing value.
NAMES_AS_WRITTEN: dict[str, Any] = {"keep_default_na": False, "na_values": [""]}


@dataclass(frozen=True)
class RunFolder:
    """A run folder read back: the scenario and the tables, read as from the
    :class:`~wom.store.Results` of a live run — ``timeseries()``, ``summary()``,
    ``comparison()``, ``scenario`` — so code takes either.

    ``notes`` is the comment block ``scenario.yaml`` opens with (the scenario file's LESSON /
    WHAT TO SEE text), ``""`` if none.
    """

    path: Path
    scenario: Scenario
    timeseries_table: pd.DataFrame | None
    summary_table: pd.DataFrame
    comparison_table: pd.DataFrame
    manifest: dict[str, Any]
    notes: str = ""

    def timeseries(self) -> pd.DataFrame:
        """``timeseries.csv``: one row per strategy, replicate, step and segment."""
        if self.timeseries_table is None:
            raise WomError(f"{self.path}: read without its timeseries (read_run(..., "
                           "timeseries=False))")
        return self.timeseries_table

    def summary(self) -> pd.DataFrame:
        """``summary.csv``: one row per strategy."""
        return self.summary_table

    def comparison(self) -> pd.DataFrame:
        """``comparison.csv``: paired differences of every pair of strategies."""
        return self.comparison_table

    def attributes(self, *, last_step_only: bool = False) -> pd.DataFrame:
        """``attributes.csv``: customers per strategy, replicate, step, attribute and value
        (no rows without attributes); `last_step_only`: the horizon's rows, read a part of
        the file at a time (not the whole table in memory)."""
        path = self.path / ATTRIBUTES
        if not path.is_file():
            return attribute_table(None, None, [])
        read = functools.partial(pd.read_csv, path, dtype={
            "strategy": str, "attribute": str, "value": str}, **NAMES_AS_WRITTEN)
        try:
            table = read() if not last_step_only else _last_step(read, path)
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:  # (EmptyData…)
            raise WomError(f"{path}: not a table wom wrote: {e}".strip()) from None
        return self._whole(_attribute_columns(table, path), path)

    def _whole(self, table: pd.DataFrame, path: Path) -> pd.DataFrame:
        """`table` if it holds every strategy, replicate, step and value once (a file cut
        short, or rows edited away, would give the others' numbers as the run's)."""
        if table.empty:
            return table
        if not (pd.api.types.is_integer_dtype(table["step"])
                and pd.api.types.is_integer_dtype(table["replicate"])
                and pd.api.types.is_numeric_dtype(table["adopters"])):
            raise WomError(f"{path}: not a table wom wrote (step, replicate and adopters "
                           "must be numbers)")
        reps = _replicates(self.manifest.get("replicates"), table)
        cells = [len(self.scenario.strategies), reps, table["step"].nunique(),
                 len(table[["attribute", "value"]].drop_duplicates())]
        if (len(table) != math.prod(cells) or table["step"].min() < 0
                or table["replicate"].nunique() != reps):
            raise WomError(f"{path}: cut short or edited: {len(table):,} rows where the run "
                           f"wrote {' × '.join(map(str, cells))} (strategies × replicates × "
                           "steps × values)")
        return table

    def attribute_summary(self) -> pd.DataFrame:
        """Customers at the horizon by attribute value, with 95% intervals: a row per
        strategy, attribute and value; ``people`` who hold it (replicate 0's market),
        ``customers_mean``/``_lo``/``_hi`` those of them who are customers (seeds and those
        who left included) over replicates and its 95% interval, ``won_share`` that mean ÷
        ``people``, ``share_mean`` the value's mean share of the strategy's customers."""
        return attribute_summary(self.attributes(last_step_only=True), self.people_by_value())

    def people_by_value(self) -> dict[str, dict[str, int]]:
        """Who holds each attribute value, ``{attribute: {value: people}}`` (from the
        manifest; empty without attributes)."""
        return dict((self.manifest.get("graph") or {}).get("attributes") or {})


def _replicates(given: Any, table: pd.DataFrame) -> int:
    """The manifest's replicates, or (a manifest without them) those `table` holds."""
    if isinstance(given, int) and not isinstance(given, bool) and given >= 1:
        return given
    return int(table["replicate"].nunique())


def _last_step(read: Callable[..., Any], path: Path) -> pd.DataFrame:
    """The rows of ``attributes.csv``'s last step, read a part at a time."""
    kept: list[pd.DataFrame] = []  # the rows of the latest step seen so far
    with read(chunksize=READ_ROWS) as parts:
        for part in parts:
            part = _attribute_columns(part, path)
            last = part["step"].max()
            if kept and kept[0]["step"].iloc[0] < last:
                kept.clear()
            if not kept or kept[0]["step"].iloc[0] == last:
                kept.append(part[part["step"] == last])
    return pd.concat(kept, ignore_index=True) if kept else read()


#: Rows of ``attributes.csv`` read at a time for its horizon's rows.
READ_ROWS = 1 << 16


def _attribute_columns(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    lacking = [c for c in ATTRIBUTE_COLUMNS if c not in table]
    if lacking:
        raise WomError(f"{path}: not a wom table (no column {', '.join(lacking)})")
    return table[ATTRIBUTE_COLUMNS]


def read_run(path: Path | str, *, timeseries: bool = True) -> RunFolder:
    """Read a run folder written by :func:`write_run`.

    ``timeseries=False`` leaves ``timeseries.csv`` unread (its presence is still checked):
    the report needs only the small tables, and the flagship's timeseries takes a tenth of a
    second to read back.
    """
    path = Path(path)
    owner = partial_owner(path)
    if owner is not None and owner != (machine(), os.getpid()):  # (not the writer)
        raise WomError(f"{path}: the hidden temporary of a run that was interrupted before it "
                       "finished, not a run folder")
    needed = [*TABLES, MANIFEST]
    missing = [f for f in needed if not (path / f).is_file()]
    if missing:
        # An optimize folder (its search store, search.sqlite) has its own report.
        hint = (f"; it is a wom optimize folder: its report is {path / 'report.html'}"
                if (path / "search.sqlite").is_file() else "")
        raise WomError(f"{path}: not a wom run folder (missing {', '.join(missing)}){hint}")
    try:
        text = (path / "scenario.yaml").read_text(encoding="utf-8")
        tree = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as e:
        raise WomError(f"{path / 'scenario.yaml'}: not a scenario wom wrote: "
                       f"{str(e).splitlines()[0]}") from None
    sc = scenario_from_dict(tree, file=path / "scenario.yaml")
    if sc.attributes and not (path / ATTRIBUTES).is_file():
        raise WomError(f"{path}: not a whole wom run folder (missing {ATTRIBUTES}, which a "
                       "run of a scenario with attributes writes)")
    manifest = _read_manifest(path / MANIFEST)
    summary = _table(path / "summary.csv", _read_summary)
    comparison = _table(path / "comparison.csv", _read_comparison)
    _agree(summary, comparison, sc, path)
    return RunFolder(
        path=path,
        scenario=sc,
        timeseries_table=_table(path / "timeseries.csv", _read_timeseries, sc,
                                manifest.get("replicates")) if timeseries else None,
        summary_table=summary,
        comparison_table=comparison,
        manifest=manifest,
        notes=leading_comments(text),
    )


def _agree(summary: pd.DataFrame, comparison: pd.DataFrame, sc: Scenario, path: Path) -> None:
    """Raise unless the tables hold the scenario's strategies, each once, and their columns
    (a row deleted, or a strategy renamed in one file, would be reported as the run)."""
    names = [s.name for s in sc.strategies]
    lacking = [c for c in SUMMARY_COLUMNS[:8] if c not in summary]
    if lacking or summary["strategy"].tolist() != names:
        raise WomError(f"{path / 'summary.csv'}: cut short or edited: "
                       + (f"no column {', '.join(lacking)}" if lacking else
                          f"strategies {', '.join(map(str, summary['strategy']))} where "
                          f"scenario.yaml has {', '.join(names)}"))
    lacking = [c for c in COMPARISON_COLUMNS if c not in comparison]
    pairs = list(zip(comparison["a"], comparison["b"], strict=True)) if not lacking else []
    if lacking or sorted(set(pairs)) != sorted(itertools.combinations(names, 2)):
        raise WomError(f"{path / 'comparison.csv'}: cut short or edited: "
                       + (f"no column {', '.join(lacking)}" if lacking else
                          "its pairs of strategies are not those of scenario.yaml"))


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise WomError(f"{path}: not a manifest wom wrote: {e}") from None
    if not isinstance(manifest, dict):
        raise WomError(f"{path}: not a manifest wom wrote (not a JSON object)")
    return manifest


def _table(path: Path, read: Callable[..., pd.DataFrame], *args: Any) -> pd.DataFrame:
    """`read` (path, *args), a damaged file (empty, cut short, edited, not text) named."""
    try:
        return read(path, *args)
    except (ValueError, KeyError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise WomError(f"{path}: not a table wom wrote: {str(e).strip() or type(e).__name__}"
                       ) from None


def _whole_timeseries(table: pd.DataFrame, path: Path, sc: Scenario, reps: Any) -> None:
    """Raise unless `table` holds every strategy, replicate, step and segment once (a file
    cut short, or rows edited away, would be drawn as the run)."""
    strategies = [s.name for s in sc.strategies]
    found = set(table["strategy"].unique())
    if found != set(strategies):
        raise WomError(f"{path}: cut short or edited: strategies "
                       f"{', '.join(sorted(map(str, found))) or 'none'} where the run had "
                       f"{', '.join(strategies)}")
    reps = _replicates(reps, table)
    cells = [len(strategies), reps, table["step"].nunique(), table["segment"].nunique()]
    if len(table) != math.prod(cells) or table["replicate"].nunique() != reps:
        raise WomError(f"{path}: cut short or edited: {len(table):,} rows where the run wrote "
                       f"{' × '.join(map(str, cells))} (strategies × replicates × steps × "
                       "segments)")


def _read_timeseries(path: Path, sc: Scenario, reps: Any = None) -> pd.DataFrame:
    timeseries = pd.read_csv(path, dtype={"strategy": str, "segment": str}, **NAMES_AS_WRITTEN)
    for cause in CAUSES:  # a folder written before a cause existed had nobody won by it
        if f"new_by_{cause}" not in timeseries:
            timeseries[f"new_by_{cause}"] = 0
    if "churned" not in timeseries and "adopters" in timeseries:
        # Written before money: nobody left, nothing was priced, and seeds never pay.
        seeds = timeseries.groupby(["strategy", "replicate", "segment"], sort=False)[
            "new_by_seed"].cumsum()
        timeseries["churned"] = 0
        timeseries["customers"] = timeseries["adopters"] - seeds
        timeseries["revenue"] = timeseries["gross_profit"] = 0.0
    for money in ("spend", "revenue", "gross_profit"):  # floats, whole or not (as live)
        if money in timeseries:
            timeseries[money] = timeseries[money].astype(float)
    lacking = [c for c in TIMESERIES_COLUMNS if c not in timeseries]
    if lacking:
        raise WomError(f"{path}: not a wom table (no column {', '.join(lacking)})")
    numbers = timeseries[[c for c in TIMESERIES_COLUMNS if c not in ("strategy", "segment")]]
    if not all(pd.api.types.is_numeric_dtype(t) for t in numbers.dtypes):
        raise WomError(f"{path}: not a table wom wrote (a column of numbers holds text)")
    _whole_timeseries(timeseries, path, sc, reps)
    # names stay text: a segment called 01 must not come back as the number 1
    return timeseries[TIMESERIES_COLUMNS + [
        c for c in ACCOUNT_TIMESERIES if sc.has_accounts and c in timeseries]]


def _read_summary(path: Path) -> pd.DataFrame:
    # The live tables' types: a mean that happens to be whole (spend 60000.0) is a float
    # there, and must not come back as an integer (equality checks between the two failed).
    summary = pd.read_csv(path, dtype={"strategy": str}, **NAMES_AS_WRITTEN)
    for column in summary.columns.drop("strategy"):
        if column not in WHOLE_SUMMARY_COLUMNS:
            summary[column] = summary[column].astype(float)
    return summary


def _read_comparison(path: Path) -> pd.DataFrame:
    comparison = pd.read_csv(path, **NAMES_AS_WRITTEN,
                             dtype={"a": str, "b": str,
                                                               "metric": str})
    for column in comparison.columns.drop(["a", "b", "metric"]):
        comparison[column] = comparison[column].astype(float)
    return comparison
