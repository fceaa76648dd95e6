"""Results: the tidy tables of a run, the statistics over replicates, and the run folder.

The run folder (DESIGN §6) is written into a hidden sibling directory and renamed into place
when complete, so a crash leaves no half-written folder and an earlier run is never
overwritten. A run killed outright leaves its hidden sibling behind; the next run written
next to it removes it.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from wom.errors import WomError
from wom.scenario import IGNITION_SHARE, Scenario, scenario_from_dict

TIMESERIES_COLUMNS = [
    "strategy", "replicate", "step", "segment", "adopters", "new_adopters",
    "new_by_seed", "new_by_marketing", "new_by_wom", "spend",
]
SUMMARY_COLUMNS = [
    "strategy", "customers_mean", "customers_lo", "customers_hi", "segments_ignited_mean",
    "weeks_to_ignite_mean", "cost_per_customer_mean", "wom_share_mean",
    "replicates", "customers_sd", "customers_p5", "customers_p95", "ignited_share", "spend_mean",
]
COMPARISON_COLUMNS = ["a", "b", "metric", "diff_mean", "diff_lo", "diff_hi", "p_a_beats_b"]
#: Metrics compared between strategies, and whether higher is better.
COMPARED = {"customers": True, "segments_ignited": True, "cost_per_customer": False,
            "wom_share": True}
FLOAT_FORMAT = "%.10g"


def mean_interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of `x` (NaNs dropped) and its `level` confidence interval (Student t)."""
    from scipy.stats import t as student_t

    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if x.size < 2:
        return m, math.nan, math.nan
    half = float(student_t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return m, m - half, m + half


@dataclass
class Results:
    """Everything a run produced, as arrays; tables are derived from them.

    Attributes
    ----------
    scenario
        The scenario as run.
    new_by_cause
        ``int32[strategies, replicates, horizon, 3, S]``: new adopters per step by cause.
    spend
        ``float64[strategies, replicates, horizon, S]``.
    tam
        ``int64[S]``: TAM size per segment.
    graph
        Statistics of replicate 0's conversation graph.
    meta
        Timings and run settings (for the manifest).
    """

    scenario: Scenario
    new_by_cause: np.ndarray
    spend: np.ndarray
    tam: np.ndarray
    graph: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def strategies(self) -> list[str]:
        return [s.name for s in self.scenario.strategies]

    @property
    def segments(self) -> list[str]:
        return self.scenario.segment_names

    def adopters(self) -> np.ndarray:
        """``int64[strategies, replicates, horizon, S]``: cumulative adopters."""
        return np.cumsum(self.new_by_cause.sum(axis=3, dtype=np.int64), axis=2)

    def timeseries(self) -> pd.DataFrame:
        """One row per strategy × replicate × step × segment (DESIGN §6)."""
        n_st, n_rep, horizon, _, S = self.new_by_cause.shape
        idx = np.indices((n_st, n_rep, horizon, S)).reshape(4, -1)
        new = self.new_by_cause.transpose(0, 1, 2, 4, 3).reshape(-1, 3)
        return pd.DataFrame({
            "strategy": np.array(self.strategies, dtype=object)[idx[0]],
            "replicate": idx[1],
            "step": idx[2],
            "segment": np.array(self.segments, dtype=object)[idx[3]],
            "adopters": self.adopters().reshape(-1),
            "new_adopters": new.sum(axis=1),
            "new_by_seed": new[:, 0],
            "new_by_marketing": new[:, 1],
            "new_by_wom": new[:, 2],
            "spend": self.spend.reshape(-1),
        }, columns=TIMESERIES_COLUMNS)

    def per_replicate(self) -> pd.DataFrame:
        """Outcome metrics per strategy × replicate."""
        adopters = self.adopters()
        final = adopters[:, :, -1, :]
        customers = final.sum(axis=2)
        ignite_at = np.where(self.tam > 0, np.ceil(IGNITION_SHARE * self.tam), np.inf)
        ignited_now = adopters >= ignite_at
        segments_ignited = ignited_now[:, :, -1, :].sum(axis=2)
        any_ignited = ignited_now.any(axis=3)
        weeks = np.where(any_ignited.any(axis=2), any_ignited.argmax(axis=2), np.nan)
        spend = self.spend.sum(axis=(2, 3))
        wom = self.new_by_cause[:, :, :, 2, :].sum(axis=(2, 3))
        with np.errstate(divide="ignore", invalid="ignore"):
            cost = np.where(customers > 0, spend / np.maximum(customers, 1), np.nan)
            wom_share = np.where(customers > 0, wom / np.maximum(customers, 1), np.nan)
        n_st, n_rep = customers.shape
        return pd.DataFrame({
            "strategy": np.repeat(np.array(self.strategies, dtype=object), n_rep),
            "replicate": np.tile(np.arange(n_rep), n_st),
            "customers": customers.reshape(-1),
            "segments_ignited": segments_ignited.reshape(-1),
            "weeks_to_ignite": weeks.reshape(-1),
            "cost_per_customer": cost.reshape(-1),
            "wom_share": wom_share.reshape(-1),
            "spend": spend.reshape(-1),
        })

    def summary(self) -> pd.DataFrame:
        """One row per strategy: means over replicates with 95% intervals."""
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
                "weeks_to_ignite_mean": _nanmean(d.weeks_to_ignite),
                "cost_per_customer_mean": _nanmean(d.cost_per_customer),
                "wom_share_mean": _nanmean(d.wom_share),
                "replicates": len(d),
                "customers_sd": float(c.std(ddof=1)) if c.size > 1 else math.nan,
                "customers_p5": float(np.percentile(c, 5)),
                "customers_p95": float(np.percentile(c, 95)),
                "ignited_share": float(d.weeks_to_ignite.notna().mean()),
                "spend_mean": d.spend.mean(),
            })
        return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)

    def comparison(self) -> pd.DataFrame:
        """Paired differences (same replicate = same market) for every pair of strategies."""
        per = self.per_replicate()
        rows = []
        for a, b in itertools.combinations(self.strategies, 2):
            da = per[per.strategy == a].reset_index(drop=True)
            db = per[per.strategy == b].reset_index(drop=True)
            for metric, higher_better in COMPARED.items():
                d = (da[metric] - db[metric]).to_numpy(float)
                d = d[~np.isnan(d)]
                m, lo, hi = mean_interval(d)
                if d.size:
                    better = (d > 0) if higher_better else (d < 0)
                    p = float(better.mean() + 0.5 * (d == 0).mean())
                else:
                    p = math.nan
                rows.append({"a": a, "b": b, "metric": metric, "diff_mean": m,
                             "diff_lo": lo, "diff_hi": hi, "p_a_beats_b": p})
        return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _nanmean(s: pd.Series) -> float:
    x = s.to_numpy(float)
    return float(np.nanmean(x)) if np.any(~np.isnan(x)) else math.nan


def _csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def new_run_dir(root: Path, name: str, stamp: str) -> Path:
    """A run folder path under `root`/`name` that does not exist yet."""
    base = root / name / stamp
    path, i = base, 1
    while path.exists():
        i += 1
        path = base.with_name(f"{stamp}-{i}")
    return path


def write_run(results: Results, out: Path, *, plots: bool = True, fmt: str = "png") -> Path:
    """Write the run folder `out` atomically and return it (plots in format `fmt`).

    Raises
    ------
    WomError
        `out` already exists (an earlier run is never overwritten).
    """
    out = Path(out)
    if out.exists():
        raise WomError(f"{out}: already exists; choose another --out (runs are never overwritten)")
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(out.parent)
    tmp = out.parent / f".{out.name}{PARTIAL}{socket.gethostname()}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        (tmp / "scenario.yaml").write_text(results.scenario.to_yaml(), encoding="utf-8")
        _csv(results.timeseries(), tmp / "timeseries.csv")
        _csv(results.summary(), tmp / "summary.csv")
        _csv(results.comparison(), tmp / "comparison.csv")
        if plots:
            from wom import plots as plotting

            plotting.plot_run(results, tmp, fmt=fmt)
        manifest = {**results.meta, "graph": results.graph,
                    "files": sorted([*(p.name for p in tmp.iterdir()), "manifest.json",
                                     "report.html"])}
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )
        from wom.report import write_report

        write_report(tmp, command=results.meta.get("command"))
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


#: A run folder being written is the hidden sibling ``.NAME.partial-HOST-PID``.
PARTIAL = ".partial-"


def _partial_owner(path: Path) -> tuple[str, int] | None:
    """``(host, pid)`` of the run writing the hidden temporary `path` (None: not one)."""
    if not path.name.startswith(".") or PARTIAL not in path.name:
        return None
    host, _, pid = path.name.rsplit(PARTIAL, 1)[1].rpartition("-")
    return (host, int(pid)) if pid.isdigit() else ("", -1)


def _remove_stale_partials(folder: Path) -> None:
    """Delete the hidden temporaries of runs killed on this machine (their process is gone)."""
    host = socket.gethostname()
    for p in folder.glob(f".*{PARTIAL}*"):
        owner = _partial_owner(p)
        if owner is None or owner[0] != host or owner[1] <= 0 or owner[1] == os.getpid():
            continue
        try:
            os.kill(owner[1], 0)
        except ProcessLookupError:  # killed before it could clean up
            shutil.rmtree(p, ignore_errors=True)
        except OSError:  # alive, another user's: not ours to touch
            pass


@dataclass(frozen=True)
class RunFolder:
    """A run folder read back: the scenario and the tables."""

    path: Path
    scenario: Scenario
    timeseries: pd.DataFrame
    summary: pd.DataFrame
    comparison: pd.DataFrame
    manifest: dict[str, Any]


def read_run(path: Path | str) -> RunFolder:
    """Read a run folder written by :func:`write_run`."""
    path = Path(path)
    owner = _partial_owner(path)
    if owner is not None and owner != (socket.gethostname(), os.getpid()):  # (not the writer)
        raise WomError(f"{path}: the hidden temporary of a run that was interrupted before it "
                       "finished, not a run folder")
    needed = ["scenario.yaml", "timeseries.csv", "summary.csv", "comparison.csv", "manifest.json"]
    missing = [f for f in needed if not (path / f).is_file()]
    if missing:
        raise WomError(f"{path}: not a wom run folder (missing {', '.join(missing)})")
    sc = scenario_from_dict(
        yaml.safe_load((path / "scenario.yaml").read_text(encoding="utf-8")),
        file=path / "scenario.yaml",
    )
    return RunFolder(
        path=path,
        scenario=sc,
        # names stay text: a segment called 01 must not come back as the number 1
        timeseries=pd.read_csv(path / "timeseries.csv",
                               dtype={"strategy": str, "segment": str}),
        summary=pd.read_csv(path / "summary.csv", dtype={"strategy": str}),
        comparison=pd.read_csv(path / "comparison.csv", dtype={"a": str, "b": str}),
        manifest=json.loads((path / "manifest.json").read_text(encoding="utf-8")),
    )
