"""``report.html``: one self-contained page per run folder, from what the folder holds.

The page is written from the folder alone (nothing is re-run): the scenario in words, the
lesson in one sentence, the summary and comparison tables, every plot image in the folder
(embedded as ``data:`` URIs, so the page needs no other file and loads nothing from the
network), the command that reproduces the run and the versions it ran with. Every string a
user wrote (names, description, command) is HTML-escaped.
"""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from wom.results import RunFolder, read_run
from wom.scenario import IGNITION_SHARE, Scenario, Strategy

REPORT = "report.html"
#: Image files embedded, by suffix, with their MIME type; the first listed wins when one
#: plot was saved in several formats.
IMAGES = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif",
          ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
#: Plots in the order a reader needs them (then any other image, by name).
PLOT_ORDER = ("adoption", "segments", "causes", "differences", "penetration")
CAPTIONS = {
    "adoption": "Customers over time, per strategy (mean and band over replicates).",
    "segments": "Customers per segment over time.",
    "causes": "Why people bought: seed, marketing or word of mouth.",
    "differences": "Paired differences between strategies, with 95% intervals.",
    "penetration": "Share of each segment's TAM won.",
    "snapshot": "The conversation graph by segment; the customers of one replicate stand out.",
    "spread": "The spread week by week, on one replicate.",
}
#: Segment names listed in words before the rest are counted.
MAX_NAMED = 8

# ------------------------------------------------------------------------- number formats


def _ok(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _fmt(spec: str, empty: str = "—") -> Callable[[Any], str]:
    def f(x: Any) -> str:
        return format(float(x), spec) if _ok(x) else empty

    return f


def _percent(x: Any) -> str:
    return f"{float(x):.1%}" if _ok(x) else "—"


def _points(x: Any) -> str:
    """A difference of shares, in percentage points."""
    return f"{100 * float(x):+.1f} pts" if _ok(x) else "—"


def _count(x: float) -> str:
    """A mean number of people: whole people from 100 on, one decimal below."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}"


def _money(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _num(x: float) -> str:
    return f"{x:g}"


def _share(x: float) -> str:
    return f"{x:.0%}" if round(100 * x, 6).is_integer() else f"{100 * x:.1f}%"


def _ratio(r: float) -> str:
    """``2.3×``; two decimals near 1, none from 10 on."""
    if r >= 10:
        return f"{r:,.0f}×"
    return f"{r:.2f}×" if r < 1.1 else f"{r:.1f}×"


def _names(names: Sequence[str], limit: int = MAX_NAMED) -> str:
    """``a, b and c``; past `limit` names, ``a, b, … and 5 more``."""
    names = list(names)
    if len(names) > limit:
        return f"{', '.join(names[:limit])} and {len(names) - limit} more"
    if len(names) <= 2:
        return " and ".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _varies(values: Sequence[float], show: Callable[[float], str]) -> str:
    """One value, or the range it spans across segments."""
    lo, hi = min(values), max(values)
    return show(lo) if lo == hi else f"{show(lo)} to {show(hi)}, depending on the segment"


# ------------------------------------------------------------------ the scenario in words

_SEEDING = {
    "poster_child": "the poster children (the most central people inside the segment)",
    "hubs": "the hubs (the people with the most ties)",
    "bridges": "the bridges (the people with the most ties to other segments)",
    "random": "people drawn at random",
    "greedy": "people picked by greedy influence maximisation on the model's own simulations",
}


def _strategy_words(spec: Strategy) -> str:
    if spec.kind == "focused":
        what = f"everything on {spec.segment}, with a message tailored to it"
    elif spec.kind == "broad":
        what = "the budget split over all segments by size, with the generic message"
    elif spec.kind == "multi":
        what = (f"the budget split over {_names(spec.segments or [])} by size, each with "
                "its own tailored message")
    else:
        pins = spec.order or [spec.segment or ""]
        then = (f"then {_names(pins[1:])} in turn" if len(pins) > 1 else
                "then the segment with the most ties to the customers won so far")
        what = (f"bowling pins: everything on {pins[0]} until it reaches "
                f"{_share(spec.trigger)} of its TAM, {then}, each with its own tailored "
                "message")
    name = spec.name if spec.name == spec.kind else f"{spec.name} ({spec.kind})"
    return f"{name}: {what}; the seeds go to {_SEEDING[spec.seeding]}."


def _network_words(sc: Scenario) -> str:
    net = sc.network
    leave = f"{_share(net.mixing)} of them leaving the person's segment"
    deg = _num(net.mean_degree)
    if net.model == "planted_partition":
        graph = (f"a planted partition: {deg} ties per person on average, {leave}")
    elif net.model == "lfr":
        graph = (f"an LFR benchmark graph: heavy-tailed numbers of ties (a power law of "
                 f"exponent {_num(net.degree_exponent)}), {deg} on average, {leave}")
    elif net.model == "clustered":
        graph = (f"a clustered graph (friends of friends are friends inside segments; "
                 f"{_share(net.rewire)} of in-segment ties rewired at random): {deg} ties per "
                 f"person on average, {leave}")
    elif net.model == "erdos_renyi":
        graph = f"an Erdős–Rényi graph: {deg} ties per person on average, drawn at random"
    elif net.model == "complete":
        graph = "a complete graph: everyone talks to everyone"
    else:
        f = net.file
        path = Path(f.path).name if f is not None else "a file"
        source = (f"the labels in {Path(f.labels).name}" if f is not None and f.labels else
                  f"the node attribute {f.attribute}" if f is not None and f.attribute else
                  "communities found in the graph (Louvain)")
        graph = f"a real graph read from {path}, with segments from {source}"
    text = f"People talk along a conversation graph, {graph}."
    if len(sc.segments) > 1:
        text += (f" A tie across segments carries {_share(net.weak_tie)} of the weight of a tie "
                 "inside one.")
    if net.talks_with:
        text += (f" Some segments talk more with some others ({_names(list(net.talks_with))} "
                 "have uneven cross-segment talk).")
    return text


def describe_scenario(sc: Scenario) -> list[str]:
    """The scenario in plain sentences, one paragraph per item (plain text, not HTML)."""
    segs = sc.segments
    sizes = [s.size for s in segs]
    S = len(segs)
    if S == 1:
        market = f"The market is one segment, {segs[0].name}, of {sizes[0]:,} people."
    elif min(sizes) == max(sizes):
        market = (f"The market has {S} segments ({_names(sc.segment_names)}) of {sizes[0]:,} "
                  f"people each, {sc.people:,} people in all.")
    else:
        market = (f"The market has {S} segments ({_names(sc.segment_names)}) of "
                  f"{min(sizes):,} to {max(sizes):,} people, {sc.people:,} people in all.")
    market += (f" The share of a segment that could ever buy (its TAM) is "
               f"{_varies([s.tam for s in segs], _share)}.")
    incumbent = [s.incumbent for s in segs]
    if max(incumbent) > 0:
        market += (" A competitor already holds part of each segment, people who never buy and "
                   f"never pass the word on: {_varies(incumbent, _share)}.")
    refs = [s.references for s in segs]
    early = [s.early_market for s in segs]
    if max(refs) == 0:
        market += " Nobody needs references: anyone convinced can buy at once."
    elif min(refs) == max(refs) and min(early) == max(early):
        market += (f" Outside the early market ({_share(early[0])} of each segment), people buy "
                   f"only once {refs[0]} {'person' if refs[0] == 1 else 'people'} of their own "
                   f"segment {'has' if refs[0] == 1 else 'have'} (references).")
    else:
        market += (" Outside the early market, people buy only once enough people of their own "
                   f"segment have (references: {_varies(refs, lambda r: f'{r:g}')}). The early "
                   f"market, who need none, is this share of each segment: "
                   f"{_varies(early, _share)}.")
    dyn = sc.dynamics
    overlap = (f"at {_num(dyn.overlap)}" if not isinstance(dyn.overlap, dict)
               else "as the overlap matrix of the scenario says")
    dynamics = (f"Each week, an advocate converts a neighbour with probability "
                f"{_num(dyn.word_of_mouth)} when the message fully resonates, and keeps "
                f"talking for {dyn.talk_weeks} week{'s' if dyn.talk_weeks != 1 else ''} after "
                f"buying; a person reached by marketing buys with probability "
                f"{_num(dyn.marketing)} at full resonance. A tailored message resonates fully "
                f"in its own segment and {overlap} elsewhere; the generic message resonates at "
                f"{_num(dyn.generic_resonance)} everywhere.")
    b = sc.budget
    own_costs = any(s.cost_per_seed or s.cost_per_contact for s in segs)
    seeds = (f"seeds (people given the product in week 0, {_money(b.cost_per_seed)} each)")
    contacts = (f"marketing contacts ({_money(b.cost_per_contact)} each), spread over the first "
                f"{b.campaign_weeks} week{'s' if b.campaign_weeks != 1 else ''}")
    spent = (f"everything on {contacts}" if b.seed_share == 0 else
             f"everything on {seeds}" if b.seed_share == 1 else
             f"{_share(b.seed_share)} on {seeds} and the rest on {contacts}")
    budget = (f"Every strategy spends the same budget of {_money(b.total)}: {spent}"
              + ("; some segments have costs of their own." if own_costs else "."))
    strategies = "The strategies compared: " + " ".join(_strategy_words(s) for s in sc.strategies)
    run = (f"Each strategy ran {sc.replicates:,} replicate{'s' if sc.replicates != 1 else ''} "
           f"of {sc.horizon} week{'s' if sc.horizon != 1 else ''} from seed {sc.seed}; "
           "replicate i of every strategy sees the same market (common random numbers), so "
           "the differences between strategies are paired. A segment counts as ignited once "
           f"{_share(IGNITION_SHARE)} of its TAM has bought.")
    out = [market, _network_words(sc), dynamics, budget, strategies, run]
    if sc.description:
        out.insert(0, sc.description)
    return out


# ---------------------------------------------------------------------------- the lesson


def _pair(comparison: pd.DataFrame, a: str, b: str) -> tuple[float, float, float] | None:
    """Mean and 95% interval of customers(a) − customers(b), from either row order."""
    c = comparison[comparison["metric"] == "customers"]
    for x, y, sign in ((a, b, 1.0), (b, a, -1.0)):
        row = c[(c["a"] == x) & (c["b"] == y)]
        if len(row):
            r = row.iloc[0]
            lo, hi = sign * float(r["diff_lo"]), sign * float(r["diff_hi"])
            return sign * float(r["diff_mean"]), min(lo, hi), max(lo, hi)
    return None


def lesson(run: RunFolder) -> str:
    """The run's lesson in one sentence, from the summary and comparison tables.

    The winner is the strategy with the most customers on average; it is compared with the
    runner-up by ratio, word-of-mouth share and the paired 95% interval of the difference,
    saying plainly when that interval does not exclude zero.
    """
    summary = run.summary.sort_values("customers_mean", ascending=False, kind="stable")
    money = _money(run.scenario.budget.total)
    n = int(summary["replicates"].iloc[0]) if "replicates" in summary else run.scenario.replicates
    over = f"over {n:,} replicate{'s' if n != 1 else ''}"
    best = summary.iloc[0]
    w, w_mean = str(best["strategy"]), float(best["customers_mean"])
    share = float(best["wom_share_mean"])
    wom = f"; {share:.0%} came by word of mouth" if _ok(share) and w_mean > 0 else ""
    if w_mean <= 0:
        return f"No strategy won any customer at a budget of {money} ({over})."
    if len(summary) == 1:
        return f"{w} won {_count(w_mean)} customers at a budget of {money} ({over}){wom}."
    second = summary.iloc[1]
    r, r_mean = str(second["strategy"]), float(second["customers_mean"])
    if r_mean <= 0:
        head = (f"{w} won {_count(w_mean)} customers and {r} none at the same budget of "
                f"{money} ({over}){wom}")
    elif w_mean == r_mean:
        head = (f"{w} and {r} won the same number of customers at the same budget of "
                f"{money} ({_count(w_mean)} on average {over})")
        wom = ""
    else:
        head = (f"{w} won {_ratio(w_mean / r_mean)} the customers of {r} at the same budget "
                f"of {money} ({_count(w_mean)} against {_count(r_mean)} on average {over})"
                f"{wom}")
    diff = _pair(run.comparison, w, r)
    if diff is None or not (_ok(diff[1]) and _ok(diff[2])):
        return (f"{head}; with {'one replicate' if n == 1 else 'these replicates'} there is "
                "no interval for the difference, so this is not yet evidence.")
    _, lo, hi = diff
    interval = f"{lo:+,.1f} to {hi:+,.1f} customers"
    if lo > 0:
        return f"{head}; the paired 95% interval of the difference, {interval}, excludes zero."
    return (f"{head}; but the paired 95% interval of the difference, {interval}, includes "
            "zero, so this run cannot tell them apart (run more replicates).")


# ---------------------------------------------------------------------------------- tables

Column = tuple[str, Callable[[Any], str]]

SUMMARY_COLUMNS: dict[str, Column] = {
    "strategy": ("strategy", str),
    "customers_mean": ("customers (mean)", _fmt(",.1f")),
    "customers_lo": ("95% interval: low", _fmt(",.1f")),
    "customers_hi": ("95% interval: high", _fmt(",.1f")),
    "segments_ignited_mean": ("segments ignited (mean)", _fmt(".2f")),
    "weeks_to_ignite_mean": ("weeks to ignite (mean)", _fmt(".1f", "never")),
    "cost_per_customer_mean": ("cost per customer (mean)", _fmt(",.2f")),
    "wom_share_mean": ("word-of-mouth share (mean)", _percent),
    "replicates": ("replicates", _fmt(",.0f")),
    "customers_sd": ("customers: standard deviation", _fmt(",.1f")),
    "customers_p5": ("customers: 5th percentile", _fmt(",.1f")),
    "customers_p95": ("customers: 95th percentile", _fmt(",.1f")),
    "ignited_share": ("replicates igniting a segment", _percent),
    "spend_mean": ("spend (mean)", _fmt(",.2f")),
}
METRICS = {"customers": "customers", "segments_ignited": "segments ignited",
           "cost_per_customer": "cost per customer", "wom_share": "word-of-mouth share"}
_DIFF: dict[str, Callable[[Any], str]] = {
    "customers": _fmt("+,.1f"), "segments_ignited": _fmt("+.2f"),
    "cost_per_customer": _fmt("+,.2f"), "wom_share": _points,
}


def _cell(x: Any) -> str:
    if isinstance(x, float):
        return _fmt(",.4g")(x)
    return str(x)


def _html_table(rows: list[list[str]], header: list[str], *, text: int = 1,
                marked: Sequence[bool] = ()) -> str:
    """A table whose first `text` columns are words (left-aligned), the rest numbers."""
    def cls(j: int) -> str:
        return ' class="t"' if j < text else ""

    head = "".join(f"<th{cls(j)}>{escape(h)}</th>" for j, h in enumerate(header))
    body = []
    for i, row in enumerate(rows):
        mark = ' class="clear"' if i < len(marked) and marked[i] else ""
        cells = "".join(f"<td{cls(j)}>{escape(c)}</td>" for j, c in enumerate(row))
        body.append(f"<tr{mark}>{cells}</tr>")
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def summary_table(summary: pd.DataFrame) -> str:
    """The summary table as HTML (numbers formatted, columns named in words)."""
    cols = list(summary.columns)
    header = [SUMMARY_COLUMNS[c][0] if c in SUMMARY_COLUMNS else c for c in cols]
    rows = [[SUMMARY_COLUMNS[c][1](r[c]) if c in SUMMARY_COLUMNS else _cell(r[c]) for c in cols]
            for r in summary.to_dict("records")]
    return _html_table(rows, header)


def comparison_table(comparison: pd.DataFrame) -> str:
    """The comparison table as HTML; rows whose 95% interval excludes zero are marked."""
    header = ["a", "b", "metric", "a − b (mean)", "95% interval: low", "95% interval: high",
              "P(a beats b)"]
    rows, marked = [], []
    for r in comparison.to_dict("records"):
        f = _DIFF.get(str(r["metric"]), _fmt("+,.4g"))
        metric = str(r["metric"])
        rows.append([str(r["a"]), str(r["b"]), METRICS.get(metric, metric.replace("_", " ")),
                     f(r["diff_mean"]), f(r["diff_lo"]), f(r["diff_hi"]),
                     _percent(r["p_a_beats_b"])])
        lo, hi = r["diff_lo"], r["diff_hi"]
        marked.append(_ok(lo) and _ok(hi) and (lo > 0 or hi < 0))
    return _html_table(rows, header, text=3, marked=marked)


# ---------------------------------------------------------------------------------- images


def plot_files(run_dir: Path) -> list[tuple[Path, list[Path]]]:
    """The images to show: one file per plot (png preferred), with its other formats."""
    by_stem: dict[str, list[Path]] = {}
    rank = list(IMAGES)
    for p in sorted(run_dir.iterdir()):
        if p.is_file() and p.suffix.lower() in IMAGES:
            by_stem.setdefault(p.stem, []).append(p)
    out = []
    for stem, files in by_stem.items():
        files.sort(key=lambda p: rank.index(p.suffix.lower()))
        others = sorted(q for q in run_dir.glob(f"{stem}.*")
                        if q.is_file() and q not in files[:1] and q.suffix.lower() != ".html")
        out.append((files[0], others))
    known = {name: i for i, name in enumerate(PLOT_ORDER)}
    out.sort(key=lambda item: (known.get(item[0].stem, len(known)), item[0].stem))
    return out


def _figure_html(path: Path, others: list[Path]) -> str:
    mime = IMAGES[path.suffix.lower()]
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = CAPTIONS.get(path.stem, path.stem.replace("_", " ").replace("-", " "))
    also = (f" Also in this folder as {escape(', '.join(q.name for q in others))}."
            if others else "")
    return (f'<figure><img src="data:{mime};base64,{data}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)} <code>{escape(path.name)}</code>.{also}"
            "</figcaption></figure>")


# ---------------------------------------------------------------------------------- page

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 color:#1a1a1a;background:#fff;margin:0;line-height:1.5}
main{max-width:68rem;margin:0 auto;padding:1.5rem}
h1{margin-bottom:.2rem} .sub{color:#555;margin-top:0}
.lesson{font-size:1.25rem;border-left:.35rem solid #0072B2;background:#f2f7fb;
 padding:.8rem 1rem;margin:1.2rem 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:right;white-space:nowrap}
th{background:#f4f4f4;vertical-align:bottom;white-space:normal;min-width:5.5rem}
.t{text-align:left}
tr.clear td{font-weight:600}
figure{margin:1.5rem 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.9rem}
pre{background:#f4f4f4;padding:.6rem .8rem;overflow-x:auto}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem} dt{color:#555}
dd{margin:0}
"""


def _command(run: RunFolder, command: str | None) -> str:
    m = run.manifest
    given = command or m.get("command")
    sc = run.scenario
    again = f"wom run scenario.yaml --seed {sc.seed} --replicates {sc.replicates}"
    parts = []
    if given:
        parts.append(f"<p>This run was made with:</p><pre>{escape(str(given))}</pre>")
    parts.append(
        f"<p>Seed {sc.seed}, {sc.replicates:,} replicates. <code>scenario.yaml</code> in this "
        "folder is the scenario as run, every default filled in; from this folder,</p>"
        f"<pre>{escape(again)}</pre><p>reproduces these tables (the same seed gives the same "
        "numbers, whatever the number of workers).</p>")
    return "".join(parts)


def _versions(manifest: dict[str, Any]) -> str:
    items: list[tuple[str, str]] = []
    for key, label in (("wom", "wom"), ("python", "Python")):
        if key in manifest:
            items.append((label, str(manifest[key])))
    packages = manifest.get("packages")
    if isinstance(packages, dict):
        items += [(str(k), str(v)) for k, v in packages.items()]
    for key, label in (("platform", "platform"), ("started", "started"),
                       ("wall_time_s", "wall time (s)"), ("workers", "workers"),
                       ("seed_entropy", "seed entropy")):
        if key in manifest:
            items.append((label, str(manifest[key])))
    graph = manifest.get("graph")
    if isinstance(graph, dict):
        for k, v in graph.items():
            shown = f"{v:,.4g}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) \
                else str(v)
            items.append((f"graph: {str(k).replace('_', ' ')}", shown))
    if not items:
        return "<p>The manifest records no versions.</p>"
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    return f"<dl>{rows}</dl>"


def render_report(run: RunFolder, *, command: str | None = None) -> str:
    """The report page of a run folder, as one HTML string."""
    sc = run.scenario
    words = "".join(f"<p>{escape(p)}</p>" for p in describe_scenario(sc))
    plots = plot_files(run.path)
    figures = ("".join(_figure_html(p, others) for p, others in plots) if plots else
               "<p>No plot images in this folder.</p>")
    comparison = (comparison_table(run.comparison) if len(run.comparison) else
                  "<p>One strategy: nothing to compare.</p>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(sc.name)} — wom report</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>{escape(sc.name)}</h1>
<p class="sub">wom report — {escape(_names([s.name for s in sc.strategies], 12))} at a budget of
{escape(_money(sc.budget.total))}</p>
<p class="lesson">{escape(lesson(run))}</p>
<h2>The scenario</h2>
{words}
<h2>Summary</h2>
<p>One row per strategy: means over replicates; the interval is the 95% confidence interval of
the mean number of customers.</p>
{summary_table(run.summary)}
<h2>Comparison</h2>
<p>Paired differences (the same replicate is the same market for every strategy), a − b, with
95% intervals; rows in bold have an interval that excludes zero.</p>
{comparison}
<h2>Plots</h2>
{figures}
<h2>Reproduce</h2>
{_command(run, command)}
<h2>Versions</h2>
{_versions(run.manifest)}
</main>
</body>
</html>
"""


def write_report(run_dir: Path, *, command: str | None = None) -> Path:
    """Write ``run_dir/report.html`` from the folder's tables and images; return its path.

    Parameters
    ----------
    run_dir
        A run folder (see :func:`wom.results.read_run`).
    command
        The command that made the run; default: the manifest's ``command``.
    """
    run_dir = Path(run_dir)
    page = render_report(read_run(run_dir), command=command)
    out = run_dir / REPORT
    tmp = run_dir / f".{REPORT}.partial-{os.getpid()}"
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
