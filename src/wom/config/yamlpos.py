"""Where a key sits in a YAML file: line numbers for errors, and what YAML lets through that
a scenario must not (repeated keys, NaN, half of a UTF-16 pair)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from wom.errors import ScenarioError


def line_of(root: yaml.Node | None, path: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest node of `path` found in a composed YAML tree."""
    node, line = root, None
    for key in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    nxt, line = v, k.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(key, int)
            and 0 <= key < len(node.value)
        ):
            nxt = node.value[key]
        node = nxt
    if node is not None:
        line = node.start_mark.line + 1
    return line


def key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def duplicate_keys(
    node: yaml.Node | None, path: tuple[Any, ...] = (), visited: set[int] | None = None
) -> list[tuple]:
    """YAML silently keeps the last of two equal keys; a scenario must not."""
    found: list[tuple] = []
    # An alias (*name) shares its anchor's node, possibly recursively: visit each node once.
    visited = set() if visited is None else visited
    if id(node) in visited:
        return found
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            if k.value in seen:
                found.append(((*path, k.value), k.start_mark.line + 1))
            seen.add(k.value)
            found += duplicate_keys(v, (*path, k.value), visited)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            found += duplicate_keys(v, (*path, i), visited)
    return found



# A "\ud800" escape in YAML gives half a UTF-16 pair, which no UTF-8 file can hold.
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_A_CHARACTER = "contains a lone surrogate (a \\ud800–\\udfff escape), which is not a character"


#: Keys that hold file names: a byte of a name that is not UTF-8 is read as such an escape
#: (Python's surrogateescape), and written back as one into a run folder's scenario.yaml
#: (a run made in such a folder could not be run again from its own folder).
_FILE_NAMES = {("network", "file", "path"), ("network", "file", "labels")}


def reject_non_finite(data: Any, path: Path, tree: yaml.Node | None) -> None:
    """NaN and infinities, and strings no file can hold."""
    visited: set[int] = set()

    def walk(x: Any, loc: tuple[Any, ...]) -> None:
        if isinstance(x, float) and not math.isfinite(x):
            problem = (key_path(loc), line_of(tree, loc), f"{x} is not a number")
            raise ScenarioError(path, [problem])
        if isinstance(x, str) and _SURROGATE.search(x) and loc not in _FILE_NAMES:
            raise ScenarioError(path, [(key_path(loc), line_of(tree, loc), _NOT_A_CHARACTER)])
        if isinstance(x, dict | list):
            if id(x) in visited:  # an alias: already checked (and maybe recursive)
                return
            visited.add(id(x))
        if isinstance(x, dict):
            for k, v in x.items():
                if isinstance(k, str) and _SURROGATE.search(k):
                    shown = k.encode("utf-8", "backslashreplace").decode("ascii", "replace")
                    raise ScenarioError(path, [(key_path((*loc, shown)), line_of(tree, loc),
                                                "key " + _NOT_A_CHARACTER)])
                walk(v, (*loc, k))
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, (*loc, i))

    walk(data, ())
