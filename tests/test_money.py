"""Money and churn: known answers, today's columns unchanged, bad values refused."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import wom
from helpers import small_scenario
from wom.cli import main
from wom.engine import NEVER, SEED, run_to_horizon
from wom.experiment import Replicate
from wom.store import Results
from wom.store.money import Economics, payback_step

DATA = Path(__file__).parent / "data"


def test_without_economics_todays_timeseries_columns_are_byte_identical_to_mains():
    """main-baseline-timeseries.csv was written by main's code (before money) from the same
    scenario: with no churn and no price the old columns come out byte for byte."""
    sc = wom.load_scenario(DATA / "main-baseline.yaml")
    res = wom.run(sc, workers=1)
    old = (DATA / "main-baseline-timeseries.csv").read_bytes()
    columns = old.split(b"\n", 1)[0].decode().split(",")
    buf = res.timeseries()[columns].to_csv(index=False, float_format="%.10g",
                                           lineterminator="\n").encode()
    assert buf == old
    ts = res.timeseries()
    assert (ts.churned == 0).all() and (ts.revenue == 0).all()
    # "customers" now means paying customers: the adopters less the seeds (who did not pay).
    seeds = ts.groupby(["strategy", "replicate", "segment"]).new_by_seed.cumsum()
    assert (ts.customers == ts.adopters - seeds).all()


def _churning(churn: float, **budget) -> wom.Scenario:
    return small_scenario(
        horizon=10,
        segments=[{"name": "a", "size": 150, "references": 1, "early_market": 0.3,
                   "churn": churn, "price": 7.0},
                  {"name": "b", "size": 100, "churn": churn, "price": 3.0}],
        dynamics={"word_of_mouth": 0.3, "marketing": 0.2, "background": 0.05,
                  "talk_weeks": 3},
        budget={"total": 3000, "cost_per_seed": 200, "cost_per_contact": 5,
                "campaign_weeks": 4, **budget})


def test_churn_one_keeps_nobody_a_customer_more_than_one_step():
    sc = _churning(1.0)
    for r in range(3):
        sim = Replicate(sc, r).simulation("focused")
        run_to_horizon(sim)
        adopted = sim.adopted_at != NEVER
        assert adopted.sum() > 20
        adopted_at, left_at = sim.adopted_at[adopted], sim.left_at[adopted]
        last = adopted_at == sc.horizon - 1  # no step left to leave in
        assert (left_at[~last] == adopted_at[~last] + 1).all() and (left_at[last] == NEVER).all()
    res = wom.run(sc, replicates=3, workers=1)
    # Every step, the customers served are exactly that step's new adopters.
    money = res.money()
    new = res.new_by_cause.sum(axis=3)
    assert np.array_equal(money.served, new)


def test_revenue_is_price_times_customer_steps_in_a_customer_only_market():
    """No spend at all (a zero budget): customers come from outside (background) and word of
    mouth and leave at random. Revenue is price × the customer-steps counted person by
    person from the engine's own record of who adopted and left when."""
    sc = _churning(0.2, total=0.0, seeds_pay=True)
    res = wom.run(sc, replicates=4, workers=1)
    assert res.spend.sum() == 0
    price = np.array([7.0, 3.0])
    for s, spec in enumerate(sc.strategies):
        for r in range(4):
            sim = Replicate(sc, r).simulation(spec)
            run_to_horizon(sim)
            who = sim.order[: sim.n_adopted]
            until = np.where(sim.left_at[who] == NEVER, sc.horizon, sim.left_at[who])
            steps = until - sim.adopted_at[who]
            seg = sim.population.segment[who]
            expected = float((price[seg] * steps).sum())
            got = float(res.money().revenue[s, r].sum())
            assert got == expected
            per = res.per_replicate()
            row = per[(per.strategy == spec.name) & (per.replicate == r)].iloc[0]
            assert row.revenue == expected and row.gross_profit == expected
            assert math.isnan(row.roi)  # nothing spent: no return on it


def test_payback_by_hand():
    gross = np.array([[0.0, 10, 10, 10, 10],   # covers 30 spent at step 3
                      [10.0, 0, 0, 20, 0],      # covers at 0, falls short, covers again at 3
                      [1.0, 1, 1, 1, 1],        # never within the horizon
                      [0.0, 0, 0, 0, 5]])       # covers at the last step
    spend = np.array([[25.0, 0, 5, 0, 0],
                      [5.0, 10, 0, 0, 0],
                      [10.0, 0, 0, 0, 0],
                      [5.0, 0, 0, 0, 0]])
    got = payback_step(gross, spend)
    assert got[:2].tolist() == [3.0, 3.0] and math.isnan(got[2]) and got[3] == 4.0


def _tiny_results(seeds_pay: bool) -> Results:
    """One strategy, one replicate, one segment, 4 steps, counts written by hand."""
    sc = small_scenario(
        horizon=4, segments=[{"name": "a", "size": 50, "price": 10.0, "gross_margin": 0.5,
                              "cost_to_serve": 1.0, "churn": 0.1}],
        budget={"total": 1000, "cost_per_seed": 100, "cost_per_contact": 1,
                "seeds_pay": seeds_pay, "campaign_weeks": 2},
        strategies=[{"name": "focused", "kind": "focused", "segment": "a"}])
    new = np.zeros((1, 1, 4, 4, 1), np.int32)
    new[0, 0, 0, SEED, 0] = 2           # step 0: two seeds
    new[0, 0, 1, 1, 0] = 3              # step 1: three by marketing
    new[0, 0, 2, 3, 0] = 5              # step 2: five by word of mouth
    churned = np.zeros((1, 1, 4, 2, 1), np.int32)
    churned[0, 0, 2, 0, 0] = 1          # step 2: a seed leaves
    churned[0, 0, 3, 1, 0] = 2          # step 3: two others leave
    spend = np.zeros((1, 1, 4, 1))
    spend[0, 0, 0, 0] = 200.0
    spend[0, 0, 1, 0] = 50.0
    return Results(scenario=sc, new_by_cause=new, spend=spend, tam=np.array([50]),
                   churned=churned)


def test_money_of_a_small_case_by_hand():
    res = _tiny_results(seeds_pay=False)
    m = res.money()
    # served: 2, 5, 9 (10 − one seed), 7; paying (seeds apart): 0, 3, 8, 6
    assert m.served[0, 0, :, 0].tolist() == [2, 5, 9, 7]
    assert m.paying[0, 0, :, 0].tolist() == [0, 3, 8, 6]
    assert m.revenue[0, 0, :, 0].tolist() == [0, 30, 80, 60]
    # gross profit: 10·0.5·paying − 1·served
    assert m.gross_profit[0, 0, :, 0].tolist() == [-2, 10, 31, 23]
    row = res.per_replicate().iloc[0]
    assert row.revenue == 170 and row.gross_profit == 62 and row.profit == 62 - 250
    assert row.roi == pytest.approx((62 - 250) / 250)
    assert row.acquisition_cost == pytest.approx(250 / 8)   # seeds are not acquired
    assert row.paying_customers == 6 and row.seeds == 2 and row.customers == 10
    assert math.isnan(row.payback_step)
    paid = _tiny_results(seeds_pay=True).money()
    assert paid.paying[0, 0, :, 0].tolist() == [2, 5, 9, 7]


def test_lifetime_value():
    sc = small_scenario(segments=[
        {"name": "a", "size": 10, "price": 10.0, "gross_margin": 0.6, "churn": 0.1},
        {"name": "b", "size": 10, "price": 10.0, "gross_margin": 0.6},
        {"name": "c", "size": 10}])
    ltv = Economics.of(sc).lifetime_value()
    assert ltv[0] == pytest.approx(60.0) and ltv[1] == math.inf and ltv[2] == 0.0
    disc = Economics.of(sc.model_copy(update={"budget": sc.budget.model_copy(
        update={"discount_rate": 0.05})})).lifetime_value()
    assert disc[0] == pytest.approx(6 * 1.05 / 0.15) and disc[1] == pytest.approx(6 * 1.05 / 0.05)


@pytest.mark.parametrize(("key", "value", "words"), [
    ("price", -1, "price"), ("churn", 1.5, "churn"), ("gross_margin", 2, "gross_margin"),
    ("cost_to_serve", -3, "cost_to_serve")])
def test_bad_economics_exit_2_naming_file_line_and_key(tmp_path, key, value, words):
    text = (DATA / "main-baseline.yaml").read_text().replace(
        "  - {name: b, size: 100}", f"  - {{name: b, size: 100, {key}: {value}}}")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(out), "-q"])
    assert result.exit_code == 2
    line = text.splitlines().index(f"  - {{name: b, size: 100, {key}: {value}}}") + 1
    assert f"{path}:{line}" in result.output and f"segments[1].{words}" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_fit_refuses_churn():
    sc = small_scenario(segments=[{"name": "a", "size": 50, "churn": 0.1}], strategies=[])
    with pytest.raises(wom.WomError, match="churn"):
        wom.fit(sc, "no-such-file.csv")  # refused before the data are looked at


def test_wom_run_by_profit_prints_the_money_and_names_the_profit_winner(tmp_path):
    path = Path(__file__).resolve().parents[1] / "scenarios" / "quality-revenue.yaml"
    result = CliRunner().invoke(main, ["run", str(path), "-r", "4", "-w", "1", "--by", "profit",
                                       "-o", str(tmp_path / "run")], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "paying" in result.output and "payback" in result.output
    assert "profit over broad (95% CI" in result.output
    assert (tmp_path / "run" / "money.png").is_file()
    report = (tmp_path / "run" / "report.html").read_text()
    assert "pays back first" in report


def test_a_scenario_without_economics_prints_no_money(tmp_path):
    result = CliRunner().invoke(main, ["run", str(DATA / "main-baseline.yaml"), "-r", "2",
                                       "-w", "1", "-o", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "paying" not in result.output and "payback" not in result.output
    assert not (tmp_path / "run" / "money.png").exists()


def test_a_sweep_compares_profit(tmp_path):
    path = Path(__file__).resolve().parents[1] / "scenarios" / "quality-revenue.yaml"
    result = CliRunner().invoke(main, ["sweep", str(path), "-v", "segments.*.churn=0,0.05",
                                       "-r", "2", "-w", "1", "--metric", "profit",
                                       "-o", str(tmp_path / "sweep")])
    assert result.exit_code == 0, result.output
    csv = pd.read_csv(tmp_path / "sweep" / "sweep.csv")
    assert (csv.metric == "profit").all() and "profit_mean" in csv
    # churn costs the focused plan profit
    focused = csv[csv.strategy == "focused"].set_index("segments.*.churn").profit_mean
    assert focused[0.0] > focused[0.05]


NEVER_PAYS = """name: never
horizon: 20
replicates: 6
segments:
  - {name: a, size: 300, price: 5, churn: 0.02}
  - {name: b, size: 300, price: 0.01}
budget: {total: 5000, cost_per_seed: 100, cost_per_contact: 2}
strategies:
  - {name: pays, kind: focused, segment: a}
  - {name: never, kind: focused, segment: b}
"""


def test_payback_verdict_when_one_plan_never_pays_back(tmp_path):
    """`--by payback_step` printed "+nan payback week … a single replicate" when one plan
    never paid back (new-user trial of issue 15)."""
    path = tmp_path / "never.yaml"
    path.write_text(NEVER_PAYS)
    result = CliRunner().invoke(main, ["run", str(path), "-w", "1", "--by", "payback_step",
                                       "-o", str(tmp_path / "run")], terminal_width=200)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "nan" not in out
    assert "pays pays back in 100% of replicates" in out
    assert "never never pays back within the 20 weeks" in out
    # and the money table shows each plan's spend, what it could buy of its budget
    summary = pd.read_csv(tmp_path / "run" / "summary.csv")
    for row in summary.itertuples():
        assert f"{row.spend_mean:,.0f}" in out


def test_roi_verdict_in_percentage_points_and_the_seeds_paying_footnote(tmp_path):
    path = Path(__file__).resolve().parents[1] / "scenarios" / "quality-revenue.yaml"
    result = CliRunner().invoke(main, ["run", str(path), "-r", "4", "-w", "1", "--by", "roi",
                                       "--set", "budget.seeds_pay=true",
                                       "-o", str(tmp_path / "run")], terminal_width=200)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    summary = pd.read_csv(tmp_path / "run" / "summary.csv").set_index("strategy")
    diff = 100 * (summary.roi_mean["focused"] - summary.roi_mean["broad"])
    assert f"focused wins: {diff:+,.0f} percentage points of ROI over broad" in out, out
    assert "the seeds included (here they pay)" in out
    assert "paying customers: at the horizon, without the seeds" not in out


def test_a_plan_run_from_todays_customers_says_its_money_counts_them(tmp_path):
    root = Path(__file__).resolve().parents[1]
    result = CliRunner().invoke(main, [
        "run", str(root / "scenarios" / "from-today.yaml"), "--customers",
        str(root / "data" / "crm" / "customers.csv"), "--set", "segments.*.price=10", "-r", "3",
        "-w", "1", "-o", str(tmp_path / "run")], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "count the 138 customers of today too" in " ".join(result.output.split())


def test_a_customer_who_costs_more_than_they_pay_is_warned_about(tmp_path):
    path = Path(__file__).resolve().parents[1] / "scenarios" / "quality-revenue.yaml"
    result = CliRunner().invoke(main, ["validate", str(path), "--set",
                                       "segments.gyms.cost_to_serve=20"])
    assert result.exit_code == 0
    assert "segments[1].cost_to_serve: 20 a week is more than the 4 a paying customer of " \
        "'gyms' leaves after the margin" in result.stderr, result.stderr


def test_a_payback_sweep_says_how_often_plans_paid_back(tmp_path):
    path = tmp_path / "never.yaml"
    path.write_text(NEVER_PAYS)
    result = CliRunner().invoke(main, ["sweep", str(path), "-v", "segments.a.price=1,5",
                                       "--metric", "payback_step", "-w", "1",
                                       "-o", str(tmp_path / "sweep")], terminal_width=200)
    assert result.exit_code == 0, result.output
    csv = pd.read_csv(tmp_path / "sweep" / "sweep.csv")
    never = csv[csv.strategy == "never"]
    assert (never.paid_back_share == 0).all() and "never" in result.output
    pays = csv[(csv.strategy == "pays") & (csv["segments.a.price"] == 5)]
    assert pays.paid_back_share.iloc[0] == 1.0 and "(100%)" in result.output


def test_the_report_says_what_each_plan_spent_and_what_customers_pay(tmp_path):
    path = tmp_path / "never.yaml"
    path.write_text(NEVER_PAYS)
    assert CliRunner().invoke(main, ["run", str(path), "-w", "1", "-q",
                                     "-o", str(tmp_path / "run")]).exit_code == 0
    report = (tmp_path / "run" / "report.html").read_text()
    assert "spends the same budget" not in report and "the summary gives each one" in report
    assert "a paying customer pays a 5, b 0.01 a week" in report
    assert "customers who left (mean)" in report and "churned_mean" not in report


@pytest.mark.parametrize("key", ["segments.*.churn", "segments.0.price",
                                 "segments.*.gross_margin"])
def test_fit_refuses_to_free_churn_or_money_naming_the_line(tmp_path, key):
    """`fit: {free: {segments.*.churn: [0, 0.2]}}` was fitted (its flat prior back as the
    estimate) while the docs said the fit refuses churn (adversarial trial of issue 15)."""
    root = Path(__file__).resolve().parents[1]
    text = (root / "scenarios" / "from-today.yaml").read_text()
    path = tmp_path / "f.yaml"
    path.write_text(text.replace("    dynamics.background: [0, 0.05]",
                                 f"    dynamics.background: [0, 0.05]\n    {key}: [0, 0.2]"))
    result = CliRunner().invoke(main, ["fit", str(path), "--adoptions",
                                       str(root / "data" / "crm" / "new-customers.csv"),
                                       "-o", str(tmp_path / "fit")])
    assert result.exit_code == 2, result.output
    assert "f.yaml:" in result.stderr and f"fit.free.{key}: wom fit estimates how people " \
        "adopt, not the money" in result.stderr, result.stderr
    assert not (tmp_path / "fit").exists()


def test_a_resumed_sweep_keeps_its_metric(tmp_path):
    """`wom sweep --resume` rewrote sweep.csv comparing customers for a sweep started with
    --metric profit (adversarial trial of issue 15)."""
    path = Path(__file__).resolve().parents[1] / "scenarios" / "quality-revenue.yaml"
    out = tmp_path / "sweep"
    first = CliRunner().invoke(main, ["sweep", str(path), "-v", "segments.*.churn=0,0.05",
                                      "-r", "2", "-w", "1", "--metric", "profit",
                                      "-o", str(out)])
    assert first.exit_code == 0, first.output
    before = (out / "sweep.csv").read_bytes()
    again = CliRunner().invoke(main, ["sweep", "--resume", str(out), "-w", "1"])
    assert again.exit_code == 0, again.output
    assert (out / "sweep.csv").read_bytes() == before
    assert (pd.read_csv(out / "sweep.csv").metric == "profit").all()


def test_identical_plans_are_said_to_tie_and_a_losing_customer_has_an_unbounded_loss(tmp_path):
    """Two identical plans at a zero budget: the report named a winner "+0 … not
    established" and asked for more replicates; a customer who costs more than they pay,
    with no churn, had a lifetime value printed "unbounded" like a gain (adversarial trial)."""
    path = tmp_path / "tie.yaml"
    path.write_text("""name: tie
horizon: 8
replicates: 4
segments:
  - {name: a, size: 100, price: 0, cost_to_serve: 1}
  - {name: b, size: 100, price: 3}
dynamics: {background: 0.05}
budget: {total: 0, cost_per_seed: 100, cost_per_contact: 2}
strategies:
  - {name: one, kind: focused, segment: a}
  - {name: two, kind: focused, segment: a}
""")
    result = CliRunner().invoke(main, ["run", str(path), "-w", "1", "--by", "profit",
                                       "-o", str(tmp_path / "run")], terminal_width=200)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "a an unbounded loss, b unbounded" in out, out
    assert "no strategy leads on profit" in out
    report = " ".join((tmp_path / "run" / "report.html").read_text().split())
    assert "no plan leads on money" in report
    assert "run more replicates" not in report
