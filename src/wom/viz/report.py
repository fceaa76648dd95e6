"""``report.html``: one self-contained page per run folder, from what the folder holds.

The page is written from the folder alone (nothing is re-run): the run's lesson in one
sentence, what the scenario teaches (the LESSON / WHAT TO SEE comments its file opens with,
kept atop the folder's ``scenario.yaml``), the scenario in words, the summary and comparison
tables, every plot image in the folder (embedded as ``data:`` URIs, so the page needs no
other file and loads nothing from the network), the command that reproduces the run and the
versions it ran with. Every string a
user wrote (names, description, command) is HTML-escaped.
"""

from __future__ import annotations

import base64
import os
import shlex
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from wom.config import METRICS
from wom.store import REPORT, RunFolder, final_name, read_run, replace_whole
from wom.viz.attributes import attribute_section
from wom.viz.htmltable import html_table, made_with
from wom.viz.money import money_lesson
from wom.viz.numbers import (
    as_money,
    as_percent,
    as_points,
    counted,
    formatter,
    is_number,
    listed,
)
from wom.viz.words import describe_scenario, lesson, notes_paragraphs

#: Image files embedded, by suffix, with their MIME type; the first listed wins when one
#: plot was saved in several formats.
IMAGES = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif",
          ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
#: Plots in the order a reader needs them (then any other image, by name).
PLOT_ORDER = ("adoption", "accounts", "money", "segments", "causes", "differences",
              "account-differences", "penetration")
CAPTIONS = {
    # (the band its legend names: a folder drawn before wom 0.1's 90% bands held 95%)
    "adoption": "Customers over time, per strategy: the mean, and the band of replicates its "
                "legend names.",
    "segments": "Customers per segment over time.",
    "causes": "Why people bought: seed, marketing, background or word of mouth.",
    "differences": "Paired differences between strategies, with 95% intervals.",
    "penetration": "Share of each segment's TAM won.",
    "profit-differences": "Paired differences in profit to the horizon, with 95% intervals.",
    "money": "Revenue per week and cumulative profit (gross profit − spend), per strategy "
             "(mean and band over replicates); a dot marks the mean payback week.",
    "accounts": "Accounts won, and people waiting (convinced in accounts whose buyer or payer "
                "is not), per strategy (mean and band over replicates).",
    "account-differences": "Paired differences in accounts won, with 95% intervals.",
    "snapshot": "The conversation graph by segment; the customers of one replicate stand out.",
    "spread": "The spread week by week, on one replicate.",
}
#: Segment names listed in words before the rest are counted.
MAX_NAMED = 8

# ---------------------------------------------------------------------------------- tables

Column = tuple[str, Callable[[Any], str]]

SUMMARY_LABELS: dict[str, Column] = {
    "strategy": ("strategy", str),
    "customers_mean": ("customers (mean)", formatter(",.1f")),
    "customers_lo": ("95% interval: low", formatter(",.1f")),
    "customers_hi": ("95% interval: high", formatter(",.1f")),
    "segments_ignited_mean": ("segments ignited (mean)", formatter(".2f")),
    "weeks_to_ignite_mean": ("weeks to ignite (mean)", formatter(".1f", "never")),
    "cost_per_customer_mean": ("cost per customer, seeds counted (mean)", formatter(",.2f")),
    "wom_share_mean": ("word-of-mouth share (mean)", as_percent),
    "replicates": ("replicates", formatter(",.0f")),
    "customers_sd": ("customers: standard deviation", formatter(",.1f")),
    "customers_p5": ("customers: 5th percentile", formatter(",.1f")),
    "customers_p95": ("customers: 95th percentile", formatter(",.1f")),
    "ignited_share": ("replicates igniting a segment", as_percent),
    "spend_mean": ("spend (mean)", formatter(",.2f")),
    "customers_at_start": ("customers at the start", formatter(",.0f")),
    "seeds_mean": ("seeds (mean)", formatter(",.1f")),
    "segments_ignited_won_mean": ("segments ignited by customers won (mean)",
                                  formatter(".2f")),
    "paying_customers_mean": ("paying customers (mean)", formatter(",.1f")),
    "paying_customers_lo": ("95% interval: low", formatter(",.1f")),
    "paying_customers_hi": ("95% interval: high", formatter(",.1f")),
    "acquisition_cost_mean": ("acquisition cost (CAC), seeds not counted (mean)",
                              formatter(",.2f")),
    "acquisition_cost_lo": ("95% interval: low", formatter(",.2f")),
    "acquisition_cost_hi": ("95% interval: high", formatter(",.2f")),
    "paid_back_share": ("replicates paid back", as_percent),
    "churned_mean": ("customers who left (mean)", formatter(",.1f")),
    **{f"{m}_{x}": (f"{METRICS[m].label} ({'mean' if x == 'mean' else '95% interval: ' + x})",
                    as_percent if m == "roi" else formatter(".1f" if m == "payback_step"
                                                            else ",.0f", "—"))
       for m in ("revenue", "gross_profit", "profit", "npv", "roi", "payback_step")
       for x in ("mean", "lo", "hi")},
    **{f"{m}_{x}": (f"{METRICS[m].label} ({'mean' if x == 'mean' else '95% interval: ' + x})",
                    formatter(",.1f"))
       for m in ("accounts_won", "waiting") for x in ("mean", "lo", "hi")},
}
#: The summary as three tables that each fit the page: the customers (with their spread over
#: replicates, p5 and p95), then ignition, money and word of mouth (any other column goes
#: there), then the customers won apart from the seeds.
SUMMARY_TABLES = (
    ("strategy", "customers_mean", "customers_lo", "customers_hi", "customers_p5",
     "customers_p95", "customers_sd"),
    ("strategy", "segments_ignited_mean", "ignited_share", "weeks_to_ignite_mean",
     "cost_per_customer_mean", "spend_mean", "wom_share_mean", "replicates",
     "customers_at_start"),
    ("strategy", "seeds_mean", "segments_ignited_won_mean", "paying_customers_mean",
     "paying_customers_lo", "paying_customers_hi", "acquisition_cost_mean",
     "acquisition_cost_lo", "acquisition_cost_hi"),
)
#: Money (only when the scenario has prices: :attr:`wom.config.Scenario.priced`).
MONEY_TABLES = (
    ("strategy", *(f"{m}_{x}" for m in ("revenue", "gross_profit", "profit")
                   for x in ("mean", "lo", "hi"))),
    ("strategy", *(f"{m}_{x}" for m in ("roi", "payback_step") for x in ("mean", "lo", "hi")),
     "paid_back_share", "npv_mean"),
)
MONEY_COLUMNS = {c for t in MONEY_TABLES for c in t} - {"strategy"}
#: Accounts (only in a market of accounts: the summary has these columns then).
ACCOUNT_TABLE = ("strategy", *(f"{m}_{x}" for m in ("accounts_won", "waiting")
                               for x in ("mean", "lo", "hi")))
#: How a paired difference is written, by what the metric counts (config.metrics).
DIFFERENCE_FORMATS: dict[str, Callable[[Any], str]] = {
    "people": formatter("+,.1f"), "segments": formatter("+.2f"), "money": formatter("+,.0f"),
    "share": as_points, "weeks": formatter("+.1f"), "ratio": as_points,
    "accounts": formatter("+,.1f"),
}


def _cell(x: Any) -> str:
    if isinstance(x, float):
        return formatter(",.4g")(x)
    return str(x)


def summary_table(summary: pd.DataFrame, *, priced: bool = False) -> str:
    """The summary as HTML tables that fit the page (:data:`SUMMARY_TABLES`: customers and
    their spread first, then the rest, then customers won; then money if `priced`), numbers
    formatted, columns named in words."""
    first, second, won = SUMMARY_TABLES
    rest = [c for c in summary.columns if c not in first and c not in second and c not in won
            and c not in MONEY_COLUMNS and not c.startswith("npv_") and c not in ACCOUNT_TABLE]
    html = []
    for group in (first, [*second, *rest], won, ACCOUNT_TABLE,
                  *(MONEY_TABLES if priced else ())):
        cols = [c for c in group if c in summary.columns]
        if len(cols) <= 1 and "strategy" in cols:
            continue
        header = [SUMMARY_LABELS[c][0] if c in SUMMARY_LABELS else c for c in cols]
        rows = [[SUMMARY_LABELS[c][1](r[c]) if c in SUMMARY_LABELS else _cell(r[c])
                 for c in cols] for r in summary.to_dict("records")]
        html.append(html_table(rows, header))
    return "".join(html)


def notes_html(notes: str) -> str:
    """The scenario file's opening comments (LESSON / WHAT TO SEE) as a section, or ``""``."""
    paragraphs = notes_paragraphs(notes)
    if not paragraphs:
        return ""
    body = "".join(f"<p><strong>{escape(label)}</strong> — {escape(text)}</p>" if label
                   else f"<p>{escape(text)}</p>" for label, text in paragraphs)
    return (f'<h2>What the scenario teaches</h2><div class="notes">{body}</div>'
            "<p class=\"sub\">From the comments the scenario file opens with.</p>")


def comparison_table(comparison: pd.DataFrame, *, priced: bool = False) -> str:
    """The comparison table as HTML; rows whose 95% interval excludes zero are marked. The
    money rows are left out unless the scenario is `priced`."""
    header = ["a", "b", "metric", "a − b (mean)", "95% interval: low", "95% interval: high",
              "P(a beats b)"]
    rows, marked = [], []
    for r in comparison.to_dict("records"):
        metric = str(r["metric"])
        if not priced and metric in METRICS and METRICS[metric].priced:
            continue
        f = (DIFFERENCE_FORMATS[METRICS[metric].kind] if metric in METRICS
             else formatter("+,.4g"))
        label = METRICS[metric].label if metric in METRICS else metric.replace("_", " ")
        rows.append([str(r["a"]), str(r["b"]), label,
                     f(r["diff_mean"]), f(r["diff_lo"]), f(r["diff_hi"]),
                     as_percent(r["p_a_beats_b"])])
        lo, hi = r["diff_lo"], r["diff_hi"]
        marked.append(is_number(lo) and is_number(hi) and (lo > 0 or hi < 0))
    return html_table(rows, header, text=3, marked=marked)


# ---------------------------------------------------------------------------------- images


def plot_files(run_dir: Path) -> list[tuple[Path, list[Path]]]:
    """The images to show: one file per plot (png preferred), with its other formats."""
    by_stem: dict[str, list[Path]] = {}
    rank = list(IMAGES)
    for p in sorted(run_dir.iterdir()):
        # (a hidden file is no plot: another command's figure being written, or one a
        # killed command left)
        if p.is_file() and p.suffix.lower() in IMAGES and not p.name.startswith("."):
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
    if path.stem.startswith("attribute-"):
        caption = f"Customers with each value of {path.stem[10:]} over time, wherever they talk."
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
.notes{border-left:.35rem solid #009E73;padding:.1rem 1rem;margin:1rem 0}
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

#: The page's style, shared with the other pages wom writes (wom optimize's report).
STYLE = _STYLE


def _command(run: RunFolder, command: str | None) -> str:
    m = run.manifest
    given = command or m.get("command")
    sc = run.scenario
    again = f"wom run scenario.yaml --seed {sc.seed} --replicates {sc.replicates}"
    customers = m.get("customers")
    start = ""
    if isinstance(customers, dict) and customers.get("file"):
        today = customers.get("today")
        where = customers.get("path")  # (folders written before it: the name as given)
        named = (os.path.relpath(str(where), Path(run.path).resolve()) if where
                 else str(customers["file"]))
        again += f" --customers {shlex.quote(named)}" + (
            f" --today {today}" if today is not None else "")
        count = sum(dict(customers.get("per_segment") or {}).values())
        digest = str(customers.get("sha256", ""))[:12]
        start = (f" Every strategy started from today's {count:,} customers in "
                 f"<code>{escape(str(customers['file']))}</code> (sha256 {escape(digest)}…)"
                 + ("." if where or Path(str(customers["file"])).is_absolute() else
                    ", named as it was given: relative to the folder the run was made in."))
    # (a sibling of this folder: by default it would land in results/ inside this one)
    again += f" --out {shlex.quote('../' + final_name(run.path) + '-again')}"
    parts = []
    if given:
        parts.append(made_with("run", {**m, "command": given}))
    parts.append(
        f"<p>Seed {sc.seed}, {counted(sc.replicates, 'replicate')}. <code>scenario.yaml</code> "
        "in this folder is the scenario as run, every default filled in; from this folder,</p>"
        f"<pre>{escape(again)}</pre><p>reproduces these tables (the same seed gives the same "
        f"numbers, whatever the number of workers).{start}</p>")
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
                       ("wall_time_s", "simulation, wall time (s)"), ("workers", "workers"),
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
    priced = sc.priced
    comparison = (comparison_table(run.comparison(), priced=priced) if len(run.comparison()) else
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
<p class="sub">wom report — {escape(listed([s.name for s in sc.strategies], 12))} at a budget of
{escape(as_money(sc.budget.total))}</p>
<p class="lesson">{escape(lesson(run))}</p>
{f'<p class="lesson">{escape(money_lesson(run))}</p>' if priced else ""}
{notes_html(run.notes)}
<h2>The scenario</h2>
{words}
<h2>Summary</h2>
<p>One row per strategy: means over replicates; the interval is the 95% confidence interval of
the mean number of customers, the 5th and 95th percentiles span 90% of the replicates.</p>
{summary_table(run.summary(), priced=priced)}
<h2>Comparison</h2>
<p>Paired differences (the same replicate is the same market for every strategy), a − b, with
95% intervals; rows in bold have an interval that excludes zero.</p>
{comparison}
{attribute_section(run)}
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
        A run folder (see :func:`wom.store.read_run`).
    command
        The command that made the run; default: the manifest's ``command``.
    """
    run_dir = Path(run_dir)
    page = render_report(read_run(run_dir, timeseries=False), command=command)
    # (a file name's byte that is not UTF-8, in a path or the command, shown as "?")
    return replace_whole(run_dir / REPORT, lambda tmp: tmp.write_text(page, encoding="utf-8",
                                                                    errors="replace"))

