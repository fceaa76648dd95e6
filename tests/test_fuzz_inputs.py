"""Bad data files never crash (issue 14): fuzzed adoption files through ``wom fit`` and
fuzzed customer files through ``wom run --customers``, headers above all.

Hypothesis writes CSV files from a header (the right ones, misspelt, reordered, repeated,
missing, with a byte-order mark, other separators, comment lines, none at all) and rows
of people, periods, segments and counts that are right, wrong or absurd, with either
line ending. Each goes through the command line's own code path, in-process with
tracebacks not caught, and must either be accepted or exit 2 with ``error:`` naming the
file. For ``wom fit`` the fitting itself is replaced by a sentinel once the data are read
and checked against the market (what is fuzzed is the reading; fitting is tested in
``test_fit.py``); ``wom run --customers`` runs for real and must write a complete folder.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import wom.inference.fit
import wom.viz.outputs
from helpers import medical_scenario
from test_fuzz import EXAMPLES, outcome, workdir
from wom.cli import main

#: Headers: the shapes wom reads, and the ways a hand-made file gets them wrong.
HEADERS = [
    "person,adopted", "period,segment,new_customers", "segment,adopted",
    "segment,customers,adopted", "segment,customers", "person", "segment",
    "Person,Adopted", "person;adopted", "person\tadopted", "persn,adopted", "adopted",
    "person,adopted,adopted", "\ufeffperson,adopted", "# exported 2026-11-30\nperson,adopted",
    "adopted,person", "new_customers,segment,period", "person,segment,adopted,notes",
    "person,week", "person,purchase_date", "period,segment", "", "1001,3", "city-1,2",
    '"person","adopted"', "person,,adopted", " person , adopted ",
]
FIELDS = st.sampled_from([
    # people of the market, and not
    "1001", "1002", "1125", "1246", "nobody", "", " 1001", "1001 ", "١٠٠١", '"1003"',
    # periods and counts
    "0", "1", "3", "17", "18", "99", "-1", "2.5", "1e3", "nan", "inf", "x", "3.0",
    "9999999999999999999999", "0x10",
    # segments
    "city-1", "city-2", "city-4", "nowhere", "CITY-1",
])


#: Right-looking values per column, for files that are nearly right.
GOOD = {
    "person": st.sampled_from([str(1001 + k) for k in range(246)] + ["nobody"]),
    "segment": st.sampled_from(["city-1", "city-2", "city-3", "city-4", "nowhere"]),
    "adopted": st.sampled_from([str(k) for k in range(0, 18)] * 4 + ["", "-1", "19", "2.5"]),
    "period": st.sampled_from([str(k) for k in range(0, 20)] + ["-1"]),
    "new_customers": st.sampled_from([str(k) for k in range(0, 6)] + ["-2", "1.5"]),
    "customers": st.sampled_from([str(k) for k in range(0, 80)] + ["-2", "1.5", "100"]),
}


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    sep = draw(st.sampled_from([",", ",", ",", ";", "\t"]))
    if draw(st.booleans()):  # nearly right: one of the shapes wom reads, right-looking rows
        header = draw(st.sampled_from(HEADERS[:5]))
        columns = header.split(",")
        sep = ","
        key = None if columns[0] == "period" or header == "segment,adopted" else (
            lambda row: row[0])  # people (and segments of counts) listed once, mostly
        rows = draw(st.lists(st.tuples(*(GOOD[c] for c in columns)).map(list), max_size=30,
                             unique_by=key if draw(st.booleans()) else None))
    else:
        header = draw(st.one_of(st.sampled_from(HEADERS), st.text(max_size=20)))
        rows = draw(st.lists(st.lists(FIELDS, min_size=0, max_size=5), max_size=12))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [header, *(sep.join(r) for r in rows)]
    if draw(st.sampled_from([False] * 9 + [True])):
        lines.insert(draw(st.integers(0, len(lines))), "# a comment")
    text = end.join(lines) + draw(st.sampled_from([end, ""]))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.sampled_from([False] * 19 + [True])):
        data += bytes(draw(st.binary(max_size=8)))
    return data


class ReachedFitError(Exception):
    """The fit got past reading and checking its data."""


def _reached(*args: Any, **kwargs: Any) -> Any:
    raise ReachedFitError


@pytest.mark.slow
@given(data=csv_files())
@settings(max_examples=EXAMPLES)
def test_fuzzed_adoption_files_are_read_or_exit_2(
        data: bytes, fuzz_tally: dict[str, Counter[str]]) -> None:
    tally = fuzz_tally.setdefault("adoption files through wom fit", Counter())
    with workdir() as tmp:
        scenario = medical_scenario(tmp, "replicates: 2\n")
        path = tmp / "adoptions.csv"
        path.write_bytes(data)
        out = tmp / "fit"
        with mock.patch.object(wom.inference.fit, "posterior", _reached), \
                mock.patch.object(wom.inference.fit, "abc_smc", _reached):
            result = CliRunner().invoke(main, ["fit", str(scenario), "--adoptions", str(path),
                                               "--out", str(out), "-q", "-w", "1"])
        if isinstance(result.exception, ReachedFitError):
            assert not out.exists()
            tally["read and checked"] += 1
            return
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and not out.exists()
        err = "\n".join(x for x in result.stderr.splitlines() if not x.startswith("warning:"))
        assert err.startswith("error:") and str(path) in err, err
        tally["refused"] += 1


@pytest.mark.slow
@given(data=csv_files(), today=st.sampled_from([None, None, 0, 5, 17, 40]))
@settings(max_examples=EXAMPLES // 2)
def test_fuzzed_customer_files_run_or_exit_2(
        data: bytes, today: int | None, fuzz_tally: dict[str, Counter[str]]) -> None:
    tally = fuzz_tally.setdefault("customer files through wom run --customers", Counter())
    with workdir() as tmp:
        scenario = medical_scenario(tmp, "replicates: 2\n")
        path = tmp / "customers.csv"
        path.write_bytes(data)
        out = tmp / "out"
        args = ["run", str(scenario), "--customers", str(path), "--workers", "1", "--quiet",
                "--out", str(out)]
        if today is not None:
            args += ["--today", str(today)]
        with mock.patch.object(wom.viz.outputs, "start_plots", lambda *a, **k: list):
            result = CliRunner().invoke(main, args, catch_exceptions=False)
        tally[outcome(result, out, [str(path), "--today"])] += 1
