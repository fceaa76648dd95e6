"""Grounding scenarios in data: observed adoption set against the market, the exact
likelihood of individual data, simulation-based fits of counts, posterior draws."""
