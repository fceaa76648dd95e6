"""Parameter sweeps (issue #6): every point a full scenario run, kept in SQLite, resumable.

Every point runs with the scenario's own seed, so replicate ``i`` of every point draws from
the same streams: common random numbers across strategies *and* across points. A point's
per-replicate rows and its ``done`` flag are written in one transaction, so an interrupted
sweep resumes (:func:`resume`) without recomputing any finished point, and gives the same
table as an uninterrupted one.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from wom.errors import WomError
from wom.results import mean_interval
from wom.runner import run
from wom.scenario import Scenario, scenario_from_dict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DB = "sweep.sqlite"
CSV = "sweep.csv"
DESIGNS = ("grid", "lhs")
METRICS = ["customers", "segments_ignited", "weeks_to_ignite", "cost_per_customer",
           "wom_share", "spend"]
#: Called with the number of points finished so far and the total.
SweepProgress = Callable[[int, int], None]

_PATH = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*|\*|\d+)(\.([A-Za-z_][A-Za-z0-9_]*|\*|\d+))*$")
Value = int | float | str


@dataclass(frozen=True)
class Vary:
    """One swept parameter: a dotted key path and its values (``range`` for ``lo:hi:n``)."""

    path: str
    values: tuple[Value, ...]
    range: tuple[float, float] | None = None
    integer: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "values": list(self.values),
                "range": None if self.range is None else list(self.range),
                "integer": self.integer}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Vary:
        rng = d.get("range")
        return cls(d["path"], tuple(d["values"]), None if rng is None else (rng[0], rng[1]),
                   bool(d.get("integer", False)))


def _scalar(text: str) -> Value:
    for kind in (int, float):
        try:
            return kind(text)  # type: ignore[no-any-return]
        except ValueError:
            pass
    return text


def parse_vary(text: str) -> Vary:
    """``path=lo:hi:n`` (n evenly spaced values) or ``path=a,b,c``.

    ``*`` in the path means every element of a list (``segments.*.references``). Integer
    bounds whose spaced values are all whole give integers.
    """
    def bad(why: str) -> WomError:
        return WomError(f"--vary {text!r}: {why}")

    if "=" not in text:
        raise bad("expected PATH=LO:HI:N or PATH=A,B,C")
    path, _, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    if not _PATH.match(path):
        raise bad(f"{path!r} is not a dotted key path (like network.mixing or "
                  "segments.*.references)")
    if not spec:
        raise bad("no values after '='")
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise bad("a range is LO:HI:N")
        try:
            lo, hi = float(parts[0]), float(parts[1])
            n = int(parts[2])
        except ValueError:
            raise bad("LO and HI must be numbers and N a whole number") from None
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise bad("LO and HI must be finite")
        if n < 1:
            raise bad("N must be at least 1")
        if n == 1 and lo != hi:
            raise bad("N = 1 needs LO = HI")
        if hi < lo:
            raise bad("HI is below LO")
        grid = np.linspace(lo, hi, n)
        ints = all(re.fullmatch(r"[+-]?\d+", p.strip()) for p in parts[:2])
        ints = ints and bool(np.all(grid == np.round(grid)))
        values: tuple[Value, ...] = (tuple(int(np.rint(v)) for v in grid) if ints
                                     else tuple(float(v) for v in grid))
        return Vary(path, values, (lo, hi), ints)
    items = [s.strip() for s in spec.split(",")]
    if any(not s for s in items):
        raise bad("empty value in the list")
    vals = tuple(_scalar(s) for s in items)
    if len(set(vals)) != len(vals):
        raise bad("a value is repeated")
    return Vary(path, vals)


def points(varies: Sequence[Vary], design: str = "grid", n: int | None = None,
           seed: int = 0) -> list[dict[str, Value]]:
    """The points of a sweep: the cartesian product (grid) or a Latin hypercube of `n`."""
    paths = [v.path for v in varies]
    if len(set(paths)) != len(paths):
        raise WomError("a parameter is varied twice")
    if not varies:
        raise WomError("nothing to vary")
    if design == "grid":
        return [dict(zip(paths, combo, strict=True))
                for combo in itertools.product(*(v.values for v in varies))]
    if design != "lhs":
        raise WomError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")
    if n is None or n < 1:
        raise WomError("a Latin hypercube design needs the number of points (n ≥ 1)")
    for v in varies:
        if v.range is None:
            raise WomError(f"--vary {v.path}: a Latin hypercube needs a numeric range LO:HI:N")
    rng = np.random.default_rng(seed)
    cols = []
    for v in varies:
        assert v.range is not None
        lo, hi = v.range
        u = (rng.permutation(n) + rng.random(n)) / n
        x = lo + u * (hi - lo)
        cols.append([int(np.rint(a)) for a in x] if v.integer else [float(a) for a in x])
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


def run_sweep(sc: Scenario, varies: Sequence[Vary], out_dir: Path | str, *,
              design: str = "grid", n: int | None = None, replicates: int | None = None,
              workers: int | None = 1, progress: SweepProgress | None = None) -> Path:
    """Run every point of a sweep into ``out_dir/sweep.sqlite``; returns `out_dir`."""
    out_dir = Path(out_dir)
    if (out_dir / DB).exists():
        raise WomError(f"{out_dir / DB} exists: resume it (wom sweep --resume {out_dir}) "
                       "or choose another folder")
    pts = points(varies, design, n, seed=sc.seed)
    for p in pts[:1]:
        apply(sc, p)  # fail before writing anything if the paths or values are wrong
    reps = replicates or sc.replicates
    out_dir.mkdir(parents=True, exist_ok=True)
    conn = _connect(out_dir)
    try:
        with conn:
            conn.executescript("BEGIN;" + _SCHEMA + "COMMIT;")
        with conn:
            meta = {"scenario": sc.to_yaml(),
                    "varies": json.dumps([v.to_json() for v in varies]),
                    "design": design, "n": json.dumps(n), "replicates": str(reps)}
            conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            conn.executemany("INSERT OR IGNORE INTO points (params_json) VALUES (?)",
                             [(json.dumps(p),) for p in pts])
        _run_pending(conn, sc, reps, workers, progress)
    finally:
        conn.close()
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
    finally:
        conn.close()
    sc = scenario_from_dict(yaml.safe_load(meta["scenario"]))
    varies = [Vary.from_json(d) for d in json.loads(meta["varies"])]
    return sc, varies, meta


def resume(out_dir: Path | str, *, workers: int | None = 1,
           progress: SweepProgress | None = None) -> Path:
    """Finish an interrupted sweep: points already done are not run again."""
    out_dir = Path(out_dir)
    sc, _, meta = read_meta(out_dir)
    conn = _connect(out_dir)
    try:
        _run_pending(conn, sc, int(meta["replicates"]), workers, progress)
    finally:
        conn.close()
    return out_dir


def _none_if_nan(x: Any) -> Any:
    x = float(x)
    return None if math.isnan(x) else x


def _run_pending(conn: sqlite3.Connection, sc: Scenario, replicates: int,
                 workers: int | None, progress: SweepProgress | None) -> None:
    total = conn.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    done = conn.execute("SELECT COUNT(*) FROM points WHERE done = 1").fetchone()[0]
    pending = conn.execute("SELECT id, params_json FROM points WHERE done = 0 ORDER BY id")
    for point_id, params in pending.fetchall():
        res = run(apply(sc, json.loads(params)), replicates=replicates, workers=workers)
        per = res.per_replicate()
        rows = [(point_id, str(r.strategy), int(r.replicate),
                 *(_none_if_nan(getattr(r, m)) for m in METRICS))
                for r in per.itertuples(index=False)]
        with conn:  # one transaction: the rows and the done flag, or neither
            conn.execute("DELETE FROM results WHERE point_id = ?", (point_id,))
            conn.executemany(f"INSERT INTO results VALUES (?, ?, ?{', ?' * len(METRICS)})",
                             rows)
            conn.execute("UPDATE points SET done = 1 WHERE id = ?", (point_id,))
        done += 1
        if progress is not None:
            progress(done, total)


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
    pd.DataFrame(rows, columns=cols).to_csv(path, index=False, float_format="%.10g")
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


def phase_figure(out_dir: Path | str, a: str, b: str, metric: str = "customers") -> Figure:
    """Paired advantage of strategy `a` over `b` across the sweep.

    Two varied parameters: a heatmap (diverging, centred at 0) with an "×" on cells whose
    95% interval crosses zero. One parameter: a line with its interval band and a zero line.
    """
    from matplotlib.colors import TwoSlopeNorm

    from wom.plots import _figure

    _, varies, _ = read_meta(out_dir)
    tab = paired(out_dir, a, b, metric)
    title = f"{a} − {b} {metric}"
    fig = _figure()
    ax = fig.add_subplot()
    if len(varies) == 1:
        p = varies[0].path
        t = tab.sort_values(p)
        x = t[p].to_numpy(float)
        ax.fill_between(x, t.diff_lo.to_numpy(float), t.diff_hi.to_numpy(float), alpha=0.3,
                        color="#0072B2", label="95% interval")
        ax.plot(x, t.diff_mean.to_numpy(float), color="#0072B2", marker="o", label="mean")
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel(p)
        ax.set_ylabel(f"{a} − {b} ({metric})")
        ax.grid(alpha=0.3)
        ax.legend()
    elif len(varies) == 2:
        px, py = varies[0].path, varies[1].path
        xs, ys = sorted(tab[px].unique()), sorted(tab[py].unique())
        z = np.full((len(ys), len(xs)), np.nan)
        for r in tab.itertuples(index=False):
            i, j = ys.index(r[1]), xs.index(r[0])
            z[i, j] = r.diff_mean
        span = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
        span = span or 1.0
        im = ax.imshow(z, origin="lower", aspect="auto", cmap="RdBu",
                       norm=TwoSlopeNorm(0.0, -span, span))
        for r in tab.itertuples(index=False):
            if crosses_zero(r.diff_lo, r.diff_hi):
                ax.text(xs.index(r[0]), ys.index(r[1]), "×", ha="center", va="center",
                        color="black", fontsize=12)
        ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
        ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
        ax.set_xlabel(px)
        ax.set_ylabel(py)
        fig.colorbar(im, ax=ax, label=f"{a} − {b} ({metric}); × : 95% interval holds 0")
    else:
        raise WomError(f"a phase figure needs one or two varied parameters, "
                       f"the sweep has {len(varies)}")
    ax.set_title(title)
    return fig
