"""Observed adoption and today's customers, read from users' CSV files (a header is required).

Two shapes of adoption data (:func:`read_adoptions`):

- **individual**, columns ``person, adopted``: the period each person first adopted in, an
  empty cell for "not by the end of the data" (other columns are ignored, so a people file
  with an ``adopted`` column serves as it is);
- **aggregate**, columns ``period, segment, new_customers``: how many people of a segment
  first adopted in each period.

And today's customers (:func:`read_customers`), by person — ``person[, adopted]``: people
of a known graph, with the period they bought in if known — or by segment: one row per
customer (``segment[, adopted]``, a CRM's export with its other columns) or counts
(``segment, customers[, adopted]``). Every problem names the file, the line and the
column; what must be checked against a market (unknown people or segments) is checked by
the caller, with the line numbers kept here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wom.inputs.parsers import decode, read_bytes
from wom.inputs.tables import DataFileError, Table, period_number, read_table, whole_number

INDIVIDUAL = ("person", "adopted")
AGGREGATE = ("period", "segment", "new_customers")
PEOPLE = ("person",)
COUNTS = ("segment", "customers")
#: The optional column of a purchase's period.
WHEN = "adopted"
#: Column names that look like a purchase period under another name.
#: Words of a column name (split at ``_``, ``-``, ``.`` and spaces) that say it is a purchase
#: period under another name: ``week``, ``date_signed``, ``t``, ``Wk.``, … (a word, not a
#: prefix: ``timezone`` and ``yearly_revenue`` are other columns, kept).
TIME_WORDS = frozenset((
    "period", "periods", "week", "weeks", "month", "months", "day", "days", "date", "time",
    "when", "bought", "purchase", "purchased", "signed", "closed", "since", "year", "years",
    "quarter", "quarters", "step", "t", "wk", "wks", "mo", "mth", "mths", "yr", "yrs", "dt",
    "ts", "qtr"))


@dataclass(frozen=True)
class PersonAdoptions:
    """When each person first adopted (``-1``: not by the end of the data)."""

    path: Path
    people: tuple[str, ...]
    adopted: np.ndarray  # int64[n], period or −1
    lines: np.ndarray  # int64[n]
    #: SHA-256 of the bytes read (the manifest records what was used, not the file later)
    sha256: str = ""

    @property
    def periods(self) -> np.ndarray:
        """The periods in which someone adopted, sorted."""
        return np.unique(self.adopted[self.adopted >= 0])


@dataclass(frozen=True)
class SegmentAdoptions:
    """How many people of each segment first adopted in each period (one row each)."""

    path: Path
    period: np.ndarray  # int64[r]
    segment: tuple[str, ...]
    new_customers: np.ndarray  # int64[r]
    lines: np.ndarray  # int64[r]
    #: SHA-256 of the bytes read (the manifest records what was used, not the file later)
    sha256: str = ""


@dataclass(frozen=True)
class PersonCustomers:
    """Today's customers by person, with the period they bought in (−1: not known)."""

    path: Path
    people: tuple[str, ...]
    adopted: np.ndarray  # int64[n]
    lines: np.ndarray
    #: SHA-256 of the bytes read (the manifest records what was used, not the file later)
    sha256: str = ""


@dataclass(frozen=True)
class SegmentCustomers:
    """Today's customers by segment: each row ``customers`` people (1 for a row per
    customer) who bought in period ``adopted`` (−1: not known)."""

    path: Path
    segment: tuple[str, ...]
    customers: np.ndarray  # int64[r]
    adopted: np.ndarray  # int64[r]
    lines: np.ndarray
    #: SHA-256 of the bytes read (the manifest records what was used, not the file later)
    sha256: str = ""


def _read(path: Path | str, known: tuple[str, ...], what: str) -> tuple[Table, str]:
    """The table of `path` and the SHA-256 of its bytes (read once: a pipe works too)."""
    path = Path(path)
    if path.is_dir():
        raise DataFileError(path, None, "is a folder, not a file")
    data = read_bytes(path)
    return (read_table(path, decode(path, data, f"text {what}"), known=known, what=what),
            hashlib.sha256(data).hexdigest())


def _unique(table: Table, column: str) -> None:
    first: dict[str, int] = {}
    for line, value in table.column(column):
        if value in first:
            raise DataFileError(table.path, line, f"{value!r} is listed twice (first on line "
                                f"{first[value]})", column)
        first[value] = line


def _one_of(table: Table, one: str, other: str, what: str) -> None:
    """Refuse columns `one` and `other` together: each would hold `what`, and one was
    silently ignored (breaker trial)."""
    if table.has(one) and table.has(other):
        raise DataFileError(table.path, table.header_line, f"both `{one}` and `{other}`: "
                            f"which holds {what}? keep one", other)


def _not_empty(table: Table, what: str) -> None:
    if not table.rows:
        raise DataFileError(table.path, table.header_line, f"the file has a header but no "
                            f"{what}")


def read_adoptions(path: Path | str) -> PersonAdoptions | SegmentAdoptions:
    """Observed adoption, individual (``person, adopted``) or aggregate (``period, segment,
    new_customers``; or a customer list, ``segment, adopted`` a row per customer or
    ``segment, customers, adopted``, counted per period and segment), told apart by the
    header.

    Raises
    ------
    DataFileError
        Naming file, line and column: no such header, an empty file, a period that is not a
        whole number or is negative, a negative count, a person or a (period, segment)
        listed twice, an empty person or segment.
    """
    table, digest = _read(path, (*INDIVIDUAL, *AGGREGATE, "customers"), "file of adoptions")
    _one_of(table, "period", WHEN, "it")
    _one_of(table, "new_customers", "customers", "it")
    if table.has("new_customers") and not table.has("person"):
        table.index("period")  # counts per period: name the column they need, not `adopted`
    if not table.has("person") and not table.has("period") and table.has("segment"):
        return _list_as_counts(table, digest)
    if table.has("person"):
        table.index("adopted")
        _not_empty(table, "people")
        _unique(table, "person")
        people, adopted, lines = [], [], []
        for (line, person), (_, when) in zip(table.column("person"), table.column("adopted"),
                                              strict=True):
            if not person:
                raise DataFileError(table.path, line, "no person id", "person")
            people.append(person)
            adopted.append(-1 if when == "" else
                           period_number(table.path, line, "adopted", when))
            lines.append(line)
        return PersonAdoptions(table.path, tuple(people), np.array(adopted, np.int64),
                               np.array(lines, np.int64), digest)
    for name in AGGREGATE:
        table.index(name)
    _not_empty(table, "rows")
    period, segment, count, lines = [], [], [], []
    first: dict[tuple[int, str], int] = {}
    for (line, p), (_, s), (_, c) in zip(table.column("period"), table.column("segment"),
                                         table.column("new_customers"), strict=True):
        at = period_number(table.path, line, "period", p)
        if not s:
            raise DataFileError(table.path, line, "no segment", "segment")
        n = whole_number(table.path, line, "new_customers", c, minimum=0)
        if (at, s) in first:
            raise DataFileError(table.path, line, f"period {at}, segment {s!r} is listed "
                                f"twice (first on line {first[(at, s)]})")
        first[(at, s)] = line
        period.append(at)
        segment.append(s)
        count.append(n)
        lines.append(line)
    return SegmentAdoptions(table.path, np.array(period, np.int64), tuple(segment),
                            np.array(count, np.int64), np.array(lines, np.int64), digest)


def _list_as_counts(table: Table, digest: str) -> SegmentAdoptions:
    """A customer list (``segment, adopted`` or ``segment, customers, adopted``) as new
    customers per period and segment: a fit needs when each customer bought."""
    table.index(WHEN)
    _not_empty(table, "customers")
    counts = table.column("customers") if table.has("customers") else None
    first: dict[tuple[int, str], int] = {}
    total: dict[tuple[int, str], int] = {}
    for i, ((line, s), (_, when)) in enumerate(zip(table.column("segment"), table.column(WHEN),
                                                   strict=True)):
        if not s:
            raise DataFileError(table.path, line, "no segment", "segment")
        if when == "":
            raise DataFileError(table.path, line, "no purchase period: a fit needs when each "
                                "customer bought", WHEN)
        at = period_number(table.path, line, WHEN, when)
        n = (whole_number(table.path, line, "customers", counts[i][1], minimum=0)
             if counts is not None else 1)
        first.setdefault((at, s), line)
        total[(at, s)] = total.get((at, s), 0) + n
    keys = sorted(total, key=lambda k: first[k])
    return SegmentAdoptions(table.path, np.array([p for p, _ in keys], np.int64),
                            tuple(s for _, s in keys),
                            np.array([total[k] for k in keys], np.int64),
                            np.array([first[k] for k in keys], np.int64), digest)


def _period(table: Table, line: int, text: str, column: str = WHEN) -> int:
    return -1 if text == "" else period_number(table.path, line, column, text)


def read_customers(path: Path | str) -> PersonCustomers | SegmentCustomers:
    """Today's customers: ``person[, adopted]``, ``segment[, adopted]`` (a row per customer)
    or ``segment, customers[, adopted]`` (counts), told apart by the header; a fit's counts,
    ``period, segment, new_customers``, are read as ``adopted, segment, customers``.

    Raises
    ------
    DataFileError
        As :func:`read_adoptions`; also a segment listed twice in counts without periods
        (or a segment and period twice with them).
    """
    table, digest = _read(path, (*PEOPLE, WHEN, *COUNTS, *AGGREGATE), "file of customers")
    # a fit's counts (period, segment, new_customers) are customers too, by segment
    aggregate = table.has("new_customers")
    if aggregate and (table.has("customers") or table.has("person")):
        other = "customers" if table.has("customers") else "person"
        raise DataFileError(table.path, table.header_line, f"both `new_customers` and "
                            f"`{other}`: give counts (segment, customers or new_customers) "
                            "or a row per customer, not both", other)
    _one_of(table, "period", WHEN, "the period each customer bought in")
    # (a fit's counts name their periods `period`; `adopted` serves too)
    when_column = (WHEN if not aggregate or (table.has(WHEN) and not table.has("period"))
                   else "period")
    if not table.has(when_column):
        timely = [n for n in table.names if TIME_WORDS & set(re.split(r"[\W_]+", n))]
        if timely:
            raise DataFileError(table.path, table.header_line, f"the column {timely[0]!r} "
                                f"would be ignored: the period each customer bought in is read "
                                f"from the column `{when_column}` (rename it, or drop it to "
                                "start from customers with no purchase period)", timely[0])
    when = table.column(when_column) if table.has(when_column) else None
    if table.has("person"):
        _not_empty(table, "customers")
        _unique(table, "person")
        people, adopted, lines = [], [], []
        for i, (line, person) in enumerate(table.column("person")):
            if not person:
                raise DataFileError(table.path, line, "no person id", "person")
            people.append(person)
            adopted.append(_period(table, line, when[i][1]) if when is not None else -1)
            lines.append(line)
        return PersonCustomers(table.path, tuple(people), np.array(adopted, np.int64),
                               np.array(lines, np.int64), digest)
    table.index("segment")
    _not_empty(table, "rows")
    count_column = "new_customers" if aggregate else "customers"
    counts = table.column(count_column) if table.has(count_column) else None
    segments, number, periods, lines = [], [], [], []
    first: dict[tuple[str, int], int] = {}
    for i, (line, s) in enumerate(table.column("segment")):
        if not s:
            raise DataFileError(table.path, line, "no segment", "segment")
        at = _period(table, line, when[i][1], when_column) if when is not None else -1
        if counts is not None:
            if (s, at) in first:
                also = f" and period {at}" if at >= 0 else ""
                raise DataFileError(table.path, line, f"segment {s!r}{also} is listed twice "
                                    f"(first on line {first[(s, at)]})", "segment")
            first[(s, at)] = line
        segments.append(s)
        number.append(whole_number(table.path, line, count_column, counts[i][1], minimum=0)
                      if counts is not None else 1)
        periods.append(at)
        lines.append(line)
    return SegmentCustomers(table.path, tuple(segments), np.array(number, np.int64),
                            np.array(periods, np.int64), np.array(lines, np.int64), digest)
