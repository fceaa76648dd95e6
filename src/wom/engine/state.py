"""What the kernels work on, grouped: the market, the parameters, people's state, scratch.

The kernels take these named tuples instead of dozens of positional arrays (numba compiles
a named tuple of arrays into a struct): :class:`Market` is read-only during a run,
:class:`Params` are the rule's numbers, :class:`People` is everyone's state and
:class:`Scratch` the working space of one step. A new mechanism adds its parameters to
:class:`Params` and its per-person state to :class:`People` (docs/developing.md).

Causes of adoption are numbered: :data:`SEED`, :data:`MARKETING`, :data:`BACKGROUND`,
:data:`WOM`, in the order of :data:`CAUSES` (the ``new_by_<cause>`` columns of every table).
Customers who leave (churn) are counted in two rows, :data:`LEFT_SEEDS` (seeds) and
:data:`LEFT_OTHERS` (everyone else, today's customers included): seeds did not pay.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from wom.config import Dynamics
from wom.market import Population

#: Why a person adopted: numbers stored in ``People.cause`` and used as table rows.
SEED, MARKETING, BACKGROUND, WOM = 0, 1, 2, 3
#: ``People.cause`` of today's customers (they adopted before the run: no cause of its own).
EXISTING = -2
#: ``People.adopted_at`` of someone who has not adopted (steps before the run are negative).
NEVER = int(np.iinfo(np.int32).min)
#: The causes' names, by number (``new_by_seed``, ``new_by_marketing``,
#: ``new_by_background``, ``new_by_wom``).
CAUSES = ("seed", "marketing", "background", "wom")
#: Slots of ``People.counters``: adopters so far; the advocates are
#: ``advocates[counters[TALK_FROM]:counters[TALK_TO]]``.
ADOPTED, TALK_FROM, TALK_TO = 0, 1, 2
#: Rows of ``Tally.churned``: customers who left, seeds apart from the others.
LEFT_SEEDS, LEFT_OTHERS = 0, 1


class Market(NamedTuple):
    """The market as the kernels read it (never written during a run)."""

    indptr: np.ndarray  # int64[N+1]: CSR row pointers of the conversation graph
    indices: np.ndarray  # int32[2E]: each person's neighbours
    segment: np.ndarray  # int32[N]: each person's segment
    seg_start: np.ndarray  # int64[S+1]: segment k is people seg_start[k]:seg_start[k+1]
    references: np.ndarray  # int32[N]: same-segment adopters needed before adopting


class Params(NamedTuple):
    """The adoption rule's numbers (docs/model.md)."""

    resonance: np.ndarray  # float64[M, S]: resonance of message m in segment k
    weak_tie: float  # strength of a cross-segment tie
    beta: float  # word of mouth: chance per advocate, tie and step at full resonance
    alpha: float  # marketing: chance a reached person converts at full resonance
    background: float  # chance per step that a person adopts through outside channels
    talk_weeks: int  # steps an adopter advocates after adopting
    need_refs: bool  # whether anyone needs references (else they are not counted)
    p_max: np.ndarray  # float64[M]: largest word-of-mouth chance of each message on any tie
    log_q: np.ndarray  # float64[M]: log(1 − p_max), for geometric skips
    churn: np.ndarray  # float64[S]: chance per step that a customer of segment k leaves
    churn_max: float  # the largest of them (0: nobody ever leaves, the stage is skipped)


class People(NamedTuple):
    """Everyone's state during a run.

    Who advocates is held as state: ``advocates[counters[TALK_FROM]:counters[TALK_TO]]``,
    each with the last step it talks in (``advocate_until``), in the order they adopted. Each
    step's adopters are appended; those whose talk weeks are over leave from the front (in
    adoption order they are always first). A mechanism that silences someone else (a
    customer who leaves) removes them from the window; nothing else assumes who advocates.
    """

    open_segment: np.ndarray  # int32[N]: the person's segment while they may adopt, else −1
    adopted_at: np.ndarray  # int32[N]: step of adoption (< 0: before the run), NEVER if not
    message: np.ndarray  # int32[N]: the message the person adopted with (and retells)
    cause: np.ndarray  # int8[N]: why they adopted (SEED …, EXISTING: before the run), −1 if not
    reference_count: np.ndarray  # int32[N]: same-segment adopters among the neighbours
    order: np.ndarray  # int32[N]: adopters in the order they adopted (first counters[ADOPTED])
    step_start: np.ndarray  # int64[H+1]: adopters before each step
    advocates: np.ndarray  # int32[N]: who talks in the coming step (the TALK_FROM:TALK_TO window)
    advocate_tag: np.ndarray  # int64[N]: each advocate's message << 32 | segment
    advocate_until: np.ndarray  # int32[N]: the last step each advocate talks in
    left_at: np.ndarray  # int32[N]: step the customer left (churned), NEVER if they did not
    counters: np.ndarray  # int64[3]: adopters (ADOPTED), the advocates' window (TALK_FROM/TO)


class Scratch(NamedTuple):
    """Working space of a step; its contents do not carry meaning between steps."""

    perm: np.ndarray  # int32[N]: people, partly shuffled, to draw distinct contacts
    stamp: np.ndarray  # int32[N]: the step a person last had a successful trial
    weight: np.ndarray  # float64[N]: sum of the probabilities of those trials
    pick_cause: np.ndarray  # int8[N]: the cause drawn among them
    pick_message: np.ndarray  # int32[N]: and its message
    touched: np.ndarray  # int32[N]: people with a successful trial this step


class Actions(NamedTuple):
    """What the campaign does in one step."""

    seeds: np.ndarray  # int32[k]: people who adopt now
    seed_message: np.ndarray  # int32[k]: the message each seed carries
    contacts: np.ndarray  # int64[S]: distinct people reached in each segment
    contact_message: np.ndarray  # int32[S]: the message heard in each segment


class Tally(NamedTuple):
    """What happened in a step, per segment."""

    new_by_cause: np.ndarray  # int64[len(CAUSES), S]
    reached: np.ndarray  # int64[S]
    churned: np.ndarray  # int64[2, S]: customers who left, rows LEFT_SEEDS and LEFT_OTHERS


def new_tally(S: int) -> Tally:
    """An empty tally for `S` segments."""
    return Tally(np.zeros((len(CAUSES), S), np.int64), np.zeros(S, np.int64),
                 np.zeros((2, S), np.int64))


def market_of(pop: Population) -> Market:
    """The kernels' view of a population."""
    return Market(pop.indptr, pop.indices, pop.segment, pop.seg_start, pop.references)


def resonance_matrix(dyn: Dynamics, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """``float64[S+1, S]``: resonance of message ``m`` (row) in segment ``k`` (column).

    Message ``k < S`` is tailored to segment ``k``; message ``S`` is the generic one.
    """
    S = len(names)
    overlap = dyn.overlap
    if isinstance(overlap, dict):  # a default and the pairs the file names
        default = overlap.get("default", 0.2)
        r = np.full((S + 1, S), default if isinstance(default, float | int) else 0.2,
                    dtype=np.float64)
        index = {name: k for k, name in enumerate(names)}
        for written_for, row in overlap.items():
            m = index.get(written_for)
            if m is None or not isinstance(row, dict):
                continue
            for heard_in, value in row.items():
                if heard_in in index:
                    r[m, index[heard_in]] = value
    else:
        r = np.full((S + 1, S), float(overlap), dtype=np.float64)
    r[np.arange(S), np.arange(S)] = 1.0  # a message in its own segment
    r[S] = dyn.generic_resonance
    return r  # (what Dynamics.overlap_of says for each pair, in O(S² + pairs named))


@numba.njit(cache=True)
def _largest_chance(resonance, beta):  # pragma: no cover - compiled
    m = resonance.shape[0]
    p_max = np.empty(m)
    log_q = np.empty(m)
    for i in range(m):
        best = 0.0
        for k in range(resonance.shape[1]):
            best = max(best, resonance[i, k])
        p_max[i] = beta * best
        log_q[i] = np.log1p(-p_max[i]) if p_max[i] < 1.0 else -np.inf
    return p_max, log_q


def params_of(pop: Population, dyn: Dynamics, weak_tie: float, *,
              word_of_mouth_only: bool = False, churn: np.ndarray | None = None) -> Params:
    """The rule's numbers for `pop` (``word_of_mouth_only``: no marketing, no background;
    ``churn``: each segment's chance per step that a customer leaves, default none)."""
    resonance = resonance_matrix(dyn, pop.segment_names)
    beta = float(dyn.word_of_mouth)
    p_max, log_q = _largest_chance(resonance, beta)
    S = pop.n_segments
    leave = np.zeros(S) if churn is None else np.asarray(churn, dtype=np.float64)
    if leave.shape != (S,) or not np.all((leave >= 0) & (leave <= 1)):
        raise ValueError(f"churn: {S} chances in [0, 1], one per segment")
    return Params(resonance=resonance, weak_tie=float(weak_tie), beta=beta,
                  alpha=0.0 if word_of_mouth_only else float(dyn.marketing),
                  background=0.0 if word_of_mouth_only else float(dyn.background),
                  talk_weeks=int(dyn.talk_weeks),
                  need_refs=bool(pop.references.max(initial=0) > 0), p_max=p_max, log_q=log_q,
                  churn=leave, churn_max=float(leave.max(initial=0.0)))


def new_people(pop: Population, horizon: int) -> People:
    """Nobody has adopted: everyone who could adopt is open."""
    n = pop.n
    return People(
        open_segment=np.where(pop.adoptable, pop.segment, -1).astype(np.int32),
        adopted_at=np.full(n, NEVER, dtype=np.int32),
        message=np.full(n, -1, dtype=np.int32),
        cause=np.full(n, -1, dtype=np.int8),
        reference_count=np.zeros(n, dtype=np.int32),
        order=np.empty(n, dtype=np.int32),
        step_start=np.zeros(horizon + 1, dtype=np.int64),
        advocates=np.empty(n, dtype=np.int32),
        advocate_tag=np.empty(n, dtype=np.int64),
        advocate_until=np.empty(n, dtype=np.int32),
        left_at=np.full(n, NEVER, dtype=np.int32),
        counters=np.zeros(3, dtype=np.int64),
    )


def new_scratch(n: int) -> Scratch:
    return Scratch(
        perm=np.arange(n, dtype=np.int32),
        stamp=np.full(n, -1, dtype=np.int32),
        weight=np.zeros(n, dtype=np.float64),
        pick_cause=np.zeros(n, dtype=np.int8),
        pick_message=np.zeros(n, dtype=np.int32),
        touched=np.empty(n, dtype=np.int32),
    )
