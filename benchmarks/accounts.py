"""Accounts benchmark: what accounts cost, on and off (issue 16).

Two measurements, each through ``wom run`` as a user runs it (a subprocess):

1. **Speed with accounts off.** The flagship (8 × 2,000 people, 200 replicates, 52 weeks)
   run by this wom and by a baseline checkout of wom from before accounts (``--baseline``,
   a folder holding its ``src``; run with this venv and ``PYTHONPATH``), taking turns for
   ``--rounds`` rounds; the engine time (the manifest's ``wall_time_s``) and the whole
   command, median over rounds, and their ratio. The flagship with accounts of 5 is run
   beside them for scale.
2. **Memory with accounts on.** The flagship scaled to ``--people`` (default 1,000,000) in
   accounts of 5, ``--replicates`` (100) replicates, peak memory of the process tree (PSS,
   sampled every 50 ms as ``benchmarks/full_model.py`` does).

    .venv/bin/python benchmarks/accounts.py --baseline /path/to/old/wom [--rounds 3]

Writes its section of docs/benchmarks.md. Installs nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import machine, write_section
from full_model import tree_memory

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "focused-vs-broad.yaml"
START, END = "<!-- accounts:start -->", "<!-- accounts:end -->"


def scenario(folder: Path, *, people: int = 16_000, accounts: int | None = None) -> Path:
    """The flagship, scaled to `people`, with accounts of `accounts` (None: none)."""
    text = FLAGSHIP.read_text(encoding="utf-8")
    text = re.sub(r"^  size: \d+$", f"  size: {people // 8}", text, count=1, flags=re.M)
    if accounts is not None:
        text = re.sub(r"^  size: (\d+)$", rf"  size: \1\n  accounts: {{size: {accounts}}}",
                      text, count=1, flags=re.M)
    path = folder / f"flagship-{people}-{accounts or 'none'}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def wom_run(sc: Path, out: Path, *, replicates: int, workers: int,
            src: Path | None = None) -> dict[str, float]:
    """One ``wom run``: its engine time, whole time and peak memory (PSS and RSS)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    cmd = [str(ROOT / ".venv" / "bin" / "python"), "-m", "wom.cli", "run", str(sc),
           "--replicates", str(replicates), "--workers", str(workers), "--quiet",
           "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            rss, pss = tree_memory(proc.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, stderr = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"wom run failed:\n{stderr.decode()}")
    manifest = json.loads((out / "manifest.json").read_text())
    return {"engine": manifest["wall_time_s"], "wall": wall, "pss": peak_pss, "rss": peak}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", type=Path, required=True,
                    help="a checkout of wom from before accounts (its src/ is used)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--replicates", type=int, default=100)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = ap.parse_args()
    baseline_src = args.baseline / "src"
    head = subprocess.run(["git", "-C", str(args.baseline), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "unknown"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        off, five = scenario(folder), scenario(folder, accounts=5)
        cases = {f"before accounts ({head})": (off, baseline_src),
                 "this wom, no accounts": (off, None),
                 "this wom, accounts of 5": (five, None)}
        for i, (sc, src) in enumerate(cases.values()):  # compile each once, untimed
            wom_run(sc, folder / f"warm-{i}", replicates=2, workers=1, src=src)
        times: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
        for r in range(args.rounds):
            for name, (sc, src) in cases.items():
                out = folder / f"run-{r}-{list(cases).index(name)}"
                times[name].append(wom_run(sc, out, replicates=200, workers=args.workers,
                                           src=src))
                print(f"round {r + 1}: {name}: engine {times[name][-1]['engine']:.2f} s, "
                      f"whole {times[name][-1]['wall']:.2f} s", flush=True)
        big = scenario(folder, people=args.people, accounts=5)
        mem = wom_run(big, folder / "big", replicates=args.replicates, workers=args.workers)
        print(f"{args.people:,} people in accounts of 5, {args.replicates} replicates: "
              f"{mem['pss'] / 2**20:,.0f} MiB PSS ({mem['rss'] / 2**20:,.0f} MiB RSS), "
              f"engine {mem['engine']:.1f} s", flush=True)
    base = next(iter(cases))
    med = {n: (statistics.median(t["engine"] for t in ts),
               statistics.median(t["wall"] for t in ts)) for n, ts in times.items()}
    info = machine()
    lines = [
        START,
        "## Accounts: speed when off, memory when on",
        "",
        f"{time.strftime('%Y-%m-%d')}, {info['cpu']}, {info['cores']} cores, Python "
        f"{info['python']}, wom commit {info['commit']}; `wom run` with `--workers "
        f"{args.workers}`. The flagship (8 × 2,000 people, 200 replicates, 52 weeks), the "
        f"three cases taking turns for {args.rounds} rounds, median shown; ratio against "
        "wom from before accounts.",
        f"Command: `.venv/bin/python benchmarks/accounts.py --baseline CHECKOUT` (CHECKOUT: "
        f"`git worktree add CHECKOUT {head}`).",
        "",
        "| case | engine time | ratio | whole `wom run` | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (engine, wall) in med.items():
        lines.append(f"| {name} | {engine:.2f} s | {engine / med[base][0]:.2f}× | "
                     f"{wall:.2f} s | {wall / med[base][1]:.2f}× |")
    lines += [
        "",
        f"Memory: the flagship scaled to {args.people:,} people in accounts of 5, "
        f"{args.replicates} replicates: peak {mem['pss'] / 2**20:,.0f} MiB PSS "
        f"({mem['rss'] / 2**20:,.0f} MiB RSS) for wom and its workers, engine "
        f"{mem['engine']:.1f} s. Accounts add per person an account number and a role "
        "(5 bytes), the account lists (8 bytes: members, and role groups for aimed "
        "contacts) and a champion slot (8 bytes of engine state); per account 40 bytes.",
        END,
    ]
    write_section(args.out, "\n".join(lines), START, END)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
