"""report.html: self-contained, from the run folder alone, every user string escaped."""

from __future__ import annotations

import base64
import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import wom
from helpers import small_scenario
from wom.cli import main
from wom.store import read_run
from wom.viz.numbers import as_counts
from wom.viz.report import summary_table, write_report
from wom.viz.words import describe_scenario, lesson

SEGMENTS = [
    {"name": "a", "size": 150, "tam": 0.8, "incumbent": 0.1, "early_market": 0.3,
     "references": 1},
    {"name": "b", "size": 120},
    {"name": "c", "size": 180, "tam": 0.5},
]
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       '<rect width="10" height="10" fill="red"/></svg>')


def make_run(folder: Path, **overrides) -> Path:
    """Run a small scenario (4 replicates, 8 weeks, one worker) into `folder`."""
    sc = small_scenario(segments=SEGMENTS, horizon=8, replicates=4, seed=5, **overrides)
    results = wom.run(sc, workers=1)
    results.meta["command"] = "wom run small.yaml --replicates 4"
    return wom.save(results, folder)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = make_run(tmp_path_factory.mktemp("report") / "run")
    # Images the report must pick up whatever the plots module writes.
    from wom.viz import snapshot_figure

    snapshot_figure(read_run(folder).scenario, "focused", 3, dpi=40).savefig(
        folder / "snapshot.png")
    (folder / "sketch.svg").write_text(SVG, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def page(run_dir) -> str:
    path = write_report(run_dir)
    assert path == run_dir / "report.html"
    return path.read_text(encoding="utf-8")


def test_report_has_the_strategies_and_both_tables(run_dir, page):
    assert page.startswith("<!DOCTYPE html>")
    for name in ("focused", "broad"):
        assert f"<td class=\"t\">{name}</td>" in page
    assert page.count("<table>") == 4  # the summary in three tables, the comparison
    summary = pd.read_csv(run_dir / "summary.csv").set_index("strategy")
    for name in ("focused", "broad"):
        row = summary.loc[name]
        assert f"<td>{row.customers_mean:,.1f}</td>" in page
        assert f"<td>{row.customers_lo:,.1f}</td>" in page
        assert f"<td>{row.wom_share_mean:.1%}</td>" in page
    comparison = pd.read_csv(run_dir / "comparison.csv")
    diff = comparison[comparison.metric == "customers"].iloc[0]
    assert f"<td>{diff.diff_mean:+,.1f}</td>" in page


def test_every_image_is_embedded(run_dir, page):
    pngs = sorted(run_dir.glob("*.png"))
    assert run_dir / "snapshot.png" in pngs
    for png in pngs:
        assert base64.b64encode(png.read_bytes()).decode("ascii") in page, png.name
        assert png.name in page
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(embedded) == len(pngs)
    assert base64.b64decode(embedded[0])[:8] == b"\x89PNG\r\n\x1a\n"
    svg = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    assert [base64.b64decode(s).decode() for s in svg] == [SVG]


def test_report_is_self_contained(page):
    assert "http://" not in page  # not even the SVG's namespace: it is base64 inside
    assert "https://" not in page
    assert "<script" not in page and "<link" not in page
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources and all(s.startswith("data:") for s in sources)


def test_lesson_names_the_winner_and_the_ratio(run_dir, page):
    summary = pd.read_csv(run_dir / "summary.csv").sort_values("customers_mean")
    loser, winner = summary.iloc[0], summary.iloc[1]
    sentence = lesson(read_run(run_dir))
    assert sentence.startswith(f"{winner.strategy} won ")
    assert f"the customers of {loser.strategy} at the same budget of 3,000" in sentence
    ratio = float(re.search(r"won ([0-9.]+)×", sentence).group(1))
    assert ratio == pytest.approx(winner.customers_mean / loser.customers_mean, abs=0.051)
    assert f"{winner.wom_share_mean:.0%} came by word of mouth" in sentence
    assert "over 4 replicates" in sentence
    assert sentence.endswith(".") and sentence.count(". ") == 0  # one sentence
    assert f'<p class="lesson">{sentence}</p>' in page


def test_lesson_is_honest_about_the_interval(run_dir):
    run = read_run(run_dir)
    summary = run.summary().sort_values("customers_mean", ascending=False)
    w, r = summary.strategy.iloc[0], summary.strategy.iloc[1]

    def with_interval(lo: float, hi: float) -> str:
        cmp = run.comparison().copy()
        rows = cmp.metric == "customers"
        # Stored as a − b; flip when the winner is b.
        sign = 1.0 if cmp.loc[rows, "a"].iloc[0] == w else -1.0
        cmp.loc[rows, "diff_lo"], cmp.loc[rows, "diff_hi"] = sorted([sign * lo, sign * hi])
        return lesson(dataclasses.replace(run, comparison_table=cmp))

    clear = with_interval(2.0, 9.0)
    # Both means are 10 or more here, so whole people, as the counts compared are written.
    assert "the paired 95% interval of the difference, +2 to +9 customers, excludes zero" \
        in clear
    unclear = with_interval(-3.0, 9.0)
    assert "-3 to +9 customers, includes zero" in unclear
    assert "cannot tell them apart" in unclear
    assert w in unclear and r in unclear
    none = with_interval(float("nan"), float("nan"))
    assert "no interval" in none


def test_reproduce_command_and_versions(run_dir, page):
    assert "<pre>wom run small.yaml --replicates 4</pre>" in page
    assert "wom run scenario.yaml --seed 5 --replicates 4" in page
    assert "numpy" in page and "Python" in page
    given = write_report(run_dir, command="wom run x.yaml --seed 5").read_text(encoding="utf-8")
    assert "<pre>wom run x.yaml --seed 5</pre>" in given
    assert "small.yaml" not in given


def test_the_reproduce_command_reproduces_beside_the_folder(run_dir, page, monkeypatch):
    # Run as the report says, from the folder: the same tables, in a sibling folder (by
    # default it nested results/ inside the run folder: new-user trial)
    again = re.search(r"<pre>(wom run scenario\.yaml [^<]*)</pre>", page)
    assert again is not None
    assert again.group(1).endswith("--out ../run-again")
    monkeypatch.chdir(run_dir)
    result = CliRunner().invoke(main, [*again.group(1).split()[1:], "--quiet"])
    assert result.exit_code == 0, result.output
    made = run_dir.parent / "run-again"
    assert (made / "summary.csv").read_bytes() == (run_dir / "summary.csv").read_bytes()
    assert not (run_dir / "results").exists()


def test_scenario_in_words():
    sc = small_scenario(segments=SEGMENTS, replicates=4, seed=5)
    words = " ".join(describe_scenario(sc))
    assert "3 segments (a, b and c) of 120 to 180 people, 450 people in all" in words
    assert "planted partition: 8 ties per person on average, 15%" in words
    assert "same budget of 3,000: 40% on seeds" in words
    assert "focused: everything on a, with a message tailored to it" in words
    assert "broad: the budget split over all segments by size, with the generic message" \
        in words
    assert "4 replicates of 12 weeks from seed 5" in words


def test_the_incumbent_is_described_where_it_is():
    """Only segment a has an incumbent: the words must not say every segment has one."""
    one = " ".join(describe_scenario(small_scenario(segments=SEGMENTS)))
    assert "part of each segment" not in one
    assert "An incumbent already holds 10% of a (15 people)" in one
    assert "they count in its TAM but never buy" in one
    both = [{**s, "incumbent": 0.1} for s in SEGMENTS[:2]] + [
        {**SEGMENTS[2], "incumbent": 0.2}]
    every = " ".join(describe_scenario(small_scenario(segments=both)))
    assert "An incumbent already holds 10% of a (15 people), 10% of b (12 people) and 20% of c " \
        "(36 people)" in every
    alike = " ".join(describe_scenario(small_scenario(segments=[
        {"name": n, "size": 100, "incumbent": 0.1} for n in "abc"])))
    assert "An incumbent already holds 10% of every segment (10 people in each)" in alike
    none = " ".join(describe_scenario(small_scenario(segments=[{"name": "a", "size": 100}])))
    assert "incumbent" not in none


def test_missing_numbers_are_shown_as_such():
    df = pd.DataFrame({"strategy": ["x"], "customers_mean": [0.0],
                       "weeks_to_ignite_mean": [float("nan")],
                       "cost_per_customer_mean": [float("nan")]})
    html = summary_table(df)
    assert "<td>never</td>" in html and "<td>—</td>" in html and "nan" not in html


def test_user_strings_are_escaped(tmp_path):
    folder = make_run(
        tmp_path / "run",
        description="<script>alert(1)</script>",
        strategies=[
            {"name": "<b>x</b>", "kind": "focused", "segment": "a"},
            {"name": "broad & co", "kind": "broad", "seeding": "random"},
        ],
    )
    page = write_report(folder, command="wom run '<i>.yaml'").read_text(encoding="utf-8")
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "broad & co" not in page and "broad &amp; co" in page
    assert "<i>" not in page and "&lt;i&gt;" in page


def test_a_newly_registered_rule_kind_and_model_are_described_from_their_docstrings():
    """A contributor's new seeding rule, strategy kind or graph model must not crash the
    report (it used to be a KeyError after the whole run) nor be described as another."""
    from wom.campaign.seeding import seed_hubs
    from wom.campaign.strategies import broad
    from wom.config import GRAPH_MODELS, SEEDING_RULES, STRATEGY_KINDS
    from wom.market.partition import erdos_renyi

    def far(ctx, candidates, k):
        """The candidates with the fewest ties."""
        return seed_hubs(ctx, candidates, k)

    def everywhere(spec, sc, pop, rng):
        """Everything everywhere at once."""
        return broad(spec, sc, pop, rng)

    def ring(sc, seg_start, rng):
        """A ring of everyone."""
        return erdos_renyi(sc, seg_start, rng)

    SEEDING_RULES.register("far")(far)
    STRATEGY_KINDS.register("everywhere")(everywhere)
    GRAPH_MODELS.register("ring")(ring)
    try:
        sc = small_scenario(network={"model": "ring", "mean_degree": 4},
                            strategies=[{"name": "x", "kind": "everywhere", "seeding": "far"}])
        text = " ".join(describe_scenario(sc))
        assert "x (everywhere): everything everywhere at once" in text
        assert "people picked by the far rule (the candidates with the fewest ties)" in text
        assert "ring (a ring of everyone)" in text
    finally:
        for registry, name in ((SEEDING_RULES, "far"), (STRATEGY_KINDS, "everywhere"),
                               (GRAPH_MODELS, "ring")):
            registry.unregister(name)


NOTES = """# LESSON — Focus beats spreading <thin> & wide.
#
# Early adopters need no proof; the others want one reference
# from their own segment first.
#
# WHAT TO SEE: focused wins; broad ignites nothing.
"""


def test_the_report_carries_the_scenario_files_lesson(tmp_path):
    """`wom run FILE` keeps the file's opening comments (LESSON / WHAT TO SEE) atop the run
    folder's scenario.yaml, and the report shows them, escaped."""
    data = yaml.safe_load(small_scenario(horizon=6, replicates=2).to_yaml())
    scenario = tmp_path / "taught.yaml"
    scenario.write_text(NOTES + "\n" + yaml.safe_dump(data, sort_keys=False)
                        + "# a comment further down is not part of the lesson\n",
                        encoding="utf-8")
    out = tmp_path / "run"
    done = CliRunner().invoke(main, ["run", str(scenario), "-w", "1", "-q", "--out", str(out)])
    assert done.exit_code == 0, done.output
    kept = (out / "scenario.yaml").read_text(encoding="utf-8")
    assert kept.startswith(NOTES)
    assert "further down" not in kept
    assert wom.load_scenario(out / "scenario.yaml") == wom.load_scenario(scenario)
    run = read_run(out)
    assert run.notes == NOTES
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Focus beats spreading &lt;thin&gt; &amp; wide." in page
    assert ("Early adopters need no proof; the others want one reference from their own "
            "segment first.") in page
    assert "focused wins; broad ignites nothing." in page
    assert page.index("Focus beats spreading") < page.index("<h2>The scenario</h2>")
    # Rerunning the folder's scenario.yaml keeps them again.
    again = tmp_path / "again"
    done = CliRunner().invoke(main, ["run", str(out / "scenario.yaml"), "-w", "1", "-q",
                                     "--out", str(again)])
    assert done.exit_code == 0, done.output
    assert read_run(again).notes == NOTES


def test_a_scenario_without_opening_comments_has_no_lesson_section(run_dir, page):
    assert read_run(run_dir).notes == ""
    assert "What the scenario teaches" not in page


def test_counts_compared_are_written_to_one_precision():
    assert as_counts(167.4, 61.1) == ("167", "61")
    assert as_counts(1885.3, 67.9) == ("1,885", "68")
    assert as_counts(12.4, 6.25) == ("12.4", "6.2")
    assert as_counts(450.0, 0.5) == ("450.0", "0.5")


def test_the_lesson_writes_both_counts_alike(run_dir):
    run = read_run(run_dir)
    summary = run.summary().copy()
    summary["customers_mean"] = summary["customers_mean"].where(
        summary.customers_mean < summary.customers_mean.max(), 167.4)
    summary["customers_mean"] = summary["customers_mean"].where(
        summary.customers_mean == 167.4, 61.1)
    sentence = lesson(dataclasses.replace(run, summary_table=summary))
    assert "(167 against 61 on average" in sentence
    interval = re.search(r"difference, ([^ ]+) to ([^ ]+) customers", sentence)
    assert interval and "." not in interval.group(1) + interval.group(2)


def test_the_summary_table_fits_the_page_with_its_percentiles(page):
    """Every table fits the page's width at its columns' minimum width, and the summary
    shows the 5th and 95th percentiles of customers."""
    width = float(re.search(r"main\{max-width:([0-9.]+)rem", page).group(1))
    column = float(re.search(r"th\{[^}]*min-width:([0-9.]+)rem", page).group(1))
    tables = re.findall(r"<table>.*?</table>", page, flags=re.S)
    assert tables
    for table in tables:
        header = re.search(r"<thead>(.*?)</thead>", table, flags=re.S).group(1)
        assert header.count("<th") * column <= width, header
    summary = tables[0]
    assert "5th percentile" in summary and "95th percentile" in summary


def _cut(text: bytes) -> bytes:
    return text[: len(text) // 3]


def _columns_reversed(text: bytes) -> bytes:
    head, _, rest = text.partition(b"\n")
    return b",".join(reversed(head.split(b","))) + b"\n" + rest


@pytest.mark.parametrize(("name", "damage", "words"), [
    ("manifest.json", lambda t: b"{bad", "not a manifest wom wrote"),
    ("manifest.json", lambda t: b"[1, 2]", "not a JSON object"),
    ("summary.csv", lambda t: b"", "not a table wom wrote"),
    ("summary.csv", lambda t: t + b"caf\xe9", "not a table wom wrote"),
    ("comparison.csv", lambda t: b"a,b\n", "not a table wom wrote"),
    ("scenario.yaml", lambda t: b": [", "not a scenario wom wrote"),
    ("scenario.yaml", lambda t: b"\xff\xfe\x00", "not a scenario wom wrote"),
    ("timeseries.csv", lambda t: bytes(range(256)) * 12, "not a table wom wrote"),
    ("timeseries.csv", _cut, "cut short or edited"),
    ("timeseries.csv", _columns_reversed, "not a table wom wrote"),
    # (these wrote a report of the wrong strategies, or raised IndexError, KeyError …)
    ("summary.csv", lambda t: b"\n".join(t.split(b"\n")[:2]) + b"\n", "strategies focused"),
    ("summary.csv", lambda t: t.split(b"\n")[0] + b"\n", "cut short or edited"),
    ("summary.csv", lambda t: t.replace(b"broad", b"broadX"), "strategies focused, broadX"),
    ("summary.csv", lambda t: t.replace(b"customers_mean", b"x", 1), "no column customers_mean"),
    ("comparison.csv", lambda t: t.replace(b"focused", b"focusedX"), "pairs of strategies"),
    ("comparison.csv", lambda t: t.replace(b"p_a_beats_b", b"p"), "no column p_a_beats_b"),
    ("manifest.json", lambda t: t.replace(b'"graph": {', b'"graph": [1], "x": {'),
     "edited or damaged"),
    ("manifest.json", lambda t: b"[" * 100_000 + b"]" * 100_000, "not a manifest wom wrote"),
], ids=["manifest-not-json", "manifest-a-list", "summary-empty", "summary-latin-1",
        "comparison-columns", "scenario-not-yaml", "scenario-not-utf8", "timeseries-binary",
        "timeseries-cut", "timeseries-columns-reversed", "summary-row-deleted",
        "summary-header-only", "summary-strategy-renamed", "summary-column-renamed",
        "comparison-strategy-renamed", "comparison-column-renamed", "manifest-graph-a-list",
        "manifest-nested-deep"])
def test_a_damaged_run_folder_is_named_not_a_traceback(run_dir, tmp_path, name, damage, words):
    # `wom plot` and `wom report` gave JSONDecodeError, EmptyDataError, UnicodeDecodeError,
    # "the timeseries has no strategy broad" … with exit status 1 (breaker trial)
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder)
    (folder / name).write_bytes(damage((folder / name).read_bytes()))
    # (the report is written from the small tables: it reads no timeseries)
    for command in ("plot", "report") if name != "timeseries.csv" else ("plot",):
        result = CliRunner().invoke(main, [command, str(folder)])
        assert result.exit_code == 2, (command, result.output)
        named = folder if words == "edited or damaged" else folder / name  # (the last net)
        assert f"{named}: " in result.stderr and words in result.stderr, result.stderr
        assert "Traceback" not in result.output


def test_a_report_that_cannot_be_written_is_named(run_dir, tmp_path, monkeypatch):
    # `wom report` on a full disk said only "No space left on device" (re-check)
    import errno
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run_dir, folder)
    before = sorted(p.name for p in folder.iterdir())

    def full(self, *args, **kwargs):
        open(self, "w").close()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    result = CliRunner().invoke(main, ["report", str(folder)])
    assert result.exit_code == 2
    assert result.stderr == f"error: No space left on device: {folder / 'report.html'}\n"
    assert sorted(p.name for p in folder.iterdir()) == before


def test_fitted_values_are_described_as_estimates_with_the_draws_the_run_used(tmp_path):
    """A scenario written by wom fit: its values are estimates, each replicate runs with a
    draw of its own, and the report says so with the span of the draws the run used (not
    of draws it never reached: 4 replicates use the first 4 of 8)."""
    draws = {"dynamics.word_of_mouth": [0.01, 0.02, 0.03, 0.04, 0.5, 0.6, 0.7, 0.8],
             "dynamics.talk_weeks": [1, 2, 3, 4, 5, 6, 7, 8]}
    sc = small_scenario(replicates=4, uncertainty={"draws": draws, "source": "wom fit of x.csv"})
    words = describe_scenario(sc)[-1]
    # the estimate with the fit's interval over all its draws; then the span of those used,
    # as values among them (a whole-number key stays whole)
    assert words.startswith("Fitted values, estimated by wom fit of x.csv (95% intervals over "
                            "its 8 draws): dynamics.word_of_mouth 0.15 (0.01–0.8) and "
                            "dynamics.talk_weeks 2 (1–8). Each replicate ran with a draw of "
                            "them from the fit's 8 instead of the value written above "
                            "(replicate i with draw i mod 8); the middle 95% of the values "
                            "this run's 4 replicates used: dynamics.word_of_mouth 0.01 to 0.04 "
                            "and dynamics.talk_weeks 1 to 4."), words
    # more replicates than draws: every draw, some twice
    again = describe_scenario(sc.model_copy(update={"replicates": 20}))[-1]
    assert "this run's 20 replicates used: dynamics.word_of_mouth 0.01 to 0.8" in again
    # the interval the fit reported, when it wrote it: the same numbers as the fit's report
    # (new-user trial: the run's report gave the draws' own, a third "95%" range)
    told = sc.uncertainty.model_copy(update={"intervals": {
        "dynamics.word_of_mouth": [0.0123456, 0.75], "dynamics.talk_weeks": [1, 7]}})
    quoted = describe_scenario(sc.model_copy(update={"uncertainty": told}))[-1]
    assert quoted.startswith("Fitted values, estimated by wom fit of x.csv (the 95% intervals "
                             "it reported): dynamics.word_of_mouth 0.15 (0.0123–0.75) and "
                             "dynamics.talk_weeks 2 (1–7)."), quoted
    plain = " ".join(describe_scenario(small_scenario(replicates=4)))
    assert "Fitted" not in plain and "instead of the value written" not in plain
    # the dynamics paragraph gives a fitted value as the estimate it is, in three figures
    # (new-user trial: "probability 0.103795"), and written values as written
    fit = sc.model_copy(update={"dynamics": sc.dynamics.model_copy(
        update={"word_of_mouth": 0.1037953, "marketing": 0.0123456})})
    said = " ".join(describe_scenario(fit))
    assert "converts a neighbour with probability 0.104 (fitted) when" in said, said
    assert "buys with probability 0.0123456 at full resonance" in said, said
    # a whole-number key too (breaker trial: talk_weeks was not marked)
    assert " talking for 2 weeks (fitted) after buying" in said, said
    # three figures below 1,000; whole units, with their separators, above (breaker trial:
    # 12345.678 was written 12300)
    from wom.viz.fitwords import drawn

    assert [drawn(x) for x in (12345.678, 1234567.8, 12345.0, 0.0974, 1e-7, 4.5)] == [
        "12,346", "1,234,568", "12,345", "0.0974", "0.0000001", "4.5"]
    folder = wom.save(wom.run(sc, workers=1), tmp_path / "run")
    html = (folder / "report.html").read_text()
    assert "instead of the value written above" in html
