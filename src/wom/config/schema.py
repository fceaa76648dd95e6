"""The scenario file's market, dynamics and budget blocks (the contract of docs/model.md).

Each class is one block of the YAML file; :mod:`wom.config.scenario` puts them together with
the strategies. Every number has a documented default (``wom schema`` prints them all).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field, StrictBool, field_validator, model_validator

from wom.config.fields import (
    EARLY_ADOPTERS,
    Count,
    Money,
    Name,
    Number,
    Positive,
    Share,
    Strict,
)
from wom.config.registry import GRAPH_MODELS
from wom.inputs import LoadedGraph, load_graph

#: The roles a person may have in an account (docs/model.md §accounts).
ROLES = ("user", "buyer", "payer")


class Accounts(Strict):
    """``accounts:`` on a segment: its people belong to accounts (organisations, households)
    that buy as one. Every account has a buyer and a payer (possibly the same person); the
    rest are users. An account of one person is buyer, payer and user at once, which is
    today's market. With ``network.model: file`` the graph file gives each person's account
    and role: leave out `size`, `sizes` and `buyer_is_payer` (`strength` applies)."""

    # (at most 1,000: champions talk to every member of their account each step, so an
    # account of n people costs up to n² trials a step)
    size: Count | None = Field(
        None, ge=1, le=1000, description="Every account has this many people, 1 to 1,000 "
        "(the last one of a segment may be smaller)."
    )
    sizes: dict[Annotated[int, Field(ge=1, le=1000)], Share] | None = Field(
        None, description="Or a distribution of sizes: {size: share of accounts}, shares "
        "summing to 1, e.g. {1: 0.5, 5: 0.3, 20: 0.2}."
    )
    buyer_is_payer: Share = Field(
        0.0, description="Chance that an account's buyer also pays (accounts of 2 or more; "
        "an account of one is always its own buyer and payer)."
    )
    strength: Annotated[float, Field(ge=0.0, le=1000.0, allow_inf_nan=False), Number] = Field(
        3.0, description="How much more often people of one account talk together than two "
        "people of a segment: a convinced member convinces another with chance "
        "min(1, strength · word_of_mouth · resonance) per step."
    )

    @field_validator("sizes")
    @classmethod
    def _shares(cls, sizes: dict[int, float] | None) -> dict[int, float] | None:
        if sizes is not None:
            if not sizes:
                raise ValueError("`sizes` is empty")
            total = sum(sizes.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"the shares of `sizes` sum to {total:g}, not 1")
        return sizes

    @model_validator(mode="after")
    def _one_size(self) -> Accounts:
        # Neither is a graph file's accounts (network.model: file); a generated market
        # needs one (wom.config.checks).
        if self.size is not None and self.sizes is not None:
            raise ValueError("give `size` (every account) or `sizes` (a distribution), "
                             "not both")
        return self

    @property
    def from_file(self) -> bool:
        """The accounts are a graph file's (no sizes given)."""
        return self.size is None and self.sizes is None

    @property
    def single(self) -> bool:
        """Every account is one person (today's market)."""
        return self.size == 1 or (self.sizes is not None
                                  and {v for v, share in self.sizes.items() if share > 0} == {1})


def _sized(value: Any) -> Any:
    """``accounts: 5`` is ``accounts: {size: 5}``."""
    return {"size": value} if isinstance(value, int) and not isinstance(value, bool) else value


class Segment(Strict):
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
        description="Share of the segment already held by a competitor, inside the TAM (at most "
        "`tam`): they count in the TAM (penetration and ignition are measured against the whole "
        "TAM) but never adopt and never pass our message on, so `tam − incumbent` is winnable.",
    )
    early_market: Share = Field(
        EARLY_ADOPTERS,
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
    price: Money = Field(
        0.0, description="Revenue per paying customer per step (0: results in customers only)."
    )
    gross_margin: Share = Field(
        1.0, description="Share of the revenue kept as gross profit (before cost_to_serve)."
    )
    churn: Share = Field(
        0.0, description="Chance per step that a customer leaves: they stop paying, stop "
        "advocating and stop counting as a reference, and never adopt again (0: nobody leaves)."
    )
    cost_to_serve: Money = Field(
        0.0, description="Cost of serving one customer per step (every customer served, the "
        "seeds included), taken from the gross profit."
    )
    accounts: Annotated[Accounts | None, BeforeValidator(_sized)] = Field(
        None, description="People belong to accounts that buy as one (buyer, payer, users): "
        "`{size: 5}`, `{sizes: {1: 0.5, 5: 0.5}}`, or just `5`; leave out for a market of "
        "individuals."
    )
    price_per: Literal["seat", "account"] = Field(
        "seat", description="With accounts: `price` is paid per seat (each member of an "
        "account won) or per account."
    )

    @model_validator(mode="after")
    def _incumbent_inside_tam(self) -> Segment:
        if self.incumbent > self.tam:
            raise ValueError(
                f"incumbent ({self.incumbent}) cannot exceed tam ({self.tam}): "
                "the competitor's customers are part of the TAM"
            )
        return self

    @property
    def winnable(self) -> int:
        """People who could become customers: the TAM less the incumbent's customers."""
        tam = round(self.tam * self.size)
        return tam - min(round(self.incumbent * self.size), tam)


class SegmentShorthand(Strict):
    """``{count: 8, size: 2000, ...}``: ``count`` identical segments.

    With ``network.model: file`` the segments come from the file: leave out ``count``,
    ``size`` and ``names``, and the other keys apply to every segment found.
    """

    count: Count | None = Field(None, gt=0, le=10_000)
    size: Count | None = Field(None, gt=0, le=50_000_000)
    size_exponent: Annotated[float, Field(gt=1.0, le=10.0), Number] | None = Field(
        None,
        description="Heavy-tailed sizes: segment sizes follow a power law with this exponent "
        "(the LFR benchmark uses 1–2), spread deterministically around a mean of `size`.",
    )
    names: list[Name] | None = Field(None, description="Optional names, one per segment.")
    tam: Share = 1.0
    incumbent: Share = 0.0
    early_market: Share = EARLY_ADOPTERS
    references: Count = Field(0, ge=0, le=1000)
    cost_per_contact: Positive | None = None
    cost_per_seed: Positive | None = None
    price: Money = 0.0
    gross_margin: Share = 1.0
    churn: Share = 0.0
    cost_to_serve: Money = 0.0
    accounts: Annotated[Accounts | None, BeforeValidator(_sized)] = None
    price_per: Literal["seat", "account"] = "seat"

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


class GraphFile(Strict):
    """A real conversation graph read from a file (``network.model: file``)."""

    path: str = Field(description="Edge list, CSV, GML or GraphML; relative to the scenario file.")
    format: Literal["auto", "edgelist", "csv", "gml", "graphml"] = Field(
        "auto", description="auto: by suffix (.gml, .graphml, .csv; anything else: edge list)."
    )
    labels: str | None = Field(
        None, description="A file of `node<TAB>segment` lines giving each person's segment "
        "(or a table with a header: person, segment, and optionally account and role, who "
        "buys with whom: docs/model.md §4)."
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
    account_attribute: str | None = Field(
        None, description="The node attribute holding each person's account (GML, GraphML): "
        "people with the same value buy together; a node without it buys alone. (A labels "
        "file gives accounts in its `account` and `role` columns instead.)"
    )
    role_attribute: str = Field(
        "role", description="The node attribute holding each person's role in their account, "
        "read with `account_attribute`: user, buyer, payer, or several joined by + "
        "(buyer+payer); a node without it is a user."
    )

    @model_validator(mode="after")
    def _one_source(self) -> GraphFile:
        if self.labels is not None and self.attribute is not None:
            raise ValueError("give `labels` or `attribute`, not both")
        return self

    def load(self, base: Path | None = None) -> LoadedGraph:
        """Read the graph (relative paths against `base`, default the working folder).

        Cached in-process until a file changes; raises :class:`wom.inputs.GraphFileError`.
        """
        return load_graph(self, base=Path.cwd() if base is None else base,
                          seed=self.louvain_seed)


class Network(Strict):
    """The conversation graph."""

    model: Annotated[str, BeforeValidator(GRAPH_MODELS.check)] = Field(
        "planted_partition",
        json_schema_extra=GRAPH_MODELS.schema("How the conversation graph is made. "),
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
    degree_exponent: Annotated[float, Field(gt=2.0, le=10.0), Number] = Field(
        2.5, description="lfr: exponent of the power-law degree distribution."
    )
    max_degree: Count | None = Field(
        None, gt=0, description="lfr: largest degree (default: the square root of 10·people)."
    )
    rewire: Share = Field(
        0.1, description="clustered: share of in-segment ties rewired at random (0: lattice)."
    )
    file: GraphFile | None = Field(None, description="The graph file, for model: file.")
    resample: Literal["per_replicate", "once"] = Field(
        "per_replicate", description="per_replicate: each replicate draws its own market "
        "(graph and traits), so results carry uncertainty about the market itself; once: "
        "every replicate runs on one market (replicate 0's), and replicates differ only in "
        "seeding and dynamics.")

    @model_validator(mode="after")
    def _file_given(self) -> Network:
        if self.model == "file" and self.file is None:
            raise ValueError("model: file needs `file: {path: ...}`")
        if self.model != "file" and self.file is not None:
            raise ValueError(f"`file` is only read with model: file (model is {self.model})")
        return self


class Dynamics(Strict):
    """The adoption rule's parameters (docs/model.md, the adoption rule)."""

    word_of_mouth: Share = Field(
        0.05,
        description="β: chance an advocate converts a neighbour in one step, at full resonance.",
    )
    marketing: Share = Field(
        0.02, description="a: chance a reached person converts, at full resonance."
    )
    background: Share = Field(
        0.0, description="b: chance per step that a person who may adopt does so through "
        "channels outside both the conversation graph and the campaign (press, search, the "
        "category's own buzz: Bass's p); they carry the generic message.",
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


class Budget(Strict):
    """The money every strategy spends (all strategies get the same budget)."""

    total: Annotated[float, Field(ge=0.0, allow_inf_nan=False), Number] = Field(
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
    seeds_pay: StrictBool = Field(
        False, description="Whether seeds pay the segment's price like other customers "
        "(false: they were given the product; they are reported apart)."
    )
    discount_rate: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False), Number] = Field(
        0.0, description="Discount rate per step for the net present value of profit (0: none)."
    )
