"""The kernels' random numbers: xoshiro256** (Blackman & Vigna 2018), inlined.

numpy's Generator costs a call through a function pointer per draw, a third of the time of a
cascade. The state is four 64-bit words seeded from the caller's Generator (or from one
64-bit seed with splitmix64), so one scenario seed still fixes everything.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _rotl(x, k):  # pragma: no cover - compiled
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@numba.njit(cache=True, inline="always")
def next_bits(state):  # pragma: no cover - compiled
    """Next 64 random bits."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return result


@numba.njit(cache=True, inline="always")
def uniform(state):  # pragma: no cover - compiled
    """A double in [0, 1) with 53 random bits."""
    return float(next_bits(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True, inline="always")
def below(state, n):  # pragma: no cover - compiled
    """An integer in [0, n), n < 2**32 (Lemire's multiply-shift; bias below 2**-32)."""
    return np.int64(((next_bits(state) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@numba.njit(cache=True, inline="always")
def geometric_skip(state, log_q):  # pragma: no cover - compiled
    """Failures before the next success of independent trials that fail with probability
    ``q = exp(log_q)``: how many ties an advocate passes over before the next one tried."""
    return np.floor(np.log(1.0 - uniform(state)) / log_q)


def new_state(rng: np.random.Generator) -> np.ndarray:
    """A kernel generator state drawn from `rng` (never all zero)."""
    return rng.integers(1, 2**63, size=4, dtype=np.int64).astype(np.uint64)


@numba.njit(cache=True)
def seed_state(state, seed):  # pragma: no cover - compiled
    """Fill a state from one 64-bit seed with splitmix64 (for many short runs)."""
    x = np.uint64(seed)
    for i in range(4):
        x += np.uint64(0x9E3779B97F4A7C15)
        z = x
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        state[i] = z ^ (z >> np.uint64(31))
