"""The scenario library: the lesson scenarios users list, copy and edit."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from wom.errors import WomError


def scenario_dir() -> Path:
    """Where the library lives: ``$WOM_SCENARIOS``, else the ``scenarios/`` folder of the
    source tree wom runs from, else ``./scenarios``."""
    env = os.environ.get("WOM_SCENARIOS")
    if env:
        return Path(env)
    # The source tree is the nearest folder above this file with a pyproject.toml (however
    # deep the package's sub-packages go).
    for root in Path(__file__).resolve().parents:
        if (root / "pyproject.toml").is_file():
            if (root / "scenarios").is_dir():
                return root / "scenarios"
            break
    return Path("scenarios")


def list_scenarios(folder: Path | None = None) -> list[tuple[str, str, Path]]:
    """``(name, description, path)`` of every scenario file in the library, by name."""
    folder = folder or scenario_dir()
    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            data = {}
        description = data.get("description", "") if isinstance(data, dict) else ""
        out.append((path.stem, str(description), path))
    return out


_FILE_KEYS = re.compile(r"^(\s*(?:path|labels):\s*)(['\"]?)([^'\"\n#]+?)\2(\s*(?:#.*)?)$", re.M)


def new_scenario(name: str, template: str, *, folder: Path | None = None,
                 dest: Path | None = None) -> Path:
    """Copy library scenario `template` to ``NAME.yaml`` (in `dest`, default here).

    The copy keeps the template's comments; its ``name`` becomes `name`, and relative graph
    file paths are rewritten so they still point at the same files.
    """
    folder = folder or scenario_dir()
    source = folder / f"{template}.yaml"
    if not source.is_file():
        known = ", ".join(n for n, _, _ in list_scenarios(folder)) or "none found"
        raise WomError(f"{source}: no such template (known: {known})")
    if not re.fullmatch(r"[\w.-]+", name) or name.strip(".") == "":
        raise WomError(f"{name!r}: a scenario name is letters, digits, '-', '_' and '.'")
    target = (dest or Path.cwd()) / f"{name}.yaml"
    if target.exists():
        raise WomError(f"{target}: already exists (not overwritten)")
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"^name:.*$", f"name: {name}", text, count=1, flags=re.M)

    def move(m: re.Match[str]) -> str:
        p = Path(m.group(3).strip())
        if p.is_absolute():
            return m.group(0)
        moved = os.path.relpath((source.parent / p).resolve(), target.parent.resolve())
        return f"{m.group(1)}{m.group(2)}{moved}{m.group(2)}{m.group(4)}"

    text = _FILE_KEYS.sub(move, text)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
