"""Attributes beside segments (issue 19): drawing them, resonance by attribute, strategies
that target a value, outputs by value, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import wom
from wom.campaign import make_plan
from wom.cli import main
from wom.config import scenario_from_dict
from wom.config.attributes import value_counts
from wom.engine import run_to_horizon, value_message, value_resonance
from wom.experiment.replicate import POPULATION, Replicate, stream
from wom.market import build_population

BASE = {
    "name": "attr", "seed": 11, "horizon": 25, "replicates": 6,
    "segments": [{"name": "a", "size": 600}, {"name": "b", "size": 600},
                 {"name": "c", "size": 600}],
    "dynamics": {"word_of_mouth": 0.06, "marketing": 0.05, "background": 0.001},
    "budget": {"total": 2000, "cost_per_seed": 50, "cost_per_contact": 1},
    "strategies": [{"name": "f", "kind": "focused", "segment": "b"}],
}
#: An attribute that is the segment itself (alignment 1: segment k is value k), and another.
SAME = {"seg": {"values": ["a", "b", "c"]},
        "trade": {"values": ["dentists", "lawyers"], "alignment": 0.3}}


def scenario(**changes) -> wom.Scenario:
    return scenario_from_dict({**BASE, **changes})


def write(tmp_path: Path, data: dict, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_target_equal_to_its_segment_reproduces_focused_byte_for_byte(tmp_path: Path):
    plain = scenario()
    targeted = scenario(attributes=SAME, strategies=[
        {"name": "f", "kind": "focused", "target": {"seg": "b"}}])
    a = wom.save(wom.run(plain, workers=1), tmp_path / "plain")
    b = wom.save(wom.run(targeted, workers=2), tmp_path / "targeted")
    assert (a / "timeseries.csv").read_bytes() == (b / "timeseries.csv").read_bytes()
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()
    assert not (a / "attributes.csv").exists() and (b / "attributes.csv").is_file()


def test_attributes_leave_the_market_they_are_drawn_on_unchanged():
    plain, drawn = scenario(), scenario(attributes=SAME)
    p = build_population(plain, rng=stream(plain.seed, 3, POPULATION))
    q = build_population(drawn, rng=stream(drawn.seed, 3, POPULATION))
    for name in ("indptr", "indices", "segment", "eligible", "incumbent", "references"):
        assert np.array_equal(getattr(p, name), getattr(q, name)), name
    assert p.traits is None and q.traits is not None


@pytest.mark.parametrize("alignment", [0.0, 0.35, 1.0])
def test_each_segment_gets_its_exact_mix_of_values(alignment: float):
    att = {"values": ["x", "y", "z"], "alignment": alignment,
           "shares": {"x": 0.5, "y": 0.3, "z": 0.2}, "home": {"a": "z"}}
    sc = scenario(attributes={"kind": att})
    pop = build_population(sc, rng=stream(sc.seed, 0, POPULATION))
    counts = value_counts(sc.attributes["kind"], sc.segment_names, [600, 600, 600])
    for k in range(3):
        codes = pop.traits.codes[0, pop.segment == k]
        assert np.array_equal(np.bincount(codes, minlength=3), counts[k])
    # segment a's home is z, b's and c's the values in turn (b: y, c: z)
    expect = np.array([[0.5, 0.3, 0.2]] * 3) * (1 - alignment)
    expect[0, 2] += alignment
    expect[1, 1] += alignment
    expect[2, 2] += alignment
    assert np.abs(counts - 600 * expect).max() <= 1  # rounded to whole people
    assert (counts.sum(axis=1) == 600).all()


def test_the_draw_is_random_over_people_but_fixed_by_the_seed():
    sc = scenario(attributes=SAME)
    one = build_population(sc, rng=stream(sc.seed, 0, POPULATION)).traits
    again = build_population(sc, rng=stream(sc.seed, 0, POPULATION)).traits
    other = build_population(sc, rng=stream(sc.seed, 1, POPULATION)).traits
    assert np.array_equal(one.codes, again.codes)
    assert not np.array_equal(one.codes[1], other.codes[1])


def test_a_message_written_for_a_value_resonates_by_value_wherever_people_talk():
    sc = scenario(attributes={"trade": {"values": ["dentists", "lawyers"], "alignment": 0.0,
                                        "overlap": 0.3}})
    pop = build_population(sc, rng=stream(sc.seed, 0, POPULATION))
    assert pop.n_messages == 3 + 1 + 2
    dentists = pop.traits.codes[0] == 0
    heard = value_resonance(pop, value_message(pop, "trade", "dentists"), sc.dynamics)
    assert np.all(heard[dentists] == 1.0) and np.all(heard[~dentists] == 0.3)
    assert set(pop.segment[dentists].tolist()) == {0, 1, 2}  # in every segment
    # a segment's own message still resonates by segment, whatever people's values
    own = value_resonance(pop, 1, sc.dynamics)
    assert np.all(own[pop.segment == 1] == 1.0) and np.all(own[pop.segment != 1] == 0.2)
    assert np.all(value_resonance(pop, 3, sc.dynamics) == sc.dynamics.generic_resonance)


def test_word_of_mouth_of_a_value_message_follows_the_value():
    """Only word of mouth (one seed set, no contacts, no background): the message written
    for dentists spreads to dentists at word_of_mouth and to lawyers at overlap × that;
    with overlap 0 nobody but dentists ever adopts, in any segment."""
    sc = scenario(attributes={"trade": {"values": ["dentists", "lawyers"], "alignment": 0.0,
                                        "overlap": 0.0}},
                  dynamics={"word_of_mouth": 0.3, "marketing": 0.0, "background": 0.0},
                  budget={"total": 2000, "seed_share": 1.0, "cost_per_seed": 100},
                  strategies=[{"name": "t", "kind": "focused",
                               "target": {"trade": "dentists"}}])
    won = []
    for r in range(3):
        sim = Replicate(sc, r).simulation("t")
        run_to_horizon(sim)
        who = sim.order[: sim.n_adopted]
        assert (sim.population.traits.codes[0, who] == 0).all()
        won.append(who.size)
    assert min(won) > 20 * 3  # it spread (20 seeds), among dentists only


def test_a_target_reaches_only_people_with_its_value_at_its_own_cost():
    sc = scenario(attributes={"trade": {"values": ["dentists", "lawyers"], "alignment": 0.0}},
                  dynamics={"word_of_mouth": 0.0, "marketing": 0.5, "background": 0.0},
                  strategies=[{"name": "t", "kind": "focused", "target": {"trade": "lawyers"},
                               "cost_per_contact": 4, "cost_per_seed": 100}])
    rep = Replicate(sc, 0)
    pop = rep.population
    lawyers = pop.traits.codes[0] == 1
    plan = rep.plan("t")
    share = sc.budget.seed_share
    assert lawyers[plan.seeds].all() and plan.seeds.size == 2000 * share // 100
    assert plan.pool_contacts.sum() == (2000 * (1 - share)) // 4
    sim = rep.simulation("t")
    traj = run_to_horizon(sim)
    won = sim.order[: sim.n_adopted]
    assert lawyers[won].all()  # nobody else was reached, and nobody talks
    contacts = traj.spend.sum() - plan.seeds.size * 100
    assert contacts == pytest.approx(4 * plan.pool_contacts.sum())
    # the contacts were spread over every segment where lawyers are, not one
    assert (traj.new_by_cause[:, 1, :].sum(axis=0) > 0).all()


def test_a_strategy_may_give_its_own_costs():
    sc = scenario(strategies=[{"name": "cheap", "kind": "broad"},
                              {"name": "dear", "kind": "broad", "cost_per_contact": 2,
                               "cost_per_seed": 100}])
    rep = Replicate(sc, 0)
    cheap, dear = rep.plan("cheap"), rep.plan("dear")
    assert dear.seeds.size == cheap.seeds.size // 2
    assert dear.contacts.sum() == pytest.approx(cheap.contacts.sum() / 2, abs=3)
    assert (dear.contact_cost == 2).all() and (dear.seed_cost == 100).all()


def test_customers_by_value_add_up_to_the_customers_by_segment(tmp_path: Path):
    sc = scenario(attributes=SAME, strategies=[
        {"name": "f", "kind": "focused", "segment": "b"},
        {"name": "t", "kind": "focused", "target": {"trade": "dentists"}}],
        segments=[{"name": n, "size": 600, "churn": 0.01} for n in "abc"])
    res = wom.run(sc, workers=1)
    ts, by = res.timeseries(), res.attributes()
    per_segment = ts.groupby(["strategy", "replicate", "step"])["adopters"].sum()
    for name in ("seg", "trade"):
        per_value = by[by.attribute == name].groupby(["strategy", "replicate", "step"])[
            "adopters"].sum()
        assert per_value.equals(per_segment.loc[per_value.index])
    # the attribute equal to the segment counts exactly what the segments count
    seg = by[by.attribute == "seg"].set_index(["strategy", "replicate", "step", "value"])
    assert np.array_equal(seg.adopters.to_numpy(),
                          ts.set_index(["strategy", "replicate", "step", "segment"])
                          .loc[seg.index].adopters.to_numpy())
    for name in ("seg", "trade"):
        assert by[by.attribute == name].churned.sum() == ts.churned.sum() > 0
    # written and read back as they were
    folder = wom.save(res, tmp_path / "run")
    back = wom.read_run(folder)
    pd.testing.assert_frame_equal(back.attributes(), by)
    assert (folder / "attribute-seg.png").is_file() and (folder / "attribute-trade.png").is_file()
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "By attribute" in page and "dentists" in page
    summary = back.attribute_summary()
    row = summary[(summary.strategy == "t") & (summary.value == "dentists")].iloc[0]
    assert row.customers_lo <= row.customers_mean <= row.customers_hi
    assert 0 < row.share_mean <= 1


def test_a_market_with_attributes_is_rebuilt_when_they_change_under_once():
    sc = scenario(attributes=SAME, network={"resample": "once"}, strategies=[
        {"name": "t", "kind": "focused", "target": {"trade": "dentists"}}])
    low = wom.config.apply(sc, {"attributes.trade.alignment": 0.0})
    high = wom.config.apply(sc, {"attributes.trade.alignment": 1.0})
    p, q = Replicate(low, 2).population, Replicate(high, 2).population
    assert not np.array_equal(p.traits.codes[1], q.traits.codes[1])
    # at alignment 1 the dentists are the segments whose home they are (a and c)
    assert set(np.unique(q.segment[q.traits.codes[1] == 0]).tolist()) == {0, 2}


def test_attributes_from_a_column_of_the_people_file(tmp_path: Path):
    rng = np.random.default_rng(5)
    ties = "\n".join(f"p{i} p{j}" for i in range(200) for j in rng.choice(200, 3) if i != j)
    (tmp_path / "g.txt").write_text(ties + "\n", encoding="utf-8")
    trades = rng.choice(["dentist", "lawyer"], 200)
    rows = [f"p{i},{'north' if i < 100 else 'south'},{trades[i]}" for i in range(200)]
    (tmp_path / "people.csv").write_text("person,segment,trade\n" + "\n".join(rows) + "\n",
                                         encoding="utf-8")
    data = {"name": "filecol", "seed": 1, "horizon": 10, "replicates": 2,
            "network": {"model": "file", "file": {"path": "g.txt", "labels": "people.csv"}},
            "attributes": {"trade": {"column": "trade"}},
            "strategies": [{"name": "d", "kind": "focused", "target": {"trade": "dentist"}}]}
    sc = wom.load_scenario(write(tmp_path, data))
    pop = Replicate(sc, 0).population
    plan = Replicate(sc, 0).plan("d")
    ids = sc.network.file.load(tmp_path).node_ids
    want = np.array([trades[int(x[1:])] == "dentist" for x in ids])
    assert np.array_equal(np.sort(plan.pool), np.flatnonzero(want))
    assert pop.traits.values[0] == tuple(dict.fromkeys(trades))


def _cli(args: list[str]):
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize(("change", "where", "words"), [
    ({"attributes": {"trade": {"values": ["x", "y"], "shares": {"x": 0.5, "y": 0.6}}}},
     "attributes.trade.shares", "sum to 1.1"),
    ({"attributes": {"trade": {"values": ["x", "y"]}},
      "strategies": [{"name": "t", "kind": "focused", "target": {"trade": "z"}}]},
     "strategies[0].target.trade", "'z' is not a value"),
    ({"attributes": {"trade": {"values": ["x", "y"], "shares": {"x": 0, "y": 1},
                               "alignment": 0}},
      "strategies": [{"name": "t", "kind": "focused", "target": {"trade": "x"}}]},
     "strategies[0].target.trade", "nobody has trade 'x'"),
    ({"strategies": [{"name": "t", "kind": "focused", "target": {"trade": "x"}}]},
     "strategies[0].target.trade", "no `attributes:` block"),
    ({"attributes": {"trade": {"column": "trade"}}}, "attributes.trade.column",
     "only a graph file"),
    ({"attributes": {"trade": {"values": ["x", "y"], "home": {"a": "q"}}},
      "strategies": [{"name": "t", "kind": "focused", "target": {"trade": "x"}}]},
     "attributes.trade.home.a", "'q' is not one of the values"),
    ({"strategies": [{"name": "t", "kind": "broad", "cost_per_contact": 1e-30}]},
     "strategies[0].cost_per_contact", "is too small for a budget"),
    ({"attributes": {"trade": {"values": ["x"], "home": {"zz": "x"}}}},
     "attributes.trade.home.zz", "unknown segment 'zz' (known: a, b, c)"),
    ({"attributes": {"trade": {"values": ["x"]}},
      "strategies": [{"name": "t", "kind": "broad", "target": {"trade": "x"}}]},
     "strategies[0]", "takes no `target`"),
    ({"attributes": {"trade": {"values": ["x"]}},
      "segments": [{"name": "a", "size": 600, "accounts": {"size": 3}}],
      "strategies": [{"name": "t", "kind": "focused", "target": {"trade": "x"}}]},
     "strategies[0].target", "market of accounts"),
])
def test_bad_attributes_exit_2_naming_file_line_and_key(tmp_path: Path, change, where, words):
    path = write(tmp_path, {**BASE, **change})
    result = _cli(["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path.name}:" in result.output and where in result.output
    assert words in result.output
    assert "Traceback" not in result.output
    line = result.output.split(f"{path.name}:")[1].split(":")[0]
    assert line.isdigit()


@pytest.mark.parametrize(("people", "column", "where", "words"), [
    ("person,segment,trade\np0,a,x\np1,a,y\np2,b,x\n", "job", "attributes.trade.column",
     "no column `job`"),
    ("person,segment,trade\np0,a,x\np1,a,\np2,b,x\n", "trade", "attributes.trade.column",
     "people.csv:3"),
])
def test_a_missing_column_or_value_exits_2_naming_the_file_line_and_key(
        tmp_path: Path, people: str, column: str, where: str, words: str):
    (tmp_path / "g.txt").write_text("p0 p1\np1 p2\np0 p2\n", encoding="utf-8")
    (tmp_path / "people.csv").write_text(people, encoding="utf-8")
    path = write(tmp_path, {
        "name": "x", "network": {"model": "file",
                                 "file": {"path": "g.txt", "labels": "people.csv"}},
        "attributes": {"trade": {"column": column}},
        "strategies": [{"name": "s", "kind": "broad"}]})
    result = _cli(["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert f"{path.name}:" in result.output and where in result.output
    assert words in result.output
    assert not (tmp_path / "out").exists()


def test_a_plan_needs_a_market_with_the_attribute():
    sc = scenario(attributes=SAME, strategies=[
        {"name": "t", "kind": "focused", "target": {"trade": "dentists"}}])
    bare = build_population(scenario(), rng=stream(1, 0, POPULATION))
    with pytest.raises(ValueError, match="no attributes"):
        make_plan(sc.strategies[0], sc, bare, rng=np.random.default_rng(0))


def test_wom_run_prints_customers_by_value_with_intervals(tmp_path: Path):
    data = {**BASE, "attributes": SAME, "strategies": [
        {"name": "f", "kind": "focused", "segment": "b"},
        {"name": "t", "kind": "focused", "target": {"trade": "dentists"}}]}
    result = _cli(["run", str(write(tmp_path, data)), "-r", "3", "--out",
                   str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "trade: people who hold each value" in out
    table = out.split("trade ")[1]
    assert "dentists" in table and "lawyers" in table and "95% CI" in table
    assert "people" in table


def test_with_four_strategies_the_table_by_value_has_a_row_per_strategy(tmp_path: Path):
    names = ["f", "g", "h", "t"]
    data = {**BASE, "attributes": SAME, "strategies": [
        *({"name": n, "kind": "focused", "segment": s}
          for n, s in zip(names[:3], "abc", strict=True)),
        {"name": "t", "kind": "focused", "target": {"trade": "dentists"}}]}
    result = _cli(["run", str(write(tmp_path, data)), "-r", "3", "--out",
                   str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    table = result.output.split("trade: people who hold each value")[0].rsplit("seg: people", 1)[1]
    lines = [line.split() for line in table.splitlines() if line.strip()]
    summary = wom.read_run(tmp_path / "out").attribute_summary()
    for value in ("dentists", "lawyers"):
        d = summary[(summary.attribute == "trade") & (summary.value == value)]
        for st in names:
            row = next(w for w in lines if st in w and (value in w or w[0] == st))
            mean = float(d[d.strategy == st].customers_mean.iloc[0])
            assert f"{mean:,.1f}" in row or f"{mean:,.0f}" in row, (row, mean)


def test_a_value_named_as_a_segment_is_that_segments_home():
    sc = scenario(attributes={"region": {"values": ["c", "a", "b"]}})
    pop = build_population(sc, rng=stream(sc.seed, 0, POPULATION))
    region = np.array(pop.traits.values[0])[pop.traits.codes[0]]
    assert (region == np.array(sc.segment_names)[pop.segment]).all()


def test_values_nobody_holds_are_warned_about(tmp_path: Path):
    path = write(tmp_path, {**BASE, "attributes": {"trade": {"values": ["w", "x", "y", "z"]}}})
    result = _cli(["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "attributes.trade.values: nobody is 'z'" in result.output


def test_an_attribute_without_alignment_is_said_to_follow_the_segments(tmp_path: Path):
    # alignment defaults to 1 (each segment all its home value): said, unless given, or
    # the values are the segments themselves
    for given, said in (({}, True), ({"alignment": 1}, False), ({"alignment": 0.4}, False)):
        path = write(tmp_path, {**BASE, "attributes": {
            "seg": {"values": ["a", "b", "c"]},
            "trade": {"values": ["dentists", "lawyers"], **given}}})
        result = _cli(["validate", str(path)])
        assert result.exit_code == 0, result.output
        assert ("attributes.trade: no `alignment`, so 1: each segment holds only its home "
                "value (a: dentists, b: lawyers, c: dentists)" in result.output) is said, given
        assert "attributes.seg" not in result.output


def test_the_report_says_what_a_target_and_its_costs_are(tmp_path: Path):
    sc = scenario(attributes=SAME, strategies=[
        {"name": "t", "kind": "focused", "target": {"trade": "lawyers"}, "cost_per_seed": 70}])
    folder = wom.save(wom.run(sc, replicates=2, workers=1), tmp_path / "run")
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "everyone with trade lawyers, wherever they talk" in page
    assert "at its own costs (70 a seed)" in page and "None" not in page.split("<h2>")[1]
    assert "People also carry attributes" in page


def test_the_search_does_not_take_a_target_for_a_segment_plan():
    from wom.config.optimize import Optimize
    from wom.experiment.plans import Space, params_of

    sc = scenario(attributes=SAME, strategies=[
        {"name": "t", "kind": "focused", "target": {"trade": "lawyers"}},
        {"name": "dear", "kind": "focused", "segment": "a", "cost_per_contact": 9},
        {"name": "f", "kind": "focused", "segment": "a"}])
    space = Space.of(sc, Optimize())
    assert params_of(space, sc.strategies[0], sc) is None
    assert params_of(space, sc.strategies[1], sc) is None
    assert params_of(space, sc.strategies[2], sc) is not None


def test_names_such_as_na_come_back_as_written(tmp_path: Path):
    sc = scenario(attributes={"region": {"values": ["NA", "EU", "None"], "alignment": 0.5}},
                  segments=[{"name": "NA", "size": 300}, {"name": "b", "size": 300},
                            {"name": "c", "size": 300}],
                  strategies=[{"name": "t", "kind": "focused", "target": {"region": "NA"}},
                              {"name": "f", "kind": "focused", "segment": "NA"}])
    res = wom.run(sc, replicates=2, workers=1)
    back = wom.read_run(wom.save(res, tmp_path / "run"))
    assert set(back.attributes().value) == {"NA", "EU", "None"}
    assert set(back.timeseries().segment) == {"NA", "b", "c"}
    pd.testing.assert_frame_equal(back.attribute_summary(), res.attribute_summary())
    wom.plot_run(back, tmp_path / "again")  # (a segment or value called NA drew nothing)
    assert (tmp_path / "again" / "attribute-region.png").is_file()


def test_a_target_nobody_matches_spends_nothing_and_is_warned_about(tmp_path: Path):
    data = {**BASE, "attributes": {"v": {"values": ["x", "y", "z"]},
                                   "m": {"values": ["p", "q", "r"],
                                         "home": {"a": "q", "b": "r", "c": "p"}}},
            "strategies": [{"name": "t", "kind": "focused", "target": {"v": "x", "m": "p"}}]}
    path = write(tmp_path, data)
    result = _cli(["validate", str(path)])
    assert result.exit_code == 0 and "about 0.0 in a market" in result.output
    res = wom.run(wom.load_scenario(path), replicates=2, workers=1)
    assert res.spend.sum() == 0
    assert res.new_by_cause[:, :, :, :2].sum() == 0  # no seed, no contact (background only)


def test_attribute_names_stay_short_enough_to_name_a_file(tmp_path: Path):
    path = write(tmp_path, {**BASE, "attributes": {"a" * 101: {"values": ["x"]}}})
    result = _cli(["validate", str(path)])
    assert result.exit_code == 2 and "at most 100 characters" in result.output


def test_the_figures_by_value_are_the_same_live_and_read_back(tmp_path: Path):
    from wom.viz.attributes import attribute_cubes

    sc = scenario(attributes=SAME, strategies=[
        {"name": "f", "kind": "focused", "segment": "b"},
        {"name": "t", "kind": "focused", "target": {"trade": "dentists"}}])
    res = wom.run(sc, replicates=3, workers=1)
    live = attribute_cubes(res)
    back = attribute_cubes(wom.read_run(wom.save(res, tmp_path / "run")))
    assert list(live) == list(back) == ["seg", "trade"]
    for name in live:
        assert live[name][0] == back[name][0]
        assert np.array_equal(live[name][1], back[name][1])


def test_a_figure_of_an_attribute_the_table_lacks_says_which_it_has(tmp_path: Path):
    from wom.viz import attribute_figure

    sc = scenario(attributes=SAME)
    table = wom.run(sc, replicates=2, workers=1).attributes()
    with pytest.raises(ValueError, match=r"no attribute 'nosuch' in the table .*seg, trade"):
        attribute_figure(table, sc, "nosuch")


def test_a_long_table_is_written_in_parts_to_the_same_bytes(tmp_path: Path):
    from wom.store.byvalue import attribute_parts
    from wom.store.folder import write_csv, write_csv_parts

    sc = scenario(attributes=SAME)
    live = wom.run(sc, replicates=3, workers=1)
    table = live.attributes()
    write_csv(table, tmp_path / "whole.csv")
    n_st, n_rep, steps, _, n_val = live.by_value.shape
    # parts of one replicate (fewer rows than one holds) and of two (the last one short)
    for rows, n in ((7, n_st * n_rep), (2 * steps * n_val, n_st * 2)):
        parts = list(attribute_parts(live.by_value, live.attribute_values, live.strategies,
                                     rows))
        assert len(parts) == n and sum(map(len, parts)) == len(table)
        write_csv_parts(iter(parts), tmp_path / "parts.csv")
        assert (tmp_path / "whole.csv").read_bytes() == (tmp_path / "parts.csv").read_bytes()
    write_csv_parts(live.attribute_parts(), tmp_path / "parts.csv")
    assert (tmp_path / "whole.csv").read_bytes() == (tmp_path / "parts.csv").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts.csv", "whole.csv"]
    # the summary from the horizon's rows is the one from the whole table
    from wom.store.byvalue import attribute_summary
    pd.testing.assert_frame_equal(live.attribute_summary(),
                                  attribute_summary(table, live.people_by_value()))


def test_a_folder_reads_the_horizon_a_part_at_a_time(tmp_path: Path, monkeypatch):
    from wom.store import readback

    sc = scenario(attributes=SAME)
    live = wom.run(sc, replicates=3, workers=1)
    folder = wom.save(live, tmp_path / "run")
    run = wom.read_run(folder)
    whole = run.attributes()
    horizon = whole[whole.step == whole.step.max()].reset_index(drop=True)
    for rows in (5, 7, len(whole) // 2, len(whole) + 1):  # parts that split a step, or none
        monkeypatch.setattr(readback, "READ_ROWS", rows)
        pd.testing.assert_frame_equal(run.attributes(last_step_only=True), horizon)
    pd.testing.assert_frame_equal(run.attribute_summary(), live.attribute_summary())


def test_a_folder_of_a_run_with_attributes_without_its_table_is_refused(tmp_path: Path):
    folder = wom.save(wom.run(scenario(attributes=SAME), replicates=2, workers=1),
                      tmp_path / "run")
    (folder / "attributes.csv").unlink()
    for command in (["report", str(folder)], ["plot", str(folder)]):
        result = _cli(command)
        assert result.exit_code == 2, result.output
        assert "missing attributes.csv" in result.output and "Traceback" not in result.output


def test_names_with_dollars_are_drawn_as_written(tmp_path: Path):
    # "$...$" is matplotlib's math markup: a name like '$\\foo$' failed to draw after the
    # whole run, and '$1M-$5M' was drawn in italics
    import matplotlib

    data = {**BASE, "name": "$x$ test",
            "segments": [{"name": "$1M-$5M", "size": 300}, {"name": "b$\\foo$", "size": 300}],
            "attributes": {"band": {"values": ["$1M-$5M", "$\\foo$", "plain"],
                                    "alignment": 0.5}},
            "strategies": [{"name": "f$x$", "kind": "focused", "segment": "$1M-$5M"},
                           {"name": "t", "kind": "focused", "target": {"band": "$\\foo$"}}]}
    before = matplotlib.rcParams["text.parse_math"]
    folder = wom.save(wom.run(scenario_from_dict(data), replicates=2, workers=1),
                      tmp_path / "api")
    assert (folder / "attribute-band.png").stat().st_size > 10_000
    assert matplotlib.rcParams["text.parse_math"] == before  # (a notebook's setting kept)
    result = _cli(["run", str(write(tmp_path, data)), "-r", "2", "-w", "2", "-q", "--out",
                   str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    for png in folder.glob("*.png"):
        assert png.read_bytes() == (tmp_path / "cli" / png.name).read_bytes(), png.name


def test_an_attributes_table_cut_short_or_broken_is_refused_by_name(tmp_path: Path):
    folder = wom.save(wom.run(scenario(attributes=SAME), replicates=3, workers=1),
                      tmp_path / "run")
    good = (folder / "attributes.csv").read_bytes()
    lines = good.split(b"\n")
    broken = {
        "cut short": b"\n".join(lines[: len(lines) * 2 // 3]) + b"\n",
        "a row gone": b"\n".join(lines[:-3] + lines[-2:]),  # (of the horizon: both read it)
        "empty": b"",
        "a field too many": b"\n".join([*lines[:4], lines[4] + b",9", *lines[5:]]),
        "not utf-8": good + b"\xe9\n",
        "words for numbers": good.replace(b",0,0,", b",0,abc,", 1),
    }
    for what, text in broken.items():
        (folder / "attributes.csv").write_bytes(text)
        for command in (["report", str(folder)], ["plot", str(folder), "-o",
                                                    str(tmp_path / "p")]):
            result = _cli(command)
            assert result.exit_code == 2, (what, command, result.output)
            assert "attributes.csv" in result.output, (what, result.output)
            assert "Traceback" not in result.output, what
    (folder / "attributes.csv").write_bytes(good)
    assert _cli(["report", str(folder)]).exit_code == 0
