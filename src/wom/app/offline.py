"""The server's routes that wom changes: Solara's CDN route serving only the packaged files,
and ``/_wom/status`` (how many sessions and lessons are alive).

Solara's ``/_solara/cdn/<path>`` route looks ``<path>`` up in its asset cache and, on a
miss, downloads it from a public CDN (retrying for seconds) and writes it into the cache,
inside the virtual environment; a request naming a folder of the cache even deletes that
folder. :func:`install` puts :class:`PackagedFiles` in its place: the files of the
packages of :func:`wom.app.assets.packages` are served as before (compressed, cached by
browsers), anything else is a 404 at once, and nothing is ever fetched or written.
"""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Iterable
from pathlib import Path

from solara.server.cdn_helper import cdn_url_path

with warnings.catch_warnings():  # Solara's server imports websockets.legacy (deprecated)
    warnings.simplefilter("ignore", DeprecationWarning)
    from solara.server.starlette import StaticCdn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from wom.app.lesson import live_lessons
from wom.app.sessions import SESSIONS
from wom.errors import WomError

STATUS_PATH = "/_wom/status"


class PackagedFiles(StaticCdn):
    """Solara's CDN route restricted to files of `packages` under `folder`: no download."""

    def __init__(self, folder: Path, packages: Iterable[str]) -> None:
        super().__init__(directory=folder, check_dir=False)
        self.folder = Path(folder).resolve()
        self.prefixes = tuple(f"{spec}/" for spec in packages)

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        # `path` is normalised by Starlette ("a/../b" is "b"): it must name a file inside
        # one of the packages, through no link leading out of them.
        if not path.replace("\\", "/").startswith(self.prefixes):
            return "", None
        full = (self.folder / path).resolve()
        if not full.is_relative_to(self.folder) or not full.is_file():
            return "", None
        return str(full), full.stat()


def status(request: Request) -> JSONResponse:
    """Sessions served (and the limit), Solara's kernels, and Lessons alive in the process
    (``?collect=1``: after a garbage collection, so only those still referenced)."""
    from solara.server import kernel_context

    if request.query_params.get("collect"):
        gc.collect()
    return JSONResponse({"sessions": len(SESSIONS), "max_sessions": SESSIONS.limit,
                         "kernels": len(kernel_context.contexts), "lessons": live_lessons()})


def install(app: Starlette, folder: Path, packages: Iterable[str]) -> None:
    """Replace Solara's CDN route of `app` by :class:`PackagedFiles` and add the status route.

    Raises
    ------
    WomError
        `app` has no CDN route (a Solara that wom does not know).
    """
    mount = f"/{cdn_url_path}"
    routes = app.router.routes
    found = [k for k, r in enumerate(routes) if isinstance(r, Mount) and r.path == mount]
    if not found:
        raise WomError(f"this Solara has no {mount} route; wom app cannot serve its files")
    for k in found:
        routes[k] = Mount(mount, app=PackagedFiles(folder, packages))
    if not any(isinstance(r, Route) and r.path == STATUS_PATH for r in routes):
        routes.insert(0, Route(STATUS_PATH, endpoint=status))
