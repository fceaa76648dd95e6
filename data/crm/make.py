"""Write the synthetic CRM of the `from-today` lesson (run from the repository root).

A market like the flagship's (8 professions of 2,000 people, TAM 60%, an incumbent holding
10%, pragmatists needing two references) watched for 26 weeks with no campaign of its own:
people adopt by background (press, search) and word of mouth only. The truth, known here
and nowhere else: word of mouth 0.06 per tie and week, background 0.004 per week.

    new-customers.csv   period, segment, new_customers   (weeks 1–26)
    customers.csv       account, segment, adopted         (one row per customer, same data)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import wom
from wom.engine import Simulation, run_to_horizon
from wom.experiment import DYNAMICS, Replicate
from wom.inference.simulate import quiet_plan

HERE = Path(__file__).resolve().parent
WEEKS = 26
TRUTH = {"word_of_mouth": 0.06, "background": 0.004}


def main() -> None:
    sc = wom.load_scenario(HERE.parents[1] / "scenarios" / "from-today.yaml")
    sc = sc.model_copy(update={"dynamics": sc.dynamics.model_copy(update=TRUTH), "seed": 2026})
    rep = Replicate(sc, 0)
    pop = rep.population
    sim = Simulation(pop, quiet_plan(pop.n_segments, WEEKS), sc.dynamics, sc.network.weak_tie,
                     rng=rep.stream(DYNAMICS))
    run_to_horizon(sim)
    week = sim.adopted_at.astype(np.int64)
    won = np.flatnonzero(week >= 0)
    won = won[np.argsort(week[won], kind="stable")]
    names = sc.segment_names
    new = np.zeros((WEEKS, len(names)), np.int64)
    np.add.at(new, (week[won], pop.segment[won]), 1)
    (HERE / "new-customers.csv").write_text("period,segment,new_customers\n" + "".join(
        f"{t + 1},{name},{new[t, k]}\n" for t in range(WEEKS) for k, name in enumerate(names)))
    (HERE / "customers.csv").write_text("account,segment,adopted\n" + "".join(
        f"A{i + 1:04d},{names[pop.segment[v]]},{week[v] + 1}\n" for i, v in enumerate(won)))
    print(f"{won.size} customers in {WEEKS} weeks")


if __name__ == "__main__":
    main()
