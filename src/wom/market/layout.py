"""Where to draw each person: segments as disks around a circle, in O(N) with numpy.

A spring layout costs O(N²) per iteration and hides the segments; here a segment's centre
sits on the unit circle and its members are scattered uniformly in a disk around it, whose
radius grows with the square root of the segment's size (the same density in every disk).

In a market of accounts (:mod:`wom.market.accounts`) the members of an account sit together:
a segment's accounts are spread evenly over its disk (a sunflower spiral, in a random order)
and each account's members sit on a small circle around its point (a small sunflower for
accounts of more than :data:`RING_MAX`), so an account reads as one cluster. A segment of
accounts of one is scattered as without accounts; a market without accounts is laid out
exactly as before (the same draws).
"""

from __future__ import annotations

import numpy as np

from wom.market.population import Population

#: Radius of the largest disk, as a share of the distance between neighbouring centres.
_DISK = 0.45
#: An account's cluster radius, as a share of the radius of a disk holding its share of the
#: segment's people: a cluster covers about an eighth of its room, so the gaps between
#: clusters are wider than those inside one and an account reads as a group.
CLUSTER = 0.35
#: Accounts of up to this many people sit on a ring; larger ones fill a small disk.
RING_MAX = 7
#: The golden angle, between successive points of a sunflower spiral.
GOLDEN = np.pi * (3.0 - np.sqrt(5.0))


def segment_centres(n_segments: int) -> np.ndarray:
    """``float64[S, 2]``: segment centres evenly spaced on the unit circle (origin if S = 1)."""
    if n_segments == 1:
        return np.zeros((1, 2))
    angle = 2.0 * np.pi * np.arange(n_segments) / n_segments
    return np.column_stack([np.cos(angle), np.sin(angle)])


def segment_radii(sizes: np.ndarray) -> np.ndarray:
    """``float64[S]``: disk radius per segment, ∝ sqrt(size); neighbouring disks never touch."""
    sizes = np.asarray(sizes, dtype=float)
    S = sizes.size
    # Distance between neighbouring centres on the unit circle (S = 2: the diameter).
    spacing = 2.0 * np.sin(np.pi / S) if S > 1 else 2.0
    return _DISK * spacing * np.sqrt(sizes / sizes.max())


def segment_positions(population: Population, *, rng: np.random.Generator) -> np.ndarray:
    """Segment-grouped positions as an array.

    Parameters
    ----------
    population
        The market; people are grouped by ``population.segment``.
    rng
        Draws each member's place inside its segment's disk.

    Returns
    -------
    numpy.ndarray
        ``float64[N, 2]``, row ``v`` is person ``v``'s ``(x, y)``.
    """
    seg = population.segment
    sizes = np.bincount(seg, minlength=population.n_segments)
    centres = segment_centres(population.n_segments)
    radii = segment_radii(sizes)
    if population.accounts is not None:
        return _account_positions(population, centres, radii, rng)
    # sqrt of a uniform radius gives a uniform density over the disk's area.
    r = radii[seg] * np.sqrt(rng.random(seg.size))
    theta = 2.0 * np.pi * rng.random(seg.size)
    return centres[seg] + np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def _account_positions(population: Population, centres: np.ndarray, radii: np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """Positions with each account's members together (see the module's docstring).

    Segment by segment: a segment whose accounts are all of one person is scattered
    uniformly over its disk (as without accounts); otherwise its accounts, in a random
    order, take the points of a sunflower spiral, each with room in proportion to its size,
    and every account's members sit around its point, turned by a random angle.
    """
    acc = population.accounts
    assert acc is not None
    pos = np.empty((population.n, 2), dtype=np.float64)
    size = acc.sizes()
    for k in range(centres.shape[0]):
        mine = np.flatnonzero(acc.segment == k)
        if mine.size == 0:
            continue
        radius = float(radii[k])
        if np.all(size[mine] == 1):
            people = np.flatnonzero(population.segment == k)
            r = radius * np.sqrt(rng.random(people.size))
            theta = 2.0 * np.pi * rng.random(people.size)
            pos[people] = centres[k] + np.column_stack([r * np.cos(theta), r * np.sin(theta)])
            continue
        order = mine[rng.permutation(mine.size)]
        turn = 2.0 * np.pi * rng.random(order.size)
        s = size[order].astype(np.float64)
        total = float(s.sum())
        cluster = CLUSTER * radius * np.sqrt(s / total)
        # Sunflower over the accounts: account j's point at the radius enclosing the room of
        # those before it and half its own, so every account has room ∝ its size; the
        # spiral is shrunk so that the largest cluster stays inside the disk.
        reach = radius - float(cluster.max())
        r = reach * np.sqrt((np.cumsum(s) - s / 2.0) / total)
        theta = GOLDEN * np.arange(order.size)
        point = centres[k] + np.column_stack([r * np.cos(theta), r * np.sin(theta)])
        # Every member of these accounts, account by account in `order`: `owner` is the
        # account's place in `order`, `i` the member's rank in its account.
        z = size[order]
        owner = np.repeat(np.arange(order.size), z)
        i = np.arange(owner.size) - np.repeat(np.cumsum(z) - z, z)
        who = acc.members[np.repeat(acc.ptr[order], z) + i]
        i, n_in = i.astype(np.float64), z[owner].astype(np.float64)
        ring = n_in <= RING_MAX
        # A ring of evenly spaced members (one person: the point itself); a larger
        # account: a small sunflower of them.
        rho = np.where(ring, cluster[owner], cluster[owner] * np.sqrt((i + 0.5) / n_in))
        rho[n_in == 1] = 0.0
        phi = turn[owner] + np.where(ring, 2.0 * np.pi * i / n_in, GOLDEN * i)
        pos[who] = point[owner] + np.column_stack([rho * np.cos(phi), rho * np.sin(phi)])
    return pos


def segment_layout(
    population: Population, *, rng: np.random.Generator
) -> dict[int, tuple[float, float]]:
    """Segment-grouped positions, ``{person: (x, y)}``, as Mesa and networkx take them.

    See :func:`segment_positions` for the array form and the parameters.
    """
    pos = segment_positions(population, rng=rng)
    return {v: (x, y) for v, (x, y) in enumerate(pos.tolist())}
