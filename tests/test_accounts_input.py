"""Accounts as input (issue 16): a graph file's `account` and `role` columns (or node
attributes) make a market of accounts; bad accounts, sizes, aims and resonances exit 2
naming the file, the line and the key; what is not modelled with accounts yet is refused.

Every refusal goes through the real command line (``wom validate`` and ``wom run``) and
must leave nothing written.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner, Result

import wom
from wom.cli import main
from wom.config.checks import suspicious
from wom.engine import run_to_horizon
from wom.engine.state import NEVER
from wom.errors import ScenarioError, WomError
from wom.experiment.replicate import Replicate
from wom.inputs import GraphFileError, load_graph
from wom.inputs.accounts import ROLE_BITS as FILE_ROLE_BITS
from wom.inputs.accounts import role_bits
from wom.market.accounts import ALONE, BUYER, PAYER, ROLE_BITS, USER, check_accounts

# ---------------------------------------------------------------------------- a small market

#: Ties of nine people; `people.csv` puts them in two segments and four accounts.
TIES = "a b\nb c\nc d\nd e\ne f\nf a\na d\ng h\nh i\ni g\nc g\n"
PEOPLE = """person,segment,account,role
a,clinics,acme,buyer
b,clinics,acme,payer
c,clinics,acme,
d,clinics,bolt,buyer+payer
e,clinics,bolt,user
f,clinics,,
g,homes,h1,"buyer,payer"
h,homes,h1,user
i,homes,h2,user
"""
SCENARIO = """name: accounts-file
horizon: 4
replicates: 2
network:
  model: file
  file:
    path: ties.txt
    labels: people.csv
segments:
  - name: clinics
    accounts:
      strength: 2.0
strategies:
  - name: focus
    kind: focused
    segment: clinics
  - name: everyone
    kind: broad
"""


def file_scenario(*, horizon: int, segment: str) -> str:
    """A scenario on `ties.txt` and `people.csv` with segments s1 and s2 (`segment`: the
    keys of s1)."""
    return f"""name: accounts-file
horizon: {horizon}
replicates: 3
network:
  model: file
  file: {{path: ties.txt, labels: people.csv}}
segments:
  - name: s1
{segment}strategies:
  - {{name: focus, kind: focused, segment: s1}}
  - {{name: everyone, kind: broad}}
"""


def write(folder: Path, **files: str) -> None:
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text(text, encoding="utf-8")


@pytest.fixture
def market(tmp_path: Path) -> Path:
    """A scenario on a graph file whose people file gives accounts; returns its path."""
    write(tmp_path, ties_txt=TIES, people_csv=PEOPLE, scenario_yaml=SCENARIO)
    return tmp_path / "scenario.yaml"


def test_the_people_file_gives_accounts_and_roles(market: Path) -> None:
    sc = wom.load_scenario(market)
    assert sc.has_accounts and all(s.accounts is not None for s in sc.segments)
    assert sc.segments[0].accounts.strength == 2.0  # the block's strength is kept
    assert sc.segments[1].accounts.strength == 3.0  # the other segment has the default
    pop = Replicate(sc, 0).population
    acc = pop.accounts
    assert acc is not None
    assert check_accounts(acc, pop.n, pop.segment) is None
    ids = sc.network.file.load().node_ids
    person = {x: i for i, x in enumerate(ids)}
    groups = [sorted(ids[m] for m in acc.members[acc.ptr[k]:acc.ptr[k + 1]])
              for k in range(acc.n)]
    assert groups == [["a", "b", "c"], ["d", "e"], ["f"], ["g", "h"], ["i"]]
    assert acc.segment.tolist() == [0, 0, 0, 1, 1]  # accounts numbered segment by segment
    assert [ids[b] for b in acc.buyer] == ["a", "d", "f", "g", "i"]
    assert [ids[p] for p in acc.payer] == ["b", "d", "f", "g", "i"]
    role = {x: int(acc.role[person[x]]) for x in ids}
    assert role == {"a": BUYER, "b": PAYER, "c": USER, "d": BUYER | PAYER, "e": USER,
                    "f": ALONE, "g": BUYER | PAYER, "h": USER, "i": ALONE}
    notes = sc.network.file.load().notes
    assert notes["accounts_from"] == "labels file"
    assert notes["accounts"] == 3 and notes["people_in_accounts"] == 7


def test_the_file_and_the_market_write_roles_alike() -> None:
    assert FILE_ROLE_BITS == ROLE_BITS


@pytest.mark.parametrize(("text", "bits"), [
    ("", USER), ("user", USER), ("buyer", BUYER), ("PAYER", PAYER), (" Buyer ", BUYER),
    ("buyer+payer", BUYER | PAYER), ("buyer,payer", BUYER | PAYER),
    ("buyer / payer", BUYER | PAYER), ("payer;buyer", BUYER | PAYER),
    ("user+buyer", USER | BUYER), ("buyer+buyer", BUYER),
])
def test_role_spellings(text: str, bits: int) -> None:
    assert role_bits(Path("people.csv"), text, "", 3) == bits


@pytest.mark.parametrize("text", ["boss", "buyer+boss", "buyers", "+", "owner"])
def test_roles_that_do_not_exist(text: str) -> None:
    if text == "+":  # separators alone: no role, a user
        assert role_bits(Path("people.csv"), text, "", 3) == USER
        return
    with pytest.raises(GraphFileError) as info:
        role_bits(Path("people.csv"), text, "", 3)
    assert info.value.line == 3 and info.value.column == "role"
    assert repr(text) in str(info.value)


GRAPHML = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="s" for="node" attr.name="segment" attr.type="string"/>
  <key id="f" for="node" attr.name="firm" attr.type="string"/>
  <key id="j" for="node" attr.name="job" attr.type="string"/>
  <graph edgedefault="undirected">
    <node id="a"><data key="s">x</data><data key="f">acme</data><data key="j">buyer</data></node>
    <node id="b"><data key="s">x</data><data key="f">acme</data><data key="j">payer</data></node>
    <node id="c"><data key="s">x</data><data key="f">acme</data></node>
    <node id="d"><data key="s">y</data>{d}</node>
    <edge source="a" target="b"/><edge source="b" target="c"/><edge source="c" target="d"/>
  </graph>
</graphml>
"""


def test_graphml_node_attributes_give_accounts(tmp_path: Path) -> None:
    write(tmp_path, g_graphml=GRAPHML.format(d=""))
    spec = wom.config.GraphFile(path="g.graphml", attribute="segment",
                                account_attribute="firm", role_attribute="job")
    g = load_graph(spec, base=tmp_path, seed=0)
    assert g.node_ids == ("a", "b", "c", "d") and g.account_ids == ("acme", "")
    assert g.account.tolist() == [0, 0, 0, 1]
    assert g.role.tolist() == [BUYER, PAYER, USER, ALONE]
    assert g.notes["accounts_from"] == "attribute"
    # without account_attribute the attributes mean nothing: a market of individuals
    plain = load_graph(wom.config.GraphFile(path="g.graphml", attribute="segment"),
                       base=tmp_path, seed=0)
    assert plain.account is None and plain.role is None


def test_a_gml_account_across_segments_names_the_nodes(tmp_path: Path) -> None:
    write(tmp_path, g_graphml=GRAPHML.format(d='<data key="f">acme</data>'))
    spec = wom.config.GraphFile(path="g.graphml", attribute="segment",
                                account_attribute="firm", role_attribute="job")
    with pytest.raises(GraphFileError) as info:
        load_graph(spec, base=tmp_path, seed=0)
    assert info.value.line is None  # a parsed GraphML node has no line: the node is named
    assert "account 'acme'" in str(info.value) and "node 'd'" in str(info.value)


def test_accounts_of_one_from_a_file_reproduce_the_market_of_individuals(
        tmp_path: Path) -> None:
    """Everyone alone in an account (an `account` column of distinct ids) is the market of
    individuals: the same draws, the same results, to the last person."""
    rng = np.random.default_rng(3)
    n = 120
    u = rng.integers(0, n, 400)
    v = rng.integers(0, n, 400)
    write(tmp_path, ties_txt="".join(f"p{a} p{b}\n" for a, b in zip(u, v, strict=True)))
    segment = ["s1" if k < 70 else "s2" for k in range(n)]
    write(tmp_path,
          plain_csv="person,segment\n" + "".join(f"p{k},{s}\n" for k, s in enumerate(segment)),
          alone_csv="person,segment,account,role\n" + "".join(
              f"p{k},{s},acc{k},{'user' if k % 3 else ''}\n" for k, s in enumerate(segment)))
    text = file_scenario(horizon=10, segment="    references: 1\n")
    runs, people = [], []
    for labels in ("plain.csv", "alone.csv"):
        write(tmp_path, s_yaml=text.replace("people.csv", labels))
        sc = wom.load_scenario(tmp_path / "s.yaml")
        assert sc.has_accounts == (labels == "alone.csv")
        runs.append(wom.run(sc, workers=1))
        sim = Replicate(sc, 1).simulation("focus")
        run_to_horizon(sim)
        people.append(sim.adopted_at.copy())
    plain, alone = runs
    assert alone.new_by_cause.sum() > 0 and alone.accounts is not None
    for name in ("new_by_cause", "spend"):
        assert np.array_equal(getattr(plain, name), getattr(alone, name)), name
    assert np.array_equal(people[0], people[1])


def test_accounts_from_a_file_buy_as_one(tmp_path: Path) -> None:
    """In a market of accounts from a file, members of an account become customers at the
    same step, and only when its buyer and payer are convinced."""
    rng = np.random.default_rng(5)
    n = 400
    u = rng.integers(0, n, 2000)
    v = rng.integers(0, n, 2000)
    rows, k = [], 0
    while k < n:
        size = int(rng.integers(1, 6))
        members = list(range(k, min(n, k + size)))
        seg = "s1" if k < 200 else "s2"
        for j, p in enumerate(members):
            pair = len(members) == 2  # the buyer pays
            role = (("buyer+payer" if pair else "buyer") if j == 0 else
                    "payer" if j == 1 and not pair else "user")
            rows.append(f"p{p},{seg},a{k},{role}\n")
        k += size
    rows = [rows[i] for i in rng.permutation(len(rows))]  # an account's people apart
    write(tmp_path, ties_txt="".join(f"p{a} p{b}\n" for a, b in zip(u, v, strict=True)),
          people_csv="person,segment,account,role\n" + "".join(rows),
          s_yaml=file_scenario(horizon=20, segment="    accounts: {strength: 2.0}\n")
          # payers who hear nothing, and no seeds: only their payers stop accounts buying
          + "  - {name: deaf, kind: broad, resonance: {payer: 0.0}}\nbudget: {seed_share: 0}\n")
    sc = wom.load_scenario(tmp_path / "s.yaml")
    for r in range(3):
        for strategy in ("everyone", "deaf"):
            sim = Replicate(sc, r).simulation(strategy)
            run_to_horizon(sim)
            acc = sim.population.accounts
            assert acc is not None and int(np.max(acc.sizes())) == 5
            convinced = sim.convinced()
            bought = []
            for a in range(acc.n):
                members = acc.members[acc.ptr[a]:acc.ptr[a + 1]]
                steps = set(sim.adopted_at[members].tolist())
                assert len(steps) == 1, (a, steps)  # all or none, at one step
                if steps == {NEVER}:  # both convinced: it would have bought at the commit
                    assert not (convinced[acc.buyer[a]] and convinced[acc.payer[a]]), a
                else:
                    bought.append(a)
            assert len(bought) == sim.accounts_bought > 0
            payer_apart = acc.role[acc.payer[bought]] == PAYER  # a payer who is only that
            assert payer_apart.any() == (strategy == "everyone"), strategy


# ---------------------------------------------------------------------------- refusals

def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def refused(folder: Path, scenario: Path, *needles: str) -> str:
    """``wom validate`` and ``wom run`` both exit 2 with every needle in the message, no
    traceback, nothing written; the message."""
    out = folder / "out"
    messages = []
    for args in (["validate", str(scenario)],
                 ["run", str(scenario), "-w", "1", "-q", "-o", str(out)]):
        result = cli(*args)
        assert result.exit_code == 2, (args[0], result.output)
        assert "Traceback" not in result.output
        assert result.stdout == ""
        err = result.stderr
        assert err.startswith("error:"), err
        for needle in needles:
            assert needle in err, (args[0], needle, err)
        messages.append(err)
    assert not out.exists()
    assert not [p for p in folder.iterdir() if p.name.startswith((".out", "results"))]
    return messages[0]


#: People files that cannot be read: (text, line of the fault, words of the message).
BAD_PEOPLE = {
    "no-payer": (PEOPLE.replace("b,clinics,acme,payer", "b,clinics,acme,user"), 2,
                 ["column role", "account 'acme'", "no payer"]),
    "no-buyer": (PEOPLE.replace("a,clinics,acme,buyer", "a,clinics,acme,"), 2,
                 ["column role", "account 'acme'", "no buyer"]),
    "two-buyers": (PEOPLE.replace("c,clinics,acme,", "c,clinics,acme,buyer"), 4,
                   ["column role", "account 'acme'", "two buyers", "line 2 and line 4"]),
    "two-payers": (PEOPLE.replace("e,clinics,bolt,user", "e,clinics,bolt,payer"), 6,
                   ["column role", "account 'bolt'", "two payers", "line 5 and line 6"]),
    "role-boss": (PEOPLE.replace("e,clinics,bolt,user", "e,clinics,bolt,boss"), 6,
                  ["column role", "'boss' is not a role"]),
    "role-buyer-and-boss": (PEOPLE.replace("d,clinics,bolt,buyer+payer",
                                           "d,clinics,bolt,buyer+boss"), 5,
                            ["column role", "'buyer+boss' is not a role"]),
    "two-segments": (PEOPLE.replace("h,homes,h1,user", "h,homes,acme,user"), 9,
                     ["column account", "account 'acme'", "two segments", "line 2"]),
    "role-without-account": ("person,segment,role\n" + "".join(
        f"{x},{'clinics' if x < 'g' else 'homes'},user\n" for x in "abcdefghi"), 1,
        ["column role", "needs an `account` column"]),
    "no-role-column": ("person,segment,account\n" + "".join(
        f"{x},{'clinics' if x < 'g' else 'homes'},{'duo' if x in 'ab' else ''}\n"
        for x in "abcdefghi"), 2, ["column role", "account 'duo'", "no buyer"]),
    "two-accounts-for-one-person": (PEOPLE + "a,clinics,bolt,buyer\n", 11,
                                    ["column account", "person 'a'", "line 2"]),
}


@pytest.mark.parametrize("case", list(BAD_PEOPLE))
def test_bad_accounts_in_the_people_file_exit_2_naming_file_line_and_key(
        market: Path, case: str) -> None:
    text, line, words = BAD_PEOPLE[case]
    write(market.parent, people_csv=text)
    # the scenario's line of the key, then the people file's line of the fault
    refused(market.parent, market, "scenario.yaml:8: network.file.labels:",
            f"people.csv:{line}:", *words)


def test_bad_account_attributes_exit_2_naming_the_graph_file(tmp_path: Path) -> None:
    write(tmp_path, g_graphml=GRAPHML.format(d="").replace(">payer<", ">boss<"),
          scenario_yaml=SCENARIO.replace(
              "    labels: people.csv\n",
              "    attribute: segment\n    account_attribute: firm\n    role_attribute: job\n")
          .replace("ties.txt", "g.graphml").replace("clinics", "x"))
    refused(tmp_path, tmp_path / "scenario.yaml", "scenario.yaml:7: network.file.path:",
            "g.graphml", "node 'b'", "'boss' is not a role")


def test_account_attribute_needs_gml_or_graphml(market: Path) -> None:
    text = market.read_text().replace("    labels: people.csv\n",
                                      "    labels: people.csv\n    account_attribute: firm\n")
    market.write_text(text)
    refused(market.parent, market, "scenario.yaml:7: network.file.path:", "ties.txt",
            "`account_attribute` is read from GML or GraphML")


GENERATED = """name: accounts
horizon: 3
replicates: 2
segments:
  - name: clinics
    size: 60
    accounts:
      {accounts}
strategies:
  - name: s
    kind: focused
    segment: clinics
{strategy}"""

#: Scenario values that cannot be run: (accounts block, strategy keys, line, key, words).
#: A problem with a whole block is on the block's first line (as every error of wom's).
BAD_SCENARIOS = {
    "size-0": ("size: 0", "", 8, "segments[0].accounts.size", "greater than or equal to 1"),
    "size-negative": ("size: -3", "", 8, "segments[0].accounts.size",
                      "greater than or equal to 1"),
    "sizes-key-0": ("sizes: {0: 1.0}", "", 8, "segments[0].accounts.sizes", "key 0"),
    "sizes-not-summing-to-1": ("sizes: {1: 0.5, 5: 0.4}", "", 8,
                               "segments[0].accounts.sizes", "sum to 0.9, not 1"),
    "sizes-share-above-1": ("sizes: {1: 1.5}", "", 8, "segments[0].accounts.sizes.1",
                            "less than or equal to 1"),
    "sizes-not-a-number": ("sizes: {five: 1.0}", "", 8, "segments[0].accounts.sizes",
                           "key 'five'"),
    "size-and-sizes": ("size: 5\n      sizes: {5: 1.0}", "", 8, "segments[0].accounts",
                       "not both"),
    "no-size": ("strength: 2.0", "", 8, "segments[0].accounts", "needs `size`"),
    "aim-all-zero": ("size: 5", "    aim:\n      user: 0\n      buyer: 0\n", 14,
                     "strategies[0].aim", "all 0"),
    "aim-negative": ("size: 5", "    aim:\n      user: -1\n", 14, "strategies[0].aim.user",
                     "greater than or equal to 0"),
    "aim-role-boss": ("size: 5", "    aim:\n      boss: 1.0\n", 14, "strategies[0].aim",
                      "key 'boss'"),
    "resonance-role-boss": ("size: 5", "    resonance:\n      user: 1.0\n      boss: 0.5\n",
                            15, "strategies[0].resonance", "key 'boss'"),
    "resonance-above-1": ("size: 5", "    resonance:\n      payer: 2.0\n", 14,
                          "strategies[0].resonance.payer", "less than or equal to 1"),
}


@pytest.mark.parametrize("case", list(BAD_SCENARIOS))
def test_bad_accounts_in_a_scenario_exit_2_naming_file_line_and_key(
        tmp_path: Path, case: str) -> None:
    block, strategy, line, key, words = BAD_SCENARIOS[case]
    path = tmp_path / "bad.yaml"
    path.write_text(GENERATED.format(accounts=block, strategy=strategy), encoding="utf-8")
    message = refused(tmp_path, path, f"bad.yaml:{line}: {key}:", words)
    assert len(message.strip().splitlines()) == 1, message  # one problem, said once


#: `accounts:` blocks a graph file's market refuses: (block, line, key, words).
BAD_FILE_BLOCKS = {
    "size": ("size: 5", 12, "segments[0].accounts.size", "leave `size` and `sizes` out"),
    "sizes": ("sizes: {1: 1.0}", 12, "segments[0].accounts.sizes",
              "leave `size` and `sizes` out"),
    "buyer-is-payer": ("buyer_is_payer: 0.5", 12, "segments[0].accounts.buyer_is_payer",
                       "gives each person's role"),
}


@pytest.mark.parametrize("case", list(BAD_FILE_BLOCKS))
def test_sizes_in_a_file_market_conflict_with_the_file(market: Path, case: str) -> None:
    block, line, key, words = BAD_FILE_BLOCKS[case]
    market.write_text(market.read_text().replace("strength: 2.0", block))
    refused(market.parent, market, f"scenario.yaml:{line}: {key}:", words)


def test_sizes_in_the_shorthand_of_a_file_market_are_refused(market: Path) -> None:
    text = market.read_text().replace(
        "  - name: clinics\n    accounts:\n      strength: 2.0\n",
        "  tam: 0.9\n  accounts:\n    size: 4\n")
    market.write_text(text)
    refused(market.parent, market, "scenario.yaml:12: segments.accounts.size:",
            "the graph file gives the accounts")


def test_an_accounts_block_on_a_file_without_accounts_is_refused(market: Path) -> None:
    write(market.parent, people_csv="person,segment\n" + "".join(
        f"{x},{'clinics' if x < 'g' else 'homes'}\n" for x in "abcdefghi"))
    refused(market.parent, market, "scenario.yaml:12: segments[0].accounts:",
            "the graph file gives no accounts")


# ---------------------------------------------------------------------------- not modelled yet

WITH_ACCOUNTS = GENERATED.format(accounts="size: 4", strategy="")


@pytest.mark.parametrize("where", ["generated", "file"])
def test_run_with_todays_customers_refuses_accounts(market: Path, where: str) -> None:
    folder = market.parent
    if where == "generated":
        market.write_text(WITH_ACCOUNTS)
        (folder / "customers.csv").write_text("segment,customers\nclinics,3\n")
        key = "segments[0].accounts"
    else:
        (folder / "customers.csv").write_text("person\na\nd\n")
        key = "network.file.labels"
    out = folder / "out"
    result = cli("run", str(market), "-c", str(folder / "customers.csv"), "-w", "1", "-q",
                 "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    assert re.search(rf"^error: .*scenario\.yaml: {re.escape(key)}: starting from today's "
                     r"customers \(--customers\) with accounts is not modelled yet", result.stderr)
    assert "run without --customers" in result.stderr  # what to do instead
    assert not out.exists()
    sc = wom.load_scenario(market)
    with pytest.raises(ScenarioError, match="not modelled yet"):
        wom.load_customers(sc, folder / "customers.csv")
    with pytest.raises(ScenarioError, match="not modelled yet"):
        wom.run(sc, customers=folder / "customers.csv", workers=1)


@pytest.mark.parametrize("where", ["generated", "file"])
def test_fit_refuses_accounts(market: Path, where: str) -> None:
    folder = market.parent
    if where == "generated":
        market.write_text(WITH_ACCOUNTS)
        (folder / "adoptions.csv").write_text("period,segment,new_customers\n0,clinics,2\n")
        key = "segments[0].accounts"
    else:
        (folder / "adoptions.csv").write_text("person,adopted\na,1\nd,2\n")
        key = "network.file.labels"
    out = folder / "out"
    result = cli("fit", str(market), "-a", str(folder / "adoptions.csv"), "-q", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    assert re.search(rf"^error: .*scenario\.yaml: {re.escape(key)}: fitting \(wom fit\) with "
                     "accounts is not modelled yet", result.stderr)
    assert "fit a copy of the scenario" in result.stderr  # what to do instead
    assert not out.exists()
    with pytest.raises(ScenarioError, match="not modelled yet"):
        wom.fit(wom.load_scenario(market), folder / "adoptions.csv")


# ---------------------------------------------------------------------------- warnings

def _scenario(accounts: bool, strategy: dict, **segment) -> wom.Scenario:
    data = yaml.safe_load(GENERATED.format(accounts="size: 3", strategy=""))
    if not accounts:
        del data["segments"][0]["accounts"]
    data["segments"][0].update(segment)
    data["strategies"][0].update(strategy)
    return wom.scenario_from_dict(data)


@pytest.mark.parametrize("key", ["aim", "resonance"])
def test_aim_or_resonance_without_accounts_is_warned(key: str) -> None:
    value = {"buyer": 0.5, "payer": 0.5} if key == "aim" else {"payer": 0.3}
    notes = dict(suspicious(_scenario(False, {key: value})))
    assert f"strategies[0].{key}" in notes and "no segment has accounts" in notes[
        f"strategies[0].{key}"]
    assert f"strategies[0].{key}" not in dict(suspicious(_scenario(True, {key: value})))


def test_price_per_account_without_accounts_is_warned() -> None:
    notes = dict(suspicious(_scenario(False, {}, price_per="account", price=10.0)))
    assert "has no accounts" in notes["segments[0].price_per"]
    assert "segments[0].price_per" not in dict(
        suspicious(_scenario(True, {}, price_per="account", price=10.0)))


def test_warnings_reach_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    text = GENERATED.format(accounts="size: 3", strategy="    resonance: {payer: 0.2}\n")
    path.write_text(text.replace("    accounts:\n      size: 3\n", "    price_per: account\n"))
    result = cli("validate", str(path))
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr and "strategies[0].resonance" in result.stderr
    assert "segments[0].price_per" in result.stderr


def test_one_setting_breaking_many_keys_the_same_way_says_it_once():
    """`--set segments.*.accounts={size: 5}` on a graph file without accounts breaks every
    segment alike: the message is said once, with the first keys and how many more."""
    path = Path(__file__).resolve().parents[1] / "scenarios" / "email-departments.yaml"
    with pytest.raises(WomError) as err:
        wom.load_scenario(path, ["segments.*.accounts={size: 5}"])
    text = str(err.value)
    assert text.count("the graph file gives no accounts") == 1
    assert "segments[0].accounts, segments[1].accounts, segments[2].accounts and" in text
    assert " more: the graph file gives no accounts" in text


def test_accounts_of_one_on_a_graph_file_without_accounts_are_taken():
    path = Path(__file__).resolve().parents[1] / "scenarios" / "email-departments.yaml"
    sc = wom.load_scenario(path, ["segments.*.accounts={sizes: {1: 1.0}}"])
    assert sc.has_accounts


def test_aim_is_weights_and_shorthands_read_as_written(tmp_path):
    """`aim` weights are divided by their sum (so one can be swept alone); `aim: buyer` is
    one role; `accounts: 5` is `{size: 5}`."""
    p = tmp_path / "s.yaml"
    p.write_text("segments:\n  - {name: a-b, size: 200, accounts: 5}\nreplicates: 2\n"
                 "horizon: 3\nstrategies:\n"
                 "  - {name: f, kind: focused, segment: a-b, aim: buyer}\n"
                 "  - {name: g, kind: focused, segment: a-b, aim: {user: 2, buyer: 1}}\n")
    sc = wom.load_scenario(p)
    assert sc.segments[0].accounts.size == 5
    assert sc.strategies[0].aim_shares() == (0.0, 0.0, 1.0, 0.0)
    assert sc.strategies[1].aim_shares() == pytest.approx((0.0, 2 / 3, 1 / 3, 0.0))
    # one weight swept alone, on a segment whose name has a hyphen
    out = CliRunner().invoke(main, ["sweep", str(p), "--vary", "strategies.g.aim.user=0,1,3",
                                    "--vary", "segments.a-b.accounts.strength=1,3",
                                    "--out", str(tmp_path / "sw")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "sw" / "sweep.csv").is_file()


def test_sweep_metric_of_accounts_needs_accounts(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("segments: {count: 2, size: 50}\nreplicates: 2\nhorizon: 3\n"
                 "strategies: [{name: f, kind: focused, segment: segment-1}]\n")
    out = CliRunner().invoke(main, ["sweep", str(p), "--vary", "budget.total=100,200",
                                    "--metric", "accounts_won", "--out", str(tmp_path / "sw")])
    assert out.exit_code == 2
    assert "accounts_won needs a market of accounts" in out.output
    assert not (tmp_path / "sw").exists()


def test_accounts_bigger_than_the_segment_are_warned_of():
    sc = wom.scenario_from_dict({"segments": [{"name": "a", "size": 30,
                                               "accounts": {"size": 50}}],
                                 "strategies": [{"name": "f", "kind": "focused",
                                                 "segment": "a"}]})
    notes = suspicious(sc)
    assert any(k == "segments[0].accounts" and "accounts of 50" in m for k, m in notes)
