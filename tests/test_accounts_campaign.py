"""A strategy's role resonance belongs to its own message: a market the campaign never
reaches spreads the same whatever that resonance (the adversarial trial of issue 16)."""

from __future__ import annotations

import numpy as np

import wom
from wom.engine import run_to_horizon
from wom.experiment import Replicate


def test_role_resonance_leaves_what_the_campaign_never_sent_alone():
    """Budget 1 buys nothing: every customer comes from background and its word of mouth
    (the generic message). Two strategies that differ only by their message's resonance
    with payers must then give the same market, replicate by replicate."""
    sc = wom.scenario_from_dict({
        "seed": 3, "horizon": 20, "replicates": 4,
        "segments": [{"name": "a", "size": 400, "accounts": {"size": 4}}],
        "dynamics": {"word_of_mouth": 0.2, "background": 0.01},
        "budget": {"total": 1},
        "strategies": [
            {"name": "plain", "kind": "focused", "segment": "a"},
            {"name": "deaf-payers", "kind": "focused", "segment": "a",
             "resonance": {"payer": 0.0}},
        ]})
    res = wom.run(sc, workers=1)
    assert res.spend.sum() == 0
    plain, deaf = res.accounts[0], res.accounts[1]
    assert plain[:, :, 0].sum() > 0  # accounts were won (by background and word of mouth)
    np.testing.assert_array_equal(plain, deaf)
    np.testing.assert_array_equal(res.new_by_cause[0], res.new_by_cause[1])


def test_role_resonance_applies_to_the_campaigns_message_retold():
    """The same market with a campaign: payers deaf to its message are never convinced by
    it, first-hand or retold (only background and the generic message reach them)."""
    sc = wom.scenario_from_dict({
        "seed": 4, "horizon": 20, "replicates": 1,
        "segments": [{"name": "a", "size": 400, "accounts": {"size": 4}}],
        "dynamics": {"word_of_mouth": 0.3, "marketing": 0.5},
        "budget": {"total": 4000, "cost_per_contact": 1, "seed_share": 0.1},
        "strategies": [{"name": "deaf-payers", "kind": "focused", "segment": "a",
                        "resonance": {"payer": 0.0}}]})
    sim = Replicate(sc, 0).simulation("deaf-payers")
    run_to_horizon(sim)
    acc = sim.population.accounts
    assert (sim.message >= 0).sum() > 50  # many convinced
    assert not (sim.message[acc.payer] >= 0).any()  # no payer ever
    assert sim.accounts_bought == 0
