"""Each person's account and role in a graph file's market: from the people (labels) file's
``account`` and ``role`` columns, or from GML/GraphML node attributes.

People with the same account buy together (docs/model.md, accounts). Every account of two or
more people must have exactly one buyer and one payer (possibly the same person, ``buyer+payer``)
and sit inside one segment; an account of one person, and a person given no account, is
buyer, payer and user at once (a person buying alone). A person given no role is a user.
Every problem is a :class:`~wom.inputs.parsers.GraphFileError` naming the file, the line (a
people file) or the node (node attributes), and the account.

The role bits here are those of :mod:`wom.market.accounts` (checked by a test): the market
turns these arrays into its :class:`~wom.market.accounts.AccountArrays`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wom.inputs.parsers import GraphFileError

#: Role bits of :attr:`FileAccounts.role` (the market's: user 1, buyer 2, payer 4).
USER, BUYER, PAYER = 1, 2, 4
#: Buyer, payer and user at once: an account of one person.
ALONE = USER | BUYER | PAYER
#: The roles' names as files write them.
ROLE_BITS = {"user": USER, "buyer": BUYER, "payer": PAYER}
#: Between the roles of a person who holds several: ``buyer+payer``, ``buyer,payer`` (quoted
#: in a CSV file), ``buyer/payer``, ``buyer;payer``, ``buyer payer``.
_BETWEEN_ROLES = re.compile(r"[+,;/|&\s]+")
#: The people file's columns for accounts.
ACCOUNT_COLUMN, ROLE_COLUMN = "account", "role"


@dataclass(frozen=True)
class Given:
    """One person's account and role as a file gives them (``""``: not given), and where:
    the line of a people file, or ``None`` for a node attribute."""

    account: str
    role: str
    line: int | None


@dataclass(frozen=True)
class FileAccounts:
    """The accounts of a graph file's people, in the file's order (before renumbering).

    Attributes
    ----------
    account
        ``int64[N]``: each person's account, numbered by first appearance (people given no
        account get accounts of their own, numbered after the others).
    role
        ``int8[N]``: each person's roles (bits :data:`USER`, :data:`BUYER`, :data:`PAYER`);
        everyone alone in an account holds all three.
    names
        Each account's id in the file (``""`` for a person given no account).
    """

    account: np.ndarray
    role: np.ndarray
    names: tuple[str, ...]


def role_bits(path: Path, text: str, where: str, line: int | None) -> int:
    """The role bits of `text` (``""``: a user); an error naming `where` otherwise."""
    words = [w for w in _BETWEEN_ROLES.split(text.strip().lower()) if w]
    if not words:
        return USER
    bits = 0
    for word in words:
        bit = ROLE_BITS.get(word)
        if bit is None:
            raise GraphFileError(path, line, f"{where}{text.strip()!r} is not a role: give "
                                 "user, buyer or payer, or several joined by + (buyer+payer); "
                                 "no role means user", ROLE_COLUMN if line is not None else None)
        bits |= bit
    return bits


def _where(nodes: list[str], i: int, line: int | None) -> str:
    """How an error names person `i`: by line in a people file, by node otherwise."""
    return f"line {line}" if line is not None else f"node {nodes[i]!r}"


def read_accounts(path: Path, nodes: list[str], labels: list[str], given: list[Given],
                  ) -> FileAccounts:
    """Check and number the accounts `given` for the people `nodes` of segments `labels`.

    Raises
    ------
    GraphFileError
        A role that does not exist; an account across two segments; an account of two or
        more people without exactly one buyer and one payer. Naming the account, and the
        line (or node) at fault.
    """
    n = len(nodes)
    column = ACCOUNT_COLUMN if any(g.line is not None for g in given) else None
    index: dict[str, int] = {}
    first: list[int] = []  # each account's first person
    account = np.empty(n, dtype=np.int64)
    role = np.empty(n, dtype=np.int8)
    alone: list[int] = []
    for i, g in enumerate(given):
        at = "" if g.line is not None else f"node {nodes[i]!r}: "
        role[i] = role_bits(path, g.role, at, g.line)
        if not g.account:
            alone.append(i)
            continue
        a = index.setdefault(g.account, len(index))
        if a == len(first):
            first.append(i)
        elif labels[i] != labels[first[a]]:
            j = first[a]
            raise GraphFileError(
                path, g.line, f"account {g.account!r} has people of two segments: "
                f"{labels[j]!r} ({_where(nodes, j, given[j].line)}) and {labels[i]!r} "
                f"({_where(nodes, i, g.line)}); an account sits inside one segment", column)
        account[i] = a
    names = list(index)
    for k, i in enumerate(alone):
        account[i] = len(names) + k
    names += [""] * len(alone)
    sizes = np.bincount(account, minlength=len(names))
    for bit, what in ((BUYER, "buyer"), (PAYER, "payer")):
        holders = np.flatnonzero(role & bit)
        count = np.bincount(account[holders], minlength=len(names))
        bad = np.flatnonzero((sizes > 1) & (count != 1))
        if bad.size == 0:
            continue
        a = int(bad[np.argmin([first[b] for b in bad])])  # the first in the file's order
        members = np.flatnonzero(account == a)
        if count[a] == 0:
            i = int(members[0])
            raise GraphFileError(
                path, given[i].line, f"account {names[a]!r} ({sizes[a]} people, from "
                f"{_where(nodes, i, given[i].line)}) has no {what}: give one of them the role "
                f"{what}{' (buyer+payer if they also pay)' if what == 'buyer' else ''}",
                ROLE_COLUMN if given[i].line is not None else None)
        mine = holders[account[holders] == a]
        i, j = int(mine[0]), int(mine[1])
        raise GraphFileError(
            path, given[j].line, f"account {names[a]!r} has two {what}s: "
            f"{_where(nodes, i, given[i].line)} and {_where(nodes, j, given[j].line)} (an "
            "account has one buyer and one payer, who may be the same person: buyer+payer)",
            ROLE_COLUMN if given[j].line is not None else None)
    role[sizes[account] == 1] = ALONE  # alone: buyer, payer and user at once
    return FileAccounts(account=account, role=role, names=tuple(names))


def given_by_attribute(path: Path, account_attribute: str, role_attribute: str,
                       nodes: list[str], attrs: list[dict[str, Any]],
                       default: dict[str, Any]) -> list[Given]:
    """Each node's account and role from GML/GraphML node attributes (a node without the
    account attribute buys alone; without the role attribute, is a user)."""

    def value(d: dict[str, Any], key: str) -> str:
        x = d.get(key, default.get(key))
        return "" if x is None else str(x).strip()

    if not any(account_attribute in d for d in attrs) and account_attribute not in default:
        known = sorted({k for d in attrs for k in d})
        raise GraphFileError(path, None, f"no node has the account attribute "
                             f"{account_attribute!r} (attributes found: "
                             f"{', '.join(known) if known else 'none'})")
    return [Given(value(d, account_attribute), value(d, role_attribute), None) for d in attrs]


def renumber(acc: FileAccounts, perm: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                            tuple[str, ...]]:
    """The accounts of people renumbered by `perm` (new id → old id): ``(account, role,
    names)`` per new id, accounts numbered by their first person's new id (so segment by
    segment when people are)."""
    old = acc.account[perm]
    if old.size == 0:
        return old.copy(), acc.role[perm], ()
    ids, first = np.unique(old, return_index=True)
    order = ids[np.argsort(first, kind="stable")]
    new = np.empty(len(acc.names), dtype=np.int64)
    new[order] = np.arange(order.size, dtype=np.int64)
    return new[old], acc.role[perm], tuple(acc.names[a] for a in order.tolist())
