"""Users' tables in ordinary text files: CSV (comma, semicolon or tab) or whitespace columns,
with a header line naming the columns.

:func:`read_table` finds the delimiter, reads the header (a first row naming at least one of
the columns the caller knows) and keeps every row with its line number, so a problem is
reported as ``file:line: column name: what is wrong``. Comment lines start with ``#`` or
``%``; blank lines are skipped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wom.errors import WomError

COMMENT = ("#", "%")
_INTEGER = re.compile(r"[+-]?[0-9]+(\.0*)?")
#: The largest period (week or month number) a file may give: a date written as a number
#: (202401) is a mistake, not a period, and would make arrays of that many steps.
MAX_PERIOD = 100_000
#: The largest count a file may give (more than any market wom can hold).
MAX_COUNT = 10**9


class DataFileError(WomError):
    """A user's data file that cannot be read: names the file, the line and the column.

    Parameters
    ----------
    path
        The file at fault.
    line
        1-based line number, or ``None`` when the problem is not on one line.
    message
        What is wrong, in the user's words.
    column
        The column's name (from the header), when the problem is in one column.
    """

    def __init__(self, path: Path, line: int | None, message: str, column: str | None = None):
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        what = f"column {column}: {message}" if column is not None else message
        super().__init__(f"{where}: {what}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.path, self.line, self.message, self.column))


def delimiter_of(line: str) -> str | None:
    """The delimiter of a row: comma, semicolon or tab when one is there, else whitespace."""
    return next((d for d in ",;\t" if d in line), None)


def split(line: str, delimiter: str | None) -> list[str]:
    """The stripped fields of one line (whitespace when `delimiter` is ``None``)."""
    if delimiter is None:
        return line.split()
    return [f.strip() for f in next(csv.reader([line], delimiter=delimiter), [])]


def first_row(text: str) -> tuple[int, str] | None:
    """``(line number, line)`` of the first line that is not blank or a comment."""
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith(COMMENT):
            return number, line
    return None


def header_of(text: str, known: Iterable[str]) -> list[str] | None:
    """The first row's column names (lower case) if it names any of `known`, else ``None``."""
    first = first_row(text)
    if first is None:
        return None
    names = [f.lower() for f in split(first[1], delimiter_of(first[1]))]
    return names if set(names) & set(known) else None


@dataclass(frozen=True)
class Table:
    """A table read from a text file: its header and its rows with their line numbers."""

    path: Path
    names: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    header_line: int

    def has(self, name: str) -> bool:
        return name in self.names

    def index(self, name: str) -> int:
        """The position of column `name`; an error naming the columns the file has."""
        if name not in self.names:
            raise DataFileError(self.path, self.header_line,
                                f"the header names no column `{name}` (it has: "
                                f"{', '.join(self.names)})")
        return self.names.index(name)

    def column(self, name: str) -> list[tuple[int, str]]:
        """``(line, value)`` of column `name` in every row (empty string where missing)."""
        j = self.index(name)
        return [(line, fields[j] if j < len(fields) else "") for line, fields in self.rows]


def read_table(path: Path, text: str, *, known: Iterable[str], needs: Iterable[str] = (),
               what: str = "table") -> Table:
    """Read `text` (the content of `path`) as a table whose header names some of `known`.

    Raises
    ------
    DataFileError
        Empty file, no header naming any of `known`, a column of `needs` missing, or
        invalid CSV; always with the file and, where there is one, the line.
    """
    known = list(known)
    first = first_row(text)
    if first is None:
        raise DataFileError(path, None, f"the file is empty: expected a {what} with a header "
                            f"line ({', '.join(known)})")
    number, line = first
    delimiter = delimiter_of(line)
    # a known column written with spaces or hyphens between its words ("new customers") is
    # that column; any other name is kept as written (a people file's attribute columns)
    names = tuple(spelt if (spelt := re.sub(r"[\s-]+", "_", f.lower())) in known else f.lower()
                  for f in split(line, delimiter))
    if not set(names) & set(known):
        raise DataFileError(path, number, f"expected a header line naming the columns "
                            f"({', '.join(known)}), found {line.strip()[:80]!r}")
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise DataFileError(path, number, f"the header names column `{name}` twice")
        seen.add(name)
    rows: list[tuple[int, tuple[str, ...]]] = []
    if delimiter is None:
        for k, raw in enumerate(text.split("\n")[number:], number + 1):
            words = raw.split()
            if words and not words[0].startswith(COMMENT):
                rows.append((k, tuple(words)))
    else:
        body = "\n".join(text.split("\n")[number:])
        reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True)
        try:
            for row in reader:
                fields = tuple(f.strip() for f in row)
                if any(fields) and not fields[0].startswith(COMMENT):
                    rows.append((number + reader.line_num, fields))
        except csv.Error as err:
            raise DataFileError(path, number + reader.line_num, f"not valid CSV: {err}") from None
    table = Table(path, names, tuple(rows), number)
    for name in needs:
        table.index(name)
    return table


def whole_number(path: Path, line: int, column: str, text: str, *,
                 minimum: int | None = None, maximum: int = MAX_COUNT,
                 why: str = "") -> int:
    """`text` as a whole number (``3`` or ``3.0``, ASCII digits), at least `minimum` and at
    most `maximum` (`why`: what a larger one probably is); else an error."""
    if not _INTEGER.fullmatch(text.strip()):
        raise DataFileError(path, line, f"{text!r} is not a whole number", column)
    value = int(text.strip().split(".")[0])  # exact: no float rounding of big numbers
    if minimum is not None and value < minimum:
        raise DataFileError(path, line, f"{value} is below {minimum}", column)
    if value > maximum:
        raise DataFileError(path, line, f"{value} is above {maximum:,}{why}", column)
    return value


def period_number(path: Path, line: int, column: str, text: str) -> int:
    """A period (week or month number, 0 or more) read from a file."""
    return whole_number(path, line, column, text, minimum=0, maximum=MAX_PERIOD,
                        why=": periods are numbered weeks or months (0, 1, 2, …), not dates")


_NUMERIC = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?")


#: Words that name the columns of a people or ties file: a row of nothing else, below the
#: first, is a header pasted into the middle (two files joined), never people.
HEADER_WORDS = frozenset({"person", "people", "node", "id", "name", "segment", "community",
                          "label", "group", "source", "target", "from", "to"})


def stray_header(rows: Iterable[tuple[int, Sequence[str]]],
                 used: Callable[[Sequence[str]], bool]) -> tuple[int, str] | None:
    """The line and why, if a row below the first is a header pasted into the middle of a
    file (two files joined): made only of column names (``person segment``) whose ids
    `used` says appear nowhere else; ``None`` if no row is."""
    for number, fields in rows:
        if fields and all(f.lower() in HEADER_WORDS for f in fields) and not used(fields):
            return number, (f"{' '.join(fields)!r} looks like a header line in the middle of "
                            "the file (two files joined?): remove it")
    return None


def first_row_role(first: Sequence[str], others: Iterable[str], elsewhere: bool) -> str:
    """Whether the first row of a file without a header by name (no ``source``/``target``,
    ``person``/``segment``) is ``"header"``, ``"data"`` or ``"ambiguous"``.

    `first`: its id fields (a tie's two people, a labels row's person); `others`: every id
    of the other rows; `elsewhere`: whether one of `first` appears in the rest of the data
    (a tie to someone else, a person of the graph). A header is a row of words above rows
    of numbers. Words that appear nowhere else, above words, cannot be told from a header:
    ambiguous (the reader refuses it, asking for named columns), never silently data.
    """
    words = [f for f in first if not _NUMERIC.fullmatch(f)]
    if not words:
        return "data"
    if all(_NUMERIC.fullmatch(x) for x in others):
        return "header"
    return "data" if elsewhere else "ambiguous"
