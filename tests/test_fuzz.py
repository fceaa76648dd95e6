"""Bad input never crashes (issue 8): fuzzed scenarios and graph files through ``wom run``.

Hypothesis writes malformed and extreme scenario files (missing keys, wrong types, NaN and
infinities, negative or zero sizes, empty segments, budgets too small for one seed, horizons
of 0, huge markets, unicode and duplicate names, broken YAML) and malformed graph files (bad
lines, unknown nodes in labels, self-loops, repeated ties, empty files, binary garbage). Each
goes through the command line's own code path (``wom run`` in-process, tracebacks not caught)
and must either run — exit 0 and a complete run folder — or exit 2 with a message naming the
file at fault, and leave no results folder and no hidden temporary behind.

The number of inputs comes from the hypothesis profile (``tests/conftest.py``: bounded and
derandomised by default); how many were tried, and how they ended, is printed at the end of
the pytest run ("fuzz: inputs tried").
"""

from __future__ import annotations

import contextlib
import copy
import math
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

import wom.viz.outputs
from wom.cli import main
from wom.store import read_run

#: Examples per property, relative to the profile's max_examples (200 in the "ci" profile).
EXAMPLES = settings.default.max_examples
RUN_FILES = {"scenario.yaml", "manifest.json", "timeseries.csv", "summary.csv",
             "comparison.csv", "report.html"}

# ---------------------------------------------------------------------------- checking a run


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    """A fresh folder per example (function-scoped fixtures do not reset between examples)."""
    path = Path(tempfile.mkdtemp(prefix="wom-fuzz-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def run_cli(scenario: Path, out: Path, *, plots: bool) -> Result:
    """``wom run SCENARIO -o OUT`` in-process; an exception escaping the CLI fails the test."""
    args = ["run", str(scenario), "--workers", "1", "--quiet", "--out", str(out)]
    stub = (contextlib.nullcontext() if plots else
            mock.patch.object(wom.viz.outputs, "start_plots", lambda *a, **k: list))
    with stub:
        return CliRunner().invoke(main, args, catch_exceptions=False)


def outcome(result: Result, out: Path, names: list[str]) -> str:
    """Check the promise for one input and say how it ended ("ran", "refused", …).

    `names`: what a refusal must mention (the scenario file, the graph file, …), any of them.
    """
    text = result.output
    assert result.exit_code in (0, 2), f"exit {result.exit_code}:\n{text}"
    assert "Traceback" not in text, text
    hidden = [p.name for p in out.parent.iterdir() if p.name.startswith(".")]
    assert not hidden, f"temporary left behind: {hidden}"
    if result.exit_code == 0:
        assert {p.name for p in out.iterdir()} >= RUN_FILES
        run = read_run(out)  # complete and readable
        assert len(run.summary()) == len(run.scenario.strategies)
        return "ran"
    assert not out.exists(), "a refused run left a results folder"
    assert result.stdout == "", result.stdout
    # warnings about legal but suspicious values may come first (issue 14, item 15)
    err = "\n".join(x for x in result.stderr.splitlines() if not x.startswith("warning:"))
    assert err.startswith("error:"), err
    if "memory" in err:
        assert "needs about" in err and "available" in err, err
        return "refused: not enough memory"
    assert any(name in err for name in names), f"the message names none of {names}:\n{err}"
    return "refused"


# ---------------------------------------------------------------------------- scenarios

#: Values that do not belong anywhere (or only at the edges of what is allowed).
BAD = [
    None, True, False, 0, -1, 1, 2, -0.0, 0.5, 1.5, 2**31, 2**64, 10**30, 1e308, 1e-300, 5e-324,
    math.nan, math.inf, -math.inf, "", "x", "ü名", "1e3", "0x10", "yes", [], [1, "a"], {},
    {"a": 1}, {"count": 2},
]
BAD_VALUES = st.sampled_from(BAD)
#: Segment names: ordinary, unicode, empty, numbers, markup, repeated.
NAMES = st.one_of(
    st.sampled_from(["a", "b", "dentists", "a", "ü名", "", " ", "1", "01", 7, "$x$", "[b]",
                     "x/y", "a\tb", "émoji 🚀", "-", "null", "a"]),
    st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=10),
    st.text(max_size=10),  # control characters too
)


def sometimes_bad(draw: st.DrawFn, good: st.SearchStrategy[Any], odds: int = 50) -> Any:
    """A value from `good`, or one time in `odds` one from :data:`BAD`."""
    return copy.deepcopy(draw(BAD_VALUES)) if rarely(draw, odds) else draw(good)


def rarely(draw: st.DrawFn, odds: int) -> bool:
    """True one time in `odds` (hypothesis's simplest choice is the first: False)."""
    return draw(st.sampled_from([False] * (odds - 1) + [True]))


@st.composite
def scenario_data(draw: st.DrawFn) -> Any:
    """A scenario as data: mostly tiny and runnable, with a few things wrong or extreme."""
    def bad(good: st.SearchStrategy[Any], odds: int = 50) -> Any:
        return sometimes_bad(draw, good, odds)

    share = st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 1e-300, 5e-324, 1 - 1e-16]))
    kind = draw(st.sampled_from(["list"] * 10 + ["shorthand"] * 3 + ["huge", "empty"]))
    if kind == "list":
        segments: Any = []
        for _ in range(draw(st.integers(1, 4))):
            name = draw(NAMES) if rarely(draw, 4) else f"seg{len(segments)}"
            seg = {"name": name, "size": bad(st.integers(1, 30))}
            tam = bad(share)
            if draw(st.booleans()):
                seg["tam"] = tam
            if draw(st.booleans()):  # more than the TAM is an error
                fits = isinstance(tam, float) and 0.0 <= tam <= 1.0 and not rarely(draw, 10)
                top = tam if fits else 1.0
                seg["incumbent"] = bad(st.floats(0.0, min(max(top, 0.0), 1.0) + 0.0))
            if draw(st.booleans()):
                seg["references"] = bad(st.sampled_from([0, 1, 3]))
            segments.append(seg)
        names = [s["name"] for s in segments]
    elif kind == "shorthand":
        segments = {"count": bad(st.integers(1, 4)), "size": bad(st.integers(1, 30))}
        if draw(st.booleans()):
            count = segments["count"] if isinstance(segments["count"], int) else 0
            size = min(max(count, 0), 4)
            segments["names"] = draw(st.lists(NAMES, min_size=size,
                                              max_size=4 if rarely(draw, 8) else size))
        names = segments.get("names") or ["segment-1", "segment-2"]
    elif kind == "huge":  # 10 billion people or more: refused for memory, never allocated
        segments = {"count": draw(st.integers(200, 10_000)), "size": 50_000_000}
        names = ["segment-1"]
    else:
        segments = draw(st.sampled_from([[], {}, None]))
        names = ["a"]
    names = [n for n in names if isinstance(n, str | int)] or ["a"]
    strategies = []
    for i in range(0 if rarely(draw, 20) else draw(st.integers(1, 3))):
        kind_ = bad(st.sampled_from(["focused", "broad", "multi", "beachhead"]), 20)
        spec: dict[str, Any] = {"name": draw(NAMES) if rarely(draw, 5) else f"s{i}",
                                "kind": kind_}
        if kind_ in ("focused", "beachhead"):
            spec["segment"] = draw(NAMES) if rarely(draw, 6) else draw(st.sampled_from(names))
        if kind_ == "multi":
            spec["segments"] = draw(st.lists(st.sampled_from(names), min_size=rarely(draw, 8) ^ 1,
                                             max_size=3,
                                             unique=not rarely(draw, 5)))
        if kind_ == "beachhead" and draw(st.booleans()):
            rest = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
            spec["order"] = [spec["segment"], *(x for x in rest if x != spec["segment"])]
            spec["trigger"] = bad(share)
        seeding = bad(st.sampled_from(["poster_child", "hubs", "bridges", "random", "greedy",
                                       None]), 20)
        if seeding is not None:
            spec["seeding"] = seeding
        if seeding == "greedy":
            spec["greedy_runs"] = 2
        strategies.append(spec)
    horizon = bad(st.integers(1, 4), 15)
    data: dict[str, Any] = {
        "name": draw(st.one_of(NAMES, st.sampled_from([".", "..", "a/b"])))
        if rarely(draw, 6) else "fuzz",
        "seed": bad(st.integers(0, 2**70)),
        "horizon": horizon,
        "replicates": bad(st.integers(1, 3)),
        "segments": segments,
        "network": {"model": bad(st.sampled_from(["planted_partition", "erdos_renyi", "complete",
                                                  "lfr", "clustered"]), 20),
                    "mean_degree": bad(st.floats(0.5, 8)),
                    "mixing": bad(share), "weak_tie": bad(share)},
        "dynamics": {"word_of_mouth": bad(share), "marketing": bad(share),
                     "talk_weeks": bad(st.integers(1, 3)), "generic_resonance": bad(share),
                     "overlap": bad(share)},
        "budget": {"total": bad(st.sampled_from([0, 1, 99, 500, 2000, 1e308])),
                   "cost_per_seed": bad(st.sampled_from([100, 100, 100, 1e308])),
                   "cost_per_contact": bad(st.sampled_from([5, 5, 5, 0.001])),
                   "seed_share": bad(share)},
        "strategies": strategies,
    }
    if draw(st.booleans()):
        data["budget"]["campaign_weeks"] = bad(st.integers(1, 4), 15)
    if data["network"]["model"] == "lfr" and draw(st.booleans()):
        data["network"]["max_degree"] = bad(st.integers(1, 40))
        data["network"]["degree_exponent"] = bad(st.floats(2.01, 10))
    # Sometimes a key deleted, or replaced by a value of the wrong type.
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1, 2]))):
        paths = list(_paths(data))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(draw(BAD_VALUES))
    if rarely(draw, 20):  # not a mapping at all
        return draw(st.sampled_from([None, 42, "text", ["a", "b"], [{"name": "x"}]]))
    return data


def _paths(x: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items = x.items() if isinstance(x, dict) else enumerate(x) if isinstance(x, list) else []
    for k, v in items:
        yield (*prefix, k)
        yield from _paths(v, (*prefix, k))


@st.composite
def scenario_text(draw: st.DrawFn) -> bytes:
    """YAML of a generated scenario; sometimes broken as text (cut, garbled, keys repeated)."""
    text = yaml.safe_dump(draw(scenario_data()), sort_keys=False, allow_unicode=True)
    damage = draw(st.sampled_from(["none"] * 20 + ["cut", "insert", "repeat", "tab", "binary"]))
    if damage == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif damage == "insert":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from([
            ":", "- ", "{", "]", "&a", "*b", "!!str ", "'", '"', "\n  x: 1\n", "%", "\x00",
            '\ndescription: "half \\ud83d a pair"\n', '\n"\\udc80": 1\n', "\u2028", "\ufeff",
        ])) + text[at:]
    elif damage == "repeat":
        lines = text.split("\n")
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        text = "\n".join([*lines[: i + 1], lines[i], *lines[i + 1:]])
    elif damage == "tab":
        text = "\t" + text
    elif damage == "binary":
        return draw(st.binary(max_size=64))
    return text.encode("utf-8")


@pytest.mark.slow
@given(text=scenario_text())
@settings(max_examples=EXAMPLES * 3 // 2)
def test_fuzzed_scenarios_run_or_exit_2(text: bytes, fuzz_tally: dict[str, Counter[str]]) -> None:
    """Plots are left out here (they have their own test below): this one tries many inputs."""
    tally = fuzz_tally.setdefault("scenarios through wom run", Counter())
    with workdir() as tmp:
        path = tmp / "fuzz.yaml"
        path.write_bytes(text)
        out = tmp / "out"
        tally[outcome(run_cli(path, out, plots=False), out, [str(path)])] += 1


@given(data=scenario_data())
@settings(max_examples=max(10, EXAMPLES // 8))
@pytest.mark.slow
# matplotlib's font has no CJK or emoji glyphs: it warns and draws boxes (names are fine)
@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_fuzzed_scenarios_with_plots_and_report(
    data: Any, fuzz_tally: dict[str, Counter[str]]
) -> None:
    """The whole run folder, plots and report included, for names and numbers of every kind."""
    tally = fuzz_tally.setdefault("scenarios through wom run, with plots", Counter())
    with workdir() as tmp:
        path = tmp / "fuzz.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        out = tmp / "out"
        tally[outcome(run_cli(path, out, plots=True), out, [str(path)])] += 1


# ---------------------------------------------------------------------------- graph files

NODES = st.sampled_from(["1", "2", "3", "4", "5", "6", "a", "b", "007", "7", "ü"])


@st.composite
def edge_lines(draw: st.DrawFn) -> list[str]:
    """Edge lines, with self-loops, repeats, comments, blanks and now and then a bad line."""
    lines = []
    for _ in range(draw(st.integers(0, 14)) if rarely(draw, 10) else draw(st.integers(1, 14))):
        u, v = draw(NODES), draw(NODES)
        good = [f"{u} {v}", f"{u}\t{v}", f"{u} {u}", f"{u} {v} 0.5", f"# {u} {v}", "", "   ",
                f"% {u}", f"{u}  {v}"]
        bad = [f"{u}", f"{u},{v}", f"{u};{v}", f'"{u}",{v}']
        lines.append(draw(st.sampled_from(bad if rarely(draw, 15) else good)))
    return lines


#: Header rows a hand-made edge list or labels file starts with: never people or segments.
HEADER_WORDS = [("person", "segment"), ("node", "community"), ("source", "target"),
                ("id", "label"), ("from", "to")]


@st.composite
def graph_files(draw: st.DrawFn) -> tuple[str, bytes, bytes | None]:
    """(suffix, graph file bytes, labels file bytes or None)."""
    fmt = draw(st.sampled_from(["edgelist", "csv", "gml", "graphml", "edgelist", "binary"]))
    lines = draw(edge_lines())
    pairs = [ln.split()[:2] for ln in lines if len(ln.split()) >= 2 and ln[0] not in "#%"]
    nodes = sorted({x for pair in pairs for x in pair})
    if fmt == "binary":
        return ".txt", draw(st.binary(max_size=200)), None
    if fmt == "edgelist":
        header = draw(st.sampled_from([""] * 6 + [f"{a}{sep}{b}\n" for a, b in HEADER_WORDS
                                                  for sep in (" ", "\t")]))
        suffix, body = ".txt", header + "\n".join(lines)
    elif fmt == "csv":
        header = draw(st.sampled_from(["", "source,target\n", "a,b,c\n"]))
        suffix = ".csv"
        body = header + "\n".join(ln.replace(" ", ",").replace("\t", ",") for ln in lines)
    elif fmt == "gml":
        suffix = ".gml"
        ids = {x: i for i, x in enumerate(nodes)}
        end = draw(st.sampled_from(["]\n", "", "]]\n", "] [\n"])) if rarely(draw, 10) else "]\n"
        body = "graph [\n" + "".join(
            f'  node [ id {ids[x]} label "{x}" dept "{draw(st.sampled_from("AB"))}" ]\n'
            for x in nodes) + "".join(
            f"  edge [ source {ids[a] if not rarely(draw, 30) else 99} target {ids[b]} ]\n"
            for a, b in pairs
        ) + end
    else:
        suffix = ".graphml"
        end = (draw(st.sampled_from(["</graph>", "<graph>", "", "</graph></graphml>>"]))
               if rarely(draw, 10) else "</graph></graphml>")
        body = ('<?xml version="1.0"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
                '<key id="d" for="node" attr.name="dept" attr.type="string"/>'
                '<graph edgedefault="undirected">'
                + "".join(f'<node id="{x}"><data key="d">{draw(st.sampled_from("AB"))}</data>'
                          "</node>" for x in nodes)
                + "".join(f'<edge source="{a}" target="{b}"/>' for a, b in pairs)
                + end)
    data = body.encode("utf-8")
    if rarely(draw, 20):  # garbage spliced in
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    labels = None
    if draw(st.booleans()):
        known = nodes + draw(st.lists(NODES, max_size=2))  # some unknown to the graph
        rows = [f"{x}{draw(st.sampled_from(['\t', ' ', '\t ']))}{draw(st.sampled_from('AAB'))}"
                if not rarely(draw, 30) else x  # a line without a segment
                for x in known if not rarely(draw, 20)]  # some nodes left out
        header = draw(st.sampled_from([""] * 4 + [f"{a}{sep}{b}\n" for a, b in HEADER_WORDS
                                                  for sep in ("\t", " ")]))
        labels = (header + "\n".join(rows)).encode("utf-8")
        if rarely(draw, 10):
            labels = b"\xef\xbb\xbf" + labels  # a byte-order mark
    return suffix, data, labels


@pytest.mark.slow
@given(graph=graph_files(), how=st.sampled_from(["labels", "louvain", "attribute"]),
       focus=st.sampled_from([None, "A", "B", "community-1"]),
       mismatch=st.sampled_from([False] * 9 + [True]))
@settings(max_examples=EXAMPLES)
def test_fuzzed_graph_files_run_or_exit_2(
    graph: tuple[str, bytes, bytes | None], how: str, focus: str | None, mismatch: bool,
    fuzz_tally: dict[str, Counter[str]],
) -> None:
    tally = fuzz_tally.setdefault("graph files through wom run", Counter())
    suffix, data, labels = graph
    if how == "attribute" and suffix not in (".gml", ".graphml") and not mismatch:
        how = "labels"  # an attribute is read from GML and GraphML only
    with workdir() as tmp:
        graph_path = tmp / f"graph{suffix}"
        graph_path.write_bytes(data)
        spec: dict[str, Any] = {"path": graph_path.name}
        names = [str(graph_path)]
        if how == "labels" and labels is not None:
            (tmp / "labels.txt").write_bytes(labels)
            spec["labels"] = "labels.txt"
            names.append(str(tmp / "labels.txt"))
        elif how == "attribute":
            spec["attribute"] = "dept"
        strategies: list[dict[str, Any]] = [{"name": "broad", "kind": "broad",
                                             "seeding": "random"}]
        if focus is not None:
            strategies.append({"name": "focused", "kind": "focused", "segment": focus})
        scenario = {
            "name": "fuzz-graph", "horizon": 3, "replicates": 2,
            "network": {"model": "file", "file": spec},
            "segments": {"references": 1},
            "budget": {"total": 500, "cost_per_seed": 100, "cost_per_contact": 5,
                       "campaign_weeks": 2},
            "strategies": strategies,
        }
        path = tmp / "fuzz.yaml"
        path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
        out = tmp / "out"
        ended = outcome(run_cli(path, out, plots=False), out, [str(path), *names])
        if ended == "ran":  # a header row never became a segment (issue 14, item 4)
            words = {w for pair in HEADER_WORDS for w in pair}
            segments = set(read_run(out).timeseries()["segment"])
            assert not words & segments, segments
        tally[ended] += 1


#: People files' headers with accounts: right, reordered, cased, short of a column.
ACCOUNT_HEADERS = ["person,segment,account,role"] * 4 + [
    "person,segment,account", "person,segment,role", "segment,role,person,account",
    "Person,Segment,Account,Role", "person,segment,account,role,notes", "person,account,role"]
#: Roles as hand-made files write them, and not.
ROLES = st.sampled_from(["", "user", "buyer", "payer", "buyer+payer", '"buyer,payer"',
                         "Buyer / Payer", "user+buyer", "boss", "buyers", "+", "payer payer",
                         "BUYER", "ü"])
ACCOUNT_IDS = st.sampled_from(["", "acme", "bolt", "007", "7", "h1", " ", "ü名"])


@st.composite
def account_files(draw: st.DrawFn) -> tuple[str, bytes, bytes | None, str]:
    """(suffix, graph file bytes, people file bytes or None, how accounts are given): a
    graph whose people buy in accounts, from a people file's `account` and `role` columns
    or from GML/GraphML node attributes (`firm`, `job`); mostly nearly right (accounts
    inside one segment with one buyer and one payer), now and then not."""
    if rarely(draw, 10):  # the edge lists of the test above, bad lines and all
        lines = draw(edge_lines())
    else:  # a graph that reads, so that the accounts are what is tested
        lines = [f"{u} {v}" for u, v in draw(st.lists(st.tuples(NODES, NODES), min_size=1,
                                                      max_size=14)) if u != v] or ["1 2"]
    pairs = [ln.split()[:2] for ln in lines if len(ln.split()) >= 2 and ln[0] not in "#%"]
    nodes = sorted({x for pair in pairs for x in pair})
    extra = draw(st.lists(NODES, max_size=2, unique=True))  # some unknown to the graph
    people = nodes + [x for x in extra if x not in nodes]
    rows: list[dict[str, str]] = []
    if not rarely(draw, 4):  # nearly right
        k = 0
        while k < len(people):
            size = draw(st.integers(1, 4))
            members, segment = people[k:k + size], draw(st.sampled_from("AAB"))
            name = f"acc{k}" if size > 1 or draw(st.booleans()) else ""
            for j, x in enumerate(members):
                alone_pays = len(members) <= 2
                role = ("buyer+payer" if alone_pays else "buyer") if j == 0 else (
                    "payer" if j == 1 and not alone_pays else "user")
                rows.append({"person": x, "segment": segment, "account": name,
                             "role": draw(ROLES) if rarely(draw, 20) else role})
            k += size
    else:
        rows = [{"person": draw(st.sampled_from([*people, ""])) if people else draw(NODES),
                 "segment": draw(st.sampled_from(["A", "B", ""])), "account": draw(ACCOUNT_IDS),
                 "role": draw(ROLES)} for _ in range(draw(st.integers(0, 12)))]
    how = draw(st.sampled_from(["labels", "labels", "attribute"]))
    if how == "labels":
        header = draw(st.sampled_from(ACCOUNT_HEADERS))
        sep = draw(st.sampled_from([",", ",", ";", "\t"]))
        names = header.lower().split(",")
        body = [sep.join(names if header == header.lower() else header.split(","))]
        body += [sep.join(r.get(c, "x") for c in names) for r in rows]
        return ".txt", "\n".join(lines).encode("utf-8"), "\n".join(body).encode("utf-8"), how
    # node attributes (the people file's extra people are left out: attributes are the graph's)
    of = {r["person"]: r for r in rows}
    fmt = draw(st.sampled_from(["gml", "graphml"]))
    ids = {x: i for i, x in enumerate(nodes)}
    if fmt == "gml":
        def node(x: str) -> str:
            r = of.get(x, {})
            extra = "".join(f' {k} "{r[c]}"' for k, c in (("firm", "account"), ("job", "role"))
                            if r.get(c) and '"' not in r[c])
            return f'  node [ id {ids[x]} label "{x}" dept "{r.get("segment") or "A"}"{extra} ]\n'
        body = ("graph [\n" + "".join(node(x) for x in nodes)
                + "".join(f"  edge [ source {ids[a]} target {ids[b]} ]\n" for a, b in pairs)
                + "]\n")
        return ".gml", body.encode("utf-8"), None, how
    def data(x: str) -> str:
        r = of.get(x, {})
        return "".join(f'<data key="{k}">{r[c]}</data>' for k, c in
                       (("d", "segment"), ("f", "account"), ("j", "role")) if r.get(c))
    body = ('<?xml version="1.0"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
            '<key id="d" for="node" attr.name="dept" attr.type="string"/>'
            '<key id="f" for="node" attr.name="firm" attr.type="string"/>'
            '<key id="j" for="node" attr.name="job" attr.type="string"/>'
            '<graph edgedefault="undirected">'
            + "".join(f'<node id="{x}">{data(x)}</node>' for x in nodes)
            + "".join(f'<edge source="{a}" target="{b}"/>' for a, b in pairs)
            + "</graph></graphml>")
    return ".graphml", body.encode("utf-8"), None, how


@pytest.mark.slow
@given(files=account_files(),
       block=st.sampled_from([None] * 5 + [{"strength": 2.0}] * 3 + [
           {"size": 3}, {"buyer_is_payer": 0.5}, {"strength": -1}]),
       aim=st.sampled_from([None] * 4 + [{"buyer": 0.5, "payer": 0.5}] * 3 + [
           {"boss": 1.0}, {"user": 0.5}]))
@settings(max_examples=EXAMPLES)
def test_fuzzed_graph_files_with_accounts_run_or_exit_2(
    files: tuple[str, bytes, bytes | None, str], block: dict[str, Any] | None,
    aim: dict[str, float] | None, fuzz_tally: dict[str, Counter[str]],
) -> None:
    """A graph file's accounts and roles, right or wrong, run or are refused cleanly."""
    tally = fuzz_tally.setdefault("graph files with accounts through wom run", Counter())
    suffix, data, people, how = files
    with workdir() as tmp:
        graph_path = tmp / f"graph{suffix}"
        graph_path.write_bytes(data)
        spec: dict[str, Any] = {"path": graph_path.name}
        names = [str(graph_path)]
        if people is not None:
            (tmp / "people.csv").write_bytes(people)
            spec["labels"] = "people.csv"
            names.append(str(tmp / "people.csv"))
        else:
            spec.update(attribute="dept", account_attribute="firm", role_attribute="job")
        segments: dict[str, Any] = {"references": 1}
        if block is not None:
            segments["accounts"] = block
        strategy: dict[str, Any] = {"name": "broad", "kind": "broad", "seeding": "random"}
        if aim is not None:
            strategy["aim"] = aim
        scenario = {
            "name": "fuzz-accounts", "horizon": 3, "replicates": 2,
            "network": {"model": "file", "file": spec}, "segments": segments,
            "budget": {"total": 500, "cost_per_seed": 100, "cost_per_contact": 5,
                       "campaign_weeks": 2},
            "strategies": [strategy, {"name": "focused", "kind": "focused", "segment": "A"}],
        }
        path = tmp / "fuzz.yaml"
        path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
        out = tmp / "out"
        ended = outcome(run_cli(path, out, plots=False), out, [str(path), *names])
        if ended == "ran":
            run = read_run(out)
            assert run.scenario.has_accounts  # the file's accounts were read, not dropped
        tally[f"{ended} ({how})"] += 1


# ---------------------------------------------------------------------------- found by fuzzing

TINY = """\
name: fuzz
horizon: 2
replicates: 1
segments:
- {name: seg0, size: 17}
- {name: seg1, size: 1}
network: {model: planted_partition, mean_degree: 1.0, mixing: 0.1}
budget: {total: 100, cost_per_seed: 100, cost_per_contact: 5, seed_share: 0.5}
strategies:
- {name: s0, kind: focused, segment: seg0}
"""
#: Inputs that once crashed ``wom run``: the YAML changes, and the key a refusal names (None:
#: it must run).
FOUND: dict[str, tuple[list[tuple[str, str]], str | None]] = {
    # 1e-300 per contact: 1e302 contacts overflowed int64 (RuntimeWarning, then garbage).
    "cost-far-below-the-budget": ([("cost_per_contact: 5", "cost_per_contact: 1.0e-300")],
                                  "budget.cost_per_contact"),
    "budget-far-above-the-costs": ([("total: 100", "total: 1.0e+308")],
                                   "budget.cost_per_seed"),
    "segment-cost-far-below-the-budget": ([("size: 1}", "size: 1, cost_per_seed: 1.0e-300}")],
                                          "segments[1].cost_per_seed"),
    # every tie leaves; seg1 cannot take seg0's 17: the fitting of cross-segment ties ran
    # off to inf·0 = NaN (overflow warning), and a block probability of 1e-300 divided by
    # log(1 − p) = 0 (ZeroDivisionError in the compiled sampler)
    # a control character in a name: matplotlib warned of a missing glyph mid-plot; a lone
    # surrogate ("\ud800") could not be written to the UTF-8 tables
    "control-character-in-a-strategy-name": ([("name: s0", 'name: "\\x1f"')],
                                             "strategies[0].name"),
    "surrogate-in-a-segment-name": ([("name: seg1", 'name: "a\\ud800"')], "segments[1].name"),
    "control-character-in-the-scenario-name": ([("name: fuzz", 'name: "two\\nlines"')],
                                               "name"),
    # ... and in a description, the report could not be written (UnicodeEncodeError)
    "surrogate-in-the-description": ([("horizon: 2", 'horizon: 2\ndescription: "\\ud83d"')],
                                     "description"),
    "surrogate-in-a-key": ([("horizon: 2", 'horizon: 2\n"\\udc80x": 1')], "\\udc80x"),
    # a vanishing word of mouth: the greedy seeding's cascades turned a geometric skip past
    # int64 into a wild index (segmentation fault)
    "greedy-seeds-vanishing-word-of-mouth": (
        [("horizon: 2", "horizon: 4\ndynamics: {word_of_mouth: 1.0e-300}"),
         ("total: 100", "total: 1000"), ("segment: seg0}", "segment: seg0, seeding: greedy}")],
        None),
    "greedy-seeds-vanishing-resonance": (
        [("horizon: 2", "horizon: 4\ndynamics: {generic_resonance: 1.0e-300}"),
         ("total: 100", "total: 1000"),
         ("kind: focused, segment: seg0}", "kind: broad, seeding: greedy, greedy_runs: 3}")],
        None),
    "mean-degree-beyond-a-million": ([("mean_degree: 1.0", "mean_degree: 1.0e+308")],
                                     "network.mean_degree"),
    "mixing-1-big-next-to-tiny": ([("mixing: 0.1", "mixing: 1.0")], None),
    "mixing-1-three-segments": ([("mixing: 0.1", "mixing: 1.0"),
                                 ("- {name: seg1, size: 1}",
                                  "- {name: seg1, size: 1}\n- {name: seg2, size: 1}"),
                                 ("size: 17}", "size: 3}")], None),
}


@pytest.mark.parametrize("case", list(FOUND))
def test_inputs_found_by_fuzzing(tmp_path: Path, case: str) -> None:
    changes, key = FOUND[case]
    text = TINY
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "found.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli(path, out, plots=False)
    assert outcome(result, out, [str(path)]) == ("ran" if key is None else "refused")
    if key is not None:
        assert f"{key}: " in result.stderr
    if "control-character" in case:
        assert "control character" in result.stderr
    if "surrogate" in case:
        assert "lone surrogate" in result.stderr


@pytest.mark.parametrize("p", [1e-300, 5e-324, 1e-17])
def test_tie_sampler_takes_a_vanishing_probability(p: float) -> None:
    import numpy as np

    from wom.market import gnp_block

    rng = np.random.default_rng(0)
    for other in (0, 10):  # inside one block, between two
        u, v = gnp_block(0, 10, other, 10, p, rng)
        assert u.size == v.size == 0
