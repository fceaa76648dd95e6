"""Each person's segment: from a people (labels) file, a node attribute, or Louvain
communities; then people renumbered segment by segment (:func:`assemble`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from wom.inputs.accounts import ACCOUNT_COLUMN, ROLE_COLUMN, FileAccounts, Given, renumber
from wom.inputs.parsers import (
    PEOPLE_COLUMNS,
    GraphFileError,
    LoadedGraph,
    graph_table,
)
from wom.inputs.tables import COMMENT, first_row_role, header_of, stray_header

_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?")
_DIGITS = re.compile(r"(\d+)")


def labels_from_file(
    path: Path, text: str, nodes: list[str], graph: Path
) -> tuple[list[str], list[str], str, list[Given] | None]:
    """Labels of the graph's nodes then of the extra nodes; the extra nodes (file order);
    the header line if one was recognised by its look (else ``""``); each person's account
    and role, in the same order, when the file has an ``account`` column (else ``None``).

    A people file with a header (``person,segment``, any delimiter) is read by column name;
    its columns ``account`` and ``role`` give accounts (:mod:`wom.inputs.accounts`), others
    are ignored. Without a header, each line is ``node<TAB>segment`` (or ``node segment``:
    the rest of the line is the segment). A first line whose person is a word above numbered
    people is a header; a first person who is a word not in the graph, above other words, is
    refused (it may be a header: name the columns instead).
    """
    rows, header = _people_rows(path, text), ""
    has_accounts = bool(rows) and rows[0][3] is not None
    if rows and header_of(text, PEOPLE_COLUMNS) is None:
        number, first, label, _, _ = rows[0]
        role = first_row_role((first,), [r[1] for r in rows[1:]], first in set(nodes))
        if role == "header":
            rows, header = rows[1:], f"{first}\t{label}"
        elif role == "ambiguous":
            raise GraphFileError(path, number, f"{first!r} is not a person of {graph.name}: "
                                 "if this line names the columns, call them `person` and "
                                 "`segment`; if it is someone who talks to nobody, put a "
                                 "header line `person<TAB>segment` above it")
    known_nodes = set(nodes)
    stray = stray_header(((n, (p, lab)) for n, p, lab, _, _ in rows[1:]),
                         lambda fields: fields[0] in known_nodes)
    if stray is not None:
        raise GraphFileError(path, *stray)
    seen: dict[str, tuple[str, int, Given]] = {}
    for number, node, label, account, held in rows:
        if not label:
            raise GraphFileError(path, number, "expected `node<TAB>segment`, found one field")
        given = Given(account or "", held or "", number)
        if node in seen:
            first, at, before = seen[node]
            if first != label:
                raise GraphFileError(path, number, f"node {node!r} is given segment {label!r}, "
                                     f"but line {at} gave it {first!r}")
            for what, now, then in (("account", given.account, before.account),
                                    ("role", given.role, before.role)):
                if now != then:
                    raise GraphFileError(path, number, f"person {node!r} is given {what} "
                                         f"{now!r}, but line {at} gave them {then!r}", what)
        seen.setdefault(node, (label, number, given))
    missing = [x for x in nodes if x not in seen]
    if missing:
        raise GraphFileError(path, None, f"{len(missing)} node(s) of {graph.name} have no "
                             f"segment here, e.g. node {missing[0]!r}")
    known = set(nodes)
    extra = [x for x in seen if x not in known]
    everyone = (*nodes, *extra)
    accounts = [seen[x][2] for x in everyone] if has_accounts else None
    return [seen[x][0] for x in everyone], extra, header, accounts


def _people_rows(path: Path, text: str) -> list[tuple[int, str, str, str | None, str | None]]:
    """``(line, person, segment, account, role)`` of a people (labels) file, with or without
    a header (account and role ``None`` without an ``account`` column)."""
    if header_of(text, PEOPLE_COLUMNS) is not None:
        table = graph_table(path, text, PEOPLE_COLUMNS, "people file")
        people, segments = table.column("person"), table.column("segment")
        if table.has(ROLE_COLUMN) and not table.has(ACCOUNT_COLUMN):
            raise GraphFileError(path, table.header_line, "a `role` column needs an "
                                 "`account` column: the roles are held in accounts (who buys "
                                 "with whom)", ROLE_COLUMN)
        n = len(people)
        accounts = table.column(ACCOUNT_COLUMN) if table.has(ACCOUNT_COLUMN) else [(0, None)] * n
        roles = (table.column(ROLE_COLUMN) if table.has(ROLE_COLUMN)
                 else [(0, "" if table.has(ACCOUNT_COLUMN) else None)] * n)
        out: list[tuple[int, str, str, str | None, str | None]] = []
        for (number, person), (_, segment), (_, account), (_, role) in zip(
                people, segments, accounts, roles, strict=True):
            if not person:
                raise GraphFileError(path, number, "no person id", "person")
            if not segment:
                raise GraphFileError(path, number, f"person {person!r} has no segment",
                                     "segment")
            out.append((number, person, segment, account, role))
        return out
    rows: list[tuple[int, str, str, str | None, str | None]] = []
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(COMMENT):
            continue
        parts = stripped.split("\t", 2) if "\t" in stripped else stripped.split(None, 1)
        rows.append((number, parts[0].strip(), parts[1].strip() if len(parts) > 1 else "",
                     None, None))
    return rows


def labels_from_attribute(
    path: Path, attribute: str, nodes: list[str], attrs: list[dict[str, Any]],
    default: dict[str, Any],
) -> list[str]:
    if attribute in default:
        return [str(d.get(attribute, default[attribute])) for d in attrs]
    missing = [x for x, d in zip(nodes, attrs, strict=True) if attribute not in d]
    if len(missing) == len(nodes):
        known = sorted({k for d in attrs for k in d})
        listed = ", ".join(known) if known else "none"
        raise GraphFileError(path, None, f"no node has the attribute {attribute!r} "
                             f"(attributes found: {listed})")
    if missing:
        raise GraphFileError(path, None, f"{len(missing)} node(s) have no attribute "
                             f"{attribute!r}, e.g. node {missing[0]!r}")
    return [str(d[attribute]) for d in attrs]


def louvain(n: int, ties: tuple[np.ndarray, np.ndarray], seed: int,
             resolution: float) -> list[str]:
    """Louvain communities numbered 1, 2, … by decreasing size (then first appearance)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(ties[0].tolist(), ties[1].tolist(), strict=True))
    found = nx.community.louvain_communities(g, seed=seed, resolution=resolution)
    found = sorted(found, key=lambda c: (-len(c), min(c)))
    labels = [""] * n
    for k, members in enumerate(found):
        for x in members:
            labels[x] = str(k + 1)
    return labels


def _label_order(labels: set[str]) -> list[str]:
    """Numbers numerically (2 before 10), anything else naturally (dept2 before dept10)."""
    if all(_NUMBER.fullmatch(x) for x in labels):
        return sorted(labels, key=lambda x: (float(x), x))

    def natural(x: str) -> tuple[tuple[int, int | str], ...]:
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in _DIGITS.split(x) if p)

    return sorted(labels, key=lambda x: (natural(x), x))



def assemble(nodes: list[str], labels: list[str], ties: tuple[np.ndarray, np.ndarray],
              prefix: str, notes: dict[str, int | str],
              accounts: FileAccounts | None = None) -> LoadedGraph:
    """People renumbered segment by segment (segments in the natural order of their
    labels, people in file order inside each), their ties and accounts with them."""
    order = _label_order(set(labels))
    index = {lab: k for k, lab in enumerate(order)}
    segment = np.array([index[lab] for lab in labels], dtype=np.int64)
    perm = np.argsort(segment, kind="stable")  # new id -> old id
    new_id = np.empty(len(nodes), dtype=np.int64)
    new_id[perm] = np.arange(len(nodes), dtype=np.int64)
    a, b = new_id[ties[0]], new_id[ties[1]]
    key = np.sort(np.minimum(a, b) * len(nodes) + np.maximum(a, b))
    u, v = key // len(nodes), key % len(nodes)
    sizes = np.bincount(segment, minlength=len(order)).astype(np.int64)
    degree = np.bincount(np.concatenate([u, v]), minlength=len(nodes))
    notes["isolated_people"] = int(np.sum(degree == 0))
    account = role = None
    account_ids: tuple[str, ...] = ()
    if accounts is not None:
        account, role, account_ids = renumber(accounts, perm)
        size = np.bincount(account, minlength=len(account_ids))
        notes["accounts"] = int(np.sum(size > 1))
        notes["people_in_accounts"] = int(np.sum(size[account] > 1))
    for arr in (sizes, u, v, account, role):
        if arr is not None:
            arr.flags.writeable = False
    return LoadedGraph(
        names=tuple(prefix + lab for lab in order),
        sizes=sizes,
        u=u,
        v=v,
        node_ids=tuple(nodes[i] for i in perm.tolist()),
        notes=notes,
        account=account,
        role=role,
        account_ids=account_ids,
    )
