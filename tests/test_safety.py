"""Safety (issue 8): scenario files are data only, their paths resolve next to them, and the
app listens on this machine only unless told otherwise."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from click.testing import CliRunner

from wom.cli import main

SCENARIO = """\
name: {name}
seed: 1
horizon: 3
replicates: 2
segments: {segments}
budget: {{total: 1000, cost_per_seed: 100, cost_per_contact: 5, campaign_weeks: 2}}
strategies:
  - {{name: broad, kind: broad, seeding: random}}
"""
SEGMENTS = "[{name: a, size: 20}, {name: b, size: 15}]"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# -------------------------------------------------------------------- YAML is data, not code


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system [\"touch {marker}\"]",
    "!!python/object/new:os.system [\"touch {marker}\"]",
    "!!python/object/apply:subprocess.check_call [[touch, {marker}]]",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/object:pathlib.Path {{}}",
])
@pytest.mark.parametrize("where", ["name", "segments"])
def test_python_tags_are_refused_and_run_nothing(tmp_path: Path, tag: str, where: str) -> None:
    marker = tmp_path / "pwned"
    evil = tag.format(marker=marker)
    text = SCENARIO.format(name=evil if where == "name" else "evil",
                           segments=evil if where == "segments" else SEGMENTS)
    path = tmp_path / "evil.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    for command in (["validate", str(path)], ["run", str(path), "-w", "1", "-o", str(out)]):
        result = invoke(*command)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert f"{path}:" in result.stderr  # file:line of the tag
        assert "tag" in result.stderr or "constructor" in result.stderr, result.stderr
    assert not marker.exists()
    assert not out.exists()


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    """'Billion laughs': aliases nest 9⁹ references; nothing may expand them."""
    lines = ['x0: &x0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]']
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]" for i in range(1, 9)]
    text = ("name: laughs\nlaughs:\n" + "".join(f"  {line}\n" for line in lines)
            + "segments: *x8\nstrategies: *x8\n")
    path = tmp_path / "laughs.yaml"
    path.write_text(text, encoding="utf-8")
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr


# -------------------------------------------------------- paths resolve next to the scenario


def _graph_scenario(folder: Path) -> Path:
    (folder / "data").mkdir()
    (folder / "data" / "ties.txt").write_text(
        "1 2\n2 3\n3 1\n4 5\n5 6\n6 4\n3 4\n", encoding="utf-8")
    (folder / "data" / "groups.txt").write_text(
        "1\tred\n2\tred\n3\tred\n4\tblue\n5\tblue\n6\tblue\n", encoding="utf-8")
    path = folder / "graph.yaml"
    path.write_text(
        "name: graph\nseed: 1\nhorizon: 3\nreplicates: 2\n"
        "network: {model: file, file: {path: data/ties.txt, labels: data/groups.txt}}\n"
        "budget: {total: 500, cost_per_seed: 100, cost_per_contact: 5, campaign_weeks: 2}\n"
        "strategies: [{name: red, kind: focused, segment: red}]\n",
        encoding="utf-8",
    )
    return path


def test_graph_paths_resolve_next_to_the_scenario_not_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    scenario = _graph_scenario(project)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "data").mkdir(parents=True)
    # A decoy where a cwd-relative reading would look: it has no segment "red".
    (elsewhere / "data" / "ties.txt").write_text("a b\n", encoding="utf-8")
    (elsewhere / "data" / "groups.txt").write_text("a\tx\nb\tx\n", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    result = invoke("validate", str(scenario))
    assert result.exit_code == 0, result.output
    assert "2 segments, 6 people" in result.stdout
    out = tmp_path / "out"
    result = invoke("run", str(scenario), "-w", "1", "-q", "-o", str(out))
    assert result.exit_code == 0, result.output
    written = (out / "scenario.yaml").read_text(encoding="utf-8")
    assert str(project / "data" / "ties.txt") in written  # resolved, so the run folder reruns


def test_missing_graph_file_names_the_resolved_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = _graph_scenario(tmp_path)
    (tmp_path / "data" / "ties.txt").unlink()
    monkeypatch.chdir(tmp_path / "data")
    result = invoke("run", str(scenario), "-w", "1", "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert str(tmp_path / "data" / "ties.txt") in result.stderr
    assert "network.file.path" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["..", ".", "a/b", "../escape", "/abs"])
def test_scenario_name_cannot_escape_the_results_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(name=f"'{name}'", segments=SEGMENTS), encoding="utf-8")
    result = invoke("run", str(path), "-w", "1")
    assert result.exit_code == 2
    assert "name" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


# ------------------------------------------------------------------------- the app is local


def test_app_listens_on_localhost_by_default() -> None:
    command = main.commands.get("app")
    if command is None:
        pytest.skip("no `wom app` command in this build")
    host = next(p for p in command.params if p.name == "host")
    assert host.default in ("127.0.0.1", "localhost", "::1")
    from wom.app import server

    assert inspect.signature(server.serve).parameters["host"].default in (
        "127.0.0.1", "localhost", "::1")
