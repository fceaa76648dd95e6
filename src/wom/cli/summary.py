"""The summary in the terminal: one row per strategy, and who wins with its paired interval."""

from __future__ import annotations

import math

import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import wom
from wom.cli.stops import WHOLE_WIDTH, as_shown
from wom.config import IGNITION_SHARE, METRICS
from wom.store import verdict
from wom.store.money import Economics
from wom.viz.numbers import as_cell as _fmt
from wom.viz.numbers import as_money_cell as _money
from wom.viz.numbers import counted
from wom.viz.words import ONE_MARKET


def fitted_table(title: str | None, headers: tuple[str, ...], rows: list[list[str]],
           room: int = 80) -> Table:
    """A table of `rows` whose numbers are never cut: every column as wide as its widest
    cell, except the strategy names, which wrap when that makes the table fit in `room`
    (the terminal's columns); a table that cannot fit is printed whole, wider."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True,
                  title=title)
    rows = as_shown(rows)
    # Fixed widths: rich would otherwise measure a two-line header by its whole text and
    # squeeze the numbers into ellipses on an 80-column terminal.
    widths = [max([len(line) for line in head.split("\n")] + [len(r[i]) for r in rows])
              for i, head in enumerate(headers)]
    over = sum(widths) + 2 * (len(widths) - 1) - room
    if 0 < over <= widths[0] - 8:  # long strategy names wrap, and the table fits
        widths[0] -= over
    for i, head in enumerate(headers):
        table.add_column(head, justify="left" if i == 0 else "right", width=widths[i],
                         no_wrap=i > 0, overflow="fold")
    for r in rows:
        table.add_row(*r)
    # Still wider than the terminal: printed whole all the same (the terminal wraps its
    # lines), never with its numbers cut (Terminal.print)
    setattr(table, WHOLE_WIDTH, sum(widths) + 2 * (len(widths) - 1))
    return table


def _money_table(results: wom.Results, console: Console) -> None:
    """Paying customers and money, with 95% intervals (scenarios with prices or churn)."""
    sc = results.scenario
    summary = results.summary()

    def ci(row, m: str, digits: int = 0, scale: float = 1.0) -> str:
        lo, hi = getattr(row, f"{m}_lo") * scale, getattr(row, f"{m}_hi") * scale
        return f"{_fmt(lo, digits)}–{_fmt(hi, digits)}"

    people = [[escape(r.strategy), _fmt(r.paying_customers_mean), ci(r, "paying_customers"),
               _fmt(r.churned_mean)] for r in summary.itertuples()]
    console.print(fitted_table(None, ("strategy", "paying\ncustomers", "95% CI\nof mean",
                                      "left"), people, console.width))
    if sc.priced:
        money = [[escape(r.strategy), _money(r.spend_mean), _money(r.revenue_mean),
                  _money(r.profit_mean),
                  f"{_money(r.profit_lo)}–{_money(r.profit_hi)}",
                  f"{_fmt(100 * r.roi_mean)}%" if not math.isnan(r.roi_mean) else "–",
                  (f"{_fmt(r.payback_step_mean, 1)} ({100 * r.paid_back_share:.0f}%)"
                   if r.paid_back_share > 0 else "never")] for r in summary.itertuples()]
        console.print(fitted_table(None, ("strategy", "spend", "revenue", "profit",
                                          "95% CI\nof mean", "ROI", "payback\nweek"), money,
                                   console.width))
    seeds = ("the seeds included (here they pay)" if sc.budget.seeds_pay else
             "without the seeds (given the product)")
    note = (f"paying customers: at the horizon, {seeds}, without those who left; left: "
            "customers who left by the horizon (seeds included)")
    if sc.priced:
        ltv = Economics.of(sc).lifetime_value()
        def ltv_words(v: float) -> str:
            if math.isinf(v):  # no churn and no discounting: it never ends
                return "unbounded" if v > 0 else "an unbounded loss"
            return _fmt(v)

        per_account = [s.price_per == "account" and sc.has_accounts for s in sc.segments]
        values = ", ".join(f"{escape(n)} {ltv_words(v)}{' an account' if a else ''}"
                           for n, v, a in zip(sc.segment_names[:8], ltv, per_account,
                                              strict=False))
        start = int(results.at_start.sum())
        if start:
            note += (f"\nrevenue, profit, ROI and payback count the {start:,} customers of "
                     "today too: compare plans by their paired difference")
        note += (f"\nspend: what the plan could buy of its budget; revenue and profit (gross "
                 f"profit − spend) over weeks 0–{sc.horizon - 1}; ROI: profit / spend; "
                 "payback week: mean over the replicates that paid back (their share); "
                 f"lifetime value of a customer: {values}{', …' if len(ltv) > 8 else ''}")
    console.print(note, style="dim")


def _accounts_table(results: wom.Results, console: Console) -> None:
    """Accounts won, seats and people waiting, with 95% intervals (a market of accounts)."""
    summary = results.summary()
    rows = [[escape(r.strategy), _fmt(r.accounts_won_mean),
             f"{_fmt(r.accounts_won_lo)}–{_fmt(r.accounts_won_hi)}", _fmt(r.customers_mean),
             _fmt(r.waiting_mean), f"{_fmt(r.waiting_lo)}–{_fmt(r.waiting_hi)}"]
            for r in summary.itertuples()]
    console.print(fitted_table(None, ("strategy", "accounts\nwon", "95% CI\nof mean", "seats",
                                      "waiting", "95% CI\nof mean"), rows, console.width))
    graph = results.graph
    of = (f" of {graph['accounts']:,} accounts, {graph['accounts_in_tam']:,} in the TAM "
          "(replicate 0)" if "accounts" in graph else "")
    console.print(f"accounts won: accounts that bought{of}, every member a customer (the "
                  "seats); waiting: people convinced at the horizon in accounts that have not "
                  "bought (their buyer or payer is not); seeds (above): seeds whose account "
                  "bought, and the other seats of accounts a seed's conviction closed",
                  style="dim")


#: Values of an attribute listed in the terminal (those with the most customers; the rest
#: are in attributes.csv and the report).
MAX_VALUES = 8


def _attributes_table(results: wom.Results, console: Console) -> None:
    """Customers at the horizon by attribute value, a table per attribute: a row per value,
    each strategy's mean and 95% interval (scenarios with attributes)."""
    summary = results.attribute_summary()
    strategies = results.strategies
    for name, d in summary.groupby("attribute", sort=False):
        wide = d.pivot(index="value", columns="strategy")
        values = list(dict.fromkeys(d["value"]))
        top = wide["customers_mean"].sum(axis=1).sort_values(ascending=False, kind="stable")
        shown = [v for v in values if v in set(top.index[:MAX_VALUES])]
        people = wide["people"].iloc[:, 0] if "people" in wide else None

        def held(v: str, people: pd.Series | None = people) -> str:
            return "–" if people is None or math.isnan(people[v]) else _fmt(people[v])

        def cells(v: str, st: str, wide: pd.DataFrame = wide) -> list[str]:
            return [_fmt(wide.loc[v, ("customers_mean", st)]),
                    f"{_fmt(wide.loc[v, ('customers_lo', st)])}–"
                    f"{_fmt(wide.loc[v, ('customers_hi', st)])}"]

        if len(strategies) > 3:  # a column pair per strategy would not fit: a row each
            rows = [[escape(str(v)), held(v) if k == 0 else "", escape(st), *cells(v, st)]
                    for v in shown for k, st in enumerate(strategies)]
            headers: tuple[str, ...] = (escape(str(name)), "people", "strategy", "customers",
                                        "95% CI\nof mean")
        else:
            rows = [[escape(str(v)), held(v), *(c for st in strategies for c in cells(v, st))]
                    for v in shown]
            headers = (escape(str(name)), "people",
                       *(h for st in strategies for h in (escape(st), "95% CI\nof mean")))
        console.print(fitted_table(None, headers, rows, console.width))
        more = (f"; {len(values) - len(shown)} more values in attributes.csv"
                if len(shown) < len(values) else "")
        console.print(f"{escape(str(name))}: people who hold each value (replicate 0), and "
                      "each strategy's customers among them at the horizon, wherever they "
                      f"talk (seeds and those who left included){more}", style="dim")


def ignition_week(mean: float, share: float) -> str:
    """The mean ignition week, and the share of replicates it is over when not all of them
    (a mean over one replicate in a hundred is not said like one over all; new-user trial)."""
    if math.isnan(mean) or share >= 1:
        return _fmt(mean, 1)
    return f"{_fmt(mean, 1)} ({100 * share:.{0 if share >= 0.01 else 1}f}%)"


def print_summary(results: wom.Results, console: Console, by: str = "customers") -> None:
    """The summary as a table (and money, when the scenario has prices or churn), and which
    strategy wins on `by` (paired, with its interval)."""
    sc = results.scenario
    summary = results.summary()
    # Names are the user's text, not rich markup: "[...]" in a name must print as it is.
    rows = [
        [
            escape(row.strategy),
            _fmt(row.customers_mean),
            f"{_fmt(row.customers_lo)}–{_fmt(row.customers_hi)}",
            _fmt(row.seeds_mean),
            _fmt(row.segments_ignited_mean, 2),
            ignition_week(row.weeks_to_ignite_mean, row.ignited_share),
            _fmt(row.acquisition_cost_mean, 1),
            f"{_fmt(100 * row.wom_share_mean)}%" if not math.isnan(row.wom_share_mean) else "–",
        ]
        for row in summary.itertuples()
    ]
    headers = ("strategy", "customers", "95% CI\nof mean", "seeds", "ignited",
               "ignition\nweek", "CAC", "word of\nmouth")
    table = fitted_table(f"{escape(sc.name)}: {counted(sc.replicates, 'replicate')}, budget "
                   f"{sc.budget.total:,.0f} each, {sc.horizon} weeks", headers, rows,
                   console.width)
    unseeded = "; ".join(f"{escape(r.strategy)} {_fmt(r.segments_ignited_won_mean, 2)}"
                         for r in summary.itertuples())
    start = int(results.at_start.sum())
    today = f"the {start:,} of today, " if start else ""
    left = ", those who left since included" if any(sc.churn) else ""
    note = (f"customers: {today}the seeds (given the product) and those won{left}; "
            "CAC: acquisition cost, spend / customers won by marketing, background and word of "
            "mouth; word of mouth: its share of the run's customers\n"
            f"ignited: segments whose customers, seeds included, reach {IGNITION_SHARE:.0%} "
            f"of their TAM (without the seeds: {unseeded}); ignition week: when the first did (in "
            "replicates that ignite one, their share when not all); all means over "
            "replicates")
    # The interval is of the mean; what one market may do is the spread of the replicates
    # (a forecast's answer: from today's customers or with a fit's draws).
    spread = "; ".join(f"{escape(r.strategy)} {_fmt(r.customers_p5)}–{_fmt(r.customers_p95)}"
                       for r in summary.itertuples())
    label = ("forecast range" if sc.uncertainty is not None or start else
             "spread of customers")
    drawn = (", each with its own draw of the fitted parameters"
             if sc.uncertainty is not None else "")
    note += (f"\n{label} (5th–95th percentile of replicates{drawn}): {spread}"
             if sc.replicates > 1 else f"\n{label}: none, a single replicate")
    if sc.network.resample == "once":
        note += "\n" + ONE_MARKET
    console.print(table)
    console.print(note, style="dim")
    short = [r for r in summary.itertuples() if r.spend_mean < 0.99 * sc.budget.total]
    if short and sc.budget.total > 0:
        said = "; ".join(f"{escape(r.strategy)} {_fmt(r.spend_mean)}" for r in short)
        console.print(f"spent less than the budget of {sc.budget.total:,.0f} (mean): {said}: "
                      "a week's contacts stop at the size of the segment, the role or the "
                      "targeted people they are aimed at, and seeds at its open people",
                      style="dim")
    if results.has_accounts:
        _accounts_table(results, console)
    if sc.priced or any(sc.churn):
        _money_table(results, console)
    if results.attribute_values:
        _attributes_table(results, console)
    won = verdict(summary, results.comparison(), by)
    diff = won.difference
    if won.second is None or diff is None:
        return
    best, second = escape(won.best), escape(won.second)
    metric = METRICS[by]
    what = "customers" if by == "customers" else metric.label
    digits = 2 if metric.kind in ("share", "ratio") else 0

    def num(x: float) -> str:
        if metric.kind == "ratio":  # ROI: in percentage points, as the table shows it in %
            return f"{100 * x:+,.0f}"
        return f"{x:+,.{digits}f}"

    if metric.kind == "ratio":
        what = f"percentage points of {metric.label}"

    if diff.known and diff.lo == diff.hi == diff.mean == 0:
        # Every paired replicate the same: no strategy leads (all at 0 customers, say).
        console.print(f"no strategy leads on {what}: {best} and {second} gave the same "
                      f"number in every paired replicate.")
        return
    if math.isnan(diff.mean):  # no replicate where both have a value (paid back, ignited)
        rows = summary.set_index(summary.strategy.astype(str))
        if by == "payback_step":
            def paid(name: str) -> str:
                share = rows.loc[name, "paid_back_share"]
                return (f"{escape(name)} never pays back within the {sc.horizon} weeks"
                        if share == 0 else f"{escape(name)} pays back in {share:.0%} of "
                        f"replicates (week {rows.loc[name, 'payback_step_mean']:.1f} on average)")
            console.print(f"{paid(won.best)}; {paid(won.second)}: no replicate where both "
                          "pay back, so no paired difference.")
        else:
            console.print(f"{best} and {second}: no replicate where both have a {what}, so "
                          "no paired difference.")
        return
    if not diff.known:  # one replicate: no interval
        console.print(f"[bold]{best}[/bold] leads: {num(diff.mean)} {what} over "
                      f"{second} (a single replicate: no interval; run more replicates).")
        return
    says = "wins" if won.decided else "leads, but the interval includes zero"
    if by == "payback_step":  # lower is better: say it in weeks before
        console.print(
            f"[bold]{best}[/bold] {says}: it pays back {-diff.mean:,.1f} weeks before "
            f"{second} (95% CI {-diff.hi:,.1f} to {-diff.lo:,.1f}, over the replicates where "
            f"both pay back); it paid back first in {100 * diff.p_a_beats_b:.0f}% of them.")
        return
    console.print(
        f"[bold]{best}[/bold] {says}: {num(diff.mean)} {what} over {second} "
        f"(95% CI {num(diff.lo)} to {num(diff.hi)}); it beat {second} in "
        f"{100 * diff.p_a_beats_b:.0f}% of paired replicates."
    )
