"""What the pictures of the graph draw of a market of accounts (docs/model.md, "Accounts").

A panel (:class:`wom.viz.drawing.Panel`) of a market of accounts shows, week by week, the
accounts won (a dark ring around their members: :func:`rings`), the people convinced whose
account has not bought yet (a hollow marker in their segment's colour: :func:`waiting_at`),
and who buys and who pays in each account of two or more (:func:`role_marks`: a triangle, a
square; a diamond for a buyer who pays). A big market is drawn as a sample of whole accounts
(:func:`sample_accounts`). Nothing here is used for a market without accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from wom.engine import NEVER
from wom.market.accounts import BUYER, PAYER, AccountArrays

if TYPE_CHECKING:
    from matplotlib.lines import Line2D
    from matplotlib.path import Path

#: The marker of a person by the roles they hold in an account of two or more (an account
#: of one, or a user: a dot), and the legend's words for each.
ROLE_MARKERS = {0: "o", BUYER: "^", PAYER: "s", BUYER | PAYER: "D"}
ROLE_LABELS = {BUYER: "buyer", PAYER: "payer", BUYER | PAYER: "buyer who also pays"}
#: Buyers' and payers' markers are this much larger in area than users' (their shape reads).
ROLE_AREA = 2.0
#: Room between an account's outermost member and its ring, in points, beyond the radius of
#: a customer's marker; a panel's drawing is about :data:`PANEL_POINTS` points across.
RING_GAP_POINTS = 1.5
PANEL_POINTS = 300.0
WAITING_LABEL = "convinced, waiting for\ntheir account to buy"
RING_LABEL = "account won (a ring\naround its members)"


@dataclass
class AccountHistory:
    """What a panel of a market of accounts needs to draw any week.

    Attributes
    ----------
    accounts
        Who is in which account, with which roles (``Population.accounts``).
    convinced_at
        ``int32[N]``: the week each person was convinced, NEVER if not (yet).
    bought_at, left_at
        ``int32[A]``: the week each account bought, and left (churn); NEVER if not.
    """

    accounts: AccountArrays
    convinced_at: np.ndarray
    bought_at: np.ndarray
    left_at: np.ndarray


def waiting_at(convinced_at: np.ndarray, adopted_at: np.ndarray, week: int) -> np.ndarray:
    """``bool[...]``: people *waiting* at the end of `week` — convinced at or before it
    (``convinced_at``: NEVER for never) and not yet customers (their account had not bought
    by then: ``adopted_at`` NEVER or later)."""
    convinced = (convinced_at != NEVER) & (convinced_at <= week)
    return convinced & ((adopted_at == NEVER) | (adopted_at > week))


def role_marks(acc: AccountArrays, people: np.ndarray) -> np.ndarray:
    """``int8[k]``: a key of :data:`ROLE_MARKERS` per person: their buyer and payer bits in
    an account of two or more, 0 for users and accounts of one."""
    bits = (acc.role[people] & (BUYER | PAYER)).astype(np.int8)
    bits[acc.sizes()[acc.account[people]] < 2] = 0
    return bits


def marker_path(marker: str) -> Path:
    """`marker`'s path as ``scatter`` draws it (unit size)."""
    from matplotlib.markers import MarkerStyle

    style = MarkerStyle(marker)
    return style.get_path().transformed(style.get_transform())


def role_paths(acc: AccountArrays, people: np.ndarray) -> np.ndarray:
    """``object[k]``: each person's marker path (:data:`ROLE_MARKERS`), to pick from by mask."""
    paths = {k: marker_path(m) for k, m in ROLE_MARKERS.items()}
    out = np.empty(people.size, dtype=object)
    out[:] = [paths[int(k)] for k in role_marks(acc, people)]
    return out


def rings(acc: AccountArrays, people: np.ndarray, xy: np.ndarray, big: float
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The accounts with a member among `people` (drawn at `xy`), and a ring around each.

    Returns
    -------
    accounts, centres, diameters
        ``int64[a]`` sorted; ``float64[a, 2]`` the centre of their members drawn;
        ``float64[a]`` the diameter of a circle around them all, with room for a buyer's
        marker of area `big` (points²) and :data:`RING_GAP_POINTS` to spare.
    """
    accounts, local = np.unique(acc.account[people], return_inverse=True)
    count = np.bincount(local).astype(np.float64)
    centres = np.column_stack([np.bincount(local, xy[:, 0]) / count,
                               np.bincount(local, xy[:, 1]) / count])
    reach = np.zeros(accounts.size)
    np.maximum.at(reach, local, np.linalg.norm(xy - centres[local], axis=1))
    span = float(np.ptp(xy, axis=0).max()) if people.size > 1 else 1.0
    gap = span * (np.sqrt(big * ROLE_AREA) / 2.0 + RING_GAP_POINTS) / PANEL_POINTS
    return accounts.astype(np.int64), centres, 2.0 * (reach + gap)


def legend_handles(acc: AccountArrays, edge: str) -> list[Line2D]:
    """The legend's entries for a market of accounts: people waiting, accounts won, and
    each of buyer, payer and buyer who also pays that the market has."""
    from matplotlib.lines import Line2D

    def mark(label: str, face: str, size: float, marker: str = "o",
             line: str = "#7f7f7f") -> Line2D:
        return Line2D([], [], linestyle="none", marker=marker, markersize=size,
                      markerfacecolor=face, markeredgecolor=line, label=label)

    handles = [mark(WAITING_LABEL, "none", 7.0), mark(RING_LABEL, "none", 13.0, line=edge)]
    held = set(np.unique(role_marks(acc, acc.members)).tolist())
    handles += [mark(label, "#7f7f7f", 7.0, ROLE_MARKERS[bits], edge)
                for bits, label in ROLE_LABELS.items() if bits in held]
    return handles


def sample_accounts(acc: AccountArrays | None, max_people: int,
                    rng: np.random.Generator) -> np.ndarray | None:
    """``int64[k]``, sorted: the members of accounts taken in a random order while they fit
    in `max_people`; ``None`` without accounts, or when not even one account fits (a
    uniform sample of people then)."""
    if acc is None:
        return None
    order = rng.permutation(acc.n)
    fits = int(np.searchsorted(np.cumsum(acc.sizes()[order]), max_people, side="right"))
    if fits == 0:
        return None
    taken = order[:fits]
    return np.sort(acc.members[_ranges(acc.ptr[taken], acc.ptr[taken + 1])]).astype(np.int64)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``int64[...]``: ``starts[0]…ends[0]−1``, then ``starts[1]…ends[1]−1``, …"""
    lengths = (ends - starts).astype(np.int64)
    first = np.repeat(starts.astype(np.int64) - (np.cumsum(lengths) - lengths), lengths)
    return first + np.arange(int(lengths.sum()), dtype=np.int64)
