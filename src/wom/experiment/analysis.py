"""Reading a sweep's results: per-replicate rows, ``sweep.csv``, paired differences per point."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import pandas as pd

from wom.config import METRIC_NAMES
from wom.errors import WomError
from wom.experiment.sweep import CSV, DB, read_meta
from wom.store import mean_interval, replace_whole


def read_results(out_dir: Path | str) -> pd.DataFrame:
    """Per-replicate rows of finished points: params as columns, then strategy, replicate,
    metrics; ordered by point, strategy (scenario order) and replicate."""
    sc, varies, _ = read_meta(out_dir)
    conn = sqlite3.connect(Path(out_dir) / DB)
    try:
        df = pd.read_sql_query(
            "SELECT r.*, p.params_json FROM results r JOIN points p ON p.id = r.point_id "
            "WHERE p.done = 1 ORDER BY r.point_id, r.replicate", conn)
    finally:
        conn.close()
    params = pd.DataFrame([json.loads(s) for s in df.pop("params_json")],
                          columns=[v.path for v in varies], index=df.index)
    df = pd.concat([params, df], axis=1)
    order = {s.name: i for i, s in enumerate(sc.strategies)}
    df["_o"] = df["strategy"].map(order)
    df = df.sort_values(["point_id", "_o", "replicate"], kind="stable").drop(columns="_o")
    return df.reset_index(drop=True)


def export_csv(out_dir: Path | str, metric: str = "customers") -> Path:
    """Write ``sweep.csv``: one row per point × strategy with the mean and 95% interval of
    every metric, then the paired advantage in `metric` (this strategy − the first strategy;
    the ``metric`` column names it)."""
    sc, varies, _ = read_meta(out_dir)
    per = read_results(out_dir)
    names = [v.path for v in varies]
    base = sc.strategies[0].name
    rows = []
    for _pid, d in per.groupby("point_id", sort=True):
        ref = d[d.strategy == base].set_index("replicate")[metric]
        for s in [x.name for x in sc.strategies]:
            mine = d[d.strategy == s].set_index("replicate")
            row = {**{k: d[k].iloc[0] for k in names}, "strategy": s}
            for m in METRIC_NAMES:
                row[f"{m}_mean"], row[f"{m}_lo"], row[f"{m}_hi"] = mean_interval(
                    mine[m].to_numpy(float))
            # payback's mean is over the replicates that paid back: how many did
            row["paid_back_share"] = float(mine["payback_step"].notna().mean())
            if s == base:
                dm = dlo = dhi = math.nan
            else:
                dm, dlo, dhi = mean_interval((mine[metric] - ref).to_numpy(float))
            rows.append({**row, "vs": base, "metric": metric, "diff_mean": dm,
                         "diff_lo": dlo, "diff_hi": dhi})
    cols = [*names, "strategy", *(f"{m}_{x}" for m in METRIC_NAMES for x in ("mean", "lo", "hi")),
            "paid_back_share", "vs", "metric", "diff_mean", "diff_lo", "diff_hi"]
    path = Path(out_dir) / CSV
    table = pd.DataFrame(rows, columns=cols)
    # an earlier good file is never left half-rewritten
    return replace_whole(path, lambda tmp: table.to_csv(tmp, index=False, float_format="%.10g"))


def paired(out_dir: Path | str, a: str, b: str, metric: str = "customers") -> pd.DataFrame:
    """Per point: mean and 95% interval of the paired difference `a` − `b` of `metric`."""
    sc, varies, _ = read_meta(out_dir)
    for s in (a, b):
        sc.strategy(s)  # raises naming the strategies that exist
    if metric not in METRIC_NAMES:
        raise WomError(f"unknown metric {metric!r}; choose one of {', '.join(METRIC_NAMES)}")
    per = read_results(out_dir)
    names = [v.path for v in varies]
    rows = []
    for _pid, d in per.groupby("point_id", sort=True):
        da = d[d.strategy == a].set_index("replicate")[metric]
        db = d[d.strategy == b].set_index("replicate")[metric]
        m, lo, hi = mean_interval((da - db).to_numpy(float))
        rows.append({**{k: d[k].iloc[0] for k in names}, "diff_mean": m, "diff_lo": lo,
                     "diff_hi": hi})
    return pd.DataFrame(rows, columns=[*names, "diff_mean", "diff_lo", "diff_hi"])


def crosses_zero(lo: float, hi: float) -> bool:
    """Whether an interval holds zero (or is unknown): the difference is not established."""
    return bool(math.isnan(lo) or math.isnan(hi) or lo <= 0.0 <= hi)

