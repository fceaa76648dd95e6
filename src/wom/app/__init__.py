"""The teaching app: a web page (Mesa + Solara) to play with one lesson scenario.

``wom app [SCENARIO]`` is :func:`serve`; the page is :func:`wom.app.views.Page` (solara
and Mesa's visualisation are imported only there); what it runs is a :class:`Lesson`.
"""

from __future__ import annotations

from wom.app.lesson import ALONE, Lesson, controls, scenario_values, what_if
from wom.app.server import serve

__all__ = ["ALONE", "Lesson", "controls", "scenario_values", "serve", "what_if"]
