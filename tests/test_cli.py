"""The ``wom`` command line: a run folder as docs/model.md promises it, overrides, and refusals."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import wom
from helpers import small_scenario
from wom.cli import main

SMALL = """\
name: small-cli
description: Two communities of 150 people.
seed: 7
horizon: 10
replicates: 6
segments:
  - {name: dentists, size: 150, references: 1}
  - {name: lawyers, size: 150}
budget: {total: 20000, campaign_weeks: 5}
strategies:
  - {name: focus-dentists, kind: focused, segment: dentists}
  - {name: everyone, kind: broad, seeding: random}
"""
STRATEGIES = ["focus-dentists", "everyone"]
SEGMENTS = ["dentists", "lawyers"]

# docs/model.md §8, written out here so that the test checks the contract, not the code's own lists.
TIMESERIES = ["strategy", "replicate", "step", "segment", "adopters", "new_adopters",
              "new_by_seed", "new_by_marketing", "new_by_background", "new_by_wom",
              "spend", "churned", "customers", "revenue", "gross_profit"]
SUMMARY = ["strategy", "customers_mean", "customers_lo", "customers_hi", "segments_ignited_mean",
           "weeks_to_ignite_mean", "cost_per_customer_mean", "wom_share_mean"]
COMPARISON = ["a", "b", "metric", "diff_mean", "diff_lo", "diff_hi", "p_a_beats_b"]
# A wide terminal for rich, so that the verdict line is not wrapped.
WIDE = {"COLUMNS": "200"}
RUN_FILES = {"scenario.yaml", "manifest.json", "timeseries.csv", "summary.csv",
             "comparison.csv", "adoption.png"}


def _write(folder: Path, text: str = SMALL, name: str = "small.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f))


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b""
            for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory):
    """One ``wom run`` of the small scenario, shared by the tests that read its folder."""
    tmp = tmp_path_factory.mktemp("cli-run")
    scenario = _write(tmp)
    out = tmp / "run"
    result = CliRunner().invoke(main, ["run", str(scenario), "--workers", "1", "--out", str(out)],
                                env=WIDE)
    return scenario, out, result


# ------------------------------------------------------------------------------------ wom run


def test_run_exits_0_and_prints_the_summary(run_dir) -> None:
    _, out, result = run_dir
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for name in STRATEGIES:
        assert name in result.stdout
    # A line says which strategy wins (or leads) and by how much, over the other one.
    verdict = re.search(r"^(focus-dentists|everyone) (wins|leads)\b.*customers over "
                        r"(focus-dentists|everyone)", result.stdout, re.MULTILINE)
    assert verdict is not None, result.stdout
    assert verdict.group(1) != verdict.group(3)
    assert f"results: {out}" in result.stdout


def test_the_summary_says_its_interval_is_of_the_mean_and_gives_the_spread(run_dir) -> None:
    """The 95% CI is of the mean, narrow with many replicates; what one market may do is the
    spread of the replicates, given beside it (new-user trial: read as a forecast range)."""
    _, out, result = run_dir
    assert "95% CI" in result.stdout and "of mean" in result.stdout
    with (out / "summary.csv").open(newline="", encoding="utf-8") as f:
        rows = [(r["strategy"], float(r["customers_p5"]), float(r["customers_p95"]))
                for r in csv.DictReader(f)]
    spread = "; ".join(f"{name} {lo:,.0f}–{hi:,.0f}" for name, lo, hi in rows)
    said = " ".join(result.stdout.split())  # (the note wraps at the terminal's width)
    assert f"spread of customers (5th–95th percentile of replicates): {spread}" in said, said
    assert any(hi > lo for _, lo, hi in rows)  # a spread, not a point


def test_run_writes_the_run_folder(run_dir) -> None:
    _, out, _ = run_dir
    assert out.is_dir()
    files = {p.name for p in out.iterdir()}
    assert files >= RUN_FILES
    assert not [name for name in files if name.startswith(".")]  # no leftovers
    for name in RUN_FILES:
        assert (out / name).stat().st_size > 0, name
    assert (out / "adoption.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    # Nothing was left half-written next to the folder.
    assert sorted(p.name for p in out.parent.iterdir()) == ["run", "small.yaml"]


def test_run_folder_csv_headers_follow_the_contract(run_dir) -> None:
    _, out, _ = run_dir
    assert _header(out / "timeseries.csv") == TIMESERIES
    assert _header(out / "summary.csv")[: len(SUMMARY)] == SUMMARY
    assert _header(out / "comparison.csv")[: len(COMPARISON)] == COMPARISON


def test_run_folder_tables_have_one_row_per_unit(run_dir) -> None:
    _, out, _ = run_dir
    ts = _rows(out / "timeseries.csv")
    assert len(ts) == len(STRATEGIES) * 6 * 10 * len(SEGMENTS)
    assert {r["strategy"] for r in ts} == set(STRATEGIES)
    assert {r["segment"] for r in ts} == set(SEGMENTS)
    assert {int(r["replicate"]) for r in ts} == set(range(6))
    assert {int(r["step"]) for r in ts} == set(range(10))
    summary = _rows(out / "summary.csv")
    assert [r["strategy"] for r in summary] == STRATEGIES
    for r in summary:
        assert float(r["customers_lo"]) <= float(r["customers_mean"]) <= float(r["customers_hi"])
    comparison = _rows(out / "comparison.csv")
    assert {(r["a"], r["b"]) for r in comparison} == {tuple(STRATEGIES)}
    assert "customers" in {r["metric"] for r in comparison}


def test_run_folder_scenario_is_the_resolved_scenario(run_dir) -> None:
    scenario, out, _ = run_dir
    written = yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))
    # Every default is filled in ...
    assert written["dynamics"]["word_of_mouth"] == 0.05
    assert written["network"]["model"] == "planted_partition"
    assert written["budget"]["cost_per_seed"] == 500
    # ... and it is the same scenario as the one given.
    assert wom.load_scenario(out / "scenario.yaml") == wom.load_scenario(scenario)


def test_run_folder_manifest(run_dir) -> None:
    _, out, _ = run_dir
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 7
    assert manifest["replicates"] == 6
    assert manifest["wom"]
    assert manifest["graph"]["people"] == 300
    assert {"timeseries.csv", "summary.csv", "comparison.csv"} <= set(manifest["files"])


def test_replicates_and_seed_options_override_the_file(tmp_path: Path) -> None:
    scenario = _write(tmp_path)
    out = tmp_path / "override"
    result = CliRunner().invoke(main, ["run", str(scenario), "--replicates", "3", "--seed", "11",
                                       "--workers", "1", "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["replicates"], manifest["seed"]) == (3, 11)
    assert [r["replicates"] for r in _rows(out / "summary.csv")] == ["3", "3"]
    assert {int(r["replicate"]) for r in _rows(out / "timeseries.csv")} == {0, 1, 2}
    resolved = wom.load_scenario(out / "scenario.yaml")
    assert (resolved.replicates, resolved.seed) == (3, 11)
    # --quiet: no table and no verdict, only where the results are.
    assert "customers over" not in result.output
    assert result.stdout.strip() == f"results: {out}"


def test_names_with_brackets_are_printed_as_written(tmp_path: Path) -> None:
    # Strategy and scenario names are user text, not rich markup ("[/]" used to crash).
    text = (SMALL.replace("name: focus-dentists", 'name: "focus [/]"')
            .replace("name: everyone", 'name: "[bold]everyone"')
            .replace("name: small-cli", 'name: "small [red]"'))
    scenario = _write(tmp_path, text)
    result = CliRunner().invoke(main, ["run", str(scenario), "-r", "2", "-w", "1",
                                       "-o", str(tmp_path / "out")], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "focus [/]" in result.stdout
    assert "[bold]everyone" in result.stdout
    assert "small [red]" in result.stdout
    assert re.search(r"^(focus \[/\]|\[bold\]everyone) (wins|leads)", result.stdout,
                     re.MULTILINE), result.stdout


def test_single_replicate_verdict_has_no_interval(tmp_path: Path) -> None:
    scenario = _write(tmp_path)
    result = CliRunner().invoke(main, ["run", str(scenario), "-r", "1", "-w", "1",
                                       "-o", str(tmp_path / "out")], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "nan" not in result.stdout
    assert re.search(r"^(focus-dentists|everyone) leads: .* customers over", result.stdout,
                     re.MULTILINE), result.stdout
    assert "no interval" in result.stdout
    # nor a spread (breaker trial: "focused 376–376")
    assert "spread of customers: none, a single replicate" in result.stdout, result.stdout
    assert ": 1 replicate, budget" in result.stdout and "1 replicates" not in result.stdout
    report = (tmp_path / "out" / "report.html").read_text()
    assert ", 1 replicate." in report and "1 replicates" not in report


def test_a_narrow_terminal_gets_every_number_whole(tmp_path: Path) -> None:
    """At 50 columns the summary's numbers were cut short ("63–7" for 63–70, "1,489" for
    1,489.3) with no sign of it (new-user trial): the table is printed whole instead."""
    scenario = _write(tmp_path)
    tables, words = {}, {}
    for cols in ("200", "50", "0"):  # (COLUMNS=0 dropped every footnote and the verdict)
        result = CliRunner().invoke(main, ["run", str(scenario), "-r", "5", "-w", "1", "-o",
                                           str(tmp_path / f"c{cols}")], env={"COLUMNS": cols})
        assert result.exit_code == 0, result.output
        tables[cols] = [line.split() for line in result.stdout.splitlines()
                        if line.startswith(("focus-dentists", "everyone"))][:2]  # the rows
        words[cols] = sorted(result.stdout.replace(f"c{cols}", "").split())
    assert tables["50"] == tables["200"] == tables["0"] and len(tables["50"]) == 2
    assert words["50"] == words["200"] == words["0"]  # every word said, none cut


def test_a_budget_that_buys_nothing_names_no_leader(tmp_path: Path) -> None:
    """Every strategy at 0 customers in every replicate: no one "leads, but the interval
    includes zero" (issue 14's new-user trial)."""
    scenario = _write(tmp_path)
    result = CliRunner().invoke(main, ["run", str(scenario), "-r", "3", "-w", "1", "--set",
                                       "budget.total=1", "-o", str(tmp_path / "out")],
                                env=WIDE)
    assert result.exit_code == 0, result.output
    assert "no strategy leads on customers" in result.stdout, result.stdout
    assert " leads, but" not in result.stdout and " wins" not in result.stdout


@pytest.mark.slow
def test_same_seed_gives_identical_tables(tmp_path: Path) -> None:
    scenario = _write(tmp_path)
    runner = CliRunner()
    folders = []
    for name, seed in [("first", "3"), ("again", "3"), ("other", "4")]:
        out = tmp_path / name
        result = runner.invoke(main, ["run", str(scenario), "-r", "2", "-s", seed, "-w", "1",
                                      "-q", "-o", str(out)])
        assert result.exit_code == 0, result.output
        folders.append(out)
    first, again, other = folders
    for name in ("timeseries.csv", "summary.csv", "comparison.csv"):
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    assert (first / "timeseries.csv").read_bytes() != (other / "timeseries.csv").read_bytes()


def test_default_run_folder_is_results_name_timestamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (CliRunner.isolated_filesystem is deprecated since click 8.5: chdir with monkeypatch.)
    monkeypatch.chdir(tmp_path)
    _write(tmp_path)
    result = CliRunner().invoke(main, ["run", "small.yaml", "-r", "1", "-w", "1", "-q"])
    assert result.exit_code == 0, result.output
    runs = list((tmp_path / "results" / "small-cli").iterdir())
    assert len(runs) == 1
    assert re.fullmatch(r"\d{8}-\d{6}", runs[0].name)
    assert {p.name for p in runs[0].iterdir()} >= RUN_FILES
    assert f"results: {Path('results', 'small-cli', runs[0].name)}" in result.stdout


def test_existing_out_folder_is_refused_and_left_untouched(tmp_path: Path) -> None:
    scenario = _write(tmp_path)
    out = tmp_path / "earlier-run"
    out.mkdir()
    (out / "summary.csv").write_text("precious\n", encoding="utf-8")
    before = _tree(out)
    result = CliRunner().invoke(main, ["run", str(scenario), "-w", "1", "-q", "-o", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(out) in result.stderr
    assert "already exists" in result.stderr
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["earlier-run", "small.yaml"]


def test_out_below_a_file_is_refused_before_running(tmp_path: Path) -> None:
    scenario = _write(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    out = blocker / "run"
    result = CliRunner().invoke(main, ["run", str(scenario), "-w", "1", "-q", "-o", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(out) in result.stderr
    assert "not a folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder", "small.yaml"]


BAD_SCENARIOS = {
    "unknown-segment": (SMALL.replace("segment: dentists", "segment: surgeons"),
                        "strategies[0].segment"),
    "typo": (SMALL.replace("horizon:", "horizn:"), "horizn"),
    "negative-size": (SMALL.replace("size: 150}", "size: -150}"), "segments[1].size"),
}


@pytest.mark.parametrize("case", list(BAD_SCENARIOS))
def test_bad_scenario_exits_2_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    text, key = BAD_SCENARIOS[case]
    monkeypatch.chdir(tmp_path)
    scenario = _write(tmp_path, text, "bad.yaml")
    runner = CliRunner()
    result = runner.invoke(main, ["run", "bad.yaml", "-w", "1"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "bad.yaml" in result.stderr
    assert key in result.stderr
    assert result.stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]  # no results/
    out = tmp_path / "out"
    result = runner.invoke(main, ["run", str(scenario), "-w", "1", "-o", str(out)])
    assert result.exit_code == 2
    assert not out.exists()


def test_missing_scenario_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nope.yaml"), "-o", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "nope.yaml" in result.stderr
    assert "no such file" in result.stderr
    assert not out.exists()


def test_a_missing_scenario_names_what_was_meant(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`wom run focused-vs-broad` (a lesson's name) or `wom run mine` (for mine.yaml) said
    only "no such file" (new-user trial): the error says what was probably meant."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text("name: x\n")
    said = {}
    for name in ("mine", "focused-vs-broad", "no-such-lesson"):
        result = CliRunner().invoke(main, ["validate", name])
        assert result.exit_code == 2 and "Traceback" not in result.output
        said[name] = result.stderr
    assert "did you mean mine.yaml?" in said["mine"]
    assert "focused-vs-broad is a lesson" in said["focused-vs-broad"]
    assert "--from focused-vs-broad" in said["focused-vs-broad"]
    assert said["no-such-lesson"].strip() == "error: no-such-lesson: no such file"


@pytest.mark.parametrize("args", [["--replicates", "0"], ["--seed", "-1"], ["--workers", "0"]],
                         ids=["zero-replicates", "negative-seed", "zero-workers"])
def test_out_of_range_options_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    scenario = _write(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(scenario), *args, "-o", str(out)])
    assert result.exit_code == 2
    assert args[0] in result.stderr
    assert not out.exists()


# ---------------------------------------------------------------------------- --version, help


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"wom, version {wom.__version__}"


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_the_commands(flag: str) -> None:
    result = CliRunner().invoke(main, [flag])
    assert result.exit_code == 0
    assert "word-of-mouth" in result.stdout
    for command in ("run", "validate", "schema"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.MULTILINE), command


def test_run_help_lists_the_options() -> None:
    result = CliRunner().invoke(main, ["run", "--help"])
    assert result.exit_code == 0
    for option in ("--replicates", "--seed", "--workers", "--out", "--quiet"):
        assert option in result.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["simulate"])
    assert result.exit_code == 2
    assert "No such command" in result.stderr


def test_plot_redraws_a_run_folder_in_another_format(run_dir, tmp_path: Path) -> None:
    _, folder, _ = run_dir
    out = tmp_path / "svg"
    result = CliRunner().invoke(main, ["plot", str(folder), "--format", "svg", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"adoption.svg", "segments.svg", "causes.svg", "differences.svg",
            "penetration.svg"} == names
    assert all((out / n).read_bytes().lstrip().startswith(b"<?xml") for n in names)


def test_plot_of_a_folder_that_is_no_run_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["plot", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a wom run folder" in result.stderr and "Traceback" not in result.stderr


def test_report_snapshot_and_animate_commands(run_dir, tmp_path: Path) -> None:
    scenario, folder, _ = run_dir
    assert (folder / "report.html").is_file()  # every run folder has its report
    (folder / "report.html").unlink()
    result = CliRunner().invoke(main, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    assert "<html" in (folder / "report.html").read_text(encoding="utf-8").lower()

    png = tmp_path / "snap.png"
    result = CliRunner().invoke(main, ["snapshot", str(scenario), "--strategy", "focus-dentists",
                                       "--step", "3", "--out", str(png)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    gif = tmp_path / "spread.gif"
    result = CliRunner().invoke(main, ["animate", str(scenario), "-s", "focus-dentists",
                                       "-s", "everyone", "--out", str(gif)])
    assert result.exit_code == 0, result.output
    assert gif.read_bytes()[:6] in (b"GIF87a", b"GIF89a")


@pytest.mark.parametrize("args", [["snapshot", "--strategy", "nope"],
                                  ["animate", "-s", "nope"],
                                  ["snapshot", "--strategy", "focus-dentists", "--step", "999"]])
def test_snapshot_and_animate_refuse_bad_input_with_status_2(run_dir, tmp_path: Path,
                                                            args: list[str]) -> None:
    scenario, _, _ = run_dir
    cmd = [args[0], str(scenario), *args[1:], "--out", str(tmp_path / "x.gif" if args[0] ==
                                                               "animate" else tmp_path / "x.png")]
    result = CliRunner().invoke(main, cmd)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr and "error:" in result.stderr
    assert not list(tmp_path.iterdir())


def test_sweep_writes_its_store_table_and_phase_diagram(run_dir, tmp_path: Path) -> None:
    scenario, _, _ = run_dir
    out = tmp_path / "sweep"
    result = CliRunner().invoke(main, ["sweep", str(scenario), "--vary",
                                       "network.mixing=0.05,0.3", "-r", "2", "-w", "1",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {"sweep.sqlite", "sweep.csv", "phase.png"} <= {p.name for p in out.iterdir()}
    rows = _rows(out / "sweep.csv")
    assert len(rows) == 2 * 2  # points × strategies
    again = CliRunner().invoke(main, ["sweep", "--resume", str(out), "-w", "1"])
    assert again.exit_code == 0, again.output
    assert _rows(out / "sweep.csv") == rows  # nothing was left to run, nothing changed


@pytest.mark.parametrize("args", [["--vary", "network.mixing"],
                                  ["--vary", "network.nope=1,2"],
                                  ["--resume", "."]])
def test_sweep_refuses_bad_input_with_status_2(run_dir, tmp_path: Path, args) -> None:
    scenario, _, _ = run_dir
    cmd = ["sweep", *([] if args[0] == "--resume" else [str(scenario)]), *args]
    if args[0] == "--resume":
        cmd[-1] = str(tmp_path)
    else:
        cmd += ["--out", str(tmp_path / "s")]
    result = CliRunner().invoke(main, cmd)
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr and "Traceback" not in result.stderr


def test_help_lists_every_command_unclipped():
    out = CliRunner().invoke(main, ["--help"], terminal_width=80).output
    listing = out.split("Commands:", 1)[1].strip().splitlines()
    assert {line.split()[0] for line in listing} == set(main.commands)
    clipped = [line for line in listing if line.rstrip().endswith("...")]
    assert not clipped


def test_long_work_off_a_terminal_reports_each_tenth(monkeypatch, capsys) -> None:
    """A long run in a log (no terminal) says how far it is and how long is left, once per
    tenth; short work stays silent (issue 14, item 22)."""
    from wom.cli import options

    with options.progress_bar("market", "replicates", 200) as advance:
        for done in range(1, 201):
            advance(done, 200)
    assert capsys.readouterr().err == ""  # short: silent
    monkeypatch.setattr(options, "QUIET_SECONDS", 0.0)
    with options.progress_bar("market", "replicates", 200) as advance:
        for done in range(1, 201):
            advance(done, 200)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10, lines
    assert lines[0].startswith("market: 20/200 replicates (10%) in ") and "s left" in lines[0]
    assert lines[-1].startswith("market: 200/200 replicates (100%)")
    with options.progress_bar("market", "replicates", 200, quiet=True) as advance:
        advance(200, 200)
    assert capsys.readouterr().err == ""


def test_time_left_is_paced_from_the_first_work_not_from_the_start(monkeypatch,
                                                                     capsys) -> None:
    """A first run compiles for a minute before its first replicate: the time left is the
    pace since then, not 500 s for 5 s of work (new-user trial)."""
    from wom.cli import options

    clock = [0.0]
    monkeypatch.setattr(options.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(options, "QUIET_SECONDS", 0.0)
    with options.progress_bar("market", "replicates", 200) as advance:
        clock[0] = 60.0  # compiling, then the first replicate
        advance(1, 200)
        for done in range(2, 21):
            clock[0] += 0.5
            advance(done, 200)
    line = capsys.readouterr().err.splitlines()[-1]
    # 19 replicates in 9.5 s since the first: 180 more take 90 s
    assert line == "market: 20/200 replicates (10%) in 70 s, about 90 s left", line


def test_the_bar_says_which_time_is_spent_and_which_is_left() -> None:
    """"1000/5000 replicates 0:00:07 left 0:00:25" read as 7 s left (new-user trial)."""
    import io

    from rich.console import Console
    from rich.progress import Progress

    from wom.cli import options

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    with Progress(*options.progress_columns("replicates"), console=console,
                  auto_refresh=False) as bar:
        task = bar.add_task("run", total=5000)
        bar.update(task, completed=1000, refresh=True)
    assert re.search(r"1000/5000 replicates \d+:\d\d:\d\d elapsed, (\d+:\d\d:\d\d|-:--:--) left",
                     out.getvalue()), out.getvalue()


def test_ctrl_c_exits_130_without_aborted(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C is exit status 130 (128 + SIGINT) with a plain line, not click's 'Aborted!'
    and status 1 (issue 14, item 22)."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(wom, "run", interrupted)
    scenario = Path(__file__).parents[1] / "scenarios" / "chasm.yaml"
    result = CliRunner().invoke(main, ["run", str(scenario), "-o", str(tmp_path / "o")])
    assert result.exit_code == 130, result.output
    assert "stopped (SIGINT)" in result.stderr and "Aborted" not in result.output
    assert not (tmp_path / "o").exists()


def test_ctrl_c_deep_inside_compiled_calls_exits_130(tmp_path: Path, monkeypatch) -> None:
    """numba wraps an interrupt in one SystemError per compiled call it crosses: a stop two
    calls deep gave a traceback and exit 1 (adversarial trial of issue 14)."""
    def deep(*args, **kwargs):
        try:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as stop:
                raise SystemError("returned a result with an exception set") from stop
        except SystemError as inner:
            raise SystemError("CPUDispatcher returned a result with an exception set") from inner

    monkeypatch.setattr(wom, "run", deep)
    scenario = Path(__file__).parents[1] / "scenarios" / "chasm.yaml"
    result = CliRunner().invoke(main, ["run", str(scenario), "-o", str(tmp_path / "o")])
    assert result.exit_code == 130, result.output
    assert "stopped (SIGINT)" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("ticks", [True, False])
def test_a_stop_signal_swallowed_where_it_landed_still_stops(tmp_path: Path, monkeypatch,
                                                             ticks: bool) -> None:
    """SIGTERM raised inside a numba finaliser was printed as "Exception ignored" and the
    run went on to exit 0 (adversarial trial of issue 14): the request is kept and the next
    progress tick, or the end of the command, stops it with 143."""
    import contextlib
    import signal

    from wom.cli import stops

    real = wom.run

    def swallowing(*args, **kwargs):
        with contextlib.suppress(KeyboardInterrupt):  # as Python does in a finaliser
            stops.handler(signal.SIGTERM, None)
        if ticks:
            kwargs["progress"](1, 2)
        return real(*args, **kwargs)

    monkeypatch.setattr(wom, "run", swallowing)
    scenario = Path(__file__).parents[1] / "scenarios" / "chasm.yaml"
    result = CliRunner().invoke(main, ["run", str(scenario), "-r", "2", "-w", "1",
                                       "-o", str(tmp_path / "o")])
    assert result.exit_code == 143, result.output
    assert "stopped (SIGTERM)" in result.stderr
    if ticks:
        assert not (tmp_path / "o").exists()  # stopped before anything was written


def test_a_snapshot_to_an_unknown_picture_format_is_refused_before_drawing(tmp_path: Path,
                                                                           monkeypatch) -> None:
    import wom.viz

    def never(*args, **kwargs):
        raise AssertionError("drew before checking the file name")

    monkeypatch.setattr(wom.viz, "snapshot_figure", never)
    scenario = Path(__file__).parents[1] / "scenarios" / "bass.yaml"
    out = tmp_path / "x.unknownext"
    result = CliRunner().invoke(main, ["snapshot", str(scenario), "-s", "launch", "--out",
                                       str(out)])
    assert result.exit_code == 2, result.output
    assert ".unknownext is not a picture format" in result.stderr and not out.exists()


def test_commands_that_cannot_write_exit_2_without_a_traceback(run_dir, tmp_path: Path,
                                                               monkeypatch) -> None:
    """plot, snapshot, animate, new and report writing where they cannot (issue 14, item 6):
    `error: …` and exit 2, never a traceback."""
    scenario, folder, _ = run_dir
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    cases = [
        ["plot", str(folder), "--out", str(blocker / "plots")],
        ["snapshot", str(scenario), "-s", "focused", "-o", str(blocker / "x.png")],
        ["animate", str(scenario), "-s", "focused", "-o", str(blocker / "x.gif")],
        ["new", "mine", "--dir", str(blocker / "sub")],
    ]
    import wom.viz

    def no_drawing(*args, **kwargs):
        raise AssertionError("drew before finding it could not write")

    monkeypatch.setattr(wom.viz, "snapshot_figure", no_drawing)
    monkeypatch.setattr(wom.viz, "animate", no_drawing)
    for args in cases:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("error:") and "Traceback" not in result.output, (
            args, result.output)


def test_a_picture_that_cannot_be_written_through_its_link_is_refused_before_drawing(
        run_dir, tmp_path: Path, monkeypatch) -> None:
    # breaker trial: `wom snapshot -o` to a loop of links, or to a link into a pipe, was
    # refused only after its simulation (8 s on the flagship)
    import os

    import wom.viz

    def no_drawing(*args, **kwargs):
        raise AssertionError("drew before finding it could not write")

    scenario, _, _ = run_dir
    monkeypatch.setattr(wom.viz, "snapshot_figure", no_drawing)
    monkeypatch.setattr(wom.viz, "animate", no_drawing)
    loop, back = tmp_path / "loop.png", tmp_path / "back.png"
    loop.symlink_to(back)
    back.symlink_to(loop)
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "to-pipe.gif").symlink_to(tmp_path / "pipe")
    for args, why in ((["snapshot", str(scenario), "-s", "focused", "-o", str(loop)],
                       "symbolic links"),
                      (["animate", str(scenario), "-s", "focused", "-o",
                        str(tmp_path / "to-pipe.gif")], "not a regular file")):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith(f"error: {args[-1]}: cannot be written") and (
            why in result.stderr), result.stderr


def test_an_out_that_is_a_link_leading_nowhere_is_named_as_such(run_dir, tmp_path: Path):
    # breaker trial: `wom plot RUN -o LINK` and `wom run -o LINK` with a link to nothing
    # said only "File exists" (the link is there; what it names is not)
    scenario, folder, _ = run_dir
    nowhere = tmp_path / "nowhere"
    nowhere.symlink_to(tmp_path / "gone")
    for args in (["plot", str(folder), "-o", str(nowhere)],
                 ["run", str(scenario), "-r", "1", "-q", "-o", str(nowhere)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert f"a link to {tmp_path / 'gone'}, which leads nowhere" in result.stderr, (
            result.stderr)
    assert not (tmp_path / "gone").exists()


def test_the_wom_command_leaves_what_it_imported_out_of_collections():
    # a `wom` process ends with its command: what it imported is frozen, so neither the
    # collections during the command nor those Python makes as it exits walk it again
    code = ("import atexit, gc, sys\n"
            "base = gc.get_freeze_count()\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() - base))\n"
            "from wom.cli import command\n"
            "sys.argv = ['wom', '--version']\n"
            "command()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    word, count = done.stdout.splitlines()[-1].split()
    assert word == "frozen" and int(count) > 10_000  # (wom's imports: about 190,000)


def test_a_command_run_in_process_leaves_collections_alone():
    import gc

    before = gc.get_freeze_count()
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert gc.get_freeze_count() == before


def test_run_prepares_its_drawing_once_while_the_workers_simulate():
    from wom.cli.runs import meanwhile

    seen: list[tuple[int, int]] = []
    calls: list[int] = []
    progress = meanwhile(lambda done, total: seen.append((done, total)),
                         lambda: calls.append(len(seen)))
    for done in (3, 6, 9):
        progress(done, 9)
    assert seen == [(3, 9), (6, 9), (9, 9)]
    assert calls == [1]  # once, after the first replicates were counted


@pytest.mark.parametrize("args", [["run", ""], ["validate", " "], ["plot", ""],
                                  ["report", ""], ["sweep", ""],
                                  ["run", "scenarios/bass.yaml", "--out", ""],
                                  ["fit", "scenarios/bass.yaml", "--adoptions", ""]])
def test_an_empty_path_is_refused_as_empty(args):
    # `wom run ''` said ".: is a directory, not a scenario file": the empty path is the
    # current folder to pathlib (re-check of the breaker trial)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "the path is empty" in result.stderr and "directory" not in result.stderr


def test_the_command_recorded_is_quoted_and_always_utf8(monkeypatch, tmp_path):
    """Reports say how a run was made: a file name with a space was shown unquoted, and one
    with a byte that is not UTF-8 made the report unwritable (a traceback; breaker trial)."""
    from wom.cli.options import command_line

    monkeypatch.setattr(sys, "argv", ["wom", "fit", "my scen.yaml", "--out", "f"])
    assert command_line() == "wom fit 'my scen.yaml' --out f"
    monkeypatch.setattr(sys, "argv", ["wom", "run", "s\udcff.yaml"])
    assert command_line() == "wom run 's\ufffd.yaml'"
    res = wom.run(small_scenario(replicates=2), workers=1)
    res.meta["command"] = "wom run s\udcff.yaml"  # (as the API might be given)
    folder = wom.save(res, tmp_path / "run")
    assert "wom run s?.yaml" in (folder / "report.html").read_text(encoding="utf-8")


def test_an_ignition_week_says_how_many_replicates_it_is_a_mean_over() -> None:
    """A mean ignition week over 1 replicate in 100 was printed like one over all of them
    (new-user trial): the share is given whenever it is not every replicate."""
    from wom.cli.summary import ignition_week

    assert ignition_week(6.8, 1.0) == "6.8"
    assert ignition_week(39.0, 0.01) == "39.0 (1%)"
    assert ignition_week(6.8, 0.85) == "6.8 (85%)"
    assert ignition_week(12.0, 0.005) == "12.0 (0.5%)"
    assert ignition_week(float("nan"), 0.0) == "–"
