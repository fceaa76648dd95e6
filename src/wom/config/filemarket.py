"""A market read from a graph file (``network.model: file``): the file's segments fill the
scenario's ``segments``, and its accounts (who buys with whom) make every segment one with
accounts, whose ``accounts:`` block may then give only ``strength``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from wom.config.schema import Network, SegmentShorthand
from wom.config.yamlpos import key_path, line_of
from wom.errors import ScenarioError
from wom.inputs import GraphFileError
from wom.inputs.columns import read_column


class PrefixedError(Exception):
    """A validation error of a part of the scenario (its key path `prefix`), reported by
    :func:`wom.config.load.scenario_from_dict` as the whole scenario's."""

    def __init__(self, error: ValidationError, prefix: tuple[Any, ...]):
        self.error, self.prefix = error, prefix


def segments_from_graph_file(
    data: dict[str, Any], file: Path | str | None, tree: yaml.Node | None
) -> dict[str, Any]:
    """Read the graph file: its segments fill ``segments`` (with accounts, every segment
    has an ``accounts:`` block); its path becomes absolute."""
    try:
        network = Network.model_validate(data["network"])
    except ValidationError as exc:
        raise PrefixedError(exc, ("network",)) from None
    spec = network.file
    assert spec is not None  # the model validator makes sure
    base = Path(file).resolve().parent if file is not None else Path.cwd()
    try:
        graph = spec.load(base)
    except GraphFileError as err:
        key = ("network", "file", "labels") if (
            spec.labels is not None and Path(err.path).name == Path(spec.labels).name
        ) else ("network", "file", "path")
        raise ScenarioError(file, [(key_path(key), line_of(tree, key), str(err))]) from None
    resolved = {k: str((base / v).resolve()) for k in ("path", "labels")
                if isinstance(v := data["network"]["file"].get(k), str)}
    net = {**data["network"], "file": {**data["network"]["file"], **resolved}}
    found = dict(zip(graph.names, (int(z) for z in graph.sizes), strict=True))
    given = data.get("segments")
    problems = []
    if given is None or isinstance(given, dict):
        extra = sorted({"count", "size", "names", "size_exponent"} & set(given or {}))
        if extra:
            raise ScenarioError(file, [(key_path(("segments", extra[0])),
                                        line_of(tree, ("segments", extra[0])),
                                        "the segments come from the graph file; give only "
                                        "the traits they share (tam, references, …)")])
        problems = _accounts_against_file((given or {}).get("accounts"), ("segments",),
                                          graph.account is not None, tree)
        if problems:
            raise ScenarioError(file, problems)
        try:
            traits = SegmentShorthand.model_validate(given or {}).traits()
        except ValidationError as exc:
            raise PrefixedError(exc, ("segments",)) from None
        segments = [{"name": n, "size": z, **traits} for n, z in found.items()]
    elif isinstance(given, list):
        listed: dict[str, dict[str, Any]] = {}
        for i, entry in enumerate(given):
            name = str(entry.get("name")) if isinstance(entry, dict) else None
            if name not in found:
                known = ", ".join(list(found)[:12]) + (" …" if len(found) > 12 else "")
                loc = ("segments", i, "name")
                problems.append((key_path(loc), line_of(tree, loc),
                                 f"the graph file has no segment {name!r} (it has: {known})"))
                continue
            if "size" in entry and entry["size"] != found[name]:
                loc = ("segments", i, "size")
                problems.append((key_path(loc), line_of(tree, loc),
                                 f"{entry['size']} but the graph file has {found[name]} people "
                                 f"in {name!r} (leave size out)"))
            problems += _accounts_against_file(entry.get("accounts"), ("segments", i),
                                               graph.account is not None, tree)
            listed[name] = {**entry, "name": name, "size": found[name]}
        if problems:
            raise ScenarioError(file, problems)
        segments = [listed.get(n, {"name": n, "size": z}) for n, z in found.items()]
    else:
        return data  # the model reports the wrong type
    if graph.account is not None:  # the file's accounts: every segment has them
        segments = [s if s.get("accounts") is not None else {**s, "accounts": {}}
                    for s in segments]
    problems = _columns(data, resolved.get("labels"), graph.node_ids, tree)
    if problems:
        raise ScenarioError(file, problems)
    return {**data, "network": net, "segments": segments}


def _columns(data: dict[str, Any], labels: str | None, node_ids: tuple[str, ...],
             tree: yaml.Node | None) -> list[tuple[str, int | None, str]]:
    """The attributes read from columns of the people file (``column``): the file has them,
    and the strategies' targets name values someone has."""
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        return []
    problems: list[tuple[str, int | None, str]] = []
    found: dict[str, tuple[str, ...]] = {}
    for name, att in attributes.items():
        column = att.get("column") if isinstance(att, dict) else None
        if not isinstance(column, str) or not column:
            continue
        loc: tuple[Any, ...] = ("attributes", name, "column")
        if labels is None:
            problems.append((key_path(loc), line_of(tree, loc), "is read from the people "
                             "(labels) file, and this network gives none: add "
                             "network.file.labels"))
            continue
        try:
            found[name] = read_column(Path(labels), column, node_ids)[0]
        except GraphFileError as err:
            problems.append((key_path(loc), line_of(tree, loc), str(err)))
    for i, spec in enumerate(data.get("strategies") or []):
        target = spec.get("target") if isinstance(spec, dict) else None
        for name, value in (target.items() if isinstance(target, dict) else ()):
            if name in found and str(value) not in found[name]:
                where = ("strategies", i, "target", name)
                problems.append((key_path(where), line_of(tree, where), f"nobody has {name} "
                                 f"{value!r} in the people file (its values: "
                                 f"{', '.join(found[name][:12])})"))
    return problems


def _alone(block: Any) -> bool:
    """Whether an ``accounts:`` block makes accounts of one (``size: 1``, or ``sizes`` of
    one only): a file without accounts takes it (everyone buys alone)."""
    if not isinstance(block, dict):
        return False
    sizes = block.get("sizes")
    return (block.get("size") == 1 and sizes is None) or (
        block.get("size") is None and isinstance(sizes, dict) and bool(sizes)
        and all(k == 1 or v == 0 for k, v in sizes.items()))


def _accounts_against_file(block: Any, where: tuple[Any, ...], file_has: bool,
                           tree: yaml.Node | None) -> list[tuple[str, int | None, str]]:
    """What is wrong with a segment's ``accounts:`` block (at `where`) in a market read from
    a graph file: the file gives who is in which account and their roles (`file_has`), so
    the block may give only ``strength``; a file without accounts takes only accounts of
    one."""
    if block is None:
        return []
    loc = (*where, "accounts")
    if not file_has and _alone(block):
        return []  # accounts of one: everyone buys alone, as without accounts
    if not file_has:
        return [(key_path(loc), line_of(tree, loc), "the graph file gives no accounts: give "
                 "the labels file `account` and `role` columns, or name the node attribute "
                 "holding them (network.file.account_attribute, GML or GraphML); or leave "
                 "`accounts` out")]
    if not isinstance(block, dict):
        return []  # the model reports the wrong type
    problems = []
    for key in ("size", "sizes"):
        if block.get(key) is not None:
            problems.append((key_path((*loc, key)), line_of(tree, (*loc, key)),
                             "the graph file gives the accounts (who is in which, so their "
                             "sizes): leave `size` and `sizes` out (`strength` applies)"))
    payer = block.get("buyer_is_payer")
    if payer is not None and not (isinstance(payer, int | float) and payer == 0):
        problems.append((key_path((*loc, "buyer_is_payer")),
                         line_of(tree, (*loc, "buyer_is_payer")),
                         "the graph file gives each person's role (buyer+payer where the "
                         "buyer pays): leave `buyer_is_payer` out"))
    return problems
