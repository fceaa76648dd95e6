"""How many browser sessions the app serves at once, and rebuilding a session's run once
per burst of changes.

Each browser page is a session (a Solara virtual kernel) with its own models, about 100 MB
for the flagship: :data:`SESSIONS` admits at most :attr:`Sessions.limit` at once
(``wom app --max-sessions``), and a page over the limit gets a plain message instead of a run.
A session holds its place until its kernel closes: at once when its tab is closed, a few
minutes after its browser vanished (:data:`wom.app.server.CULL_AFTER`).

:class:`Latest` builds the run for the latest of a quick series of values (a slider's
key presses), one build at a time, off the page's thread.

Nothing here imports solara.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time
from collections.abc import Callable

#: Sessions served at once unless ``wom app --max-sessions`` says otherwise.
MAX_SESSIONS = 20
#: Seconds without a new value before :class:`Latest` builds the latest one.
QUIET = 0.3
#: Seconds after a session ends before its memory is handed back (:func:`give_back`).
GIVE_BACK_AFTER = 2.0


def give_back() -> bool:
    """Collect garbage, then hand the C library's free memory back to the system.

    A session's models are freed when it ends, but glibc keeps the freed memory in the arena
    of the thread that used it (each session has its own threads): without this, the
    server's size grows by tens of MB per session opened and closed, and never shrinks.
    Returns whether the memory could be handed back (glibc's ``malloc_trim``; elsewhere
    only the collection runs).
    """
    gc.collect()
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        trim = None
    if trim is None:
        return False
    trim(0)
    return True


class Sessions:
    """The sessions served now, at most `limit` (thread-safe)."""

    def __init__(self, limit: int = MAX_SESSIONS) -> None:
        self.limit = limit
        self._held: set[int] = set()
        self._next = 0
        self._lock = threading.Lock()
        self._give_back: threading.Timer | None = None

    def admit(self) -> int | None:
        """A place for a new session (its number), or ``None`` when all are taken."""
        with self._lock:
            if len(self._held) >= self.limit:
                return None
            self._next += 1
            self._held.add(self._next)
            return self._next

    def release(self, place: int | None) -> None:
        """Give back a place of :meth:`admit` (again: nothing); soon after, the memory the
        session used (:func:`give_back`, once for sessions ending together)."""
        with self._lock:
            if place not in self._held:
                return
            self._held.discard(place)  # type: ignore[arg-type]
            if self._give_back is None:
                self._give_back = threading.Timer(GIVE_BACK_AFTER, self._run_give_back)
                self._give_back.daemon = True
                self._give_back.start()

    def _run_give_back(self) -> None:
        with self._lock:
            self._give_back = None
        give_back()

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)


#: The app's sessions (one server per process).
SESSIONS = Sessions()


class Latest[T, R]:
    """Run ``build(value)`` for the latest value submitted, then ``done(value, result)``.

    A build starts once no value has come for `quiet` seconds, in a background thread, one
    at a time. A value that comes while a build runs makes that build's result stale: it is
    dropped (``done`` is not called) and the newest value is built next. So a burst of
    changes costs one build, or two if it straddles one. ``result`` is the exception when
    `build` raised one.

    Attributes
    ----------
    builds
        Builds started so far.
    """

    def __init__(self, build: Callable[[T], R], done: Callable[[T, R | Exception], None],
                 *, quiet: float | None = None) -> None:
        self.build, self.done = build, done
        self.quiet = QUIET if quiet is None else quiet
        self.builds = 0
        self._cond = threading.Condition()
        self._deliver = threading.Lock()
        self._value: T | None = None
        self._serial = 0
        self._last = 0.0
        self._worker: threading.Thread | None = None
        self._closed = False

    @property
    def busy(self) -> bool:
        """A value is waiting or being built."""
        with self._cond:
            return self._worker is not None

    def submit(self, value: T) -> None:
        """Ask for `value` to be built (replacing any value not built yet)."""
        with self._cond:
            if self._closed:
                return
            self._value, self._serial, self._last = value, self._serial + 1, time.monotonic()
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, daemon=True,
                                                name="wom-app-rebuild")
                self._worker.start()
            self._cond.notify_all()

    def close(self) -> None:
        """Build nothing more, deliver nothing more (the session is gone)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (wait := self._last + self.quiet - time.monotonic()) > 0:
                    self._cond.wait(wait)
                if self._closed:
                    self._worker = None
                    return
                value, serial = self._value, self._serial
                self.builds += 1
            try:
                result: R | Exception = self.build(value)  # type: ignore[arg-type]
            except Exception as err:
                result = err
            with self._cond:
                if self._closed:
                    self._worker = None
                    return
                if serial != self._serial:
                    continue  # stale: a newer value came while building
                self._worker = None
            with self._deliver:
                with self._cond:
                    stale = self._closed or serial != self._serial
                if not stale:
                    self.done(value, result)  # type: ignore[arg-type]
            return
