"""Today's customers from a user's file, set against a scenario's market (``wom run
--customers``).

By person (:func:`wom.inputs.read_customers`): people of a market read from a file, with
the period each bought in if known (``person[, adopted]``). By segment: a row per customer
(``segment[, adopted]``) or counts (``segment, customers[, adopted]``); who they are is
drawn anew in each replicate (stream :data:`~wom.experiment.replicate.CUSTOMERS`) by
replaying their periods through the rule (:mod:`wom.engine.replay`), so pragmatists are
customers only where references could have made them so.

Periods are the scenario's steps (weeks): the run's step 0 is ``today`` (default: the period
after the last purchase in the file), so a customer who bought in period ``p`` adopted at
step ``p − today`` and, if that is within ``talk_weeks`` of the start, still talks. A
customer whose period is not known bought long enough ago that they no longer talk: they
are customers and references, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wom.config import Scenario
from wom.engine.replay import replay_customers
from wom.errors import WomError
from wom.inputs import DataFileError, PersonCustomers, SegmentCustomers, read_customers
from wom.inputs.tables import MAX_PERIOD
from wom.market import LONG_AGO, Population, with_customers


def refuse_with_accounts(sc: Scenario, file: Path | str | None = None) -> None:
    """Refuse today's customers in a market of accounts (`file`: the scenario's, for the
    message): a customer list names people, not the accounts they bought in, and the replay
    of their purchases knows no accounts. Not modelled yet."""
    if not isinstance(sc, Scenario):
        return  # resolve_customers says what to give
    instead = ("run without --customers (everyone starts as a prospect), or start from "
               "today's customers in a copy of the scenario whose " + (
                   "labels file has no `account` column" if sc.network.model == "file"
                   else "segments have no `accounts:`") + " (people buying alone)")
    sc.refuse_accounts("starting from today's customers (--customers)", instead, file)


def people_of(sc: Scenario, path: Path, what: str, instead: str) -> dict[str, int]:
    """The market's person ids (from its graph file) and their positions.

    Raises
    ------
    DataFileError
        The market is not read from a file: `path` holds `what`, which names people; for a
        generated market the user should give `instead`.
    """
    spec = sc.network.file
    if spec is None:
        raise DataFileError(path, None, f"{what} needs a market read from a file whose people "
                            "it names (network.model: file); for a generated market give "
                            f"{instead}")
    return {node: i for i, node in enumerate(spec.load(Path.cwd()).node_ids)}


def not_in_market(sc: Scenario, path: Path, line: int, person: str) -> DataFileError:
    """The error for a person of `path` the market does not have."""
    graph = Path(sc.network.file.path).name if sc.network.file is not None else "the graph"
    return DataFileError(path, line, f"person {person!r} is not in the market ({graph} and its "
                         "people file)", "person")


@dataclass(frozen=True)
class Customers:
    """Today's customers set against a scenario's market.

    Attributes
    ----------
    path
        The file they came from.
    initial
        ``int64[S]``: customers per segment at the start.
    since
        ``int64[n]``: the step each customer bought at (< 0; :data:`~wom.market.LONG_AGO`
        when not known).
    persons
        Customers listed by person: their positions in the market (``int64[n]``).
    segment
        Customers given by segment: each one's segment (``int64[n]``); who they are is
        drawn by :meth:`place`.
    today
        The period of the run's step 0 (``None``: no purchase period was given).
    sha256
        Of the bytes read from `path`.
    names
        The segments of the market they were set against.
    """

    path: Path
    initial: np.ndarray
    since: np.ndarray
    persons: np.ndarray | None = None
    segment: np.ndarray | None = None
    today: int | None = None
    sha256: str = ""
    names: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return int(self.initial.sum())

    def talking(self, talk_weeks: int) -> int:
        """How many still talk at step 0 (bought within `talk_weeks` of the start)."""
        return int(np.sum(self.since + talk_weeks >= 0))

    def place(self, sc: Scenario, pop: Population, rng: np.random.Generator) -> Population:
        """`pop` with these customers in it. Given by segment, who they are is drawn with
        `rng` by replaying their periods under the dynamics of `sc`
        (:func:`wom.engine.replay.replay_customers`)."""
        persons, since = self.persons, self.since
        if persons is None:
            assert self.segment is not None
            try:
                persons, since = replay_customers(pop, sc.dynamics, sc.network.weak_tie,
                                                  self.segment, self.since, rng)
            except ValueError as err:
                raise DataFileError(self.path, None, str(err)) from None
        return with_customers(pop, persons, since, rng)

    def describe(self, talk_weeks: int) -> str:
        """One line for the terminal: how many, how many still talk, and which period is
        the first week."""
        n = self.total
        where = ("by segment: who they are is drawn in each replicate" if self.persons is None
                 else "by person")
        talk = self.talking(talk_weeks)
        when = (f"; week 0 is period {self.today}" if self.today is not None
                else "; no purchase periods, so none still talks")
        return (f"{self.path.name}: {n:,} customer{'s' if n != 1 else ''} at the start "
                f"({where}), {talk:,} still talking (bought in the last {talk_weeks} weeks)"
                f"{when}")


def _steps(path: Path, periods: np.ndarray, lines: np.ndarray,
           today: int | None) -> tuple[np.ndarray, int | None]:
    """Purchase periods (−1: not known) as steps before the run, and the period of step 0."""
    known = periods[periods >= 0]
    if today is None and known.size:
        today = int(known.max()) + 1
    if today is not None and known.size and known.max() >= today:
        i = int(np.flatnonzero(periods >= today)[0])
        raise DataFileError(path, int(lines[i]), f"period {int(periods[i])} is not before "
                            f"today (period {today}, the run's first week)", "adopted")
    since = np.where(periods >= 0, periods - (today or 0), LONG_AGO).astype(np.int64)
    return since, today


def resolve_customers(sc: Scenario, data: PersonCustomers | SegmentCustomers, *,
                      today: int | None = None) -> Customers:
    """Set today's customers `data` against the market of `sc`.

    Parameters
    ----------
    today
        The period of the run's step 0 (default: the period after the last purchase).

    Raises
    ------
    DataFileError
        A person not in the market (or a market not read from a file), a purchase not before
        `today`, a segment the scenario does not have, more customers than people who could
        adopt in a segment.
    ScenarioError
        People buy in accounts (today's customers are not modelled with them yet).
    """
    refuse_with_accounts(sc)
    if not isinstance(sc, Scenario):
        raise WomError(f"customers are set against a Scenario (wom.load_scenario(path)), "
                       f"not {type(sc).__name__}")
    if today is not None and (isinstance(today, bool) or not isinstance(today, int | np.integer)
                              or not 0 <= today <= MAX_PERIOD):
        raise WomError(f"today={today!r}: a period, a whole number from 0 to {MAX_PERIOD:,}")
    names = tuple(sc.segment_names)
    S = len(names)
    if isinstance(data, PersonCustomers):
        position = people_of(sc, data.path, "a list of customers (person[, adopted])",
                             "their segments (segment[, adopted] or segment, customers)")
        persons = np.empty(len(data.people), dtype=np.int64)
        for i, (person, line) in enumerate(zip(data.people, data.lines.tolist(), strict=True)):
            if person not in position:
                raise not_in_market(sc, data.path, line, person)
            persons[i] = position[person]
        since, today = _steps(data.path, data.adopted, data.lines, today)
        segment_of = np.repeat(np.arange(S), [s.size for s in sc.segments])
        initial = np.bincount(segment_of[persons], minlength=S).astype(np.int64)
        return Customers(data.path, initial, since, persons=persons, today=today,
                         sha256=data.sha256, names=names)
    index = {n: k for k, n in enumerate(names)}
    initial = np.zeros(S, dtype=np.int64)
    for s, c, line in zip(data.segment, data.customers.tolist(), data.lines.tolist(),
                          strict=True):
        if s not in index:
            known = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
            raise DataFileError(data.path, line, f"the scenario has no segment {s!r} (it "
                                f"has: {known})", "segment")
        k = index[s]
        initial[k] += c
        seg = sc.segments[k]
        room = seg.winnable
        if initial[k] > room:
            raise DataFileError(data.path, line, f"{int(initial[k])} customers in segment "
                                f"{s!r} by this line, but it has only {room} people who could "
                                f"adopt (size {seg.size}, tam {seg.tam:g}, incumbent "
                                f"{seg.incumbent:g})")
    rows = np.array([index[s] for s in data.segment], dtype=np.int64)
    since, today = _steps(data.path, data.adopted, data.lines, today)
    return Customers(data.path, initial, np.repeat(since, data.customers),
                     segment=np.repeat(rows, data.customers), today=today,
                     sha256=data.sha256, names=names)

def load_customers(sc: Scenario, path: Path | str, *, today: int | None = None) -> Customers:
    """Read today's customers from `path` (CSV) and set them against the market of `sc`.

    Raises
    ------
    DataFileError
        As :func:`wom.inputs.read_customers` and :func:`resolve_customers`.
    """
    if not isinstance(path, str | Path) or str(path) == "":
        raise WomError(f"customers={path!r}: give the path of a CSV file")
    refuse_with_accounts(sc)  # before reading the file
    return resolve_customers(sc, read_customers(path), today=today)
