"""What ``wom optimize`` shows: the terminal table in 80 columns, the verdict in words at the
table's precision, the plan in words without what has no effect, plan.png, report.html with
the command that reproduces it, progress of the confirmation, what a stop prints, and the
refusals and hints around an optimize folder (new-user trial of wom optimize)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import wom
from test_optimize import twins
from wom.cli import main
from wom.config import Strategy
from wom.config.library import BLANK
from wom.config.optimize import Optimize
from wom.experiment import optimize as opt
from wom.viz import optimize as vo
from wom.viz import searchwords as sw
from wom.viz.numbers import counted
from wom.viz.words import mix_words

#: A cheap search that still has trials pruned, a sequence allowed and seeds or none.
SEARCH = {"trials": 8, "replicates": 12, "sequencing": ["parallel", "sequenced"],
          "seed_share": [0, 1], "seeding": ["random", "hubs"]}


def priced(**over: Any) -> dict[str, Any]:
    """The twins with a price large enough that profit runs into hundreds of thousands
    (cells that overflowed 80 columns as ``146,3…``), and a long strategy name."""
    data = twins(optimize=SEARCH, **over)
    for s in data["segments"]:
        s["price"] = 1000
    data["strategies"] = [*data["strategies"],
                          {"name": "a-very-long-strategy-name-indeed", "kind": "broad"}]
    return data


def write_scenario(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "priced.yaml"
    path.write_text("# LESSON: priced twins\n" + yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """``wom optimize --objective profit`` in 80 columns, off a terminal: its folder and
    the command's result."""
    tmp = tmp_path_factory.mktemp("opt")
    out = tmp / "opt"
    args = ["optimize", str(write_scenario(tmp, priced())), "--objective", "profit", "-w",
            "1", "-r", "8", "-o", str(out)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", ["wom", *args])  # the command line, as the report gives it
        res = CliRunner(env={"COLUMNS": "80"}).invoke(main, args)
    assert res.exit_code == 0, res.output
    return out, res


def fake(strategies: list[dict[str, Any]], best: dict[str, Any], *, objective: str,
         replicates: int, segments: list[dict[str, Any]] | None = None) -> opt.OptimizeResult:
    """An optimize result without the search: the scenario's `strategies` and the plan
    `best` run on `replicates` fresh replicates, as the confirmation runs them."""
    data = twins(strategies=strategies)
    if segments is not None:
        data["segments"] = segments
    sc = wom.scenario_from_dict(data)
    spec = Strategy.model_validate({"name": opt.FOUND, "kind": "mix", **best})
    both = sc.model_copy(update={"strategies": [*sc.strategies, spec]})
    conf = wom.run(both, replicates=replicates, workers=1)
    metric = {"customers": "customers", "profit": "profit", "payback": "payback_step"}
    trials = pd.DataFrame({"trial": [0], "state": ["complete"], "replicates": [12],
                           "objective": [1.0], "objective_se": [np.nan]})
    return opt.OptimizeResult(scenario=sc, objective=objective, metric=metric[objective],
                              trials=trials, best=spec, finalists=[spec],
                              confirmation=conf)


def numbers(text: str) -> list[str]:
    return re.findall(r"\d[\d,]*\.?\d*", text)


# ---------------------------------------------------------------------- the terminal table

def test_the_money_table_fits_80_columns(searched: tuple[Path, Any]) -> None:
    _, res = searched
    assert "…" not in res.output
    # (lines that name a folder are as long as its path)
    lines = [ln for ln in res.output.splitlines() if not ln.startswith(("wrote ", "next: "))]
    assert max(len(line) for line in lines) <= 80, [ln for ln in lines if len(ln) > 80]
    assert "next: wom run " in res.output and "best.yaml --by profit" in res.output
    rows = [ln for ln in lines if ln.startswith(("focused", "optimized "))]
    assert len(rows) == 2 and all(re.search(r"\d(k|M)\b", r) for r in rows), rows


def test_the_table_explains_its_differences_in_words(searched: tuple[Path, Any]) -> None:
    _, res = searched
    assert "− : optimized − it" not in res.output
    flat = " ".join(res.output.split())
    assert "difference: the plan found (optimized) minus the strategy on the same replicates" \
        in flat


def test_the_verdict_writes_money_as_the_table(searched: tuple[Path, Any]) -> None:
    _, res = searched
    flat = " ".join(res.output.split())
    verdict = flat[flat.index("The plan found"):]
    assert "profit" in verdict and "on 8 fresh replicates" in verdict
    for x in numbers(verdict.split("P(beats)")[0]):  # money: whole units, k or M
        assert "." not in x.rstrip("."), verdict


def test_the_confirmation_shows_its_progress(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from wom.cli import options

    monkeypatch.setattr(options, "QUIET_SECONDS", 0.0)  # a line per tenth at once
    data = twins(optimize={"trials": 8, "replicates": 4})
    res = CliRunner().invoke(main, ["optimize", str(write_scenario(tmp_path, data)),
                                    "-w", "1", "-r", "10", "-o", str(tmp_path / "o"), "-q"])
    assert res.exit_code == 0, res.output
    assert "optimize: 8/8 trials (100%)" not in res.output  # quiet: nothing
    res = CliRunner().invoke(main, ["optimize", str(write_scenario(tmp_path, data)),
                                    "-w", "1", "-r", "10", "-o", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    assert "optimize: 8/8 trials (100%)" in res.output
    assert "confirmation: 10/10 replicates (100%)" in res.output


# ----------------------------------------------------------------------- verdict in words

def test_payback_reads_in_weeks_and_says_how_never_counts() -> None:
    """Segment b pays nothing: a plan on b never pays back and scores the horizon + 1, in
    its mean and in its paired difference alike (so it is compared, and loses)."""
    segments = [{"name": "a", "size": 200, "tam": 1.0, "early_market": 1.0, "price": 5},
                {"name": "b", "size": 200, "tam": 1.0, "early_market": 1.0}]
    res = fake([{"name": "focused", "kind": "focused", "segment": "a"}],
               {"weights": {"b": 1}}, objective="payback", replicates=6, segments=segments)
    conf = res.confirmed().set_index("strategy")
    assert conf.loc[opt.FOUND, "mean"] == res.scenario.horizon + 1  # never: week 7
    rows = {r[0]: r for r in sw.confirmation_rows(res)}
    assert rows["focused"][5] == "0.00"  # P(the plan found beats focused): never
    notes = " ".join(sw.confirmation_notes(res))
    assert "never paid back within the 6 weeks counts as week 7" in notes
    assert "negative: the plan found pays back earlier (better)" in notes
    text = sw.verdict_text(res)
    assert "nan" not in text and "does not beat focused" in text and "later" in text, text
    # a plan that pays back: the difference in weeks earlier or later
    res = fake([{"name": "focused", "kind": "focused", "segment": "a"}],
               {"weights": {"a": 1}, "campaign_weeks": 1}, objective="payback",
               replicates=6, segments=segments)
    text = sw.verdict_text(res)
    assert re.search(r"pays back (\d+\.\d weeks? (earlier|later)|in the same week)",
                     text), text
    assert "less payback" not in text and "more payback" not in text


def test_one_replicate_reads_as_one() -> None:
    res = fake([{"name": "focused", "kind": "focused", "segment": "a"}],
               {"weights": {"a": 1, "b": 1}}, objective="customers", replicates=1)
    text = sw.verdict_text(res)
    assert "1 fresh replicates" not in text, text
    assert "single fresh replicate" in text and "no interval" in text
    alone = sw.verdict_text(fake([], {"weights": {"a": 1, "b": 1}}, objective="customers",
                                 replicates=1))
    assert "on 1 fresh replicate;" in alone and "95% CI" not in alone, alone
    for row in sw.confirmation_rows(res):
        assert "–––" not in " ".join(row) and "– to –" not in " ".join(row), row
    assert sw.confirmation_rows(res)[0][2] == "–"
    assert counted(1000, "fresh replicate") == "1,000 fresh replicates"


def test_the_verdict_has_the_tables_precision() -> None:
    res = fake([{"name": "focused", "kind": "focused", "segment": "a"}],
               {"weights": {"a": 1, "b": 1}}, objective="customers", replicates=6)
    text = sw.verdict_text(res)
    assert re.search(r"\d\.\d\d", text.split("P(beats)")[0]) is None, text  # one decimal
    table = " ".join(" ".join(r) for r in sw.confirmation_rows(res))
    d = res.versus()
    assert d is not None and f"{abs(d.mean):,.1f}" in text and f"{d.mean:+,.1f}" in table


def test_without_strategies_of_its_own_the_verdict_is_a_sentence() -> None:
    res = fake([], {"weights": {"a": 1, "b": 1}}, objective="customers", replicates=6)
    text = sw.verdict_text(res)
    own = res.confirmed().set_index("strategy").loc[opt.FOUND]
    assert text.startswith(f"The plan found wins {own['mean']:,.1f} customers on average "
                           f"(95% CI {own['lo']:,.1f} to {own['hi']:,.1f}), on 6 fresh "
                           "replicates; the scenario has no strategy of its own"), text
    assert text.endswith(".")


# ------------------------------------------------------------------------- plan in words

@pytest.mark.parametrize(("plan", "said", "unsaid"), [
    ({"weights": {"a": 1}, "seed_share": 1.0, "campaign_weeks": 1},
     ["the whole budget on seeds", "seeding random"], ["contacts over", "week"]),
    ({"weights": {"a": 1}, "seed_share": 0.0, "campaign_weeks": 3},
     ["no seeds", "contacts over 3 weeks"], ["seeding", "seed share"]),
    ({"order": ["a", "b"], "trigger": 0.2, "seed_share": 0.0, "campaign_weeks": 1},
     ["a sequence: a first, then b in turn", "20% of its TAM", "contacts over 1 week"],
     ["every seed", "seeding", "1 weeks"]),
    ({"order": ["a", "b"], "trigger": 0.2, "seed_share": 0.5, "campaign_weeks": 2},
     ["a first (every seed there)", "50% of the budget on seeds", "contacts over 2 weeks",
      "seeding random"], []),
])
def test_the_plan_in_words_leaves_out_what_has_no_effect(
        plan: dict[str, Any], said: list[str], unsaid: list[str]) -> None:
    spec = Strategy.model_validate({"name": opt.FOUND, "kind": "mix", "seeding": "random",
                                    **plan})
    res = opt.OptimizeResult(scenario=wom.scenario_from_dict(twins()), objective="customers",
                             metric="customers", trials=pd.DataFrame(), best=spec,
                             finalists=[spec], confirmation=None)
    text = sw.describe_plan(res)
    assert text.startswith(mix_words(spec))
    for words in said:
        assert words in text, (words, text)
    for words in unsaid:
        assert words not in text, (words, text)


# --------------------------------------------------------------------------------- plan.png

def test_plan_figure_integer_weeks_headroom_and_contacts_apart() -> None:
    res = fake([{"name": "focused", "kind": "focused", "segment": "a"}],
               {"weights": {"a": 2, "b": 1}, "seed_share": 0.5, "campaign_weeks": 1},
               objective="customers", replicates=1)
    seeds, contacts = vo.plan_money(res)
    assert seeds.sum() > 0 and contacts.sum() > 0
    fig = vo.plan_figure(res)
    left, right = fig.axes[:2]
    assert "1 week," in fig._suptitle.get_text() and "1 weeks" not in fig._suptitle.get_text()
    for ax in (left, right):
        tops = [p.get_y() + p.get_height() for p in ax.patches]
        assert max(tops) < 0.95 * ax.get_ylim()[1]  # clear of the frame
    ticks = right.get_xticks()
    assert np.allclose(ticks, np.round(ticks))
    # the week panel holds the contacts only (the seeds would dwarf them)
    assert sum(p.get_height() for p in right.patches) == pytest.approx(contacts.sum())


def test_plan_figure_without_contacts_says_so() -> None:
    res = fake([], {"weights": {"a": 1}, "seed_share": 1.0}, objective="customers",
               replicates=1)
    fig = vo.plan_figure(res)
    left, right = fig.axes[:2]
    assert any("no contacts" in t.get_text() for t in right.texts)
    tops = [p.get_y() + p.get_height() for p in left.patches]
    assert max(tops) < 0.95 * left.get_ylim()[1]
    assert "campaign" not in fig._suptitle.get_text()


# ------------------------------------------------------------------------------ report.html

def test_report_has_the_command_and_one_number_format(searched: tuple[Path, Any]) -> None:
    out, _ = searched
    page = (out / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]+"', "", page))
    # with the folder it was typed in, its relative paths' base (breaker trial)
    assert f"This search was made in  {os.getcwd()}  with:" in text, text
    assert "--objective profit" in text
    assert "wom optimize scenario.yaml --replicates 8" in text
    assert "wom run best.yaml --replicates 8" in text
    assert "nan" not in text and "– to –" not in text
    assert re.search(r"\d\.\d{3,}", text) is None  # no 0.9675 beside 0.97
    assert re.search(r"-\d\.\d{3}", text) is None


def test_the_folders_scenario_searches_again_to_the_same_result(
        searched: tuple[Path, Any], tmp_path: Path) -> None:
    out, _ = searched
    again = tmp_path / "again"
    res = CliRunner().invoke(main, ["optimize", str(out / "scenario.yaml"), "-w", "1",
                                    "-r", "8", "-o", str(again), "-q"])
    assert res.exit_code == 0, res.output
    for name in ("trials.csv", "best.yaml", "confirmation.csv"):
        assert (out / name).read_bytes() == (again / name).read_bytes(), name


# ------------------------------------------------------------------- stops, refusals, hints

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def test_ctrl_c_prints_the_best_plan_so_far(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    asked = opt.ask_batch

    def after_two_batches(study, space, n):  # type: ignore[no-untyped-def]
        if len(study.get_trials(states=FINISHED)) >= 2 * opt.BATCH:
            raise KeyboardInterrupt  # Ctrl-C
        return asked(study, space, n)

    monkeypatch.setattr(opt, "ask_batch", after_two_batches)
    data = twins(optimize={"trials": 40, "replicates": 12})
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["optimize", str(write_scenario(tmp_path, data)),
                                    "-w", "1", "-o", str(out)])
    assert res.exit_code == 130, res.output
    line = next(ln for ln in res.output.splitlines() if ln.startswith("best so far:"))
    assert "customers" in line and "search replicates (not confirmed)" in line
    best = wom.load_scenario(out / "best.yaml").strategies[-1]
    assert mix_words(best) in line
    assert f"wom optimize --resume {out}" in res.output


@pytest.mark.parametrize("command", ["report", "plot"])
def test_report_and_plot_of_an_optimize_folder_point_to_its_report(
        searched: tuple[Path, Any], command: str) -> None:
    out, _ = searched
    res = CliRunner().invoke(main, [command, str(out)])
    assert res.exit_code == 2
    assert "not a wom run folder" in res.output
    assert "a wom optimize folder" in res.output and str(out / "report.html") in res.output


# ------------------------------------------------------------------------------- wom new

def test_the_blank_template_shows_mix_and_every_optimize_key(tmp_path: Path) -> None:
    """Uncommented, the template's mix strategies and optimize: block are a valid search,
    and the block names every key docs/model.md documents."""
    lines = BLANK.replace("NAME", "x").splitlines()
    start = lines.index("# optimize:")
    block = [ln[2:] for ln in lines[start:] if ln.startswith("#")]
    keys = {ln.split(":")[0].strip() for ln in block[1:]}
    assert keys == set(Optimize.model_fields)
    mixes = [ln.replace("  # ", "  ", 1).replace("  #    ", "     ", 1)
             for ln in lines[:start]
             if ln.startswith(("  # - {name: split", "  # - {name: one-then",
                               "  #    message:", "  #    trigger:"))]
    assert len(mixes) == 4
    text = "\n".join(lines[:start]) + "\n" + "\n".join(mixes) + "\n" + "\n".join(block) + "\n"
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    sc = wom.load_scenario(path)
    kinds = {s.name: s for s in sc.strategies}
    assert kinds["split"].kind == "mix" and kinds["split"].weights is not None
    assert kinds["one-then-two"].order == ["first-segment", "second-segment"]
    assert sc.optimize is not None
    opt.prepare(sc)  # a space the search takes


def test_a_search_that_finds_the_users_own_plan_says_so() -> None:
    """One trial: the scenario's focused plan, raced first. The verdict says the plan found
    is focused's own (not "wins the same customers, 95% CI the same to the same")."""
    sc = wom.scenario_from_dict(twins(optimize={"trials": 1, "replicates": 4}, strategies=[
        {"name": "focused", "kind": "focused", "segment": "a", "seeding": "random"}]))
    res = wom.optimize(sc, workers=1, confirm_replicates=6)
    assert res.meta["from_scenario"] == {"trial-0": "focused"}
    assert res.meta["found_trial"] == "trial-0"
    text = sw.verdict_text(res)
    assert text.startswith("The plan found is focused's own plan: the search found nothing "
                           "better"), text
    assert "the same customers" not in text
