"""Attributes' cost: the flagship with and without two attributes (issue 19).

Runs ``wom run`` as a user would (a subprocess, ``--quiet``), the flagship as it is and the
same scenario with two attributes added (``vertical``: 8 values, alignment 0.3; ``region``:
4 values of uneven shares, alignment 0), interleaved run by run, and reports for each the
median wall time of the whole command, the median simulation time (the manifest's
``wall_time_s``) and the largest peak memory of the process tree (PSS, wom and its
workers). Its strategies are the flagship's: what attributes cost a scenario that has them.

    .venv/bin/python benchmarks/attributes.py [--people 16000:200 --people 1000000:10]
        [--workers 1 --workers 2] [--repeats 3] [--baseline ../wom-before-attributes]
        [--out docs/benchmarks.md | -]

``--baseline`` adds a third run, interleaved with the two: the flagship without attributes
by another checkout (``python -m wom.cli`` with its ``src`` on PYTHONPATH), wom as it was
before attributes, and the ratio of the run with attributes to it.

Each ``--people N:R`` runs N people (the flagship's 8 segments, scaled) for R replicates.
The section of ``docs/benchmarks.md`` between ``<!-- attributes:start -->`` and
``<!-- attributes:end -->`` is rewritten; ``--out -`` writes nothing. Installs nothing.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml
from common import machine, write_section
from full_model import FLAGSHIP, run, scaled_scenario

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- attributes:start -->", "<!-- attributes:end -->"
ATTRIBUTES = {
    "vertical": {"values": [f"trade-{i}" for i in range(8)], "alignment": 0.3},
    "region": {"values": ["north", "south", "east", "west"], "alignment": 0.0,
               "shares": {"north": 0.4, "south": 0.3, "east": 0.2, "west": 0.1}},
}


def with_attributes(scenario: Path, folder: Path) -> Path:
    data = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    data["name"] = f"{data['name']}-attributes"
    data["attributes"] = ATTRIBUTES
    path = folder / f"{scenario.stem}-attributes.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def case(people: int, replicates: int, workers: int, repeats: int, folder: Path,
         baseline: Path | None = None) -> dict[str, dict[str, float]]:
    plain = FLAGSHIP if people == 16000 else scaled_scenario(people, folder)
    runs = {"without": (plain, None), "with": (with_attributes(plain, folder), None)}
    if baseline is not None:
        runs["before"] = (plain, baseline)
    got: dict[str, list[dict]] = {k: [] for k in runs}
    for i in range(repeats + 1):  # the first: warm-up (compiled kernels cached), not counted
        for name, (sc, checkout) in runs.items():
            sub = folder / f"{name}-{people}-w{workers}-{i}"
            sub.mkdir()
            r = run(sc, replicates, workers, sub, checkout)
            if i:
                got[name].append(r)
                print(f"  {name}: {r['wall']:.2f} s, CPU {r['cpu']:.2f} s, "
                      f"{r['pss'] / 2**20:,.0f} MiB", file=sys.stderr, flush=True)
    return {name: {"wall": float(np.median([r["wall"] for r in rs])),
                   "cpu": float(np.median([r["cpu"] for r in rs])),
                   "engine": float(np.median([r["engine"] for r in rs])),
                   "pss": float(max(r["pss"] for r in rs))}
            for name, rs in got.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", action="append", default=None,
                    help="N:R, N people for R replicates (repeatable) [default: 16000:200 and "
                         "1000000:10]")
    ap.add_argument("--workers", type=int, action="append", default=None,
                    help="wom run --workers (repeatable: a row each) [default: 1]")
    ap.add_argument("--repeats", type=int, default=3,
                    help="timed runs of each, after one warm-up [default: 3]")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="a checkout of wom before attributes: its flagship run too")
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"),
                    help="file whose attributes section is rewritten; - writes nothing")
    args = ap.parse_args()
    cases = []
    for spec in args.people or ["16000:200", "1000000:10"]:
        try:
            n, r = (int(x) for x in spec.split(":"))
        except ValueError:
            sys.exit(f"--people {spec!r}: expected N:R, e.g. 16000:200")
        if n < 8 or r < 1:
            sys.exit(f"--people {spec!r}: at least 8 people and 1 replicate")
        cases.append((n, r))
    args.workers = args.workers or [1]
    if min(args.workers) < 1 or args.repeats < 1:
        sys.exit("--workers and --repeats: 1 or more")
    if args.baseline is not None and not (args.baseline / "src" / "wom").is_dir():
        sys.exit(f"--baseline {args.baseline}: no src/wom there (a checkout of wom)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for (n, r), w in itertools.product(cases, args.workers):
            got = case(n, r, w, args.repeats, Path(tmp), args.baseline)
            a, b = got["without"], got["with"]
            row = (f"| {n:,} × {r} | {w} | {a['wall']:.2f} s | {b['wall']:.2f} s | "
                   f"{b['wall'] / a['wall']:.2f}× | {a['engine']:.2f} s | {b['engine']:.2f} s | "
                   f"{b['engine'] / a['engine']:.2f}× | {a['pss'] / 2**20:,.0f} MiB | "
                   f"{b['pss'] / 2**20:,.0f} MiB | {b['pss'] / a['pss']:.2f}× |")
            if args.baseline is not None:
                c = got["before"]
                row += (f" {c['wall']:.2f} s | {b['wall'] / c['wall']:.2f}× | "
                        f"{c['pss'] / 2**20:,.0f} MiB | {b['pss'] / c['pss']:.2f}× |")
            print(row, flush=True)
            rows.append(row)
    m = machine()
    before_commit = "" if args.baseline is None else subprocess.run(
        ["git", "-C", str(args.baseline), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True).stdout.strip() or str(args.baseline)
    text = "\n".join([
        START,
        "",
        f"`benchmarks/attributes.py {' '.join(f'--workers {w}' for w in args.workers)} "
        f"--repeats {args.repeats}` on "
        f"{m['cpu']} ({m['cores']} cores), Python {m['python']}: the flagship's `wom run` "
        "without and with two attributes (vertical: 8 values, alignment 0.3; region: 4 values, "
        "alignment 0). Medians of the timed runs; memory: the largest peak PSS of the process "
        "tree. A ratio is with ÷ without"
        + ("" if args.baseline is None else
           f"; *before*: the flagship by wom before attributes (commit {before_commit}), "
           "interleaved with the others, and with ÷ before") + ".",
        "",
        "| people × replicates | workers | whole run without | with | ratio | simulation without | "
        "with | ratio | peak memory without | with | ratio |"
        + ("" if args.baseline is None else
           " whole run before | with ÷ before | peak memory before | with ÷ before |"),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        + ("" if args.baseline is None else "---:|---:|---:|---:|"),
        *rows,
        "",
        END,
    ])
    if args.out != "-":
        write_section(Path(args.out), text, START, END)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
