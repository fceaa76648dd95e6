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
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from wom.engine import run_to_horizon
from wom.experiment.optimize import FOUND, SEARCH_OFFSET, OptimizeResult
from wom.experiment.replicate import Replicate
from wom.experiment.searchstore import STORE
from wom.store import atomic_folder
from wom.store.folder import MANIFEST, PARTIAL, partial_owner, write_csv, write_manifest
from wom.viz.style import save_figure, segment_colours
from wom.viz.words import mix_words

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BEST = "best.yaml"
TRIALS = "trials.csv"
CONFIRMATION = "confirmation.csv"


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
    """The found plan's budget over segments (seeds and contacts) and over weeks."""
    from matplotlib.figure import Figure

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
    weekly = contacts.copy()
    weekly[0] += seeds
    last = int(np.max(np.nonzero(weekly.sum(axis=1))[0], initial=0)) + 2
    weeks = np.arange(min(last, sc.horizon))
    bottom = np.zeros(weeks.size)
    for k in used:
        right.bar(weeks, weekly[weeks, k], bottom=bottom, color=colours[names[k]],
                  label=names[k], width=0.9)
        bottom += weekly[weeks, k]
    right.set_xlabel("week (seeds at week 0)")
    right.set_ylabel("money")
    right.set_title("by week")
    right.legend(fontsize=8, loc="upper right")
    best = res.best
    assert best is not None
    pins = (f"pins {' > '.join(best.order)} (on at {best.trigger:.0%} of a pin's TAM; "
            "weeks as in replicate 0), " if best.order else "")
    fig.suptitle(f"{sc.name}: the plan found — {pins}seed share {best.seed_share:g}, "
                 f"{best.campaign_weeks} campaign weeks, seeding {best.seeding}")
    return fig


def _num(x: Any) -> str:
    if isinstance(x, float):
        return "–" if math.isnan(x) else f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"
    return str(x)


def verdict_text(res: OptimizeResult) -> str:
    """One sentence: whether the found plan beats the scenario's best, with confidence."""
    if res.best is None:
        return "No trial finished: nothing was found."
    if res.confirmation is None:
        return ("The search was stopped before the confirmation: the plan found is the best "
                "of the trials finished, not yet checked on fresh replicates.")
    d = res.versus()
    n = res.confirmation.new_by_cause.shape[1]
    if d is None:
        return (f"The plan found, on {n} fresh replicates (the scenario has no strategy of "
                "its own to compare).")
    word = "more" if res.higher_is_better else "less"
    if res.beats():
        return (f"The plan found beats {d.b}, the scenario's best, with confidence: "
                f"{_num(abs(d.mean))} {word} {res.objective} (95% CI {_num(d.lo)} to "
                f"{_num(d.hi)}; P(beats) {d.p_a_beats_b:.2f}) on {n} fresh replicates.")
    return (f"The plan found does not beat {d.b}, the scenario's best, with confidence: "
            f"difference {_num(d.mean)} (95% CI {_num(d.lo)} to {_num(d.hi)}; P(beats) "
            f"{d.p_a_beats_b:.2f}) on {n} fresh replicates.")


def describe_plan(res: OptimizeResult) -> str:
    """The found plan in words."""
    if res.best is None:
        return ""
    return f"{mix_words(res.best)}; seeding {res.best.seeding}"


def _report(res: OptimizeResult, folder: Path, pictures: list[str]) -> str:
    from wom.viz.report import STYLE

    conf = res.confirmed()
    rows = [[str(r["strategy"]) + (" (found)" if r["strategy"] == FOUND else ""),
             _num(r["mean"]), f"{_num(r['lo'])} to {_num(r['hi'])}",
             _num(r.get("diff_mean", math.nan)),
             f"{_num(r.get('diff_lo', math.nan))} to {_num(r.get('diff_hi', math.nan))}",
             _num(r.get("p_found_beats", math.nan))] for r in conf.to_dict("records")]
    head = ["strategy", f"{res.objective} mean", "95% CI", f"{FOUND} − it", "95% CI",
            "P(found beats)"]
    table = ("<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head)
             + "</tr></thead><tbody>" + "".join(
                 "<tr>" + "".join(f"<td{' class=t' if j == 0 else ''}>{escape(c)}</td>"
                                  for j, c in enumerate(r)) + "</tr>" for r in rows)
             + "</tbody></table>") if rows else ""
    figs = "".join(
        f'<figure><img src="data:image/png;base64,'
        f'{base64.b64encode((folder / p).read_bytes()).decode("ascii")}" alt="{p}">'
        f"<figcaption><code>{p}</code></figcaption></figure>" for p in pictures)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>wom optimize "
            f"{escape(res.scenario.name)}</title><style>{STYLE}</style></head><body><main>"
            f"<h1>wom optimize: {escape(res.scenario.name)}</h1>"
            f"<p class='sub'>{len(res.trials)} trials, objective {escape(res.objective)}, "
            f"seed {res.scenario.seed}</p>"
            f"<p class='lesson'>{escape(verdict_text(res))}</p>"
            f"<p>The plan found: {escape(describe_plan(res))}. It is the strategy "
            f"<code>{FOUND}</code> of <code>{BEST}</code>.</p>"
            f"<h2>Confirmation on fresh replicates</h2>{table}"
            "<p>The search ran on replicates " f"{SEARCH_OFFSET:,} and up; the confirmation "
            "on replicates 0 … n − 1, the ones <code>wom run best.yaml</code> runs.</p>"
            f"{figs}</main></body></html>")


def write_optimize(res: OptimizeResult, out: Path | str, *, fresh: bool = False,
                   notes: str = "") -> Path:
    """The optimize folder: best.yaml (the scenario with the plan found added), trials.csv,
    confirmation.csv, search.png, plan.png, report.html, manifest.json.

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
