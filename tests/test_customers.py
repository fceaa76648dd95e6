"""Today's customers: placed in the market, adopted before step 0, references from the start,
advocates while their talk weeks last; `wom run --customers` from a CRM-like file."""

from __future__ import annotations

import html
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import wom
from helpers import small_scenario
from wom.cli import main
from wom.engine import BACKGROUND, EXISTING, MARKETING, NEVER, SEED, WOM, Simulation
from wom.engine.replay import replay_customers
from wom.experiment import Replicate
from wom.inference.simulate import quiet_plan
from wom.inputs import DataFileError
from wom.market import LONG_AGO, Population, to_csr, with_customers

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "focused-vs-broad.yaml"
MEDICAL = ROOT / "data" / "medical-innovation"


def star(leaves: int) -> Population:
    """One segment: person 0 talks to everyone else; nobody needs references."""
    n = leaves + 1
    indptr, indices = to_csr(n, np.zeros(leaves, np.int64), np.arange(1, n, dtype=np.int64))
    return Population(segment_names=("s",), seg_start=np.array([0, n]),
                      segment=np.zeros(n, np.int32), indptr=indptr, indices=indices,
                      eligible=np.ones(n, bool), incumbent=np.zeros(n, bool),
                      references=np.zeros(n, np.int32))


def word_of_mouth_only(talk_weeks: int, wom_chance: float = 1.0):
    sc = small_scenario(dynamics={"word_of_mouth": wom_chance, "marketing": 0.0,
                                  "talk_weeks": talk_weeks, "generic_resonance": 1.0})
    return sc.dynamics


@pytest.mark.parametrize(("since", "talks"), [(-1, True), (-3, True), (-4, False),
                                              (LONG_AGO, False)])
def test_a_customer_talks_until_their_talk_weeks_are_over(since: int, talks: bool):
    # talk_weeks 3: a customer who bought at step -3 talks in steps -2, -1 and 0 (the last);
    # one from step -4 no longer talks. Word of mouth 1 and a generic message at full
    # resonance (today's customers retell it): every tie works.
    pop = with_customers(star(20), np.array([0]), np.array([since]), np.random.default_rng(0))
    sim = Simulation(pop, quiet_plan(1, 5), word_of_mouth_only(3), 0.5,
                     rng=np.random.default_rng(1))
    assert sim.adopted_at[0] == since and sim.cause[0] == EXISTING
    assert (sim.adopted_at[1:] == NEVER).all()
    traj = wom.engine.run_to_horizon(sim)
    won = traj.new_by_cause.sum(axis=(0, 2))
    assert won[WOM] == (20 if talks else 0)
    assert won[[SEED, MARKETING, BACKGROUND]].sum() == 0
    if talks:  # all at step 0, from the customer
        assert traj.new_by_cause[0, WOM, 0] == 20
        assert (sim.adopted_at[1:] == 0).all()


def test_customers_are_references_and_cannot_be_won_or_seeded_again():
    sc = small_scenario()
    rep0 = Replicate(sc, 0)
    pop0 = rep0.population
    a = pop0.members(0)
    chosen = a[pop0.adoptable[a]][:10]
    pop = with_customers(pop0, chosen, np.full(10, LONG_AGO), np.random.default_rng(2))
    assert not pop.adoptable[chosen].any()
    sim = Simulation(pop, quiet_plan(3, 4), sc.dynamics, sc.network.weak_tie,
                     rng=np.random.default_rng(3))
    # each person's references: customers among their same-segment neighbours
    is_customer = np.zeros(pop.n, bool)
    is_customer[chosen] = True
    expected = np.zeros(pop.n, np.int64)
    for u in chosen.tolist():
        nbrs = pop.indices[pop.indptr[u]:pop.indptr[u + 1]]
        np.add.at(expected, nbrs[pop.segment[nbrs] == pop.segment[u]], 1)
    assert np.array_equal(sim.people.reference_count, expected)
    assert (sim.people.open_segment[chosen] == -1).all()
    # a focused poster-child plan never seeds today's customers
    rep = Replicate(sc, 0)
    object.__setattr__(rep, "population", pop)
    assert not is_customer[rep.plan("focused").seeds].any()


def test_a_listed_customer_outside_the_tam_trades_places():
    sc = small_scenario()
    pop = Replicate(sc, 0).population
    outside = np.flatnonzero(~pop.eligible & (pop.segment == 2))[:3]
    held = np.flatnonzero(pop.incumbent & (pop.segment == 0))[:2]
    persons = np.concatenate([outside, held])
    placed = with_customers(pop, persons, np.full(5, -2), np.random.default_rng(0))
    assert placed.eligible[persons].all() and not placed.incumbent[persons].any()
    assert np.array_equal(placed.tam_size, pop.tam_size)
    assert placed.incumbent.sum() == pop.incumbent.sum()
    with pytest.raises(ValueError, match="listed twice"):
        with_customers(pop, np.array([1, 1]), np.array([-1, -1]), np.random.default_rng(0))
    with pytest.raises(ValueError, match="before the run"):
        with_customers(pop, np.array([1]), np.array([0]), np.random.default_rng(0))


def crm(tmp_path: Path, text: str, name: str = "crm.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_run_from_counts_counts_them_everywhere(tmp_path: Path):
    sc = small_scenario(replicates=4)
    path = crm(tmp_path, "segment,customers\na,12\nc,5\n")
    res = wom.run(sc, workers=1, customers=path)
    assert res.at_start.tolist() == [12, 0, 5]
    ts = res.timeseries()
    first = ts[ts.step == 0].set_index(["strategy", "replicate", "segment"])
    assert (first.adopters - first.new_adopters).groupby("segment").unique().map(
        lambda v: v.tolist()).to_dict() == {"a": [12], "b": [0], "c": [5]}
    per = res.per_replicate()
    won = per.customers - 17
    assert np.allclose(per.cost_per_customer, per.spend / won)
    assert (res.summary().customers_at_start == 17).all()
    # the same customers whatever the worker count; different people in each replicate
    again = wom.run(sc, workers=2, customers=path)
    assert np.array_equal(res.new_by_cause, again.new_by_cause)
    c = wom.load_customers(sc, path)
    placed = [np.flatnonzero(~Replicate(sc, r, customers=c).population.adoptable &
                             Replicate(sc, r).population.adoptable) for r in range(2)]
    assert placed[0].size == 17 and not np.array_equal(placed[0], placed[1])


def test_a_fit_s_counts_are_read_as_customers_by_segment(tmp_path: Path):
    # new-user trial: `wom run fitted.yaml --customers counts.csv` with the file the fit had
    # read was refused (its `period`), and renaming that column as told made wom count each
    # row as one customer, its `new_customers` ignored (32 customers instead of 101)
    from wom.inputs.adoptions import read_customers

    sc = small_scenario(replicates=2)
    fit_counts = crm(tmp_path, "period,segment,new_customers\n1,a,7\n2,a,5\n2,c,5\n")
    got = read_customers(fit_counts)
    as_counts = read_customers(crm(tmp_path, "adopted,segment,customers\n1,a,7\n2,a,5\n"
                                             "2,c,5\n"))
    assert got.segment == as_counts.segment == ("a", "a", "c")
    assert got.customers.tolist() == as_counts.customers.tolist() == [7, 5, 5]
    assert got.adopted.tolist() == as_counts.adopted.tolist() == [1, 2, 2]
    res = wom.run(sc, workers=1, customers=wom.load_customers(sc, fit_counts, today=3))
    assert res.at_start.tolist() == [12, 0, 5]
    # the call the report says made the run names today's customers (new-user trial)
    assert res.meta["command"] == ("wom.run(load_scenario(...), replicates=2, seed="
                                   f"{sc.seed}, workers=1, customers=load_customers(..., "
                                   f"{str(fit_counts)!r}, today=3))")
    assert res.meta["cwd"] == os.getcwd()  # what its relative paths are relative to
    plain = wom.run(sc, workers=1, customers=crm(tmp_path, "segment,customers\na,2\n"))
    assert plain.meta["command"].endswith(
        f"workers=1, customers={str(tmp_path / 'crm.csv')!r})"), plain.meta["command"]
    both = crm(tmp_path, "adopted,segment,customers,new_customers\n1,a,7,7\n")
    with pytest.raises(DataFileError, match="both `new_customers` and `customers`"):
        read_customers(both)
    bad = crm(tmp_path, "period,segment,new_customers\n1,a,-2\n")
    with pytest.raises(DataFileError, match=r":2: .*new_customers"):
        read_customers(bad)


def test_customers_from_the_list_talk_from_week_0(tmp_path: Path):
    # Nobody else talks in week 0 (seeds adopt in it and talk from week 1), so word-of-mouth
    # adoptions in week 0 come from today's customers only: none when they no longer talk.
    sc = wom.load_scenario(FLAGSHIP).model_copy(update={"replicates": 6})
    rows = "".join(f"c{i},vets,{50 + i % 2}\n" for i in range(150))
    recent = crm(tmp_path, "customer,segment,adopted\n" + rows)
    quiet = crm(tmp_path, "customer,segment\n" + "".join(f"c{i},vets\n" for i in range(150)),
                "quiet.csv")
    talking = wom.run(sc, workers=1, customers=recent)
    silent = wom.run(sc, workers=1, customers=quiet)
    vets = sc.segment_names.index("vets")
    assert talking.at_start[vets] == silent.at_start[vets] == 150
    assert silent.new_by_cause[:, :, 0, WOM, :].sum() == 0
    assert (talking.new_by_cause[:, :, 0, WOM, vets] > 0).all()


def test_wom_run_customers_on_the_flagship_market(tmp_path: Path, monkeypatch):
    rows = "".join(f"acct-{i},{seg},{p}\n" for i, (seg, p) in enumerate(
        [("dentists", 48), ("dentists", 50), ("lawyers", 51), ("vets", "")] * 10))
    path = crm(tmp_path, "account,segment,adopted\n" + rows)
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["run", str(FLAGSHIP), "-r", "3", "--customers", str(path),
                                  "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "40 customers at the start" in r.output and "week 0 is period 52" in r.output
    assert "30 still talking" in r.output
    summary = pd.read_csv(out / "summary.csv")
    # a forecast's answer is its spread, on the terminal too (new-user trial, issue 13)
    assert ("forecast range (5th–95th percentile of replicates): focused "
            f"{summary.customers_p5[0]:,.0f}–{summary.customers_p95[0]:,.0f}") in r.output
    ts = pd.read_csv(out / "timeseries.csv")
    start = (ts[ts.step == 0].adopters - ts[ts.step == 0].new_adopters)
    by_segment = start.groupby(ts[ts.step == 0].segment).max().to_dict()
    assert by_segment["dentists"] == 20 and by_segment["lawyers"] == 10
    assert pd.read_csv(out / "summary.csv").customers_at_start.tolist() == [40, 40]
    assert wom.read_run(out).manifest["customers"]["per_segment"]["vets"] == 10
    # the report's command reproduces the run: today's customers included (new-user trial)
    report = (out / "report.html").read_text()
    named = os.path.relpath(path, out)  # from the folder, where the report says to run it
    assert f"--seed 42 --replicates 3 --customers {named} --today 52" in report
    assert "started from today's 40 customers" in report
    # the command as typed, and the folder it was typed in: its relative paths' base
    # (breaker trial)
    assert (f"<p>This run was made in <code>{html.escape(os.getcwd())}</code> with:</p>"
            "<pre>wom ") in report  # (under CliRunner, argv is pytest's)
    # the lesson's ratio is of customers won, not of totals that both count today's 40
    assert "the new customers of broad" in report
    assert "on top of today's 40)" in html.unescape(report)
    # … and run from the folder as written, it gives the same tables (the file's name as
    # given was relative to where the run was made: new-user trial)
    again = html.unescape(report.split("from this folder,</p><pre>")[1].split("</pre>")[0])
    monkeypatch.chdir(out)
    r = CliRunner().invoke(main, shlex.split(again)[1:])
    assert r.exit_code == 0, r.output
    twin = out.parent / "run-again"
    assert (twin / "summary.csv").read_bytes() == (out / "summary.csv").read_bytes()


def medical(tmp_path: Path) -> Path:
    p = tmp_path / "mi.yaml"
    p.write_text(f"""name: mi
horizon: 4
replicates: 2
segments: {{tam: 1.0}}
network:
  model: file
  file: {{path: {MEDICAL / 'ties.csv'}, labels: {MEDICAL / 'people.csv'}}}
dynamics: {{word_of_mouth: 0.1}}
budget: {{total: 1000, cost_per_seed: 100, cost_per_contact: 1, campaign_weeks: 2}}
strategies: [{{name: broad, kind: broad, seeding: random}}]
""", encoding="utf-8")
    return p


def test_customers_by_person_on_a_file_market(tmp_path: Path):
    sc = wom.load_scenario(medical(tmp_path))
    people = pd.read_csv(MEDICAL / "people.csv")
    early = people.person.astype(str).head(5).tolist()
    path = crm(tmp_path, "person,adopted\n" + "".join(f"{p},{i}\n" for i, p in
                                                    enumerate(early)))
    c = wom.load_customers(sc, path)
    assert c.today == 5 and c.since.tolist() == [-5, -4, -3, -2, -1]
    res = wom.run(sc, workers=1, customers=c)
    assert res.at_start.sum() == 5
    c = wom.load_customers(sc, path, today=10)
    assert c.since.tolist() == [-10, -9, -8, -7, -6]


@pytest.mark.parametrize(("text", "where"), [
    ("segment,customers\nsurgeons,3\n", "crm.csv:2: column segment: the scenario has no "
                                        "segment 'surgeons'"),
    ("segment,customers\ndentists,-1\n", "crm.csv:2: column customers: -1 is below 0"),
    ("segment,customers\ndentists,1\ndentists,2\n", "crm.csv:3: column segment: segment "
                                                    "'dentists' is listed twice"),
    ("segment,customers\ndentists,1600\n", "crm.csv:2: 1600 customers in segment 'dentists'"),
    ("segment,adopted\ndentists,1.5\n", "crm.csv:2: column adopted:"),
    ("", "crm.csv: the file is empty"),
])
def test_bad_customer_files_exit_2_and_write_nothing(tmp_path: Path, text: str, where: str):
    path = crm(tmp_path, text)
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["run", str(FLAGSHIP), "-r", "2", "--customers", str(path),
                                  "--out", str(out)])
    assert r.exit_code == 2 and where in r.output, r.output
    assert "Traceback" not in r.output and not out.exists()


def test_a_person_list_needs_a_file_market_and_today_after_the_purchases(tmp_path: Path):
    r = CliRunner().invoke(main, ["run", str(FLAGSHIP), "--customers",
                                  str(crm(tmp_path, "person\n1\n")), "--out",
                                  str(tmp_path / "x")])
    assert r.exit_code == 2 and "needs a market read from a file" in r.output
    sc = wom.load_scenario(medical(tmp_path))
    person = str(pd.read_csv(MEDICAL / "people.csv").person.iloc[0])
    with pytest.raises(DataFileError, match=r"crm.csv:2: column adopted: period 7 is not "
                                            r"before today \(period 5"):
        wom.load_customers(sc, crm(tmp_path, f"person,adopted\n{person},7\n"), today=5)
    r = CliRunner().invoke(main, ["run", str(medical(tmp_path)), "--customers",
                                  str(crm(tmp_path, "person,adopted\nnobody,1\n")),
                                  "--out", str(tmp_path / "y")])
    assert r.exit_code == 2 and "crm.csv:2: column person: person 'nobody' is not in" in \
        r.output and not (tmp_path / "y").exists()
    r = CliRunner().invoke(main, ["run", str(FLAGSHIP), "--today", "3"])
    assert r.exit_code == 2 and "--today needs --customers" in r.output


def test_customers_by_segment_are_replayed_through_the_rule():
    # Pragmatists need a reference: with no word of mouth to give them one, the customers of
    # a segment are people of its early market (while it lasts), never placed uniformly.
    sc = small_scenario(dynamics={"word_of_mouth": 0.0, "background": 0.05})
    pop = Replicate(sc, 0).population
    early_open = int(np.sum(pop.adoptable & (pop.references == 0) & (pop.segment == 0)))
    n = early_open // 2
    persons, _ = replay_customers(pop, sc.dynamics, sc.network.weak_tie,
                                      np.zeros(n, np.int64), np.full(n, LONG_AGO),
                                      np.random.default_rng(0))
    assert persons.size == n and (pop.references[persons] == 0).all()
    assert (pop.segment[persons] == 0).all() and np.unique(persons).size == n
    # More than the early market holds: the rest are drawn from everyone open.
    m = early_open + 5
    persons, _ = replay_customers(pop, sc.dynamics, sc.network.weak_tie,
                                  np.zeros(m, np.int64), np.full(m, -1),
                                  np.random.default_rng(0))
    assert np.sum(pop.references[persons] == 0) == early_open and persons.size == m


def test_later_customers_are_drawn_near_those_still_talking():
    # Without background, a period's customers can only have heard of it from customers of
    # the periods before (within talk_weeks): they are their neighbours.
    sc = small_scenario(dynamics={"word_of_mouth": 0.5, "background": 0.0, "talk_weeks": 2},
                        segments=[{"name": "a", "size": 300}])
    pop = Replicate(sc, 0).population
    segment = np.zeros(15, np.int64)
    steps = np.array([-5] * 10 + [-4] * 5)
    persons, since = replay_customers(pop, sc.dynamics, sc.network.weak_tie, segment, steps,
                                      np.random.default_rng(3))
    first, later = persons[since == -5], persons[since == -4]
    near = np.zeros(pop.n, bool)
    for u in first.tolist():
        near[pop.indices[pop.indptr[u]:pop.indptr[u + 1]]] = True
    assert later.size == 5 and near[later].all()
    with pytest.raises(ValueError, match="could adopt"):
        replay_customers(pop, sc.dynamics, sc.network.weak_tie, np.zeros(301, np.int64),
                         np.full(301, -1), np.random.default_rng(0))


def test_the_python_api_refuses_what_it_cannot_use_with_wom_errors(tmp_path: Path):
    """Wrong types and values gave AttributeError, ValueError, IndexError from deep inside
    (adversarial probe of issue 13): each is now a WomError saying what to give."""
    sc = wom.load_scenario(FLAGSHIP)
    mi = wom.load_scenario(medical(tmp_path))
    path = crm(tmp_path, "segment,customers\ndentists,3\n")
    cases = [
        (lambda: wom.run(None), "takes a Scenario"),
        (lambda: wom.run(str(FLAGSHIP)), "takes a Scenario"),
        (lambda: wom.run(sc, replicates=0), "replicates=0: a whole number, at least 1"),
        (lambda: wom.run(sc, seed=-1), "seed=-1"),
        (lambda: wom.run(sc, workers=0), "workers=0"),
        (lambda: wom.run(mi, customers=wom.load_customers(sc, path)),
         "set against another market"),
        (lambda: wom.load_customers(None, path), "set against a Scenario"),
        (lambda: wom.load_customers(sc, path, today="7"), "today='7'"),
        (lambda: wom.load_customers(sc, path, today=7.5), "today=7.5"),
        (lambda: wom.load_customers(sc, None), "give the path of a CSV file"),
        (lambda: wom.load_customers(sc, ""), "give the path of a CSV file"),
        (lambda: wom.fit(None, path), "takes a Scenario"),
        (lambda: wom.fit(sc, 3), "give the path of a CSV file"),
        (lambda: wom.fit(sc, path, workers=0), "workers=0"),
    ]
    for call, message in cases:
        with pytest.raises(wom.WomError, match=re.escape(message)):
            call()


def test_a_fit_refuses_more_customers_than_could_adopt(tmp_path: Path):
    """`wom run --customers` refused them, `wom fit` fitted them (adversarial probe)."""
    path = crm(tmp_path, "period,segment,new_customers\n1,dentists,600\n2,dentists,500\n")
    r = CliRunner().invoke(main, ["fit", str(FLAGSHIP), "-a", str(path), "-o",
                                  str(tmp_path / "f")])
    assert r.exit_code == 2, r.output
    assert ("crm.csv:3: column new_customers: 1100 new customers in segment 'dentists' by "
            "this line, but it has only 1000 people who could adopt") in r.stderr
    assert not (tmp_path / "f").exists()


@pytest.mark.parametrize("where", ["under-a-file", "read-only"])
def test_a_fit_that_could_not_be_written_is_refused_before_it_runs(tmp_path: Path,
                                                                   where: str):
    """The fit ran to the end, then died with a traceback writing its folder."""
    if where == "under-a-file":
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "sub"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes anywhere")
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        out = locked / "fit"
    path = crm(tmp_path, "period,segment,new_customers\n1,dentists,6\n")
    r = CliRunner().invoke(main, ["fit", str(FLAGSHIP), "-a", str(path), "-o", str(out)])
    assert r.exit_code == 2 and "cannot create the fit folder" in r.stderr, r.output
    assert "Traceback" not in r.output


def test_a_full_stdout_is_an_error_not_a_traceback(tmp_path: Path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "wom.cli", "list"], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "No space left on device" in done.stderr
