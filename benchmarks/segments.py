"""Many one-person segments: building the planted partition before vs after the sparse fit.

Each (code, N) pair builds one market of N one-person segments (mean degree 10, mixing 0.5:
every pair of segments may have a tie) in its own process, capped at ``--cap`` GiB of
address space and ``--timeout`` seconds, and reports CPU seconds, peak RSS and the memory
estimate of a 2-replicate run. "before" is a source tree given by ``--before`` (e.g. ``git
worktree add /tmp/before 7ee2b77``), "after" this checkout; they run side by side, N by N.

    python benchmarks/segments.py --before /tmp/before/src [--sizes 1000,2000,4000,10000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
import numpy as np
import wom
from wom.experiment import estimate
from wom.market import build_population
n = int(sys.argv[1])
sc = wom.scenario_from_dict({"name": "many", "replicates": 2,
    "segments": [{"name": f"s{i}", "size": 1} for i in range(n)],
    "network": {"model": "planted_partition", "mean_degree": 10, "mixing": 0.5},
    "strategies": [{"name": "broad", "kind": "broad", "seeding": "random"}]})
build_population(wom.scenario_from_dict({"name": "w", "segments": {"count": 3, "size": 1},
    "strategies": [{"name": "b", "kind": "broad"}]}), rng=np.random.default_rng(0))  # compile
c0 = time.process_time()
pop = build_population(sc, rng=np.random.default_rng(1))
print(json.dumps({"cpu": time.process_time() - c0, "ties": pop.n_ties,
                  "estimate": estimate(sc).total,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def measure(src: str, n: int, cap_gib: float, timeout: float) -> dict:
    """One build in a fresh process: CPU seconds, ties, peak RSS, estimate (or why not)."""
    cap = int(cap_gib * 2**30)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {**os.environ, "PYTHONPATH": src}
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(n)], env=env, timeout=timeout,
                              capture_output=True, text=True, preexec_fn=limit, check=False)
    except subprocess.TimeoutExpired:
        return {"failed": f"> {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"failed": "out of memory" if "allocate" in last or "Memory" in last else last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def cell(r: dict) -> str:
    if "failed" in r:
        return r["failed"]
    return f"{r['cpu']:.2f} s, {r['rss'] / 2**20:,.0f} MiB (estimate {r['estimate'] / 2**20:,.0f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="src folder of the code before")
    ap.add_argument("--sizes", default="1000,2000,4000,10000")
    ap.add_argument("--cap", type=float, default=6.0, help="GiB of address space per build")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args()
    print("| segments | before: CPU, peak RSS (estimate) | after | CPU ratio |")
    print("|---:|---|---|---:|")
    for n in (int(x) for x in args.sizes.split(",")):
        before = measure(args.before, n, args.cap, args.timeout)
        after = measure(str(ROOT / "src"), n, args.cap, args.timeout)
        ratio = (f"{before['cpu'] / after['cpu']:,.0f}×" if "cpu" in before and "cpu" in after
                 else "—")
        print(f"| {n:,} | {cell(before)} | {cell(after)} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
