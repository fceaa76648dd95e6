"""`--set PATH=VALUE`: a what-if without copying the scenario file (issue 14, item 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import wom
from wom.cli import main
from wom.config import apply, with_settings
from wom.errors import WomError

ROOT = Path(__file__).resolve().parents[1]
CHASM = ROOT / "scenarios" / "chasm.yaml"


def test_a_setting_is_the_same_run_as_the_edited_file(tmp_path: Path):
    """`--set segments.vets.references=0` gives byte for byte the run of a copy of the file
    with that one value edited; segments and strategies are named, not numbered."""
    data = yaml.safe_load(CHASM.read_text())
    edited = tmp_path / "chasm-edited.yaml"
    vets = next(i for i, s in enumerate(wom.load_scenario(CHASM).segments) if s.name == "vets")
    sc = wom.load_scenario(CHASM)
    full = yaml.safe_load(sc.to_yaml())
    full["segments"][vets]["references"] = 0
    full["name"] = data["name"]
    edited.write_text(yaml.safe_dump(full))
    a, b = tmp_path / "a", tmp_path / "b"
    ran = CliRunner().invoke(main, ["run", str(CHASM), "-r", "6", "-w", "1", "-q", "-o", str(a),
                                    "--set", "segments.vets.references=0"])
    assert ran.exit_code == 0, ran.output
    assert CliRunner().invoke(main, ["run", str(edited), "-r", "6", "-w", "1", "-q",
                                     "-o", str(b)]).exit_code == 0
    for table in ("summary.csv", "timeseries.csv", "comparison.csv"):
        assert (a / table).read_bytes() == (b / table).read_bytes(), table
    assert wom.read_run(a).scenario.segments[vets].references == 0


def test_settings_by_name_index_and_star_and_every_block_kept():
    sc = wom.load_scenario(ROOT / "scenarios" / "from-today.yaml")
    changed = with_settings(sc, ["segments.dentists.tam=0.5", "segments.1.references=0",
                                 "segments.*.early_market=0.2", "fit.generations=3",
                                 "dynamics.overlap={default: 0.1, dentists: {vets: 0.5}}"])
    assert changed.segments[0].tam == 0.5 and changed.segments[1].references == 0
    assert {s.early_market for s in changed.segments} == {0.2}
    assert changed.fit is not None and changed.fit.generations == 3  # the fit block stays
    assert changed.dynamics.overlap_of("dentists", "vets") == 0.5
    assert with_settings(sc, []) is sc


@pytest.mark.parametrize(("setting", "message"), [
    ("segments.surgeons.tam=0.5", "'surgeons' is neither a name nor an index of a list of 8 "
                                  "(names: dentists, lawyers,"),
    ("segments.dentists.tam=2", "segments[0].tam: Input should be less than or equal to 1"),
    ("budget.totl=3", "budget.totl: unknown key"),
    ("budget.total", "expected PATH=VALUE"),
    ("=3", "expected PATH=VALUE"),
    ("budget.total=[1, 2", "the value is not valid YAML"),
    ("strategies.focused.segment=nowhere", "unknown segment 'nowhere'"),
])
def test_a_bad_setting_exits_2_naming_it(tmp_path: Path, setting: str, message: str):
    result = CliRunner().invoke(main, ["run", str(ROOT / "scenarios" / "focused-vs-broad.yaml"),
                                       "-r", "2", "-o", str(tmp_path / "o"), "--set", setting])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: --set {setting!r}") and message in result.stderr, (
        result.stderr)
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


def test_vary_takes_names_too(tmp_path: Path):
    """`--vary` needed segments.2.references; a name works now, and the column says it."""
    out = tmp_path / "s"
    result = CliRunner().invoke(main, ["sweep", str(CHASM), "-v", "segments.vets.references=0,2",
                                       "-v", "network.mixing=0.05,0.3", "-r", "2", "-w", "1",
                                       "-o", str(out)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "segments.vets.references" in (out / "sweep.csv").read_text().splitlines()[0]
    # and the terminal shows the sweep's table, not only where the file is; on 80 columns
    # nothing is cut into ellipses (the intervals were), the short names explained below
    assert "customers: mean (95% CI); − focused: paired difference, strategy − focused" in (
        result.output)
    assert result.output.count("broad") == 4 and "wrote " in result.output
    assert "…" not in result.output
    assert "references: segments.vets.references; mixing: network.mixing" in result.output


@given(path=st.sampled_from(["segments.dentists.tam", "segments.9.size", "budget.total",
                             "strategies.focused.kind", "network.mixing", "dynamics",
                             "segments.*.references", "horizon", "fit.free", "nope.nope", ""]),
       value=st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=True),
                       st.text(max_size=8), st.sampled_from(["[1, 2", "{a: 1}", "null",
                                                             "true", "1e400", "[]"])))
def test_fuzzed_settings_run_or_exit_2(path: str, value: object):
    """Any --set either validates or is refused with `error: --set …` and status 2."""
    setting = f"{path}={value}"
    result = CliRunner().invoke(main, ["validate", str(CHASM), "--set", setting])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        err = [x for x in result.stderr.splitlines() if not x.startswith("warning:")]
        assert err[0].startswith("error: --set"), result.stderr


def test_with_settings_is_a_wom_error_in_python():
    with pytest.raises(WomError, match="--set 'x'"):
        with_settings(wom.load_scenario(CHASM), ["x"])


BROKEN = """name: broken
segments:
  - {name: dentists, size: 200}
  - {name: lawyers, size: 200}
strategies:
  - {name: f, kind: focused, segment: dentist}
"""


@pytest.mark.parametrize("setting", ["strategies.f.segment=dentists",
                                     "strategies.0.segment=dentists",
                                     "strategies[0].segment=dentists"])
def test_a_setting_can_repair_the_file(tmp_path: Path, setting: str):
    """Settings are an edit of the file: they can fix a wrong value (it was refused before
    the setting applied), with the paths error messages print (`strategies[0]`)."""
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    assert CliRunner().invoke(main, ["validate", str(path)]).exit_code == 2
    result = CliRunner().invoke(main, ["validate", str(path), "--set", setting])
    assert result.exit_code == 0, result.output
    assert wom.load_scenario(path, [setting]).strategies[0].segment == "dentists"
    # a setting that does not repair it: the file's line, with the value as set
    wrong = CliRunner().invoke(main, ["validate", str(path), "--set",
                                      "strategies.0.segment=nobody"])
    assert wrong.exit_code == 2 and "broken.yaml:6: strategies[0].segment: unknown segment " \
        "'nobody'" in wrong.stderr, wrong.stderr


def test_the_shorthand_keys_of_segments_can_be_set():
    """`segments: {count: 8, size: 2000, …}`: `segments.size` is the file's own key."""
    flagship = ROOT / "scenarios" / "focused-vs-broad.yaml"
    sc = wom.load_scenario(flagship, ["segments.size=1000"])
    assert {s.size for s in sc.segments} == {1000} and len(sc.segments) == 8
    # and names still reach one segment of the expanded list
    one = wom.load_scenario(flagship, ["segments.vets.references=0"])
    assert [s.references for s in one.segments].count(0) == 1
    with pytest.raises(WomError, match=r"--set 'segments.count=4'.*names has 8 entries"):
        wom.load_scenario(flagship, ["segments.count=4"])


def test_a_warning_says_it_comes_from_a_setting(tmp_path: Path):
    result = CliRunner().invoke(main, ["validate", str(ROOT / "scenarios" / "for-everyone.yaml"),
                                       "--set", "budget.total=80"])
    assert "for-everyone.yaml with --set budget.total=80: budget." in result.stderr, (
        result.stderr)


def test_a_key_both_set_and_swept_is_refused(tmp_path: Path):
    """The sweep overwrote the --set at every point without a word (new-user trial)."""
    result = CliRunner().invoke(main, ["sweep", str(CHASM), "-v", "network.mixing=0.05,0.3",
                                       "--set", "network.mixing=0.9", "-r", "2",
                                       "-o", str(tmp_path / "s")])
    assert result.exit_code == 2 and "network.mixing: both set (--set) and swept" in (
        result.stderr), result.output
    assert not (tmp_path / "s").exists()


def test_a_block_left_out_can_be_set_inside():
    """`--set optimize.segments=[…]` on a file without an `optimize:` block: the block is
    made (with its defaults), as it would be by writing the key into the file."""
    sc = wom.load_scenario(ROOT / "scenarios" / "focused-vs-broad.yaml")
    assert sc.optimize is None
    changed = with_settings(sc, ["optimize.segments=[dentists, vets]", "optimize.trials=20"])
    assert changed.optimize is not None
    assert changed.optimize.segments == ["dentists", "vets"] and changed.optimize.trials == 20
    with pytest.raises(WomError, match=r"optimize\.segmnts: unknown key"):
        with_settings(sc, ["optimize.segmnts=[dentists]"])


# --- a value set for a key the fit draws (new-user trial: --set was silently overridden) ---

FITTED = """name: fitted
horizon: 6
replicates: 4
segments: {count: 2, size: 60}
dynamics: {word_of_mouth: 0.15, background: 0.01}
budget: {total: 1000}
strategies: [{name: broad, kind: broad}]
uncertainty:
  draws:
    dynamics.word_of_mouth: [0.1, 0.2, 0.3]
    dynamics.background: [0.01, 0.02, 0.03]
  estimates: {dynamics.word_of_mouth: 0.15, dynamics.background: 0.01}
  intervals: {dynamics.word_of_mouth: [0.1, 0.3], dynamics.background: [0.01, 0.03]}
"""


def test_a_set_value_replaces_the_draws_of_its_key_and_keeps_the_others(tmp_path: Path):
    from wom.experiment.replicate import scenario_of

    path = tmp_path / "fitted.yaml"
    path.write_text(FITTED)
    sc = wom.load_scenario(path)
    assert [scenario_of(sc, i).dynamics.word_of_mouth for i in range(3)] == [0.1, 0.2, 0.3]
    for settings in (["dynamics.word_of_mouth=0.02"], ["dynamics={word_of_mouth: 0.02, "
                                                         "background: 0.01}"]):
        set_ = wom.load_scenario(path, settings=settings)
        assert [scenario_of(set_, i).dynamics.word_of_mouth for i in range(3)] == [0.02] * 3
        kept = set_.uncertainty.draws if set_.uncertainty else {}
        # a whole block set releases every key inside it; one key, only that key
        assert ("dynamics.background" in kept) == (len(settings[0]) < 40)
        # with its estimate and its interval (they would be refused, left without draws)
        if set_.uncertainty is not None:
            assert set(set_.uncertainty.intervals) == set(set_.uncertainty.estimates) == {
                "dynamics.background"}
    # a sweep's point too (the draws stayed: every point ran the fit's values)
    point = apply(sc, {"dynamics.word_of_mouth": 0.05}, keep_uncertainty=True)
    assert [scenario_of(point, i).dynamics.word_of_mouth for i in range(3)] == [0.05] * 3
    assert [scenario_of(point, i).dynamics.background for i in range(3)] == [0.01, 0.02, 0.03]


def test_a_drawn_value_edited_in_the_file_is_refused_naming_the_key(tmp_path: Path):
    path = tmp_path / "fitted.yaml"
    path.write_text(FITTED.replace("word_of_mouth: 0.15, background", "word_of_mouth: 0.02, "
                                                                     "background"))
    r = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "run")])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert "dynamics.word_of_mouth" in r.output and "is 0.02, but the fit that wrote this " \
        "file estimated 0.15" in " ".join(r.output.split())
    assert not (tmp_path / "run").exists()
    # a file written before estimates were kept runs as it did
    old = FITTED.replace("word_of_mouth: 0.15, background", "word_of_mouth: 0.02, background")
    path.write_text(old.split("  estimates:")[0])
    assert wom.load_scenario(path).uncertainty.draws["dynamics.word_of_mouth"] == [0.1, 0.2, 0.3]


def test_a_drawn_value_edited_in_a_file_with_a_sweep_is_said_once_at_its_line(tmp_path: Path):
    """fitted.yaml keeps the scenario's sweep: block; its points are the scenario with
    values set, so the edited value was said first as the sweep's problem, at the sweep's
    line (breaker trial)."""
    path = tmp_path / "fitted.yaml"
    path.write_text(FITTED.replace("word_of_mouth: 0.15, background", "word_of_mouth: 0.02, "
                                                                     "background")
                    + "sweep: {vary: {budget.total: [500, 1000]}}\n")
    with pytest.raises(wom.ScenarioError) as info:
        wom.load_scenario(path)
    said = str(info.value)
    assert said.count("is 0.02, but the fit") == 1 and "sweep" not in said, said
    assert f"{path}:5: dynamics.word_of_mouth" in said, said


def test_a_fit_range_is_set_by_its_key_path(tmp_path: Path):
    """fit.free's keys are key paths: `--set fit.free.dynamics.word_of_mouth=[0, 1]` sets
    that range (it said "the scenario has no key 'dynamics'": new-user trial), and a key
    not yet free becomes free."""
    path = tmp_path / "fit.yaml"
    path.write_text(FITTED.split("uncertainty:")[0] + "fit: {free: {dynamics.background: "
                                                       "[0, 0.05]}}\n")
    sc = wom.load_scenario(path, settings=["fit.free.dynamics.background=[0, 0.2]",
                                           "fit.free.dynamics.word_of_mouth=[0, 1]"])
    assert sc.fit.free == {"dynamics.background": [0, 0.2],
                           "dynamics.word_of_mouth": [0, 1]}


TWO = """name: drawn
seed: 3
horizon: 8
replicates: 3
segments: [{name: dentists, size: 120, references: 2, early_market: 0.05},
           {name: vets, size: 120, references: 2, early_market: 0.05}]
dynamics: {word_of_mouth: 0.15, background: 0.0}
budget: {total: 1000}
strategies: [{name: broad, kind: broad}]
"""


def test_a_drawn_market_key_reaches_every_replicates_market(tmp_path: Path):
    """Every market was built from the scenario before its draw: a fit of
    segments.*.references was drawn, reported, and never reached a market (breaker)."""
    drawn = tmp_path / "drawn.yaml"
    drawn.write_text(TWO + "uncertainty:\n  draws: {segments.*.references: [0, 0, 0]}\n"
                           "  estimates: {segments.*.references: 2}\n")
    none = tmp_path / "none.yaml"
    none.write_text(TWO.replace("references: 2", "references: 0"))
    a = wom.run(wom.load_scenario(drawn), workers=1).summary()
    b = wom.run(wom.load_scenario(none), workers=1).summary()
    assert a.customers_mean.tolist() == b.customers_mean.tolist()
    two = tmp_path / "two.yaml"
    two.write_text(TWO)
    assert a.customers_mean.tolist() != wom.run(wom.load_scenario(two), workers=1).summary(
        ).customers_mean.tolist()


def test_any_spelling_of_a_drawn_key_releases_it_and_every_element_is_checked(
        tmp_path: Path):
    from wom.experiment.replicate import scenario_of

    path = tmp_path / "refs.yaml"
    path.write_text(TWO + "uncertainty:\n  draws: {segments.*.references: [1, 2, 3]}\n"
                          "  estimates: {segments.*.references: 2}\n")
    # one segment set by name (--help's own example): the draws of `*` no longer apply
    for setting in ("segments.vets.references=0", "segments.1.references=0",
                    "segments[1].references=0"):
        sc = wom.load_scenario(path, settings=[setting])
        assert sc.uncertainty is None, setting
        assert [s.references for s in scenario_of(sc, 2).segments] == [2, 0]
    # edited in the file, the second element too is refused (only the first was read)
    path.write_text(path.read_text().replace("{name: vets, size: 120, references: 2",
                                             "{name: vets, size: 120, references: 0"))
    with pytest.raises(wom.ScenarioError, match="is 0, but the fit that wrote this file"):
        wom.load_scenario(path)
    # draws keyed by name, set by index (a sweep's point too)
    named = tmp_path / "named.yaml"
    named.write_text(TWO + "uncertainty:\n  draws: {segments.dentists.early_market: "
                           "[0.1, 0.2, 0.3]}\n  estimates: {segments.dentists.early_market: "
                           "0.05}\n")
    sc = wom.load_scenario(named, settings=["segments.0.early_market=0.5"])
    assert sc.uncertainty is None and scenario_of(sc, 1).segments[0].early_market == 0.5
    point = apply(wom.load_scenario(named), {"segments.*.early_market": 0.4},
                  keep_uncertainty=True)
    assert point.uncertainty is None


def test_a_fit_range_is_set_without_a_fit_block_and_stray_estimates_are_refused(
        tmp_path: Path):
    path = tmp_path / "two.yaml"
    path.write_text(TWO)
    sc = wom.load_scenario(path, settings=["fit.free.dynamics.word_of_mouth=[0, 1]"])
    assert sc.fit is not None and sc.fit.free == {"dynamics.word_of_mouth": [0, 1]}
    path.write_text(TWO + "uncertainty:\n  draws: {dynamics.word_of_mouth: [0.1, 0.2]}\n"
                          "  estimates: {dynamics.word_of_mouth: 0.15, dynamics.nope: 3}\n")
    with pytest.raises(wom.ScenarioError, match="an estimate of a key that is not drawn"):
        wom.load_scenario(path)
    path.write_text(TWO + "uncertainty:\n  draws: {dynamics.word_of_mouth: [0.1, 0.2]}\n"
                          "  intervals: {dynamics.background: [0.1, 0.2]}\n")
    with pytest.raises(wom.ScenarioError, match="an interval of a key that is not drawn"):
        wom.load_scenario(path)
    path.write_text(TWO + "uncertainty:\n  draws: {dynamics.word_of_mouth: [0.1, 0.2]}\n"
                          "  intervals: {dynamics.word_of_mouth: [0.2, 0.1]}\n")
    with pytest.raises(wom.ScenarioError, match=r"low end 0\.2 is above its high end 0\.1"):
        wom.load_scenario(path)
