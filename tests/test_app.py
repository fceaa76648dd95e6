"""The teaching app without a browser: sliders → scenario, side by side, page, assets, CLI."""

from __future__ import annotations

import os
import socket
import stat
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import solara
from click.testing import CliRunner

import wom
from helpers import accounts_scenario, small_scenario, waiting_now
from wom.app import ALONE, Lesson, assets, controls, scenario_values, what_if
from wom.cli import main
from wom.errors import ScenarioError, UnknownStrategyError, WomError
from wom.experiment import run_replicate

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "focused-vs-broad.yaml"
OVERLAP = {"default": 0.25, "a": {"b": 0.7}}


@pytest.fixture(scope="module")
def sc() -> wom.Scenario:
    """Three segments (a needs references), focused on a vs broad, 12 weeks."""
    return small_scenario()


# --- sliders → scenario fields ------------------------------------------------------------

# Each what-if, a value unlike the scenario's, and where it must land.
WHERE = {
    "mixing": (0.33, lambda s: s.network.mixing),
    "generic_resonance": (0.85, lambda s: s.dynamics.generic_resonance),
    "overlap": (0.55, lambda s: s.dynamics.overlap),
    "references": (3, lambda s: [g.references for g in s.segments]),
    "budget": (12345, lambda s: s.budget.total),
    "seed_share": (0.8, lambda s: s.budget.seed_share),
    "talk_weeks": (9, lambda s: s.dynamics.talk_weeks),
}


@pytest.mark.parametrize("name", sorted(WHERE))
def test_each_slider_sets_its_scenario_field_and_nothing_else(sc, name):
    value, read = WHERE[name]
    changed = what_if(sc, **{name: value})
    expected = [value] * len(sc.segments) if name == "references" else value
    assert read(changed) == expected
    assert read(sc) != expected  # the original is untouched
    # Everything else is the same: put the one field back and compare whole scenarios.
    back = what_if(changed, **{name: scenario_values(sc)[name]})
    if name == "references":  # the fixture's segments need 1, 0, 0: one number cannot
        back = back.model_copy(update={"segments": sc.segments})  # restore that
    assert back.model_dump() == sc.model_dump()


def test_overlap_slider_moves_a_matrix_default_and_keeps_its_rows(sc):
    matrix = wom.scenario_from_dict({**sc.model_dump(), "dynamics": {
        **sc.dynamics.model_dump(), "overlap": OVERLAP}})
    assert scenario_values(matrix)["overlap"] == 0.25
    moved = what_if(matrix, overlap=0.05)
    assert moved.dynamics.overlap == {"default": 0.05, "a": {"b": 0.7}}
    assert moved.dynamics.overlap_of("a", "b") == 0.7
    assert moved.dynamics.overlap_of("b", "c") == 0.05


def test_what_if_refuses_what_a_scenario_file_would(sc):
    with pytest.raises(ScenarioError, match="seed_share"):
        what_if(sc, seed_share=1.5)
    with pytest.raises(ValueError, match="unknown what-if"):
        what_if(sc, mixin=0.2)
    assert what_if(sc) is sc and what_if(sc, budget=None) is sc


def test_controls_are_mesa_model_params_for_lesson(sc):
    from mesa.visualization.solara_viz import _check_model_params, split_model_params

    params = controls(sc)
    _check_model_params(Lesson.__init__, params)  # every name is a Lesson argument
    user, fixed = split_model_params(params)
    assert fixed == {"wom_scenario": sc}
    assert user["strategy"]["values"] == ["focused", "broad"]
    assert user["side_by_side"]["value"] == "broad"
    assert user["side_by_side"]["values"] == [ALONE, "focused", "broad"]
    own = scenario_values(sc)
    for name in ("mixing", "generic_resonance", "overlap", "references", "budget",
                 "seed_share", "talk_weeks"):
        slider = user[name]
        assert slider["type"] in ("SliderInt", "SliderFloat")
        assert slider["value"] == own[name]
        assert slider["min"] <= slider["value"] <= slider["max"]
        stops = (slider["value"] - slider["min"]) / slider["step"]
        assert stops == pytest.approx(round(stops))  # a stop: the slider shows it exactly


def test_controls_offer_only_the_sliders_that_mean_something():
    bass = wom.load_scenario(ROOT / "scenarios" / "bass.yaml")  # one segment, complete graph
    params = controls(bass)
    assert "mixing" not in params and "overlap" not in params
    assert params["side_by_side"]["value"] == ALONE
    email = wom.load_scenario(ROOT / "scenarios" / "email-departments.yaml")
    assert "mixing" not in controls(email)  # a graph file: its ties are what they are


def test_lesson_applies_only_the_sliders_moved(sc):
    start = {k: v["value"] for k, v in controls(sc).items() if isinstance(v, dict)}
    still = Lesson(sc, **start)
    assert still.wom_scenario is sc  # references stay 1, 0, 0 although the slider says 0
    moved = Lesson(sc, **{**start, "mixing": 0.3, "budget": 6000})
    assert moved.wom_scenario.network.mixing == 0.3
    assert moved.wom_scenario.budget.total == 6000
    assert [s.references for s in moved.wom_scenario.segments] == [1, 0, 0]


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_every_lesson_of_the_menu_opens_as_its_file_says(path):
    sc = wom.load_scenario(path)
    start = {k: v["value"] for k, v in controls(sc).items() if isinstance(v, dict)}
    lesson = Lesson(sc, **start)
    assert lesson.wom_scenario is sc  # the sliders start at the file's own numbers
    lesson.step()
    assert lesson.week == 0 and lesson.steps_done == 1


# --- one model, or two side by side on the same market and random numbers ----------------

def test_side_by_side_runs_both_strategies_on_one_market(sc):
    lesson = Lesson(sc, "focused", "broad", replicate=2)
    focused, broad = lesson.models
    assert [m.strategy.name for m in lesson.models] == ["focused", "broad"]
    for key in ("segment", "indptr", "indices", "eligible", "incumbent", "references"):
        np.testing.assert_array_equal(getattr(focused.population, key),
                                      getattr(broad.population, key))
    # Same random streams: each panel is replicate 2 of `wom run`, number for number.
    new_by_cause, _, _ = run_replicate(sc, 2)
    weeks = []
    while lesson.running:
        lesson.step()
        weeks.append([m.last_step.new_by_cause for m in lesson.models])
    assert lesson.week == sc.horizon - 1 and len(weeks) == sc.horizon
    per_model = np.array(weeks).swapaxes(0, 1)  # [strategy, week, cause, segment]
    np.testing.assert_array_equal(per_model, new_by_cause)
    assert focused.simulation.adopters != broad.simulation.adopters


def test_a_lesson_alone_and_its_refusals(sc):
    alone = Lesson(sc, "broad", ALONE)
    assert [m.strategy.name for m in alone.models] == ["broad"]
    assert len(Lesson(sc).models) == 1
    with pytest.raises(UnknownStrategyError, match="focused, broad"):
        Lesson(sc, "everyone")
    with pytest.raises(ValueError, match="seeded by"):
        Lesson(sc, rng=np.random.default_rng(1))


def test_figures_draw_both_panels_with_live_counts(sc):
    from wom.app.figures import curves_figure, graph_figure

    lesson = Lesson(sc, "focused", "broad")
    for _ in range(4):
        lesson.step()
    graph = graph_figure(lesson)
    titles = [ax.get_title() for ax in graph.axes]
    assert titles == [f"{m.strategy.name}: {m.simulation.adopters:,} customers"
                      for m in lesson.models]
    curves = curves_figure(lesson)
    for ax, model in zip(curves.axes, lesson.models, strict=True):
        assert [ln.get_label() for ln in ax.get_lines()] == sc.segment_names
        last = [int(ln.get_ydata()[-1]) for ln in ax.get_lines()]
        assert last == model.adopters_by_segment.tolist()


# --- the page, rendered without a browser ---------------------------------------------------

def _texts(rc: Any, cls: str) -> list[str]:
    import ipyvuetify as vw

    return [w.children[0] for w in rc.find(vw.Html, class_=cls).widgets]


def _until(check: Any, timeout: float = 60.0) -> None:
    """Wait for `check()` to hold: a change of the inputs is built in the background."""
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_page_steps_switches_strategy_and_applies_a_slider(sc):
    import ipyvuetify as vw

    from wom.app.views import LessonView

    _, rc = solara.render(solara.AppLayout(children=[LessonView(sc)]), handle_error=False)
    try:
        assert _texts(rc, "wom-week") == [f"Before week 0 (weeks 0–{sc.horizon - 1})"]
        assert _texts(rc, "wom-customers") == ["focused: 0 customers", "broad: 0 customers"]
        rc.find(vw.Btn, children=["Step"]).widget.click()
        assert _texts(rc, "wom-week") == [f"Week 0 (weeks 0–{sc.horizon - 1})"]
        seeded = _texts(rc, "wom-customers")
        assert seeded != ["focused: 0 customers", "broad: 0 customers"]
        # Picking the strategy shown beside swaps the two, and the run restarts.
        rc.find(vw.Select, label="strategy").widget.v_model = "broad"
        _until(lambda: _texts(rc, "wom-customers") == ["broad: 0 customers",
                                                       "focused: 0 customers"])
        assert _texts(rc, "wom-week") == [f"Before week 0 (weeks 0–{sc.horizon - 1})"]
        # A slider applies when let go: Vuetify's "change" event.
        sliders = rc.find(vw.Slider).widgets  # ..., budget, seeds, talk weeks: the last
        budget = sliders[-3]
        assert budget.v_model == sc.budget.total
        budget.fire_event("change", 0)
        _until(lambda: not rc.find(vw.Html, class_="wom-building").widgets)
        rc.find(vw.Btn, children=["Step"]).widget.click()
        assert _texts(rc, "wom-customers") == ["broad: 0 customers", "focused: 0 customers"]
    finally:
        rc.close()


def test_the_lesson_menu_lists_the_library_and_the_given_file(tmp_path, monkeypatch):
    from wom.app.views import lessons

    mine = tmp_path / "mine.yaml"
    mine.write_text(FLAGSHIP.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("WOM_APP_SCENARIO", str(mine))
    menu = lessons()
    assert next(iter(menu)) == "mine"
    library = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    assert sorted(menu)[:] == sorted(["mine", *library])


def test_page_shows_a_broken_library_scenario_as_an_error(tmp_path, monkeypatch):
    import ipyvuetify as vw

    from wom.app.views import Page

    (tmp_path / "broken.yaml").write_text("name: broken\nsegments: 3\n", encoding="utf-8")
    monkeypatch.setenv("WOM_SCENARIOS", str(tmp_path))
    monkeypatch.delenv("WOM_APP_SCENARIO", raising=False)
    _, rc = solara.render(Page(), handle_error=False)
    try:
        shown = " ".join(str(w.children) for w in rc.find(vw.Alert).widgets)
        assert "broken.yaml" in shown and "segments" in shown
    finally:
        rc.close()


# --- offline front-end files -----------------------------------------------------------------

def test_assets_are_read_from_the_installed_solara_page():
    # The Vuetify 2 app (ipyvuetify < 2), its module loader and icons; no Vuetify 3 app.
    assert assets.packages() == sorted(assets.SOLARA_1_64)


def _fake_npm(folder: Path, *, fail: bool = False) -> Path:
    """An `npm` whose `pack SPEC` writes a tarball like the registry's (package/...)."""
    script = folder / "npm"
    body = "echo 'npm error 404 Not Found' >&2; exit 1" if fail else (
        'name=$(echo "$2" | tr "/@" "--"); mkdir -p package; '
        'echo "{\\"spec\\": \\"$2\\"}" > package/package.json; echo x > package/file.js; '
        'tar czf "$name.tgz" package; rm -r package')
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_fetch_fills_the_cache_once_and_atomically(tmp_path):
    cache = tmp_path / "cdn"
    npm = _fake_npm(tmp_path)
    assert assets.missing(cache) == assets.packages()
    assert assets.fetch(cache, npm=str(npm)) == assets.packages()
    assert assets.missing(cache) == []
    for spec in assets.packages():
        assert (cache / spec / "file.js").read_text() == "x\n"
    assert assets.fetch(cache, npm=str(npm)) == []  # nothing to do the second time
    leftovers = [p for p in cache.rglob(".wom-*")]
    assert leftovers == []


def test_fetch_reports_npm_failures(tmp_path):
    with pytest.raises(assets.AssetsError, match="404"):
        assets.fetch(tmp_path / "cdn", npm=str(_fake_npm(tmp_path, fail=True)))
    with pytest.raises(assets.AssetsError, match="apt-get install npm"):
        assets.fetch(tmp_path / "cdn", npm=str(tmp_path / "no-such-npm"))
    assert not any((tmp_path / "cdn").rglob("package.json"))


def test_tarball_members_cannot_escape_the_cache(tmp_path):
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "x").write_text("x")
    npm = evil / "npm"
    with tarfile.open(evil / "payload.tgz", "w:gz") as tar:
        tar.add(evil / "x", arcname="../../outside.txt")
    npm.write_text(f"#!/bin/sh\ncp {evil / 'payload.tgz'} ./p.tgz\n", encoding="utf-8")
    npm.chmod(0o755)
    with pytest.raises(assets.AssetsError, match="cannot unpack"):
        assets.fetch(tmp_path / "cdn", npm=str(npm))
    assert not (tmp_path / "outside.txt").exists()


# --- the command ------------------------------------------------------------------------------

def test_wom_app_help():
    result = CliRunner().invoke(main, ["app", "--help"])
    assert result.exit_code == 0
    for word in ("SCENARIO", "--port", "--host", "8765", "127.0.0.1"):
        assert word in result.output


def test_wom_app_refuses_a_bad_scenario_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsegments: [{name: a, size: -1}]\nstrategies: []\n",
                   encoding="utf-8")
    result = CliRunner().invoke(main, ["app", str(bad)])
    assert result.exit_code == 2
    assert "error:" in result.output and "bad.yaml" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["app", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_wom_app_refuses_a_taken_port(monkeypatch):
    monkeypatch.setattr(assets, "missing", lambda folder=None: [])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["app", "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output


def test_wom_app_says_how_to_get_missing_front_end_files(monkeypatch):
    monkeypatch.setattr(assets, "missing", lambda folder=None: ["requirejs@2.3.6"])
    result = CliRunner().invoke(main, ["app", str(FLAGSHIP)])
    assert result.exit_code == 2
    assert "requirejs@2.3.6" in result.output and "bash install.sh" in result.output
    assert "WOM_APP_SCENARIO" not in os.environ  # set only when the server starts


def test_serve_raises_wom_errors_for_the_api(monkeypatch):
    from wom.app import serve

    monkeypatch.setattr(assets, "missing", lambda folder=None: ["x@1"])
    monkeypatch.delenv("WOM_APP_SCENARIO", raising=False)
    with pytest.raises(WomError, match=r"install\.sh"):
        serve(None, port=0)


# --- a burst of slider changes builds once (issue 14, item 9) ----------------------------------

def test_a_burst_of_slider_changes_builds_only_the_latest(sc, monkeypatch):
    import ipyvuetify as vw

    from wom.app import sessions, views

    built: list[int] = []

    def counted(**kwargs: Any) -> Lesson:
        built.append(kwargs["budget"])
        return Lesson(**kwargs)

    monkeypatch.setattr(sessions, "QUIET", 3.0)  # a burst: changes less than 3 s apart
    monkeypatch.setattr(views, "Lesson", counted)
    _, rc = solara.render(solara.AppLayout(children=[views.LessonView(sc)]), handle_error=False)
    try:
        built.clear()  # the first run, built when the page opened
        budget = rc.find(vw.Slider).widgets[-3]
        # 30 key presses, as a held arrow key: 30 values within the slider's range
        presses = [int(budget.max) * k // 31 for k in range(1, 31)]
        for value in presses:
            budget.fire_event("change", value)
        _until(lambda: not rc.find(vw.Html, class_="wom-building").widgets)
        assert built == [presses[-1]]  # one rebuild, for the last value only
    finally:
        rc.close()


def test_latest_drops_a_result_made_stale_while_building():
    import threading

    from wom.app.sessions import Latest

    started, release = threading.Event(), threading.Event()
    done: list[tuple[int, Any]] = []

    def build(value: int) -> int:
        started.set()
        release.wait(10)
        return value * 10

    latest: Latest[int, int] = Latest(build, lambda v, r: done.append((v, r)), quiet=0.01)
    latest.submit(1)
    assert started.wait(10)
    latest.submit(2)  # while 1 is being built
    latest.submit(3)
    release.set()
    _until(lambda: not latest.busy)
    assert done == [(3, 30)] and latest.builds == 2  # 1 was built, but never shown
    latest.close()
    latest.submit(4)
    assert not latest.busy and done == [(3, 30)]


# --- crafted values from the browser (issue 14, item 11) ---------------------------------------

def _alerts(rc: Any) -> str:
    import ipyvuetify as vw

    return " ".join(str(w.children) for w in rc.find(vw.Alert).widgets)


@pytest.mark.parametrize("crafted", ["../../../etc/passwd", "no-such-lesson", ["a"], 3])
def test_a_crafted_lesson_choice_shows_a_plain_error(crafted, monkeypatch):
    import ipyvuetify as vw

    from wom.app.views import Page

    monkeypatch.delenv("WOM_APP_SCENARIO", raising=False)
    monkeypatch.delenv("WOM_SCENARIOS", raising=False)
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    try:
        rc.find(vw.Select, label="scenario").widget.v_model = crafted
        shown = _alerts(rc)
        assert "no such lesson" in shown
        assert "Traceback" not in shown and "/" not in shown.replace("../../../etc/passwd", "")
        # and the menu still works
        rc.find(vw.Select, label="scenario").widget.v_model = "bass"
        _until(lambda: _texts(rc, "wom-week") == ["Before week 0 (weeks 0–29)"])
    finally:
        rc.close()


@pytest.mark.parametrize("crafted", ["abc", float("nan"), float("inf"), None, {"a": 1}, True])
def test_crafted_slider_values_are_ignored_and_out_of_range_ones_clamped(sc, crafted):
    import ipyvuetify as vw

    from wom.app.views import LessonView, slider_value

    assert slider_value(crafted, low=0, high=10, integer=True) is None
    assert slider_value("1e99", low=0, high=10, integer=True) == 10
    assert slider_value(-3.7, low=0.5, high=1, integer=False) == 0.5
    _, rc = solara.render(solara.AppLayout(children=[LessonView(sc)]), handle_error=False)
    try:
        budget = rc.find(vw.Slider).widgets[-3]
        budget.fire_event("change", crafted)
        assert not rc.find(vw.Html, class_="wom-building").widgets  # nothing to build
        assert _alerts(rc) == ""
    finally:
        rc.close()


# --- sessions: a limit, and nothing left behind (issue 14, item 8) ------------------------------

def test_sessions_over_the_limit_get_a_plain_message_and_no_models(monkeypatch):

    from wom.app import sessions, views
    from wom.app.lesson import live_lessons

    monkeypatch.setattr(sessions.SESSIONS, "limit", 1)
    monkeypatch.setattr(sessions, "GIVE_BACK_AFTER", 0.0)
    monkeypatch.delenv("WOM_APP_SCENARIO", raising=False)
    monkeypatch.delenv("WOM_SCENARIOS", raising=False)
    import gc

    gc.collect()
    before = live_lessons()
    _, first = solara.render(views.Page(), handle_error=False)
    _, second = solara.render(views.Page(), handle_error=False)
    try:
        assert len(sessions.SESSIONS) == 1
        assert _texts(first, "wom-week")
        assert "The app is busy" in _alerts(second) and not _texts(second, "wom-week")
        assert live_lessons() == before + 1  # the refused page built nothing
    finally:
        second.close()
        first.close()
    assert len(sessions.SESSIONS) == 0  # a closed page gives its place back
    _until(lambda: (gc.collect(), live_lessons())[1] == before)  # and its models
    _, third = solara.render(views.Page(), handle_error=False)
    try:
        assert _texts(third, "wom-week") and len(sessions.SESSIONS) == 1
    finally:
        third.close()


def test_sessions_count_places_and_give_memory_back():
    from wom.app.sessions import Sessions, give_back

    seats = Sessions(2)
    a, b = seats.admit(), seats.admit()
    assert a is not None and b is not None and a != b
    assert seats.admit() is None and len(seats) == 2
    seats.release(a)
    seats.release(a)  # twice: nothing more
    assert len(seats) == 1 and seats.admit() is not None
    assert give_back() in (True, False)


def test_wom_app_has_a_session_limit_option(monkeypatch):
    from wom.app import server

    seen: dict[str, Any] = {}
    monkeypatch.setattr(server, "serve", lambda *a, **k: seen.update(k))
    monkeypatch.setattr("wom.app.serve", lambda *a, **k: seen.update(k))
    result = CliRunner().invoke(main, ["app", "--max-sessions", "3"])
    assert result.exit_code == 0, result.output
    assert seen["max_sessions"] == 3
    assert "--max-sessions" in CliRunner().invoke(main, ["app", "--help"]).output
    result = CliRunner().invoke(main, ["app", "--max-sessions", "0"])
    assert result.exit_code == 2


# --- Solara's CDN route: only the packaged files (issue 14, item 10) ---------------------------

def _get(app: Any, path: str) -> tuple[int, bytes]:
    """One GET through an ASGI app, without a network."""
    import asyncio

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": [], "root_path": "", "scheme": "http",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "http_version": "1.1"}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_the_cdn_route_serves_only_packaged_files_and_never_fetches(tmp_path, monkeypatch):
    from solara.server import cdn_helper
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from wom.app import offline

    cache = tmp_path / "cdn"
    (cache / "pkg@1.0.0").mkdir(parents=True)
    (cache / "pkg@1.0.0" / "a.js").write_text("ok")
    (cache / "other@2.0.0").mkdir()
    (cache / "other@2.0.0" / "b.js").write_text("not listed")
    (tmp_path / "secret.txt").write_text("secret")
    (cache / "pkg@1.0.0" / "link.js").symlink_to(tmp_path / "secret.txt")
    fetched: list[str] = []
    monkeypatch.setattr(cdn_helper, "fetch_from_cdn", lambda url: fetched.append(url) or b"x")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    app = Starlette(routes=[Mount("/_solara/cdn", app=offline.PackagedFiles(
        cache, ["pkg@1.0.0"]))])
    assert _get(app, "/_solara/cdn/pkg@1.0.0/a.js") == (200, b"ok")
    for path in ("pkg@1.0.0/missing.js", "pkg@1.0.0/", "pkg@1.0.0", "other@2.0.0/b.js",
                 "nope@9.9.9/x.js", "pkg@1.0.0/../other@2.0.0/b.js", "../secret.txt",
                 "pkg@1.0.0/link.js", "pkg@1.0.0/%2e%2e/%2e%2e/secret.txt"):
        assert _get(app, f"/_solara/cdn/{path}")[0] == 404, path
    assert fetched == []
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_serve_puts_the_packaged_files_in_place_of_solaras_cdn_route(tmp_path):
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from wom.app import offline

    app = Starlette(routes=[Mount("/_solara/cdn", app=offline.StaticCdn(directory=tmp_path))])
    offline.install(app, tmp_path, ["pkg@1.0.0"])
    mounts = [r for r in app.router.routes if isinstance(r, Mount)]
    assert [type(m.app) for m in mounts] == [offline.PackagedFiles]
    assert _get(app, "/_wom/status")[0] == 200
    with pytest.raises(WomError, match="no /_solara/cdn route"):
        offline.install(Starlette(routes=[]), tmp_path, [])


# --- the pictures redraw only what changed (issue 14, item 12) ---------------------------------

def _pixels(png: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_pictures_drawn_week_by_week_match_pictures_drawn_afresh(sc):
    from wom.app.pictures import curves_picture, graph_picture

    lesson = Lesson(sc, "focused", "broad")
    graph, curves = graph_picture(lesson), curves_picture(lesson)
    first = _pixels(graph.frame(lesson))
    curves.frame(lesson)
    for _ in range(6):
        lesson.step()
        g, c = graph.frame(lesson), curves.frame(lesson)
    assert graph.full_draws == 1  # the graph's ties and people were drawn once
    assert curves.full_draws < 1 + 6  # the curves' axes only when the y axis grew
    assert not np.array_equal(_pixels(g), first)  # customers appeared
    np.testing.assert_array_equal(_pixels(g), _pixels(graph_picture(lesson).frame(lesson)))
    np.testing.assert_array_equal(_pixels(c), _pixels(curves_picture(lesson).frame(lesson)))


@pytest.mark.parametrize("where", ["drawing", "step", "play"])
def test_an_unexpected_failure_shows_a_plain_message_and_logs_the_details(
        where, monkeypatch, caplog):
    """Anything that fails unexpectedly — while drawing, in a button's event, in the play
    loop's thread — shows a plain message, never a traceback with server paths."""
    import ipyvuetify as vw

    from wom.app import views
    from wom.app.views import CRASHED, Page

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("/srv/secret/path.py exploded")

    if where == "drawing":
        monkeypatch.setattr(views, "graph_picture", boom)
    else:
        monkeypatch.setattr(Lesson, "step", boom)
    monkeypatch.setenv("WOM_APP_SCENARIO", str(FLAGSHIP))
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    try:
        if where == "step":
            rc.find(vw.Btn, children=["Step"]).widget.click()
        elif where == "play":
            rc.find(vw.Btn, children=["▶"]).widget.click()
        _until(lambda: CRASHED in _alerts(rc))
        shown = _alerts(rc)
        assert "Traceback" not in shown and "/srv/secret" not in shown
        assert "/srv/secret/path.py exploded" in caplog.text  # the details: in the log
    finally:
        rc.close()


# --- --set on `wom app` (issue 14, item 14) ------------------------------------------------

def test_wom_app_set_opens_the_scenario_with_the_change(monkeypatch):
    import ipyvuetify as vw

    from wom.app import server
    from wom.app.views import Page

    seen: dict[str, Any] = {}
    monkeypatch.setattr(server, "serve", lambda *a, **k: seen.update(k))
    monkeypatch.setattr("wom.app.serve", lambda *a, **k: seen.update(k))
    result = CliRunner().invoke(main, ["app", str(FLAGSHIP), "--set", "budget.total=12345"])
    assert result.exit_code == 0, result.output
    assert seen["settings"] == ("budget.total=12345",)
    bad = CliRunner().invoke(main, ["app", str(FLAGSHIP), "--set", "budget.totl=1"])
    assert bad.exit_code == 2 and "budget.totl" in bad.output and "Traceback" not in bad.output
    alone = CliRunner().invoke(main, ["app", "--set", "budget.total=1"])
    assert alone.exit_code == 2 and "give SCENARIO" in alone.output

    # What the server hands the page: the file, and the settings for it alone.
    monkeypatch.setenv(server.SCENARIO_ENV, str(FLAGSHIP.resolve()))
    monkeypatch.setenv(server.SETTINGS_ENV, '["budget.total=12345"]')
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    try:
        budget = rc.find(vw.Slider).widgets[-3]
        assert budget.v_model == 12345
        # Another lesson of the menu opens as its file says.
        rc.find(vw.Select, label="scenario").widget.v_model = "bass"
        _until(lambda: _texts(rc, "wom-week") == ["Before week 0 (weeks 0–29)"])
        assert rc.find(vw.Slider).widgets[-3].v_model == wom.load_scenario(
            ROOT / "scenarios" / "bass.yaml").budget.total
    finally:
        rc.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # uvicorn's websockets import
def test_serve_hands_the_settings_to_the_page(monkeypatch):
    """Through the real serve() up to the server loop (a name clash once sent Solara's
    settings module instead of the user's)."""
    import uvicorn
    from solara.server import settings as solara_settings

    from wom.app import serve, server
    from wom.app.sessions import SESSIONS

    for name in ("SOLARA_APP", server.SCENARIO_ENV, server.SETTINGS_ENV):
        monkeypatch.setenv(name, "")
    monkeypatch.setattr(SESSIONS, "limit", SESSIONS.limit)
    monkeypatch.setattr(solara_settings.main, "mode", solara_settings.main.mode)
    monkeypatch.setattr(solara_settings.kernel, "cull_timeout",
                        solara_settings.kernel.cull_timeout)
    monkeypatch.setattr(assets, "missing", lambda folder=None: [])
    ran: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *a, **k: ran.append(self))
    serve(FLAGSHIP, settings=["budget.total=12345"], port=0, announce=lambda _: None)
    assert ran and os.environ[server.SETTINGS_ENV] == '["budget.total=12345"]'
    assert os.environ[server.SCENARIO_ENV] == str(FLAGSHIP.resolve())
    with pytest.raises(WomError, match=r"budget\.totl"):
        serve(FLAGSHIP, settings=["budget.totl=1"], port=0, announce=lambda _: None)


def test_every_panel_title_of_the_graph_is_on_the_picture(sc):
    """The panel titles ("focused: 269 customers") were placed off the figure, above where
    Matplotlib thought the hidden x axis ended: the page showed panels without names."""
    from wom.app.pictures import graph_picture

    lesson = Lesson(sc, "focused", "broad")
    picture = graph_picture(lesson)
    for _ in range(3):
        lesson.step()
        picture.frame(lesson)
    fig = picture.drawn.fig
    renderer = picture.canvas.get_renderer()
    for ax, model in zip(picture.drawn.axes, lesson.models, strict=True):
        assert ax.title.get_text() == f"{model.strategy.name}: {model.customers:,} customers"
        box = ax.title.get_window_extent(renderer)
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, box
        assert fig.bbox.y0 <= box.y0 and box.y1 <= fig.bbox.y1, box


# --- a market of accounts (issue 16) -----------------------------------------------------------

def test_the_graph_of_a_market_of_accounts_counts_and_marks_accounts_and_people_waiting():
    from wom.app.figures import GraphFigure
    from wom.experiment import Replicate

    acc = accounts_scenario()
    lesson = Lesson(acc, "focused", "broad")
    graph = GraphFigure(lesson)
    engines = [Replicate(acc, 0).simulation(m.strategy) for m in lesson.models]
    seen = 0
    for _ in range(6):
        lesson.step()
        graph.update(lesson)
        for ax, panel, model, sim in zip(graph.axes, graph.panels, lesson.models, engines,
                                         strict=True):
            sim.step()
            won = int(sim.accounts_by_segment().sum())
            waiting = int(waiting_now(sim).sum())
            customers = int(sim.customers_by_segment().sum())
            assert ax.title.get_text() == (f"{model.strategy.name}: {customers:,} customers\n"
                                           f"{won:,} accounts won, {waiting:,} people waiting")
            # Everyone is drawn (600 people): every account won is ringed, every person
            # waiting hollow, every customer filled.
            assert panel.outlines is not None and panel.waiting is not None
            assert len(panel.outlines.get_offsets()) == panel.drawn_accounts == won
            assert len(panel.waiting.get_offsets()) == panel.drawn_waiting == waiting
            assert len(panel.customers.get_offsets()) == customers
            seen += won * waiting
    assert seen > 0
    assert set(graph.dynamic) >= {p.outlines for p in graph.panels} | {p.waiting
                                                                         for p in graph.panels}


def test_pictures_of_accounts_drawn_week_by_week_match_pictures_drawn_afresh():
    from wom.app.pictures import graph_picture

    acc = accounts_scenario()
    lesson = Lesson(acc, "focused", "broad")
    graph = graph_picture(lesson)
    first = _pixels(graph.frame(lesson))
    for _ in range(5):
        lesson.step()
        frame = graph.frame(lesson)
    assert graph.full_draws == 1
    assert not np.array_equal(_pixels(frame), first)
    np.testing.assert_array_equal(_pixels(frame), _pixels(graph_picture(lesson).frame(lesson)))


def test_the_page_of_a_market_of_accounts_says_accounts_won_and_people_waiting():
    import ipyvuetify as vw

    from wom.app.views import LessonView

    acc = accounts_scenario()
    _, rc = solara.render(solara.AppLayout(children=[LessonView(acc)]), handle_error=False)
    try:
        assert _texts(rc, "wom-accounts") == ["(0 accounts won, 0 people waiting)"] * 2
        for _ in range(4):
            rc.find(vw.Btn, children=["Step"]).widget.click()
        lesson_texts = _texts(rc, "wom-accounts")
        assert lesson_texts != ["(0 accounts won, 0 people waiting)"] * 2
        assert not _alerts(rc)
    finally:
        rc.close()
    # The numbers are the models' (checked against the engine above).
    lesson = Lesson(acc, "focused", "broad")
    for _ in range(4):
        lesson.step()
    assert lesson_texts == [f"({m.accounts:,} accounts won, {m.waiting:,} people waiting)"
                            for m in lesson.models]


def test_without_accounts_the_page_says_nothing_of_accounts(sc):
    from wom.app.views import LessonView

    _, rc = solara.render(solara.AppLayout(children=[LessonView(sc)]), handle_error=False)
    try:
        assert _texts(rc, "wom-customers") == ["focused: 0 customers", "broad: 0 customers"]
        assert _texts(rc, "wom-accounts") == []
    finally:
        rc.close()
