"""Word of mouth's direct path (``engine/step.py``): a step whose only trials are word of
mouth, every advocate retelling one message, adopts at a person's first success instead of
keeping successes for the commit. It must give the general path's numbers exactly: the same
adopters in the same order, the same draws after."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import wom
from helpers import small_scenario
from wom.engine import WOM, run_to_horizon
from wom.engine.state import ADOPTED, TALK_TO
from wom.experiment import Replicate

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


def both_paths(sc: wom.Scenario, replicate: int, strategy: str):
    """Replicate `replicate` of `strategy` with the direct path allowed, then without."""
    out = []
    for direct in (True, False):
        sim = Replicate(sc, replicate).simulation(sc.strategy(strategy))
        sim.params = sim.params._replace(direct=direct)
        out.append((sim, run_to_horizon(sim)))
    return out


def assert_same(a, b) -> None:
    (sim_a, tr_a), (sim_b, tr_b) = a, b
    for name in ("new_by_cause", "spend", "churned", "accounts"):
        assert np.array_equal(getattr(tr_a, name), getattr(tr_b, name)), name
    pa, pb = sim_a.people, sim_b.people
    for name in ("open_segment", "adopted_at", "message", "cause", "left_at",
                 "reference_count", "counters", "step_start"):
        assert np.array_equal(getattr(pa, name), getattr(pb, name)), name
    # (past the adopters and the advocates so far, these arrays hold nothing yet)
    n, talk_to = pa.counters[ADOPTED], pa.counters[TALK_TO]
    assert np.array_equal(pa.order[:n], pb.order[:n])
    for name in ("advocates", "advocate_tag", "advocate_until"):
        assert np.array_equal(getattr(pa, name)[:talk_to], getattr(pb, name)[:talk_to]), name
    # the random streams end where they ended: every later draw is the same
    assert np.array_equal(sim_a._state, sim_b._state)
    assert np.array_equal(sim_a._churn_state, sim_b._churn_state)


def direct_adopters(sim) -> int:
    """Word-of-mouth adopters who never passed through the commit (in a market without
    accounts the general path stamps every success with its step): how many the direct
    path adopted."""
    p = sim.people
    wom = p.cause == WOM
    return int((wom & (sim._scratch.stamp != p.adopted_at)).sum())


IC = {"word_of_mouth": 0.3, "marketing": 0.0, "background": 0.0, "talk_weeks": 2,
      "generic_resonance": 0.6, "overlap": 0.3}


@pytest.mark.parametrize(("name", "overrides"), [
    ("word of mouth alone after the campaign", {"dynamics": IC}),
    ("references and churn", {"dynamics": IC, "segments": [
        {"name": "a", "size": 150, "references": 2, "early_market": 0.2, "churn": 0.05},
        {"name": "b", "size": 120, "churn": 0.02}]}),
    ("one talk week, certain word of mouth", {"dynamics": {**IC, "word_of_mouth": 1.0,
                                                           "talk_weeks": 1}}),
])
def test_the_direct_path_gives_the_general_paths_numbers(name, overrides):
    sc = small_scenario(horizon=20, **overrides)
    taken = 0
    for replicate in range(4):
        for spec in sc.strategies:
            direct, general = both_paths(sc, replicate, spec.name)
            assert_same(direct, general)
            taken += direct_adopters(direct[0])
            assert direct_adopters(general[0]) == 0
    assert taken > 0, "the direct path never ran: the test compared the general path twice"


def test_background_keeps_every_step_on_the_general_path():
    sc = small_scenario(horizon=20, dynamics={**IC, "background": 0.01})
    direct, general = both_paths(sc, 0, "broad")
    assert_same(direct, general)
    assert direct_adopters(direct[0]) == 0


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_gives_the_same_numbers_either_way(path):
    sc = wom.load_scenario(path)
    for spec in sc.strategies:
        direct, general = both_paths(sc, 1, spec.name)
        assert_same(direct, general)
