"""Every library scenario runs, and each lesson scenario shows its lesson robustly.

"Robustly" means the paired difference has the lesson's sign with its 95% interval
excluding zero, on fewer replicates than the scenario file asks for (so with margin).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

import wom
from wom.config.library import list_scenarios

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
LIBRARY = [p for _, _, p in list_scenarios(SCENARIOS)]


def test_the_library_has_every_lesson():
    names = {p.stem for p in LIBRARY}
    assert {"focused-vs-broad", "seeding", "for-everyone", "bowling-pins", "chasm",
            "tam-incumbents", "email-departments", "bass", "from-today",
            "quality-revenue", "buyer-payer-user", "mindset-vs-vertical"} <= names


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_every_scenario_validates_runs_and_says_what_it_teaches(path: Path):
    text = path.read_text(encoding="utf-8")
    assert "# LESSON" in text and "# WHAT TO SEE" in text
    sc = wom.load_scenario(path)
    assert sc.description
    res = wom.run(sc, replicates=2, workers=1)
    summary = res.summary()
    assert list(summary.strategy) == [s.name for s in sc.strategies]
    assert (summary.customers_mean > 0).all()
    assert (summary.spend_mean <= sc.budget.total + 1e-6).all()


def customers_at(sc: wom.Scenario, replicates: int):
    res = wom.run(sc, replicates=replicates, workers=2)
    comp = res.comparison()
    return res, comp[comp.metric == "customers"].set_index(["a", "b"])


def _wins(comp, a: str, b: str) -> bool:
    """a beats b on customers with the 95% interval of the paired difference above zero."""
    if (a, b) in comp.index:
        return bool(comp.loc[(a, b)].diff_lo > 0)
    return bool(comp.loc[(b, a)].diff_hi < 0)


def _load(name: str) -> wom.Scenario:
    return wom.load_scenario(SCENARIOS / f"{name}.yaml")


def test_focused_beats_broad_in_the_flagship():
    _, comp = customers_at(_load("focused-vs-broad"), 30)
    assert _wins(comp, "focused", "broad")


def test_broad_wins_customers_but_focus_on_the_best_fit_earns_more_and_pays_back_first():
    """quality-revenue: each claim of its WHAT TO SEE, paired, its interval excluding zero."""
    res = wom.run(_load("quality-revenue"), replicates=30, workers=2)
    comp = res.comparison().set_index(["a", "b", "metric"])
    c, p, r = (comp.loc[("focused", "broad", m)] for m in ("customers", "profit", "revenue"))
    assert c.diff_hi < 0 and p.diff_lo > 0 and r.diff_lo > 0
    back = comp.loc[("focused", "broad", "payback_step")]
    assert back.diff_hi < 0  # focused pays back earlier (over replicates where both do)
    assert (res.summary().set_index("strategy").paid_back_share > 0.9).all()


def test_speaking_to_buyers_and_payers_wins_the_accounts_a_user_campaign_leaves_waiting():
    """buyer-payer-user: roles wins more accounts and profit (paired interval above 0)
    and users leaves more people waiting (intervals apart)."""
    res = wom.run(_load("buyer-payer-user"), replicates=30, workers=2)
    comp = res.comparison().set_index(["a", "b", "metric"])
    for metric in ("accounts_won", "profit", "customers"):
        assert comp.loc[("users", "roles", metric)].diff_hi < 0, metric
    s = res.summary().set_index("strategy")
    assert s.loc["users", "waiting_lo"] > s.loc["roles", "waiting_hi"]


def test_the_poster_child_beats_random_and_bridge_seeds():
    _, comp = customers_at(_load("seeding"), 40)
    assert _wins(comp, "poster_child", "random")
    assert _wins(comp, "poster_child", "bridges")


def test_spreading_the_budget_thinner_wins_fewer_customers():
    res, comp = customers_at(_load("for-everyone"), 40)
    for a, b in [("one", "two"), ("two", "four"), ("four", "eight")]:
        assert _wins(comp, a, b), (a, b)
    ignited = res.summary().set_index("strategy").segments_ignited_mean
    assert ignited["one"] > 0.9 and ignited["eight"] < 0.1


def test_bowling_pins_beat_the_same_segments_at_once():
    _, comp = customers_at(_load("bowling-pins"), 30)
    assert _wins(comp, "pins", "simultaneous")


def test_the_chasm_decides_and_the_winner_flips_without_references():
    sc = _load("chasm")
    _, comp = customers_at(sc, 30)
    assert _wins(comp, "focused", "broad")
    no_refs = sc.model_copy(update={"segments": [
        s.model_copy(update={"references": 0}) for s in sc.segments]})
    _, comp = customers_at(no_refs, 30)
    assert _wins(comp, "broad", "focused")


def test_the_dentists_list_stalls_when_trades_spread_over_the_conversations_and_wins_when_not():
    from wom.config import apply

    sc = _load("mindset-vs-vertical")
    # both ends of the scenario's sweep (0:1), and the scenario's own alignment
    for alignment in (0.0, sc.attributes["vertical"].alignment):
        spread = apply(sc, {"attributes.vertical.alignment": alignment})
        _, comp = customers_at(spread, 30)
        assert _wins(comp, "optimizers", "dentists-list"), alignment
    lined_up = apply(sc, {"attributes.vertical.alignment": 1.0})
    _, comp = customers_at(lined_up, 30)
    assert _wins(comp, "dentists-list", "optimizers")


def test_the_open_segment_beats_the_capped_incumbent_held_one():
    res, comp = customers_at(_load("tam-incumbents"), 20)
    assert _wins(comp, "open-segment", "held-segment")
    ts = res.timeseries()
    final = ts[ts.step == ts.step.max()].groupby(["strategy", "segment"]).adopters.max()
    # The held segment never exceeds what the TAM minus the incumbent leaves: 10% of 3,000.
    assert final["held-segment", "hospitals"] <= 300


def test_on_the_email_graph_focus_wins_and_keeps_its_customers_home():
    res, comp = customers_at(_load("email-departments"), 40)
    assert _wins(comp, "focused", "broad")
    ts = res.timeseries()
    last = ts[(ts.step == ts.step.max()) & (ts.strategy == "focused")]
    home = last[last.segment == "dept-4"].adopters.sum() / last.adopters.sum()
    assert home > 0.75


def test_the_bass_market_draws_the_s_curve_of_its_mean_field():
    """New customers per week rise and fall; the mean follows the mean-field recursion
    f(t+1) = f + (1 − f)(1 − (1 − p)(1 − q/N)^(N f)) of the same rule."""
    sc = _load("bass")
    res = wom.run(sc, replicates=40, workers=2)
    ts = res.timeseries()
    curves = ts.pivot_table(index="replicate", columns="step", values="adopters").to_numpy(float)
    mean = curves.mean(axis=0)
    se = curves.std(axis=0, ddof=1) / np.sqrt(curves.shape[0])
    n, p, q = 1000, sc.dynamics.marketing, sc.dynamics.word_of_mouth * 1000
    f, field = 0.0, []
    for _ in range(sc.horizon):
        f = f + (1 - f) * (1 - (1 - p) * (1 - q / n) ** (n * f))
        field.append(n * f)
    field = np.array(field)
    new = np.diff(mean, prepend=0.0)
    peak = int(np.argmax(new))
    assert 2 <= peak <= sc.horizon - 5  # rises, then falls: an S-curve
    assert abs(peak - int(np.argmax(np.diff(field, prepend=0.0)))) <= 1
    # The mean-field ignores fluctuations, so allow 3% of the market besides 4 SE.
    assert (np.abs(mean - field) <= 4 * se + 0.03 * n).all()
    wom_share = res.summary().wom_share_mean.iloc[0]
    assert wom_share > 0.5


@pytest.mark.slow
def test_from_today_fits_the_crm_and_focus_still_wins_from_today():
    """The lesson's two commands: the fit's intervals hold the truth data/crm was made with,
    and from today's customers focused beats broad in every paired replicate, with a spread
    wider than the point estimate's (the fit's uncertainty is carried)."""
    sc = _load("from-today")
    root = SCENARIOS.parent / "data" / "crm"
    fit = wom.fit(sc, root / "new-customers.csv", workers=2)
    est = fit.estimates().set_index("parameter")
    for key, truth in (("dynamics.word_of_mouth", 0.06), ("dynamics.background", 0.004)):
        assert est.loc[key, "lo"] <= truth <= est.loc[key, "hi"], est
    fitted = fit.fitted_scenario()
    customers = wom.load_customers(fitted, root / "customers.csv")
    res = wom.run(fitted.model_copy(update={"replicates": 60}), workers=2, customers=customers)
    comp = res.comparison().query("metric == 'customers'").set_index(["a", "b"])
    assert comp.loc[("focused", "broad")].p_a_beats_b == 1.0
    point = wom.run(fitted.model_copy(update={"uncertainty": None, "replicates": 60}),
                    workers=2, customers=customers)
    spread = res.summary().set_index("strategy").customers_sd["focused"]
    assert spread > 2 * point.summary().set_index("strategy").customers_sd["focused"]


def test_the_library_is_found_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # `wom list`, `wom new` and the app's lesson menu look for the library beside the
    # package's source tree, not in the working folder.
    from click.testing import CliRunner

    from wom.app.views import lessons
    from wom.cli import main

    monkeypatch.delenv("WOM_SCENARIOS", raising=False)
    monkeypatch.chdir(tmp_path)
    listed = CliRunner().invoke(main, ["list"])
    assert listed.exit_code == 0 and "focused-vs-broad" in listed.output
    made = CliRunner().invoke(main, ["new", "demo", "--from", "chasm"])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "demo.yaml").is_file()
    assert "focused-vs-broad" in lessons()


def test_wom_new_starts_from_a_blank_commented_template(tmp_path: Path):
    """`wom new NAME` copied the flagship lesson's LESSON text into a user's file; it now
    writes a blank template whose every key says what it means (issue 14, item 19)."""
    from click.testing import CliRunner

    from wom.cli import main

    made = CliRunner().invoke(main, ["new", "my-market", "--dir", str(tmp_path)])
    assert made.exit_code == 0, made.output
    path = tmp_path / "my-market.yaml"
    text = path.read_text()
    assert "LESSON" not in text and text.startswith("# my-market — describe your market")
    sc = wom.load_scenario(path)
    assert sc.name == "my-market" and len(sc.segments) == 2 and len(sc.strategies) == 2
    # every key of the dynamics and the budget is there (the network's common ones)
    data = yaml.safe_load(text)
    for block in ("dynamics", "budget"):
        assert set(data[block]) == set(type(getattr(sc, block)).model_fields), block
    assert set(data["network"]) == {"model", "mean_degree", "mixing", "weak_tie", "resample"}
    # the two segments are alike but for their names: a copy of either makes a third alike
    first, second = sc.segments
    assert first.model_copy(update={"name": "x"}) == second.model_copy(update={"name": "x"})
    ran = CliRunner().invoke(main, ["run", str(path), "-r", "2", "-w", "1", "-q",
                                    "-o", str(tmp_path / "run")])
    assert ran.exit_code == 0, ran.output
    # an unknown template: named as given, with blank among those known, no internal path
    bad = CliRunner().invoke(main, ["new", "x", "--from", "nope", "--dir", str(tmp_path)])
    assert bad.exit_code == 2 and "--from nope: no such template (known: blank, " in bad.stderr
    assert "/scenarios/" not in bad.stderr


def test_wom_new_takes_a_file_name_and_leaves_nothing_on_a_full_disk(tmp_path, monkeypatch):
    """`wom new mine.yaml` wrote mine.yaml.yaml; on a full disk it left a hidden
    .NAME.yaml.partial and named no file (breaker trial)."""
    import errno
    from pathlib import Path

    from click.testing import CliRunner

    from wom.cli import main

    made = CliRunner().invoke(main, ["new", "mine.yaml", "--dir", str(tmp_path)])
    assert made.exit_code == 0, made.output
    assert [p.name for p in tmp_path.iterdir()] == ["mine.yaml"]
    assert wom.load_scenario(tmp_path / "mine.yaml").name == "mine"

    def full(self, *args, **kwargs):
        open(self, "w").close()  # (created, then the disk is full)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    out = tmp_path / "full"
    failed = CliRunner().invoke(main, ["new", "other", "--dir", str(out)])
    assert failed.exit_code == 2, failed.output
    assert failed.stderr == f"error: No space left on device: {out / 'other.yaml'}\n"
    assert not out.exists()  # the folder it made for the file is removed again
    out.mkdir()  # a folder that was there stays
    failed = CliRunner().invoke(main, ["new", "other", "--dir", str(out / "a" / "b")])
    assert failed.exit_code == 2 and list(out.iterdir()) == []
    # no name: said so, not "'': a scenario name is letters, digits, …"
    hidden = CliRunner().invoke(main, ["new", ".hidden", "--dir", str(out)])
    assert hidden.exit_code == 2 and "starting with '.' makes a hidden file" in hidden.stderr
    for name in ("", ".yaml", ".YML", "..yaml"):
        unnamed = CliRunner().invoke(main, ["new", name, "--dir", str(out)])
        assert unnamed.exit_code == 2
        assert unnamed.stderr == f"error: {name!r}: give the scenario a name (wom new my-market)\n"


@pytest.mark.parametrize("name", ["123", "true", "null", "mine.YAML"])
def test_wom_new_writes_a_name_yaml_reads_back_as_written(tmp_path, name):
    """`wom new 123` wrote `name: 123`, which validate refused (a number, not a name);
    `wom new mine.YAML` wrote mine.YAML.yaml (re-check of the breaker trial)."""
    from click.testing import CliRunner

    from wom.cli import main

    for template in ("blank", "chasm"):
        folder = tmp_path / template
        made = CliRunner().invoke(main, ["new", name, "--from", template, "--dir", str(folder)])
        assert made.exit_code == 0, made.output
        stem = name.removesuffix(".YAML")
        assert [p.name for p in folder.iterdir()] == [f"{stem}.yaml"]
        assert wom.load_scenario(folder / f"{stem}.yaml").name == stem
