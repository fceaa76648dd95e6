"""Files and folders written whole: a hidden temporary of this process's own, renamed into
place when complete, and removed by the next command if this one is killed first.

A temporary's name says whose it is: ``.STEM.partial-HOST-PID[.TAG][SUFFIX]`` (a run
folder's is ``.NAME.K.partial-HOST-PID``; HOST is :func:`machine`). A later command removes
those whose process is gone (:func:`remove_stale_partials`), and only those: another
command's temporary, still being written, is left alone, as is one written on another
machine (or in another container) sharing the folder.
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


def machine() -> str:
    """Who may judge whether a temporary's writer is alive: this machine's name, and on
    Linux its PID namespace (two containers sharing a host name and a folder see each
    other's temporaries, not each other's processes: each would take the other's live
    writers for dead)."""
    try:
        space = f"~{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        space = ""
    return socket.gethostname() + space


def owner() -> str:
    """``HOST-PID``: this process, as a temporary's name carries it (:func:`machine`)."""
    return f"{machine()}-{os.getpid()}"


def hidden_twin(path: Path, tag: str = "") -> Path:
    """Where a file is written before it is renamed to `path` (so it is never seen half
    written): hidden, this process's own (two commands on one folder; `tag` tells apart
    the threads of one), the suffix kept (the writers read the format from it), the name cut
    to fit where `path`'s does, and removed by :func:`remove_stale_partials` if the process
    is killed before it could."""
    own = owner() + (f".{tag}" if tag else "")
    return path.with_name(f".{short_name(path.stem)}{PARTIAL}{own}{path.suffix}")


def short_name(name: str, size: int = 100) -> str:
    """`name` cut to its first `size` bytes on disk (any name a file may have: one that is
    not UTF-8 included)."""
    return os.fsdecode(os.fsencode(name)[:size])


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
    host = machine()
    for p in folder.glob(f".*{PARTIAL}*"):
        owner = partial_owner(p)
        if owner is None or owner[0] != host or owner[1] <= 0 or owner[1] == os.getpid():
            continue
        try:
            os.kill(owner[1], 0)
        except (ProcessLookupError, OverflowError):  # killed before it could clean up (or
            #                                          no process could have that number)
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        except OSError:  # alive, another user's: not ours to touch
            pass


def writable(path: Path) -> Path:
    """The file to write for `path`: `path`, or the file it links to. Raises an OSError
    naming `path` when that is a loop of links, is not a regular file (a device, a pipe: a
    file put in its place would replace it) or cannot be written (a read-only file is kept,
    as the shell's ``>`` keeps it)."""
    try:
        target = path.resolve() if path.is_symlink() else path
    except (RuntimeError, OSError):  # a loop of links (RuntimeError before Python 3.13)
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path)) from None
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, linked(os.strerror(errno.EISDIR), path, target),
                                str(path))
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, linked("not a regular file (wom writes files, not into "
                                           "devices or pipes)", path, target), str(path))
    if not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, linked("read-only file, not replaced", path,
                                                   target), str(path))
    return target


def linked(reason: str, path: Path, target: Path) -> str:
    """`reason`, saying which file `path` links to when it is a link (an error about a file
    written through a link names the link, and the file the reason is about)."""
    return reason if target == path else f"{reason} ({path.name} links to {target})"


def place(tmp: Path, target: Path) -> None:
    """Rename the finished temporary `tmp` over `target`, with the permissions `target`
    has (a new file keeps the umask's)."""
    with suppress(FileNotFoundError):
        os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
    os.replace(tmp, target)


def replace_whole(path: Path | str, write: Callable[[Path], object]) -> Path:
    """Write a file with ``write(temporary)`` and put it in place of `path` whole: a reader
    sees the old file or the new one, never half of one, and a failed or killed write leaves
    the old one as it was.

    A `path` that is a symbolic link is written through: the file it points to is replaced,
    the link stays. A file replaced keeps its permissions, the temporary too while it is
    written (a new one gets the umask's). What is not a regular file, or is read-only, is
    refused (:func:`writable`). An error names `path`, never the temporary. Returns `path`.
    """
    path = Path(path)
    target = writable(path)
    remove_stale_partials(target.parent)  # (files of commands killed while writing them)
    tmp = hidden_twin(target)
    try:
        with suppress(FileNotFoundError):  # the old file's permissions from the start
            mode = stat.S_IMODE(os.stat(target).st_mode)
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            os.chmod(tmp, mode)
        write(tmp)
        place(tmp, target)
    except OSError as err:  # (a full disk: named as the file, never its temporary)
        raise OSError(err.errno, linked(err.strerror or str(err), path, target),
                      str(path)) from None
    finally:
        with suppress(OSError):  # (a read-only file system: the error above says so)
            tmp.unlink(missing_ok=True)
    return path
