"""A fitted scenario in words: what its ``uncertainty:`` block did to a run (the report)."""

from __future__ import annotations

import numpy as np

from wom.config import Scenario
from wom.viz.numbers import listed


def fitted_words(sc: Scenario) -> str:
    """What an ``uncertainty:`` block does to a run: the values written in the scenario are a
    fit's estimates, but each replicate ran with its own draw (the middle 95% of the draws
    the replicates used)."""
    unc = sc.uncertainty
    assert unc is not None
    used = [unc.draw(i) for i in range(min(sc.replicates, unc.size))]
    spans = []
    for path in unc.draws:
        lo, hi = np.quantile([d[path] for d in used], [0.025, 0.975])
        spans.append(f"{path} {lo:.3g} to {hi:.3g}" if f"{lo:.3g}" != f"{hi:.3g}" else
                     f"{path} {lo:.3g} in each")
    n, many = len(used), len(unc.draws) > 1
    return (f"Fitted values: {listed(list(unc.draws))} above "
            f"{'are estimates' if many else 'is an estimate'} "
            + (f"from {unc.source}" if unc.source else "of a fit")
            + f", but no replicate ran with {'them' if many else 'it'}: "
            f"replicate i ran with draw i of the fit's {unc.size:,}, and the {n:,} "
            f"draw{'s' if n != 1 else ''} used span {listed(spans)} (the middle 95%). The "
            "spread of these results includes what the data left uncertain.")
