"""Checks that span several keys of a scenario (names that must exist, shares that must add
up, costs against the budget); each problem names the key path it is about."""

from __future__ import annotations

from typing import Any

from wom.config.attributes import attribute_checks, expected_with, target_checks, value_counts
from wom.config.fields import COMPLETE_GRAPH_MAX_PEOPLE, MAX_UNITS
from wom.config.optimize import as_range
from wom.config.scenario import Scenario


def cross_checks(sc: Scenario) -> list[tuple[tuple[Any, ...], str]]:
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
        for key in ("weights", "message"):  # mix
            given = getattr(st, key)
            for x in given if isinstance(given, dict) else ():
                if x not in names:
                    problems.append(
                        (("strategies", i, key, x), f"unknown segment {x!r} (known: {known})"))
        if st.target is not None:
            problems += target_checks(sc.attributes, st.target, names,
                                      [s.size for s in sc.segments], ("strategies", i, "target"))
        if st.campaign_weeks is not None and st.campaign_weeks > sc.horizon:
            problems.append((("strategies", i, "campaign_weeks"), f"{st.campaign_weeks} "
                             f"weeks is longer than the horizon ({sc.horizon})"))
    problems += attribute_checks(sc.attributes, names, sc.network.model == "file")
    for i, st in enumerate(sc.strategies):
        if st.target is not None and sc.has_accounts:
            problems.append((("strategies", i, "target"), "a target by attribute is not "
                             "modelled yet in a market of accounts (here some segment has "
                             "`accounts:`): target a segment, or leave accounts out"))
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
    for i, seg in enumerate(sc.segments):
        if seg.accounts is not None and seg.accounts.from_file and sc.network.model != "file":
            problems.append((("segments", i, "accounts"), "needs `size` (e.g. 5) or `sizes` "
                             "(e.g. {1: 0.5, 5: 0.5}); only a graph file (network.model: "
                             "file) gives accounts without sizes"))
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
    costs += [(("strategies", i, key), getattr(st, key)) for i, st in enumerate(sc.strategies)
              for key in ("cost_per_seed", "cost_per_contact") if getattr(st, key) is not None]
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
    return problems


def suspicious(sc: Scenario) -> list[tuple[str, str]]:
    """Legal values that are probably mistakes: ``(key path, what it implies)`` to warn
    about, not to refuse (a budget of 80 meant as 80k, a share written as a percent)."""
    notes: list[tuple[str, str]] = []
    b = sc.budget
    seeds = int(b.total * b.seed_share // b.cost_per_seed)
    contacts = int(b.total * (1.0 - b.seed_share) // b.cost_per_contact)
    if sc.strategies and b.total > 0 and seeds == 0 and contacts == 0:
        notes.append(("budget.total", f"{b.total:g} buys no seed at {b.cost_per_seed:g} and no "
                                      f"contact at {b.cost_per_contact:g}: every strategy wins "
                                      "nothing (a budget in thousands?)"))
    elif sc.strategies and b.seed_share > 0 and seeds == 0:
        thousands = " (a budget in thousands?)" if b.total < b.cost_per_seed else ""
        notes.append(("budget.seed_share", f"{b.seed_share:g} of {b.total:g} is "
                                           f"{b.total * b.seed_share:g}: not one seed at "
                                           f"{b.cost_per_seed:g}{thousands}"))
    if sc.network.model in ("planted_partition", "lfr", "clustered") and \
            sc.network.mixing >= 0.95 and len(sc.segments) > 1:
        notes.append(("network.mixing", f"{sc.network.mixing:g}: nearly every conversation "
                                        "crosses segments, so they barely matter (mixing is a "
                                        "share from 0 to 1, not a percent)"))
    degree = getattr(sc.network, "mean_degree", None)
    if sc.network.model != "file" and degree is not None and sc.people > 1 and \
            degree > sc.people - 1:
        notes.append(("network.mean_degree", f"{degree:g}: more ties than the {sc.people - 1:,} "
                                             "other people of the market; it is capped there "
                                             "(everyone talks to everyone)"))
    for i, group in enumerate(sc.segments):
        could = int(group.size * group.tam)
        if group.references > could:
            notes.append((f"segments[{i}].references", f"{group.references}: more than the "
                                                       f"{could:,} people of {group.name!r} "
                                                       "who could ever buy; only its early "
                                                       "market ever will"))
    for i, group in enumerate(sc.segments):
        margin = group.price * group.gross_margin - group.cost_to_serve
        if group.cost_to_serve > 0 and margin < 0:
            kept = group.price * group.gross_margin
            notes.append((f"segments[{i}].cost_to_serve",
                          f"{group.cost_to_serve:g} a week is more than the {kept:g} a paying "
                          f"customer of {group.name!r} leaves after the margin: every customer "
                          "there loses money each week"))
    if not sc.has_accounts:
        for i, st in enumerate(sc.strategies):
            for key in ("aim", "resonance"):
                if getattr(st, key) is not None:
                    notes.append((f"strategies[{i}].{key}", f"{st.name!r} gives {key} by role, "
                                  "but no segment has accounts: every person buys alone and "
                                  "holds every role, so it does nothing (add `accounts:` to "
                                  "a segment)"))
    for i, group in enumerate(sc.segments):
        acc = group.accounts
        biggest = None if acc is None else (acc.size if acc.size is not None else max(
            (k for k, v in (acc.sizes or {}).items() if v > 0), default=None))
        if biggest is not None and biggest > group.size:
            notes.append((f"segments[{i}].accounts", f"accounts of {biggest} in "
                          f"{group.name!r}, which has {group.size} people: one account holds "
                          "them all (cut to the segment's size)"))
        if group.price_per == "account" and group.accounts is None:
            notes.append((f"segments[{i}].price_per", f"account, but {group.name!r} has no "
                          "accounts: each person buys alone, so the price is per person "
                          "(add `accounts:` to the segment)"))
    sizes = [s.size for s in sc.segments]
    for called, att in (sc.attributes or {}).items():
        if att.values is None or any(v not in att.values for v in (att.home or {}).values()):
            continue
        nobody = [v for v, n in zip(att.values, value_counts(att, sc.segment_names, sizes)
                                    .sum(axis=0), strict=True) if n == 0]
        if nobody:
            why = ("its segments are too small to give every value someone (each "
                   "segment's mix is rounded to whole people)" if att.alignment < 1 and all(
                       x > 0 for x in att.mix()) else
                   f"at alignment {att.alignment:g} a value is held only where it is a "
                   "segment's home or has a share (give `home`, or lower the alignment)")
            notes.append((f"attributes.{called}.values",
                          f"nobody is {listed_words(nobody)}: {why}"))
        elif att.alignment == 1 and att.shares is not None:
            notes.append((f"attributes.{called}.shares", "has no effect at alignment 1 (every "
                          "segment is all its home value): lower the alignment to mix"))
        elif ("alignment" not in att.model_fields_set and len(att.values) > 1
              and set(att.values) != set(sc.segment_names)):
            homes = att.home_of(sc.segment_names)
            shown = ", ".join(f"{s}: {att.values[h]}" for s, h in
                              list(zip(sc.segment_names, homes, strict=True))[:3])
            more = ", …" if len(homes) > 3 else ""
            notes.append((f"attributes.{called}", f"no `alignment`, so 1: each segment holds "
                          f"only its home value ({shown}{more}); give an alignment below 1 to "
                          "mix the values within segments (0: every segment holds the mix)"))
    for i, st in enumerate(sc.strategies):
        expected = expected_with(sc.attributes, st.target or {}, sc.segment_names, sizes)
        if expected is not None and expected < 10:
            said = ", ".join(f"{k} {v}" for k, v in (st.target or {}).items())
            notes.append((f"strategies[{i}].target", f"{st.name!r} targets people who have "
                          f"all of {said}: about {expected:.1f} in a market (each "
                          "attribute is drawn independently of the others, so few may hold "
                          "them all); with nobody, the strategy spends nothing"))
        for name in [st.segment, *(st.segments or [])]:
            seg = next((s for s in sc.segments if s.name == name), None)
            if seg is not None and seg.winnable == 0:
                notes.append((f"strategies[{i}]", f"{st.name!r} aims at {name!r}, where nobody "
                                                  "can be won (its TAM less the incumbent's "
                                                  "customers is 0)"))
    return notes


def listed_words(names: list[str]) -> str:
    """``'a', 'b' or 'c'``: names quoted, the last after "or"."""
    quoted = [repr(n) for n in names[:8]] + (["…"] if len(names) > 8 else [])
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def optimize_checks(sc: Scenario) -> list[tuple[tuple[Any, ...], str]]:
    """The ``optimize:`` block against the rest of the scenario: its segments exist and
    some could buy, its campaign fits the horizon, and money objectives have prices."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    block = sc.optimize
    if block is None:
        return problems
    names = sc.segment_names
    known = ", ".join(names[:12]) + (" …" if len(names) > 12 else "")
    for j, x in enumerate(block.segments or []):
        if x not in names:
            problems.append((("optimize", "segments", j), f"unknown segment {x!r} (known: "
                             f"{known})"))
    allowed = [s for s in sc.segments if s.name in (block.segments or names)]
    if allowed and all(s.tam * s.size < 1 or s.incumbent >= s.tam for s in allowed):
        where = ("optimize", "segments") if block.segments else ("segments",)
        problems.append((where, "no segment a plan may target has anyone who could buy "
                         "(TAM empty or all the incumbent's): the plan space is empty"))
    if block.campaign_weeks is not None:
        hi = as_range(block.campaign_weeks)[1]
        if hi > sc.horizon:
            problems.append((("optimize", "campaign_weeks"), f"{hi} weeks is longer than the "
                             f"horizon ({sc.horizon})"))
    if block.objective in ("profit", "payback") and not sc.priced:
        problems.append((("optimize", "objective"), f"{block.objective} needs prices: no "
                         "segment has a `price` or `cost_to_serve`, so every plan's profit "
                         "is minus its spend; optimize customers, or give prices"))
    return problems
