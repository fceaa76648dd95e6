"""The adoption rule, compiled: random numbers, the grouped state, one step, simulations,
and repeated seed-only cascades."""

from wom.engine.cascades import Cascades
from wom.engine.simulation import Plan, Simulation, StepCounts, Trajectory, run_to_horizon, simulate
from wom.engine.state import (
    ACCOUNT_ROWS,
    BACKGROUND,
    CAUSES,
    EXISTING,
    MARKETING,
    NEVER,
    SEED,
    WOM,
    Market,
    Params,
    People,
    Scratch,
    resonance_matrix,
)
from wom.engine.values import value_message, value_resonance

__all__ = ["ACCOUNT_ROWS", "BACKGROUND", "CAUSES", "EXISTING", "MARKETING", "NEVER", "SEED", "WOM",
           "Cascades", "Market", "Params", "People", "Plan", "Scratch", "Simulation",
           "StepCounts", "Trajectory", "resonance_matrix", "run_to_horizon", "simulate",
           "value_message", "value_resonance"]
