"""The scenario: strategies, the sweep block, and the whole file put together.

:class:`Scenario` is the validated form of a scenario file (docs/model.md describes every
key); :func:`wom.config.load_scenario` reads one from YAML with line numbers in its errors.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BeforeValidator, Field, field_validator, model_validator

from wom.config.attributes import Attribute, AttributeName
from wom.config.fields import (
    IGNITION_SHARE,
    Count,
    Name,
    Positive,
    Share,
    Strict,
    folder_name,
    not_bool,
)
from wom.config.inference import Fit, Uncertainty
from wom.config.keys import Vary, make_vary
from wom.config.metrics import METRIC_NAMES
from wom.config.optimize import Optimize
from wom.config.registry import SEEDING_RULES, STRATEGY_KINDS, choices
from wom.config.schema import Budget, Dynamics, Network, Segment, SegmentShorthand
from wom.errors import ScenarioError, UnknownStrategyError, WomError

#: The keys of a strategy that name segments; each kind takes some of them.
TARGET_KEYS = ("segment", "segments", "order")
#: The keys only a ``mix`` takes: its split over segments, messages and own budget keys.
MIX_KEYS = ("weights", "message", "seed_share", "campaign_weeks")
#: Top-level blocks a scenario may leave out (and a written scenario then omits).
OPTIONAL_BLOCKS = ("attributes", "sweep", "fit", "uncertainty", "optimize")
#: Strategy keys a written scenario leaves out when not given (as before they existed).
OPTIONAL_STRATEGY_KEYS = ("target", "cost_per_contact", "cost_per_seed")
#: ``mix``: the message a segment hears, its own (tailored) or the generic one.
MessageChoice = Literal["tailored", "generic"]


def defaults_of(block: type[Strict]) -> Callable[[dict[str, Any]], None]:
    """A ``json_schema_extra`` giving a block's defaults, read when the schema is made."""

    def extra(schema: dict[str, Any]) -> None:
        schema["default"] = block().model_dump(mode="json")

    return extra


#: A weight of `aim`: any number ≥ 0 (they are divided by their sum).
Weight = Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False), BeforeValidator(not_bool)]


def _one_role(value: Any) -> Any:
    """``aim: buyer`` is ``aim: {buyer: 1}``."""
    return {value: 1.0} if isinstance(value, str) else value


def _metric(name: Any) -> str:
    if not isinstance(name, str) or name not in METRIC_NAMES:
        raise ValueError(f"Input should be {choices(METRIC_NAMES)}")
    return name


class Strategy(Strict):
    """How the budget becomes seeds and contacts."""

    name: Name = Field(description="Unique name, used in results.")
    kind: Annotated[str, BeforeValidator(STRATEGY_KINDS.check)] = Field(
        json_schema_extra=STRATEGY_KINDS.schema("How the budget becomes seeds and contacts. "),
    )
    segment: Name | None = Field(
        None, description="The target segment (focused), or the first pin (beachhead)."
    )
    segments: list[Name] | None = Field(None, description="The target segments (multi).")
    order: list[Name] | None = Field(
        None, description="beachhead: the pins in order (default: `segment`, then automatic). "
        "mix: the segments won one after another, instead of `weights` (a sequence).",
    )
    trigger: Share = Field(
        IGNITION_SHARE,
        description="beachhead, mix with `order`: share of the current pin's TAM won before "
        "moving on.",
    )
    seeding: Annotated[str, BeforeValidator(SEEDING_RULES.check)] = Field(
        "poster_child",
        json_schema_extra=SEEDING_RULES.schema("Who gets the seeds inside a targeted segment. "),
    )
    greedy_runs: Count = Field(
        16, ge=1, le=10_000, description="greedy: simulations per evaluation of a seed set."
    )
    greedy_pool: Count = Field(
        100, ge=1, le=1_000_000,
        description="greedy: candidates considered per segment (those with the most ties).",
    )
    weights: dict[Name, Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = Field(
        None, description="mix: the segments targeted and the money each gets, in proportion "
        "to these weights, e.g. {dentists: 3, vets: 1} (they need not sum to 1).")
    message: MessageChoice | dict[Name, MessageChoice] | None = Field(
        None, description="mix: `tailored` (each segment its own language), `generic`, or "
        "per segment {dentists: tailored, vets: generic} [default: tailored].")
    seed_share: Share | None = Field(
        None, description="mix: share of the budget spent on seeds [default: the budget's].")
    campaign_weeks: Count | None = Field(
        None, ge=1, le=100_000, description="mix: contacts spread over these first steps "
        "[default: the budget's].")
    aim: Annotated[dict[Literal["anyone", "user", "buyer", "payer"], Weight] | None,
                   BeforeValidator(_one_role)] = Field(
        None, description="With accounts: how the contacts split over roles, e.g. {user: 0.5, "
        "buyer: 0.3, payer: 0.2}: weights, divided by their sum (so one can be swept alone), "
        "or one role, `aim: buyer` (default: anyone in the segment, drawn at random)."
    )
    target: dict[Name, Name] | None = Field(
        None, min_length=1, description="focused: people by attribute instead of a segment, "
        "e.g. {vertical: dentists}, wherever they talk (several keys: people with all); the "
        "message is written for the (first) value and resonates by attribute.")
    cost_per_contact: Positive | None = Field(
        None, description="This strategy's cost of one contact [default: the segment's, or "
        "with `target` the mean over the people targeted].")
    cost_per_seed: Positive | None = Field(None, description="This strategy's cost of one "
                                           "seed [default: as cost_per_contact].")
    resonance: dict[Literal["user", "buyer", "payer"], Share] | None = Field(
        None, description="With accounts: the message's resonance with each role, e.g. a "
        "feature message {user: 1.0, buyer: 0.6, payer: 0.2} or an ROI message {user: 0.5, "
        "buyer: 0.8, payer: 1.0} (a role left out: 1.0). It multiplies every chance the "
        "campaign's message has with a person of that role, retold or heard."
    )

    @model_validator(mode="after")
    def _needs(self) -> Strategy:
        # What each kind needs and takes is registered with it (wom.campaign.strategies).
        info = STRATEGY_KINDS.info(self.kind)
        for key in info.get("needs", ()):
            if getattr(self, key) is None and not (key == "segment" and self.target):
                alt = " (or `target`)" if "target" in info.get("takes", ()) else ""
                raise ValueError(f"a {self.kind} strategy needs `{key}`{alt}")
        allowed = set(info.get("takes", ()))
        for key in (*TARGET_KEYS, *MIX_KEYS, "target"):
            if key not in allowed and getattr(self, key) is not None:
                raise ValueError(f"a {self.kind} strategy takes no `{key}`")
        check = info.get("check")
        if check is not None:
            check(self)
        if self.target is not None and self.segment is not None:
            raise ValueError("give `segment` (a conversation community) or `target` (people "
                             "by attribute), not both")
        if self.segments is not None and not self.segments:
            raise ValueError("`segments` is empty")
        return self

    @field_validator("aim")
    @classmethod
    def _aim_shares(cls, aim: dict[str, float] | None) -> dict[str, float] | None:
        if aim is not None and sum(aim.values()) <= 0:
            raise ValueError("the weights of `aim` are all 0: give some role a weight")
        return aim

    def role_resonance(self) -> tuple[float, float, float]:
        """The message's resonance with users, buyers and payers (1.0 unless given)."""
        given = self.resonance or {}
        return (given.get("user", 1.0), given.get("buyer", 1.0), given.get("payer", 1.0))

    def aim_shares(self) -> tuple[float, float, float, float]:
        """The contacts' shares for anyone, users, buyers and payers."""
        if self.aim is None:
            return (1.0, 0.0, 0.0, 0.0)
        total = sum(self.aim.values())
        return tuple(float(self.aim.get(r, 0.0)) / total  # type: ignore[return-value]
                     for r in ("anyone", "user", "buyer", "payer"))

    @property
    def targets(self) -> list[str]:
        """The segments this strategy names (empty for broad)."""
        out = [self.segment] if self.segment else []
        for x in (self.segments or []) + (self.order or []) + list(self.weights or {}):
            if x not in out:
                out.append(x)
        return out


SweepDesign = Literal["grid", "lhs"]


class Sweep(Strict):
    """A ``sweep:`` block: what ``wom sweep SCENARIO`` varies when no ``--vary`` is given."""

    vary: dict[str, str | list[Annotated[int | float | str, BeforeValidator(not_bool)]]] = Field(
        min_length=1,
        description="Key path → values: 'LO:HI:N' (N evenly spaced), 'A,B,C' or a list. "
                    "'*' means every element of a list: segments.*.references.")
    design: SweepDesign = Field("grid", description="grid: every combination; lhs: a Latin "
                                "hypercube of `points` points over the LO:HI ranges.")
    points: Count | None = Field(None, ge=1, le=1_000_000,
                                 description="Points of a Latin hypercube design.")
    replicates: Count | None = Field(None, ge=1, le=10_000_000,
                                     description="Replicates per point [default: the "
                                     "scenario's replicates].")
    compare: list[Name] | None = Field(None, min_length=2, max_length=2,
                                       description="The two strategies of the phase diagram "
                                       "[default: the first two].")
    metric: Annotated[str, BeforeValidator(_metric)] = Field(
        "customers", description="What the phase diagram compares.",
        json_schema_extra={"enum": list(METRIC_NAMES)})

    @field_validator("vary")
    @classmethod
    def _parses(cls, vary: dict[str, Any]) -> dict[str, Any]:
        for path, spec in vary.items():
            try:
                make_vary(path, spec)
            except WomError as err:
                raise ValueError(f"{path}: {err}") from None
        return vary

    @model_validator(mode="after")
    def _lhs_has_points(self) -> Sweep:
        if self.design == "lhs":
            if self.points is None:
                raise ValueError("a Latin hypercube (design: lhs) needs `points`")
            listed = [k for k, v in self.vary.items() if not (isinstance(v, str) and ":" in v)]
            if listed:
                raise ValueError(f"a Latin hypercube (design: lhs) needs ranges 'LO:HI:N', "
                                 f"not lists: {', '.join(listed)}")
        return self

    def varies(self) -> list[Vary]:
        """The swept parameters as :class:`wom.config.keys.Vary`."""
        return [make_vary(path, spec) for path, spec in self.vary.items()]


class Scenario(Strict):
    """A complete what-if: market, conversation graph, dynamics, budget and strategies."""

    name: str = Field("scenario", min_length=1, pattern=r"^[^/\\\x00]+$")
    description: str = ""
    seed: Count = Field(0, ge=0, description="One seed fixes everything.")
    horizon: Count = Field(52, ge=1, le=100_000, description="Steps (weeks) simulated.")
    replicates: Count = Field(100, ge=1, le=10_000_000, description="Independent replicates.")
    segments: list[Segment] = Field(min_length=1)
    # Built when a scenario leaves the block out (not at import: a default network names a
    # graph model, registered later); the schema shows the defaults all the same.
    network: Network = Field(default_factory=Network, json_schema_extra=defaults_of(Network))
    dynamics: Dynamics = Field(default_factory=Dynamics, json_schema_extra=defaults_of(Dynamics))
    budget: Budget = Field(default_factory=Budget, json_schema_extra=defaults_of(Budget))
    strategies: list[Strategy] = Field(
        default_factory=list, description="The plans compared (`wom run` needs one; `wom fit` "
        "needs none: the past had no wom strategy).")
    sweep: Sweep | None = Field(None, description="What `wom sweep` varies by default.")
    fit: Fit | None = Field(None, description="What `wom fit` estimates from observed "
                            "adoption [default: word of mouth and background].")
    uncertainty: Uncertainty | None = Field(
        None, description="Parameter draws from a fit: replicate i uses draw i, so forecasts "
        "carry the fit's uncertainty (wom fit writes it into fitted.yaml).")
    optimize: Optimize | None = Field(None, description="What `wom optimize` may change in "
                                      "a plan, and how hard it searches.")
    attributes: dict[AttributeName, Attribute] | None = Field(None, description="What people are "
                                                     "besides their segment: what a strategy "
                                                     "may `target`.")

    @field_validator("name")
    @classmethod
    def _usable_as_folder(cls, name: str) -> str:
        return folder_name(name)

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("segments"), dict):
            data = dict(data)
            data["segments"] = SegmentShorthand.model_validate(data["segments"]).expand()
        return data

    @model_validator(mode="after")
    def _campaign_fits_horizon(self) -> Scenario:
        # The default campaign (12 weeks) shrinks to a shorter horizon; an explicit
        # campaign_weeks longer than the horizon stays an error (see _cross_checks).
        if "campaign_weeks" not in self.budget.model_fields_set and (
            self.budget.campaign_weeks > self.horizon
        ):
            self.budget = self.budget.model_copy(update={"campaign_weeks": self.horizon})
        return self

    def require_strategies(self, what: str = "run", file: Path | str | None = None) -> None:
        """Refuse to `what` a scenario that has no strategies (one that serves ``wom fit``).

        Raises
        ------
        ScenarioError
            Naming the scenario `file` (when given, else the scenario's name) and what to add.
        """
        if not self.strategies:
            where = file if file is not None else f"<scenario {self.name!r}>"
            raise ScenarioError(where, [("strategies", None, f"no strategies to {what}: add "
                                         "one (a scenario without strategies serves "
                                         "`wom fit`)")])

    def refuse_accounts(self, what: str, instead: str,
                        file: Path | str | None = None) -> None:
        """Refuse `what`, which is not modelled yet when people buy in accounts (today's
        customers, ``wom fit``), saying what to do `instead`.

        Raises
        ------
        ScenarioError
            Naming the scenario `file` (else the scenario's name) and the first segment
            with accounts.
        """
        with_accounts = [i for i, s in enumerate(self.segments) if s.accounts is not None]
        if not with_accounts:
            return
        names = ", ".join(self.segments[i].name for i in with_accounts[:4]) + (
            " …" if len(with_accounts) > 4 else "")
        spec = self.network.file
        if self.network.model == "file" and spec is not None:
            key = "network.file." + ("labels" if spec.account_attribute is None
                                     else "account_attribute")
            given = "the graph file puts people in accounts"
        else:
            key = f"segments[{with_accounts[0]}].accounts"
            given = f"people buy in accounts (`accounts:` on {names})"
        where = file if file is not None else f"<scenario {self.name!r}>"
        raise ScenarioError(where, [(key, None, f"{what} with accounts is not modelled yet, "
                                     f"and here {given}: {instead}")])

    def strategy(self, name: str | None = None) -> Strategy:
        """The strategy called `name` (the first if ``None``).

        Raises
        ------
        UnknownStrategyError
            No strategy has that name (the message lists those that exist).
        """
        if not self.strategies:
            raise UnknownStrategyError("the scenario has no strategies: add one under "
                                       "`strategies:` to run it")
        if name is None:
            return self.strategies[0]
        for spec in self.strategies:
            if spec.name == name:
                return spec
        known = ", ".join(s.name for s in self.strategies)
        raise UnknownStrategyError(f"unknown strategy {name!r}; the scenario has: {known}")

    @property
    def segment_names(self) -> list[str]:
        return [s.name for s in self.segments]

    @property
    def churn(self) -> tuple[float, ...]:
        """Each segment's chance per step that a customer leaves."""
        return tuple(s.churn for s in self.segments)

    @property
    def priced(self) -> bool:
        """Whether any segment has a price or a cost to serve: results in money mean
        something (else every money metric is 0 and tables leave them out)."""
        return any(s.price > 0 or s.cost_to_serve > 0 for s in self.segments)

    @property
    def people(self) -> int:
        return sum(s.size for s in self.segments)

    @property
    def has_accounts(self) -> bool:
        """Whether people buy in accounts (some segment has an ``accounts:`` block; the
        others are then accounts of one)."""
        return any(s.accounts is not None for s in self.segments)

    def input_files(self) -> list[Path]:
        """The files the market is read from (the graph file and its labels), as written in
        the scenario (absolute once loaded from a file)."""
        spec = self.network.file
        if spec is None:
            return []
        return [Path(p) for p in (spec.path, spec.labels) if p is not None]

    def to_yaml(self) -> str:
        """The scenario with every default filled in, as YAML (optional blocks it does not
        have are left out)."""
        data = self.model_dump(mode="json")
        for block in OPTIONAL_BLOCKS:
            if data.get(block) is None:
                data.pop(block, None)
        for spec in data.get("strategies", []):
            for key in OPTIONAL_STRATEGY_KEYS:
                if spec.get(key) is None:
                    spec.pop(key, None)
        for att in (data.get("attributes") or {}).values():
            for key in [k for k, v in att.items() if v is None]:
                att.pop(key)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
