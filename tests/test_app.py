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
from helpers import small_scenario
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
    assert lesson.week == 1


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
    assert lesson.week == sc.horizon and len(weeks) == sc.horizon
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


def test_the_page_steps_switches_strategy_and_applies_a_slider(sc):
    import ipyvuetify as vw

    from wom.app.views import LessonView

    _, rc = solara.render(solara.AppLayout(children=[LessonView(sc)]), handle_error=False)
    try:
        assert _texts(rc, "wom-week") == [f"Week 0 of {sc.horizon}"]
        assert _texts(rc, "wom-customers") == ["focused: 0 customers", "broad: 0 customers"]
        rc.find(vw.Btn, children=["Step"]).widget.click()
        assert _texts(rc, "wom-week") == [f"Week 1 of {sc.horizon}"]
        seeded = _texts(rc, "wom-customers")
        assert seeded != ["focused: 0 customers", "broad: 0 customers"]
        # Picking the strategy shown beside swaps the two, and the run restarts.
        rc.find(vw.Select, label="strategy").widget.v_model = "broad"
        assert _texts(rc, "wom-week") == [f"Week 0 of {sc.horizon}"]
        assert _texts(rc, "wom-customers") == ["broad: 0 customers", "focused: 0 customers"]
        # A slider applies when let go: Vuetify's "change" event.
        sliders = rc.find(vw.Slider).widgets  # ..., budget, seeds, talk weeks: the last
        budget = sliders[-3]
        assert budget.v_model == sc.budget.total
        budget.fire_event("change", 0)
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
