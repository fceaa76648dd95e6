"""Files and folders written whole: a hidden temporary of this process's own, renamed into
place when complete, and removed by the next command if this one is killed first.

A temporary's name says whose it is: ``.STEM.partial-HOST-PID[.TAG][SUFFIX]`` (a run
folder's is ``.NAME.K.partial-HOST-PID``). A later command removes those whose process is
gone (:func:`remove_stale_partials`), and only those: another command's temporary, still
being written, is left alone, as is one written on another machine sharing the folder.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import stat
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

#: What marks a hidden temporary's name, before the host and process writing it.
PARTIAL = ".partial-"

#: ``HOST-PID`` after :data:`PARTIAL`, then what the writer appended (a tag, a suffix, or a
#: suffix of its own such as SQLite's ``-journal``).
_OWNER = re.compile(r"(?P<host>.*)-(?P<pid>\d+)(?:[.-].*)?", re.S)


def hidden_twin(path: Path, tag: str = "") -> Path:
    """Where a file is written before it is renamed to `path` (so it is never seen half
    written): hidden, this process's own (two commands on one folder; `tag` tells apart
    the threads of one), the suffix kept (the writers read the format from it), the name cut
    to fit where `path`'s does, and removed by :func:`remove_stale_partials` if the process
    is killed before it could."""
    stem = path.stem.encode()[:100].decode(errors="ignore")
    own = f"{socket.gethostname()}-{os.getpid()}" + (f".{tag}" if tag else "")
    return path.with_name(f".{stem}{PARTIAL}{own}{path.suffix}")


def partial_owner(path: Path) -> tuple[str, int] | None:
    """``(host, pid)`` of the command writing the hidden temporary `path`, a folder or a
    file (:func:`hidden_twin`) (None: not one; ``("", -1)``: one whose writer is unknown)."""
    if not path.name.startswith(".") or PARTIAL not in path.name:
        return None
    found = _OWNER.fullmatch(path.name.rsplit(PARTIAL, 1)[1])
    return (found["host"], int(found["pid"])) if found else ("", -1)


def final_name(path: Path) -> str:
    """The name of the run folder `path` will be (its own, unless it is a hidden temporary)."""
    if partial_owner(path) is None:
        return path.name
    return path.name[1:].rsplit(PARTIAL, 1)[0].rsplit(".", 1)[0]


def remove_stale_partials(folder: Path) -> None:
    """Delete the hidden temporaries of commands killed on this machine (their process is
    gone)."""
    host = socket.gethostname()
    for p in folder.glob(f".*{PARTIAL}*"):
        owner = partial_owner(p)
        if owner is None or owner[0] != host or owner[1] <= 0 or owner[1] == os.getpid():
            continue
        try:
            os.kill(owner[1], 0)
        except ProcessLookupError:  # killed before it could clean up
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        except OSError:  # alive, another user's: not ours to touch
            pass


def replace_whole(path: Path | str, write: Callable[[Path], object]) -> Path:
    """Write a file with ``write(temporary)`` and put it in place of `path` whole: a reader
    sees the old file or the new one, never half of one, and a failed or killed write leaves
    the old one as it was.

    A `path` that is a symbolic link is written through: the file it points to is replaced,
    the link stays. A file replaced keeps its permissions (a new one gets the umask's). An
    error names `path`, never the temporary. Returns `path`.
    """
    path = Path(path)
    try:
        target = path.resolve() if path.is_symlink() else path
    except (RuntimeError, OSError):  # a loop of links (RuntimeError before Python 3.13)
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path)) from None
    remove_stale_partials(target.parent)  # (files of commands killed while writing them)
    tmp = hidden_twin(target)
    try:
        write(tmp)
        with suppress(FileNotFoundError):  # (a new file: the umask's)
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except OSError as err:  # (a full disk: named as the file, never its temporary)
        raise OSError(err.errno, err.strerror or str(err), str(path)) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path
