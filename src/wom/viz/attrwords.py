"""Attributes and targets in words, for the report's description of a scenario."""

from __future__ import annotations

from wom.config import Scenario, Strategy
from wom.config.attributes import value_counts
from wom.viz.numbers import as_money, as_number, as_share, listed


def attribute_words(sc: Scenario) -> str:
    """What people are besides their segment: each attribute, how its values are spread
    over the segments (with how many people hold each), and how a message written for one
    of them resonates elsewhere."""
    if not sc.attributes:
        return ""
    parts = []
    sizes = [s.size for s in sc.segments]
    for name, att in sc.attributes.items():
        if att.column is not None:
            spread = f"read from the column {att.column!r} of the people file"
        else:
            held = value_counts(att, sc.segment_names, sizes).sum(axis=0)
            values = listed([f"{int(n):,} {v}" for v, n in zip(att.values or [], held,
                                                               strict=True)])
            spread = (f"{values}, each segment {as_share(att.alignment)} its home value and "
                      "the rest in the overall mix" if 0 < att.alignment < 1 else
                      f"{values}, each segment all its home value" if att.alignment == 1 else
                      f"{values}, the same mix in every segment")
        parts.append(f"{name}: {spread}; a message written for one {name} resonates at "
                     f"{as_number(att.overlap)} with people of another")
    return ("People also carry attributes beside the segment they talk in — "
            + "; ".join(parts) + ".")


def target_words(spec: Strategy) -> str:
    """A focused strategy's target by attribute, in words."""
    target = spec.target or {}
    who = " and ".join(f"{k} {v}" for k, v in target.items())
    first = next(iter(target.values()), "")
    return (f"everyone with {who}, wherever they talk, with a message written for {first}")


def cost_words(spec: Strategy) -> str:
    """A strategy's own costs, in words ("" when it has none)."""
    own = [f"{as_money(c)} a {what}" for what, c in (("seed", spec.cost_per_seed),
                                                  ("contact", spec.cost_per_contact))
           if c is not None]
    return f", at its own costs ({', '.join(own)})" if own else ""
