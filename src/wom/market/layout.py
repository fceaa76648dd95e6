"""Where to draw each person: segments as disks around a circle, in O(N) with numpy.

A spring layout costs O(N²) per iteration and hides the segments; here a segment's centre
sits on the unit circle and its members are scattered uniformly in a disk around it, whose
radius grows with the square root of the segment's size (the same density in every disk).
"""

from __future__ import annotations

import numpy as np

from wom.market.population import Population

#: Radius of the largest disk, as a share of the distance between neighbouring centres.
_DISK = 0.45


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
    # sqrt of a uniform radius gives a uniform density over the disk's area.
    r = radii[seg] * np.sqrt(rng.random(seg.size))
    theta = 2.0 * np.pi * rng.random(seg.size)
    return centres[seg] + np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def segment_layout(
    population: Population, *, rng: np.random.Generator
) -> dict[int, tuple[float, float]]:
    """Segment-grouped positions, ``{person: (x, y)}``, as Mesa and networkx take them.

    See :func:`segment_positions` for the array form and the parameters.
    """
    pos = segment_positions(population, rng=rng)
    return {v: (x, y) for v, (x, y) in enumerate(pos.tolist())}
