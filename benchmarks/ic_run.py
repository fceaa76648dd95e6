"""Independent cascade through ``wom run``: the marginal cost of a replicate, with a market
drawn per replicate (``network.resample: per_replicate``) and with one market for all
(``once``), beside cynetdiff on a fixed graph and the floor of building a market.

One command (``benchmarks/ic.py --wom-run`` runs the same)::

    .venv/bin/python benchmarks/ic_run.py [--p 0.05 0.15] [--repeats 3] [--out FILE]

The scenario is the IC special case (docs/model.md §7) on an Erdős–Rényi market: one segment
of 100,000 people, mean degree 10, marketing 0, references 0, every resonance and the weak tie
1, talk_weeks 1, 10 random seeds (a budget spent on seeds only, a broad strategy seeding at
random), horizon 80. ``wom run`` runs as a subprocess (``--workers 1``) at 100 and 600
replicates; the marginal time per replicate is ``(t600 − t100) / 500`` (start-up, imports,
numba's cache load and the writing of the run folder's fixed part cancel), from the medians
of ``--repeats`` interleaved timings. numba's cache is a folder of this script's own, warmed
before anything is timed. Rewrites its section of ``docs/benchmarks.md`` (between
``<!-- ic-run:start -->`` and ``<!-- ic-run:end -->``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
import yaml
from common import machine, write_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
START, END = "<!-- ic-run:start -->", "<!-- ic-run:end -->"
RESAMPLE = ("per_replicate", "once")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="benchmarks/ic_run.py",
        description="The independent cascade through `wom run`: what one more replicate "
        "costs when each draws its own market (network.resample: per_replicate) and when all "
        "share one (once), beside cynetdiff on a fixed graph and the floor of building a "
        "market. Takes a few minutes at the defaults.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--nodes", type=int, default=100_000, help="people in the market")
    ap.add_argument("--degree", type=float, default=10.0, help="mean degree of the graph")
    ap.add_argument("--seeds", type=int, default=10, help="random seeds per replicate")
    ap.add_argument("--p", type=float, nargs="+", default=[0.05, 0.15],
                    help="word of mouth: the chance per tie (one table row each)")
    ap.add_argument("--few", type=int, default=100, help="replicates of the short run")
    ap.add_argument("--many", type=int, default=600, help="replicates of the long run")
    ap.add_argument("--repeats", type=int, default=5,
                    help="interleaved rounds of timings (their median); 1 is too noisy for "
                    "a marginal cost of a few milliseconds")
    ap.add_argument("--cyn-runs", type=int, default=600, help="cynetdiff runs per timing")
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"),
                    help="markdown file whose ic-run section is rewritten; '-': only print "
                    "the section")
    a = ap.parse_args(argv)
    if a.repeats < 1 or a.cyn_runs < 1 or a.nodes < 2 or a.seeds < 1 or a.degree <= 0:
        ap.error("--repeats, --cyn-runs and --seeds take at least 1, --nodes at least 2, "
                 "--degree a positive number")
    if not 1 <= a.few < a.many:
        ap.error(f"--many ({a.many}) must be more than --few ({a.few}), and --few at least 1: "
                 "the marginal cost is their difference")
    if not all(0 < p <= 1 for p in a.p):
        ap.error(f"--p takes chances in (0, 1], not {' '.join(f'{p:g}' for p in a.p)}")
    return a


def scenario(a: argparse.Namespace, p: float, resample: str) -> dict:
    return {
        "name": "ic-run", "seed": 1, "horizon": 80, "replicates": a.few,
        "segments": [{"name": "everyone", "size": a.nodes, "tam": 1.0, "incumbent": 0.0,
                      "references": 0}],
        "network": {"model": "erdos_renyi", "mean_degree": a.degree, "weak_tie": 1.0,
                    "resample": resample},
        "dynamics": {"word_of_mouth": p, "marketing": 0.0, "background": 0.0, "talk_weeks": 1,
                     "generic_resonance": 1.0, "overlap": 1.0},
        # seed_share 1: the whole budget buys `seeds` seeds, no contacts
        "budget": {"total": 500.0 * a.seeds, "cost_per_seed": 500.0, "seed_share": 1.0,
                   "campaign_weeks": 1},
        "strategies": [{"name": "random", "kind": "broad", "seeding": "random"}],
    }


def wom_run(path: Path, replicates: int, out: Path, env: dict[str, str]) -> float:
    """Seconds of one ``wom run`` subprocess (start-up included)."""
    cmd = [sys.executable, "-m", "wom.cli", "run", str(path), "--replicates", str(replicates),
           "--workers", "1", "--quiet", "--out", str(out)]
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:  # wom's own message, not a CalledProcessError
        sys.exit(f"wom run {path.name} failed (exit {done.returncode}):\n{done.stderr.strip()}")
    return time.perf_counter() - t


@numba.njit(cache=False)
def _floor(n, ties, seed):  # pragma: no cover - compiled
    """Random ties (both ends uniform) and their counting-sort CSR: what no market can beat."""
    np.random.seed(seed)
    u = np.empty(ties, np.int32)
    v = np.empty(ties, np.int32)
    for i in range(ties):
        u[i] = np.random.randint(0, n)
        v[i] = np.random.randint(0, n)
    indptr = np.zeros(n + 1, np.int64)
    for i in range(ties):
        indptr[u[i] + 1] += 1
        indptr[v[i] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    pos = indptr[:-1].copy()
    indices = np.empty(2 * ties, np.int32)
    for i in range(ties):
        indices[pos[u[i]]] = v[i]
        pos[u[i]] += 1
        indices[pos[v[i]]] = u[i]
        pos[v[i]] += 1
    return indptr, indices


def floor_seconds(a: argparse.Namespace) -> float:
    ties = int(a.nodes * a.degree / 2)
    _floor(100, 10, 0)
    times = []
    for k in range(max(5, a.repeats)):
        t = time.perf_counter()
        _floor(a.nodes, ties, k)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cynetdiff_seconds(a: argparse.Namespace, p: float) -> float | None:
    """Seconds per run of cynetdiff's loop (reset + advance) on one fixed graph: replicate
    0's market, the same 10 random seeds every run."""
    try:
        from cynetdiff.models import IndependentCascadeModel
    except ImportError:
        return None
    import wom
    from wom.experiment import Replicate

    sc = wom.scenario_from_dict(scenario(a, p, "once"))
    rep = Replicate(sc, 0)
    pop = rep.population
    seeds = [int(x) for x in rep.plan().seeds]
    model = IndependentCascadeModel(pop.indptr[:-1].astype(np.uint32),
                                    pop.indices.astype(np.uint32), activation_prob=p, rng=1)
    model.set_seeds(seeds)
    times = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        for _i in range(a.cyn_runs):
            model.reset_model()
            model.advance_until_completion()
        times.append((time.perf_counter() - t) / a.cyn_runs)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    info = machine()
    started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wom-ic-run-") as tmp:
        tmpdir = Path(tmp)
        env = {**os.environ, "NUMBA_CACHE_DIR": str(tmpdir / "numba"),
               "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
        files = {}
        for p in a.p:
            for r in RESAMPLE:
                files[p, r] = tmpdir / f"ic-{p}-{r}.yaml"
                files[p, r].write_text(yaml.safe_dump(scenario(a, p, r)))
        print("warming numba's cache …", flush=True)
        wom_run(files[a.p[0], "once"], 2, tmpdir / "warm", env)
        times: dict[tuple[float, str, int], list[float]] = {}
        for k in range(a.repeats):  # interleaved: every case sees the same load
            for p in a.p:
                for r in RESAMPLE:
                    for n in (a.few, a.many):
                        s = wom_run(files[p, r], n, tmpdir / f"out-{k}-{p}-{r}-{n}", env)
                        times.setdefault((p, r, n), []).append(s)
                        print(f"p={p} {r:13s} {n:4d} replicates: {s:6.1f} s", flush=True)
        floor = floor_seconds(a)
        cyn = {p: cynetdiff_seconds(a, p) for p in a.p}
    wall = time.perf_counter() - t0
    rows = []
    for p in a.p:
        per = {}
        for r in RESAMPLE:  # each round's pair was timed back to back: its difference
            pairs = zip(times[p, r, a.few], times[p, r, a.many], strict=True)
            per[r] = statistics.median((m - f) / (a.many - a.few) for f, m in pairs)
        rows.append((p, per, cyn[p]))
    text = report(a, info, started, wall, rows, floor, times)
    print(text)
    if a.out != "-":
        write_section(Path(a.out), text, START, END)
        print(f"wrote {a.out}")
    return 0


def rate(seconds: float | None) -> str:
    if seconds is None or seconds <= 0:
        return "–"
    x = 1 / seconds
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def report(a, info, started, wall, rows, floor, times) -> str:
    cmd = ".venv/bin/python benchmarks/ic_run.py " + " ".join(sys.argv[1:])
    lines = [
        START,
        "## Independent cascade through `wom run`: one market, many futures",
        "",
        f"Generated by `{cmd.strip()}` on {started} in {wall / 60:.1f} min.",
        "",
        f"- **Machine:** {info['cpu']}, {info['cores']} cores (shared), {info['os']}.",
        f"- **Software:** wom at commit {info['commit']}; Python {info['python']}; "
        f"{info['packages']}.",
        f"- **Scenario:** one segment of {a.nodes:,} people on an `erdos_renyi` market of mean "
        f"degree {a.degree:g}; marketing 0, references 0, every resonance and the weak tie 1, "
        f"talk_weeks 1 (the IC special case); {a.seeds} random seeds (budget on seeds only, "
        "a `broad` strategy seeding at random); horizon 80.",
        f"- **wom run:** a subprocess, `--workers 1 --quiet`, at {a.few} and {a.many} "
        f"replicates, timed back to back in each of {a.repeats} interleaved rounds; the marginal "
        f"time per replicate is the median over rounds of (t{a.many} − t{a.few}) / "
        f"{a.many - a.few}: start-up, imports, the numba "
        "cache load (warmed first, in a folder of the script's own) and the fixed part of "
        "writing the run folder cancel. Each replicate writes its rows too.",
        f"- **cynetdiff:** `IndependentCascadeModel` on one fixed graph (replicate 0's), "
        f"`reset_model()` + `advance_until_completion()` per run, the same seeds, "
        f"{a.cyn_runs} runs × {a.repeats} (median); no market is built, nothing is written.",
        f"- **Market floor:** a bare numba loop drawing {int(a.nodes * a.degree / 2):,} random "
        "ties and their counting-sort CSR, median of 5: "
        f"{floor * 1e3:.1f} ms, so at most {rate(floor)} markets/s.",
        "",
        "| p | per_replicate runs/s | once runs/s | once speed-up | cynetdiff runs/s "
        "(fixed graph) | once's time ÷ cynetdiff's | market floor markets/s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p, per, cyn in rows:
        ok = per["once"] > 0 and per["per_replicate"] > 0  # (noise can make one ≤ 0)
        ratio_once = f"{per['per_replicate'] / per['once']:.2f}×" if ok else "–"
        ratio_cyn = "–"
        if cyn and per["once"] > 0:
            x = per["once"] / cyn
            ratio_cyn = f"{x:,.0f}×" if x >= 100 else f"{x:.2f}×"
        lines.append(f"| {p} | {rate(per['per_replicate'])} | {rate(per['once'])} | "
                     f"{ratio_once} | {rate(cyn)} | {ratio_cyn} | {rate(floor)} |")
    if any(not (per["once"] > 0 and per["per_replicate"] > 0) for _p, per, _c in rows):
        lines += ["", "– : the long run took no longer than the short one (the machine's load "
                  "swamped the marginal cost); run more `--repeats`, or more `--many`."]
    lines += ["", "The raw timings (seconds per `wom run`, round by round):", ""]
    for (p, r, n), ts in sorted(times.items()):
        lines.append(f"- p {p}, {r}, {n} replicates: {', '.join(f'{t:.2f}' for t in ts)}")
    lines += ["", "**How to read it.** A replicate under `per_replicate` draws its market "
              "(the graph and every trait) and then runs; under `once` it only runs, on the "
              "market every replicate shares. Their difference is the cost of drawing a "
              "market per replicate; the floor is what drawing one could cost at best. "
              "cynetdiff runs a cascade on a graph it is given, with no plan, no weekly "
              "accounting and no results to keep: the bound for `once`. A marginal cost of a "
              "millisecond or so is near this method's resolution: a `wom run`'s start-up "
              "varies by tenths of a second from round to round (the raw timings above).", END]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
