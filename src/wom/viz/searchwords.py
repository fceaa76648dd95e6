"""wom optimize in words: the cells of its table, the verdict, the notes under the table,
the plan found and the best so far (for the terminal and report.html alike)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from wom.experiment.optimize import FOUND, OptimizeResult
from wom.viz.numbers import as_cell, as_money_cell, counted, is_number
from wom.viz.words import ONE_MARKET, mix_words


def objective_cell(res: OptimizeResult) -> Callable[[float], str]:
    """A value of the objective as every table and sentence writes it: money in whole
    units, then k and M (``829k``, ``1.09M``, as ``wom run``'s money table); customers and
    weeks to one decimal; ``–`` for none."""
    return as_money_cell if res.objective == "profit" else partial(as_cell, digits=1)


def signed(show: Callable[[float], str], x: float) -> str:
    """`x` written by `show`, with ``+`` when it is above zero (a difference)."""
    text = show(x)
    return f"+{text}" if is_number(x) and x > 0 and text.strip("0.,kMB") else text


def interval(show: Callable[[float], str], lo: float, hi: float, *, sign: bool = False,
             sep: str = "–") -> str:
    """``lo–hi``; a single ``–`` when there is none (one replicate)."""
    if not (is_number(lo) and is_number(hi)) or math.isnan(lo) or math.isnan(hi):
        return "–"
    if sign:
        return f"{signed(show, lo)}{sep}{signed(show, hi)}"
    return f"{show(lo)}{sep}{show(hi)}"


def p_beats(p: float) -> str:
    """P(the plan found beats a strategy), two decimals; ``–`` when unknown."""
    return f"{p:.2f}" if is_number(p) and not math.isnan(p) else "–"


def never_paid_back(res: OptimizeResult) -> str:
    """How a plan that never pays back is scored (payback objective)."""
    h = res.scenario.horizon
    return f"never paid back within the {h} weeks counts as week {h + 1}"


def difference_note(res: OptimizeResult) -> str:
    """What the difference columns of the confirmation table mean, in plain words."""
    better = ("; negative: the plan found pays back earlier (better)"
              if res.objective == "payback" else "")
    return (f"difference: the plan found ({FOUND}) minus the strategy on the same "
            f"replicates (paired), with its 95% CI{better}; P(beats): share of replicates "
            "where the plan found does better")


def _amount(res: OptimizeResult, x: float) -> str:
    """A difference of the objective in words: ``2.1 weeks earlier``, ``23,282 more
    profit``, ``3.0 fewer customers``."""
    show = objective_cell(res)
    size = show(abs(x))
    if res.objective == "payback":
        if size == show(0.0):
            return "in the same week"
        return f"{size} week{'' if size == '1.0' else 's'} {'earlier' if x < 0 else 'later'}"
    if size == show(0.0):
        return f"the same {res.objective}"
    less = "fewer" if res.objective == "customers" else "less"
    return f"{size} {'more' if x > 0 else less} {res.objective}"


def _range(res: OptimizeResult, lo: float, hi: float) -> str:
    """An interval of differences in words: ``1.9 to 2.3 weeks earlier``, ``3.2k less
    profit to 3.1k more profit``."""
    show = objective_cell(res)
    if lo * hi > 0:  # one side of zero: the words once
        near, far = sorted((lo, hi), key=abs)
        return f"{show(abs(near))} to {_amount(res, far)}"
    return f"{_amount(res, lo)} to {_amount(res, hi)}"


def _verb(res: OptimizeResult) -> str:
    return {"customers": "wins", "profit": "makes", "payback": "pays back"}[res.objective]


def _level(res: OptimizeResult, mean: float, lo: float, hi: float) -> str:
    """The found plan's own mean and interval in words."""
    show = objective_cell(res)
    ci = (f" (95% CI {interval(show, lo, hi, sep=' to ')})" if interval(show, lo, hi) != "–"
          else "")
    if res.objective == "payback":
        return (f"pays back in week {show(mean)} on average{ci}; "
                f"{never_paid_back(res)}")
    return f"{_verb(res)} {show(mean)} {res.objective} on average{ci}"


def verdict_text(res: OptimizeResult) -> str:
    """One sentence: whether the found plan beats the scenario's best, with confidence,
    written to the precision of the table (:func:`objective_cell`)."""
    if res.best is None:
        return "No trial finished: nothing was found."
    if res.confirmation is None:
        return ("The search was stopped before the confirmation: the plan found is the best "
                "of the trials finished, not yet checked on fresh replicates.")
    n = res.confirmation.new_by_cause.shape[1]
    on = f"on {counted(n, 'fresh replicate')}"
    d = res.versus()
    if d is None:
        own = res.confirmed().set_index("strategy").loc[FOUND]
        return (f"The plan found {_level(res, own['mean'], own['lo'], own['hi'])}, {on}; "
                "the scenario has no strategy of its own to compare it with.")
    best = f"{d.b}, the scenario's best"
    theirs = res.meta.get("from_scenario", {}).get(res.meta.get("found_trial"))
    if theirs is not None:
        return (f"The plan found is {theirs}'s own plan: the search found nothing better "
                f"than the scenario's plans. {d.b}, their best, "
                f"{_level(res, *_of(res, d.b))}, {on}.")
    said = f"it {_verb(res)} {_amount(res, d.mean)}"
    if not d.known:
        return (f"On a single fresh replicate the plan found {_verb(res)} "
                f"{_amount(res, d.mean)} than {best}: no interval, so no verdict "
                "(confirm on more replicates, --replicates).")
    ci = f"95% CI {_range(res, d.lo, d.hi)}; P(beats) {p_beats(d.p_a_beats_b)}"
    if res.beats():
        return f"The plan found beats {best}, with confidence: {said} ({ci}) {on}."
    return (f"The plan found does not beat {best}, with confidence: {said} on average "
            f"({ci}) {on}.")


def _of(res: OptimizeResult, name: str) -> tuple[float, float, float]:
    """`name`'s mean and 95% interval on the fresh replicates."""
    row = res.confirmed().set_index("strategy").loc[name]
    return float(row["mean"]), float(row["lo"]), float(row["hi"])


def confirmation_rows(res: OptimizeResult) -> list[list[str]]:
    """The confirmation as the tables show it (terminal and report): per strategy (the
    scenario's, the plan found, the other finalists), the objective's mean and 95% CI, the
    paired difference of the plan found from it with its 95% CI, and P(beats)."""
    show = objective_cell(res)
    rows = []
    records = res.confirmed().to_dict("records")
    # the scenario's strategies, then the plan found, then the other finalists
    records.sort(key=lambda r: (bool(r["found"]), r["strategy"] != FOUND))
    for r in records:
        name = str(r["strategy"])
        mine = name == FOUND
        rows.append([name, show(r["mean"]), interval(show, r["lo"], r["hi"]),
                     "" if mine else signed(show, r.get("diff_mean", math.nan)),
                     "" if mine else interval(show, r.get("diff_lo", math.nan),
                                              r.get("diff_hi", math.nan), sign=True,
                                              sep=" to "),
                     "" if mine else p_beats(r.get("p_found_beats", math.nan))])
    return rows


def confirmation_notes(res: OptimizeResult) -> list[str]:
    """The lines under the confirmation table: what the differences mean, the finalists,
    and (payback) how a plan that never paid back is counted."""
    notes = [difference_note(res)]
    conf = res.confirmed()
    others = [str(x) for x in conf.strategy[conf.found & (conf.strategy != FOUND)]] \
        if len(conf) else []
    if others:
        notes.append(f"{FOUND}: the plan found; {', '.join(others)}: the next best plans "
                     "of the search, confirmed too (their plans are in trials.csv)")
    theirs = res.meta.get("from_scenario", {})
    same = [f"{t} is {theirs[t]}'s plan" for t in others if t in theirs]
    if same:
        notes.append(f"{'; '.join(same)} (the search starts from the scenario's plans)")
    if res.objective == "payback":
        notes.append(f"payback week: a plan that {never_paid_back(res)}, in the means and "
                     "the differences alike")
    if res.scenario.network.resample == "once":
        notes.append(ONE_MARKET + "; the search's replicates and the fresh ones alike")
    return notes


def describe_plan(res: OptimizeResult) -> str:
    """The found plan in words (its seeding rule only if it has seeds)."""
    if res.best is None:
        return ""
    if res.best.seed_share == 0:
        return mix_words(res.best)
    return f"{mix_words(res.best)}; seeding {res.best.seeding}"


def objective_head(res: OptimizeResult) -> str:
    """The objective's column head (two lines at most)."""
    return "payback\nweek" if res.objective == "payback" else res.objective


def best_so_far(res: OptimizeResult) -> str:
    """The best plan of a stopped search, in one line: its mean on the search's replicates
    (not yet confirmed on fresh ones) and the plan."""
    if res.best is None:
        return "no trial finished: nothing found yet"
    done = res.trials[res.trials.state == "complete"]
    top = done.objective.min() if not res.higher_is_better else done.objective.max()
    row = done[done.objective == top].iloc[0]
    what = "payback week" if res.objective == "payback" else res.objective
    return (f"best so far: {what} {objective_cell(res)(row.objective)} on "
            f"{counted(int(row.replicates), 'search replicate')} (not confirmed), trial "
            f"{int(row.trial)}: {describe_plan(res)}")
