"""An attribute read from a column of a graph's people (labels) file (``attributes:`` with
``column``): each person's value, in the graph's own numbering."""

from __future__ import annotations

import functools
import os
import unicodedata
from pathlib import Path

import numpy as np

from wom.inputs.parsers import PEOPLE_COLUMNS, GraphFileError, decode, read_bytes
from wom.inputs.tables import DataFileError, read_table


def read_column(labels: Path, column: str,
                node_ids: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
    """Each person's value of `column` of the people file `labels`, for the people
    `node_ids` (a loaded graph's ids, in its numbering): the values in order of first
    appearance in the file, and each person's index of them (``int32[N]``).

    Raises
    ------
    GraphFileError
        The file has no header, no such column, or a person without a value (naming the
        file, the line and the column).
    """
    st = os.stat(labels)
    return _read(Path(labels), (st.st_mtime_ns, st.st_size), column, node_ids)


@functools.lru_cache(maxsize=16)
def _read(labels: Path, _stamp: tuple[int, int], column: str,
          node_ids: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
    text = decode(labels, read_bytes(labels))
    try:
        table = read_table(labels, text, known=PEOPLE_COLUMNS, what="people file")
        at = table.index(column.lower())
    except DataFileError as err:
        raise GraphFileError(err.path, err.line,
                             err.message + (" (an attribute's `column` is read by name from "
                                            "a header line: person, segment, …)"),
                             column) from None
    person_at = table.index("person") if table.has("person") else 0
    given: dict[str, str] = {}
    for number, fields in table.rows:
        person = fields[person_at] if person_at < len(fields) else ""
        value = fields[at] if at < len(fields) else ""
        if not value:
            raise GraphFileError(labels, number, f"person {person!r} has no `{column}`",
                                 column)
        bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cs")), None)
        if bad is not None:
            raise GraphFileError(labels, number, f"`{column}` of {person!r} holds the control "
                                 f"character U+{ord(bad):04X}; values are printed in tables "
                                 "and plots", column)
        before = given.setdefault(person, value)
        if before != value:
            raise GraphFileError(labels, number, f"person {person!r} is given `{column}` "
                                 f"{value!r}, but an earlier line gave {before!r}", column)
    values = tuple(dict.fromkeys(given.values()))
    index = {v: i for i, v in enumerate(values)}
    codes = np.empty(len(node_ids), dtype=np.int32)
    for i, node in enumerate(node_ids):
        if node not in given:
            raise GraphFileError(labels, None, f"person {node!r} has no row, so no "
                                 f"`{column}`", column)
        codes[i] = index[given[node]]
    codes.flags.writeable = False
    return values, codes
