"""The ``optimize:`` block: what ``wom optimize`` may change in a plan, and how hard it looks.

Every key fixes or bounds one dimension of the plan space (strategy kind ``mix``,
docs/model.md §3): the segments a plan may target, its seed share and campaign length, the
messages and seeding rules it may use. Leaving the block out searches the whole space. The
checks that need the rest of the scenario (segment names, the horizon, prices) are in
:func:`wom.config.checks.optimize_checks`, so an error names the key at fault and its line.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from wom.config.fields import Count, Name, Share, Strict
from wom.config.registry import SEEDING_RULES

#: What a search maximises (or, for payback, minimises), and the metric of each
#: (:data:`wom.config.METRICS`).
OBJECTIVES = {"customers": "customers", "profit": "profit", "payback": "payback_step"}
Objective = Literal["customers", "profit", "payback"]
#: Seeding rules searched when the block names none: ``greedy`` is left out, as each of its
#: plans costs many simulations.
DEFAULT_SEEDING = ("poster_child", "hubs", "bridges", "random")


def _bounds(kind: str) -> Any:
    """A value (fixed: read as ``[value, value]``) or ``[low, high]`` (bounds)."""

    def check(value: Any) -> Any:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"give one {kind} (fixed) or two, [low, high] (bounds)")
            return tuple(value)
        return (value, value)

    return BeforeValidator(check)


def _value_or_bounds(one: dict[str, Any]) -> Any:
    """The JSON Schema of a value or ``[low, high]`` (what :func:`_bounds` reads)."""
    return WithJsonSchema({"anyOf": [one, {"type": "array", "items": one, "minItems": 2,
                                           "maxItems": 2}]})


Week = Annotated[Count, Field(ge=1, le=100_000)]
ShareBounds = Annotated[tuple[Share, Share], _bounds("share"), _value_or_bounds(
    {"type": "number", "minimum": 0, "maximum": 1})]
WeekBounds = Annotated[tuple[Week, Week], _bounds("week count"), _value_or_bounds(
    {"type": "integer", "minimum": 1, "maximum": 100_000})]


def as_range(value: Any) -> tuple[Any, Any]:
    """``(low, high)`` of bounds."""
    return value[0], value[1]


class Optimize(Strict):
    """An ``optimize:`` block: the plan space ``wom optimize`` searches, and its effort."""

    segments: list[Name] | None = Field(
        None, description="The segments a plan may target [default: every segment].")
    seed_share: ShareBounds = Field(
        (0.0, 1.0), description="Share of the budget on seeds: a value (fixed) or [low, high].")
    campaign_weeks: WeekBounds | None = Field(
        None, description="Weeks the contacts are spread over: a value (fixed) or [low, "
        "high] [default: 1 to the horizon, at most 26 or the budget's campaign].")
    messages: list[Literal["tailored", "generic"]] = Field(
        ["tailored", "generic"], description="The messages a targeted segment may hear.")
    sequencing: list[Literal["parallel", "sequenced"]] = Field(
        ["parallel", "sequenced"], description="How a plan's segments share the campaign: "
        "`parallel` (the budget split by weight, all at once) or `sequenced` (bowling pins: "
        "the heaviest first, each until it wins `trigger` of its TAM).")
    trigger: ShareBounds = Field(
        (0.05, 0.5), description="A sequenced plan's share of a pin's TAM won before it "
        "moves on: a value (fixed) or [low, high].")
    seeding: list[Annotated[str, BeforeValidator(SEEDING_RULES.check)]] = Field(
        list(DEFAULT_SEEDING), description="The seeding rules a plan may use [default: all "
        "but greedy, whose plans cost many simulations each].")
    objective: Objective = Field("customers", description="What the search maximises "
                                 "(payback: the payback week, minimised).")
    trials: Count = Field(200, ge=1, le=100_000, description="Plans tried.")
    replicates: Count = Field(100, ge=1, le=100_000, description="Most replicates a plan is "
                              "evaluated on in the search (the promising ones).")
    min_replicates: Count = Field(4, ge=1, le=100_000, description="Replicates every plan "
                                  "is first evaluated on (successive halving: a third go on).")
    confirm: Count = Field(3, ge=1, le=100, description="Best plans re-run on fresh "
                           "replicates beside the scenario's strategies.")

    @field_validator("segments", "messages", "sequencing", "seeding")
    @classmethod
    def _not_empty(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None and not value:
            raise ValueError("empty: the plan space has nothing to choose from")
        if value is not None and len(set(value)) != len(value):
            raise ValueError("a value is listed twice")
        return value

    @field_validator("seed_share", "campaign_weeks", "trigger")
    @classmethod
    def _ordered(cls, value: Any) -> Any:
        if value is not None:
            lo, hi = as_range(value)
            if hi < lo:
                raise ValueError(f"[{lo}, {hi}]: the high bound is below the low one")
        return value

    @model_validator(mode="after")
    def _replicates(self) -> Optimize:
        if self.min_replicates > self.replicates:
            raise ValueError(f"min_replicates ({self.min_replicates}) is more than "
                             f"replicates ({self.replicates})")
        return self

    def weeks(self, horizon: int, budget_weeks: int = 0) -> tuple[int, int]:
        """The campaign lengths searched (default: 1 to the horizon, at most 26 or the
        budget's `budget_weeks`, so the scenario's own plans are in the space)."""
        if self.campaign_weeks is None:
            return 1, min(horizon, max(26, budget_weeks))
        lo, hi = as_range(self.campaign_weeks)
        return int(lo), int(hi)
