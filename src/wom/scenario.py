"""The scenario file: the user's contract (DESIGN §6), validated before anything runs.

A scenario is YAML. Every number has a documented default; unknown keys are errors (a typo
must not silently fall back to a default). :func:`load_scenario` turns a file into a
:class:`Scenario` or raises :class:`~wom.errors.ScenarioError` naming the file, the line,
the key path and what is wrong.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from wom.errors import ScenarioError


def _not_bool(value: Any) -> Any:
    # YAML reads yes/no/true/false as booleans, and pydantic would take them as 1 and 0.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    return value


_Number = BeforeValidator(_not_bool)
Share = Annotated[float, _Number, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Positive = Annotated[float, _Number, Field(gt=0.0, allow_inf_nan=False)]
Count = Annotated[int, _Number]

#: Biggest market the ``complete`` graph accepts: N·(N−1) arcs must fit in memory.
COMPLETE_GRAPH_MAX_PEOPLE = 10_000
#: Penetration of a segment's TAM that counts as "ignited" (innovators + early adopters).
IGNITION_SHARE = 0.16


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class Segment(_Strict):
    """One market segment: people who share a use case and talk to each other."""

    name: str = Field(min_length=1, description="Unique name, used by strategies and in results.")
    size: Count = Field(gt=0, le=50_000_000, description="Number of people in the segment.")
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

    @model_validator(mode="after")
    def _incumbent_inside_tam(self) -> Segment:
        if self.incumbent > self.tam:
            raise ValueError(
                f"incumbent ({self.incumbent}) cannot exceed tam ({self.tam}): "
                "the competitor's customers are part of the TAM"
            )
        return self


class SegmentShorthand(_Strict):
    """``{count: 8, size: 2000, ...}``: ``count`` identical segments."""

    count: Count = Field(gt=0, le=10_000)
    size: Count = Field(gt=0, le=50_000_000)
    names: list[str] | None = Field(None, description="Optional names, one per segment.")
    tam: Share = 1.0
    incumbent: Share = 0.0
    early_market: Share = 0.16
    references: Count = Field(0, ge=0, le=1000)

    def expand(self) -> list[dict[str, Any]]:
        if self.names is not None and len(self.names) != self.count:
            raise ValueError(f"names has {len(self.names)} entries but count is {self.count}")
        names = self.names or [f"segment-{i + 1}" for i in range(self.count)]
        common = self.model_dump(exclude={"count", "names"})
        return [{"name": n, **common} for n in names]


class Network(_Strict):
    """The conversation graph."""

    model: Literal["planted_partition", "erdos_renyi", "complete"] = Field(
        "planted_partition",
        description="planted_partition: dense inside segments, `mixing` of ties leave; "
        "erdos_renyi: ties at random, ignoring segments; complete: everyone talks to everyone.",
    )
    mean_degree: Positive = Field(10.0, description="Mean number of conversation ties per person.")
    mixing: Share = Field(0.1, description="Share of each person's ties that leave their segment.")
    weak_tie: Share = Field(
        0.5, description="Strength of a cross-segment tie relative to an in-segment tie."
    )
    talks_with: dict[str, dict[str, Share]] | None = Field(
        None,
        description="Uneven cross-segment talk: talks_with[a][b] is the share of a's "
        "cross-segment ties that go to b; the rest is split over other segments by size.",
    )


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
    overlap: Share = Field(
        0.2, description="Resonance of a tailored message outside the segment it was written for."
    )


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


SEEDING_RULES = ("poster_child", "hubs", "random")
STRATEGY_KINDS = ("focused", "broad")


class Strategy(_Strict):
    """How the budget becomes seeds and contacts."""

    name: str = Field(min_length=1, description="Unique name, used in results.")
    kind: Literal["focused", "broad"] = Field(
        description="focused: everything on one segment, tailored message; "
        "broad: split over all segments by size, generic message."
    )
    segment: str | None = Field(None, description="The target segment (focused).")
    seeding: Literal["poster_child", "hubs", "random"] = Field(
        "poster_child",
        description="Who gets the seeds inside a targeted segment: poster_child (most central "
        "inside the segment), hubs (most ties), random.",
    )

    @model_validator(mode="after")
    def _needs(self) -> Strategy:
        if self.kind == "focused" and self.segment is None:
            raise ValueError("a focused strategy needs `segment`")
        if self.kind == "broad" and self.segment is not None:
            raise ValueError("a broad strategy targets every segment; remove `segment`")
        return self


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

    @field_validator("name")
    @classmethod
    def _usable_as_folder(cls, name: str) -> str:
        # The name is a folder of the run path (results/<name>/...): "." or ".." would escape it.
        if name.strip(".") == "":
            raise ValueError(f"{name!r} cannot name a results folder")
        return name

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

    @property
    def segment_names(self) -> list[str]:
        return [s.name for s in self.segments]

    @property
    def people(self) -> int:
        return sum(s.size for s in self.segments)

    def to_yaml(self) -> str:
        """The scenario with every default filled in, as YAML."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


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
    if sc.network.model == "complete" and sc.people > COMPLETE_GRAPH_MAX_PEOPLE:
        problems.append(
            (("network", "model"), f"a complete graph of {sc.people:,} people needs "
             f"{sc.people * (sc.people - 1):,} ties; the limit is "
             f"{COMPLETE_GRAPH_MAX_PEOPLE:,} people (use erdos_renyi for large markets)")
        )
    if sc.budget.campaign_weeks > sc.horizon:
        problems.append(
            (("budget", "campaign_weeks"), f"{sc.budget.campaign_weeks} is longer than the "
             f"horizon ({sc.horizon} steps): part of the budget would never be spent")
        )
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


def _reject_non_finite(data: Any, path: Path, tree: yaml.Node | None) -> None:
    visited: set[int] = set()

    def walk(x: Any, loc: tuple[Any, ...]) -> None:
        if isinstance(x, float) and not math.isfinite(x):
            problem = (_key_path(loc), _line_of(tree, loc), f"{x} is not a number")
            raise ScenarioError(path, [problem])
        if isinstance(x, dict | list):
            if id(x) in visited:  # an alias: already checked (and maybe recursive)
                return
            visited.add(id(x))
        if isinstance(x, dict):
            for k, v in x.items():
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
