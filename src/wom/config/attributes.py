"""The ``attributes:`` block: what people are besides the community they talk in.

A segment is a conversation community; an attribute (``vertical``, ``mindset``, ``region``)
is what a marketer can see and buy a list of. Each attribute has values; each segment has a
*home* value, and ``alignment`` says how strongly the attribute follows the communities: a
segment's mix of values is ``alignment × its home value + (1 − alignment) × the overall mix``
(``shares``), so at 1 every community is one value and at 0 every community holds the overall
mix. A graph file may give an attribute instead, as a column of its people (labels) file.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, Field, field_validator, model_validator

from wom.config.fields import Name, Share, Strict


#: An attribute's name: it names a plot file (attribute-NAME.png), so it stays short.
def _short(name: str) -> str:
    if len(name) > 100:
        raise ValueError(f"an attribute's name is at most 100 characters (it names a plot "
                         f"file), not {len(name)}")
    return name


AttributeName = Annotated[Name, AfterValidator(_short)]
#: Resonance of a message written for one value with people of another, by default (the
#: default overlap of a segment's message elsewhere).
ATTRIBUTE_OVERLAP = 0.2


class Attribute(Strict):
    """One attribute people carry beside their segment (docs/model.md §attributes)."""

    values: list[Name] | None = Field(
        None, min_length=1, max_length=1000,
        description="The attribute's values, e.g. [dentists, lawyers, restaurants] (read from "
        "the people file with `column`).")
    alignment: Share = Field(
        1.0, description="How strongly the attribute follows the conversation communities "
        "[default: 1]: a segment holds alignment × its home value plus (1 − alignment) × the "
        "mix `shares`; at 1 every segment is all its home value, at 0 every segment holds "
        "the mix.")
    shares: dict[Name, Share] | None = Field(
        None, description="The mix, summing to 1 [default: equal shares]: how the part of "
        "each segment not given to its home value (1 − alignment) divides among the values. "
        "At alignment 0 it is every segment's mix and so the market's; above 0 each home "
        "value gets more.")
    home: dict[Name, Name] | None = Field(
        None, description="Each segment's home value, {segment: value} [default: the value "
        "named as the segment, else the values in turn: the first segment the first value, "
        "and so on].")
    overlap: Share = Field(
        ATTRIBUTE_OVERLAP, description="Resonance of a message written for one value with "
        "people of another value (with their own value: 1).")
    column: str | None = Field(
        None, min_length=1, description="network.model: file: read each person's value from "
        "this column of the people (labels) file instead of drawing it.")

    @field_validator("values")
    @classmethod
    def _distinct(cls, values: list[str] | None) -> list[str] | None:
        for j, x in enumerate(values or []):
            if x in values[:j]:  # type: ignore[index]
                raise ValueError(f"{x!r} is listed twice")
        return values

    @field_validator("shares")
    @classmethod
    def _sum_to_one(cls, shares: dict[str, float] | None) -> dict[str, float] | None:
        if shares is not None:
            total = sum(shares.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"the shares sum to {total:g}, not 1")
        return shares

    @model_validator(mode="after")
    def _given(self) -> Attribute:
        if self.column is not None:
            drawn = [k for k in ("values", "shares", "home") if getattr(self, k) is not None]
            if drawn or self.alignment != 1.0:  # (1, the default, as a written scenario has it)
                key = drawn[0] if drawn else "alignment"
                raise ValueError(f"`{key}` is for a drawn attribute; with `column` the people "
                                 "file gives each person's value")
            return self
        if self.values is None:
            raise ValueError("give the attribute's `values` (or, with a graph file, the "
                             "`column` of the people file holding them)")
        for key in ("shares",):
            for x in getattr(self, key) or {}:
                if x not in self.values:
                    raise ValueError(f"`{key}` names {x!r}, which is not one of the values "
                                     f"({', '.join(self.values[:12])})")
        if self.shares is not None and set(self.shares) != set(self.values):
            missing = [x for x in self.values if x not in self.shares]
            raise ValueError(f"`shares` gives no share for {missing[0]!r}: give every value "
                             "a share (0 is allowed)")
        return self

    def mix(self) -> list[float]:
        """The overall mix, in the order of :attr:`values`."""
        values = self.values or []
        if self.shares is None:
            return [1.0 / len(values)] * len(values)
        return [self.shares[x] for x in values]

    def home_of(self, segments: list[str]) -> list[int]:
        """Each segment's home value, as an index of :attr:`values`: as `home` gives it, else
        the value named as the segment, else the values in turn (segment ``k``, value ``k``
        modulo their number)."""
        values = self.values or []
        given = self.home or {}
        return [values.index(given[s]) if s in given else
                values.index(s) if s in values else k % len(values)
                for k, s in enumerate(segments)]


def value_counts(att: Attribute, segments: list[str], sizes: list[int]) -> np.ndarray:
    """``int64[S, V]``: how many people of each segment have each value (a drawn attribute).

    Segment ``k``'s mix is ``alignment × its home value + (1 − alignment) × the overall
    mix``, rounded to whole people by largest remainder (ties to the first value); which
    people hold them is drawn (:func:`wom.market.draw_attributes`).
    """
    overall = np.array(att.mix(), dtype=float)
    home = att.home_of(segments)
    out = np.zeros((len(sizes), overall.size), dtype=np.int64)
    for k, n in enumerate(sizes):
        mix = (1.0 - att.alignment) * overall
        mix[home[k]] += att.alignment
        exact = n * mix / mix.sum()
        row = np.floor(exact + 1e-9).astype(np.int64)
        rest = int(n - row.sum())
        if rest > 0:
            row[np.argsort(-(exact - row), kind="stable")[:rest]] += 1
        while row.sum() > n:  # (rounding up by the tolerance: take back the worst)
            row[int(np.argmax(row - exact))] -= 1
        out[k] = row
    return out


def attribute_checks(attributes: dict[str, Attribute] | None, segments: list[str],
                     from_file: bool) -> list[tuple[tuple[Any, ...], str]]:
    """The ``attributes:`` block against the segments and the network: home segments and
    values that exist, names apart from the segments', columns only with a graph file."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    for name, att in (attributes or {}).items():
        where = ("attributes", name)
        if name in ("segment", "strategy", "replicate", "step", "value"):
            problems.append((where, f"{name!r} names a column of the results: call the "
                             "attribute something else"))
        if att.column is not None and not from_file:
            problems.append(((*where, "column"), "only a graph file (network.model: file) has "
                             "a people file to read a column of: give `values` to draw them"))
        for seg, value in (att.home or {}).items():
            if seg not in segments:
                known = ", ".join(segments[:12]) + (" …" if len(segments) > 12 else "")
                problems.append(((*where, "home", seg), f"unknown segment {seg!r} (known: "
                                 f"{known})"))
            elif value not in (att.values or []):
                problems.append(((*where, "home", seg), f"{value!r} is not one of the values "
                                 f"({', '.join((att.values or [])[:12])})"))
    return problems


def target_checks(attributes: dict[str, Attribute] | None, target: dict[str, str],
                  segments: list[str], sizes: list[int],
                  where: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    """A strategy's `target` against the attributes: each names an attribute and one of its
    values that somebody has (a drawn attribute's counts are known before any draw)."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    known = list(attributes or {})
    for name, value in target.items():
        att = (attributes or {}).get(name)
        if att is None:
            problems.append(((*where, name), f"unknown attribute {name!r} " + (
                f"(known: {', '.join(known)})" if known else "(the scenario has no "
                "`attributes:` block)")))
            continue
        if att.values is None:
            continue  # read from the people file: checked when the file is read
        if any(v not in att.values for v in (att.home or {}).values()):
            continue  # a home value that is not a value: attribute_checks names it
        if value not in att.values:
            problems.append(((*where, name), f"{value!r} is not a value of {name!r} (its "
                             f"values: {', '.join(att.values[:12])})"))
        elif value_counts(att, segments, sizes)[:, att.values.index(value)].sum() == 0:
            problems.append(((*where, name), f"nobody has {name} {value!r}: with these "
                             "shares, alignment and home values no segment holds any"))
    return problems


def expected_with(attributes: dict[str, Attribute] | None, target: dict[str, str],
                  segments: list[str], sizes: list[int]) -> float | None:
    """How many people are expected to have every value of a target of several keys (each
    attribute drawn apart, segment by segment); None for one key, or one read from a file
    or not valid (checked elsewhere)."""
    if len(target) < 2:
        return None
    share = np.ones(len(sizes))
    for name, value in target.items():
        att = (attributes or {}).get(name)
        if (att is None or att.values is None or value not in att.values
                or any(h not in att.values for h in (att.home or {}).values())):
            return None
        counts = value_counts(att, segments, sizes)[:, att.values.index(value)]
        share *= counts / np.maximum(1, np.array(sizes))
    return float((share * np.array(sizes)).sum())
