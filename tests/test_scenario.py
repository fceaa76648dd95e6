"""The scenario file contract (docs/model.md §8): loading, defaults, shorthand, and every way
to get it wrong — each error must name the file, the key path (and line), and exit 2 from the
CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml
from click.testing import CliRunner

import wom
from wom import Scenario, ScenarioError, load_scenario, scenario_from_dict
from wom.cli import main

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "focused-vs-broad.yaml"
FLAGSHIP_NAMES = [
    "dentists", "lawyers", "architects", "accountants", "vets", "pharmacists", "notaries",
    "opticians",
]

MINIMAL = {
    "segments": [{"name": "dentists", "size": 100}, {"name": "lawyers", "size": 100}],
    "strategies": [
        {"name": "focused", "kind": "focused", "segment": "dentists"},
        {"name": "broad", "kind": "broad"},
    ],
}

# A valid scenario; the malformed cases below are small edits of it.
BASE = """\
name: base
horizon: 20
segments:
  - {name: dentists, size: 100}
  - {name: lawyers, size: 100}
budget: {campaign_weeks: 10}
strategies:
  - {name: focused, kind: focused, segment: dentists}
  - {name: broad, kind: broad}
"""


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


SHORTHAND = """\
name: shorthand
segments:
  count: 3
  size: 100
  names: [dentists, lawyers]
strategies:
  - {name: broad, kind: broad}
"""


class Bad(NamedTuple):
    text: str | bytes | None  # None: the file does not exist
    key: str  # expected key path ("" for the whole file)
    at: str | int | None  # expected line: a number, or the first line containing this text
    #                       (None: not checked)
    message: str  # a fragment of the expected message


BAD = {
    "wrong-type-size": Bad(edit("dentists, size: 100", "dentists, size: big"),
                           "segments[0].size", "size: big", "valid integer"),
    "boolean-size": Bad(edit("dentists, size: 100", "dentists, size: yes"),
                        "segments[0].size", "size: yes", "expected a number"),
    "negative-size": Bad(edit("dentists, size: 100", "dentists, size: -5"),
                         "segments[0].size", "size: -5", "greater than 0"),
    "zero-size": Bad(edit("lawyers, size: 100", "lawyers, size: 0"),
                     "segments[1].size", "size: 0", "greater than 0"),
    "fractional-size": Bad(edit("dentists, size: 100", "dentists, size: 100.5"),
                           "segments[0].size", "size: 100.5", "fractional"),
    "tam-above-1": Bad(edit("size: 100}", "size: 100, tam: 1.5}"),
                       "segments[0].tam", "tam: 1.5", "less than or equal to 1"),
    "incumbent-above-tam": Bad(edit("size: 100}", "size: 100, tam: 0.3, incumbent: 0.5}"),
                               "segments[0]", "incumbent: 0.5", "cannot exceed tam"),
    "focused-on-unknown-segment": Bad(edit("segment: dentists", "segment: surgeons"),
                                      "strategies[0].segment", "surgeons",
                                      "unknown segment 'surgeons'"),
    "focused-without-segment": Bad(edit(", segment: dentists", ""),
                                   "strategies[0]", "kind: focused", "needs `segment`"),
    "broad-with-segment": Bad(edit("kind: broad}", "kind: broad, segment: lawyers}"),
                              "strategies[1]", "kind: broad", "takes no `segment`"),
    "unknown-key-typo": Bad(edit("horizon: 20", "horizn: 20"),
                            "horizn", "horizn", "unknown key"),
    "unknown-nested-key": Bad(edit("campaign_weeks: 10}", "campaign_weeks: 10, totl: 5}"),
                              "budget.totl", "totl", "unknown key"),
    "missing-file": Bad(None, "", None, "no such file"),
    "yaml-syntax-error": Bad(edit("horizon: 20", "horizon: 20: 30"),
                             "", "horizon: 20: 30", "YAML syntax error"),
    "yaml-tab-indent": Bad(edit("  - {name: lawyers", "\t- {name: lawyers"),
                           "", "\t- {name: lawyers", "YAML syntax error"),
    "duplicate-key": Bad(edit("horizon: 20\n", "horizon: 20\nhorizon: 30\n"),
                         "horizon", "horizon: 30", "key given twice"),
    "duplicate-nested-key": Bad(edit("campaign_weeks: 10}", "campaign_weeks: 10, total: 1,"
                                     " total: 2}"),
                                "budget.total", "budget:", "key given twice"),
    "duplicate-segment-names": Bad(edit("name: lawyers", "name: dentists"),
                                   "segments[1].name", 5,
                                   "duplicate segment name 'dentists'"),
    "duplicate-strategy-names": Bad(edit("name: broad", "name: focused"),
                                    "strategies[1].name", "kind: broad",
                                    "duplicate strategy name 'focused'"),
    "nan-value": Bad(edit("campaign_weeks: 10}", "campaign_weeks: 10, total: .nan}"),
                     "budget.total", ".nan", "not a number"),
    "inf-value": Bad(BASE + "dynamics: {word_of_mouth: .inf}\n",
                     "dynamics.word_of_mouth", ".inf", "not a number"),
    "empty-file": Bad("", "", None, "got empty"),
    "only-comments": Bad("# nothing here\n", "", None, "got empty"),
    "top-level-list": Bad("- {name: dentists, size: 100}\n", "", None, "got a list"),
    "not-utf8": Bad(b"name: \xff\xfe\n", "", None, "not UTF-8"),
    # (a scenario without strategies is valid since issue 13: it serves `wom fit`; `wom run`
    # refuses it, see test_a_scenario_without_strategies_fits_but_does_not_run)
    "unknown-strategy-kind": Bad(edit("kind: broad", "kind: wide"),
                                 "strategies[1].kind", "kind: wide", "'beachhead' or 'mix'"),
    "unknown-seeding-rule": Bad(edit("kind: broad}", "kind: broad, seeding: psychic}"),
                                "strategies[1].seeding", "psychic", "poster_child"),
    "unknown-network-model": Bad(BASE + "network: {model: smallworld}\n",
                                 "network.model", "smallworld", "planted_partition"),
    "unknown-resample": Bad(BASE + "network: {resample: twice}\n",
                            "network.resample", "twice", "'per_replicate' or 'once'"),
    "numeric-resample": Bad(BASE + "network:\n  resample: 1\n",
                            "network.resample", "resample: 1", "'per_replicate' or 'once'"),
    "once-with-a-drawn-market-key": Bad(
        BASE + "network: {resample: once}\nuncertainty:\n  draws:\n"
        "    dynamics.background: [0.0, 0.1]\n    segments.*.tam: [0.5, 0.9]\n",
        "uncertainty.draws.segments.*.tam", "segments.*.tam", "shares one market"),
    "file-model-without-file": Bad(BASE + "network: {model: file}\n",
                                   "network", "model: file", "needs `file:"),
    "multi-without-segments": Bad(edit("kind: broad}", "kind: multi}"),
                                  "strategies[1]", "kind: multi", "needs `segments`"),
    "multi-unknown-segment": Bad(edit("kind: broad}", "kind: multi, segments: [dentists, x]}"),
                                 "strategies[1].segments[1]", "kind: multi",
                                 "unknown segment 'x'"),
    "beachhead-without-pins": Bad(edit("kind: broad}", "kind: beachhead}"),
                                  "strategies[1]", "kind: beachhead", "needs `order`"),
    "beachhead-pin-twice": Bad(
        edit("kind: broad}", "kind: beachhead, order: [lawyers, lawyers]}"),
        "strategies[1].order[1]", "kind: beachhead", "listed twice"),
    "overlap-unknown-segment": Bad(BASE + "dynamics: {overlap: {dentists: {plumbers: 0.5}}}\n",
                                   "dynamics.overlap.dentists.plumbers", "plumbers",
                                   "unknown segment 'plumbers'"),
    "mapping-expected": Bad(edit("budget: {campaign_weeks: 10}", "budget: 1000"),
                            "budget", "budget: 1000", "valid dictionary"),
    "campaign-longer-than-horizon": Bad(edit("campaign_weeks: 10", "campaign_weeks: 30"),
                                        "budget.campaign_weeks", "campaign_weeks: 30",
                                        "longer than the horizon"),
    "complete-graph-too-big": Bad(
        BASE.replace("size: 100", "size: 6000") + "network: {model: complete}\n",
        "network.model", "model: complete", "complete graph of 12,000 people"),
    "talks-with-unknown-segment": Bad(
        BASE + "network:\n  talks_with:\n    dentists: {surgeons: 0.2}\n",
        "network.talks_with.dentists.surgeons", "surgeons", "unknown segment 'surgeons'"),
    "talks-with-unknown-source": Bad(
        BASE + "network:\n  talks_with:\n    surgeons: {dentists: 0.2}\n",
        "network.talks_with.surgeons", "surgeons:", "unknown segment 'surgeons'"),
    "talks-with-itself": Bad(
        BASE + "network:\n  talks_with:\n    dentists: {dentists: 0.2}\n",
        "network.talks_with.dentists.dentists", "dentists: {dentists", "cannot go to itself"),
    "talks-with-sums-over-1": Bad(
        edit("  - {name: lawyers, size: 100}\n",
             "  - {name: lawyers, size: 100}\n  - {name: vets, size: 100}\n")
        + "network:\n  talks_with:\n    dentists: {lawyers: 0.7, vets: 0.6}\n",
        "network.talks_with.dentists", "dentists: {lawyers", "add up to 1.3"),
    "talks-with-share-above-1": Bad(
        BASE + "network:\n  talks_with:\n    dentists: {lawyers: 1.5}\n",
        "network.talks_with.dentists.lawyers", "lawyers: 1.5", "less than or equal to 1"),
    "shorthand-wrong-number-of-names": Bad(SHORTHAND, "segments.names", "names:",
                                           "names has 2 entries but count is 3"),
    "shorthand-zero-count": Bad(SHORTHAND.replace("count: 3", "count: 0"),
                                "segments.count", None, "greater than 0"),
    "shorthand-unknown-key": Bad(SHORTHAND.replace("size: 100", "size: 100\n  sise: 5"),
                                 "segments.sise", None, "unknown key"),
    "shorthand-duplicate-names": Bad(SHORTHAND.replace("[dentists, lawyers]",
                                                       "[dentists, lawyers, dentists]"),
                                     "segments[2].name", None, "duplicate segment name"),
    "name-escapes-results-folder": Bad(edit("name: base", "name: '..'"),
                                       "name", "name:", "cannot name a results folder"),
    # (a 300-byte name failed as "results: cannot write the run folder: File name too long")
    "name-too-long-for-a-folder": Bad(edit("name: base", "name: " + "é" * 101),
                                      "name", "name:", "202 bytes long: it names the results"),
    "name-with-slash": Bad(edit("name: base", "name: a/b"), "name", "name:", "pattern"),
    "recursive-alias": Bad(BASE + "description: &loop [*loop]\n",
                           "description", "&loop", "valid string"),
    "deeply-nested": Bad(BASE + "description: " + "[" * 3000 + "]" * 3000 + "\n",
                         "", None, "nested too deeply"),
}


def _write(tmp_path: Path, case_id: str, bad: Bad) -> Path:
    path = tmp_path / f"{case_id}.yaml"
    if isinstance(bad.text, bytes):
        path.write_bytes(bad.text)
    elif bad.text is not None:
        path.write_text(bad.text, encoding="utf-8")
    return path


def _expected_line(bad: Bad) -> int | None:
    if bad.at is None or isinstance(bad.at, int):
        return bad.at
    assert isinstance(bad.text, str)
    index = bad.text.index(bad.at)
    return bad.text.count("\n", 0, index) + 1


def _minimal(**changes) -> dict:
    data = json.loads(json.dumps(MINIMAL))
    data.update(changes)
    return data


# ---------------------------------------------------------------------------- valid scenarios


def test_base_scenario_is_valid(tmp_path: Path) -> None:
    # The malformed cases are edits of BASE: BASE itself must load.
    path = tmp_path / "base.yaml"
    path.write_text(BASE, encoding="utf-8")
    sc = load_scenario(path)
    assert sc.name == "base"
    assert sc.segment_names == ["dentists", "lawyers"]
    assert sc.horizon == 20


def test_flagship_scenario_loads() -> None:
    sc = load_scenario(FLAGSHIP)
    assert isinstance(sc, Scenario)
    assert sc.name == "focused-vs-broad"
    assert (sc.seed, sc.horizon, sc.replicates) == (42, 52, 200)
    assert [s.name for s in sc.strategies] == ["focused", "broad"]
    assert sc.strategies[0].kind == "focused"
    assert sc.strategies[0].segment == "dentists"
    assert sc.strategies[0].seeding == "poster_child"
    assert sc.strategies[1].kind == "broad"
    assert sc.strategies[1].segment is None
    assert sc.budget.total == 60000
    assert sc.people == 16000


def test_flagship_shorthand_expands_to_named_segments() -> None:
    sc = load_scenario(str(FLAGSHIP))  # a str path works too
    assert len(sc.segments) == 8
    assert sc.segment_names == FLAGSHIP_NAMES
    for seg in sc.segments:
        assert (seg.size, seg.tam, seg.incumbent, seg.early_market, seg.references) == (
            2000, 0.6, 0.1, 0.16, 2)


def test_shorthand_without_names_numbers_the_segments() -> None:
    sc = scenario_from_dict(_minimal(
        segments={"count": 3, "size": 50, "tam": 0.5},
        strategies=[{"name": "f", "kind": "focused", "segment": "segment-2"}],
    ))
    assert sc.segment_names == ["segment-1", "segment-2", "segment-3"]
    assert [s.size for s in sc.segments] == [50, 50, 50]
    assert [s.tam for s in sc.segments] == [0.5, 0.5, 0.5]
    assert [s.references for s in sc.segments] == [0, 0, 0]  # shorthand defaults


def test_defaults_are_filled() -> None:
    sc = scenario_from_dict(_minimal())
    assert sc.name == "scenario"
    assert (sc.seed, sc.horizon, sc.replicates) == (0, 52, 100)
    assert sc.dynamics.word_of_mouth == 0.05
    assert sc.dynamics.marketing == 0.02
    assert sc.dynamics.talk_weeks == 4
    assert sc.dynamics.generic_resonance == 0.3
    assert sc.dynamics.overlap == 0.2
    assert sc.budget.total == 100_000
    assert sc.budget.cost_per_seed == 500
    assert sc.budget.cost_per_contact == 2
    assert sc.budget.seed_share == 0.5
    assert sc.budget.campaign_weeks == 12
    assert sc.network.model == "planted_partition"
    assert (sc.network.mean_degree, sc.network.mixing, sc.network.weak_tie) == (10, 0.1, 0.5)
    assert sc.network.talks_with is None
    seg = sc.segments[0]
    assert (seg.tam, seg.incumbent, seg.early_market, seg.references) == (1.0, 0.0, 0.16, 0)
    assert sc.strategies[1].seeding == "poster_child"


def test_scenario_from_dict_does_not_modify_its_input() -> None:
    data = _minimal(segments={"count": 2, "size": 10, "names": ["dentists", "lawyers"]})
    before = json.dumps(data, sort_keys=True)
    scenario_from_dict(data)
    assert json.dumps(data, sort_keys=True) == before


@pytest.mark.parametrize("source", ["flagship", "minimal", "talks_with"])
def test_to_yaml_round_trips(source: str) -> None:
    if source == "flagship":
        sc = load_scenario(FLAGSHIP)
    elif source == "minimal":
        sc = scenario_from_dict(_minimal())
    else:
        sc = scenario_from_dict(_minimal(
            network={"model": "erdos_renyi", "talks_with": {"dentists": {"lawyers": 0.3}}},
            description="Ünïcode — and a colon: fine",
        ))
    text = sc.to_yaml()
    data = yaml.safe_load(text)
    # Every default is written out, and the segments are written in full (no shorthand).
    assert set(data) == {"name", "description", "seed", "horizon", "replicates", "segments",
                         "network", "dynamics", "budget", "strategies"}
    assert set(data["dynamics"]) == {"word_of_mouth", "marketing", "background", "talk_weeks",
                                     "generic_resonance", "overlap"}
    assert isinstance(data["segments"], list)
    again = scenario_from_dict(data)
    assert again == sc
    assert again.to_yaml() == text


def test_to_yaml_written_to_a_file_loads_back(tmp_path: Path) -> None:
    sc = load_scenario(FLAGSHIP)
    path = tmp_path / "resolved.yaml"
    path.write_text(sc.to_yaml(), encoding="utf-8")
    assert load_scenario(path) == sc


def test_validate_command_accepts_the_flagship() -> None:
    result = CliRunner().invoke(main, ["validate", str(FLAGSHIP)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout
    assert "8 segments" in result.stdout
    assert "16,000 people" in result.stdout
    assert "2 strategies" in result.stdout


# ------------------------------------------------------------------------ malformed scenarios


@pytest.mark.parametrize("case_id", list(BAD))
def test_malformed_scenario_raises_scenario_error(tmp_path: Path, case_id: str) -> None:
    bad = BAD[case_id]
    path = _write(tmp_path, case_id, bad)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert err.file == path
    assert str(path) in str(err)
    assert err.problems, "a ScenarioError lists at least one problem"
    matching = [p for p in err.problems if p[0] == bad.key]
    assert matching, f"no problem at {bad.key!r}: {err.problems}"
    key, line, message = matching[0]
    assert bad.message in message
    expected_line = _expected_line(bad)
    if expected_line is not None:
        assert line == expected_line, err.problems
    # The rendered message is "file:line: key.path: what is wrong".
    rendered = str(err)
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert (f"{where}{key}: " if key else where) in rendered


@pytest.mark.parametrize("case_id", list(BAD))
def test_malformed_scenario_fails_validate_command(tmp_path: Path, case_id: str) -> None:
    bad = BAD[case_id]
    path = _write(tmp_path, case_id, bad)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.startswith("error:")
    assert str(path) in result.stderr
    assert bad.key in result.stderr
    assert bad.message in result.stderr
    expected_line = _expected_line(bad)
    if expected_line is not None:
        assert f"{path}:{expected_line}:" in result.stderr


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(edit("dentists, size: 100", "dentists, size: -1, tam: 2")
                    .replace("horizon: 20", "horizn: 20"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    keys = {p[0] for p in info.value.problems}
    assert {"horizn", "segments[0].size", "segments[0].tam"} <= keys


def test_directory_is_not_a_scenario(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize("data", [None, [1, 2], "text", 3],
                         ids=["none", "list", "string", "number"])
def test_scenario_from_dict_rejects_non_mappings(data) -> None:
    with pytest.raises(ScenarioError, match="must be a mapping") as info:
        scenario_from_dict(data)
    assert info.value.file is None
    assert str(info.value).startswith("<scenario>")


def test_scenario_from_dict_errors_have_key_paths_without_a_file() -> None:
    data = _minimal()
    data["strategies"][0]["segment"] = "surgeons"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert info.value.problems[0][0] == "strategies[0].segment"
    assert info.value.problems[0][1] is None  # no YAML tree, no line
    assert str(info.value).startswith("<scenario>: strategies[0].segment: unknown segment")


def test_scenario_error_is_a_wom_error() -> None:
    assert issubclass(ScenarioError, wom.WomError)


# ------------------------------------------------------------------------------------- schema


def test_schema_command_prints_json_schema() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert {"segments", "network", "dynamics", "budget", "strategies"} <= set(schema["properties"])
    assert {"name", "seed", "horizon", "replicates"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False  # unknown keys are errors
    # strategies became optional (issue 13: a scenario without them serves `wom fit`)
    assert set(schema["required"]) == {"segments"}
    assert schema["title"] == "wom scenario"
    assert json.loads(wom.json_schema()) == schema
    # the blocks a scenario may leave out show what it then gets
    for block, key, value in (("network", "model", "planted_partition"),
                              ("dynamics", "talk_weeks", 4), ("budget", "seed_share", 0.5)):
        assert schema["properties"][block]["default"][key] == value


def test_default_campaign_shrinks_to_a_short_horizon(tmp_path: Path) -> None:
    text = edit("budget: {campaign_weeks: 10}\n", "").replace("horizon: 20", "horizon: 8")
    path = tmp_path / "short.yaml"
    path.write_text(text, encoding="utf-8")
    sc = load_scenario(path)
    assert sc.horizon == 8 and sc.budget.campaign_weeks == 8
    # Written out, the shrunk value is explicit and still valid.
    assert scenario_from_dict(yaml.safe_load(sc.to_yaml())) == sc


def test_a_scenario_without_strategies_fits_but_does_not_run(tmp_path: Path) -> None:
    path = tmp_path / "past.yaml"
    path.write_text(BASE.split("strategies:")[0])
    sc = load_scenario(path)
    assert sc.strategies == []
    # Every command that needs a strategy refuses naming the file and the key to add.
    commands = {
        "run": ["run", str(path), "-r", "2", "-o", str(tmp_path / "o")],
        "sweep": ["sweep", str(path), "-v", "network.mixing=0.1,0.2", "-r", "1",
                  "-o", str(tmp_path / "s")],
        "analyse": ["sensitivity", str(path), "-p", "network.mixing=0.1:0.2", "--n", "4",
                    "-o", str(tmp_path / "a")],
        "draw": ["snapshot", str(path), "-s", "focused", "-o", str(tmp_path / "x.png")],
        "animate": ["animate", str(path), "-s", "focused", "-o", str(tmp_path / "x.gif")],
    }
    for what, args in commands.items():
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (what, result.output)
        assert result.stderr.startswith(f"error: {path}: strategies: no strategies to {what}"), (
            what, result.stderr)
        assert "Traceback" not in result.output
    # a sweep is refused before its store exists, not at one arbitrary point
    assert not [p for p in tmp_path.iterdir() if p.name not in {"past.yaml"}]
    # the Python API says the same, naming the scenario it was given
    with pytest.raises(ScenarioError, match="no strategies to run"):
        wom.run(sc, replicates=1)


@pytest.mark.parametrize(("key", "value", "choices"), [
    ("kind", "3", "'focused', 'broad', 'multi', 'beachhead' or 'mix'"),
    ("kind", "null", "'focused', 'broad', 'multi', 'beachhead' or 'mix'"),
    ("seeding", "[hubs]", "'poster_child', 'hubs', 'bridges', 'random' or 'greedy'"),
    ("seeding", "{a: 1}", "'poster_child', 'hubs', 'bridges', 'random' or 'greedy'"),
])
def test_a_name_that_is_not_text_still_lists_the_choices(tmp_path: Path, key: str, value: str,
                                                         choices: str) -> None:
    text = BASE.split("strategies:")[0] + (
        f"strategies:\n  - {{name: s, kind: broad, {key}: {value}}}\n"
        if key != "kind" else f"strategies:\n  - {{name: s, kind: {value}}}\n")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert f"strategies[0].{key}: Input should be {choices}" in str(info.value)
    bad_model = BASE + "network: {model: 7}\n"
    assert "network.model: Input should be 'planted_partition', 'erdos_renyi', 'complete', " \
           "'lfr', 'clustered' or 'file'" in str(_error_of(bad_model, tmp_path))


def _error_of(text: str, tmp_path: Path) -> ScenarioError:
    path = tmp_path / "e.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


@pytest.mark.parametrize(("block", "message"), [
    ({"fit": {"free": {"dynamics.nosuch": [0, 1]}}}, "fit.free.dynamics.nosuch: the scenario "
                                                     "has no key 'nosuch'"),
    ({"fit": {"free": {"dynamics.background": [0, 2]}}}, "fit.free.dynamics.background: the "
                                                         "value 2 does not make a valid"),
    ({"fit": {"free": {"dynamics.talk_weeks": [1, 2.5]}}}, "holds whole numbers: give "
                                                           "whole-number bounds"),
    ({"fit": {"free": {"dynamics.background": [0.3, 0.1]}}}, "the range [0.3, 0.1] is empty"),
    ({"fit": {"free": {"dynamics.background": [0.1]}}}, "List should have at least 2 items"),
    ({"fit": {"free": {}}}, "fit.free: Dictionary should have at least 1 item"),
    ({"fit": {"first_period": 5, "last_period": 2}}, "last_period (2) is before first_period"),
    ({"uncertainty": {"draws": {"dynamics.background": [0.1, 1.5]}}},
     "uncertainty.draws.dynamics.background: the value 1.5 does not make a valid scenario"),
    ({"uncertainty": {"draws": {"dynamics.background": [0.1, 0.2],
                                "dynamics.word_of_mouth": [0.1]}}},
     "every key needs as many draws"),
])
def test_fit_and_uncertainty_blocks_are_checked_like_the_rest(block: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**_minimal(), **block})
    assert message in str(info.value)


def test_default_fit_block_estimates_word_of_mouth_and_background() -> None:
    sc = scenario_from_dict({**_minimal(), "fit": {}})
    assert sc.fit is not None and sc.fit.free == {"dynamics.word_of_mouth": [0.0, 0.5],
                                                  "dynamics.background": [0.0, 0.5]}
    assert "fit:" in sc.to_yaml() and "uncertainty" not in sc.to_yaml()


def test_every_lesson_scenario_validates_against_the_json_schema() -> None:
    """Editors check files against `wom schema`: every shipped scenario must pass it, and a
    share above 1 or a negative count must not."""
    import jsonschema

    schema = json.loads(wom.json_schema())
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
    assert len(files) >= 9
    for path in files:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert errors == [], (path.name, errors)
    bad = yaml.safe_load(files[0].read_text())
    bad["dynamics"]["word_of_mouth"] = 1.5
    assert any("1.5 is greater than the maximum of 1" in e.message
               for e in validator.iter_errors(bad))
    # an optimize: bound is a value (fixed) or [low, high], both as wom reads them
    good = {**yaml.safe_load(files[0].read_text()), "optimize": {
        "seed_share": 0.5, "campaign_weeks": [2, 8], "trigger": [0.1, 0.3]}}
    assert [e.message for e in validator.iter_errors(good)] == []
    wom.scenario_from_dict(good)
    for wrong in ({"seed_share": 1.5}, {"campaign_weeks": [0, 8]}, {"trigger": [0.1]}):
        assert list(validator.iter_errors({**good, "optimize": wrong})), wrong


@pytest.mark.parametrize(("settings", "key", "words"), [
    (["budget.total=80", "budget.cost_per_contact=100"], "budget.total",
     "80 buys no seed at 500 and no contact at 100: every strategy wins nothing"),
    (["budget.total=800"], "budget.seed_share", "0.5 of 800 is 400: not one seed at 500"),
    (["network.mixing=1"], "network.mixing", "1: nearly every conversation crosses segments"),
    (["segments.dentists.incumbent=0", "segments.dentists.tam=0"], "strategies[0]",
     "'focused' aims at 'dentists', where nobody can be won"),
    (["budget.total=80"], "budget.seed_share",
     "0.5 of 80 is 40: not one seed at 500 (a budget in thousands?)"),
    (["network.mean_degree=20000"], "network.mean_degree",
     "20000: more ties than the 15,999 other people of the market; it is capped there"),
    (["segments.dentists.tam=0.1", "segments.dentists.references=300"],
     "segments[0].references", "300: more than the 200 people of 'dentists' who could ever "
                               "buy; only its early market ever will"),
])
def test_legal_but_suspicious_values_are_warned_about(tmp_path: Path, settings: list[str],
                                                      key: str, words: str) -> None:
    """A budget of 80 meant as 80k gave 0 customers everywhere, silently (issue 14, item 15):
    such values run, with a warning naming the key and what it implies."""
    flagship = Path(__file__).resolve().parents[1] / "scenarios" / "focused-vs-broad.yaml"
    args = ["validate", str(flagship)]
    for s in settings:
        args += ["--set", s]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    where = f"{flagship} with --set {' '.join(settings)}"  # the warning says where it is from
    assert f"warning: {where}: {key}: {words}" in result.stderr, result.stderr
    assert CliRunner().invoke(main, ["validate", str(flagship)]).stderr == ""


def test_draws_and_fits_name_a_segment_as_set_and_vary_do() -> None:
    """``--set segments.NAME.tam`` and ``--vary`` take a segment's name; ``uncertainty:`` and
    ``fit:`` refused it as 'not an index'."""
    data = _minimal()
    name = data["segments"][1]["name"] if isinstance(data["segments"], list) else None
    assert name is not None
    path = f"segments.{name}.references"
    sc = scenario_from_dict({**data, "uncertainty": {"draws": {path: [0, 3]}},
                             "fit": {"free": {f"segments.{name}.tam": [0.2, 0.9]}}})
    from wom.experiment.replicate import scenario_of
    assert [scenario_of(sc, i).segments[1].references for i in range(2)] == [0, 3]
    assert [scenario_of(sc, i).segments[0].references for i in range(2)] == [
        sc.segments[0].references] * 2
    with pytest.raises(ScenarioError, match="'nobody' is neither a name nor an index"):
        scenario_from_dict({**data, "uncertainty": {"draws": {
            "segments.nobody.references": [0, 3]}}})
    with pytest.raises(ScenarioError, match="holds whole numbers"):
        scenario_from_dict({**data, "fit": {"free": {path: [0.5, 2]}}})


def test_a_drawn_value_of_a_whole_number_key_must_be_whole(tmp_path):
    """Draws were checked at their ends only: 4.5 among 3 and 5 passed `wom validate` and
    failed the run with a message naming no file (breaker trial)."""
    from helpers import small_scenario

    data = small_scenario().model_dump(mode="json")
    data["uncertainty"] = {"draws": {"dynamics.talk_weeks": [3, 4.5, 5]}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(wom.ScenarioError, match=r"draw 1 is 4\.5, not a whole number"):
        wom.load_scenario(path)
