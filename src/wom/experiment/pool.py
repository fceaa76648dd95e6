"""Local worker processes that never outlive the command that started them.

Every pool of wom's (replicates, sweep points, a fit's simulations) comes from
:func:`worker_pool`. Its workers are forked (they start at once, compiled kernels included)
and die with their parent however it ends — Ctrl-C, SIGTERM, SIGHUP, SIGKILL — on Linux by
the kernel's parent-death signal, elsewhere by a watchdog thread. When the block that uses
the pool raises (an interrupt included), the workers are killed at once instead of being
left to finish work nobody will read.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from multiprocessing import active_children, get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from typing import Any

#: ``prctl`` option: the signal a process gets when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1
#: How often a worker without ``prctl`` checks that its parent is still there (seconds).
WATCH_INTERVAL = 1.0


#: Whether this process ends with its command (the ``wom`` command): then what is frozen
#: stays frozen (:func:`freeze_for_good`, :func:`shared_with_forks`).
frozen_for_good = False


def freeze_for_good() -> None:
    """Leave every object there is now, and at exit every object, out of Python's garbage
    collections: for a process that ends with its command (the ``wom`` command).

    What is imported by then lives as long as the process, so collections would only walk
    it again; and as Python exits it collects again as it tears each module down (0.6 s of a
    3.5 s ``wom run``). A process that goes on after a command (a notebook, the tests) must
    not call this: garbage in cycles made before it would never be freed.
    """
    global frozen_for_good
    frozen_for_good = True
    gc.freeze()
    atexit.register(gc.freeze)


@contextmanager
def shared_with_forks() -> Iterator[None]:
    """Objects there are now are left out of collections while forked workers share them: a
    collection writes to every object it visits, so each worker would copy every page of
    them. After the block they are collected again (unless frozen for good).

    A process that already holds a freeze it did not get from wom (its own ``gc.freeze()``,
    or the interpreter's at start) keeps it untouched: ending this block's freeze would end
    that one too, so there is none.
    """
    if gc.get_freeze_count() and not frozen_for_good:
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_for_good:
            gc.unfreeze()


def fork_context() -> BaseContext:
    """Fork where the OS has it: workers start at once, compiled kernels included, and
    scripts and notebooks need no ``if __name__ == "__main__"`` guard. wom starts no
    threads before forking (the CLI's progress bar refreshes without a thread)."""
    return get_context("fork" if "fork" in get_all_start_methods() else None)


def die_with_parent(parent: int) -> None:
    """Worker initializer: end this process when `parent` ends.

    Interrupts are the parent's to handle: a worker ignores Ctrl-C (the terminal sends it to
    the whole process group) and takes the default action of SIGTERM and SIGHUP, whatever
    handler the parent had installed before forking.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):  # (SIGHUP: where the OS has it)
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    else:
        armed = False
    if not armed:
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL)
    os._exit(1)


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of `workers` forked processes that die with this one.

    Leaving the block normally waits for the submitted work; leaving it by an exception
    (``KeyboardInterrupt`` and ``GeneratorExit`` included) cancels what has not started and
    kills the workers before the exception goes on.
    """
    before = set(active_children())
    pool = ProcessPoolExecutor(workers, mp_context=fork_context(),
                               initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        results = getattr(pool, "_result_queue", None)  # (shutdown forgets it)
        pool.shutdown(wait=False, cancel_futures=True)
        mine = [p for p in active_children() if p not in before]
        for p in mine:
            p.kill()
        for p in mine:
            p.join(timeout=10)
        _unblock_results(results)
        raise
    pool.shutdown(wait=True)


def _unblock_results(results: Any) -> None:
    """After its workers were killed: end the pool's reading of their `results` (its
    result queue). A worker killed while it wrote one leaves a message cut short, and the
    pool's thread waits for the rest for ever (this process holds the pipe's other end
    too): Python then hung as it exited, joining that thread (one stop in four or eight,
    SIGHUP, SIGTERM or Ctrl-C during a run). Closing this process's end lets the thread
    see the pipe end and stop."""
    writer = getattr(results, "_writer", None)
    if writer is not None:
        with suppress(OSError):
            writer.close()
