"""The blocks that tie a scenario to data: ``fit:`` (what ``wom fit`` estimates) and
``uncertainty:`` (parameter draws from a fit, one per replicate)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from wom.config.fields import Count, Strict, not_bool
from wom.config.keys import KEY_PATH

Number = Annotated[int | float, BeforeValidator(not_bool)]
#: What ``wom fit`` estimates when a scenario names nothing.
DEFAULT_FREE = {"dynamics.word_of_mouth": [0.0, 0.5], "dynamics.background": [0.0, 0.5]}


def _paths(paths: Iterable[str]) -> None:
    for path in paths:
        if not KEY_PATH.match(path):
            raise ValueError(f"{path!r} is not a dotted key path (like dynamics.background "
                             "or segments.*.references)")


class Fit(Strict):
    """A ``fit:`` block: what ``wom fit`` estimates from observed adoption, and how."""

    free: dict[str, Annotated[list[Number], Field(min_length=2, max_length=2)]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_FREE.items()},
        description="Key path → [low, high]: the parameters estimated, each with its range "
        "(a flat prior over it). Keys that hold whole numbers (dynamics.talk_weeks, "
        "segments.*.references) are estimated as whole numbers. Default: word of mouth and "
        "background, each in [0, 0.5].", min_length=1)
    method: Literal["auto", "likelihood", "abc"] = Field(
        "auto", description="likelihood: the exact likelihood of individual adoption on a "
        "known graph (Markov chain Monte Carlo); abc: simulation-based (ABC-SMC), for "
        "counts per segment; auto: by the shape of the data.")
    draws: Count = Field(400, ge=20, le=100_000, description="Posterior draws kept (written "
                         "into fitted.yaml: replicate i of a forecast uses draw i).")
    first_period: Count | None = Field(
        None, ge=0, le=100_000, description="The data's first period (step 0 of the model) "
        "[default: 0 if a period 0 appears in the data, else 1].")
    last_period: Count | None = Field(
        None, ge=0, le=100_000, description="The data's last period: people with no adoption "
        "were watched until its end [default: the last period in the data].")
    particles: Count = Field(300, ge=20, le=100_000, description="abc: particles per "
                             "generation.")
    generations: Count = Field(20, ge=1, le=100, description="abc: most generations (it "
                               "stops before once the tolerance falls by less than 10% in a "
                               "generation).")

    @field_validator("free")
    @classmethod
    def _ranges(cls, free: dict[str, list[float]]) -> dict[str, list[float]]:
        _paths(free)
        for path, (lo, hi) in free.items():
            if not lo < hi:
                raise ValueError(f"{path}: the range [{lo}, {hi}] is empty (low must be below "
                                 "high)")
        return free

    @model_validator(mode="after")
    def _periods(self) -> Fit:
        first, last = self.first_period, self.last_period
        if first is not None and last is not None and last < first:
            raise ValueError(f"last_period ({last}) is before first_period ({first})")
        return self


class Uncertainty(Strict):
    """An ``uncertainty:`` block: parameter values drawn from a fit; replicate ``i`` of a run
    uses draw ``i mod n``, so forecasts carry what the data left uncertain."""

    draws: dict[str, Annotated[list[Number], Field(min_length=1)]] = Field(
        min_length=1, description="Key path → one value per draw (every list as long).")
    source: str = Field("", description="What the draws come from (set by wom fit).")
    estimates: dict[str, Number] = Field(
        default_factory=dict, description="The fit's estimate of each drawn key, as wom fit "
        "wrote it into the scenario: a drawn key whose value is not its estimate is refused "
        "(no replicate would run with that value); a value set with --set or swept replaces "
        "the draws of its key.")
    intervals: dict[str, Annotated[list[Number], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict, description="The fit's 95% interval [low, high] of each drawn "
        "key, as wom fit reported it (a run's report quotes it).")

    @field_validator("intervals")
    @classmethod
    def _ordered(cls, intervals: dict[str, list[float]]) -> dict[str, list[float]]:
        _paths(intervals)
        for path, (lo, hi) in intervals.items():
            if lo > hi:
                raise ValueError(f"{path}: the interval's low end {lo!r} is above its high end "
                                 f"{hi!r}")
        return intervals

    @field_validator("draws")
    @classmethod
    def _same_length(cls, draws: dict[str, list[float]]) -> dict[str, list[float]]:
        _paths(draws)
        lengths = {len(v) for v in draws.values()}
        if len(lengths) > 1:
            raise ValueError(f"every key needs as many draws; the lists have "
                             f"{', '.join(str(n) for n in sorted(lengths))} values")
        return draws

    @property
    def size(self) -> int:
        return len(next(iter(self.draws.values())))

    def draw(self, replicate: int) -> dict[str, float]:
        """The values replicate `replicate` uses (draw ``replicate mod size``)."""
        i = replicate % self.size
        return {path: values[i] for path, values in self.draws.items()}
