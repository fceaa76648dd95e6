"""Helpers shared by the tests (a module, not conftest: tests import it by name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import wom
from wom.engine import NEVER

#: The Medical Innovation data (who adopted when, who talks to whom).
MEDICAL = Path(__file__).resolve().parents[1] / "data" / "medical-innovation"


def small_scenario(**overrides: Any) -> wom.Scenario:
    """A small two-strategy market; keyword arguments replace top-level sections."""
    data: dict[str, Any] = {
        "name": "small",
        "seed": 7,
        "horizon": 12,
        "replicates": 8,
        "segments": [
            {"name": "a", "size": 120, "tam": 0.8, "incumbent": 0.1,
             "early_market": 0.3, "references": 1},
            {"name": "b", "size": 90},
            {"name": "c", "size": 60, "tam": 0.5},
        ],
        "network": {"model": "planted_partition", "mean_degree": 8, "mixing": 0.15},
        "dynamics": {"word_of_mouth": 0.15, "marketing": 0.1, "talk_weeks": 2,
                     "generic_resonance": 0.5, "overlap": 0.3},
        "budget": {"total": 3000, "cost_per_seed": 200, "cost_per_contact": 5,
                   "seed_share": 0.4, "campaign_weeks": 4},
        "strategies": [
            {"name": "focused", "kind": "focused", "segment": "a", "seeding": "poster_child"},
            {"name": "broad", "kind": "broad", "seeding": "random"},
        ],
    }
    data.update(overrides)
    return wom.scenario_from_dict(data)


def medical_scenario(tmp_path: Path, extra: str = "") -> Path:
    """The Medical Innovation market (246 doctors in 4 cities) as `tmp_path/mi.yaml`;
    `extra`: more top-level YAML."""
    p = tmp_path / "mi.yaml"
    p.write_text(f"""name: medical-innovation
horizon: 18
segments: {{tam: 1.0}}
network:
  model: file
  file: {{path: {MEDICAL / 'ties.csv'}, labels: {MEDICAL / 'people.csv'}}}
dynamics: {{word_of_mouth: 0.1, marketing: 0.0, generic_resonance: 1.0}}
budget: {{total: 2000, cost_per_seed: 100, cost_per_contact: 1, campaign_weeks: 4}}
strategies:
  - {{name: focused, kind: focused, segment: city-1}}
  - {{name: broad, kind: broad}}
{extra}""", encoding="utf-8")
    return p


#: A small market of accounts (docs/model.md, "Accounts"): two segments of 300 people in
#: accounts of 5; clinics churn, half the firms' buyers pay; the focused campaign's message
#: barely moves payers (people wait in accounts that have not bought).
ACCOUNTS = {
    "name": "accounts",
    "seed": 5,
    "horizon": 10,
    "replicates": 2,
    "segments": [
        {"name": "clinics", "size": 300, "accounts": {"size": 5}, "churn": 0.05},
        {"name": "firms", "size": 300, "accounts": {"size": 5, "buyer_is_payer": 0.5}},
    ],
    "network": {"mean_degree": 8, "mixing": 0.1},
    "dynamics": {"word_of_mouth": 0.2, "marketing": 0.05},
    "budget": {"total": 3000, "cost_per_seed": 200, "cost_per_contact": 5},
    "strategies": [
        {"name": "focused", "kind": "focused", "segment": "clinics",
         "resonance": {"payer": 0.3}},
        {"name": "broad", "kind": "broad"},
    ],
}


def accounts_scenario(**overrides: Any) -> wom.Scenario:
    """:data:`ACCOUNTS` as a scenario; keyword arguments replace top-level sections."""
    return wom.scenario_from_dict({**ACCOUNTS, **overrides})


def waiting_now(sim: Any) -> np.ndarray:
    """``bool[N]``: people waiting in `sim` now, by docs/model.md's definition: convinced,
    in an account that has not bought (so not a customer, now or before)."""
    return sim.convinced() & (sim.adopted_at == NEVER)
