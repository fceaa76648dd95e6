"""The names users write in scenario files, each bound to the code that does it.

A :class:`Registry` maps a name (``focused``, ``poster_child``, ``lfr``) to a function and what
the scenario file needs for it. The schema validates names against the registries and
generates the JSON Schema's enums and descriptions from them, so a strategy kind, a seeding
rule or a graph model is added in one place: one decorated function in :mod:`wom.campaign` or
:mod:`wom.market`. Those modules fill the registries when :mod:`wom` is imported, before any
scenario is validated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any


def choices(names: Sequence[str]) -> str:
    """``'a', 'b' or 'c'``: how pydantic lists the values a field accepts."""
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def first_line(fn: Callable[..., Any]) -> str:
    """The first sentence line of a docstring, without its final full stop."""
    doc = (fn.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(doc.split()).rstrip(".")


class Registry[F: Callable[..., Any]]:
    """Names bound to functions, in registration order.

    Parameters
    ----------
    what
        What a name stands for, in words (``"strategy kind"``), for messages.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self._fns: dict[str, F] = {}
        self._info: dict[str, dict[str, Any]] = {}

    def register(self, name: str, **info: Any) -> Callable[[F], F]:
        """Decorator: bind `name` to the function, with what the scenario needs for it."""

        def add(fn: F) -> F:
            if name in self._fns and self._fns[name] is not fn:
                raise ValueError(f"{self.what} {name!r} is registered twice")
            self._fns[name] = fn
            self._info[name] = info
            return fn

        return add

    def unregister(self, name: str) -> None:
        """Forget `name` (a plugin unloaded, a test's temporary entry)."""
        self._fns.pop(name, None)
        self._info.pop(name, None)

    def __getitem__(self, name: str) -> F:
        return self._fns[name]

    def __contains__(self, name: object) -> bool:
        return name in self._fns

    def __iter__(self) -> Iterator[str]:
        return iter(self._fns)

    def names(self) -> tuple[str, ...]:
        return tuple(self._fns)

    def info(self, name: str) -> dict[str, Any]:
        """What was registered with `name` besides its function."""
        return self._info[name]

    def check(self, name: str) -> str:
        """`name` if it is registered; else a ``ValueError`` listing those that are."""
        if not isinstance(name, str) or name not in self._fns:
            raise ValueError(f"Input should be {choices(self.names())}")
        return name

    def describe(self) -> str:
        """``name: what it does; …`` from the first line of each function's docstring."""
        return "; ".join(f"{n}: {first_line(fn)}" for n, fn in self._fns.items())

    def schema(self, intro: str = "") -> Callable[[dict[str, Any]], None]:
        """A pydantic ``json_schema_extra``: the names as the field's enum, described."""

        def extra(schema: dict[str, Any]) -> None:
            schema["enum"] = list(self.names())
            schema["description"] = f"{intro}{self.describe()}."

        return extra


#: ``network.model``: ``(scenario, seg_start, rng) -> (u, v)`` tie arrays (wom.market).
GRAPH_MODELS: Registry[Callable[..., Any]] = Registry("graph model")
#: ``strategies[].kind``: ``(spec, scenario, population, rng) -> Plan`` (wom.campaign).
STRATEGY_KINDS: Registry[Callable[..., Any]] = Registry("strategy kind")
#: ``strategies[].seeding``: ``(context, candidates, k) -> people`` (wom.campaign).
SEEDING_RULES: Registry[Callable[..., Any]] = Registry("seeding rule")
