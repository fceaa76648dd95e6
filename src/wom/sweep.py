"""Parameter sweeps: every point a full scenario run, kept in SQLite, resumable.

Every point runs with the scenario's own seed, so replicate ``i`` of every point draws from
the same streams: common random numbers across strategies *and* across points. A point's
per-replicate rows and its ``done`` flag are written in one transaction, so an interrupted
sweep resumes (:func:`resume`) without recomputing any finished point, and gives the same
table as an uninterrupted one. The store itself appears whole or not at all: it is built
under a temporary name and renamed.

Points run in local processes (replicates of a point spread over ``workers``) or, given
``scheduler="tcp://host:port"`` (or a ``distributed.Client``), as tasks on a Dask cluster,
one point per task; a point's numbers depend only on the scenario, the point and the seed,
so both give the same rows.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from wom.errors import WomError
from wom.results import mean_interval
from wom.runner import _context, default_workers, run
from wom.scenario import Scenario, scenario_from_dict
from wom.vary import Value, Vary, make_vary, parse_vary, representatives

__all__ = ["CSV", "DB", "DESIGNS", "METRICS", "Value", "Vary", "apply", "crosses_zero",
           "executor", "export_csv", "make_vary", "paired", "parse_vary", "phase_figure", "points",
           "read_meta", "read_results", "resume", "run_sweep"]

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DB = "sweep.sqlite"
CSV = "sweep.csv"
DESIGNS = ("grid", "lhs")
#: Most points a sweep may have (a typo such as 0:1:5000 twice must not fill the memory).
MAX_POINTS = 1_000_000
METRICS = ["customers", "segments_ignited", "weeks_to_ignite", "cost_per_customer",
           "wom_share", "spend"]
#: Called with the number of points finished so far and the total.
SweepProgress = Callable[[int, int], None]

def points(varies: Sequence[Vary], design: str = "grid", n: int | None = None,
           seed: int = 0) -> list[dict[str, Value]]:
    """The points of a sweep: the cartesian product (grid) or a Latin hypercube of `n`."""
    paths = [v.path for v in varies]
    if len(set(paths)) != len(paths):
        raise WomError("a parameter is varied twice")
    if not varies:
        raise WomError("nothing to vary")
    if design == "grid":
        size = math.prod(len(v.values) for v in varies)
        if size > MAX_POINTS:
            raise WomError(f"the grid has {size:,} points ("
                           + " × ".join(str(len(v.values)) for v in varies)
                           + f"); the limit is {MAX_POINTS:,}: fewer values, or a Latin "
                           "hypercube (design lhs) of fewer points")
        return [dict(zip(paths, combo, strict=True))
                for combo in itertools.product(*(v.values for v in varies))]
    if design != "lhs":
        raise WomError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")
    if n is None or n < 1 or n > MAX_POINTS:
        raise WomError(f"a Latin hypercube design needs its number of points, 1 to "
                       f"{MAX_POINTS:,}")
    for v in varies:
        if v.range is None:
            raise WomError(f"{v.path}: a Latin hypercube needs a numeric range LO:HI:N, not "
                           "a list of values")
    rng = np.random.default_rng(seed)
    cols: list[list[Value]] = []
    for v in varies:
        assert v.range is not None
        lo, hi = v.range
        u = (rng.permutation(n) + rng.random(n)) / n
        if v.integer:  # every whole number of [lo, hi] equally likely (not rounding, which
            # would give the two ends half the weight of the others)
            cols.append([min(int(np.floor(lo + a * (hi - lo + 1))), int(hi)) for a in u])
        else:
            cols.append([float(lo + a * (hi - lo)) for a in u])
    return [dict(zip(paths, row, strict=True)) for row in zip(*cols, strict=True)]


def _set(node: Any, keys: list[str], value: Any, path: str) -> None:
    key, rest = keys[0], keys[1:]
    if key == "*":
        if not isinstance(node, list):
            raise WomError(f"{path}: '*' needs a list here")
        targets = list(range(len(node)))
    elif isinstance(node, list):
        if not key.isdigit() or int(key) >= len(node):
            raise WomError(f"{path}: {key!r} is not an index of a list of {len(node)}")
        targets = [int(key)]
    elif isinstance(node, dict):
        if rest and key not in node:
            raise WomError(f"{path}: the scenario has no key {key!r}")
        targets = [key]  # type: ignore[list-item]
    else:
        raise WomError(f"{path}: cannot go inside a {type(node).__name__}")
    for t in targets:
        if rest:
            if node[t] is None:
                raise WomError(f"{path}: {t!r} is not set in the scenario")
            _set(node[t], rest, value, path)
        else:
            node[t] = value


def apply(sc: Scenario, point: dict[str, Value]) -> Scenario:
    """A copy of `sc` with the point's values set (validated: errors name the key)."""
    data = copy.deepcopy(sc.model_dump(mode="json"))
    data.pop("sweep", None)  # a point is one run, not a sweep
    for path, value in point.items():
        _set(data, path.split("."), value, path)
    return scenario_from_dict(data)


def _connect(out_dir: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(out_dir / DB)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE points (id INTEGER PRIMARY KEY, params_json TEXT NOT NULL UNIQUE,
                     done INTEGER NOT NULL DEFAULT 0);
CREATE TABLE results (point_id INTEGER NOT NULL REFERENCES points(id), strategy TEXT NOT NULL,
                      replicate INTEGER NOT NULL, customers REAL, segments_ignited REAL,
                      weeks_to_ignite REAL, cost_per_customer REAL, wom_share REAL, spend REAL,
                      PRIMARY KEY (point_id, strategy, replicate));
"""


Scheduler = Any  # "tcp://host:port" or a distributed.Client


def run_sweep(sc: Scenario, varies: Sequence[Vary], out_dir: Path | str, *,
              design: str = "grid", n: int | None = None, replicates: int | None = None,
              workers: int | None = 1, scheduler: Scheduler | None = None,
              progress: SweepProgress | None = None) -> Path:
    """Run every point of a sweep into ``out_dir/sweep.sqlite``; returns `out_dir`.

    `scheduler` (``"tcp://host:port"`` or a ``distributed.Client``) runs the points on a Dask
    cluster instead of local processes; the stored rows are the same.
    """
    pts = points(varies, design, n, seed=sc.seed)
    return start(out_dir, sc, pts, varies, replicates or sc.replicates,
                 {"design": design, "n": json.dumps(n)},
                 workers=workers, scheduler=scheduler, progress=progress)


def start(out_dir: Path | str, sc: Scenario, pts: Sequence[dict[str, Value]],
          varies: Sequence[Vary], replicates: int, meta: dict[str, str], *,
          workers: int | None, scheduler: Scheduler | None,
          progress: SweepProgress | None) -> Path:
    """Check every point, reach the cluster (if any), create the store, run it: nothing is
    written until the points are known to be valid and the cluster reachable."""
    check_points(sc, pts, replicates, None if scheduler is not None
                 else max(1, workers or default_workers()))
    with executor(scheduler) as client:
        create_store(out_dir, sc, pts, {"varies": json.dumps([v.to_json() for v in varies]),
                                        "replicates": str(replicates), **meta})
        return resume(out_dir, workers=workers, scheduler=client, progress=progress)


@contextmanager
def executor(scheduler: Scheduler | None) -> Iterator[Scheduler | None]:
    """``None`` (local processes) or a connected Dask client whose workers run this wom."""
    if scheduler is None:
        yield None
        return
    from wom.cluster import client_for

    with client_for(scheduler) as client:
        yield client


#: Sweeps up to this many points have every point validated before anything runs; bigger
#: ones have each parameter's every list value and each range's ends validated.
FULL_CHECK = 20_000


def describe_point(point: dict[str, Value]) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items())


def _point_error(point: dict[str, Value], err: WomError) -> WomError:
    # A point's scenario has no file: "<scenario>: " would only add noise.
    return WomError(f"sweep point {describe_point(point)}: "
                    + str(err).replace("<scenario>: ", ""))


def check_points(sc: Scenario, pts: Sequence[dict[str, Value]], replicates: int,
                 workers: int | None) -> None:
    """Refuse, before anything is written or run, a sweep with a point that is not a valid
    scenario or that would need more memory than this machine has (`workers` points or
    replicates at once; ``None``: the points run elsewhere, on a cluster)."""
    from wom.memory import available_memory, check_memory

    if len(pts) <= FULL_CHECK:
        todo = list(pts)
    else:
        todo = [{key: v} for key in pts[0]
                for v in representatives([p[key] for p in pts], limit=0)]
    have = available_memory()  # once: the points are checked against the same machine
    for point in todo:
        try:
            point_sc = apply(sc, point)
            if workers is not None:
                check_memory(point_sc, replicates=replicates, workers=workers,
                             available=have)
        except WomError as err:
            raise _point_error(point, err) from None


def create_store(out_dir: Path | str, sc: Scenario, pts: Sequence[dict[str, Value]],
                 meta: dict[str, str]) -> Path:
    """A new ``sweep.sqlite`` holding the scenario, the points (none done) and `meta`.

    Refuses an existing store. Built under a temporary name and renamed, so a store on disk
    always has its meta and every point: a kill during set-up leaves no store at all.
    """
    out_dir = Path(out_dir)
    if (out_dir / DB).exists():
        raise WomError(f"{out_dir / DB} exists: resume it (wom sweep --resume {out_dir}) "
                       "or choose another folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise WomError(f"{out_dir}: cannot create the sweep folder: {err}") from None
    tmp = out_dir / f".{DB}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        with conn:
            conn.executescript("BEGIN;" + _SCHEMA + "COMMIT;")
        with conn:
            conn.executemany("INSERT INTO meta VALUES (?, ?)",
                             {"scenario": sc.to_yaml(), **meta}.items())
            conn.executemany("INSERT OR IGNORE INTO points (params_json) VALUES (?)",
                             [(json.dumps(p),) for p in pts])
    finally:
        conn.close()
    os.replace(tmp, out_dir / DB)
    return out_dir


def _meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def read_meta(out_dir: Path | str) -> tuple[Scenario, list[Vary], dict[str, str]]:
    """The sweep's scenario, its varied parameters and the raw meta table."""
    path = Path(out_dir) / DB
    if not path.exists():
        raise WomError(f"{out_dir} holds no sweep ({DB} is missing)")
    conn = sqlite3.connect(path)
    try:
        meta = _meta(conn)
        sc = scenario_from_dict(yaml.safe_load(meta["scenario"]))
        varies = [Vary.from_json(d) for d in json.loads(meta["varies"])]
    except (sqlite3.DatabaseError, KeyError, ValueError, TypeError) as err:
        raise WomError(f"{path} is not a wom sweep store ({err})") from None
    finally:
        conn.close()
    return sc, varies, meta


def resume(out_dir: Path | str, *, workers: int | None = 1,
           scheduler: Scheduler | None = None, progress: SweepProgress | None = None) -> Path:
    """Run the points of a sweep not yet done (all of them for a new one); finished points
    are not run again."""
    out_dir = Path(out_dir)
    sc, _, meta = read_meta(out_dir)
    conn = _connect(out_dir)
    try:
        with executor(scheduler) as client:
            _run_pending(conn, sc, int(meta["replicates"]), workers, client, progress)
    finally:
        conn.close()
    return out_dir


def _none_if_nan(x: Any) -> Any:
    x = float(x)
    return None if math.isnan(x) else x


Rows = list[tuple[Any, ...]]


def point_rows(sc: Scenario, point: dict[str, Value], replicates: int,
               workers: int | None = 1) -> Rows:
    """One point's per-replicate rows: ``(strategy, replicate, *METRICS)``.

    Depends only on the scenario, the point and the seed: a Dask worker computes the same
    rows as a local process.
    """
    try:
        res = run(apply(sc, point), replicates=replicates, workers=workers)
    except WomError as err:
        raise _point_error(point, err) from None
    return [(str(r.strategy), int(r.replicate), *(_none_if_nan(getattr(r, m)) for m in METRICS))
            for r in res.per_replicate().itertuples(index=False)]


def _store(conn: sqlite3.Connection, point_id: int, rows: Rows) -> None:
    with conn:  # one transaction: the rows and the done flag, or neither
        conn.execute("DELETE FROM results WHERE point_id = ?", (point_id,))
        conn.executemany(f"INSERT INTO results VALUES (?, ?, ?{', ?' * len(METRICS)})",
                         [(point_id, *r) for r in rows])
        conn.execute("UPDATE points SET done = 1 WHERE id = ?", (point_id,))


def _run_pending(conn: sqlite3.Connection, sc: Scenario, replicates: int,
                 workers: int | None, scheduler: Scheduler | None,
                 progress: SweepProgress | None) -> None:
    total = conn.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    done = conn.execute("SELECT COUNT(*) FROM points WHERE done = 1").fetchone()[0]
    pending = [(pid, json.loads(params)) for pid, params in conn.execute(
        "SELECT id, params_json FROM points WHERE done = 0 ORDER BY id").fetchall()]
    if progress is not None:
        progress(done, total)
    if scheduler is not None:
        from wom.cluster import as_completed_points

        finished = as_completed_points(scheduler, sc, pending, replicates)
    else:
        finished = _local_points(sc, pending, replicates, workers)
    for point_id, rows in finished:
        _store(conn, point_id, rows)
        done += 1
        if progress is not None:
            progress(done, total)


def _local_points(sc: Scenario, pending: Sequence[tuple[int, dict[str, Value]]],
                  replicates: int, workers: int | None) -> Iterator[tuple[int, Rows]]:
    """Points in local processes: with several workers and points, each worker runs whole
    points (one pool for the sweep, no start-up per point); a single point spreads its
    replicates over the workers instead."""
    workers = max(1, workers or default_workers())
    if workers == 1 or len(pending) <= 1:
        for point_id, params in pending:
            yield point_id, point_rows(sc, params, replicates, workers)
        return
    with ProcessPoolExecutor(workers, mp_context=_context()) as pool:
        futures = {pool.submit(point_rows, sc, params, replicates, 1): point_id
                   for point_id, params in pending}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            for fut in futures:
                fut.cancel()


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
    """Write ``sweep.csv``: one row per point × strategy, with the mean and 95% interval of
    `metric` and the paired advantage (this strategy − the first strategy)."""
    sc, varies, _ = read_meta(out_dir)
    per = read_results(out_dir)
    names = [v.path for v in varies]
    base = sc.strategies[0].name
    rows = []
    for _pid, d in per.groupby("point_id", sort=True):
        ref = d[d.strategy == base].set_index("replicate")[metric]
        for s in [x.name for x in sc.strategies]:
            ds = d[d.strategy == s].set_index("replicate")[metric]
            m, lo, hi = mean_interval(ds.to_numpy(float))
            if s == base:
                dm = dlo = dhi = math.nan
            else:
                dm, dlo, dhi = mean_interval((ds - ref).to_numpy(float))
            rows.append({**{k: d[k].iloc[0] for k in names}, "strategy": s,
                         f"{metric}_mean": m, f"{metric}_lo": lo, f"{metric}_hi": hi,
                         "vs": base, "diff_mean": dm, "diff_lo": dlo, "diff_hi": dhi})
    cols = [*names, "strategy", f"{metric}_mean", f"{metric}_lo", f"{metric}_hi", "vs",
            "diff_mean", "diff_lo", "diff_hi"]
    path = Path(out_dir) / CSV
    tmp = path.with_name(f".{CSV}.tmp")
    pd.DataFrame(rows, columns=cols).to_csv(tmp, index=False, float_format="%.10g")
    tmp.replace(path)  # an earlier good file is never left half-rewritten
    return path


def paired(out_dir: Path | str, a: str, b: str, metric: str = "customers") -> pd.DataFrame:
    """Per point: mean and 95% interval of the paired difference `a` − `b` of `metric`."""
    sc, varies, _ = read_meta(out_dir)
    for s in (a, b):
        sc.strategy(s)  # raises naming the strategies that exist
    if metric not in METRICS:
        raise WomError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
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


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _label(v: Any) -> str:
    return f"{v:g}" if _numeric([v]) else str(v)


def _axis_values(vary: Vary, column: pd.Series) -> list[Any]:
    """A grid axis: numbers in increasing order, text values in the order given."""
    seen = list(dict.fromkeys(column))
    return sorted(seen) if _numeric(seen) else [v for v in vary.values if v in seen]


def _span(z: np.ndarray) -> float:
    """Half-width of a colour scale centred at 0 that holds every finite value."""
    span = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    return span or 1.0


def _diverging_legend(fig: Figure, ax: Any, mappable: Any, label: str, a: str, b: str) -> None:
    fig.colorbar(mappable, ax=ax, label=label)
    ax.annotate(f"blue: {a} wins · red: {b} wins · ×: the 95% interval holds 0",
                (0.0, -0.13), xycoords="axes fraction", fontsize=9, va="top")


def phase_figure(out_dir: Path | str, a: str, b: str, metric: str = "customers") -> Figure:
    """Paired advantage of strategy `a` over `b` across the sweep.

    Two varied parameters: a heatmap (diverging, centred at 0) with an "×" on cells whose
    95% interval crosses zero. One parameter: a line with its interval band and a zero line.
    """
    from matplotlib.colors import TwoSlopeNorm

    from wom.plots import _figure

    sc, varies, meta = read_meta(out_dir)
    tab = paired(out_dir, a, b, metric)
    n_points = len(tab)
    title = (f"{sc.name}: {a} − {b} {metric} at {n_points} points "
             f"({meta['replicates']} paired replicates each)")
    fig = _figure()
    ax = fig.add_subplot()
    if len(varies) == 1:
        p = varies[0].path
        numeric = _numeric(varies[0].values)
        t = tab.sort_values(p) if numeric else tab
        x = (t[p].to_numpy(float) if numeric
             else np.array([list(varies[0].values).index(v) for v in t[p]], dtype=float))
        if not numeric:
            ax.set_xticks(range(len(varies[0].values)), [_label(v) for v in varies[0].values])
        ax.fill_between(x, t.diff_lo.to_numpy(float), t.diff_hi.to_numpy(float), alpha=0.3,
                        color="#0072B2", label="95% interval")
        ax.plot(x, t.diff_mean.to_numpy(float), color="#0072B2", marker="o", label="mean")
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel(p)
        ax.set_ylabel(f"{a} − {b} ({metric})")
        ax.grid(alpha=0.3)
        ax.legend()
    elif len(varies) == 2 and meta.get("design") == "lhs":
        # scattered points: one marker each, crossed out where the interval holds 0
        px, py = varies[0].path, varies[1].path
        z = tab.diff_mean.to_numpy(float)
        span = _span(z)
        im: Any = ax.scatter(tab[px].to_numpy(float), tab[py].to_numpy(float), c=z, s=120,
                        cmap="RdBu", norm=TwoSlopeNorm(0.0, -span, span), edgecolors="grey")
        unsure = [crosses_zero(lo, hi) for lo, hi in zip(tab.diff_lo, tab.diff_hi,
                                                         strict=True)]
        ax.scatter(tab[px][unsure].to_numpy(float), tab[py][unsure].to_numpy(float),
                   marker="x", color="black", s=40)
        ax.set_xlabel(px)
        ax.set_ylabel(py)
        ax.grid(alpha=0.3)
        _diverging_legend(fig, ax, im, f"{a} − {b} ({metric})", a, b)
    elif len(varies) == 2:
        px, py = varies[0].path, varies[1].path
        xs, ys = (_axis_values(varies[0], tab[px]), _axis_values(varies[1], tab[py]))
        z = np.full((len(ys), len(xs)), np.nan)
        for r in tab.itertuples(index=False):
            i, j = ys.index(r[1]), xs.index(r[0])
            z[i, j] = r.diff_mean
        span = _span(z)
        im = ax.imshow(z, origin="lower", aspect="auto", cmap="RdBu",
                       norm=TwoSlopeNorm(0.0, -span, span))
        for r in tab.itertuples(index=False):
            x, y = xs.index(r[0]), ys.index(r[1])
            if crosses_zero(r.diff_lo, r.diff_hi):
                ax.text(x, y, "×", ha="center", va="center", color="black", fontsize=12)
            elif len(tab) <= 60 and math.isfinite(r.diff_mean):  # the number, when it fits
                dark = abs(r.diff_mean) > 0.6 * span
                ax.text(x, y, f"{r.diff_mean:+,.3g}", ha="center", va="center", fontsize=9,
                        color="white" if dark else "black")
        ax.set_xticks(range(len(xs)), [_label(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
        ax.set_xlabel(px)
        ax.set_ylabel(py)
        _diverging_legend(fig, ax, im, f"{a} − {b} ({metric})", a, b)
    else:
        raise WomError(f"a phase figure needs one or two varied parameters, "
                       f"the sweep has {len(varies)}")
    ax.set_title(title)
    return fig
