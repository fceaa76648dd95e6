"""Running sweep points on a Dask distributed cluster (the optional ``dask`` extra).

One task per point: the worker rebuilds the point's scenario and runs all its replicates
with one process (``workers=1``; the cluster supplies the parallelism). Results come back to
the client, which stores each point as it arrives, so an interrupted cluster sweep resumes
like a local one. A point's rows depend only on the scenario, the point and the seed, so
the store is the same as a local run's, whatever the number of Dask workers.

Every worker must have the same wom installed (checked before anything is sent) and, for
scenarios reading a graph file, that file at the same absolute path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from wom.config import Scenario
from wom.errors import WomError
from wom.experiment.design import point_rows
from wom.version import __version__

#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT = 10


def _worker_version() -> str:
    return __version__


@contextmanager
def client_for(scheduler: Any) -> Iterator[Any]:
    """A ``distributed.Client`` for ``"tcp://host:port"`` (closed afterwards), or the given
    client itself (left open)."""
    try:
        from distributed import Client
    except ImportError:
        raise WomError("--scheduler needs Dask: pip install 'wom[dask]' "
                       "(or drop --scheduler to run on this machine)") from None
    if isinstance(scheduler, Client):
        _check_workers(scheduler)
        yield scheduler
        return
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise WomError(f"--scheduler {scheduler!r}: expected an address like "
                       "tcp://127.0.0.1:8786")
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as err:
        raise WomError(f"cannot reach the Dask scheduler at {scheduler} within "
                       f"{CONNECT_TIMEOUT} s ({err}); start one with `dask scheduler` and "
                       "workers with `dask worker ADDRESS`") from None
    try:
        _check_workers(client)
        yield client
    finally:
        client.close()


def _check_workers(client: Any) -> None:
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except TimeoutError:
        raise WomError(f"the Dask cluster has no workers after {CONNECT_TIMEOUT} s; start "
                       "some with `dask worker ADDRESS`") from None
    versions = client.run(_worker_version)
    odd = {w: v for w, v in versions.items() if v != __version__}
    if odd:
        listed = ", ".join(f"{w} has {v}" for w, v in sorted(odd.items()))
        raise WomError(f"Dask workers run another wom than this one ({__version__}): "
                       f"{listed}")


def _point(sc: Scenario, point: dict[str, Any], replicates: int) -> list[tuple[Any, ...]]:
    return point_rows(sc, point, replicates, workers=1)


def as_completed_points(client: Any, sc: Scenario,
                        pending: Sequence[tuple[int, dict[str, Any]]],
                        replicates: int) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    """``(point_id, rows)`` for every pending point, in the order they finish, computed on
    the cluster of `client` (a connected ``distributed.Client``, see :func:`client_for`)."""
    if not pending:
        return
    from distributed import as_completed

    # the caller owns the client and has checked its workers (client_for)
    remote_sc = client.scatter(sc, broadcast=True)
    futures = {client.submit(_point, remote_sc, params, replicates, pure=False): pid
               for pid, params in pending}
    try:
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    finally:
        client.cancel(list(futures))


class ClientPool:
    """A connected Dask client (:func:`client_for`) where work is submitted to a local pool
    (a search's evaluations, a run's replicates): ``submit(fn, *args)`` gives a future whose
    ``result()`` is the value. The work is the same as a local pool's, so are the numbers.
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    @property
    def workers(self) -> int:
        """The cluster's threads: how many pieces the work is cut into."""
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, fn: Any, *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)
