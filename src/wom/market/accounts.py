"""Accounts: the organisations and households that buy as one (docs/model.md, accounts).

Every person belongs to one account, inside one segment. Each account has a **buyer** and a
**payer** (possibly the same person); its other members are **users**. An account of one
person holds all three roles, which is a market of individuals. Roles are bit flags so a
person may hold several: :data:`USER`, :data:`BUYER`, :data:`PAYER`.

Generated markets put each segment's people into accounts of consecutive ids, of the sizes the
segment's ``accounts:`` block gives; the first member of an account is its buyer, the second
its payer (unless the buyer pays), the rest its users. A graph file may give each person's
account and role instead (:mod:`wom.inputs.graphfile`).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from wom.inputs.accounts import ROLE_BITS as FILE_ROLE_BITS

#: Role bits of ``AccountArrays.role``.
USER, BUYER, PAYER = 1, 2, 4
#: An account of one: buyer, payer and user at once.
ALONE = USER | BUYER | PAYER
#: The roles' names, as scenario files and graph files write them, by bit.
ROLE_BITS = {"user": USER, "buyer": BUYER, "payer": PAYER}


class AccountArrays(NamedTuple):
    """Who is in which account, as flat arrays (``A`` accounts, ``N`` people).

    Accounts are numbered segment by segment, like people.
    """

    account: np.ndarray  # int32[N]: each person's account
    role: np.ndarray  # int8[N]: each person's roles (bits USER, BUYER, PAYER)
    ptr: np.ndarray  # int64[A+1]: account a's members are members[ptr[a]:ptr[a+1]]
    members: np.ndarray  # int32[N]: people, account by account
    buyer: np.ndarray  # int32[A]: each account's buyer
    payer: np.ndarray  # int32[A]: each account's payer
    segment: np.ndarray  # int32[A]: each account's segment

    @property
    def n(self) -> int:
        return int(self.buyer.shape[0])

    def sizes(self) -> np.ndarray:
        return np.diff(self.ptr)

    def by_segment(self, n_segments: int) -> np.ndarray:
        """``int64[S]``: accounts in each segment."""
        return np.bincount(self.segment, minlength=n_segments)


def account_sizes(spec, people: int, rng: np.random.Generator) -> np.ndarray:
    """Sizes of the accounts of a segment of `people` under its ``accounts:`` block `spec`
    (``None``: accounts of one). Fixed sizes draw nothing; a distribution draws sizes until
    the segment is full, the last account cut to fit."""
    if spec is None or spec.single:  # accounts of one draw nothing, however written
        return np.ones(people, dtype=np.int64)
    if spec.size is not None:
        full, rest = divmod(people, spec.size)
        return np.array([spec.size] * full + ([rest] if rest else []), dtype=np.int64)
    values = np.array(sorted(v for v, share in spec.sizes.items() if share > 0),
                      dtype=np.int64)
    shares = np.array([spec.sizes[v] for v in values.tolist()], dtype=np.float64)
    shares = shares / shares.sum()
    mean = float(values @ shares)
    out: list[np.ndarray] = []
    total = 0
    while total < people:
        batch = values[rng.choice(values.size, size=int(np.ceil((people - total) / mean)) + 1,
                                  p=shares)]
        out.append(batch)
        total += int(batch.sum())
    sizes = np.concatenate(out)
    ends = np.cumsum(sizes)
    last = int(np.searchsorted(ends, people))  # the account that reaches `people`
    sizes = sizes[: last + 1].copy()
    sizes[-1] -= int(ends[last]) - people
    return sizes


def from_sizes(sizes_by_segment: list[np.ndarray], buyer_pays: list[np.ndarray]
               ) -> AccountArrays:
    """Accounts of consecutive people: segment by segment, account by account; in each,
    the first member buys, the second pays (the first when `buyer_pays`), the rest use."""
    sizes = np.concatenate(sizes_by_segment).astype(np.int64)
    pays = np.concatenate(buyer_pays).astype(bool) | (sizes == 1)
    n_acc = sizes.size
    ptr = np.zeros(n_acc + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    n = int(ptr[-1])
    account = np.repeat(np.arange(n_acc, dtype=np.int32), sizes)
    segment = np.repeat(np.arange(len(sizes_by_segment), dtype=np.int32),
                        [s.size for s in sizes_by_segment])
    buyer = ptr[:-1].astype(np.int32)
    payer = np.where(pays, buyer, buyer + 1).astype(np.int32)
    # The buyer and the payer are not users (a payer who were would hear the message at the
    # user's resonance too, and contacts aimed at users would reach payers).
    role = np.full(n, USER, dtype=np.int8)
    role[buyer] = 0
    role[payer] = 0
    role[buyer] |= BUYER
    role[payer] |= PAYER
    role[buyer[sizes == 1]] = ALONE
    return AccountArrays(account=account, role=role, ptr=ptr,
                         members=np.arange(n, dtype=np.int32), buyer=buyer, payer=payer,
                         segment=segment)


def from_file(account: np.ndarray, role: np.ndarray, seg_start: np.ndarray) -> AccountArrays:
    """The accounts a graph file gives (:class:`wom.inputs.LoadedGraph`'s ``account`` and
    ``role``, already checked: one buyer and one payer per account, inside one segment;
    accounts numbered by their first person, so segment by segment). Members are listed
    account by account, in id order."""
    n = account.size
    bits = np.zeros(n, dtype=np.int8)
    for name, bit in ROLE_BITS.items():  # the file's bits, by name (the same today)
        bits[(role & FILE_ROLE_BITS[name]) != 0] |= bit
    n_acc = int(account.max()) + 1 if n else 0
    members = np.argsort(account, kind="stable").astype(np.int32)
    ptr = np.zeros(n_acc + 1, dtype=np.int64)
    np.cumsum(np.bincount(account, minlength=n_acc), out=ptr[1:])
    segment_of = np.repeat(np.arange(seg_start.size - 1, dtype=np.int32), np.diff(seg_start))
    buyer = np.empty(n_acc, dtype=np.int32)
    payer = np.empty(n_acc, dtype=np.int32)
    people = np.arange(n, dtype=np.int32)
    buyer[account[(bits & BUYER) != 0]] = people[(bits & BUYER) != 0]
    payer[account[(bits & PAYER) != 0]] = people[(bits & PAYER) != 0]
    return AccountArrays(account=account.astype(np.int32), role=bits, ptr=ptr,
                         members=members, buyer=buyer, payer=payer,
                         segment=segment_of[members[ptr[:-1]]])


def file_accounts(sc, seg_start: np.ndarray) -> AccountArrays | None:
    """The accounts of a market read from a graph file (``None``: the file gives none)."""
    spec = sc.network.file
    g = spec.load(Path.cwd())
    if g.account is not None and not sc.has_accounts:
        raise ValueError(f"{spec.path}: its accounts changed since the scenario was validated")
    if g.account is None:  # accounts of one (the scenario validated no other), or none
        if not sc.has_accounts:
            return None
        sizes = [np.ones(int(z), np.int64) for z in np.diff(seg_start)]
        return from_sizes(sizes, [np.ones(z.size, bool) for z in sizes])
    acc = from_file(g.account, g.role, seg_start)
    wrong = check_accounts(acc, int(seg_start[-1]), np.repeat(
        np.arange(seg_start.size - 1, dtype=np.int32), np.diff(seg_start)))
    if wrong is not None:  # the reader checked it all: a bug, not the user's file
        raise ValueError(f"{spec.path}: {wrong}")
    return acc


def draw_accounts(sc, seg_start: np.ndarray, rng: np.random.Generator) -> AccountArrays | None:
    """The accounts of a generated market (``None`` when no segment has an ``accounts:``
    block: a market of individuals). Draws only for a distribution of sizes (other than all
    ones) or a chance of the buyer paying strictly between 0 and 1, once per account of two
    or more: accounts of one draw nothing, so they leave the market of individuals' random
    numbers (and results) as they were. A market read from a graph file has the file's
    accounts (:func:`file_accounts`), drawing nothing."""
    if sc.network.model == "file":
        return file_accounts(sc, seg_start)
    if not any(s.accounts is not None for s in sc.segments):
        return None
    sizes, pays = [], []
    for k, seg in enumerate(sc.segments):
        people = int(seg_start[k + 1] - seg_start[k])
        z = account_sizes(seg.accounts, people, rng)
        share = 0.0 if seg.accounts is None else seg.accounts.buyer_is_payer
        p = np.full(z.size, share >= 1.0)
        several = z > 1
        if 0.0 < share < 1.0 and several.any():
            p[several] = rng.random(int(several.sum())) < share
        sizes.append(z)
        pays.append(p)
    return from_sizes(sizes, pays)


def check_accounts(acc: AccountArrays, n: int, segment: np.ndarray) -> str | None:
    """What is wrong with `acc` for a market of `n` people with segments `segment`, or None:
    every person in exactly one account, each account inside one segment, with exactly one
    buyer and one payer."""
    if acc.account.shape != (n,) or acc.members.shape != (n,):
        return "every person must belong to exactly one account"
    if np.any(np.diff(acc.ptr) < 1):
        return "an account has no members"
    seg_of = segment[acc.members]
    first = np.repeat(acc.segment, np.diff(acc.ptr))
    if np.any(seg_of != first):
        a = int(acc.account[acc.members[np.argmax(seg_of != first)]])
        return f"account {a} has people of two segments"
    return None
