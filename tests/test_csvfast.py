"""The run folder's CSV writer writes the bytes pandas' ``to_csv`` writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wom.store.csvfast import write_frame

FMT = "%.10g"


def _pandas(df: pd.DataFrame, path: Path) -> bytes:
    df.to_csv(path, index=False, float_format=FMT, lineterminator="\n")
    return path.read_bytes()


def _same(df: pd.DataFrame, tmp_path: Path) -> None:
    write_frame(df, tmp_path / "fast.csv", FMT)
    assert (tmp_path / "fast.csv").read_bytes() == _pandas(df, tmp_path / "pandas.csv")


AWKWARD = ["plain", "with,comma", 'with "quotes"', "new\nline", "cr\rhere", "", " lead",
           "ünïcode", "semi;colon", "'single'", "tab\there"]


def test_awkward_names_are_quoted_as_pandas_quotes_them(tmp_path: Path) -> None:
    n = len(AWKWARD)
    df = pd.DataFrame({"name": AWKWARD, "other": AWKWARD[::-1], "k": np.arange(n)})
    _same(df, tmp_path)
    _same(df.astype({"name": object, "other": object}), tmp_path)
    _same(pd.DataFrame({"a,b": [1, 2], 'q"': [3, 4], "": [5, 6]}), tmp_path)


def test_floats_are_formatted_as_pandas_formats_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    special = [0.0, 1.0, -1.0, 0.1, 1 / 3, 1e10, 1e10 - 1, 12345678901.0, 1e-7, 1e16, 2.5e-300,
               np.nan, np.inf, -np.inf, 5e-324, 1.7976931348623157e308, -123.456, 0.5]
    x = np.concatenate([special, rng.normal(size=200) * 10.0 ** rng.integers(-12, 12, 200),
                        np.round(rng.normal(size=200) * 1e4)])
    _same(pd.DataFrame({"x": x, "y": x[::-1]}), tmp_path)
    # -0.0 prints as -0, unlike 0.0, which it equals
    _same(pd.DataFrame({"x": [0.0, -0.0, 1.0], "y": [-0.0, np.nan, 2.0]}), tmp_path)


def test_ints_bools_and_wide_ranges(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    df = pd.DataFrame({
        "small": rng.integers(-5, 5, 300),
        "wide": rng.integers(-(2**62), 2**62, 300),
        "u": rng.integers(0, 2**63, 300, dtype=np.uint64),
        "i32": rng.integers(0, 100, 300).astype(np.int32),
        "b": rng.random(300) < 0.5,
    })
    _same(df, tmp_path)


@pytest.mark.parametrize("df", [
    pd.DataFrame({"a": pd.Series([], dtype=np.int64), "b": pd.Series([], dtype=float)}),
    pd.DataFrame({"only": [1.5, 2.0]}),
    pd.DataFrame({"s": ["x", None, "y"], "k": [1, 2, 3]}),
    pd.DataFrame({"c": pd.Categorical(["x", "y", "x"]), "k": [1, 2, 3]}),
    pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "k": [1, 2, 3]}),
    pd.DataFrame({1: [1, 2], 2: [3, 4]}),
], ids=["empty", "one column", "missing string", "category", "nullable int", "int names"])
def test_other_frames_are_written_as_pandas_writes_them(df: pd.DataFrame, tmp_path: Path) -> None:
    _same(df, tmp_path)
