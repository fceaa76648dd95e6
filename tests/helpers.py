"""Helpers shared by the tests (a module, not conftest: tests import it by name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import wom

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
