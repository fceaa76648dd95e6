"""Parameter sweeps: every point a full scenario run, kept in SQLite, resumable.

Every point runs with the scenario's own seed, so replicate ``i`` of every point draws from
the same streams: common random numbers across strategies *and* across points. A point's
per-replicate rows (every metric of :data:`wom.config.METRICS`) and its ``done`` flag are
written in one transaction, so an interrupted sweep resumes (:func:`resume`) without
recomputing any finished point, and gives the same table as an uninterrupted one. The store
itself appears whole or not at all: it is built under a temporary name and renamed.

Points run in local processes (replicates of a point spread over ``workers``) or, given
``scheduler="tcp://host:port"`` (or a ``distributed.Client``), as tasks on a Dask cluster,
one point per task (:mod:`wom.experiment.cluster`); a point's numbers depend only on the
scenario, the point and the seed, so both give the same rows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from wom.config import METRIC_NAMES, Scenario, apply, scenario_from_dict
from wom.config.keys import Value, Vary, representatives
from wom.errors import WomError
from wom.experiment.cluster import as_completed_points, client_for
from wom.experiment.design import Rows, point_error, point_rows, points
from wom.experiment.memory import available_memory, check_memory
from wom.experiment.pool import worker_pool
from wom.experiment.runner import check_inputs, default_workers, input_digests
from wom.store import (
    fresh_names,
    hidden_twin,
    missing_folders,
    remove_empty,
    remove_stale_partials,
    rename_noreplace,
)

DB = "sweep.sqlite"
CSV = "sweep.csv"
#: Called with the number of points finished so far and the total.
SweepProgress = Callable[[int, int], None]


def _connect(out_dir: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(out_dir / DB)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn



_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE points (id INTEGER PRIMARY KEY, params_json TEXT NOT NULL UNIQUE,
                     done INTEGER NOT NULL DEFAULT 0);
CREATE TABLE results (point_id INTEGER NOT NULL REFERENCES points(id), strategy TEXT NOT NULL,
                      replicate INTEGER NOT NULL, {", ".join(f"{m} REAL" for m in METRIC_NAMES)},
                      PRIMARY KEY (point_id, strategy, replicate));
"""


Scheduler = Any  # "tcp://host:port" or a distributed.Client


def run_sweep(sc: Scenario, varies: Sequence[Vary], out_dir: Path | str, *,
              design: str = "grid", n: int | None = None, replicates: int | None = None,
              workers: int | None = 1, scheduler: Scheduler | None = None,
              progress: SweepProgress | None = None, fresh: bool = False,
              claimed: Callable[[Path], None] | None = None,
              metric: str | None = None) -> Path:
    """Run every point of a sweep into ``out_dir/sweep.sqlite``; returns the folder
    (`claimed` is told it as soon as the store is created: a stopped sweep resumes there;
    `metric`: the one its table compares, kept with it for ``--resume``).

    `scheduler` (``"tcp://host:port"`` or a ``distributed.Client``) runs the points on a Dask
    cluster instead of local processes; the stored rows are the same. `fresh`: `out_dir` is
    a name chosen for the user (a timestamp); if it is taken the sweep goes to ``out_dir-2``…
    """
    pts = points(varies, design, n, seed=sc.seed)
    return start(out_dir, sc, pts, varies, replicates or sc.replicates,
                 {"design": design, "n": json.dumps(n),
                  **({"metric": metric} if metric else {})},
                 workers=workers, scheduler=scheduler, progress=progress, fresh=fresh,
                 claimed=claimed)


def start(out_dir: Path | str, sc: Scenario, pts: Sequence[dict[str, Value]],
          varies: Sequence[Vary], replicates: int, meta: dict[str, str], *,
          workers: int | None, scheduler: Scheduler | None,
          progress: SweepProgress | None, fresh: bool = False,
          claimed: Callable[[Path], None] | None = None) -> Path:
    """Check every point, reach the cluster (if any), create the store, run it: nothing is
    written until the points are known to be valid and the cluster reachable."""
    sc.require_strategies("sweep")
    check_points(sc, pts, replicates, None if scheduler is not None
                 else max(1, workers or default_workers()))
    with executor(scheduler) as client:
        out_dir = create_store(out_dir, sc, pts,
                               {"varies": json.dumps([v.to_json() for v in varies]),
                                "replicates": str(replicates),
                                "inputs": json.dumps(sweep_inputs(sc, pts)), **meta},
                               fresh=fresh)
        if claimed is not None:
            claimed(out_dir)
        return resume(out_dir, workers=workers, scheduler=client, progress=progress)


@contextmanager
def executor(scheduler: Scheduler | None) -> Iterator[Scheduler | None]:
    """``None`` (local processes) or a connected Dask client whose workers run this wom."""
    if scheduler is None:
        yield None
        return
    with client_for(scheduler) as client:
        yield client


#: Sweeps up to this many points have every point validated before anything runs; bigger
#: ones have each parameter's every list value and each range's ends validated.
FULL_CHECK = 20_000



def check_points(sc: Scenario, pts: Sequence[dict[str, Value]], replicates: int,
                 workers: int | None) -> None:
    """Refuse, before anything is written or run, a sweep with a point that is not a valid
    scenario or that would need more memory than this machine has (`workers` points or
    replicates at once; ``None``: the points run elsewhere, on a cluster)."""
    if len(pts) <= FULL_CHECK:
        todo = list(pts)
    else:
        todo = [{key: v} for key in pts[0]
                for v in representatives([p[key] for p in pts], limit=0)]
    have = available_memory()  # once: the points are checked against the same machine
    for point in todo:
        try:
            point_sc = apply(sc, point, keep_uncertainty=True)
            if workers is not None:
                check_memory(point_sc, replicates=replicates, workers=workers,
                             available=have)
        except WomError as err:
            raise point_error(point, err) from None


def sweep_inputs(sc: Scenario, pts: Sequence[dict[str, Value]]) -> dict[str, str]:
    """``{file: sha256}`` of the files every point reads (the graph files and labels)."""
    digests = input_digests(sc)
    if any(key.startswith("network.file") for p in pts for key in p):
        for point in pts:
            digests.update(input_digests(apply(sc, point, keep_uncertainty=True)))
    return digests


def create_store(out_dir: Path | str, sc: Scenario, pts: Sequence[dict[str, Value]],
                 meta: dict[str, str], *, fresh: bool = False) -> Path:
    """A new ``sweep.sqlite`` holding the scenario, the points (none done) and `meta`, in
    `out_dir`; returns the folder.

    Refuses an existing store, even one another sweep creates at the same moment: the store
    is built under a temporary name and linked into place only if the name is free, so a
    store on disk always has its meta and every point (a kill during set-up leaves none), and
    two sweeps never share one. `fresh`: `out_dir` is a name wom chose (a timestamp): the
    folder is created exclusively, at the next free name (``-2``, …) if it is taken.
    """
    out_dir = Path(out_dir)
    if (out_dir / DB).exists() and not fresh:
        raise WomError(f"{out_dir / DB} exists: resume it (wom sweep --resume {out_dir}) "
                       "or choose another folder")
    # the folders made for the store, removed again if it cannot be written
    made = missing_folders(out_dir.parent if fresh else out_dir)
    try:
        if fresh:
            out_dir = claim_folder(out_dir)  # (this sweep's own, made here)
            made.insert(0, out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise WomError(f"{out_dir}: cannot create the sweep folder: {err}") from None
    remove_stale_partials(out_dir)  # (stores of sweeps killed while creating them)
    tmp = hidden_twin(out_dir / DB, str(threading.get_ident()))
    tmp.unlink(missing_ok=True)
    written = False
    try:
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
        rename_noreplace(tmp, out_dir / DB)  # fails if the name is taken
        written = True
    except FileExistsError:
        raise WomError(f"{out_dir / DB}: another sweep created it first; choose another "
                       "folder") from None
    except (OSError, sqlite3.Error) as err:
        raise WomError(f"{out_dir / DB}: cannot write the sweep store: {err}") from None
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}-journal").unlink(missing_ok=True)
        if not written:
            remove_empty(made)
    return out_dir


def claim_folder(path: Path) -> Path:
    """Create `path` (or ``path-2``, ``path-3``, … if taken) exclusively and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return next(p for p in fresh_names(path) if _made(p))


def _made(path: Path) -> bool:
    """Whether this call created `path` (``False``: it existed)."""
    try:
        path.mkdir()
    except FileExistsError:
        return False
    return True


def _meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def read_meta(out_dir: Path | str) -> tuple[Scenario, list[Vary], dict[str, str]]:
    """The sweep's scenario, its varied parameters and the raw meta table.

    The files the sweep was started on (its graph files) must be unchanged: the scenario is
    read from them, and a resumed sweep on an edited graph would mix two markets."""
    path = Path(out_dir) / DB
    if not path.exists():
        raise WomError(f"{out_dir} holds no sweep ({DB} is missing)")
    conn = sqlite3.connect(path)
    try:
        meta = _meta(conn)
        if "inputs" in meta:  # (stores made before wom recorded them have none)
            check_inputs(dict(json.loads(meta["inputs"])), f"the sweep in {out_dir}")
        sc = scenario_from_dict(yaml.safe_load(meta["scenario"]))
        varies = [Vary.from_json(d) for d in json.loads(meta["varies"])]
        columns = [row[1] for row in conn.execute("PRAGMA table_info(results)")]
    except (sqlite3.DatabaseError, KeyError, ValueError, TypeError) as err:
        raise WomError(f"{path} is not a wom sweep store ({err})") from None
    finally:
        conn.close()
    if columns[3:] != list(METRIC_NAMES):
        raise WomError(f"{path} was made by another version of wom (its metrics: "
                       f"{', '.join(columns[3:])}; this wom's: {', '.join(METRIC_NAMES)}): "
                       "read it with that version, or run the sweep again")
    return sc, varies, meta


def resume(out_dir: Path | str, *, workers: int | None = 1,
           scheduler: Scheduler | None = None, progress: SweepProgress | None = None) -> Path:
    """Run the points of a sweep not yet done (all of them for a new one); finished points
    are not run again."""
    out_dir = Path(out_dir)
    sc, _, meta = read_meta(out_dir)
    conn = _writable(out_dir)
    try:
        with executor(scheduler) as client:
            _run_pending(conn, sc, int(meta["replicates"]), workers, client, progress)
    except sqlite3.Error as err:  # a full disk, a file size limit, …
        raise WomError(f"{out_dir / DB}: cannot store a finished point ({err}); the points "
                       f"stored before are kept: make room, then wom sweep --resume "
                       f"{out_dir}") from None
    finally:
        conn.close()
    return out_dir


def _writable(out_dir: Path) -> sqlite3.Connection:
    """The store, checked before any point is computed: undamaged and writable."""
    path = out_dir / DB
    try:
        conn = _connect(out_dir)
    except sqlite3.Error as err:
        raise WomError(f"{path}: cannot open the sweep store ({err})") from None
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise WomError(f"{path} is damaged ({check}): run the sweep again into a new "
                           "folder")
        # a write that changes nothing, undone: fails where the store cannot be written
        conn.execute("UPDATE meta SET value = value WHERE key = 'replicates'")
        conn.rollback()
    except sqlite3.Error as err:
        conn.close()
        raise WomError(f"{path}: cannot write the sweep store ({err})") from None
    except WomError:
        conn.close()
        raise
    return conn


def _store(conn: sqlite3.Connection, point_id: int, rows: Rows) -> None:
    with conn:  # one transaction: the rows and the done flag, or neither
        conn.execute("DELETE FROM results WHERE point_id = ?", (point_id,))
        conn.executemany(f"INSERT INTO results VALUES (?, ?, ?{', ?' * len(METRIC_NAMES)})",
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
    with worker_pool(workers) as pool:
        futures = {pool.submit(point_rows, sc, params, replicates, 1): point_id
                   for point_id, params in pending}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
