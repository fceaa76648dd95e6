"""Real conversation graphs read from files (``network.model: file``).

:func:`load_graph` reads an edge list, a CSV file, GML or GraphML, finds each person's segment
(a labels file, a node attribute, or Louvain communities) and renumbers people segment by
segment, as :mod:`wom.market` stores them. The graph is undirected: direction, self-loops and
repeated ties are dropped and counted in :attr:`LoadedGraph.notes`. Node ids are kept as the
strings written in the file, so ``007`` and ``7`` are two different people.
"""

from __future__ import annotations

import functools
import logging
import stat
import time
from pathlib import Path
from typing import Any, Protocol

from wom.inputs.accounts import Given, given_by_attribute, read_accounts
from wom.inputs.parsers import (
    COMMUNITY_PREFIX,
    SUFFIX_FORMATS,
    GraphFileError,
    LoadedGraph,
    clean_ties,
    decode,
    parse_csv,
    parse_edgelist,
    parse_networkx,
    read_bytes,
)
from wom.inputs.segments import assemble, labels_from_attribute, labels_from_file, louvain


class GraphFileSpec(Protocol):
    """What :func:`load_graph` reads of a scenario's ``network.file`` block."""

    @property
    def path(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def labels(self) -> str | None: ...
    @property
    def attribute(self) -> str | None: ...
    @property
    def label_prefix(self) -> str: ...
    @property
    def resolution(self) -> float: ...
    @property
    def account_attribute(self) -> str | None: ...
    @property
    def role_attribute(self) -> str: ...


def load_graph(spec: GraphFileSpec, *, base: Path, seed: int) -> LoadedGraph:
    """Read the graph file of a scenario.

    Parameters
    ----------
    spec
        The scenario's ``network.file`` block.
    base
        Folder that relative ``path`` and ``labels`` are resolved against (the scenario's).
    seed
        Seed of the Louvain community search (used only without labels or attribute).

    Returns
    -------
    LoadedGraph
        Cached in-process: the same object is returned until a file changes (its
        modification time or size), so treat it as read-only.

    Raises
    ------
    GraphFileError
        For any file that is missing or cannot be parsed, naming the file and line.
    """
    path = _resolve(spec.path, base)
    labels = None if spec.labels is None else _resolve(spec.labels, base)
    return _load(
        path, _stamp(path),
        labels, None if labels is None else _stamp(labels),
        spec.format, spec.attribute, spec.label_prefix, float(spec.resolution), int(seed),
        spec.account_attribute, spec.role_attribute,
    )


def _resolve(name: str, base: Path) -> Path:
    p = Path(name).expanduser()
    return (p if p.is_absolute() else Path(base) / p).resolve()


def _stamp(path: Path) -> tuple[int, int]:
    """``(mtime_ns, size)``: the cache key part that changes when the file does."""
    if path.is_dir():
        raise GraphFileError(path, None, "is a folder, not a file")
    try:
        st = path.stat()
    except FileNotFoundError:
        raise GraphFileError(path, None, "file not found") from None
    except OSError as err:
        raise GraphFileError(path, None, f"cannot read: {err.strerror or err}") from None
    if not stat.S_ISREG(st.st_mode):
        raise GraphFileError(path, None, "is not a regular file")
    return st.st_mtime_ns, st.st_size


log = logging.getLogger(__name__)
#: Graphs with this many ties get a notice before Louvain (it takes seconds to minutes).
LOUVAIN_NOTICE = 20_000
#: Louvain's time per 100,000 ties on a 2-core machine (networkx; issue 14's probe: 24 s at
#: 100,000 ties, more than 240 s at a million).
LOUVAIN_SECONDS_PER_100K = 25


@functools.lru_cache(maxsize=16)
def _load(
    path: Path, _path_stamp: tuple[int, int],
    labels: Path | None, _labels_stamp: tuple[int, int] | None,
    fmt: str, attribute: str | None, prefix: str, resolution: float, seed: int,
    account_attribute: str | None = None, role_attribute: str = "role",
) -> LoadedGraph:
    if fmt == "auto":
        fmt = SUFFIX_FORMATS.get(path.suffix.lower(), "edgelist")
    if attribute is not None and fmt not in ("gml", "graphml"):
        raise GraphFileError(path, None, f"`attribute` is read from GML or GraphML nodes, but "
                             f"this file is read as {fmt}: give a `labels` file instead")
    if account_attribute is not None and fmt not in ("gml", "graphml"):
        raise GraphFileError(path, None, f"`account_attribute` is read from GML or GraphML "
                             f"nodes, but this file is read as {fmt}: give the `labels` file "
                             "`account` and `role` columns instead")
    data = read_bytes(path)
    attrs: list[dict[str, Any]] | None = None
    default: dict[str, Any] = {}
    notes: dict[str, int | str] = {"format": fmt}
    if fmt == "edgelist":
        nodes, src, dst, header = parse_edgelist(path, decode(path, data))
        if header:
            notes["edgelist_header"] = header
    elif fmt == "csv":
        nodes, src, dst, header = parse_csv(path, decode(path, data))
        if header:
            notes["csv_header"] = header
    else:
        nodes, src, dst, attrs, default = parse_networkx(path, decode(path, data), fmt, notes)
    ties = clean_ties(path, len(nodes), src, dst, notes)

    extra: list[str] = []
    given: list[Given] | None = None
    if labels is not None:
        text = decode(labels, read_bytes(labels))
        seg_label, extra, header, given = labels_from_file(labels, text, nodes, path)
        if given is not None and account_attribute is not None:
            raise GraphFileError(labels, None, "gives accounts (its `account` column), and "
                                 f"so does `account_attribute` ({account_attribute!r}) in "
                                 f"{path.name}: give them in one place")
        if given is not None:
            notes["accounts_from"] = "labels file"
        if header:
            notes["labels_header"] = header
        notes["segments_from"] = "labels file"
    elif attrs is not None and attribute is not None:
        seg_label = labels_from_attribute(path, attribute, nodes, attrs, default)
        notes["segments_from"] = "attribute"
    else:
        started = time.perf_counter()
        if len(ties[0]) >= LOUVAIN_NOTICE:  # minutes on big graphs: say so, and why
            log.info("%s: finding segments with Louvain in %s people and %s ties (about "
                     "%d s per 100,000 ties here; a labels file skips it)…", path.name,
                     f"{len(nodes):,}", f"{len(ties[0]):,}", LOUVAIN_SECONDS_PER_100K)
        seg_label = louvain(len(nodes), ties, seed, resolution)
        if len(ties[0]) >= LOUVAIN_NOTICE:
            log.info("%s: %s segments found in %.0f s", path.name,
                     f"{len(set(seg_label)):,}", time.perf_counter() - started)
        prefix = prefix or COMMUNITY_PREFIX
        notes["segments_from"] = "louvain"
    notes["people_only_in_labels"] = len(extra)
    accounts_at = labels
    if account_attribute is not None and attrs is not None:
        given = given_by_attribute(path, account_attribute, role_attribute, nodes, attrs,
                                   default) + [Given("", "", None)] * len(extra)
        notes["accounts_from"] = "attribute"
        accounts_at = path
    accounts = None if given is None else read_accounts(
        accounts_at or path, nodes + extra, [prefix + x for x in seg_label], given)
    return assemble(nodes + extra, seg_label, ties, prefix, notes, accounts)

