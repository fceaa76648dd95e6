"""What ``wom optimize`` writes: the search (objective against trial), the best plan's money
over segments and weeks, and the folder holding them with best.yaml and trials.csv.

The folder is written like a run folder (:func:`wom.store.atomic_folder`): into a hidden
sibling, renamed into place when complete.
"""

from __future__ import annotations

import base64
import functools
import shutil
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from wom.engine import run_to_horizon
from wom.experiment.optimize import FOUND, SEARCH_OFFSET, OptimizeResult
from wom.experiment.replicate import Replicate
from wom.experiment.searchstore import STORE
from wom.store import atomic_folder
from wom.store.folder import MANIFEST, write_csv, write_manifest
from wom.store.partials import (
    PARTIAL,
    owner,
    place,
    remove_stale_partials,
    replace_whole,
    writable,
)
from wom.viz.htmltable import made_with
from wom.viz.numbers import as_share, counted
from wom.viz.searchwords import (
    confirmation_notes,
    confirmation_rows,
    describe_plan,
    objective_head,
    verdict_text,
)
from wom.viz.style import as_written, money_axis, save_figure, segment_colours

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


@as_written
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
    money_axis(ax.yaxis)  # (an amount of money or of people: plain numbers either way)
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


@as_written
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
    money_axis(left.yaxis)
    money_axis(right.yaxis)
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

def _command(res: OptimizeResult) -> str:
    """How the search was made and the commands that make it again (the report's part)."""
    given = res.meta.get("command")
    n = res.meta.get("confirm_replicates") or res.scenario.replicates
    again = f"wom optimize {SCENARIO} --replicates {n}"
    parts = []
    if given:
        parts.append(made_with("search", res.meta))
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
        remove_stale_partials(out)  # writes that were killed (not those still going)
        stage = out / f".writing{PARTIAL}{owner()}"
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir()
        try:
            _write_files(res, stage, notes, later=[STORE])
            names = sorted(p.name for p in stage.iterdir() if p.name != MANIFEST)
            for gone in (BEST, CONFIRMATION, "plan.png"):  # not in this result: not shown
                if gone not in names:
                    (out / gone).unlink(missing_ok=True)
            for name in [*names, MANIFEST]:
                target = writable(out / name)  # (a link: the file it links to)
                if target == out / name:
                    place(stage / name, target)
                else:  # written beside that file, which may be on another file system
                    replace_whole(out / name, functools.partial(shutil.copyfile, stage / name))
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
