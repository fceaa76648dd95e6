"""Reading users' graph and labels files: parsers, segment labels and renumbering.

Every problem with the input comes out as a :class:`GraphFileError` naming the file and,
where there is one, the line. :func:`wom.inputs.graphfile.load_graph` puts the pieces together.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wom.inputs.tables import (
    COMMENT,
    DataFileError,
    Table,
    first_row_role,
    header_of,
    read_table,
    stray_header,
)

#: Format chosen by ``format: auto``, by file suffix (anything else is an edge list).
SUFFIX_FORMATS = {".gml": "gml", ".graphml": "graphml", ".csv": "csv"}
#: Segment names given to Louvain communities when ``label_prefix`` is empty.
COMMUNITY_PREFIX = "community-"

_COMMENT = COMMENT
#: Column names of a ties file's header, and of a people (labels) file's.
TIE_COLUMNS = ("source", "target")
PEOPLE_COLUMNS = ("person", "segment")
_GML_WHERE = re.compile(r"at \((\d+), \d+\)")


class GraphFileError(DataFileError):
    """A graph or labels file that cannot be read (naming the file, the line, the column)."""


@dataclass(frozen=True, eq=False)
class LoadedGraph:
    """A graph file turned into segments and renumbered ties.

    Attributes
    ----------
    names
        Segment names, in id order.
    sizes
        ``int64[S]``, people per segment.
    u, v
        ``int64[E]`` ties with ``u < v``, sorted, no self-loops or repeats; segment ``k`` is
        the id range ``seg_start[k]:seg_start[k+1]``. Read-only (the result is cached).
    node_ids
        The node's id (or GML label) in the file, for every new id.
    notes
        What was dropped or inferred: ``self_loops``, ``duplicate_ties``,
        ``directed_pairs_merged``, ``isolated_people``, ``people_only_in_labels``,
        ``segments_from`` (``labels file``, ``attribute`` or ``louvain``), ``format``; and
        when they apply ``csv_header``, ``edgelist_header``, ``labels_header``, ``node_names``
        (GML: ``label`` or ``id``), ``parser_warnings``; with accounts ``accounts_from``
        (``labels file`` or ``attribute``), ``accounts`` (of two or more people) and
        ``people_in_accounts`` (the others buy alone).
    account
        ``int64[N]``: each person's account (new ids), accounts numbered by their first
        person, so segment by segment; ``None`` when the file gives no accounts (everyone
        buys alone). Read-only.
    role
        ``int8[N]``: each person's roles in their account, bits user 1, buyer 2, payer 4
        (:mod:`wom.inputs.accounts`); ``None`` without accounts. Read-only.
    account_ids
        Each account's id in the file (``""`` for a person the file gives no account).
    """

    names: tuple[str, ...]
    sizes: np.ndarray
    u: np.ndarray
    v: np.ndarray
    node_ids: tuple[str, ...]
    notes: dict[str, int | str]
    account: np.ndarray | None = None
    role: np.ndarray | None = None
    account_ids: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        """Number of people."""
        return len(self.node_ids)

    @property
    def n_ties(self) -> int:
        """Number of undirected ties."""
        return int(self.u.shape[0])

    @property
    def seg_start(self) -> np.ndarray:
        """``int64[S+1]``: people of segment ``k`` are ``seg_start[k]:seg_start[k+1]``."""
        start = np.zeros(self.sizes.size + 1, dtype=np.int64)
        np.cumsum(self.sizes, out=start[1:])
        return start


# ---------------------------------------------------------------------------- reading files


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise GraphFileError(path, None, "is a folder, not a file") from None
    except FileNotFoundError:
        raise GraphFileError(path, None, "file not found") from None
    except OSError as err:
        raise GraphFileError(path, None, f"cannot read: {err.strerror or err}") from None


def decode(path: Path, data: bytes, what: str = "text graph or labels file") -> str:
    if b"\x00" in data:
        raise GraphFileError(path, None, f"looks like a binary file, not a {what}")
    try:  # any line ending: \r\n (Windows), \r (old Mac, Excel's "CSV (Macintosh)")
        return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise GraphFileError(path, line, "is not UTF-8 text (save it as UTF-8)") from None


def _lines(text: str):
    """``(line_number, fields)`` of the lines that are not blank or comments."""
    for number, line in enumerate(text.split("\n"), 1):
        fields = line.split()
        if fields and not fields[0].startswith(_COMMENT):
            yield number, fields


def parse_edgelist(path: Path, text: str) -> tuple[list[str], list[int], list[int], str]:
    """``u v`` per line (more fields ignored); a first line naming the columns ``source`` and
    ``target`` is a header, and picks them; so is a first line of words above numbered
    people (returned, to be noted). Words nowhere else, above words, are refused as a
    possible header (:func:`~wom.inputs.tables.first_row_role`)."""
    header = header_of(text, TIE_COLUMNS)
    if header is not None:
        return (*_ties_by_name(path, text), " ".join(TIE_COLUMNS))
    rows: list[tuple[str, str, int]] = []
    for number, fields in _lines(text):
        if len(fields) < 2:
            raise GraphFileError(path, number, f"expected two node ids `u v`, found "
                                 f"{len(fields)} field")
        rows.append((fields[0], fields[1], number))
    rows, skipped = _drop_header(path, rows, " ")
    _no_stray_header(path, rows)
    return (*_number_ties(rows), skipped)


def _no_stray_header(path: Path, rows: list[tuple[str, str, int]]) -> None:
    """Refuse a `source target` line below the first whose words are tied to nobody else."""
    count: dict[str, int] = {}
    for a, b, _ in rows:
        count[a] = count.get(a, 0) + 1
        count[b] = count.get(b, 0) + 1
    stray = stray_header(((n, (a, b)) for a, b, n in rows[1:]),
                         lambda fields: any(count[f] > 1 for f in fields))
    if stray is not None:
        raise GraphFileError(path, *stray)


def _drop_header(path: Path, rows: list[tuple[str, str, int]], delimiter: str,
                 ) -> tuple[list[tuple[str, str, int]], str]:
    """`rows` without a first row that is a header (and that header), or an error if it
    may be one (see :func:`~wom.inputs.tables.first_row_role`)."""
    if not rows:
        return rows, ""
    a, b, number = rows[0]
    if a == b:  # a self-loop, not a header
        return rows, ""
    others = [x for r in rows[1:] for x in r[:2]]
    role = first_row_role((a, b), others, bool({a, b} & set(others)))
    if role == "header":
        return rows[1:], f"{a}{delimiter}{b}"
    if role == "ambiguous":
        raise GraphFileError(path, number, f"{a!r} and {b!r} are tied to nobody else: if "
                             "this line names the columns, call them `source` and `target`; "
                             "if it is a tie, put a header line `source target` above it")
    return rows, ""


def _number_ties(rows: list[tuple[str, str, int]]) -> tuple[list[str], list[int], list[int]]:
    ids: dict[str, int] = {}
    src: list[int] = []
    dst: list[int] = []
    for a, b, _ in rows:
        src.append(ids.setdefault(a, len(ids)))
        dst.append(ids.setdefault(b, len(ids)))
    return list(ids), src, dst


def graph_table(path: Path, text: str, columns: tuple[str, ...], what: str) -> Table:
    try:
        return read_table(path, text, known=columns, needs=columns, what=what)
    except DataFileError as err:
        raise GraphFileError(err.path, err.line, err.message, err.column) from None


def _ties_by_name(path: Path, text: str) -> tuple[list[str], list[int], list[int]]:
    """Ties from the columns ``source`` and ``target`` of a file with a header (directed
    nominations are read as conversation ties; other columns are ignored)."""
    table = graph_table(path, text, TIE_COLUMNS, "ties file")
    a_at, b_at = table.index("source"), table.index("target")
    ids: dict[str, int] = {}
    src: list[int] = []
    dst: list[int] = []
    for number, fields in table.rows:
        a = fields[a_at] if a_at < len(fields) else ""
        b = fields[b_at] if b_at < len(fields) else ""
        if not a or not b:
            raise GraphFileError(path, number, "expected two node ids, in the columns "
                                 "`source` and `target`")
        src.append(ids.setdefault(a, len(ids)))
        dst.append(ids.setdefault(b, len(ids)))
    return list(ids), src, dst


def parse_csv(path: Path, text: str) -> tuple[list[str], list[int], list[int], str]:
    """CSV: a header naming ``source`` and ``target`` picks those columns (others are
    ignored); without one, the first two columns are the tie, and a first row of words above
    numbered people is a header (words nowhere else, above words, are refused as a possible
    header: :func:`_drop_header`)."""
    if header_of(text, TIE_COLUMNS) is not None:
        return (*_ties_by_name(path, text), ",".join(TIE_COLUMNS))
    first = next((ln for ln in text.split("\n") if ln.strip()
                  and not ln.lstrip().startswith(_COMMENT)), "")
    delimiter = next((d for d in ",;\t" if d in first), ",")
    rows: list[tuple[str, str, int]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            fields = [f.strip() for f in row]
            if not any(fields) or fields[0].startswith(_COMMENT):
                continue
            if len(fields) < 2 or not fields[0] or not fields[1]:
                raise GraphFileError(path, reader.line_num, "expected two node ids "
                                     "`source,target` in the first two columns")
            rows.append((fields[0], fields[1], reader.line_num))
    except csv.Error as err:
        raise GraphFileError(path, reader.line_num, f"not valid CSV: {err}") from None
    rows, header = _drop_header(path, rows, delimiter)
    return (*_number_ties(rows), header)


def parse_networkx(
    path: Path, text: str, fmt: str, notes: dict[str, int | str]
) -> tuple[list[str], list[int], list[int], list[dict[str, Any]], dict[str, Any]]:
    with warnings.catch_warnings(record=True) as caught:
        # networkx warns about guessed attribute types; keep them as notes, not noise
        warnings.simplefilter("always")
        g = _parse_gml(path, text, notes) if fmt == "gml" else _parse_graphml(path, text)
    if caught:
        notes["parser_warnings"] = "; ".join(dict.fromkeys(str(w.message) for w in caught))
    names = [str(x) for x in g.nodes]
    seen: set[str] = set()
    for x in names:
        if x in seen:
            raise GraphFileError(path, None, f"two nodes are both named {x!r}")
        seen.add(x)
    index = {x: i for i, x in enumerate(g.nodes)}
    src = [index[a] for a, _ in g.edges()]
    dst = [index[b] for _, b in g.edges()]
    default = g.graph.get("node_default", {}) if fmt == "graphml" else {}
    return names, src, dst, [dict(d) for _, d in g.nodes(data=True)], default


def _parse_gml(path: Path, text: str, notes: dict[str, int | str]):
    import networkx as nx

    def parse(label: str, source: str):
        try:
            return nx.parse_gml(source, label=label)
        except RecursionError:
            raise GraphFileError(path, None, "GML nested too deeply") from None
        except Exception as err:  # networkx raises many types on malformed GML
            return err

    g = parse("label", text)
    names = "label"
    if isinstance(g, Exception) and re.search(r"has no 'label'|node label .* is duplicated",
                                              str(g)):
        g, names = parse("id", text), "id"
    if isinstance(g, Exception) and re.match(r"edge #\d+ .* is duplicated$", str(g)):
        # a simple graph listing a tie twice: read it as a multigraph, the repeat is dropped
        multi = re.sub(r"^(\s*graph\s*\[)", r"\1 multigraph 1", text, count=1, flags=re.M)
        g = parse(names, multi)
    if isinstance(g, Exception):
        message = str(g).split("\n")[0] or type(g).__name__
        where = _GML_WHERE.search(message)
        raise GraphFileError(path, int(where.group(1)) if where else None,
                             f"not valid GML: {message}")
    notes["node_names"] = names
    return g


def _parse_graphml(path: Path, text: str):
    import xml.etree.ElementTree as ET

    import networkx as nx

    try:
        return nx.parse_graphml(text)
    except ET.ParseError as err:
        raise GraphFileError(path, err.position[0], f"not valid GraphML: {err}") from None
    except RecursionError:
        raise GraphFileError(path, None, "GraphML nested too deeply") from None
    except Exception as err:  # networkx raises many types on malformed GraphML
        raise GraphFileError(path, None, f"not valid GraphML: {err}") from None


# ---------------------------------------------------------------------------- ties


def clean_ties(path: Path, n: int, src: list[int], dst: list[int],
                notes: dict[str, int | str]) -> tuple[np.ndarray, np.ndarray]:
    """Undirected ties ``(lo, hi)`` in original ids: no self-loops, no repeats."""
    s = np.asarray(src, dtype=np.int64)
    d = np.asarray(dst, dtype=np.int64)
    loop = s == d
    s, d = s[~loop], d[~loop]
    directed = np.unique(s * n + d).size
    tie = np.unique(np.minimum(s, d) * n + np.maximum(s, d))
    notes["self_loops"] = int(loop.sum())
    notes["duplicate_ties"] = int(s.size - directed)
    notes["directed_pairs_merged"] = int(directed - tie.size)
    if tie.size == 0:
        dropped = f" ({notes['self_loops']} self-loop(s) dropped)" if loop.any() else ""
        raise GraphFileError(path, None, f"no ties found: the graph is empty{dropped}")
    return tie // n, tie % n
