"""The scenario file: its schema, loading with line numbers, cross-key checks, key paths."""

from wom.config.checks import suspicious
from wom.config.fields import COMPLETE_GRAPH_MAX_PEOPLE, IGNITION_SHARE, MAX_UNITS
from wom.config.keys import Vary, make_vary, parse_vary
from wom.config.load import (
    apply,
    json_schema,
    load_scenario,
    scenario_from_dict,
    setting_path,
    with_settings,
)
from wom.config.metrics import COMPARED, METRIC_NAMES, METRICS, Metric
from wom.config.registry import GRAPH_MODELS, SEEDING_RULES, STRATEGY_KINDS, Registry
from wom.config.scenario import Scenario, Strategy, Sweep
from wom.config.schema import Budget, Dynamics, GraphFile, Network, Segment, power_law_sizes

__all__ = [
    "COMPARED", "COMPLETE_GRAPH_MAX_PEOPLE", "GRAPH_MODELS", "IGNITION_SHARE", "MAX_UNITS",
    "METRICS", "METRIC_NAMES", "SEEDING_RULES", "STRATEGY_KINDS", "Budget", "Dynamics",
    "GraphFile", "Metric", "Network", "Registry", "Scenario", "Segment", "Strategy", "Sweep",
    "Vary", "apply", "json_schema", "load_scenario", "make_vary", "parse_vary",
    "power_law_sizes", "scenario_from_dict", "setting_path", "suspicious", "with_settings",
]
