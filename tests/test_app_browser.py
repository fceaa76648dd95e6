"""The teaching app in a real browser: ``wom app`` as a server, driven by Playwright.

Uses Debian's Chromium (``/usr/bin/chromium``; Playwright cannot download browsers here).
Without it these tests skip, unless ``CI`` or ``WOM_REQUIRE_BROWSER`` is set (``.ci/run``
installs Chromium and sets it), where they fail instead.

Offline: the server gets a CDN address on this machine where nothing listens, so a front-end
file missing from Solara's cache could not be fetched from anywhere; every request the page
makes is recorded and must go to the app itself and succeed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "focused-vs-broad.yaml"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
REQUIRED = bool(os.environ.get("CI") or os.environ.get("WOM_REQUIRE_BROWSER"))
#: Generous: the first page load compiles nothing, but CI machines are slow and shared.
TIMEOUT_MS = 90_000
START_TIMEOUT_S = 120
LOCAL = {"127.0.0.1", "localhost"}

pytestmark = pytest.mark.slow


def _require(ok: bool, why: str) -> None:
    if ok:
        return
    if REQUIRED:
        pytest.fail(f"{why} — and CI / WOM_REQUIRE_BROWSER is set, so the browser tests must "
                    "run (.ci/run installs Chromium with apt-get)", pytrace=False)
    pytest.skip(f"{why} (set WOM_REQUIRE_BROWSER=1 to make this an error)",
                allow_module_level=True)


_require(CHROMIUM.exists(), "browser tests need Debian's Chromium at /usr/bin/chromium "
         "(apt-get install chromium)")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from wom.app import assets  # noqa: E402

expect.set_options(timeout=TIMEOUT_MS)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``wom app`` in a subprocess, its output in a file."""

    def __init__(self, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        extra = env
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOLARA_", "WOM_APP"))}
        # The only CDN the server could fall back to: a port on this machine where nothing
        # listens. A front-end file missing from the cache becomes a failed request.
        env["SOLARA_ASSETS_CDN"] = f"http://127.0.0.1:{_free_port()}/npm/"
        env["PYTHONUNBUFFERED"] = "1"
        env.update(extra or {})
        self._out = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wom.cli", "app", *args, "--port", str(self.port)],
            stdout=self._out, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
            # Ctrl-C heard even when the suite runs in the background (SIGINT ignored)
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self._wait()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def _wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"wom app exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        self.stop()
        pytest.fail(f"wom app did not answer within {START_TIMEOUT_S} s:\n{self.output()}")

    def interrupt(self, sig: int = signal.SIGINT, timeout: float = 30) -> int:
        """Ctrl-C (or `sig`), as a person at the terminal would; the exit status."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        self._out.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require(not assets.missing(), f"Solara's front-end files are missing from "
             f"{assets.cache_dir()} (run: bash install.sh)")
    app = Server(tmp_path_factory.mktemp("app") / "server.log", str(FLAGSHIP))
    yield app
    app.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


class Traffic:
    """Every request a page makes, and those that failed."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.failed: list[str] = []
        page.on("request", lambda r: self.urls.append(r.url))
        page.on("websocket", lambda ws: self.urls.append(ws.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        page.on("response", lambda r: self.failed.append(f"{r.url}: HTTP {r.status}")
                if r.status >= 400 else None)

    def hosts(self) -> set[str]:
        return {urlsplit(u).hostname or "" for u in self.urls if not u.startswith("blob:")}


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[tuple[Page, Traffic]]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    traffic = Traffic(tab)
    tab.goto(server.url)
    yield tab, traffic
    context.close()


def week(tab: Page) -> Any:
    return tab.locator(".wom-week")


def customers(tab: Page) -> Any:
    return tab.locator(".wom-customers")


def pick(tab: Page, select: str, option: str) -> None:
    """Choose `option` in the Vuetify select labelled `select`."""
    tab.locator(".v-select").filter(has_text=select).click()
    tab.get_by_role("option", name=option, exact=True).click()


def test_loads_offline_then_step_and_play_move_time_and_customers(page, server):
    tab, traffic = page
    expect(week(tab)).to_have_text("Before week 0 (weeks 0–51)")
    expect(customers(tab)).to_have_text(["focused: 0 customers", "broad: 0 customers"])
    tab.get_by_role("button", name="Step").click()
    expect(week(tab)).to_have_text("Week 0 (weeks 0–51)")
    expect(customers(tab).first).not_to_have_text("focused: 0 customers")
    after_step = customers(tab).all_inner_texts()

    tab.get_by_role("button", name="▶").click()
    expect(week(tab)).to_have_text(re.compile(r"Week ([3-9]|[1-5]\d) \(weeks 0–51\)"))
    tab.get_by_role("button", name="❚❚").click()
    expect(tab.get_by_role("button", name="Step")).to_be_enabled()
    assert customers(tab).all_inner_texts() != after_step
    focused = int(customers(tab).first.inner_text().split()[1].replace(",", ""))
    broad = int(customers(tab).last.inner_text().split()[1].replace(",", ""))
    assert focused > broad  # the lesson itself, in one market

    # Offline: everything came from the app, nothing failed, and the front-end files were
    # indeed served by it (so the check above is not vacuous).
    assert traffic.hosts() <= LOCAL, sorted(traffic.hosts())
    assert traffic.failed == []
    served = {urlsplit(u).path for u in traffic.urls}
    for spec in assets.packages():
        assert any(p.startswith(f"/_solara/cdn/{spec}/") for p in served), spec
    assert "Could not load URL" not in server.output()


def test_switching_strategy_and_side_by_side(page):
    tab, _ = page
    expect(week(tab)).to_have_text("Before week 0 (weeks 0–51)")
    tab.get_by_role("button", name="▶").click()
    expect(week(tab)).to_have_text(re.compile(r"Week ([1-9]|[1-5]\d) \(weeks 0–51\)"))
    pick(tab, "strategy", "broad")  # the strategy shown beside: the two swap
    expect(customers(tab)).to_have_text(["broad: 0 customers", "focused: 0 customers"])
    # A change stops the run and restarts it before week 0: nothing plays on in the background.
    expect(tab.get_by_role("button", name="▶")).to_be_enabled()
    expect(tab.get_by_role("button", name="Step")).to_be_enabled()
    tab.wait_for_timeout(1500)
    expect(week(tab)).to_have_text("Before week 0 (weeks 0–51)")
    pick(tab, "side by side with", "nothing")
    expect(customers(tab)).to_have_text(["broad: 0 customers"])
    tab.get_by_role("button", name="Step").click()
    expect(week(tab)).to_have_text("Week 0 (weeks 0–51)")
    expect(customers(tab)).to_have_text([re.compile(r"broad: [1-9][\d,]* customers")])


def test_a_slider_applies_when_let_go_and_lessons_load_from_the_menu(page):
    tab, _ = page
    label = tab.get_by_text("references needed: 2", exact=True)
    expect(label).to_be_visible()
    tab.get_by_role("button", name="Step").click()
    expect(week(tab)).to_have_text("Week 0 (weeks 0–51)")
    label.locator("xpath=following::*[@role='slider'][1]").focus()  # its thumb
    tab.keyboard.press("ArrowLeft")  # Vuetify: a key press is a "change", as a release
    expect(tab.get_by_text("references needed: 1", exact=True)).to_be_visible()
    expect(week(tab)).to_have_text("Before week 0 (weeks 0–51)")  # the run restarted with it

    pick(tab, "scenario", "bass")
    expect(week(tab)).to_have_text("Before week 0 (weeks 0–29)")
    expect(customers(tab)).to_have_text(["launch: 0 customers"])
    expect(tab.get_by_text("references needed: 0", exact=True)).to_be_visible()


def test_two_browser_sessions_do_not_share_a_run(browser, server):
    first, second = browser.new_context(), browser.new_context()
    try:
        a, b = first.new_page(), second.new_page()
        a.goto(server.url)
        b.goto(server.url)
        expect(week(a)).to_have_text("Before week 0 (weeks 0–51)")
        expect(week(b)).to_have_text("Before week 0 (weeks 0–51)")
        a.get_by_role("button", name="Step").click()
        a.get_by_role("button", name="Step").click()
        expect(week(a)).to_have_text("Week 1 (weeks 0–51)")
        b.get_by_role("button", name="Step").click()
        expect(week(b)).to_have_text("Week 0 (weeks 0–51)")
        expect(week(a)).to_have_text("Week 1 (weeks 0–51)")
    finally:
        first.close()
        second.close()


def test_screenshot_of_the_side_by_side_view(page, tmp_path):
    from PIL import Image, ImageStat

    tab, _ = page
    expect(week(tab)).to_have_text("Before week 0 (weeks 0–51)")
    for n in range(1, 9):
        tab.get_by_role("button", name="Step").click()
        expect(week(tab)).to_have_text(f"Week {n - 1} (weeks 0–51)")
    expect(tab.locator("img")).to_have_count(2)  # the graph and the curves
    shot = tmp_path / "app-side-by-side.png"
    tab.screenshot(path=str(shot))
    with Image.open(shot) as image:
        assert image.format == "PNG" and image.size == (1400, 900)
        rgb = image.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 500  # graph, segment colours, curves: far from blank
        assert max(ImageStat.Stat(rgb).stddev) > 20
    # Refresh the README's picture with: WOM_APP_SCREENSHOT=docs/app-side-by-side.png
    target = os.environ.get("WOM_APP_SCREENSHOT")
    if target:
        shutil.copyfile(shot, ROOT / target)


def test_a_market_of_accounts_renders_and_counts_accounts_won(browser, tmp_path):
    """A scenario of accounts (issue 16) opens and plays with its accounts won and people
    waiting shown, and without an error on the page."""
    import json

    from helpers import ACCOUNTS

    _require(not assets.missing(), "Solara's front-end files are missing (bash install.sh)")
    scenario = tmp_path / "accounts.yaml"
    scenario.write_text(json.dumps(ACCOUNTS), encoding="utf-8")  # YAML reads JSON
    app = Server(tmp_path / "server.log", str(scenario))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(app.url)
        expect(week(tab)).to_have_text("Before week 0 (weeks 0–9)")
        expect(customers(tab)).to_have_text(["focused: 0 customers", "broad: 0 customers"])
        accounts = tab.locator(".wom-accounts")
        expect(accounts).to_have_text(["(0 accounts won, 0 people waiting)"] * 2)
        for n in range(1, 5):
            tab.get_by_role("button", name="Step").click()
            expect(week(tab)).to_have_text(f"Week {n - 1} (weeks 0–9)")
        expect(accounts.first).to_have_text(
            re.compile(r"\([1-9]\d* accounts won, \d+ people waiting\)"))
        expect(tab.locator("img")).to_have_count(2)  # the graph and the curves
        expect(tab.locator(".v-alert")).to_have_count(0)  # no error, no crash message
    finally:
        context.close()
        app.stop()
    assert "Traceback" not in app.output()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_stops_the_server_cleanly(tmp_path, sig):
    """Ctrl-C, SIGTERM and a hang-up shut the server down and exit 128 + the signal, as
    every command does (they exited 0, and SIGHUP printed a traceback)."""
    _require(not assets.missing(), "Solara's front-end files are missing (bash install.sh)")
    app = Server(tmp_path / "server.log")
    status = app.interrupt(sig)
    assert status == 128 + sig, app.output()
    out = app.output()
    assert f"wom app: http://127.0.0.1:{app.port}/" in out
    assert "wom app: stopped" in out and "Traceback" not in out


# --- sessions are capped and freed; the CDN route never reaches out (issue 14, items 8, 10) --

def _status(server: Server, collect: bool = False) -> dict[str, int]:
    import json

    query = "?collect=1" if collect else ""
    with urllib.request.urlopen(f"{server.url}_wom/status{query}", timeout=30) as response:
        out: dict[str, int] = json.load(response)
        return out


def _wait_for(check: Any, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def test_sessions_are_capped_and_vanished_ones_freed_within_seconds(browser, tmp_path):
    _require(not assets.missing(), "Solara's front-end files are missing (bash install.sh)")
    # Cull after 3 s here (2 min in use) so the test sees a vanished browser's session go.
    app = Server(tmp_path / "server.log", str(FLAGSHIP), "--max-sessions", "2",
                 env={"SOLARA_KERNEL_CULL_TIMEOUT": "3s"})
    contexts = []
    try:
        for _ in range(2):
            context = browser.new_context()
            contexts.append(context)
            tab = context.new_page()
            tab.goto(app.url)
            expect(week(tab)).to_have_text("Before week 0 (weeks 0–51)")
        assert _status(app)["sessions"] == 2
        third = browser.new_context()
        contexts.append(third)
        tab = third.new_page()
        tab.goto(app.url)
        expect(tab.locator(".wom-full")).to_contain_text("The app is busy")
        expect(week(tab)).to_have_count(0)
        third.close()
        # A browser that vanishes sends no "tab closed" signal: block it, then go.
        first = contexts[0]
        first.route("**/_solara/api/close/**", lambda route: route.abort())
        first.close()
        _wait_for(lambda: _status(app)["sessions"] == 1)  # culled after 3 s, not 24 h
        contexts[1].close()  # a closed tab: freed at once
        _wait_for(lambda: _status(app)["sessions"] == 0)
        # Nothing of theirs is left: no kernel, no model.
        _wait_for(lambda: _status(app, collect=True) == {
            "sessions": 0, "max_sessions": 2, "kernels": 0, "lessons": 0})
    finally:
        app.stop()


def test_the_cdn_route_serves_packaged_files_and_404s_the_rest_at_once(tmp_path):
    import http.client

    _require(not assets.missing(), "Solara's front-end files are missing (bash install.sh)")
    # The CDN Solara would fetch misses from: a socket here that records who connects.
    cdn = socket.socket()
    cdn.bind(("127.0.0.1", 0))
    cdn.listen(16)
    cdn.settimeout(0.5)
    cache = assets.cache_dir()
    before = sorted(str(p) for p in cache.rglob("*"))
    app = Server(tmp_path / "server.log",
                 env={"SOLARA_ASSETS_CDN": f"http://127.0.0.1:{cdn.getsockname()[1]}/npm/"})
    try:
        def get(path: str) -> tuple[int, float]:
            conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
            start = time.monotonic()
            conn.request("GET", path)  # sent as it is: no client-side clean-up of ".."
            status = conn.getresponse().status
            conn.close()
            return status, time.monotonic() - start

        spec = assets.packages()[0]
        assert get(f"/_solara/cdn/{spec}/package.json")[0] == 200
        for path in ("nope@1.0.0/x.js", f"{spec}/no-such-file.js", f"{spec}/", spec,
                     f"{spec}/../../../../etc/passwd", "requirejs@9.9.9/require.js"):
            status, took = get(f"/_solara/cdn/{path}")
            assert status == 404 and took < 5, (path, status, took)
        try:
            conn, _ = cdn.accept()
            conn.close()
            pytest.fail("the server connected to the CDN")
        except TimeoutError:
            pass
    finally:
        app.stop()
        cdn.close()
    assert sorted(str(p) for p in cache.rglob("*")) == before  # nothing written or removed
