"""The Mesa view: one replicate as a Mesa model, its people as agents on the engine's state."""

from wom.abm.agents import GENERIC, Person
from wom.abm.model import COLUMNS, WomModel

__all__ = ["COLUMNS", "GENERIC", "Person", "WomModel"]
