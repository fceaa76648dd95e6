"""The teaching app's page: Mesa's controls and inputs around a :class:`Lesson`.

Solara serves :func:`Page` once per browser session: every session builds its own models
(nothing is created at import time, so two students never share a run), if the app has room
for it (:data:`wom.app.sessions.SESSIONS`). The inputs are
:func:`wom.app.lesson.controls`, in Mesa's ``model_params`` format, and the pictures follow
Mesa's ``update_counter``. Unlike Mesa's ``SolaraViz``, a slider shows its value and applies
when let go (the run restarts from before week 0, stopped), and the graph takes the whole width.
The run buttons work like Mesa's ``ModelController`` (Reset, ▶/❚❚, Step), but its play
loop cannot be stopped from outside: replacing the model under it kept a stale loop
stepping the new one, so :func:`RunControls` plays in a loop bound to one model.

A change of the inputs is built off the page's thread, once per burst of changes
(:class:`wom.app.sessions.Latest`); the pictures redraw only what changed
(:mod:`wom.app.pictures`). Values the browser sends are checked: a crafted one gets a plain
error or is ignored, never a traceback.

Only Solara's own Vuetify app, RequireJS and Font Awesome are loaded in the browser (see
:mod:`wom.app.assets`): no ``solara.Markdown`` (it loads Mermaid) and no Altair (Vega).
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import reacton.ipyvuetify as rv
import reacton.ipywidgets as rw
import solara
from mesa.visualization.solara_viz import split_model_params
from mesa.visualization.utils import force_update, update_counter

from wom.app.lesson import ALONE, Lesson, controls
from wom.app.pictures import curves_picture, graph_picture
from wom.app.server import SCENARIO_ENV, SETTINGS_ENV
from wom.app.sessions import SESSIONS, Latest
from wom.config import Scenario, load_scenario
from wom.config.library import list_scenarios
from wom.errors import WomError

log = logging.getLogger(__name__)

#: The lesson opened when none is given.
DEFAULT_LESSON = "focused-vs-broad"
#: Milliseconds from one week to the next while playing, stepping and drawing included
#: (about 6 weeks per second for the flagship; docs/benchmarks.md); 0: as fast as it can.
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
    """The lesson at `path`; the scenario ``wom app`` was given comes with its ``--set``."""
    try:
        given = os.environ.get(SCENARIO_ENV) == str(path)
        settings = json.loads(os.environ.get(SETTINGS_ENV) or "[]") if given else []
        return load_scenario(path, settings), None
    except WomError as err:
        return None, str(err)


def _shown(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:.2f}"


def slider_value(raw: Any, *, low: float, high: float, integer: bool) -> float | int | None:
    """What the browser sent for a slider, as a number within its range (``None``: not a
    number, as only a crafted message would send)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        number = float(raw)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    number = min(max(number, low), high)
    return round(number) if integer else number


@solara.component
def Slider(  # noqa: N802
    label: str, value: float, on_commit: Callable[[Any], None], *, low: float, high: float,
    step: float, integer: bool,
) -> None:
    """A slider showing its value in its label, reporting it only when let go."""
    moving = solara.use_reactive(value)
    read = functools.partial(slider_value, low=low, high=high, integer=integer)

    def move(raw: Any) -> None:
        number = read(raw)
        if number is not None:
            moving.set(number)

    with solara.Column(gap="0px"):
        solara.Text(f"{label}: {_shown(moving.value)}", style={"font-size": "0.9em"})
        slider = rv.Slider(v_model=moving.value, on_v_model=move, min=low, max=high, step=step,
                           thumb_label=False, hide_details=True, dense=True)

        def let_go(*args: Any) -> None:  # (widget, event, data)
            number = read(args[-1] if args else None)
            if number is not None:
                on_commit(number)

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
    """Reset, ▶/❚❚ and Step. Playing steps `model` every `interval` ms (the time to step and
    draw included) until paused, the horizon, or another model replaces it (the loop
    belongs to one model), or the session ends."""
    update_counter.get()
    lesson = model.value
    gone = solara.use_memo(threading.Event, [])
    solara.use_effect(lambda: gone.set, [])  # set when the page (the session) goes away

    def play() -> None:
        due = time.monotonic()
        while playing.value and model.value is lesson and lesson.running:
            due += interval.value / 1000
            time.sleep(max(0.0, due - time.monotonic()))
            due = max(due, time.monotonic() - 1.0)  # a slow week does not make a burst
            if gone.is_set() or not (playing.value and model.value is lesson):
                return
            lesson.step()
            force_update()
        if model.value is lesson and not gone.is_set():
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
def Status(lesson: Lesson, building: bool) -> None:  # noqa: N802
    """Week and customers so far, per strategy (read by people and by the browser tests);
    in a market of accounts, also the accounts won and the people waiting."""
    update_counter.get()
    with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"}):
        solara.Text(lesson.week_label, classes=["wom-week"],
                    style={"font-size": "1.3em", "font-weight": "bold"})
        for model in lesson.models:
            solara.Text(f"{model.strategy.name}: {model.customers:,} customers",
                        classes=["wom-customers"], style={"font-size": "1.1em"})
            if model.population.accounts is not None:
                solara.Text(f"({model.accounts:,} accounts won, {model.waiting:,} people "
                            "waiting)", classes=["wom-accounts"], style={"font-size": "1.1em"})
        if building:
            solara.Text("building the new market…", classes=["wom-building"],
                        style={"font-style": "italic"})


@solara.component
def Graph(lesson: Lesson) -> None:  # noqa: N802
    """The conversation graph: drawn once per lesson, its customers redrawn every week."""
    update_counter.get()
    picture = solara.use_memo(lambda: graph_picture(lesson), [lesson])
    image = solara.use_memo(lambda: picture.frame(lesson), [lesson, lesson.week])
    rw.Image(value=image, format="png")


@solara.component
def Curves(lesson: Lesson) -> None:  # noqa: N802
    """Customers per segment so far: axes drawn once per lesson, curves every week."""
    update_counter.get()
    picture = solara.use_memo(lambda: curves_picture(lesson), [lesson])
    image = solara.use_memo(lambda: picture.frame(lesson), [lesson, lesson.week])
    rw.Image(value=image, format="png")


@solara.component
def LessonView(scenario: Scenario) -> None:  # noqa: N802
    """One scenario: its inputs, the run controls and the pictures."""
    params = solara.use_memo(lambda: controls(scenario), [])
    user, fixed = split_model_params(params)
    start: dict[str, Any] = {**fixed, **{k: v["value"] for k, v in user.items()}}
    values = solara.use_reactive(start)  # those of the run shown
    wanted = solara.use_ref(start)  # the latest asked for
    first = solara.use_memo(lambda: Lesson(**start), [])
    model: solara.Reactive[Lesson] = solara.use_reactive(first)
    error: solara.Reactive[str | None] = solara.use_reactive(None)
    building = solara.use_reactive(False)
    playing = solara.use_reactive(False)
    play_interval = solara.use_reactive(PLAY_INTERVAL)

    def built(new: dict[str, Any], result: Lesson | Exception) -> None:
        building.value = False
        if isinstance(result, WomError | ValueError):
            error.value = str(result)  # the last good run stays
            wanted.current = values.value
            return
        if isinstance(result, Exception):
            log.error("building a lesson failed", exc_info=result)
            error.value = f"could not build this market ({type(result).__name__})"
            wanted.current = values.value
            return
        error.value = None
        values.value = new
        model.value = result

    rebuild: Latest[dict[str, Any], Lesson] = solara.use_memo(
        lambda: Latest(lambda new: Lesson(**new), built), [])
    solara.use_effect(lambda: rebuild.close, [])  # the session is gone: build nothing more

    def restart(new: dict[str, Any]) -> None:
        playing.value = False
        wanted.current = new
        building.value = True
        rebuild.submit(new)

    def change(name: str, value: Any) -> None:
        now = wanted.current
        new = {**now, name: value}
        # Picking the strategy shown beside as the main one (or the reverse) swaps them.
        other = {"strategy": "side_by_side", "side_by_side": "strategy"}.get(name)
        if other is not None and value == now[other]:
            if now[name] == ALONE:  # beside itself: nothing to compare with
                new[name] = ALONE
            else:
                new[other] = now[name]
        restart(new)

    with solara.Sidebar():
        with solara.Card("Run"):
            # The sidebar is drawn outside the page's own tree (a portal): guarded apart.
            Guarded(functools.partial(RunControls, model, playing, play_interval,
                                      lambda: restart(wanted.current)))
            Slider("ms from one week to the next while playing", play_interval.value,
                   play_interval.set, low=0, high=2000, step=50, integer=True)
        with solara.Card("What if"):
            solara.Text("A change restarts the run from the start.", style={"font-size": "0.9em"})
            Guarded(functools.partial(Inputs, user, values.value, change))
            if error.value:
                solara.Error(error.value)

    lesson = model.value
    Status(lesson, building.value)
    Graph(lesson)
    Curves(lesson)


@solara.component
def Lessons() -> None:  # noqa: N802
    """Pick a lesson scenario, then play with it."""
    menu = solara.use_memo(lessons, [])
    names = list(menu)
    given = os.environ.get(SCENARIO_ENV)
    start = Path(given).stem if given else DEFAULT_LESSON
    choice = solara.use_reactive(start if start in menu else (names[0] if names else ""))
    picked = choice.value
    # The browser can send anything as the picked value: only a name of the menu opens.
    known = isinstance(picked, str) and picked in menu
    loaded = solara.use_memo(lambda: _load(menu[picked]) if known else (None, None),
                             [picked if known else None])
    scenario, problem = loaded

    with solara.Sidebar(), solara.Card("Lesson"):
        shown: str | None = picked if known else None
        solara.Select("scenario", values=names, value=shown,  # type: ignore[arg-type]
                      on_value=choice.set)  # type: ignore[arg-type]
        if scenario is not None and scenario.description:
            solara.Text(scenario.description)
    if not names:
        solara.Error("no scenarios found (set WOM_SCENARIOS to a folder)")
        return
    if not known:
        solara.Error("no such lesson: pick one from the menu")
        return
    if scenario is None:
        solara.Error(problem or "no scenario")
        return
    LessonView(scenario).key(f"lesson-{picked}")


#: What the page says when something unexpected fails (the details go to the server's log,
#: never to the browser: a traceback shows server paths).
CRASHED = ("Something went wrong in the app, and this lesson stopped. Reload the page to start "
           "again; the server's log has the details.")


def _log_crash(error: BaseException | None) -> None:
    if error is not None:
        log.error("the app failed: %s", error, exc_info=error)


@solara.component
def Guarded(child: Callable[[], Any]) -> Any:  # noqa: N802
    """`child`, or — when it or anything below it fails unexpectedly, while drawing, in an
    event or in the play loop (Solara raises a task's error where it is used) — a plain
    message (:data:`CRASHED`) instead of Solara's traceback."""
    error, _ = solara.use_exception()
    solara.use_effect(lambda: _log_crash(error), [error])
    if error is not None:
        # A bare element: a component with hooks here would change the hook count.
        return rv.Alert(type="error", class_="wom-crash", children=[CRASHED])
    return child()


@solara.component
def Page() -> None:  # noqa: N802
    """The app: a place among the sessions served, then the lessons."""
    place = solara.use_memo(SESSIONS.admit, [])
    solara.use_effect(lambda: functools.partial(SESSIONS.release, place), [])

    solara.Title("wom — word of mouth")
    with solara.AppBar():
        solara.AppBarTitle("wom: word of mouth, person by person")
    if place is None:
        solara.Error(f"The app is busy: it already runs {SESSIONS.limit} sessions, as many "
                     "as it was started for. Try again in a few minutes (a closed tab frees "
                     "its place at once).", classes=["wom-full"])
        return
    Guarded(Lessons)
