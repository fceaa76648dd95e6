"""Where numba keeps wom's compiled kernels: one folder per version of wom's source.

numba reuses a cached kernel until the file that defines it changes, but not when a
function it calls, defined in another file, does: after an edit of ``engine/step.py`` the
cached ``_fixed_plan`` of ``engine/simulation.py`` (which inlines the step) would keep
running the old step, silently. wom keys its cache on a digest of all its Python sources
instead, so any change of the code compiles afresh, once, and nothing stale ever runs.

:func:`configure` runs when :mod:`wom` is imported, before any kernel is defined. A user who
sets ``NUMBA_CACHE_DIR`` keeps their own choice (and numba's file-by-file rule).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

import numba

PACKAGE = Path(__file__).resolve().parent


def source_digest(package: Path = PACKAGE) -> str:
    """A digest of every Python file of the package (paths and contents)."""
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cache_root(package: Path = PACKAGE) -> Path:
    """The package's own ``__pycache__/numba`` where it may write, else a folder of the
    user's cache for this installation."""
    if os.access(package, os.W_OK):
        return package / "__pycache__" / "numba"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    where = hashlib.sha256(str(package).encode()).hexdigest()[:12]
    return Path(base) / "wom" / "numba" / where


#: Whether this version of wom has compiled nothing here yet (set by :func:`configure`): its
#: first simulation compiles the kernels it uses, for up to a minute, and says so first.
compiles_first = False


def configure() -> Path | None:
    """Point numba's cache at the folder of this version of the source; remove the folders
    of earlier versions. Returns the folder (``None``: the user set ``NUMBA_CACHE_DIR``)."""
    global compiles_first
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    root = cache_root()
    folder = root / source_digest()
    numba.config.CACHE_DIR = str(folder)  # type: ignore[attr-defined]
    compiles_first = next(folder.rglob("*.nbi"), None) is None  # (numba's index files)
    if root.is_dir():
        for old in root.iterdir():
            if old != folder and old.is_dir():
                with contextlib.suppress(OSError):  # in use by another process, or gone
                    shutil.rmtree(old)
    return folder
