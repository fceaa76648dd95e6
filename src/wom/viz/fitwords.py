"""A fitted scenario in words: what its ``uncertainty:`` block did to a run (the report)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wom.config import Scenario
from wom.config.keys import values_at
from wom.viz.numbers import counted, listed


def drawn(x: float) -> str:
    """A drawn value as written: a whole number whole, from 1,000 up to the unit, else three
    figures; thousands separated, no exponent."""
    if float(x).is_integer():
        return f"{int(x):,}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return np.format_float_positional(float(x), precision=3, unique=False, fractional=False,
                                      trim="-")


def _span(values: Sequence[float]) -> tuple[str, str]:
    """The middle 95% of `values`, as values among them (a whole-number key stays whole)."""
    lo, hi = np.quantile(np.asarray(values, float), [0.025, 0.975], method="inverted_cdf")
    return drawn(lo), drawn(hi)


def fitted_words(sc: Scenario) -> str:
    """What an ``uncertainty:`` block does to a run: the values written in the scenario are a
    fit's estimates (with the 95% interval the fit reported, or else the middle 95% of its
    draws), and each replicate ran with a draw of its own (``i mod n``; the middle 95% of
    those this run used)."""
    unc = sc.uncertainty
    assert unc is not None
    data = sc.model_dump(mode="json")
    n, runs = unc.size, sc.replicates
    used = [unc.draw(i) for i in range(runs)]
    reported = all(path in unc.intervals for path in unc.draws)
    estimates, spans = [], []
    for path, values in unc.draws.items():
        lo, hi = ((drawn(v) for v in unc.intervals[path]) if reported else _span(values))
        estimates.append(f"{path} {drawn(values_at(data, path)[0])} ({lo}–{hi})")
        a, b = _span([d[path] for d in used])
        spans.append(f"{path} {a} to {b}" if a != b else f"{path} {a} in every one")
    many = len(unc.draws) > 1
    told = ("the 95% interval" + ("s" if many else "") + " it reported" if reported else
            f"95% interval{'s' if many else ''} over its {n:,} draw{'s' if n != 1 else ''}")
    return ("Fitted values, estimated by " + (unc.source or "a fit") + f" ({told}): "
            f"{listed(estimates)}. Each replicate ran with a draw of {'them' if many else 'it'}"
            f" from the fit's {n:,} instead of the value written above (replicate i with draw "
            f"i mod {n:,}); the middle 95% of the values this run's "
            f"{counted(runs, 'replicate')} used: {listed(spans)}. The spread of these results "
            "includes what the data left uncertain.")
