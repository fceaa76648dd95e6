"""The store of a ``wom optimize`` search: ``search.sqlite`` in the output folder, written
batch by batch as the search goes, so a stopped search (Ctrl-C, SIGTERM, a kill) resumes.

It keeps the scenario as searched (seed, ``optimize:`` block and command-line values in),
the confirmation's replicates, and every finished trial: its plan, its value on each search
replicate it reached and whether it was pruned. A batch is stored in one transaction, whole
or not at all. Trials depend only on the seed and on those values (:mod:`wom.experiment.race`),
so :func:`wom.experiment.optimize.resume` replays them into a fresh seeded sampler, checks
that it asks the same plans again, and goes on: the search ends as an uninterrupted one
would. Like a sweep store (:mod:`wom.experiment.sweep`), it appears whole or not at all and
is refused on resume if a file the market is read from has changed.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import yaml

from wom.config import Scenario, Strategy, scenario_from_dict
from wom.errors import WomError
from wom.experiment.race import Trial
from wom.experiment.runner import check_inputs, input_digests, working_folder
from wom.experiment.sweep import DB as SWEEP_DB
from wom.experiment.sweep import claim_folder
from wom.store import hidden_twin, remove_stale_partials, rename_noreplace
from wom.version import __version__

STORE = "search.sqlite"
#: What the meta table says a store is (a sweep store has no such key).
KIND = "wom optimize"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE trials (number INTEGER PRIMARY KEY, plan TEXT NOT NULL,
                     trial_values TEXT NOT NULL, pruned INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class StoredTrial:
    """A finished trial as stored: its plan, its values on the search replicates 0, 1, …
    it reached (NaN kept), and whether it was pruned."""

    number: int
    spec: Strategy
    values: list[float]
    pruned: bool

    def same_as(self, t: Trial) -> bool:
        """Whether the trial `t`, asked again, is this one (the same plan, values, fate)."""
        return (self.spec.model_dump_json() == t.spec.model_dump_json()
                and json.dumps(self.values) == json.dumps(t.values)
                and self.pruned == t.pruned)


class SearchStore:
    """``FOLDER/search.sqlite``: open with :meth:`create` (a new search) or :meth:`open`."""

    def __init__(self, folder: Path, meta: dict[str, str]) -> None:
        self.folder = folder
        self.path = folder / STORE
        self.meta = meta

    @classmethod
    def create(cls, out_dir: Path | str, sc: Scenario, *, confirm_replicates: int,
               notes: str = "", fresh: bool = False, command: str = "") -> SearchStore:
        """A new store for searching `sc` (as :func:`~wom.experiment.optimize.prepare`
        made it) in `out_dir`, created if need be.

        `fresh`: `out_dir` is a name wom chose (a timestamp): the folder is created
        exclusively, at the next free name (``-2``, …) if it is taken. Otherwise a folder
        that exists and is not empty is refused: a search never writes over other files.
        `notes`: the comments the scenario file opens with (kept atop best.yaml);
        `command`: the command line that started the search (the report shows it).
        """
        out_dir = Path(out_dir)
        if not fresh:
            cls.refuse_taken(out_dir)
        if not fresh and out_dir.exists() and any(out_dir.iterdir()):
            raise WomError(f"{out_dir}: already exists; choose another --out (optimize "
                           "folders are never overwritten)")
        made = fresh or not out_dir.exists()  # removed again if the store is not made
        try:
            out_dir = claim_folder(out_dir) if fresh else out_dir
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise WomError(f"{out_dir}: cannot create the optimize folder: {err}") from None
        try:
            return cls._create(out_dir, sc, confirm_replicates, notes, command)
        except BaseException:  # (Ctrl-C too): no empty folder left to block the name
            if made:
                with contextlib.suppress(OSError):
                    out_dir.rmdir()
            raise

    @classmethod
    def _create(cls, out_dir: Path, sc: Scenario, confirm_replicates: int,
                notes: str, command: str) -> SearchStore:
        meta = {"kind": KIND, "wom": __version__, "scenario": sc.to_yaml(),
                "confirm_replicates": str(confirm_replicates), "notes": notes,
                "inputs": json.dumps(input_digests(sc)), "finished": "0",
                "command": command, "cwd": working_folder()}
        remove_stale_partials(out_dir)  # (stores of searches killed while creating them)
        tmp = hidden_twin(out_dir / STORE, str(threading.get_ident()))
        tmp.unlink(missing_ok=True)
        try:
            conn = sqlite3.connect(tmp)
            try:
                with conn:
                    conn.executescript("BEGIN;" + _SCHEMA + "COMMIT;")
                with conn:
                    conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            finally:
                conn.close()
            rename_noreplace(tmp, out_dir / STORE)  # fails if the name is taken
        except FileExistsError:
            raise WomError(f"{out_dir / STORE}: another search created it first; choose "
                           "another --out") from None
        except (OSError, sqlite3.Error) as err:
            raise WomError(f"{out_dir}: cannot write the search store: {err}") from None
        finally:
            tmp.unlink(missing_ok=True)
            Path(f"{tmp}-journal").unlink(missing_ok=True)
        return cls(out_dir, meta)

    @staticmethod
    def refuse_taken(out_dir: Path) -> None:
        """Refuse a folder that holds a search already: it is resumed, not searched into."""
        if (out_dir / STORE).exists():
            raise WomError(f"{out_dir}: holds a search already; go on with it (wom optimize "
                           f"--resume {out_dir}) or choose another --out")

    @classmethod
    def open(cls, out_dir: Path | str) -> SearchStore:
        """The store of the search in `out_dir`, checked: a wom optimize store, its input
        files unchanged."""
        out_dir = Path(out_dir)
        path = out_dir / STORE
        if not out_dir.exists():
            raise WomError(f"{out_dir}: does not exist (give the folder wom optimize "
                           "wrote)")
        if not path.exists():
            other = (f"; it holds a sweep: wom sweep --resume {out_dir}"
                     if (out_dir / SWEEP_DB).exists() else "")
            raise WomError(f"{out_dir} holds no wom optimize search ({STORE} is missing)"
                           f"{other}")
        try:
            conn = sqlite3.connect(path)
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                conn.execute("SELECT number, plan, trial_values, pruned FROM trials LIMIT 1")
            finally:
                conn.close()
        except sqlite3.Error as err:
            raise WomError(f"{path} is not a wom optimize store ({err})") from None
        if meta.get("kind") != KIND:
            raise WomError(f"{path} is not a wom optimize store")
        try:
            inputs = dict(json.loads(meta["inputs"]))
            int(meta["confirm_replicates"])
        except (KeyError, ValueError, TypeError) as err:
            raise WomError(f"{path}: the store is damaged ({type(err).__name__}: {err}); "
                           "run the search again into a new folder") from None
        check_inputs(inputs, f"the search in {out_dir}")
        return cls(out_dir, meta)

    @property
    def finished(self) -> bool:
        """The search, its confirmation and its files are done."""
        return self.meta.get("finished") == "1"

    @property
    def confirm_replicates(self) -> int:
        return int(self.meta["confirm_replicates"])

    @property
    def notes(self) -> str:
        return self.meta.get("notes", "")

    def scenario(self) -> Scenario:
        """The scenario as searched."""
        try:
            return scenario_from_dict(yaml.safe_load(self.meta["scenario"]))
        except (KeyError, ValueError, TypeError, yaml.YAMLError) as err:
            raise WomError(f"{self.path} is not a wom optimize store ({err})") from None

    def trials(self) -> list[StoredTrial]:
        """Every stored trial, by number."""
        with self._connect() as conn:
            rows = conn.execute("SELECT number, plan, trial_values, pruned FROM trials "
                                "ORDER BY number").fetchall()
        try:
            out = [StoredTrial(n, Strategy.model_validate_json(plan), json.loads(values),
                               bool(pruned)) for n, plan, values, pruned in rows]
            for t in out:
                if not isinstance(t.values, list) or not all(
                        isinstance(v, int | float) for v in t.values):
                    raise ValueError(f"trial {t.number}: its values are not numbers")
            return out
        except (ValueError, TypeError) as err:
            raise WomError(f"{self.path}: a stored trial cannot be read ({err})") from None

    def add(self, batch: Sequence[Trial]) -> None:
        """Store the finished trials of a batch, all of them or none."""
        rows = [(t.number, t.spec.model_dump_json(), json.dumps(t.values), int(t.pruned))
                for t in batch]
        try:
            with self._connect() as conn, conn:
                conn.executemany("INSERT INTO trials VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error as err:  # a full disk, a file size limit, …
            raise WomError(f"{self.path}: cannot store finished trials ({err}); those "
                           f"stored before are kept: make room, then wom optimize --resume "
                           f"{self.folder}") from None

    def finish(self) -> None:
        """Mark the search finished (its files written): a resume has nothing left to do."""
        with self._connect() as conn, conn:
            conn.execute("UPDATE meta SET value = '1' WHERE key = 'finished'")
        self.meta["finished"] = "1"

    def _connect(self) -> closing[sqlite3.Connection]:
        return closing(sqlite3.connect(self.path))
