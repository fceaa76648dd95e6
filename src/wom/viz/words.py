"""The run in words: the scenario described in plain sentences, and the
lesson of a run in one sentence (for the report, the terminal and the pictures)."""

from __future__ import annotations

import re
from pathlib import Path

from wom.config import (
    GRAPH_MODELS,
    IGNITION_SHARE,
    SEEDING_RULES,
    STRATEGY_KINDS,
    Scenario,
    Strategy,
)
from wom.config.registry import first_line
from wom.store import RunFolder, verdict
from wom.viz.attrwords import attribute_words, cost_words, target_words
from wom.viz.fitwords import drawn, fitted_words
from wom.viz.numbers import (
    MAX_NAMED,
    as_count,
    as_counts,
    as_money,
    as_number,
    as_ratio,
    as_share,
    count_spec,
    counted,
    is_number,
    listed,
    ranged,
)

# ------------------------------------------------------------------ the scenario in words

def _seeding_words(rule: str) -> str:
    """Who a seeding rule picks, in words: what it registered, else its docstring."""
    words = SEEDING_RULES.info(rule).get("words")
    if words:
        return str(words)
    return f"people picked by the {rule} rule ({first_line(SEEDING_RULES[rule]).lower()})"


def _strategy_words(spec: Strategy) -> str:
    if spec.kind == "focused":
        what = (target_words(spec) if spec.target else
                f"everything on {spec.segment}, with a message tailored to it")
    elif spec.kind == "broad":
        what = "the budget split over all segments by size, with the generic message"
    elif spec.kind == "multi":
        what = (f"the budget split over {listed(spec.segments or [])} by size, each with "
                "its own tailored message")
    elif spec.kind == "beachhead":
        pins = spec.order or [spec.segment or ""]
        then = (f"then {listed(pins[1:])} in turn" if len(pins) > 1 else
                "then the segment with the most ties to the customers won so far")
        what = (f"bowling pins: everything on {pins[0]} until it reaches "
                f"{as_share(spec.trigger)} of its TAM, {then}, each with its own tailored "
                "message")
    elif spec.kind == "mix":
        what = mix_words(spec)
    else:  # a kind registered since: its docstring says what it does
        what = first_line(STRATEGY_KINDS[spec.kind]).lower()
    what += cost_words(spec)
    name = spec.name if spec.name == spec.kind else f"{spec.name} ({spec.kind})"
    if spec.kind == "mix" and spec.seed_share == 0:  # no seeds: the seeding rule is moot
        return f"{name}: {what}."
    among = (" among the people it targets (each ranked within the segment they talk in)"
             if spec.target else "")
    return f"{name}: {what}; the seeds go to {_seeding_words(spec.seeding)}{among}."


def mix_words(spec: Strategy) -> str:
    """A ``mix`` plan in words: its split or sequence, messages, seed share and campaign,
    leaving out what has no effect (the campaign of a plan without contacts, the seeds of
    one without seeds)."""
    msg = spec.message or "tailored"
    one = len(spec.targets) == 1
    said = (f"{'its' if one else 'each with its'} {msg} message" if isinstance(msg, str) else
            "messages: " + ", ".join(f"{s} {msg.get(s, 'tailored')}" for s in spec.targets))
    share = spec.seed_share
    if one:
        what = f"everything on {spec.targets[0]}"
    elif spec.order:
        every = "" if share == 0 else " (every seed there)"
        what = (f"a sequence: {spec.order[0]} first{every}, then "
                f"{listed(spec.order[1:])} in turn, each pin until it wins "
                f"{as_share(spec.trigger)} of its TAM")
    else:
        w = spec.weights or {}
        total = sum(w.values())
        what = "the budget split " + ", ".join(f"{s} {v / total:.0%}" for s, v in w.items())
    parts = [what, said]
    if share == 0:
        parts.append("no seeds: the whole budget on contacts")
    elif share == 1:
        parts.append("the whole budget on seeds: no contacts")
    elif share is not None:
        parts.append(f"{as_share(share)} of the budget on seeds")
    if spec.campaign_weeks is not None and share != 1:
        parts.append(f"contacts over {counted(spec.campaign_weeks, 'week')}")
    return "; ".join(parts)


def _network_words(sc: Scenario) -> str:
    net = sc.network
    leave = f"{as_share(net.mixing)} of them leaving the person's segment"
    deg = as_number(net.mean_degree)
    if net.model == "planted_partition":
        graph = (f"a planted partition: {deg} ties per person on average, {leave}")
    elif net.model == "lfr":
        graph = (f"an LFR benchmark graph: heavy-tailed numbers of ties (a power law of "
                 f"exponent {as_number(net.degree_exponent)}), {deg} on average, {leave}")
    elif net.model == "clustered":
        graph = (f"a clustered graph (friends of friends are friends inside segments; "
                 f"{as_share(net.rewire)} of in-segment ties rewired at random): {deg} ties per "
                 f"person on average, {leave}")
    elif net.model == "erdos_renyi":
        graph = f"an Erdős–Rényi graph: {deg} ties per person on average, drawn at random"
    elif net.model == "complete":
        graph = "a complete graph: everyone talks to everyone"
    elif net.model != "file":  # a model registered since: its docstring says what it is
        graph = (f"{net.model} ({first_line(GRAPH_MODELS[net.model]).lower()}): {deg} ties "
                 "per person on average")
    else:
        f = net.file
        path = Path(f.path).name if f is not None else "a file"
        source = (f"the labels in {Path(f.labels).name}" if f is not None and f.labels else
                  f"the node attribute {f.attribute}" if f is not None and f.attribute else
                  "communities found in the graph (Louvain)")
        graph = f"a real graph read from {path}, with segments from {source}"
    text = f"People talk along a conversation graph, {graph}."
    if len(sc.segments) > 1:
        text += (f" A tie across segments carries {as_share(net.weak_tie)} of the weight of a tie "
                 "inside one.")
    if net.talks_with:
        text += (f" Some segments talk more with some others ({listed(list(net.talks_with))} "
                 "have uneven cross-segment talk).")
    return text


def _incumbent_words(sc: Scenario) -> str:
    """Which segments an incumbent holds part of, and how many people that is (inside the TAM,
    as the market draws them), or nothing when no segment has one."""
    held = [(s, min(round(s.incumbent * s.size), round(s.tam * s.size)))
            for s in sc.segments if s.incumbent > 0]
    if not held:
        return ""
    counts = [n for _, n in held]
    shares = {s.incumbent for s, _ in held}
    if len(held) == len(sc.segments) > 1 and len(shares) == 1:
        each = (f"{counts[0]:,} people in each" if min(counts) == max(counts) else
                f"{min(counts):,} to {max(counts):,} people")
        where = f"{as_share(held[0][0].incumbent)} of every segment ({each})"
    else:
        parts = [f"{as_share(s.incumbent)} of {s.name} ({n:,} {'person' if n == 1 else 'people'})"
                 for s, n in held]
        if len(parts) > MAX_NAMED:
            parts = [*parts[:MAX_NAMED - 1], f"part of {len(parts) - MAX_NAMED + 1} more segments"]
        where = listed(parts, MAX_NAMED)
    whose = "its" if len(held) == 1 else "their segment's"
    return (f" An incumbent already holds {where}: they count in {whose} TAM but never buy "
            "from us and never pass the word on, so only the rest of the TAM can be won.")


def describe_scenario(sc: Scenario) -> list[str]:
    """The scenario in plain sentences, one paragraph per item (plain text, not HTML)."""
    segs = sc.segments
    sizes = [s.size for s in segs]
    S = len(segs)
    if S == 1:
        market = f"The market is one segment, {segs[0].name}, of {sizes[0]:,} people."
    elif min(sizes) == max(sizes):
        market = (f"The market has {S} segments ({listed(sc.segment_names)}) of {sizes[0]:,} "
                  f"people each, {sc.people:,} people in all.")
    else:
        market = (f"The market has {S} segments ({listed(sc.segment_names)}) of "
                  f"{min(sizes):,} to {max(sizes):,} people, {sc.people:,} people in all.")
    market += (f" The share of a segment that could ever buy (its TAM) is "
               f"{ranged([s.tam for s in segs], as_share)}.")
    market += _incumbent_words(sc)
    if sc.attributes:
        market += " " + attribute_words(sc)
    refs = [s.references for s in segs]
    early = [s.early_market for s in segs]
    if max(refs) == 0:
        market += (" Nobody needs references: anyone convinced can buy at once"
                   + (" (in a market of accounts, once their account's buyer and payer are "
                      "convinced)." if sc.has_accounts else "."))
    elif min(refs) == max(refs) and min(early) == max(early):
        market += (f" Outside the early market ({as_share(early[0])} of each segment), people buy "
                   f"only once {refs[0]} {'person' if refs[0] == 1 else 'people'} of their own "
                   f"segment {'has' if refs[0] == 1 else 'have'} (references).")
    else:
        market += (" Outside the early market, people buy only once enough people of their own "
                   f"segment have (references: {ranged(refs, lambda r: f'{r:g}')}). The early "
                   f"market, who need none, is this share of each segment: "
                   f"{ranged(early, as_share)}.")
    dyn = sc.dynamics
    fitted = set(sc.uncertainty.draws) if sc.uncertainty is not None else set()

    def value(key: str) -> str:
        """A dynamics value as written, or a fit's estimate in three figures (its draws are
        in the paragraph on fitted values)."""
        x = getattr(dyn, key)
        return f"{drawn(x)} (fitted)" if f"dynamics.{key}" in fitted else as_number(x)

    overlap = (f"at {value('overlap')}" if not isinstance(dyn.overlap, dict)
               else "as the overlap matrix of the scenario says")
    dynamics = (f"Each week, an advocate converts a neighbour with probability "
                f"{value('word_of_mouth')} when the message fully resonates, and keeps "
                f"talking for {dyn.talk_weeks} week{'s' if dyn.talk_weeks != 1 else ''}"
                f"{' (fitted)' if 'dynamics.talk_weeks' in fitted else ''} after "
                f"buying; a person reached by marketing buys with probability "
                f"{value('marketing')} at full resonance. A tailored message resonates fully "
                f"in its own segment and {overlap} elsewhere; the generic message resonates at "
                f"{value('generic_resonance')} everywhere.")
    if dyn.background > 0:
        dynamics += (f" Each week, anyone who could buy also does so with probability "
                     f"{value('background')} through channels outside the conversations "
                     "and the campaign (press, search, the category's own buzz), and then "
                     "retells the generic message.")
    b = sc.budget
    own_costs = any(s.cost_per_seed or s.cost_per_contact for s in segs)
    seeds = (f"seeds (people given the product in week 0, {as_money(b.cost_per_seed)} each)")
    contacts = (f"marketing contacts ({as_money(b.cost_per_contact)} each), spread over the first "
                f"{b.campaign_weeks} week{'s' if b.campaign_weeks != 1 else ''}")
    spent = (f"everything on {contacts}" if b.seed_share == 0 else
             f"everything on {seeds}" if b.seed_share == 1 else
             f"{as_share(b.seed_share)} on {seeds} and the rest on {contacts}")
    budget = (f"Every strategy has the same budget of {as_money(b.total)}: {spent}"
              + ("; some segments have costs of their own" if own_costs else "")
              + ". A strategy may spend less (a week's contacts in a segment stop at its "
                "size, seeds at its open people): the summary gives each one's spend.")
    if sc.priced or any(s.churn for s in segs):
        def each(key: str, fmt: str) -> str:
            values = {getattr(s, key) for s in segs}
            if len(values) == 1:
                return format(values.pop(), fmt)
            return ", ".join(f"{s.name} {format(getattr(s, key), fmt)}" for s in segs[:8]) + (
                ", …" if len(segs) > 8 else "")
        budget += (f" Money: a paying customer pays {each('price', ',g')} a week at a gross "
                   f"margin of {each('gross_margin', '.0%')}, costs {each('cost_to_serve', ',g')}"
                   f" a week to serve, and leaves with chance {each('churn', '.1%')} a week; "
                   + ("seeds pay too." if b.seeds_pay else "seeds (given the product) do not "
                                                          "pay."))
        by_account = [s.name for s in segs if sc.has_accounts and s.price_per == "account"]
        if by_account:
            budget += (f" The price is per account in {listed(by_account)} (per seat "
                       "elsewhere); an account leaves as a whole.")
    if sc.has_accounts:
        dynamics += " " + _accounts_words(sc)
    strategies = "The strategies compared: " + " ".join(_strategy_words(s) for s in sc.strategies)
    run = (f"Each strategy ran {sc.replicates:,} replicate{'s' if sc.replicates != 1 else ''} "
           f"of {sc.horizon} week{'s' if sc.horizon != 1 else ''} from seed {sc.seed}; "
           + ("every replicate of every strategy ran on one market, replicate 0's "
              "(network.resample: once), so the intervals are over the futures of this "
              "market, not over markets, and "
              if sc.network.resample == "once" else
              "replicate i of every strategy sees the same market (common random numbers), "
              "so ")
           + "the differences between strategies are paired. A segment counts as ignited once "
           f"its customers reach {as_share(IGNITION_SHARE)} of its TAM"
           + (", the incumbent's customers counted in the TAM." if any(
               s.incumbent > 0 for s in segs) else "."))
    out = [market, _network_words(sc), dynamics, budget, strategies, run]
    if sc.uncertainty is not None:
        out.append(fitted_words(sc))
    if sc.description:
        out.insert(0, sc.description)
    return out



def _accounts_words(sc: Scenario) -> str:
    """The account rule in a sentence or three (docs/model.md, accounts)."""
    def size(seg) -> str:
        a = seg.accounts
        if a is None or a.single:
            return f"{seg.name}: people buy alone"
        if a.size is not None:
            return f"{seg.name}: accounts of {a.size}"
        if a.sizes is None:  # a market read from a graph file: the file's accounts
            return f"{seg.name}: the graph file's accounts"
        return f"{seg.name}: accounts of " + ", ".join(
            f"{k} ({as_share(v)})" for k, v in sorted(a.sizes.items()) if v > 0)

    sizes = "; ".join(size(s) for s in sc.segments[:8]) + ("; …" if len(sc.segments) > 8
                                                          else "")
    aimed = [s for s in sc.strategies if s.aim is not None or s.resonance is not None]
    roles = ""
    if aimed:
        def how(s) -> str:
            u, b, p = s.role_resonance()
            aim = ", ".join(f"{as_share(v)} {k}s" for k, v in (s.aim or {}).items() if v > 0)
            return (f"{s.name}: its message resonates at {as_number(u)} with users, "
                    f"{as_number(b)} with buyers and {as_number(p)} with payers"
                    + (f", its contacts aimed at {aim}" if aim else ""))
        roles = " " + "; ".join(how(s) for s in aimed) + "."
    return (f"People buy as accounts ({sizes}): each has a buyer, a payer (sometimes the "
            "buyer) and users. A trial convinces a person at the message's resonance with "
            "their role; a convinced member talks up the product inside the account; the "
            "account buys when its buyer and its payer are convinced, and then every member "
            f"is a customer (a seat) and talks.{roles}")


# ---------------------------------------------------------------------------- the lesson

_LABEL = re.compile(r"^([A-Z][A-Z ]*[A-Z])\s*[—:–-]\s*(.*)$", re.S)


def notes_paragraphs(notes: str) -> list[tuple[str, str]]:
    """A scenario file's opening comments as ``(label, text)`` paragraphs.

    Blank comment lines separate paragraphs, the lines of one are joined; a paragraph opening
    with a capitalised label (``LESSON —``, ``WHAT TO SEE:``) gives it as ``"Lesson"``,
    ``"What to see"``, else the label is ``""``.
    """
    paragraphs: list[list[str]] = [[]]
    for line in notes.splitlines():
        text = line.strip().removeprefix("#").strip()
        if text:
            paragraphs[-1].append(text)
        elif paragraphs[-1]:
            paragraphs.append([])
    out = []
    for lines in paragraphs:
        if not lines:
            continue
        text = " ".join(lines)
        m = _LABEL.match(text)
        out.append((m.group(1).capitalize(), m.group(2)) if m else ("", text))
    return out



def lesson(run: RunFolder) -> str:
    """The run's lesson in one sentence, from the summary and comparison tables.

    The winner is the strategy with the most customers on average; it is compared with the
    runner-up by ratio, word-of-mouth share and the paired 95% interval of the difference,
    saying plainly when that interval does not exclude zero.
    """
    won = verdict(run.summary(), run.comparison())
    summary = run.summary().set_index(run.summary()["strategy"].astype(str))
    money = as_money(run.scenario.budget.total)
    n = int(summary["replicates"].iloc[0]) if "replicates" in summary else run.scenario.replicates
    over = f"over {n:,} replicate{'s' if n != 1 else ''}"
    w, w_mean = won.best, won.best_mean
    share = float(summary.loc[w, "wom_share_mean"])
    wom = f"; {share:.0%} came by word of mouth" if is_number(share) and w_mean > 0 else ""
    if w_mean <= 0:
        return f"No strategy won any customer at a budget of {money} ({over})."
    if won.second is None:
        return f"{w} won {as_count(w_mean)} customers at a budget of {money} ({over}){wom}."
    r, r_mean = won.second, won.second_mean
    start = (float(summary["customers_at_start"].iloc[0]) if "customers_at_start" in summary
             else 0.0)  # today's customers, in every strategy's count
    if r_mean <= 0:
        head = (f"{w} won {as_count(w_mean)} customers and {r} none at the same budget of "
                f"{money} ({over}){wom}")
    elif w_mean == r_mean:
        head = (f"{w} and {r} won the same number of customers at the same budget of "
                f"{money} ({as_count(w_mean)} on average {over})")
        wom = ""
    elif 0 < start < r_mean:
        # from today's customers: the ratio of those won (both totals count today's)
        won_w, won_r = as_counts(w_mean - start, r_mean - start)
        head = (f"{w} won {as_ratio((w_mean - start) / (r_mean - start))} the new customers "
                f"of {r} at the same budget of {money} ({won_w} against {won_r} on average "
                f"{over}, on top of today's {start:,.0f}){wom}")
    else:
        won_w, won_r = as_counts(w_mean, r_mean)
        head = (f"{w} won {as_ratio(w_mean / r_mean)} the customers of {r} at the same budget "
                f"of {money} ({won_w} against {won_r} on average {over}){wom}")
    diff = won.difference
    if diff is None or not diff.known:
        return (f"{head}; with {'one replicate' if n == 1 else 'these replicates'} there is "
                "no interval for the difference, so this is not yet evidence.")
    lo, hi = diff.lo, diff.hi
    if lo == hi == 0:
        return (f"{head}; every paired replicate gave both the same number, so no strategy "
                "leads (more replicates would not change that).")
    spec = "+" + count_spec(w_mean, r_mean)  # as precise as the counts it compares
    interval = f"{lo:{spec}} to {hi:{spec}} customers"
    if lo > 0:
        return f"{head}; the paired 95% interval of the difference, {interval}, excludes zero."
    return (f"{head}; but the paired 95% interval of the difference, {interval}, includes "
            "zero, so this run cannot tell them apart (run more replicates).")


#: What a reader of results under ``network.resample: once`` must know, in one line.
ONE_MARKET = ("one market (network.resample: once): every replicate runs on replicate 0's "
              "market, so the intervals are over the futures of this market, not over markets")
