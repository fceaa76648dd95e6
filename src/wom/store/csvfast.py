"""A CSV writer for the run folder's tables that writes what pandas' ``to_csv`` writes, faster.

``timeseries.csv`` has a row per strategy × replicate × step × segment (166,400 at the
flagship's size); pandas formats every float with a Python call and checks each for a
missing value, about half a second there. This writer formats whole columns at once and
writes the bytes ``DataFrame.to_csv(path, index=False, float_format=FMT,
lineterminator="\\n")`` writes, so a run folder does not change with it. It handles the
column types the tables have (int, float64, bool, str); any other frame is left to pandas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _quoted(values: list[str]) -> list[str]:
    """`values` as the csv module writes them in a row of several fields (QUOTE_MINIMAL):
    quoted where a field needs it, which is what pandas writes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    out = []
    for v in values:
        buf.seek(0)
        buf.truncate()
        w.writerow([v, ""])
        out.append(buf.getvalue()[:-2])  # drop the ",\n" of the empty second field
    return out


def _by_value(x: np.ndarray, text: Callable[[list[Any]], list[str]]) -> list[str]:
    """``text(x)``, formatting each distinct value once: a table's columns repeat few
    values (steps, replicates, small counts), and indexing beats a call per cell."""
    if x.dtype.kind in "iu" and len(x):
        lo, hi = int(x.min()), int(x.max())
        if hi - lo <= 4 * len(x) + 1024:
            table = np.asarray(text(list(range(lo, hi + 1))), dtype=object)
            return table[x - lo].tolist()
    uniq, inverse = np.unique(x, return_inverse=True)
    return np.asarray(text(uniq.tolist()), dtype=object)[inverse].tolist()


def _floats(x: np.ndarray, fmt: str) -> list[str]:
    """`x` (float64) as pandas writes it with ``float_format=fmt``: ``fmt % v``, a missing
    value as the empty string."""
    def text(values: list[float]) -> list[str]:
        return [fmt % v if v == v else "" for v in values]
    if np.signbit(x[x == 0]).any():  # -0.0 and 0.0 are one value to np.unique
        return text(x.tolist())
    return _by_value(x, text)


def _column(s: pd.Series, fmt: str) -> list[str] | None:
    """The text of each cell of `s`, or None for a type this writer leaves to pandas."""
    dt = s.dtype
    if isinstance(dt, pd.StringDtype) or (isinstance(dt, np.dtype) and dt.kind == "O"):
        codes, uniq = pd.factorize(s)
        if (codes < 0).any() or not all(type(v) is str for v in uniq):
            return None
        return np.asarray(_quoted(list(uniq)), dtype=object)[codes].tolist()
    if not isinstance(dt, np.dtype):
        return None
    if dt.kind in "iu":
        return _by_value(s.to_numpy(), lambda v: list(map(str, v)))
    if dt == np.float64:
        return _floats(s.to_numpy(), fmt)
    if dt.kind == "b":
        return ["True" if v else "False" for v in s.to_numpy().tolist()]
    return None


def frame_text(df: pd.DataFrame, float_format: str, *, header: bool = True) -> str:
    """The text ``df.to_csv(None, index=False, header=header, float_format=float_format,
    lineterminator="\\n")`` returns, byte for byte.

    Frames of one column, with a column name that is not a string, or with a column of a
    type other than int, float64, bool or str (a missing string, a category, pandas'
    nullable types) are formatted by pandas itself.
    """
    names = list(df.columns)
    cols: list[list[str]] = []
    if len(names) > 1 and all(type(n) is str for n in names):
        for j in range(df.shape[1]):
            c = _column(df.iloc[:, j], float_format)
            if c is None:
                break
            cols.append(c)
    if len(cols) < len(names) or len(names) < 2:
        return str(df.to_csv(None, index=False, header=header, float_format=float_format,
                             lineterminator="\n"))
    head = ",".join(_quoted(names)) + "\n" if header else ""
    if not len(df):
        return head
    return head + "\n".join(map(",".join, zip(*cols, strict=True))) + "\n"


def write_frame(df: pd.DataFrame, path: Path, float_format: str) -> None:
    """Write `df` as ``df.to_csv(path, index=False, float_format=float_format,
    lineterminator="\\n")`` does, byte for byte (:func:`frame_text`)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(frame_text(df, float_format))
