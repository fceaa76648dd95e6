"""Numbers in words and table cells: shares, counts, money, intervals, lists of names (for
the report, the terminal and the pictures)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

#: Segment names listed in words before the rest are counted.
MAX_NAMED = 8

# ------------------------------------------------------------------------- number formats


def is_number(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def formatter(spec: str, empty: str = "—") -> Callable[[Any], str]:
    def f(x: Any) -> str:
        return format(float(x), spec) if is_number(x) else empty

    return f


def as_percent(x: Any) -> str:
    return f"{float(x):.1%}" if is_number(x) else "—"


def as_points(x: Any) -> str:
    """A difference of shares, in percentage points."""
    return f"{100 * float(x):+.1f} pts" if is_number(x) else "—"


def as_count(x: float) -> str:
    """A mean number of people: whole people from 100 on, one decimal below."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}"


def count_spec(a: float, b: float) -> str:
    """One format for two mean numbers of people compared (and their difference): whole
    people when both are 10 or more, one decimal otherwise (never "167 against 61.1")."""
    return ",.0f" if min(abs(a), abs(b)) >= 10 else ",.1f"


def as_counts(a: float, b: float) -> tuple[str, str]:
    """Two mean numbers of people compared, written to one precision (:func:`count_spec`)."""
    spec = count_spec(a, b)
    return format(a, spec), format(b, spec)


def as_money(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def as_cell(x: float, digits: int = 0) -> str:
    """A number in a table's cell: thousands separated, `digits` decimals, ``–`` for none
    (and never ``-0``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = f"{x:,.{digits}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def as_money_cell(x: float) -> str:
    """Money in a cell that fits 80 columns: whole units below 100,000, then k, M, B
    (``829k``, ``1.09M``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or abs(x) < 1e5:
        return as_cell(x)
    for scale, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            v = x / scale
            return f"{v:,.{0 if abs(v) >= 100 else 1 if abs(v) >= 10 else 2}f}{unit}"
    return as_cell(x)  # (not reached)


def counted(n: int, word: str) -> str:
    """``1 replicate``, ``1,000 replicates``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def band_title(n: int, sep: str = " ") -> str:
    """The title of a legend of means with their 90% band over `n` replicates (`sep` between
    its two halves): one replicate has neither."""
    if n == 1:
        return f"one replicate:{sep}no band"
    return f"mean; band: 90%{sep}of {counted(n, 'replicate')}"


def as_number(x: float) -> str:
    return f"{x:g}"


def as_share(x: float) -> str:
    return f"{x:.0%}" if round(100 * x, 6).is_integer() else f"{100 * x:.1f}%"


def as_ratio(r: float) -> str:
    """``2.3×``; two decimals near 1, none from 10 on."""
    if r >= 10:
        return f"{r:,.0f}×"
    return f"{r:.2f}×" if r < 1.1 else f"{r:.1f}×"


def listed(names: Sequence[str], limit: int = MAX_NAMED) -> str:
    """``a, b and c``; past `limit` names, ``a, b, … and 5 more``."""
    names = list(names)
    if len(names) > limit:
        return f"{', '.join(names[:limit])} and {len(names) - limit} more"
    if len(names) <= 2:
        return " and ".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def ranged(values: Sequence[float], show: Callable[[float], str]) -> str:
    """One value, or the range it spans across segments."""
    lo, hi = min(values), max(values)
    return show(lo) if lo == hi else f"{show(lo)} to {show(hi)}, depending on the segment"
