"""The kinds of value a scenario file holds (names, shares, counts) and the limits wom keeps.

Every block of the file is a :class:`Strict` model: unknown keys are errors, so a typo never
falls back silently to a default.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


def not_bool(value: Any) -> Any:
    """YAML reads yes/no/true/false as booleans, and pydantic would take them as 1 and 0."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    return value


def _name(value: Any) -> Any:
    # Segment labels read from YAML or graph files are often numbers (department 4).
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def printable(value: str) -> str:
    """Names go into tables, CSV files, plots and folder names: a control character (tab,
    newline, escape) would garble them, and a lone surrogate cannot even be written as UTF-8."""
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cs")), None)
    if bad is not None:
        raise ValueError(f"contains the control character U+{ord(bad):04X}; names are printed "
                         "in tables and plots")
    return value


#: Longest scenario name, in UTF-8 bytes: it names a folder (file systems allow 255).
NAME_BYTES = 200


def folder_name(name: str) -> str:
    """A scenario's name, which names a folder of the run path (``results/<name>/…``):
    "." or ".." would escape it, and a name longer than a file system takes cannot be made."""
    if name.strip(".") == "":
        raise ValueError(f"{name!r} cannot name a results folder")
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > NAME_BYTES:
        raise ValueError(f"{size} bytes long: it names the results folder, which may be at most "
                         f"{NAME_BYTES} bytes")
    return printable(name)


Number = BeforeValidator(not_bool)
Name = Annotated[str, BeforeValidator(_name), Field(min_length=1), AfterValidator(printable)]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False), Number]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False), Number]
#: An amount of money per customer and step: 0 or more.
Money = Annotated[float, Field(ge=0.0, le=1e12, allow_inf_nan=False), Number]
Count = Annotated[int, Number]

#: Biggest market the ``complete`` graph accepts: N·(N−1) arcs must fit in memory.
COMPLETE_GRAPH_MAX_PEOPLE = 10_000
#: Rogers' innovators and early adopters: 16% of a market. The default share of a segment
#: that needs no references (its early market).
EARLY_ADOPTERS = 0.16
#: Penetration of a segment's TAM that counts as "ignited" (the early adopters won); also
#: the default beachhead trigger.
IGNITION_SHARE = EARLY_ADOPTERS
#: Most seeds or contacts a budget may buy at one cost (beyond, counts overflow int64 maths).
MAX_UNITS = 10**15


class Strict(BaseModel):
    """A block of the scenario file: unknown keys are errors, defaults are validated, and so is
    a value assigned from Python (``sc.network.resample = "Once"`` is refused at once)."""

    model_config = ConfigDict(extra="forbid", validate_default=True, validate_assignment=True)
