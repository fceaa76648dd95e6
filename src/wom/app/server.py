"""``wom app``: Solara's server (uvicorn) serving :func:`wom.app.views.Page`, offline."""

from __future__ import annotations

import json
import os
import signal
import socket
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from wom.errors import WomError

#: Where ``wom app`` listens unless told otherwise: this machine only.
HOST = "127.0.0.1"
PORT = 8765
#: The Solara app: module and component.
APP = "wom.app.views:Page"
#: Environment variable naming the scenario file the page opens with.
SCENARIO_ENV = "WOM_APP_SCENARIO"
#: Environment variable holding ``--set`` settings for that file (a JSON list of strings).
SETTINGS_ENV = "WOM_APP_SETTINGS"
#: How long the kernel of a page whose browser vanished (no tab-close signal) is kept for
#: it to reconnect, before its models are freed (Solara's default is 24 h);
#: ``SOLARA_KERNEL_CULL_TIMEOUT`` overrides it.
CULL_AFTER = "2m"


def _check_port(host: str, port: int) -> int:
    """`port`, or a free one for 0; a clear error when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            raise WomError(f"cannot listen on {host}:{port}: {err.strerror or err} "
                           "(another program uses it? try --port)") from None
        bound: int = sock.getsockname()[1]
        return bound


def serve(
    scenario: Path | str | None = None,
    *,
    settings: Sequence[str] = (),
    host: str = HOST,
    port: int = PORT,
    max_sessions: int | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Run the teaching app until interrupted (Ctrl-C).

    Parameters
    ----------
    scenario
        The scenario file the app opens with (it is also added to the lesson menu);
        default: the library's ``focused-vs-broad``.
    settings
        ``PATH=VALUE`` changes to `scenario` (as ``--set`` takes them): the app opens it
        with them, as ``wom run --set`` would run it.
    host, port
        Where to listen; by default this machine only. ``port=0`` picks a free port.
    max_sessions
        Browser sessions served at once (default :data:`wom.app.sessions.MAX_SESSIONS`);
        a page opened beyond it says the app is busy.
    announce
        Called once with the app's address before serving.

    Raises
    ------
    ScenarioError
        The scenario file is not valid.
    WomError
        The app's extra is not installed, its front-end files are missing (run
        ``bash install.sh``), or the port is taken.
    """
    from wom.config import load_scenario

    if settings and scenario is None:
        raise WomError("--set changes the scenario the app opens with: give SCENARIO too")
    if scenario is not None:
        # refuse a bad file, or a bad setting, before starting anything
        load_scenario(scenario, settings)
    try:
        import uvicorn
        from solara.server import settings as solara_settings
    except ImportError as err:
        raise WomError(f"the teaching app needs wom's `app` extra ({err.name} is missing): "
                       "pip install -e '.[app]'") from None
    from wom.app import assets
    from wom.app.sessions import MAX_SESSIONS, SESSIONS

    limit = MAX_SESSIONS if max_sessions is None else max_sessions
    if limit < 1:
        raise WomError(f"max_sessions must be at least 1 (got {limit})")
    gone = assets.missing()
    if gone:
        raise WomError(f"Solara's front-end files are missing from {assets.cache_dir()} "
                       f"({', '.join(gone)}): run `bash install.sh` (or "
                       "`python -m wom.app.assets`) once, with access to the npm registry")
    port = _check_port(host, port)
    # Nothing leaves the machine: no usage statistics, no version check (production mode).
    solara_settings.telemetry.mixpanel_enable = False
    solara_settings.main.mode = "production"
    # A page whose browser vanished is freed within minutes, not a day.
    if not os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT"):
        solara_settings.kernel.cull_timeout = CULL_AFTER
    SESSIONS.limit = limit
    os.environ["SOLARA_APP"] = APP
    if scenario is not None:
        os.environ[SCENARIO_ENV] = str(Path(scenario).resolve())
        os.environ[SETTINGS_ENV] = json.dumps(list(settings))
    # Solara warns on every page load over plain http to an address (not "localhost").
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    from solara.server.starlette import app

    from wom.app import offline

    # Only the packaged front-end files, never a download from a CDN.
    offline.install(app, assets.cache_dir(), assets.packages())
    shown_host = f"[{host}]" if ":" in host else host
    announce(f"wom app: http://{shown_host}:{port}/  (Ctrl-C to stop)")
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           lifespan="on"))
    # uvicorn shuts down cleanly on SIGINT and SIGTERM, then raises them again for the
    # caller; a hang-up (SIGHUP, not one of uvicorn's) shuts it down the same way and is
    # said as itself (the caller exits 128 + its number).
    hangup = getattr(signal, "SIGHUP", None)
    hung: list[int] = []

    def hang_up(signum: int, frame: FrameType | None) -> None:
        hung.append(signum)
        server.handle_exit(signal.SIGTERM, frame)

    before = signal.signal(hangup, hang_up) if hangup is not None else None
    try:
        server.run()
    except KeyboardInterrupt:
        if hung:
            raise HungUp(hung[0]) from None
        raise
    finally:
        if hangup is not None and before is not None:
            signal.signal(hangup, before)


class HungUp(KeyboardInterrupt):
    """The app was stopped by a hang-up (its terminal closed)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
