"""The teaching app's page: Mesa's controls and inputs around a :class:`Lesson`.

Solara serves :func:`Page` once per browser session: every session builds its own models
(nothing is created at import time, so two students never share a run). The inputs are
:func:`wom.app.lesson.controls`, in Mesa's ``model_params`` format, and the pictures follow
Mesa's ``update_counter``. Unlike Mesa's ``SolaraViz``, a slider shows its value and applies
when let go (the run restarts at week 0, stopped), and the graph takes the whole width.
The run buttons work like Mesa's ``ModelController`` (Reset, ▶/❚❚, Step), but its play
loop cannot be stopped from outside: replacing the model under it kept a stale loop
stepping the new one, so :func:`RunControls` plays in a loop bound to one model.

Only Solara's own Vuetify app, RequireJS and Font Awesome are loaded in the browser (see
:mod:`wom.app.assets`): no ``solara.Markdown`` (it loads Mermaid) and no Altair (Vega).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import reacton.ipyvuetify as rv
import solara
from mesa.visualization.solara_viz import split_model_params
from mesa.visualization.utils import force_update, update_counter

from wom.app.figures import curves_figure, graph_figure
from wom.app.lesson import ALONE, Lesson, controls
from wom.app.server import SCENARIO_ENV
from wom.config import Scenario, load_scenario
from wom.config.library import list_scenarios
from wom.errors import WomError

#: The lesson opened when none is given.
DEFAULT_LESSON = "focused-vs-broad"
#: Milliseconds between weeks while playing.
PLAY_INTERVAL = 150


def lessons() -> dict[str, Path]:
    """The scenario menu: the one ``wom app`` was given first, then the library's."""
    menu: dict[str, Path] = {}
    given = os.environ.get(SCENARIO_ENV)
    if given:
        path = Path(given)
        menu[path.stem] = path
    for name, _, path in list_scenarios():
        menu.setdefault(name, path)
    return menu


def _load(path: Path) -> tuple[Scenario | None, str | None]:
    try:
        return load_scenario(path), None
    except WomError as err:
        return None, str(err)


def _shown(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:.2f}"


@solara.component
def Slider(  # noqa: N802
    label: str, value: float, on_commit: Callable[[Any], None], *, low: float, high: float,
    step: float, integer: bool,
) -> None:
    """A slider showing its value in its label, reporting it only when let go."""
    cast: Callable[[Any], Any] = int if integer else float
    moving = solara.use_reactive(value)
    with solara.Column(gap="0px"):
        solara.Text(f"{label}: {_shown(moving.value)}", style={"font-size": "0.9em"})
        slider = rv.Slider(v_model=moving.value, on_v_model=lambda v: moving.set(cast(v)),
                           min=low, max=high, step=step, thumb_label=False, hide_details=True,
                           dense=True)

        def let_go(*args: Any) -> None:  # (widget, event, data)
            on_commit(cast(args[-1]))

        rv.use_event(slider, "change", let_go)


@solara.component
def Inputs(params: dict[str, Any], values: dict[str, Any],  # noqa: N802
           on_change: Callable[[str, Any], None]) -> None:
    """The inputs described by Mesa-style ``model_params`` (``Select`` and sliders)."""
    for name, options in params.items():
        label, kind = options.get("label", name), options["type"]
        value = values.get(name, options["value"])
        commit = functools.partial(on_change, name)
        if kind == "Select":
            solara.Select(label, values=options["values"], value=value, on_value=commit)
        elif kind in ("SliderInt", "SliderFloat"):
            Slider(label, value, commit, low=options["min"], high=options["max"],
                   step=options["step"], integer=kind == "SliderInt")
        else:  # pragma: no cover - controls() makes none
            raise ValueError(f"{kind}: not an input type the app draws")


@solara.component
def RunControls(  # noqa: N802
    model: solara.Reactive[Lesson], playing: solara.Reactive[bool],
    interval: solara.Reactive[int], on_reset: Callable[[], None],
) -> None:
    """Reset, ▶/❚❚ and Step. Playing steps `model` every `interval` ms until paused, the
    horizon, or another model replaces it (the loop belongs to one model)."""
    update_counter.get()
    lesson = model.value

    def play() -> None:
        while playing.value and model.value is lesson and lesson.running:
            time.sleep(interval.value / 1000)
            if not (playing.value and model.value is lesson):
                return
            lesson.step()
            force_update()
        if model.value is lesson:
            playing.value = False

    solara.lab.use_task(play, dependencies=[playing.value, id(lesson)], prefer_threaded=True)

    def step() -> None:
        lesson.step()
        force_update()

    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=on_reset)
        solara.Button("❚❚" if playing.value else "▶", color="primary",
                      on_click=lambda: playing.set(not playing.value),
                      disabled=not lesson.running)
        solara.Button("Step", color="primary", on_click=step,
                      disabled=playing.value or not lesson.running)


@solara.component
def Status(lesson: Lesson) -> None:  # noqa: N802
    """Week and customers so far, per strategy (read by people and by the browser tests)."""
    update_counter.get()
    with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"}):
        solara.Text(f"Week {lesson.week} of {lesson.horizon}", classes=["wom-week"],
                    style={"font-size": "1.3em", "font-weight": "bold"})
        for model in lesson.models:
            solara.Text(f"{model.strategy.name}: {model.simulation.adopters:,} customers",
                        classes=["wom-customers"], style={"font-size": "1.1em"})


@solara.component
def Graph(lesson: Lesson) -> None:  # noqa: N802
    """The conversation graph, redrawn every week."""
    update_counter.get()
    solara.FigureMatplotlib(graph_figure(lesson), format="png",
                            dependencies=[id(lesson), lesson.week])


@solara.component
def Curves(lesson: Lesson) -> None:  # noqa: N802
    """Customers per segment so far."""
    update_counter.get()
    solara.FigureMatplotlib(curves_figure(lesson), format="png",
                            dependencies=[id(lesson), lesson.week])


@solara.component
def LessonView(scenario: Scenario) -> None:  # noqa: N802
    """One scenario: its inputs, the run controls and the pictures."""
    params = solara.use_memo(lambda: controls(scenario), [])
    user, fixed = split_model_params(params)
    start: dict[str, Any] = {**fixed, **{k: v["value"] for k, v in user.items()}}
    values = solara.use_reactive(start)
    first = solara.use_memo(lambda: Lesson(**start), [])
    model: solara.Reactive[Lesson] = solara.use_reactive(first)
    error: solara.Reactive[str | None] = solara.use_reactive(None)
    playing = solara.use_reactive(False)
    play_interval = solara.use_reactive(PLAY_INTERVAL)

    def restart(new: dict[str, Any]) -> None:
        playing.value = False
        try:
            lesson = Lesson(**new)
        except (WomError, ValueError) as err:
            error.value = str(err)  # the last good run stays
            return
        error.value = None
        values.value = new
        model.value = lesson

    def change(name: str, value: Any) -> None:
        new = {**values.value, name: value}
        # Picking the strategy shown beside as the main one (or the reverse) swaps them.
        other = {"strategy": "side_by_side", "side_by_side": "strategy"}.get(name)
        if other is not None and value == values.value[other]:
            if values.value[name] == ALONE:  # beside itself: nothing to compare with
                new[name] = ALONE
            else:
                new[other] = values.value[name]
        restart(new)

    with solara.Sidebar():
        with solara.Card("Run"):
            RunControls(model, playing, play_interval, lambda: restart(values.value))
            Slider("ms between weeks while playing", play_interval.value, play_interval.set,
                   low=0, high=2000, step=50, integer=True)
        with solara.Card("What if"):
            solara.Text("A change restarts the run at week 0.", style={"font-size": "0.9em"})
            Inputs(user, values.value, change)
            if error.value:
                solara.Error(error.value)

    lesson = model.value
    Status(lesson)
    Graph(lesson)
    Curves(lesson)


@solara.component
def Page() -> None:  # noqa: N802
    """The app: pick a lesson scenario, then play with it."""
    menu = solara.use_memo(lessons, [])
    names = list(menu)
    given = os.environ.get(SCENARIO_ENV)
    start = Path(given).stem if given else DEFAULT_LESSON
    choice = solara.use_reactive(start if start in menu else (names[0] if names else ""))
    loaded = solara.use_memo(lambda: _load(menu[choice.value]) if choice.value else
                             (None, "no scenarios found (set WOM_SCENARIOS to a folder)"),
                             [choice.value])
    scenario, problem = loaded

    solara.Title("wom — word of mouth")
    with solara.AppBar():
        solara.AppBarTitle("wom: word of mouth, person by person")
    with solara.Sidebar(), solara.Card("Lesson"):
        solara.Select("scenario", values=names, value=choice)
        if scenario is not None and scenario.description:
            solara.Text(scenario.description)
    if scenario is None:
        solara.Error(problem or "no scenario")
        return
    LessonView(scenario).key(f"lesson-{choice.value}")
