"""The scenario file: the user's contract (DESIGN §6), validated before anything runs.

A scenario is YAML. Every number has a documented default; unknown keys are errors (a typo
must not silently fall back to a default). :func:`load_scenario` turns a file into a
:class:`Scenario` or raises :class:`~wom.errors.ScenarioError` naming the file, the line,
the key path and what is wrong.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from wom.errors import ScenarioError, WomError


def _not_bool(value: Any) -> Any:
    # YAML reads yes/no/true/false as booleans, and pydantic would take them as 1 and 0.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    return value


def _name(value: Any) -> Any:
    # Segment labels read from YAML or graph files are often numbers (department 4).
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _printable(value: str) -> str:
    # Names go into tables, CSV files, plots and folder names: a control character (tab,
    # newline, escape) would garble them, and a lone surrogate cannot even be written as UTF-8.
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cs")), None)
    if bad is not None:
        raise ValueError(f"contains the control character U+{ord(bad):04X}; names are printed "
                         "in tables and plots")
    return value


_Number = BeforeValidator(_not_bool)
Name = Annotated[str, BeforeValidator(_name), Field(min_length=1), AfterValidator(_printable)]
Share = Annotated[float, _Number, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Positive = Annotated[float, _Number, Field(gt=0.0, allow_inf_nan=False)]
Count = Annotated[int, _Number]

#: Biggest market the ``complete`` graph accepts: N·(N−1) arcs must fit in memory.
COMPLETE_GRAPH_MAX_PEOPLE = 10_000
#: Penetration of a segment's TAM that counts as "ignited" (innovators + early adopters).
IGNITION_SHARE = 0.16
#: Most seeds or contacts a budget may buy at one cost (beyond, counts overflow int64 maths).
MAX_UNITS = 10**15


class UnknownStrategyError(WomError, ValueError):
    """A strategy name the scenario does not have."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class Segment(_Strict):
    """One market segment: people who share a use case and talk to each other."""

    name: Name = Field(description="Unique name, used by strategies and in results.")
    size: Count = Field(
        gt=0, le=50_000_000,
        description="Number of people in the segment (taken from the file for network.model: "
        "file).",
    )
    tam: Share = Field(1.0, description="Share of the segment that could ever buy (TAM).")
    incumbent: Share = Field(
        0.0,
        description="Share of the segment already held by a competitor (taken out of the TAM): "
        "they never adopt and never pass our message on.",
    )
    early_market: Share = Field(
        0.16,
        description="Share of the segment needing no references (innovators + early adopters).",
    )
    references: Count = Field(
        0,
        ge=0,
        le=1000,
        description="Same-segment adopting neighbours everyone outside the early market needs "
        "before adopting (0: nobody needs references).",
    )
    cost_per_contact: Positive | None = Field(
        None, description="Cost of reaching one person of this segment (default: the budget's)."
    )
    cost_per_seed: Positive | None = Field(
        None, description="Cost of one seed in this segment (default: the budget's)."
    )

    @model_validator(mode="after")
    def _incumbent_inside_tam(self) -> Segment:
        if self.incumbent > self.tam:
            raise ValueError(
                f"incumbent ({self.incumbent}) cannot exceed tam ({self.tam}): "
                "the competitor's customers are part of the TAM"
            )
        return self


class SegmentShorthand(_Strict):
    """``{count: 8, size: 2000, ...}``: ``count`` identical segments.

    With ``network.model: file`` the segments come from the file: leave out ``count``,
    ``size`` and ``names``, and the other keys apply to every segment found.
    """

    count: Count | None = Field(None, gt=0, le=10_000)
    size: Count | None = Field(None, gt=0, le=50_000_000)
    size_exponent: Annotated[float, _Number, Field(gt=1.0, le=10.0)] | None = Field(
        None,
        description="Heavy-tailed sizes: segment sizes follow a power law with this exponent "
        "(the LFR benchmark uses 1–2), spread deterministically around a mean of `size`.",
    )
    names: list[Name] | None = Field(None, description="Optional names, one per segment.")
    tam: Share = 1.0
    incumbent: Share = 0.0
    early_market: Share = 0.16
    references: Count = Field(0, ge=0, le=1000)
    cost_per_contact: Positive | None = None
    cost_per_seed: Positive | None = None

    def traits(self) -> dict[str, Any]:
        """The keys every expanded segment shares."""
        return self.model_dump(exclude={"count", "size", "size_exponent", "names"},
                               exclude_none=True)

    def expand(self) -> list[dict[str, Any]]:
        if self.count is None or self.size is None:
            missing = "count" if self.count is None else "size"
            raise ValueError(f"the segment shorthand needs `{missing}` (unless the segments "
                             "come from a graph file: network.model: file)")
        if self.names is not None and len(self.names) != self.count:
            raise ValueError(f"names has {len(self.names)} entries but count is {self.count}")
        names = self.names or [f"segment-{i + 1}" for i in range(self.count)]
        sizes = (power_law_sizes(self.count, self.size, self.size_exponent)
                 if self.size_exponent else [self.size] * self.count)
        return [{"name": n, "size": z, **self.traits()} for n, z in zip(names, sizes, strict=True)]


def power_law_sizes(count: int, mean: int, exponent: float) -> list[int]:
    """`count` sizes at the quantiles of a power law P(s) ∝ s^−exponent, mean about `mean`.

    Deterministic (quantiles, not draws), largest first, each at least 2.
    """
    q = (np.arange(count) + 0.5) / count
    # Pareto with minimum 1: s = (1 − q)^(−1/(exponent − 1)), capped so one segment cannot
    # hold everyone; then scaled to the mean.
    raw = np.minimum((1.0 - q) ** (-1.0 / (exponent - 1.0)), count)
    sizes = np.maximum(2, np.round(raw * mean * count / raw.sum())).astype(int)
    return sorted(sizes.tolist(), reverse=True)


class GraphFile(_Strict):
    """A real conversation graph read from a file (``network.model: file``)."""

    path: str = Field(description="Edge list, CSV, GML or GraphML; relative to the scenario file.")
    format: Literal["auto", "edgelist", "csv", "gml", "graphml"] = Field(
        "auto", description="auto: by suffix (.gml, .graphml, .csv; anything else: edge list)."
    )
    labels: str | None = Field(
        None, description="A file of `node<TAB>segment` lines giving each person's segment."
    )
    attribute: str | None = Field(
        None, description="The node attribute holding the segment (GML, GraphML)."
    )
    label_prefix: str = Field(
        "", description="Put before every segment label (e.g. 'dept-' makes 4 into dept-4)."
    )
    resolution: Positive = Field(
        1.0, description="Louvain resolution, when segments are found from the graph itself "
        "(no labels and no attribute): higher gives more, smaller segments."
    )
    louvain_seed: Count = Field(
        0, ge=0, description="Seed of the Louvain search. The segments found are part of the "
        "market's definition (strategies name them), so they do not follow the scenario seed."
    )

    @model_validator(mode="after")
    def _one_source(self) -> GraphFile:
        if self.labels is not None and self.attribute is not None:
            raise ValueError("give `labels` or `attribute`, not both")
        return self


class Network(_Strict):
    """The conversation graph."""

    model: Literal[
        "planted_partition", "erdos_renyi", "complete", "lfr", "clustered", "file"
    ] = Field(
        "planted_partition",
        description="planted_partition: dense inside segments, `mixing` of ties leave; "
        "lfr: like planted_partition with heavy-tailed (power-law) degrees; "
        "clustered: friends of friends are friends inside segments (ring lattice rewired); "
        "erdos_renyi: ties at random, ignoring segments; complete: everyone talks to everyone; "
        "file: a real graph (see `file`).",
    )
    mean_degree: Positive = Field(
        10.0, le=1_000_000, description="Mean number of conversation ties per person."
    )
    mixing: Share = Field(0.1, description="Share of each person's ties that leave their segment.")
    weak_tie: Share = Field(
        0.5, description="Strength of a cross-segment tie relative to an in-segment tie."
    )
    talks_with: dict[Name, dict[Name, Share]] | None = Field(
        None,
        description="Uneven cross-segment talk: talks_with[a][b] is the share of a's "
        "cross-segment ties that go to b; the rest is split over other segments by size.",
    )
    degree_exponent: Annotated[float, _Number, Field(gt=2.0, le=10.0)] = Field(
        2.5, description="lfr: exponent of the power-law degree distribution."
    )
    max_degree: Count | None = Field(
        None, gt=0, description="lfr: largest degree (default: the square root of 10·people)."
    )
    rewire: Share = Field(
        0.1, description="clustered: share of in-segment ties rewired at random (0: lattice)."
    )
    file: GraphFile | None = Field(None, description="The graph file, for model: file.")

    @model_validator(mode="after")
    def _file_given(self) -> Network:
        if self.model == "file" and self.file is None:
            raise ValueError("model: file needs `file: {path: ...}`")
        if self.model != "file" and self.file is not None:
            raise ValueError(f"`file` is only read with model: file (model is {self.model})")
        return self


class Dynamics(_Strict):
    """The adoption rule's parameters (DESIGN §2)."""

    word_of_mouth: Share = Field(
        0.05,
        description="β: chance an advocate converts a neighbour in one step, at full resonance.",
    )
    marketing: Share = Field(
        0.02, description="a: chance a reached person converts, at full resonance."
    )
    talk_weeks: Count = Field(
        4, ge=1, le=100_000, description="Steps an adopter keeps advocating after adopting."
    )
    generic_resonance: Share = Field(
        0.3, description="Resonance of the generic message in every segment."
    )
    overlap: Share | dict[Name, Share | dict[Name, Share]] = Field(
        0.2,
        description="Resonance of a tailored message outside the segment it was written for: "
        "one number, or a matrix {written_for: {heard_in: resonance}} with an optional "
        "`default` (0.2) for the pairs not listed.",
    )

    def overlap_of(self, written_for: str, heard_in: str) -> float:
        """Resonance in `heard_in` of the message tailored to `written_for`."""
        if written_for == heard_in:
            return 1.0
        if not isinstance(self.overlap, dict):
            return self.overlap
        row = self.overlap.get(written_for)
        if isinstance(row, dict) and heard_in in row:
            return row[heard_in]
        default = self.overlap.get("default", 0.2)
        return default if isinstance(default, float | int) else 0.2


class Budget(_Strict):
    """The money every strategy spends (all strategies get the same budget)."""

    total: Annotated[float, _Number, Field(ge=0.0, allow_inf_nan=False)] = Field(
        100_000.0, description="Total budget."
    )
    cost_per_seed: Positive = Field(
        500.0, description="Cost of one seed (a person given the product or paid to talk)."
    )
    cost_per_contact: Positive = Field(2.0, description="Cost of reaching one person once.")
    seed_share: Share = Field(0.5, description="Share of the budget spent on seeds at step 0.")
    campaign_weeks: Count = Field(
        12, ge=1, description="Contacts are spread evenly over these first steps "
        "(the default shrinks to a shorter horizon)."
    )


SEEDING_RULES = ("poster_child", "hubs", "bridges", "random", "greedy")
STRATEGY_KINDS = ("focused", "broad", "multi", "beachhead")


class Strategy(_Strict):
    """How the budget becomes seeds and contacts."""

    name: Name = Field(description="Unique name, used in results.")
    kind: Literal["focused", "broad", "multi", "beachhead"] = Field(
        description="focused: everything on one segment, tailored message; "
        "broad: split over all segments by size, generic message; "
        "multi: split over `segments` by size, each with its own tailored message; "
        "beachhead (bowling pins): focused on the first segment until it reaches `trigger` "
        "of its TAM, then the remaining contacts move to the next (`order`, or the segment "
        "with the most ties to the customers won so far)."
    )
    segment: Name | None = Field(
        None, description="The target segment (focused), or the first pin (beachhead)."
    )
    segments: list[Name] | None = Field(None, description="The target segments (multi).")
    order: list[Name] | None = Field(
        None, description="beachhead: the pins in order (default: `segment`, then automatic)."
    )
    trigger: Share = Field(
        0.16, description="beachhead: share of the current pin's TAM won before moving on."
    )
    seeding: Literal["poster_child", "hubs", "bridges", "random", "greedy"] = Field(
        "poster_child",
        description="Who gets the seeds inside a targeted segment: poster_child (most central "
        "inside the segment), hubs (most ties), bridges (most ties to other segments), "
        "random, greedy (influence maximisation on the model's own simulations, CELF).",
    )
    greedy_runs: Count = Field(
        16, ge=1, le=10_000, description="greedy: simulations per evaluation of a seed set."
    )
    greedy_pool: Count = Field(
        100, ge=1, le=1_000_000,
        description="greedy: candidates considered per segment (those with the most ties).",
    )

    @model_validator(mode="after")
    def _needs(self) -> Strategy:
        needs = {"focused": ("segment",), "multi": ("segments",), "beachhead": ()}
        for key in needs.get(self.kind, ()):
            if getattr(self, key) is None:
                raise ValueError(f"a {self.kind} strategy needs `{key}`")
        allowed = {"focused": {"segment"}, "broad": set(), "multi": {"segments"},
                   "beachhead": {"segment", "order"}}[self.kind]
        for key in ("segment", "segments", "order"):
            if key not in allowed and getattr(self, key) is not None:
                raise ValueError(f"a {self.kind} strategy takes no `{key}`")
        if self.kind == "beachhead":
            if self.segment is None and not self.order:
                raise ValueError("a beachhead strategy needs `order` (or `segment`, the first "
                                 "pin, with the next ones chosen automatically)")
            if self.segment is not None and self.order and self.order[0] != self.segment:
                raise ValueError("`segment` must be the first of `order` (or leave it out)")
        if self.segments is not None and not self.segments:
            raise ValueError("`segments` is empty")
        return self

    @property
    def targets(self) -> list[str]:
        """The segments this strategy names (empty for broad)."""
        out = [self.segment] if self.segment else []
        for x in (self.segments or []) + (self.order or []):
            if x not in out:
                out.append(x)
        return out


SweepDesign = Literal["grid", "lhs"]
SweepMetric = Literal["customers", "segments_ignited", "weeks_to_ignite", "cost_per_customer",
                      "wom_share", "spend"]


class Sweep(_Strict):
    """A ``sweep:`` block: what ``wom sweep SCENARIO`` varies when no ``--vary`` is given."""

    vary: dict[str, str | list[Annotated[int | float | str, BeforeValidator(_not_bool)]]] = Field(
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
    metric: SweepMetric = Field("customers", description="What the phase diagram compares.")

    @field_validator("vary")
    @classmethod
    def _parses(cls, vary: dict[str, Any]) -> dict[str, Any]:
        from wom.vary import make_vary

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

    def varies(self) -> list[Any]:
        """The swept parameters as :class:`wom.vary.Vary`."""
        from wom.vary import make_vary

        return [make_vary(path, spec) for path, spec in self.vary.items()]


class Scenario(_Strict):
    """A complete what-if: market, conversation graph, dynamics, budget and strategies."""

    name: str = Field("scenario", min_length=1, pattern=r"^[^/\\\x00]+$")
    description: str = ""
    seed: Count = Field(0, ge=0, description="One seed fixes everything.")
    horizon: Count = Field(52, ge=1, le=100_000, description="Steps (weeks) simulated.")
    replicates: Count = Field(100, ge=1, le=10_000_000, description="Independent replicates.")
    segments: list[Segment] = Field(min_length=1)
    network: Network = Network()
    dynamics: Dynamics = Dynamics()
    budget: Budget = Budget()
    strategies: list[Strategy] = Field(min_length=1)
    sweep: Sweep | None = Field(None, description="What `wom sweep` varies by default.")

    @field_validator("name")
    @classmethod
    def _usable_as_folder(cls, name: str) -> str:
        # The name is a folder of the run path (results/<name>/...): "." or ".." would escape it.
        if name.strip(".") == "":
            raise ValueError(f"{name!r} cannot name a results folder")
        return _printable(name)

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

    def strategy(self, name: str | None = None) -> Strategy:
        """The strategy called `name` (the first if ``None``).

        Raises
        ------
        UnknownStrategyError
            No strategy has that name (the message lists those that exist).
        """
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
    def people(self) -> int:
        return sum(s.size for s in self.segments)

    def to_yaml(self) -> str:
        """The scenario with every default filled in, as YAML (no ``sweep:`` if it has none)."""
        data = self.model_dump(mode="json")
        if data.get("sweep") is None:
            data.pop("sweep", None)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _bad_sweep_value(sc: Scenario, path: str, spec: Any) -> str | None:
    """Why a swept value would make an invalid scenario (each listed value, or a range's
    ends; ``None`` if all are fine)."""
    from wom.sweep import apply
    from wom.vary import make_vary, representatives

    for value in representatives(make_vary(path, spec).values, limit=50):
        try:
            apply(sc, {path: value})
        except WomError as err:
            first = str(err).splitlines()[-1].removeprefix("<scenario>: ")
            return f"the value {value!r} does not make a valid scenario: {first}"
    return None


def _cross_checks(sc: Scenario) -> list[tuple[tuple[Any, ...], str]]:
    """Checks that span several keys; each returns the key path it is about."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    names = sc.segment_names
    known = ", ".join(names[:12]) + (" …" if len(names) > 12 else "")
    seen: set[str] = set()
    for i, s in enumerate(sc.segments):
        if s.name in seen:
            problems.append((("segments", i, "name"), f"duplicate segment name {s.name!r}"))
        seen.add(s.name)
    seen = set()
    for i, st in enumerate(sc.strategies):
        if st.name in seen:
            problems.append((("strategies", i, "name"), f"duplicate strategy name {st.name!r}"))
        seen.add(st.name)
        if st.segment is not None and st.segment not in names:
            problems.append(
                (("strategies", i, "segment"), f"unknown segment {st.segment!r} (known: {known})")
            )
        for key in ("segments", "order"):
            listed = getattr(st, key) or []
            for j, x in enumerate(listed):
                if x not in names:
                    problems.append(
                        (("strategies", i, key, j), f"unknown segment {x!r} (known: {known})")
                    )
                elif x in listed[:j]:
                    problems.append((("strategies", i, key, j), f"{x!r} is listed twice"))
    tw = sc.network.talks_with or {}
    for a, row in tw.items():
        if a not in names:
            problems.append((("network", "talks_with", a), f"unknown segment {a!r}"))
            continue
        for b in row:
            if b not in names:
                problems.append((("network", "talks_with", a, b), f"unknown segment {b!r}"))
            elif b == a:
                problems.append(
                    (("network", "talks_with", a, b), "a segment's cross-segment ties cannot "
                     "go to itself (in-segment talk is set by `mixing`)")
                )
        total = sum(row.values())
        if total > 1.0 + 1e-9:
            problems.append(
                (("network", "talks_with", a), f"shares add up to {total:g}, more than 1")
            )
    if isinstance(sc.dynamics.overlap, dict):
        for a, entry in sc.dynamics.overlap.items():
            if a == "default":
                if isinstance(entry, dict):
                    problems.append((("dynamics", "overlap", a), "`default` is one number"))
                continue
            if a not in names:
                problems.append((("dynamics", "overlap", a), f"unknown segment {a!r}"))
                continue
            if not isinstance(entry, dict):
                problems.append((("dynamics", "overlap", a), "expected a mapping "
                                 "{heard_in: resonance} for the message tailored to " + repr(a)))
                continue
            for b in entry:
                if b not in names:
                    problems.append((("dynamics", "overlap", a, b), f"unknown segment {b!r}"))
    if sc.network.model == "complete" and sc.people > COMPLETE_GRAPH_MAX_PEOPLE:
        problems.append(
            (("network", "model"), f"a complete graph of {sc.people:,} people needs "
             f"{sc.people * (sc.people - 1):,} ties; the limit is "
             f"{COMPLETE_GRAPH_MAX_PEOPLE:,} people (use erdos_renyi for large markets)")
        )
    costs: list[tuple[tuple[Any, ...], float]] = [(("budget", key), getattr(sc.budget, key))
             for key in ("cost_per_seed", "cost_per_contact")]
    costs += [(("segments", i, key), getattr(seg, key)) for i, seg in enumerate(sc.segments)
              for key in ("cost_per_seed", "cost_per_contact") if getattr(seg, key) is not None]
    for where, cost in costs:
        if sc.budget.total / cost > MAX_UNITS:
            problems.append(
                (where, f"{cost:g} is too small for a budget of {sc.budget.total:g}: it would "
                 f"buy more than {MAX_UNITS:.0e} units (give costs and budget in one currency)")
            )
    if sc.budget.campaign_weeks > sc.horizon:
        problems.append(
            (("budget", "campaign_weeks"), f"{sc.budget.campaign_weeks} is longer than the "
             f"horizon ({sc.horizon} steps): part of the budget would never be spent")
        )
    if sc.sweep is not None:
        from wom.vary import missing_key

        strategies = [st.name for st in sc.strategies]
        for i, x in enumerate(sc.sweep.compare or []):
            if x not in strategies:
                problems.append((("sweep", "compare", i), f"unknown strategy {x!r} (known: "
                                 f"{', '.join(strategies)})"))
        if sc.sweep.compare and sc.sweep.compare[0] == sc.sweep.compare[1]:
            problems.append((("sweep", "compare"), "compare two different strategies"))
        data = sc.model_dump(mode="json")
        for path in sc.sweep.vary:
            why = missing_key(data, path)
            if why:
                problems.append((("sweep", "vary", path), why))
            else:
                why = _bad_sweep_value(sc, path, sc.sweep.vary[path])
                if why:
                    problems.append((("sweep", "vary", path), why))
    return problems


def _line_of(root: yaml.Node | None, path: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest node of `path` found in a composed YAML tree."""
    node, line = root, None
    for key in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    nxt, line = v, k.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(key, int)
            and 0 <= key < len(node.value)
        ):
            nxt = node.value[key]
        node = nxt
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _duplicate_keys(
    node: yaml.Node | None, path: tuple[Any, ...] = (), visited: set[int] | None = None
) -> list[tuple]:
    """YAML silently keeps the last of two equal keys; a scenario must not."""
    found: list[tuple] = []
    # An alias (*name) shares its anchor's node, possibly recursively: visit each node once.
    visited = set() if visited is None else visited
    if id(node) in visited:
        return found
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            if k.value in seen:
                found.append(((*path, k.value), k.start_mark.line + 1))
            seen.add(k.value)
            found += _duplicate_keys(v, (*path, k.value), visited)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            found += _duplicate_keys(v, (*path, i), visited)
    return found


def _segments_from_graph_file(
    data: dict[str, Any], file: Path | str | None, tree: yaml.Node | None
) -> dict[str, Any]:
    """Read the graph file: its segments fill ``segments``; its path becomes absolute."""
    from wom.graphfile import GraphFileError, load_graph

    try:
        network = Network.model_validate(data["network"])
    except ValidationError as exc:
        raise _PrefixedError(exc, ("network",)) from None
    spec = network.file
    assert spec is not None  # the model validator makes sure
    base = Path(file).resolve().parent if file is not None else Path.cwd()
    try:
        graph = load_graph(spec, base=base, seed=spec.louvain_seed)
    except GraphFileError as err:
        key = ("network", "file", "labels") if (
            spec.labels is not None and Path(err.path).name == Path(spec.labels).name
        ) else ("network", "file", "path")
        raise ScenarioError(file, [(_key_path(key), _line_of(tree, key), str(err))]) from None
    resolved = {k: str((base / v).resolve()) for k in ("path", "labels")
                if isinstance(v := data["network"]["file"].get(k), str)}
    net = {**data["network"], "file": {**data["network"]["file"], **resolved}}
    found = dict(zip(graph.names, (int(z) for z in graph.sizes), strict=True))
    given = data.get("segments")
    problems = []
    if given is None or isinstance(given, dict):
        extra = sorted({"count", "size", "names", "size_exponent"} & set(given or {}))
        if extra:
            raise ScenarioError(file, [(_key_path(("segments", extra[0])),
                                        _line_of(tree, ("segments", extra[0])),
                                        "the segments come from the graph file; give only "
                                        "the traits they share (tam, references, …)")])
        try:
            traits = SegmentShorthand.model_validate(given or {}).traits()
        except ValidationError as exc:
            raise _PrefixedError(exc, ("segments",)) from None
        segments = [{"name": n, "size": z, **traits} for n, z in found.items()]
    elif isinstance(given, list):
        listed: dict[str, dict[str, Any]] = {}
        for i, entry in enumerate(given):
            name = str(entry.get("name")) if isinstance(entry, dict) else None
            if name not in found:
                known = ", ".join(list(found)[:12]) + (" …" if len(found) > 12 else "")
                loc = ("segments", i, "name")
                problems.append((_key_path(loc), _line_of(tree, loc),
                                 f"the graph file has no segment {name!r} (it has: {known})"))
                continue
            if "size" in entry and entry["size"] != found[name]:
                loc = ("segments", i, "size")
                problems.append((_key_path(loc), _line_of(tree, loc),
                                 f"{entry['size']} but the graph file has {found[name]} people "
                                 f"in {name!r} (leave size out)"))
            listed[name] = {**entry, "name": name, "size": found[name]}
        if problems:
            raise ScenarioError(file, problems)
        segments = [listed.get(n, {"name": n, "size": z}) for n, z in found.items()]
    else:
        return data  # the model reports the wrong type
    return {**data, "network": net, "segments": segments}


class _PrefixedError(Exception):
    def __init__(self, error: ValidationError, prefix: tuple[Any, ...]):
        self.error, self.prefix = error, prefix


def scenario_from_dict(
    data: Any, *, file: Path | str | None = None, tree: yaml.Node | None = None
) -> Scenario:
    """Validate a mapping (as read from YAML) into a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        Listing every problem with its key path (and line, when `tree` is given).
    """
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(file, [("", 1, f"a scenario must be a mapping of keys, got {kind}")])
    try:
        if isinstance(data.get("network"), dict) and data["network"].get("model") == "file":
            data = _segments_from_graph_file(data, file, tree)
        if isinstance(data.get("segments"), dict):
            try:
                expanded = SegmentShorthand.model_validate(data["segments"]).expand()
                data = {**data, "segments": expanded}
            except ValidationError as exc:
                raise _PrefixedError(exc, ("segments",)) from None
            except ValueError as exc:
                where = ("segments", "names")
                raise ScenarioError(
                    file, [(_key_path(where), _line_of(tree, where), str(exc))]
                ) from None
        sc = Scenario.model_validate(data)
    except (ValidationError, _PrefixedError) as exc:
        if isinstance(exc, _PrefixedError):
            prefix, errors = exc.prefix, exc.error.errors(include_url=False)
        else:
            prefix, errors = (), exc.errors(include_url=False)
        problems = []
        for err in errors:
            loc = prefix + tuple(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling; `wom schema` lists every key)"
            elif err["type"] == "missing":
                msg = "required key is missing"
            problems.append((_key_path(loc), _line_of(tree, loc), msg))
        raise ScenarioError(file, problems) from None
    cross = _cross_checks(sc)
    if cross:
        raise ScenarioError(file, [(_key_path(p), _line_of(tree, p), m) for p, m in cross])
    return sc


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path
        A YAML scenario file.

    Raises
    ------
    ScenarioError
        The file is missing, is not valid YAML, or does not describe a valid scenario.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, [("", None, "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError(path, [("", None, "is a directory, not a scenario file")]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, [("", None, f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ScenarioError(path, [("", None, exc.strerror or str(exc))]) from None
    try:
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(path, [("", line, f"YAML syntax error: {what}")]) from None
    except RecursionError:
        raise ScenarioError(path, [("", None, "YAML nested too deeply")]) from None
    dups = _duplicate_keys(tree)
    if dups:
        raise ScenarioError(
            path, [(_key_path(p), line, "key given twice") for p, line in dups]
        )
    _reject_non_finite(data, path, tree)
    return scenario_from_dict(data, file=path, tree=tree)


# A "\ud800" escape in YAML gives half a UTF-16 pair, which no UTF-8 file can hold.
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_A_CHARACTER = "contains a lone surrogate (a \\ud800–\\udfff escape), which is not a character"


def _reject_non_finite(data: Any, path: Path, tree: yaml.Node | None) -> None:
    """NaN and infinities, and strings no file can hold."""
    visited: set[int] = set()

    def walk(x: Any, loc: tuple[Any, ...]) -> None:
        if isinstance(x, float) and not math.isfinite(x):
            problem = (_key_path(loc), _line_of(tree, loc), f"{x} is not a number")
            raise ScenarioError(path, [problem])
        if isinstance(x, str) and _SURROGATE.search(x):
            raise ScenarioError(path, [(_key_path(loc), _line_of(tree, loc), _NOT_A_CHARACTER)])
        if isinstance(x, dict | list):
            if id(x) in visited:  # an alias: already checked (and maybe recursive)
                return
            visited.add(id(x))
        if isinstance(x, dict):
            for k, v in x.items():
                if isinstance(k, str) and _SURROGATE.search(k):
                    shown = k.encode("utf-8", "backslashreplace").decode("ascii", "replace")
                    raise ScenarioError(path, [(_key_path((*loc, shown)), _line_of(tree, loc),
                                                "key " + _NOT_A_CHARACTER)])
                walk(v, (*loc, k))
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, (*loc, i))

    walk(data, ())


def json_schema() -> str:
    """The JSON Schema of scenario files (for editor autocompletion)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "wom scenario"
    return json.dumps(schema, indent=2)
