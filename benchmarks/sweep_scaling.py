"""Sweep throughput: points per second locally and on a Dask cluster of 1 and 2 workers.

The same sweep (the crossover scenario's market, a grid of points, common seed) runs on:
local processes with ``--workers 1`` and ``2`` (each worker runs whole points), and
a ``distributed.LocalCluster`` of 1 and 2 worker processes (one point per task). The
configurations take turns, ``--rounds`` times, so the shared machine's noise falls on all
of them alike; the table reports the median points/s and the speed-up over one worker of
the same kind. Every run's stored rows are checked identical.

    .venv/bin/python benchmarks/sweep_scaling.py [--points 12] [--replicates 20] [--rounds 3]

Needs the dask extra (``pip install -e '.[dask]'``).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import pandas as pd
from common import ROOT, machine, write_section

START, END = "<!-- sweep:start -->", "<!-- sweep:end -->"


def table(out: Path) -> pd.DataFrame:
    with closing(sqlite3.connect(out / "sweep.sqlite")) as conn:
        return pd.read_sql_query(
            "SELECT p.params_json, r.* FROM results r JOIN points p ON p.id = r.point_id "
            "ORDER BY p.params_json, r.strategy, r.replicate", conn).drop(columns="point_id")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=12, help="mixing values × 2 reference levels")
    ap.add_argument("--replicates", type=int, default=80)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = ap.parse_args()

    from distributed import Client, LocalCluster

    import wom
    from wom.config import parse_vary
    from wom.experiment import sweep

    sc = wom.load_scenario(ROOT / "scenarios" / "crossover.yaml")
    varies = [parse_vary(f"network.mixing=0.02:0.42:{args.points // 2}"),
              parse_vary("segments.*.references=0,2")]
    n_points = len(sweep.points(varies))
    wom.run(sc, replicates=2, workers=1)  # compile (numba cache) before timing anything

    clusters = {k: LocalCluster(n_workers=k, threads_per_worker=1, processes=True,
                                dashboard_address=None) for k in (1, 2)}
    clients = {k: Client(c) for k, c in clusters.items()}
    for client in clients.values():  # warm every worker (imports, compiled kernels)
        sweep.run_sweep(sc, varies[:1], Path(tempfile.mkdtemp()) / "warm", replicates=2,
                        scheduler=client)
    configs = [("local", 1), ("local", 2), ("dask", 1), ("dask", 2)]
    times: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
    reference = None
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for kind, k in configs:
                out = Path(tmp) / f"{kind}-{k}-{r}"
                t0 = time.perf_counter()
                if kind == "local":
                    sweep.run_sweep(sc, varies, out, replicates=args.replicates, workers=k)
                else:
                    sweep.run_sweep(sc, varies, out, replicates=args.replicates,
                                    scheduler=clients[k])
                times[(kind, k)].append(time.perf_counter() - t0)
                rows = table(out)
                if reference is None:
                    reference = rows
                pd.testing.assert_frame_equal(rows, reference)
                print(f"round {r + 1}: {kind} {k}: {times[(kind, k)][-1]:.2f} s",
                      file=sys.stderr)
    for client in clients.values():
        client.close()
    for c in clusters.values():
        c.close()

    # what a cluster's client does per finished point: store its rows in one transaction
    store_dir = Path(tempfile.mkdtemp()) / "store"
    sweep.run_sweep(sc, varies[:1], store_dir, replicates=args.replicates, workers=1)
    rows = table(store_dir)
    one = [tuple(r) for r in rows[rows.params_json == rows.params_json.iloc[0]]
           .drop(columns="params_json").itertuples(index=False)]
    with closing(sqlite3.connect(store_dir / "sweep.sqlite")) as conn:
        t0 = time.perf_counter()
        for _ in range(200):
            sweep._store(conn, 1, one)
        store_ms = (time.perf_counter() - t0) / 200 * 1e3

    m = machine()
    rate = {c: n_points / statistics.median(t) for c, t in times.items()}
    lines = [
        START,
        "## Sweeps: points per second, local and on Dask",
        "",
        f"{time.strftime('%Y-%m-%d')}, {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
        f"wom commit {m['commit']}. A sweep of the crossover scenario's market (8 × 1,000 "
        f"people, 52 weeks, both strategies): {n_points} points × {args.replicates} "
        f"replicates; configurations taking turns, {args.rounds} rounds, median shown. "
        "Every run stored the same rows (checked).",
        "Command: `.venv/bin/python benchmarks/sweep_scaling.py`.",
        "",
        "| executor | workers | points/s | speed-up over 1 worker |",
        "|---|---:|---:|---:|",
    ]
    for kind, k in configs:
        label = ("local processes (`--workers`)" if kind == "local"
                 else "Dask `LocalCluster` (`--scheduler`)")
        lines.append(f"| {label} | {k} | {rate[(kind, k)]:.2f} | "
                     f"{rate[(kind, k)] / rate[(kind, 1)]:.2f}× |")
    lines += [
        "",
        "On paper, for 100 Dask workers: a point is one task of "
        f"{1 / rate[('dask', 1)]:.2f} s here and points share nothing, so 100 workers would "
        f"finish about {100 * rate[('dask', 1)]:.0f} points/s. The serial parts per point "
        f"are the client storing its {len(one)} rows in one SQLite transaction "
        f"({store_ms:.1f} ms, measured here) and Dask's scheduling (about 1 ms per task, by "
        "Dask's own documentation): together a ceiling of a few hundred points per second, "
        "above what 100 workers deliver at this point size. Smaller points (fewer "
        "replicates) hit that ceiling sooner; a sweep with fewer points than workers "
        "leaves workers idle (one point is one task).",
        END,
    ]
    write_section(args.out, "\n".join(lines), START, END)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
