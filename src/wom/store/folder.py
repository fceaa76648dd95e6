"""The run folder on disk: written atomically, read back as a :class:`RunFolder`.

A run folder is written into a hidden sibling directory and renamed into place when
complete, so a crash leaves no half-written folder and an earlier run is never overwritten.
A run killed outright leaves its hidden sibling behind; the next run written next to it
removes it. What goes into the folder besides the tables (plots, the report) is written by
the caller's ``extras`` into the hidden folder before the rename (:func:`wom.viz.save`).
"""

from __future__ import annotations

import ctypes
import errno
import itertools
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from wom.errors import WomError, writing
from wom.store.csvfast import frame_text, write_frame
from wom.store.partials import PARTIAL, owner, remove_stale_partials, short_name
from wom.store.results import (
    Results,
)

FLOAT_FORMAT = "%.10g"


def write_csv(df: pd.DataFrame, path: Path) -> None:
    with writing(path):
        write_frame(df, path, FLOAT_FORMAT)


def write_csv_parts(parts: Iterable[pd.DataFrame], path: Path) -> None:
    """The frames `parts` (one table's consecutive rows) as one CSV file: the bytes
    :func:`write_csv` writes of them joined, without the whole table or its text in memory
    at once (``attributes.csv`` has a row per value, step and replicate)."""
    with writing(path), open(path, "w", encoding="utf-8", newline="") as out:
        for i, part in enumerate(parts):
            out.write(frame_text(part, FLOAT_FORMAT, header=i == 0))


def fresh_names(base: Path) -> Iterator[Path]:
    """`base`, then ``base-2``, ``base-3``, …: the names tried for a folder wom names itself
    when the one before is taken."""
    yield base
    for i in itertools.count(2):
        yield base.with_name(f"{base.name}-{i}")


def started_stamp(meta: dict[str, Any], fmt: str = "%Y%m%d-%H%M%S") -> str:
    """When the command that made `meta` started (its ``started``), as `fmt`: the name of
    the folder wom names for it (a run of ten minutes started at 10:00 is ``…-1000…``, as
    a sweep's is). Now, when `meta` says nothing readable."""
    try:
        return datetime.strptime(str(meta["started"]), "%Y-%m-%dT%H:%M:%S%z").strftime(fmt)
    except (KeyError, ValueError):
        return time.strftime(fmt)


def new_run_dir(root: Path, name: str, stamp: str) -> Path:
    """A run folder path under `root`/`name` that does not exist yet (write it with
    ``fresh=True``: another run may take the same name before this one is written)."""
    return next(p for p in fresh_names(root / name / stamp) if not p.exists())


#: ``renameat2`` flag: fail with EEXIST instead of replacing the target (linux/fs.h).
RENAME_NOREPLACE = 1
#: ``renameat2``'s "relative to the working directory" (paths given are absolute).
AT_FDCWD = -100


def rename_noreplace(src: Path, dst: Path) -> None:
    """Rename `src` to `dst` atomically, failing if `dst` exists (even as an empty folder,
    which a plain rename would replace).

    Uses Linux's ``renameat2(RENAME_NOREPLACE)``; where it is missing (another OS, an old
    kernel or a file system without it) a check and a rename, which a second writer could
    race.

    Raises
    ------
    FileExistsError
        `dst` exists.
    """
    libc = _libc()
    rename2 = getattr(libc, "renameat2", None) if libc is not None else None
    if rename2 is not None:
        if rename2(AT_FDCWD, os.fsencode(src.absolute()), AT_FDCWD,
                   os.fsencode(dst.absolute()), RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err in (errno.EEXIST, errno.ENOTEMPTY):
            raise FileExistsError(err, os.strerror(err), str(dst))
        if err not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(err, os.strerror(err), str(dst))
    if dst.exists():
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    os.rename(src, dst)


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


#: Numbers the hidden temporaries of one process.
WRITING = itertools.count()

#: A run folder's files (besides the plots): the report's name is the folder's contract too.
TABLES = ("scenario.yaml", "timeseries.csv", "summary.csv", "comparison.csv")
#: Customers by attribute value, in a run whose scenario has attributes.
ATTRIBUTES = "attributes.csv"
MANIFEST = "manifest.json"
REPORT = "report.html"
#: The ``Results.meta`` (and manifest) key naming the scenario file a run was read from: its
#: opening comments (a library scenario's LESSON / WHAT TO SEE) are kept atop the run
#: folder's ``scenario.yaml``, where the report finds them.
SCENARIO_FILE = "scenario_file"


#: Files this process holds a lock on (:func:`held`), with how many holders each.
_HELD: dict[str, tuple[int, int]] = {}


@contextmanager
def held(path: Path, what: str) -> Iterator[None]:
    """An exclusive lock on the file `path` (a store) for this process, so two processes
    never go on with one search or sweep at once; taken again in the same process, it is
    the same lock. The lock dies with the process, whatever kills it."""
    import fcntl

    key = str(Path(path).resolve())
    if key in _HELD:
        fd, n = _HELD[key]
        _HELD[key] = (fd, n + 1)
    else:
        fd = os.open(key, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WomError(f"{path.parent}: another wom process is going on with this "
                           f"{what} now; wait for it to end (or stop it), then resume") from None
        _HELD[key] = (fd, 1)
    try:
        yield
    finally:
        fd, n = _HELD[key]
        if n > 1:
            _HELD[key] = (fd, n - 1)
        else:
            del _HELD[key]
            os.close(fd)  # (closing the last descriptor releases the lock)


def leading_comments(text: str) -> str:
    """The comment block a YAML text opens with: its ``#`` lines (and blank lines between
    them) before the first line that is neither, as written, or ``""``."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            break
        lines.append(line.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "".join(f"{line}\n" for line in lines)


def _scenario_notes(meta: dict[str, Any]) -> str:
    """The opening comments of the scenario file named in `meta` ("" if none or unreadable:
    they are the run's commentary, never worth failing a run for)."""
    source = meta.get(SCENARIO_FILE)
    if not source:
        return ""
    try:
        return leading_comments(Path(source).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return ""
#: Writes files into a run folder being made (the hidden temporary), e.g. plots.
Extra = Callable[[Path], object]


def link_note(out: Path) -> str:
    """Where `out` links to, if it is a link (" (a link to …, which leads nowhere)")."""
    if not out.is_symlink():
        return ""
    gone = "" if out.exists() else ", which leads nowhere"
    return f" (a link to {os.readlink(out)}{gone})"


class AtomicFolder:
    """A hidden temporary folder beside `out` to write into (:attr:`tmp`), renamed to `out`
    when the ``with`` block ends without an exception, and removed if it raises or was
    killed outright (the next folder written beside it removes it). Where the folder landed
    is :attr:`path`.

    `fresh`: `out` is a name wom chose (a timestamp), not the user's: if another run took it
    meanwhile, the folder lands at the next free name (``-2``, ``-3``, …) instead.

    Raises
    ------
    WomError
        `out` already exists (an earlier folder is never overwritten).
    """

    def __init__(self, out: Path | str, what: str = "run", *, fresh: bool = False) -> None:
        self.path = Path(out)
        self.what = what
        self.fresh = fresh
        self.made: list[Path] = []
        # one per folder being written, even several at once in one process (threads)
        # (the name cut to 100 bytes: the temporary's name must fit where the folder's does)
        short = short_name(self.path.name)
        self.tmp = self.path.parent / (f".{short}.{next(WRITING)}{PARTIAL}"
                                       f"{owner()}")

    def refuse(self) -> WomError:
        # (also what wom.save and wom.save_fit say: a notebook has no --out)
        return WomError(f"{self.path}: already exists{link_note(self.path)}; choose another "
                        f"folder (--out on the command line): {self.what}s are never "
                        "overwritten")

    def __enter__(self) -> AtomicFolder:
        if self.path.exists() and not self.fresh:
            raise self.refuse()
        self.made = missing_folders(self.path.parent)  # (removed again if nothing is placed)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(self.path.parent)
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir()
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        placed = False
        try:
            if kind is None:
                self.place()
                placed = True
        finally:
            if self.tmp.exists():  # an exception, or a refused rename
                shutil.rmtree(self.tmp, ignore_errors=True)
            if not placed:
                remove_empty(self.made)

    def place(self) -> None:
        for path in fresh_names(self.path):
            try:
                rename_noreplace(self.tmp, path)
            except FileExistsError:
                if not self.fresh:
                    raise self.refuse() from None
                continue
            self.path = path
            return


def missing_folders(path: Path) -> list[Path]:
    """`path` and those of its parents that are not there, the deepest first: the folders a
    command makes to write into `path` (:func:`remove_empty` them if it fails)."""
    return [p for p in (path, *path.parents) if not p.exists()]


def remove_empty(folders: Iterable[Path]) -> None:
    """Remove those of `folders` (the deepest first) that are empty: a command that could
    not write its files leaves no empty folders it made for them."""
    for folder in folders:
        with suppress(OSError):
            folder.rmdir()


def atomic_folder(out: Path | str, what: str = "run", *, fresh: bool = False) -> AtomicFolder:
    """``with atomic_folder(out) as folder:`` write into ``folder.tmp``; the finished folder
    is ``folder.path`` (see :class:`AtomicFolder`)."""
    return AtomicFolder(out, what, fresh=fresh)


def write_manifest(folder: Path, meta: dict[str, Any], later: Sequence[str] = ()) -> None:
    """``manifest.json``: `meta` and the files of `folder` (with `later`, those still to
    come)."""
    manifest = {**meta, "files": sorted([*(p.name for p in folder.iterdir()), MANIFEST,
                                         *later])}
    with writing(folder / MANIFEST):
        (folder / MANIFEST).write_text(
            json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n",
            encoding="utf-8")


def write_run(results: Results, out: Path, *, plots: Extra | None = None,
              report: Extra | None = None, fresh: bool = False) -> Path:
    """Write the run folder `out` atomically (:func:`atomic_folder`) and return it.

    The tables and ``plots(folder)`` (if given; called first, and if it returns a
    function, that is called once the tables are written, to wait for the plots), the
    manifest listing every file, and
    ``report(folder)`` (if given; it writes :data:`REPORT` and may read the manifest).
    ``scenario.yaml`` opens with the comments the scenario file named by
    ``results.meta[SCENARIO_FILE]`` opens with (``wom run`` names it).

    Raises
    ------
    WomError
        `out` already exists (an earlier run is never overwritten).
    """
    with atomic_folder(out, fresh=fresh) as folder:
        tmp = folder.tmp
        notes = _scenario_notes(results.meta)
        with writing(tmp / "scenario.yaml"):
            (tmp / "scenario.yaml").write_text(notes + ("\n" if notes else "")
                                               + results.scenario.to_yaml(), encoding="utf-8")
        # plots may return a function that waits for them: they are drawn meanwhile
        pending = plots(tmp) if plots is not None else None
        try:
            write_csv(results.timeseries(), tmp / "timeseries.csv")
            write_csv(results.summary(), tmp / "summary.csv")
            write_csv(results.comparison(), tmp / "comparison.csv")
            if results.by_value is not None:
                write_csv_parts(results.attribute_parts(), tmp / ATTRIBUTES)
        finally:
            if callable(pending):
                pending()
        write_manifest(tmp, {**results.meta, "graph": results.graph},
                       [REPORT] if report is not None else [])
        if report is not None:
            report(tmp)
    return folder.path
