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
#: More slots of ``People.counters``, used with accounts: accounts bought so far; the
#: champions (convinced members of accounts that have not bought) are
#: ``champions[counters[CHAMP_FROM]:counters[CHAMP_TO]]``.
ACCOUNTS_BOUGHT, CHAMP_FROM, CHAMP_TO = 3, 4, 5
#: Rows of ``Tally.accounts``: accounts won in the step (and those of them a seed closed),
#: accounts lost (and those of them a seed had closed), and people convinced in accounts that
#: have not bought, at the end of the step (a level, not a flow).
ACC_WON, ACC_WON_SEED, ACC_LOST, ACC_LOST_SEED, ACC_WAITING = 0, 1, 2, 3, 4
#: The names of those rows, as table columns.
ACCOUNT_ROWS = ("accounts_won", "accounts_won_seed", "accounts_lost", "accounts_lost_seed",
                "waiting")
#: Groups a campaign may aim its contacts at (``Actions.aim``): anyone in the segment, or
#: the people of one role.
AIM_ANYONE, AIM_USER, AIM_BUYER, AIM_PAYER = 0, 1, 2, 3


class Market(NamedTuple):
    """The market as the kernels read it (never written during a run)."""

    indptr: np.ndarray  # int64[N+1]: CSR row pointers of the conversation graph
    indices: np.ndarray  # int32[2E]: each person's neighbours
    segment: np.ndarray  # int32[N]: each person's segment
    seg_start: np.ndarray  # int64[S+1]: segment k is people seg_start[k]:seg_start[k+1]
    references: np.ndarray  # int32[N]: same-segment adopters needed before adopting
    # Accounts (zero-length without them: see wom.market.accounts)
    account: np.ndarray  # int32[N]: each person's account
    role: np.ndarray  # int8[N]: each person's roles (bits USER, BUYER, PAYER)
    acc_ptr: np.ndarray  # int64[A+1]: account a's members are acc_members[acc_ptr[a]:…[a+1]]
    acc_members: np.ndarray  # int32[N]: people, account by account
    buyer: np.ndarray  # int32[A]: each account's buyer
    payer: np.ndarray  # int32[A]: each account's payer
    role_start: np.ndarray  # int64[3, S+1]: role group g−1's people of segment k are
    #                          Scratch.role_perm[role_start[g−1, k]:role_start[g−1, k+1]]
    codes: np.ndarray  # int32[A, N]: each person's value of each attribute (A = 0 without)


class Params(NamedTuple):
    """The adoption rule's numbers (docs/model.md)."""

    resonance: np.ndarray  # float64[M, S]: resonance of message m in segment k (the rows of
    #                        messages written for attribute values are not read)
    value_attr: np.ndarray  # int64[M]: the attribute a message is written for a value of
    #                         (−1: a segment's message or the generic one, read by segment);
    #                         it resonates at 1 with people whose code is value_code, else
    #                         at value_overlap
    value_code: np.ndarray  # int32[M]
    value_overlap: np.ndarray  # float64[M]
    generic: int  # the generic message (S): background adopters carry it
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
    accounts: bool  # whether people buy in accounts (the account stages run)
    role_res: np.ndarray  # float64[M, 8]: message m's resonance with a person, by role bits
    #                       (the campaign's messages: the strategy's; any other: 1)
    inside: np.ndarray  # float64[S]: β · strength, the chance inside an account at resonance 1
    direct: bool = True  # steps may take word of mouth's direct path (False: tests compare)


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
    counters: np.ndarray  # int64[6]: adopters (ADOPTED), the advocates' window (TALK_FROM/TO),
    #                       accounts bought (ACCOUNTS_BOUGHT), the champions' (CHAMP_FROM/TO)
    # Accounts (zero-length without them). With accounts, a person is *convinced* when a
    # trial succeeds (``message`` ≥ 0) and a *customer* when their account buys.
    bought_at: np.ndarray  # int32[A]: step the account bought, NEVER if not
    account_order: np.ndarray  # int32[A]: accounts in the order they bought
    account_cause: np.ndarray  # int8[A]: the cause that closed the sale
    account_left: np.ndarray  # int32[A]: step the account left (churn), NEVER if not
    champions: np.ndarray  # int32[N]: convinced people whose account has not bought
    champion_until: np.ndarray  # int32[N]: the last step each champion talks in
    waiting: np.ndarray  # int64[S]: people convinced in accounts that have not bought


class Scratch(NamedTuple):
    """Working space of a step; its contents do not carry meaning between steps."""

    perm: np.ndarray  # int32[N]: people, partly shuffled, to draw distinct contacts
    stamp: np.ndarray  # int32[N]: the step a person last had a successful trial (or was seeded,
    #                    with accounts: the step they were convinced)
    weight: np.ndarray  # float64[N]: sum of the probabilities of those trials
    pick_cause: np.ndarray  # int8[N]: the cause drawn among them
    pick_message: np.ndarray  # int32[N]: and its message
    touched: np.ndarray  # int32[N]: people with a successful trial this step
    role_perm: np.ndarray  # int32[·]: the people of each role group, partly shuffled
    pool_perm: np.ndarray  # int32[P]: the people a plan targets by attribute, partly shuffled


class Actions(NamedTuple):
    """What the campaign does in one step."""

    seeds: np.ndarray  # int32[k]: people who adopt now
    seed_message: np.ndarray  # int32[k]: the message each seed carries
    contacts: np.ndarray  # int64[S]: distinct people reached in each segment
    contact_message: np.ndarray  # int32[S]: the message heard in each segment
    aim: np.ndarray  # float64[4]: the contacts' shares for anyone, users, buyers, payers
    pool_contacts: int  # distinct people reached among those the plan targets by attribute
    pool_message: int  # the message they hear


class Tally(NamedTuple):
    """What happened in a step, per segment."""

    new_by_cause: np.ndarray  # int64[len(CAUSES), S]
    reached: np.ndarray  # int64[S]
    churned: np.ndarray  # int64[2, S]: customers who left, rows LEFT_SEEDS and LEFT_OTHERS
    accounts: np.ndarray  # int64[len(ACCOUNT_ROWS), S]: rows ACC_WON … ACC_WAITING


def new_tally(S: int) -> Tally:
    """An empty tally for `S` segments."""
    return Tally(np.zeros((len(CAUSES), S), np.int64), np.zeros(S, np.int64),
                 np.zeros((2, S), np.int64), np.zeros((len(ACCOUNT_ROWS), S), np.int64))


#: ``Actions.aim`` of a campaign that does not aim at roles.
AIM_NONE = np.array([1.0, 0.0, 0.0, 0.0])


def _role_groups(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """The people of each role (users, buyers, payers), each group segment by segment, and
    where each group's segment starts (``int64[3, S+1]``, offsets into the people)."""
    acc, S = pop.accounts, pop.n_segments
    if acc is None:
        return np.empty(0, np.int32), np.zeros((3, S + 1), np.int64)
    if "role_groups" in pop.cache:  # once per market: every strategy's simulation reads it
        return pop.cache["role_groups"]
    groups, starts, offset = [], np.zeros((3, S + 1), np.int64), 0
    for g, bit in enumerate((1, 2, 4)):
        people = np.flatnonzero(acc.role & bit).astype(np.int32)  # in id order
        people = people[np.argsort(pop.segment[people], kind="stable")]
        counts = np.bincount(pop.segment[people], minlength=S)
        starts[g, 0] = offset
        np.cumsum(counts, out=starts[g, 1:])
        starts[g, 1:] += offset
        offset += people.size
        groups.append(people)
    pop.cache["role_groups"] = (np.concatenate(groups), starts)
    return pop.cache["role_groups"]


def market_of(pop: Population) -> Market:
    """The kernels' view of a population."""
    acc = pop.accounts
    if acc is None:
        none32 = np.empty(0, np.int32)
        return Market(pop.indptr, pop.indices, pop.segment, pop.seg_start, pop.references,
                      none32, np.empty(0, np.int8), np.zeros(1, np.int64), none32, none32,
                      none32, np.zeros((3, pop.n_segments + 1), np.int64), codes_of(pop))
    _, role_start = _role_groups(pop)
    return Market(pop.indptr, pop.indices, pop.segment, pop.seg_start, pop.references,
                  acc.account, acc.role, acc.ptr, acc.members, acc.buyer, acc.payer,
                  role_start, codes_of(pop))


def codes_of(pop: Population) -> np.ndarray:
    """``int32[A, N]``: people's attribute values (``[0, N]`` without attributes)."""
    return (np.zeros((0, pop.n), np.int32) if pop.traits is None
            else np.ascontiguousarray(pop.traits.codes, dtype=np.int32))


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


def role_resonance(user: float = 1.0, buyer: float = 1.0, payer: float = 1.0) -> np.ndarray:
    """``float64[8]``: a message's resonance with a person, by the person's role bits: the
    largest over the roles they hold (one of them is enough to hear it)."""
    out = np.ones(8)
    for bits in range(1, 8):
        out[bits] = max(r for bit, r in ((1, user), (2, buyer), (4, payer)) if bits & bit)
    return out


def params_of(pop: Population, dyn: Dynamics, weak_tie: float, *,
              word_of_mouth_only: bool = False, churn: np.ndarray | None = None,
              roles: tuple[float, float, float] = (1.0, 1.0, 1.0),
              campaign: np.ndarray | None = None,
              strength: np.ndarray | None = None, individuals: bool = False) -> Params:
    """The rule's numbers for `pop` (``word_of_mouth_only``: no marketing, no background;
    ``churn``: each segment's chance per step that a customer leaves, default none;
    ``roles``: the campaign's message's resonance with users, buyers and payers, for the
    messages ``campaign`` marks (``bool[M]``, default all; any other message, the generic one
    of background adopters say, is heard at 1 by every role); ``strength``: how much
    more people of one account talk together, per segment (default 3); ``individuals``:
    ignore the accounts, everyone buys alone)."""
    base = resonance_matrix(dyn, pop.segment_names)
    beta = float(dyn.word_of_mouth)
    S, M = pop.n_segments, pop.n_messages
    resonance = np.ones((M, S))  # (the rows of the values' messages: not read)
    resonance[:S + 1] = base
    value_attr = np.full(M, -1, dtype=np.int64)
    value_code = np.zeros(M, dtype=np.int32)
    value_overlap = np.ones(M)
    m = S + 1
    for a, values in enumerate(() if pop.traits is None else pop.traits.values):
        value_attr[m:m + len(values)] = a
        value_code[m:m + len(values)] = np.arange(len(values))
        value_overlap[m:m + len(values)] = pop.traits.overlap[a]  # type: ignore[union-attr]
        m += len(values)
    # (a value's message: at most 1, with someone who has the value)
    p_max, log_q = _largest_chance(resonance, beta)
    leave = np.zeros(S) if churn is None else np.asarray(churn, dtype=np.float64)
    if leave.shape != (S,) or not np.all((leave >= 0) & (leave <= 1)):
        raise ValueError(f"churn: {S} chances in [0, 1], one per segment")
    accounts = pop.accounts is not None and not individuals
    if not all(0.0 <= r <= 1.0 for r in roles):
        raise ValueError("roles: resonances in [0, 1]")
    inside = np.zeros(S)
    if accounts:
        inside = beta * (np.full(S, 3.0) if strength is None
                         else np.asarray(strength, dtype=np.float64))
    return Params(resonance=resonance, value_attr=value_attr, value_code=value_code,
                  value_overlap=value_overlap, generic=S,
                  weak_tie=float(weak_tie), beta=beta,
                  alpha=0.0 if word_of_mouth_only else float(dyn.marketing),
                  background=0.0 if word_of_mouth_only else float(dyn.background),
                  talk_weeks=int(dyn.talk_weeks),
                  need_refs=bool(pop.references.max(initial=0) > 0), p_max=p_max, log_q=log_q,
                  churn=leave, churn_max=float(leave.max(initial=0.0)), accounts=accounts,
                  role_res=_role_rows(resonance.shape[0], roles, campaign, accounts),
                  inside=inside)


def _role_rows(m: int, roles: tuple[float, float, float], campaign: np.ndarray | None,
               accounts: bool) -> np.ndarray:
    """``float64[M, 8]``: each message's resonance by role bits: the campaign's messages at
    `roles`, the others at 1."""
    out = np.ones((m, 8))
    if accounts:
        mine = np.ones(m, bool) if campaign is None else np.asarray(campaign, bool)
        out[mine] = role_resonance(*roles)
    return out


def new_people(pop: Population, horizon: int) -> People:
    """Nobody has adopted: everyone who could adopt is open."""
    n = pop.n
    A = 0 if pop.accounts is None else pop.accounts.n
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
        counters=np.zeros(6, dtype=np.int64),
        bought_at=np.full(A, NEVER, dtype=np.int32),
        account_order=np.empty(A, dtype=np.int32),
        account_cause=np.full(A, -1, dtype=np.int8),
        account_left=np.full(A, NEVER, dtype=np.int32),
        champions=np.empty(n if A else 0, dtype=np.int32),
        champion_until=np.empty(n if A else 0, dtype=np.int32),
        waiting=np.zeros(pop.n_segments, dtype=np.int64),
    )


def new_scratch(n: int, pop: Population | None = None) -> Scratch:
    # (a copy: the draws shuffle it)
    role_perm = np.empty(0, np.int32) if pop is None else _role_groups(pop)[0].copy()
    return Scratch(
        perm=np.arange(n, dtype=np.int32),
        stamp=np.full(n, -1, dtype=np.int32),
        weight=np.zeros(n, dtype=np.float64),
        pick_cause=np.zeros(n, dtype=np.int8),
        pick_message=np.zeros(n, dtype=np.int32),
        touched=np.empty(n, dtype=np.int32),
        role_perm=role_perm,
        pool_perm=np.empty(0, np.int32),
    )


def campaign_messages(seed_message: np.ndarray, contact_message: np.ndarray, reacts: bool,
                      n_segments: int, n_messages: int | None = None,
                      pool_message: int = -1) -> np.ndarray:
    """``bool[M]``: the messages a campaign sends (its seeds' and contacts'; a plan that
    reacts may turn to any tailored message), to which its role resonance applies."""
    out = np.zeros(n_segments + 1 if n_messages is None else n_messages, dtype=bool)
    out[np.asarray(seed_message, dtype=np.int64)] = True
    out[np.asarray(contact_message, dtype=np.int64)] = True
    if reacts:
        out[:n_segments] = True
    if pool_message >= 0:
        out[pool_message] = True
    return out
