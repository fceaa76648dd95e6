"""The scenario library: the lesson scenarios users list, copy and edit."""

from __future__ import annotations

import json
import os
import re
from contextlib import suppress
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


def missing_file_hint(path: Path) -> str:
    """Why `path` is not there, with what was probably meant: the same name with
    ``.yaml``, or the lesson of that name (``wom run focused-vs-broad``)."""
    for guess in (path.with_name(path.name + ".yaml"), path.with_name(path.name + ".yml")):
        if path.suffix not in (".yaml", ".yml") and guess.is_file():
            return f"no such file (did you mean {guess}?)"
    if path.parent == Path(".") and path.suffix in ("", ".yaml", ".yml"):
        for name, _, lesson in list_scenarios():
            if name == path.stem:
                return (f"no such file; {name} is a lesson: run {lesson}, or copy it with "
                        f"`wom new my-{name} --from {name}`")
    return "no such file"


#: ``wom new NAME`` (``--from blank``): every block, each key with what it means. Only
#: ``segments`` and ``strategies`` are needed; the values are a starting point.
BLANK = """\
# NAME — describe your market and the strategies to compare. Only `segments` and
# `strategies` are needed: a key you delete takes wom's default (`wom schema` lists them).
# `wom validate NAME.yaml` checks the file, `wom run NAME.yaml` runs it.
name: NAME
description: ""
seed: 1                # one seed fixes every number of the run
horizon: 52            # weeks simulated
replicates: 100        # markets drawn; strategies are compared replicate by replicate

# The market: your segments (groups who share a use case and talk to each other).
segments:
  - name: first-segment
    size: 2000         # people
    tam: 0.6           # share who could ever buy (the total addressable market)
    incumbent: 0.0     # share already a competitor's customers (inside the TAM, never won)
    early_market: 0.16 # share who buy without references (enthusiasts and visionaries)
    references: 2      # customers in their own segment the rest want before they buy
    price: 0           # revenue per paying customer per week (0: count customers only)
    gross_margin: 1.0  # share of the revenue kept as gross profit
    churn: 0.0         # chance a customer leaves in a week (they stop talking too)
    cost_to_serve: 0   # cost of serving one customer for a week
    # accounts: {size: 5}  # businesses that buy as one: a buyer, a payer and users
    # price_per: seat      # or account (with accounts)
  - name: second-segment   # keys left out take wom's defaults (tam 1.0, references 0, …)
    size: 2000
    tam: 0.6
    references: 2

# Who talks to whom.
network:
  model: planted_partition   # or lfr, clustered, erdos_renyi, complete, file
  mean_degree: 10            # conversation ties per person
  mixing: 0.1                # share of ties that cross segments
  weak_tie: 0.5              # strength of a cross-segment tie against an in-segment one
  resample: per_replicate    # or once: every replicate on one market (replicate 0's)

# How a message spreads.
dynamics:
  word_of_mouth: 0.08        # chance a customer convinces a neighbour in a week
  marketing: 0.02            # chance a marketing contact converts in a week
  background: 0.0            # chance anyone adopts through other channels in a week
  talk_weeks: 6              # weeks a new customer keeps talking
  generic_resonance: 0.3     # how well a generic message lands (a tailored one: 1)
  overlap: 0.2               # how well a message tailored to one segment lands in another

# The money every strategy spends.
budget:
  total: 60000
  cost_per_seed: 400         # a seed: a person given the product (or paid to talk)
  cost_per_contact: 5        # a marketing contact
  seed_share: 0.3            # share of the budget spent on seeds
  campaign_weeks: 12         # weeks the campaign runs
  seeds_pay: false           # whether seeds pay (false: they were given the product)
  discount_rate: 0.0         # per week, for the net present value of profit

# What people are besides the segment they talk in: what a strategy may `target` (a list
# you can buy) when the conversation follows something else (docs/model.md, attributes).
# attributes:
#   vertical:
#     values: [dentists, lawyers]
#     alignment: 0.3            # 1 (the default): each segment all its home value; 0: every
#                               # segment the mix; between: alignment × home + the rest × mix
#     shares: {dentists: 0.5, lawyers: 0.5}   # the mix (default: equal)
#     home: {first-segment: dentists}  # each segment's home value (default: the value named
#                               # as the segment, else the values in turn)
#     overlap: 0.2              # a message written for dentists, heard by a lawyer
#   # or, with network.model: file, each person's value from a column of the people file:
#   # region: {column: region}

# What to compare (kinds: focused, broad, multi, beachhead, mix; seeding: poster_child,
# hubs, bridges, random, greedy).
strategies:
  - {name: focused, kind: focused, segment: first-segment}
  - {name: broad, kind: broad}
  # A mix splits the money by weight, each segment with its tailored or generic message,
  # with its own seed share and campaign (the budget's if left out):
  # - {name: split, kind: mix, weights: {first-segment: 2, second-segment: 1},
  #    message: {second-segment: generic}, seed_share: 0.2, campaign_weeks: 8}
  # With `order` instead of `weights` a mix is a sequence: every seed on the first, the
  # contacts on each in turn until it wins `trigger` of its TAM:
  # - {name: one-then-two, kind: mix, order: [first-segment, second-segment],
  #    trigger: 0.2, seed_share: 0.3}
  # With attributes, a focused strategy may target a value wherever people talk, at its
  # own costs:
  # - {name: dentists, kind: focused, target: {vertical: dentists}, cost_per_contact: 2,
  #    cost_per_seed: 500}
  # With accounts, a strategy may aim its contacts at roles and give its message's
  # resonance with each (docs/model.md, accounts):
  # - {name: to-payers, kind: focused, segment: first-segment,
  #    aim: {user: 1, payer: 1}, resonance: {user: 0.8, buyer: 0.8, payer: 1.0}}

# What `wom optimize NAME.yaml` may change in a plan (kind mix) and how hard it looks; a
# value fixes a key, [low, high] bounds it, and a key left out searches all it can.
# optimize:
#   segments: [first-segment, second-segment]  # those a plan may target
#   seed_share: [0, 1]            # share of the budget on seeds
#   campaign_weeks: [1, 26]       # weeks the contacts are spread over
#   messages: [tailored, generic]
#   sequencing: [parallel, sequenced]  # split at once, or segments won one after another
#   trigger: [0.05, 0.5]          # a sequence's share of a pin's TAM won before moving on
#   seeding: [poster_child, hubs, bridges, random]
#   objective: customers          # or profit, or payback (the payback week, minimised)
#   trials: 200                   # plans tried
#   replicates: 100               # most search replicates of a plan
#   min_replicates: 4             # replicates every plan starts with
#   confirm: 3                    # best plans re-run on fresh replicates
"""


_FILE_KEYS = re.compile(r"^(\s*(?:path|labels):\s*)(['\"]?)([^'\"\n#]+?)\2(\s*(?:#.*)?)$", re.M)


def new_scenario(name: str, template: str, *, folder: Path | None = None,
                 dest: Path | None = None) -> Path:
    """Copy library scenario `template` to ``NAME.yaml`` (in `dest`, default here);
    ``"blank"``: a commented template of every block (:data:`BLANK`).

    The copy keeps the template's comments; its ``name`` becomes `name`, and relative graph
    file paths are rewritten so they still point at the same files.
    """
    if not re.sub(r"\.ya?ml$", "", name, flags=re.I).strip("."):
        raise WomError(f"{name!r}: give the scenario a name (wom new my-market)")
    name = re.sub(r"\.ya?ml$", "", name, flags=re.I)  # (`wom new mine.yaml` meant mine.yaml)
    folder = folder or scenario_dir()
    source = folder / f"{template}.yaml"
    if template == "blank" and not source.is_file():
        return _write_new(name, BLANK.replace("name: NAME", f"name: {as_yaml(name)}")
                          .replace("NAME", name), dest)
    if not source.is_file():
        known = ", ".join(["blank", *(n for n, _, _ in list_scenarios(folder))])
        raise WomError(f"--from {template}: no such template (known: {known}; "
                       "`wom list` describes the lessons)")
    target = _target(name, dest)
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"^name:.*$", lambda _: f"name: {as_yaml(name)}", text, count=1, flags=re.M)

    def move(m: re.Match[str]) -> str:
        p = Path(m.group(3).strip())
        if p.is_absolute():
            return m.group(0)
        moved = os.path.relpath((source.parent / p).resolve(), target.parent.resolve())
        return f"{m.group(1)}{m.group(2)}{moved}{m.group(2)}{m.group(4)}"

    return _write_new(name, _FILE_KEYS.sub(move, text), dest)


def as_yaml(name: str) -> str:
    """`name` as YAML reads it back: quoted when it would read as a number, a boolean, null
    or something else than that text (123, true, null, -)."""
    try:
        plain = yaml.safe_load(name) == name
    except yaml.YAMLError:
        plain = False
    return name if plain else json.dumps(name)


def _target(name: str, dest: Path | None) -> Path:
    if not re.fullmatch(r"[\w.-]+", name) or name.strip(".") == "":
        raise WomError(f"{name!r}: a scenario name is letters, digits, '-', '_' and '.'")
    if name.startswith("."):  # (.hidden.yaml, and run folders no listing shows)
        raise WomError(f"{name!r}: a scenario name starting with '.' makes a hidden file")
    target = (dest or Path.cwd()) / f"{name}.yaml"
    if target.exists():
        raise WomError(f"{target}: already exists (not overwritten)")
    return target


def _write_new(name: str, text: str, dest: Path | None) -> Path:
    """Write `text` as NAME.yaml whole or not at all, never over a file (another `wom new`
    of the same name at the same moment included)."""
    target = _target(name, dest)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    # the folders --dir names that are not there yet, the deepest first: removed again if
    # the file cannot be written
    made = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        try:
            os.link(tmp, target)  # (fails if the name was taken since _target looked)
        except FileExistsError:
            raise WomError(f"{target}: already exists (not overwritten)") from None
        except OSError:  # a file system without hard links
            os.replace(tmp, target)
    except OSError as err:  # (a full disk: named as the file, never its hidden temporary)
        tmp.unlink(missing_ok=True)
        for folder in made:
            with suppress(OSError):
                folder.rmdir()
        raise OSError(err.errno, err.strerror or str(err), str(target)) from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
