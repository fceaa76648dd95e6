"""Loading a scenario: YAML in, a validated :class:`~wom.config.scenario.Scenario` out, or a
:class:`~wom.errors.ScenarioError` naming the file, the line, the key path and what is wrong.

With ``network.model: file`` the segments (and accounts) come from the graph file, which is
read here (:mod:`wom.config.filemarket`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from wom.config.checks import cross_checks, optimize_checks
from wom.config.filemarket import PrefixedError, segments_from_graph_file
from wom.config.keys import (
    Value,
    make_vary,
    market_key_path,
    missing_key,
    once_draw_problem,
    once_fit_problem,
    representatives,
    set_path,
    values_at,
)
from wom.config.library import missing_file_hint
from wom.config.scenario import Scenario
from wom.config.schema import SegmentShorthand
from wom.config.yamlpos import duplicate_keys, key_path, line_of, reject_non_finite
from wom.errors import ScenarioError, WomError


def _keys_as_keys(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """`loc` with a mapping's whole-number keys as text (``sizes.5``, not ``sizes[5]``,
    which reads as the sixth item of a list): pydantic gives both as numbers."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, int):
            out.append(str(part))
        else:
            out.append(part)
        try:
            node = node[part] if isinstance(node, dict | list) else None
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


def scenario_from_dict(
    data: Any, *, file: Path | str | None = None, tree: yaml.Node | None = None
) -> Scenario:
    """Validate a mapping (as read from YAML) into a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        Listing every problem with its key path (and line, when `tree` is given).
    """
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(file, [("", 1, f"a scenario must be a mapping of keys, got {kind}")])
    try:
        if isinstance(data.get("network"), dict) and data["network"].get("model") == "file":
            data = segments_from_graph_file(data, file, tree)
        if isinstance(data.get("segments"), dict):
            try:
                expanded = SegmentShorthand.model_validate(data["segments"]).expand()
                data = {**data, "segments": expanded}
            except ValidationError as exc:
                raise PrefixedError(exc, ("segments",)) from None
            except ValueError as exc:
                where = ("segments", "names")
                raise ScenarioError(
                    file, [(key_path(where), line_of(tree, where), str(exc))]
                ) from None
        sc = Scenario.model_validate(data)
    except (ValidationError, PrefixedError) as exc:
        if isinstance(exc, PrefixedError):
            prefix, errors = exc.prefix, exc.error.errors(include_url=False)
        else:
            prefix, errors = (), exc.errors(include_url=False)
        problems = []
        for err in errors:
            loc = _keys_as_keys(data, prefix + tuple(err["loc"]))
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling; `wom schema` lists every key)"
            elif err["type"] == "missing":
                msg = "required key is missing"
            if len(loc) >= 2 and loc[-1] == "[key]":  # a mapping's key, not its value
                problems.append((key_path(loc[:-2]), line_of(tree, loc[:-1]),
                                 f"key {err['loc'][-2]!r}: {msg}"))
                continue
            problems.append((key_path(loc), line_of(tree, loc), msg))
        raise ScenarioError(file, problems) from None
    # The scenario's own problems first: a sweep's or a search's points are the scenario
    # with values set, so they would only say them again, at the sweep's line.
    cross = cross_checks(sc) + inference_checks(sc)
    cross = cross or sweep_checks(sc) + optimize_checks(sc)
    if cross:
        raise ScenarioError(file, [(key_path(p), line_of(tree, p), m) for p, m in cross])
    return sc


def load_scenario(path: Path | str, settings: Sequence[str] = ()) -> Scenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path
        A YAML scenario file.
    settings
        ``PATH=VALUE`` changes (``--set``; see :func:`with_settings`), applied to the file
        as written when every path is there (so they can repair a file, or set the
        ``segments: {count: …}`` shorthand's keys), else to the validated scenario (names
        of segments and strategies, ``*`` over a shorthand's segments).

    Raises
    ------
    ScenarioError
        The file is missing, is not valid YAML, or does not describe a valid scenario.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(path, [("", None, missing_file_hint(path))]) from None
    except IsADirectoryError:
        raise ScenarioError(path, [("", None, "is a directory, not a scenario file")]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, [("", None, f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ScenarioError(path, [("", None, exc.strerror or str(exc))]) from None
    try:
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(path, [("", line, f"YAML syntax error: {what}")]) from None
    except RecursionError:
        raise ScenarioError(path, [("", None, "YAML nested too deeply")]) from None
    dups = duplicate_keys(tree)
    if dups:
        raise ScenarioError(
            path, [(key_path(p), line, "key given twice") for p, line in dups]
        )
    reject_non_finite(data, path, tree)
    if settings:
        edited = _as_edited(data, settings)
        if edited is not None:
            try:
                return scenario_from_dict(edited, file=path, tree=tree)
            except ScenarioError as err:
                try:
                    scenario_from_dict(data, file=path, tree=tree)
                except ScenarioError:
                    raise err from None  # the file is wrong too: by line, as edited
                raise settings_error(settings, err) from None  # the settings made it wrong
    return with_settings(scenario_from_dict(data, file=path, tree=tree), settings)



def json_schema() -> str:
    """The JSON Schema of scenario files (for editor autocompletion)."""
    schema = Scenario.model_json_schema()
    # `segments:` is a list of segments or the shorthand {count, size, …}, which the model
    # expands before validating (so pydantic sees only the list).
    shorthand = SegmentShorthand.model_json_schema()
    listed = schema["properties"]["segments"]
    schema["properties"]["segments"] = {
        "anyOf": [listed, shorthand],
        "description": "The market: a list of segments, or the shorthand {count, size, ...} "
                       "for `count` segments alike (with network.model: file, taken from "
                       "the file).",
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "wom scenario"
    return json.dumps(schema, indent=2)


def apply(sc: Scenario, point: Mapping[str, Value], *,
          keep_uncertainty: bool = False) -> Scenario:
    """A copy of `sc` with the point's values set at their key paths, validated again
    (errors name the key); ``*`` sets every element of a list.

    The copy is one run: it has no ``sweep:`` or ``fit:`` block, and no ``uncertainty:``
    block unless `keep_uncertainty` (a sweep point of a fitted scenario keeps its draws; a
    replicate's own draw is applied without them).
    """
    data = copy.deepcopy(sc.model_dump(mode="json"))
    data.pop("sweep", None)
    data.pop("fit", None)
    data.pop("optimize", None)
    if not keep_uncertainty:
        data.pop("uncertainty", None)
    for path, value in point.items():
        set_path(data, path, value)
    return scenario_from_dict(data)


def setting_path(text: str) -> str:
    """The key path of a ``PATH=VALUE`` setting ("segments[0].references", as error
    messages write paths, is segments.0.references)."""
    return re.sub(r"\[\s*([^\]\s]+)\s*\]", r".\1", text.partition("=")[0].strip())


def _setting(text: str) -> tuple[str, Any]:
    """``PATH=VALUE`` as its path and its value read as YAML."""
    _, eq, raw = text.partition("=")
    path = setting_path(text)
    if not eq or not path:
        raise WomError(f"--set {text!r}: expected PATH=VALUE, e.g. "
                       "segments.dentists.references=0")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as err:
        why = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise WomError(f"--set {text!r}: the value is not valid YAML ({why})") from None
    return path, value


def _as_edited(data: Any, settings: Sequence[str]) -> Any | None:
    """The file's data with `settings` applied as an edit of the file would (``None``: a
    path is not in the file as written)."""
    edited = copy.deepcopy(data)
    for text in settings:
        path, value = _setting(text)
        try:
            set_path(edited, path, value)
        except WomError:
            return None
    return edited


def with_settings(sc: Scenario, settings: Sequence[str]) -> Scenario:
    """`sc` with ``PATH=VALUE`` settings applied (``--set``), every block kept: a what-if
    without copying the file. ``PATH`` as ``--vary`` takes it, segments and strategies by
    name or index (``segments.vets.references=0``); ``VALUE`` is read as YAML (``0.2``,
    ``true``, ``[a, b]``, ``{...}``).

    Raises
    ------
    WomError
        Naming the setting and what is wrong with it.
    """
    if not settings:
        return sc
    data = copy.deepcopy(sc.model_dump(mode="json"))
    for text in settings:
        path, value = _setting(text)
        try:
            set_path(data, path, value)
        except WomError as err:
            raise WomError(f"--set {text!r}: {err}") from None
    try:
        return scenario_from_dict(data)
    except ScenarioError as err:
        raise settings_error(settings, err) from None


def settings_error(settings: Sequence[str], err: ScenarioError) -> WomError:
    """What is wrong with a scenario once `settings` are applied, naming them."""
    # (one setting over many keys, `segments.*.…`, often breaks them all the same way: each
    # message once, with its keys; a long list of keys cut short)
    by_message: dict[str, list[str]] = {}
    for k, _, msg in err.problems:
        by_message.setdefault(msg, []).append(k)

    def named(keys: list[str]) -> str:
        keys = [k for k in keys if k]
        return ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")

    said = "; ".join(f"{named(keys)}: {msg}" if named(keys) else msg
                     for msg, keys in by_message.items())
    return WomError(f"--set {', '.join(map(repr, settings))}: {said}")


def bad_sweep_value(sc: Scenario, path: str, spec: Any) -> str | None:
    """Why a swept value would make an invalid scenario (each listed value, or a range's
    ends; ``None`` if all are fine)."""
    return bad_value(sc, path, representatives(make_vary(path, spec).values, limit=50),
                     keep_uncertainty=True)


def bad_value(sc: Scenario, path: str, values: Any, *,
              keep_uncertainty: bool = False) -> str | None:
    """Why one of `values` at `path` would make an invalid scenario (``None``: all fine);
    `keep_uncertainty` as :func:`apply` (a sweep point keeps the scenario's draws)."""
    for value in values:
        try:
            apply(sc, {path: value}, keep_uncertainty=keep_uncertainty)
        except WomError as err:
            first = str(err).splitlines()[-1].removeprefix("<scenario>: ")
            return f"the value {value!r} does not make a valid scenario: {first}"
    return None

def sweep_checks(sc: Scenario) -> list[tuple[tuple[Any, ...], str]]:
    """The ``sweep:`` block against the rest of the scenario: its strategies exist, its key
    paths name keys, and each swept value makes a valid scenario."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    if sc.sweep is None:
        return problems
    strategies = [st.name for st in sc.strategies]
    for i, x in enumerate(sc.sweep.compare or []):
        if x not in strategies:
            problems.append((("sweep", "compare", i), f"unknown strategy {x!r} (known: "
                             f"{', '.join(strategies)})"))
    if sc.sweep.compare and sc.sweep.compare[0] == sc.sweep.compare[1]:
        problems.append((("sweep", "compare"), "compare two different strategies"))
    data = sc.model_dump(mode="json")
    for path in sc.sweep.vary:
        why = missing_key(data, path)
        if why:
            problems.append((("sweep", "vary", path), why))
        else:
            why = bad_sweep_value(sc, path, sc.sweep.vary[path])
            if why:
                problems.append((("sweep", "vary", path), why))
    return problems


#: Keys a fit cannot free: the economics (the data say nothing of them) and churn (the
#: likelihood and the fit's simulations assume customers stay).
NOT_FITTED = frozenset({"price", "gross_margin", "churn", "cost_to_serve", "seeds_pay",
                        "discount_rate"})


def inference_checks(sc: Scenario) -> list[tuple[tuple[Any, ...], str]]:
    """The ``fit:`` and ``uncertainty:`` blocks against the rest of the scenario: their key
    paths name keys, a fit range lies within the key's valid values (whole numbers for a
    key that holds them), and every draw makes a valid scenario."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    data = sc.model_dump(mode="json")
    if sc.fit is not None:
        for path, (lo, hi) in sc.fit.free.items():
            where = ("fit", "free", path)
            money = path.rsplit(".", 1)[-1] in NOT_FITTED
            why = ("wom fit estimates how people adopt, not the money (prices, margins, "
                   "costs) or churn: give it as a known value in the scenario") if money else (
                missing_key(data, path) or whole_bounds(data, path, lo, hi) or bad_value(
                    sc, path, (lo, hi)))
            if not why and sc.network.resample == "once" and market_key_path(path):
                why = once_fit_problem(path)
            if why:
                problems.append((where, why))
    if sc.uncertainty is not None:
        for path, values in sc.uncertainty.draws.items():
            why = missing_key(data, path) or bad_value(sc, path, representatives(values, 0))
            if not why and integer_key(data, path):  # (the ends alone let 4.5 through)
                why = next((f"draw {i} is {v!r}, not a whole number" for i, v in
                            enumerate(values) if not float(v).is_integer()), None)
            if not why and sc.network.resample == "once" and market_key_path(path):
                why = once_draw_problem(path)
            if why:
                problems.append((("uncertainty", "draws", path), why))
            elif path in sc.uncertainty.estimates and (value := next(
                    (v for v in values_at(data, path)
                     if v != (est := sc.uncertainty.estimates[path])), None)) is not None:
                problems.append((tuple(path.split(".")), (
                    f"is {value!r}, but the fit that wrote this file estimated {est!r} and "
                    f"every replicate runs with its own draw of it (uncertainty.draws), never "
                    f"with {value!r}: to run with {value!r}, delete {path} from "
                    "uncertainty.draws (or the whole uncertainty block); for the fit's "
                    f"forecast, set it back to {est!r}")))
        problems += [(("uncertainty", told, path), f"an {what} of a key that is not drawn "
                      "(uncertainty.draws): remove it")
                     for told, what in (("estimates", "estimate"), ("intervals", "interval"))
                     for path in getattr(sc.uncertainty, told) if path not in sc.uncertainty.draws]
    return problems


def integer_key(data: Any, path: str) -> bool:
    """Whether the key at `path` of the scenario data holds whole numbers (its first value)."""
    node = values_at(data, path)[0]
    return isinstance(node, int) and not isinstance(node, bool)


def whole_bounds(data: Any, path: str, lo: float, hi: float) -> str | None:
    """Why [lo, hi] cannot bound a key that holds whole numbers (``None``: fine, or the key
    holds any number)."""
    if integer_key(data, path) and not (float(lo).is_integer() and float(hi).is_integer()):
        return f"{path} holds whole numbers: give whole-number bounds, not [{lo}, {hi}]"
    return None
