"""Key paths into a scenario (``network.mixing``, ``segments.*.references``) and the values a
sweep gives them: ``PATH=LO:HI:N`` or ``PATH=A,B,C`` on the command line, or a scenario's
``sweep:`` block (validated with the rest of the file)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wom.errors import WomError

#: A dotted key path; ``*`` stands for every element of a list.
# (later parts may be names with hyphens: a segment or strategy called first-segment)
KEY_PATH = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*|\*|\d+)"
                      r"(\.([A-Za-z_][A-Za-z0-9_-]*|\*|\d+))*$")
Value = int | float | str
#: Segment keys the market is drawn from (:func:`wom.market.build_population`): with the
#: seed and the network's keys but ``weak_tie``, what changes the market.
MARKET_SEGMENT_KEYS = frozenset({"name", "size", "tam", "incumbent", "early_market",
                                 "references", "accounts"})


def market_key_path(path: str) -> bool:
    """Whether the key at `path` (``segments.*.tam``, ``network.mixing``, …) changes the
    market: its graph, or who is in the TAM, the incumbent's, the early market, an account
    (an account's ``strength`` is how its members talk, read by the dynamics), or who has
    which attribute value (the market keeps an attribute's ``overlap`` too)."""
    head, _, rest = path.partition(".")
    if head in ("seed", "attributes"):
        return True
    if head == "network":
        return rest.partition(".")[0] not in ("weak_tie", "resample")
    if head == "segments":
        parts = rest.split(".")
        return len(parts) < 2 or (parts[1] in MARKET_SEGMENT_KEYS
                                  and parts[2:3] != ["strength"])
    return False


def once_draw_problem(path: str) -> str:
    """Why a draw of `path` (a :func:`market_key_path`) is refused under ``resample: once``."""
    return (f"network.resample is once, so every replicate shares one market, which a draw "
            f"of {path} would change from replicate to replicate; set network.resample: "
            "per_replicate, or leave the key out of the draws")


def once_fit_problem(path: str) -> str:
    """Why fitting `path` (a :func:`market_key_path`) is refused under ``resample: once``:
    the fit ends in draws of the key per replicate (fitted.yaml's ``uncertainty:``), which
    one shared market cannot carry."""
    return (f"network.resample is once, so every replicate shares one market, but a fit of "
            f"{path} ends in a draw of it per replicate (fitted.yaml's uncertainty block), "
            "which that market cannot carry; set network.resample: per_replicate, or give "
            f"{path} as a known value")


@dataclass(frozen=True)
class Vary:
    """One swept parameter: a dotted key path and its values (``range`` for ``lo:hi:n``)."""

    path: str
    values: tuple[Value, ...]
    range: tuple[float, float] | None = None
    integer: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "values": list(self.values),
                "range": None if self.range is None else list(self.range),
                "integer": self.integer}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Vary:
        rng = d.get("range")
        return cls(d["path"], tuple(d["values"]), None if rng is None else (rng[0], rng[1]),
                   bool(d.get("integer", False)))


def _scalar(text: str) -> Value:
    for kind in (int, float):
        try:
            return kind(text)  # type: ignore[no-any-return]
        except ValueError:
            pass
    return text


def parse_vary(text: str) -> Vary:
    """``path=lo:hi:n`` (n evenly spaced values) or ``path=a,b,c``.

    ``*`` in the path means every element of a list (``segments.*.references``). Integer
    bounds whose spaced values are all whole give integers.
    """
    if "=" not in text:
        raise WomError(f"--vary {text!r}: expected PATH=LO:HI:N or PATH=A,B,C")
    path, _, spec = text.partition("=")
    try:
        return make_vary(path.strip(), spec.strip())
    except WomError as err:
        raise WomError(f"--vary {text!r}: {err}") from None


def make_vary(path: str, spec: str | Sequence[Value]) -> Vary:
    """One swept parameter from its path and ``"lo:hi:n"``, ``"a,b,c"`` or a list of values
    (the form of a scenario's ``sweep:`` block)."""
    bad = WomError
    if not KEY_PATH.match(path):
        raise bad(f"{path!r} is not a dotted key path (like network.mixing or "
                  "segments.*.references)")
    if not isinstance(spec, str):
        listed = tuple(spec)
        if not listed:
            raise bad("no values")
        if len(set(listed)) != len(listed):
            raise bad("a value is repeated")
        return Vary(path, listed)
    if not spec:
        raise bad("no values")
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise bad("a range is LO:HI:N")
        try:
            lo, hi = float(parts[0]), float(parts[1])
            n = int(parts[2])
        except ValueError:
            raise bad("LO and HI must be numbers and N a whole number") from None
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise bad("LO and HI must be finite")
        if n < 1:
            raise bad("N must be at least 1")
        if n == 1 and lo != hi:
            raise bad("N = 1 needs LO = HI")
        if hi < lo:
            raise bad("HI is below LO")
        grid = np.linspace(lo, hi, n)
        ints = all(re.fullmatch(r"[+-]?\d+", p.strip()) for p in parts[:2])
        ints = ints and bool(np.all(grid == np.round(grid)))
        values: tuple[Value, ...] = (tuple(int(np.rint(v)) for v in grid) if ints
                                     else tuple(float(v) for v in grid))
        return Vary(path, values, (lo, hi), ints)
    items = [s.strip() for s in spec.split(",")]
    if any(not s for s in items):
        raise bad("empty value in the list")
    vals = tuple(_scalar(s) for s in items)
    if len(set(vals)) != len(vals):
        raise bad("a value is repeated")
    return Vary(path, vals)


def missing_key(data: Any, path: str) -> str | None:
    """Why `path` names nothing in the scenario data `data` (``None`` if it names a key)."""
    nodes = [data]
    for key in path.split("."):
        nxt = []
        for node in nodes:
            if isinstance(node, list):
                named = [x for x in node if isinstance(x, dict) and x.get("name") == key]
                if key == "*":
                    nxt.extend(node)
                elif named:  # a segment or a strategy by its name, as set_path takes it
                    nxt.append(named[0])
                elif key.isdigit() and int(key) < len(node):
                    nxt.append(node[int(key)])
                else:
                    return f"{key!r} is neither a name nor an index of a list of {len(node)}"
            elif isinstance(node, dict):
                if key not in node:
                    return f"the scenario has no key {key!r}"
                nxt.append(node[key])
            elif node is None:
                return f"{path}: a key on the way is not set in the scenario"
            else:
                return f"{key!r}: cannot go inside a {type(node).__name__}"
        nodes = nxt
    return None


def representatives(values: Sequence[Value], limit: int) -> list[Value]:
    """The distinct `values`, or only the smallest and largest when there are more than
    `limit` numbers: the values whose validity stands for all of them."""
    seen = list(dict.fromkeys(values))
    if len(seen) > limit and all(isinstance(v, int | float) for v in seen):
        return [min(seen), max(seen)]  # type: ignore[type-var]
    return seen


def concrete(data: Any, path: str) -> list[tuple[Any, ...]]:
    """The keys `path` addresses in the scenario data `data`, each as a tuple of dict keys
    and list indices (``*`` is every element, a name its element's index): two spellings
    of one key give the same tuples. A path that goes nowhere gives its own parts."""
    found: list[tuple[Any, ...]] = [()]
    nodes = [data]
    for key in path.split("."):
        nxt, ways = [], []
        for node, way in zip(nodes, found, strict=True):
            if isinstance(node, list):
                named = [i for i, x in enumerate(node) if isinstance(x, dict)
                         and x.get("name") == key]
                picks = (range(len(node)) if key == "*" else named[:1] or (
                    [int(key)] if key.isdigit() and int(key) < len(node) else []))
                nxt += [node[i] for i in picks]
                ways += [(*way, i) for i in picks]
            elif isinstance(node, dict) and key in node:
                nxt.append(node[key])
                ways.append((*way, key))
        if not nxt:
            return [tuple(path.split("."))]
        nodes, found = nxt, ways
    return found


def values_at(data: Any, path: str) -> list[Any]:
    """The value of every key `path` addresses (:func:`concrete`) that is there."""
    out = []
    for way in concrete(data, path):
        node = data
        try:
            for key in way:
                node = node[key]
        except (KeyError, IndexError, TypeError):
            continue
        out.append(node)
    return out


def overlap(data: Any, a: str, b: str) -> bool:
    """Whether key paths `a` and `b` address a common key, or one a key inside the other."""
    return any(x[:len(y)] == y or y[:len(x)] == x
               for x in concrete(data, a) for y in concrete(data, b))


def _release(data: Any, path: str) -> None:
    """A value set at `path` of the scenario data `data` (``--set``, a sweep's point)
    replaces the fit's draws of every drawn key it addresses, however spelt (names,
    indices, ``*``), or that lies inside it or holds it (``uncertainty:``), in place; with
    no draws left, the block goes."""
    unc = data.get("uncertainty") if isinstance(data, dict) else None
    if not isinstance(unc, dict) or not isinstance(unc.get("draws"), dict):
        return
    for key in [k for k in unc["draws"] if overlap(data, k, path)]:
        del unc["draws"][key]
        for told in ("estimates", "intervals"):
            if isinstance(unc.get(told), dict):
                unc[told].pop(key, None)
    if not unc["draws"]:
        data.pop("uncertainty")


#: Blocks whose keys are key paths (``fit.free.dynamics.background`` sets one of them).
PATH_KEYED = ("free", "draws", "estimates", "intervals")


def set_path(data: Any, path: str, value: Any) -> None:
    """Set `value` at the dotted key `path` of the scenario data `data` (``*``: every element
    of a list; a segment or a strategy by its name or its index; in ``fit.free`` and the
    ``uncertainty:`` maps, the rest of the path is one key), in place. A key set no longer
    takes the fit's draws (:func:`_release`)."""
    _set(data, path.split("."), value, path)
    _release(data, path)


def _set(node: Any, keys: list[str], value: Any, path: str) -> None:
    key, rest = keys[0], keys[1:]
    if rest and key in PATH_KEYED and isinstance(node, dict) and (
            node.get(key) is None or isinstance(node.get(key), dict)):
        node[key] = node.get(key) or {}  # (a fit: block left out starts here)
        node[key][".".join(rest)] = value
        return
    if key == "*":
        if not isinstance(node, list):
            raise WomError(f"{path}: '*' needs a list here")
        targets = list(range(len(node)))
    elif isinstance(node, list):
        named = [i for i, x in enumerate(node) if isinstance(x, dict) and x.get("name") == key]
        if named:  # a segment or a strategy by its name
            targets = named[:1]
        elif not key.isdigit() or int(key) >= len(node):
            names = [str(x["name"]) for x in node if isinstance(x, dict) and "name" in x]
            known = (f" (names: {', '.join(names[:8])}{', …' if len(names) > 8 else ''})"
                     if names else "")
            raise WomError(f"{path}: {key!r} is neither a name nor an index of a list of "
                           f"{len(node)}{known}")
        else:
            targets = [int(key)]
    elif isinstance(node, dict):
        if rest and key not in node:
            raise WomError(f"{path}: the scenario has no key {key!r}")
        targets = [key]  # type: ignore[list-item]
    else:
        raise WomError(f"{path}: cannot go inside a {type(node).__name__}")
    for t in targets:
        if rest:
            if node[t] is None:  # a block left out (optimize:, fit:, …): set inside it
                node[t] = {}
            _set(node[t], rest, value, path)
        else:
            node[t] = value
