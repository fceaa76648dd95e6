"""The campaign: strategies turn the budget into plans (money, seeding rules, greedy seeding).

Importing it registers the strategy kinds and the seeding rules by name.
"""

from wom.campaign import greedy  # noqa: F401 — registers the greedy seeding rule
from wom.campaign.budget import budget_money, budget_units, contact_schedule, segment_costs, units
from wom.campaign.seeding import SeedingContext, cross_ties, seeds_in, segment_centrality, top
from wom.campaign.strategies import BeachheadPlan, make_plan

__all__ = [
           "BeachheadPlan",
           "SeedingContext",
           "budget_money",
           "budget_units",
           "contact_schedule",
           "cross_ties",
           "make_plan",
           "seeds_in",
           "segment_centrality",
           "segment_costs",
           "top",
           "units",
]
