"""The summary in the terminal: one row per strategy, and who wins with its paired interval."""

from __future__ import annotations

import math

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import wom
from wom.config import IGNITION_SHARE
from wom.store import verdict


def _fmt(x: float, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def print_summary(results: wom.Results, console: Console) -> None:
    """The summary as a table, and which strategy wins (paired, with its interval)."""
    sc = results.scenario
    summary = results.summary()
    # Names are the user's text, not rich markup: "[...]" in a name must print as it is.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
                  title=f"{escape(sc.name)}: {sc.replicates} replicates, budget "
                        f"{sc.budget.total:,.0f} each, {sc.horizon} weeks")
    rows = [
        [
            escape(row.strategy),
            _fmt(row.customers_mean),
            f"{_fmt(row.customers_lo)}–{_fmt(row.customers_hi)}",
            _fmt(row.segments_ignited_mean, 2),
            _fmt(row.weeks_to_ignite_mean, 1),
            _fmt(row.cost_per_customer_mean, 1),
            f"{_fmt(100 * row.wom_share_mean)}%" if not math.isnan(row.wom_share_mean) else "–",
        ]
        for row in summary.itertuples()
    ]
    headers = ("strategy", "customers", "95% CI", "ignited", "ignition\nweek",
               "cost per\ncustomer", "word of\nmouth")
    for i, head in enumerate(headers):
        # Fixed widths: rich would otherwise measure a two-line header by its whole text and
        # squeeze the numbers into ellipses on an 80-column terminal.
        width = max([len(line) for line in head.split("\n")] + [len(r[i]) for r in rows])
        table.add_column(head, justify="left" if i == 0 else "right", width=width,
                         no_wrap=True)
    for r in rows:
        table.add_row(*r)
    note = (f"ignited: segments reaching {IGNITION_SHARE:.0%} of their TAM; ignition week: "
            "when the first did (in replicates that ignite one); all means over replicates")
    start = int(results.at_start.sum())
    if start:
        note += (f"\ncustomers: the {start:,} of today and those won; cost per customer and "
                 "word of mouth: over those won in the run")
    if sc.uncertainty is not None or start:  # a forecast: the spread is the answer
        spread = "; ".join(f"{escape(r.strategy)} {_fmt(r.customers_p5)}–{_fmt(r.customers_p95)}"
                           for r in summary.itertuples())
        note += (f"\nforecast range (5th–95th percentile of replicates{', each with its own '
                 'draw of the fitted parameters' if sc.uncertainty is not None else ''}): "
                 f"{spread}")
    console.print(table)
    console.print(note, style="dim")
    won = verdict(summary, results.comparison())
    diff = won.difference
    if won.second is None or diff is None:
        return
    best, second = escape(won.best), escape(won.second)
    if not diff.known:  # one replicate: no interval
        console.print(f"[bold]{best}[/bold] leads: {diff.mean:+,.0f} customers over "
                      f"{second} (a single replicate: no interval; run more replicates).")
        return
    says = "wins" if won.decided else "leads, but the interval includes zero"
    console.print(
        f"[bold]{best}[/bold] {says}: {diff.mean:+,.0f} customers over {second} "
        f"(95% CI {diff.lo:+,.0f} to {diff.hi:+,.0f}); it beat {second} in "
        f"{100 * diff.p_a_beats_b:.0f}% of paired replicates."
    )
