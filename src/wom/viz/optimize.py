"""What ``wom optimize`` writes: the search (objective against trial), the best plan's money
over segments and weeks, and the folder holding them with best.yaml and trials.csv.

The folder is written like a run folder (:func:`wom.store.atomic_folder`): into a hidden
sibling, renamed into place when complete.
"""

from __future__ import annotations

import base64
import math
import os
import shutil
import socket
from collections.abc import Callable
from functools import partial
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from wom.engine import run_to_horizon
from wom.experiment.optimize import FOUND, SEARCH_OFFSET, OptimizeResult
from wom.experiment.replicate import Replicate
from wom.experiment.searchstore import STORE
from wom.store import atomic_folder
from wom.store.folder import MANIFEST, PARTIAL, partial_owner, write_csv, write_manifest
from wom.viz.style import save_figure, segment_colours
from wom.viz.words import as_cell, as_money_cell, as_share, counted, is_number, mix_words

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BEST = "best.yaml"
TRIALS = "trials.csv"
CONFIRMATION = "confirmation.csv"
#: The scenario as searched, every default filled in: ``wom optimize scenario.yaml`` again.
SCENARIO = "scenario.yaml"


def _label(res: OptimizeResult) -> str:
    return {"customers": "customers", "profit": "profit",
            "payback": "payback week (never: horizon + 1)"}[res.objective]


def search_figure(res: OptimizeResult) -> Figure:
    """Each trial's mean objective (hollow: pruned after few replicates) and the best so far
    among the trials that reached the most replicates."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    t = res.trials
    done = t[t.state == "complete"]
    cut = t[t.state == "pruned"]
    ax.scatter(cut.trial, cut.objective, s=14, facecolors="none", edgecolors="#999999",
               label="stopped early (few replicates)")
    ax.scatter(done.trial, done.objective, s=18, color="#0072B2",
               label=f"evaluated on {int(done.replicates.max()) if len(done) else 0} "
                     "replicates")
    if len(done):
        x = done.objective.to_numpy(float)
        best = np.fmax.accumulate(x) if res.higher_is_better else np.fmin.accumulate(x)
        ax.step(done.trial, best, where="post", color="#D55E00", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"mean {_label(res)} (search replicates)")
    ax.set_title(f"{res.scenario.name}: search for the most {res.objective}"
                 if res.higher_is_better else f"{res.scenario.name}: search for the "
                 f"earliest payback")
    ax.legend(loc="best", fontsize=9)
    return fig


def plan_money(res: OptimizeResult) -> tuple[np.ndarray, np.ndarray]:
    """The found plan's money on the market of replicate 0: ``(seeds[S], contacts[T, S])``
    (seeds placed × seed cost; scheduled contacts × contact cost, week by week; for a
    sequence, whose pins move when the market says, the contacts of replicate 0's run)."""
    sc = res.best_scenario()
    rep = Replicate(sc, 0)
    plan = rep.plan(FOUND)
    pop = rep.population
    seeds = (np.bincount(pop.segment[plan.seeds], minlength=pop.n_segments)
             * plan.seed_cost).astype(float)
    if plan.reacts:
        contacts = run_to_horizon(rep.simulation(FOUND)).spend.astype(float)
        contacts[0] -= seeds
        return seeds, contacts
    contacts = plan.contacts * plan.contact_cost[None, :]
    return seeds, contacts.astype(float)


def plan_figure(res: OptimizeResult) -> Figure:
    """The found plan's budget over segments (seeds and contacts) and its contacts over
    weeks (the seeds, all at week 0, are left out there: beside them a week's contacts
    would not show)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    sc = res.scenario
    names = sc.segment_names
    colours = segment_colours(names)
    seeds, contacts = plan_money(res)
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.4))
    used = [k for k in range(len(names)) if seeds[k] + contacts[:, k].sum() > 0]
    x = np.arange(len(used))
    left.bar(x, seeds[used], color=[colours[names[k]] for k in used], label="seeds")
    left.bar(x, contacts[:, used].sum(axis=0), bottom=seeds[used], color="none",
             edgecolor=[colours[names[k]] for k in used], hatch="//", label="contacts")
    left.set_xticks(x, [names[k] for k in used], rotation=30, ha="right")
    left.set_ylabel("money")
    left.set_title("by segment (filled: seeds, hatched: contacts)")
    # headroom: the tallest bar clear of the frame (set, not a margin: a bar's bottom is
    # a sticky edge, and the empty contacts bar of a plan without any sits on the seeds)
    left.set_ylim(0, 1.12 * max(float((seeds + contacts.sum(axis=0)).max()), 1.0))
    weekly = contacts.sum(axis=1)
    if weekly.sum() > 0:
        last = int(np.max(np.nonzero(weekly)[0])) + 2
        weeks = np.arange(min(last, sc.horizon))
        bottom = np.zeros(weeks.size)
        for k in used:
            right.bar(weeks, contacts[weeks, k], bottom=bottom, color=colours[names[k]],
                      label=names[k], width=0.9)
            bottom += contacts[weeks, k]
        right.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # off the bars
        right.set_xlim(-0.7, weeks.size - 0.3)
        right.set_ylim(0, 1.12 * float(bottom.max()))
        right.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        right.text(0.5, 0.5, "no contacts: the whole budget on seeds, at week 0",
                   ha="center", va="center", transform=right.transAxes)
        right.set_xticks([])
        right.set_yticks([])
    right.set_xlabel("week")
    right.set_ylabel("money")
    right.set_title("contacts by week (the seeds, all at week 0, are on the left)")
    best = res.best
    assert best is not None
    said = [f"pins {' > '.join(best.order)} (on at {best.trigger:.0%} of a pin's TAM; "
            "weeks as in replicate 0)"] if best.order else []
    share = sc.budget.seed_share if best.seed_share is None else best.seed_share
    weeks_on = (sc.budget.campaign_weeks if best.campaign_weeks is None
                else best.campaign_weeks)
    said.append(f"{as_share(share)} of the budget on seeds")
    if share < 1:
        said.append(f"a campaign of {counted(weeks_on, 'week')}")
    if share > 0:
        said.append(f"seeding {best.seeding}")
    fig.suptitle(f"{sc.name}: the plan found — {', '.join(said)}")
    return fig


# ------------------------------------------------------------------ numbers and verdict

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
    if math.isnan(d.mean):  # payback: no replicate where both paid back
        return (f"The plan found and {best}, cannot be compared: no fresh replicate where "
                f"both paid back ({on}).")
    said = f"it {_verb(res)} {_amount(res, d.mean)}"
    both = (", over the replicates where both paid back" if res.objective == "payback"
            and _some_never(res, d.b) else "")
    if not d.known:
        return (f"On a single fresh replicate the plan found {_verb(res)} "
                f"{_amount(res, d.mean)} than {best}: no interval, so no verdict "
                "(confirm on more replicates, --replicates).")
    ci = f"95% CI {_range(res, d.lo, d.hi)}{both}; P(beats) {p_beats(d.p_a_beats_b)}"
    if res.beats():
        return f"The plan found beats {best}, with confidence: {said} ({ci}) {on}."
    return (f"The plan found does not beat {best}, with confidence: {said} on average "
            f"({ci}) {on}.")


def _some_never(res: OptimizeResult, other: str) -> bool:
    """Whether the plan found or `other` never paid back on some fresh replicate (their
    paired differences leave those replicates out)."""
    if res.confirmation is None:
        return False
    per = res.confirmation.per_replicate()
    return bool(per.loc[per.strategy.isin([FOUND, other]), res.metric].isna().any())


def confirmation_rows(res: OptimizeResult) -> list[list[str]]:
    """The confirmation as the tables show it (terminal and report): per strategy, its name
    (the plan found and the other finalists marked), the objective's mean and 95% CI, the
    paired difference of the plan found from it with its 95% CI, and P(beats)."""
    show = objective_cell(res)
    rows = []
    for r in res.confirmed().to_dict("records"):
        name = str(r["strategy"])
        mark = " (found)" if name == FOUND else " (finalist)" if r["found"] else ""
        mine = name == FOUND
        rows.append([name + mark, show(r["mean"]), interval(show, r["lo"], r["hi"]),
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
    if len(conf) and (conf.found & (conf.strategy != FOUND)).any():
        notes.append("finalist: one of the next best plans of the search, confirmed too "
                     "(its plan is in trials.csv)")
    if res.objective == "payback":
        line = f"payback week: a plan that {never_paid_back(res)}"
        if any(_some_never(res, s) for s in conf.strategy if s != FOUND):
            line += "; a difference counts only the replicates where both paid back"
        notes.append(line)
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


def _command(res: OptimizeResult) -> str:
    """How the search was made and the commands that make it again (the report's part)."""
    given = res.meta.get("command")
    n = res.meta.get("confirm_replicates") or res.scenario.replicates
    again = f"wom optimize {SCENARIO} --replicates {n}"
    parts = []
    if given:
        parts.append(f"<p>This search was made with:</p><pre>{escape(str(given))}</pre>")
    parts.append(
        f"<p>Seed {res.scenario.seed}. <code>{SCENARIO}</code> in this folder is the "
        "scenario as searched (its <code>optimize:</code> block with the objective and "
        "trials in, every default filled in); from this folder,</p>"
        f"<pre>{escape(again + ' --out again')}</pre><p>searches again and finds the same "
        "trials and plan (the same seed gives the same numbers, whatever the number of "
        "workers), and</p>")
    if res.best is not None:
        parts.append(f"<pre>{escape(f'wom run {BEST} --replicates {n}')}</pre><p>runs the "
                     "plan found beside the scenario's strategies on the confirmation's "
                     "fresh replicates: the same numbers as the table above (the other "
                     "finalists aside).</p>")
    return "".join(parts)


def _report(res: OptimizeResult, folder: Path, pictures: list[str]) -> str:
    from wom.viz.report import STYLE

    rows = confirmation_rows(res)
    n = res.confirmation.new_by_cause.shape[1] if res.confirmation is not None else 0
    head = ["strategy", objective_head(res).replace("\n", " "), "95% CI", "difference",
            "95% CI", "P(beats)"]
    table = ("<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head)
             + "</tr></thead><tbody>" + "".join(
                 "<tr>" + "".join(f"<td{' class=t' if j == 0 else ''}>{escape(c)}</td>"
                                  for j, c in enumerate(r)) + "</tr>" for r in rows)
             + "</tbody></table>"
             + "".join(f"<p class='sub'>{escape(line)}</p>"
                       for line in confirmation_notes(res))) if rows else ""
    figs = "".join(
        f'<figure><img src="data:image/png;base64,'
        f'{base64.b64encode((folder / p).read_bytes()).decode("ascii")}" alt="{p}">'
        f"<figcaption><code>{p}</code></figcaption></figure>" for p in pictures)
    plan = (f"<p>The plan found: {escape(describe_plan(res))}. It is the strategy "
            f"<code>{FOUND}</code> of <code>{BEST}</code>.</p>" if res.best is not None
            else "")
    confirmed = (f"<h2>Confirmation on {escape(counted(n, 'fresh replicate'))}</h2>{table}"
                 "<p>The search ran on replicates " f"{SEARCH_OFFSET:,} and up; the "
                 "confirmation on replicates 0 … n − 1, the ones "
                 f"<code>wom run {BEST}</code> runs.</p>" if rows else "")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>wom optimize "
            f"{escape(res.scenario.name)}</title><style>{STYLE}</style></head><body><main>"
            f"<h1>wom optimize: {escape(res.scenario.name)}</h1>"
            f"<p class='sub'>{escape(counted(len(res.trials), 'trial'))}, objective "
            f"{escape(res.objective)}, seed {res.scenario.seed}</p>"
            f"<p class='lesson'>{escape(verdict_text(res))}</p>{plan}{confirmed}{figs}"
            f"<h2>Reproduce</h2>{_command(res)}</main></body></html>")


def write_optimize(res: OptimizeResult, out: Path | str, *, fresh: bool = False,
                   notes: str = "") -> Path:
    """The optimize folder: best.yaml (the scenario with the plan found added),
    scenario.yaml (the scenario as searched: ``wom optimize scenario.yaml`` searches
    again), trials.csv, confirmation.csv, search.png, plan.png, report.html, manifest.json.

    A folder holding the search's store (``search.sqlite``, as ``wom optimize`` makes it)
    gets the files beside the store: each is written whole under a hidden name and renamed
    into place, the manifest last, replacing those a stopped search left. Any other `out`
    is written atomically (:func:`wom.store.atomic_folder`): a hidden sibling renamed into
    place when complete. `notes`: the comments the scenario file opens with, kept at the
    top of best.yaml.
    """
    out = Path(out)
    if (out / STORE).exists():
        for old in out.glob(f".writing{PARTIAL}*"):
            if partial_owner(old) != (socket.gethostname(), os.getpid()):
                shutil.rmtree(old, ignore_errors=True)  # a write that was killed
        stage = out / f".writing{PARTIAL}{socket.gethostname()}-{os.getpid()}"
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir()
        try:
            _write_files(res, stage, notes, later=[STORE])
            names = sorted(p.name for p in stage.iterdir() if p.name != MANIFEST)
            for gone in (BEST, CONFIRMATION, "plan.png"):  # not in this result: not shown
                if gone not in names:
                    (out / gone).unlink(missing_ok=True)
            for name in [*names, MANIFEST]:
                os.replace(stage / name, out / name)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        return out
    with atomic_folder(out, "optimize folder", fresh=fresh) as folder:
        _write_files(res, folder.tmp, notes)
    return folder.path


def _write_files(res: OptimizeResult, tmp: Path, notes: str, later: list[str] | None = None
                 ) -> None:
    pictures = []
    (tmp / SCENARIO).write_text(notes + ("\n" if notes else "") + res.scenario.to_yaml(),
                                encoding="utf-8")
    write_csv(res.trials, tmp / TRIALS)
    save_figure(search_figure(res), tmp / "search.png")
    pictures.append("search.png")
    if res.best is not None:
        text = res.best_scenario().to_yaml()
        (tmp / BEST).write_text(notes + ("\n" if notes else "") + text, encoding="utf-8")
        save_figure(plan_figure(res), tmp / "plan.png")
        pictures.append("plan.png")
    if res.confirmation is not None:
        write_csv(res.confirmed(), tmp / CONFIRMATION)
    (tmp / "report.html").write_text(_report(res, tmp, pictures), encoding="utf-8")
    write_manifest(tmp, {**res.meta, "verdict": verdict_text(res),
                         "plan": describe_plan(res)}, later or [])
