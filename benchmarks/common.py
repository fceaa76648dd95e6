"""What the benchmark scripts share: the machine they ran on, and their docs sections."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = []
    for dist in ("wom", "numpy", "numba", "networkx", "mesa", "cynetdiff", "ndlib", "eon"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    return {"cpu": cpu, "cores": str(cores), "python": platform.python_version(),
            "os": platform.platform(), "packages": ", ".join(versions), "commit": commit()}


def commit() -> str:
    """The wom commit measured, and whether its engine had uncommitted changes."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "src/wom"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes in src/wom" if dirty else "")


def write_section(path: Path, section: str, start: str, end: str) -> None:
    """Replace the text between `start` and `end` in `path` (or append it)."""
    if path.exists():
        text = path.read_text()
        if start in text and end in text:
            head, rest = text.split(start, 1)
            _, tail = rest.split(end, 1)
            text = head + section + tail
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
    else:
        text = ("# Benchmarks\n\nEach section below is written by a script in `benchmarks/`; "
                "rerun the script to refresh it (other sections are left as they are).\n\n"
                + section + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
