"""The house rules of docs/developing.md, checked: layers, no cycles, no private names across
modules, short modules, sub-packages that say what they are for, no links outside the repo."""

from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "wom"
LINT = Path(sys.executable).with_name("lint-imports")
#: Longest module (lines); past it, a module is doing more than one job.
MAX_LINES = 400


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(src.parent), "PATH": "/usr/bin:/bin", "COLUMNS": "250"}
    return subprocess.run([str(LINT), str(ROOT / "pyproject.toml"), "--no-cache"],
                          capture_output=True, text=True, env=env, cwd=src.parent, check=False)


def test_the_layer_contract_holds() -> None:
    done = _lint(SRC.parent / "wom")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(("module", "line", "broken"), [
    # the engine reaching up to the pictures, inside a function: a layer broken
    ("engine/state.py", "def _back():\n    from wom.viz import save\n", "wom's layers"),
    # two modules of one sub-package importing each other: a cycle between siblings
    ("config/checks.py", "def _back():\n    from wom.config import load\n",
     "no import cycles between the modules of a sub-package"),
    # a plotting library below the views
    ("engine/trials.py", "def _draw():\n    import matplotlib.pyplot\n",
     "only the views draw"),
    ("viz/style.py", "def _app():\n    import solara\n", "the plots need no agent-based"),
])
def test_a_back_edge_breaks_the_contract(tmp_path: Path, module: str, line: str,
                                          broken: str) -> None:
    copy = tmp_path / "src" / "wom"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / module).open("a", encoding="utf-8") as f:
        f.write("\n\n" + line)
    done = _lint(copy)
    assert done.returncode != 0, done.stdout
    verdicts = [line for line in done.stdout.splitlines()
                if line.startswith(broken) and line.endswith(("KEPT", "BROKEN"))]
    assert len(verdicts) == 1 and verdicts[0].endswith("BROKEN"), done.stdout


def test_no_import_dodges_the_contract() -> None:
    # import-linter sees import statements only: an import by name at run time would cross
    # the layers unseen.
    dodges = re.compile(r"import_module\(|__import__\(|sys\.modules\[")
    found = [f"{p.relative_to(ROOT)}:{i}" for p in sorted(SRC.rglob("*.py"))
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if dodges.search(line)]
    assert not found, found


def _module_graph() -> nx.DiGraph:
    g = grimp.build_graph("wom", cache_dir=None)
    graph = nx.DiGraph()
    for m in g.modules:
        graph.add_node(m)
        for imported in g.find_modules_directly_imported_by(m):
            graph.add_edge(m, imported)
    return graph


def test_no_import_cycles_counting_imports_inside_functions() -> None:
    graph = _module_graph()
    assert len(graph) > 50  # the whole package was read
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_private_name_crosses_a_module_boundary() -> None:
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: set[str] = set()  # local names bound to wom modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("wom"):
                for alias in node.names:
                    if _private(alias.name):
                        found.append(f"{path.relative_to(SRC)}:{node.lineno}: {alias.name}")
                    elif _is_module(f"{node.module}.{alias.name}"):
                        modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("wom"):
                        modules.add(alias.asname or alias.name.split(".")[0])
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                base = node.value
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(base, ast.Name) and base.id in modules:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}: {node.attr}")
    assert found == []


def test_modules_are_short() -> None:
    long = {str(p.relative_to(SRC)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_subpackage_says_in_one_line_what_it_is_for() -> None:
    packages = [p for p in SRC.iterdir() if (p / "__init__.py").is_file()]
    assert len(packages) >= 10
    for package in packages:
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text("utf-8")))
        assert doc and len(doc.split("\n\n")[0]) > 20, package.name


def test_nothing_links_outside_the_repository() -> None:
    outside = re.compile(r"\.\./shared|DESIGN\.md|DESIGN §")
    found = []
    for folder in ("src", "docs", "scenarios", "data", "tests", "benchmarks", "results"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".md", ".yaml", ".txt", ".sh", ".html") and \
                    path != Path(__file__) and "__pycache__" not in path.parts:
                text = path.read_text(encoding="utf-8", errors="replace")
                found += [f"{path.relative_to(ROOT)}: {m.group()}" for m in outside.finditer(text)]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found += [f"README.md: {m.group()}" for m in outside.finditer(readme)]
    assert found == []
