"""Plots of a run: every figure from a live run and from its folder read back, checked through
the matplotlib objects (labels, titles, legends, plotted values), and the files plot_run writes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D

import wom
from wom.errors import WomError
from wom.store import pair
from wom.viz.plots import plot_adoption, plot_run
from wom.viz.spread import (
    adoption_figure,
    causes_figure,
    differences_figure,
    penetration_figure,
    segments_figure,
)
from wom.viz.style import (
    PALETTE,
    SEGMENT_PALETTE,
    compared,
    money_axis,
    save_figure,
    segment_colours,
    strategy_colours,
)

STRATEGIES = ["focused", "broad", "multi"]
SEGMENTS = ["dentists", "lawyers", "vets"]
# round(tam·size), written out: 0.8·150, 1·140, 0.55·130 (71.5 rounds to even).
TAM = {"dentists": 120, "lawyers": 140, "vets": 72}
COMPARED = "focused vs broad vs multi at a budget of 3,000 — 6 replicates"
PLOTS = ["adoption", "segments", "causes", "differences", "penetration"]
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-", "svg": b"<svg"}


def scenario_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "plotted",
        "seed": 11,
        "horizon": 10,
        "replicates": 6,
        "segments": [
            {"name": "dentists", "size": 150, "tam": 0.8, "incumbent": 0.1},
            {"name": "lawyers", "size": 140},
            {"name": "vets", "size": 130, "tam": 0.55},
        ],
        "network": {"mean_degree": 8, "mixing": 0.1},
        "dynamics": {"word_of_mouth": 0.15, "marketing": 0.1},
        "budget": {"total": 3000, "cost_per_seed": 200, "cost_per_contact": 5,
                   "campaign_weeks": 4},
        "strategies": [
            {"name": "focused", "kind": "focused", "segment": "dentists"},
            {"name": "broad", "kind": "broad", "seeding": "random"},
            {"name": "multi", "kind": "multi", "segments": ["dentists", "lawyers"]},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture(scope="module")
def live() -> wom.Results:
    return wom.run(wom.scenario_from_dict(scenario_data()), workers=1)


@pytest.fixture(scope="module")
def folder(live: wom.Results, tmp_path_factory: pytest.TempPathFactory) -> wom.RunFolder:
    out = wom.save(live, tmp_path_factory.mktemp("runs") / "run")
    return wom.read_run(out)


@pytest.fixture(params=["live", "folder"])
def tables(request: pytest.FixtureRequest) -> tuple[pd.DataFrame, pd.DataFrame, wom.Scenario]:
    """(timeseries, comparison, scenario) from a live run or from its folder read back."""
    run = request.getfixturevalue(request.param)
    if isinstance(run, wom.Results):
        return run.timeseries(), run.comparison(), run.scenario
    return run.timeseries(), run.comparison(), run.scenario


def _legend(fig_or_ax: Any) -> list[str]:
    legends = fig_or_ax.legends if hasattr(fig_or_ax, "legends") else [fig_or_ax.get_legend()]
    return [t.get_text() for lg in legends for t in lg.get_texts()]


def _lines(ax: Any, label: str) -> list[Line2D]:
    return [ln for ln in ax.get_lines() if ln.get_label() == label]


def _final_customers(ts: pd.DataFrame) -> pd.Series:
    """Mean over replicates of all customers at the last week, per strategy."""
    last = ts[ts.step == ts.step.max()]
    return last.groupby(["strategy", "replicate"]).adopters.sum().groupby("strategy").mean()


def test_the_fixture_run_has_the_tams_written_out(live):
    # The heatmap's denominators are the TAMs wom actually draws.
    assert dict(zip(SEGMENTS, live.tam.tolist(), strict=True)) == TAM


def test_adoption_figure(tables):
    ts, _, _ = tables
    fig = adoption_figure(ts, STRATEGIES, title="customers over time")
    (ax,) = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("week", "customers (people)")
    assert ax.get_title() == "customers over time"
    assert _legend(ax) == STRATEGIES
    assert "6 replicates" in ax.get_legend().get_title().get_text()
    final = _final_customers(ts)
    for name in STRATEGIES:
        (line,) = _lines(ax, name)
        assert line.get_xdata()[-1] == 9
        assert line.get_ydata()[-1] == pytest.approx(final[name])
    assert [len(c.get_paths()) for c in ax.collections] == [1, 1, 1]  # a band each


def test_the_adoption_band_at_the_horizon_is_the_summarys_spread(live):
    """The band is the 5th to 95th percentiles of the replicates, the spread the summary and
    the terminal give (new-user trial: a 95% band beside a 5th–95th range disagreed)."""
    ts, summary = live.timeseries(), live.summary().set_index("strategy")
    ax = adoption_figure(ts, STRATEGIES).axes[0]
    assert "band: 90%" in ax.get_legend().get_title().get_text()
    for name, band in zip(STRATEGIES, ax.collections, strict=True):
        ys = band.get_paths()[0].vertices[:, 1]
        xs = band.get_paths()[0].vertices[:, 0]
        at_end = ys[xs == xs.max()]
        assert at_end.min() == pytest.approx(summary.loc[name, "customers_p5"])
        assert at_end.max() == pytest.approx(summary.loc[name, "customers_p95"])


def test_one_replicate_promises_no_band_and_no_interval():
    # one replicate has no band and no interval: the legends and titles do not offer them
    one = wom.run(wom.scenario_from_dict(scenario_data(replicates=1)), workers=1)
    ts, cmp, sc = one.timeseries(), one.comparison(), one.scenario
    ax = adoption_figure(ts, STRATEGIES).axes[0]
    assert ax.get_legend().get_title().get_text() == "one replicate:\nno band"
    seg = segments_figure(ts, sc)
    assert [lg.get_title().get_text() for lg in seg.legends] == ["one replicate: no band"]
    title = differences_figure(cmp, sc).axes[0].get_title()
    assert "(one replicate: no interval)" in title and "95%" not in title
    assert "1 replicate" in title and "1 replicates" not in title


def test_adoption_default_title_says_the_budget(tables):
    ts, _, _ = tables
    fig = adoption_figure(ts, STRATEGIES, budget=3000)
    assert fig.axes[0].get_title() == "Customers over time at a budget of 3,000"


def test_segments_figure_has_a_panel_per_segment_with_tam_and_ignition(tables):
    ts, _, sc = tables
    fig = segments_figure(ts, sc)
    assert len(fig.axes) == 3
    assert fig.get_suptitle() == f"plotted: customers per segment — {COMPARED}"
    assert _legend(fig) == [*STRATEGIES, "TAM", "16% of TAM (ignition)",
                            "winnable (TAM − incumbent's customers)"]
    last = ts[ts.step == ts.step.max()].groupby(["strategy", "segment"]).adopters.mean()
    for ax, seg in zip(fig.axes, SEGMENTS, strict=True):
        assert ax.get_title().startswith(f"{seg}\nTAM {TAM[seg]}")
        assert ax.get_xlabel() == "week"
        (tam,) = _lines(ax, "TAM")
        (ignition,) = _lines(ax, "16% of TAM (ignition)")
        assert list(tam.get_ydata()) == [TAM[seg], TAM[seg]]
        assert list(ignition.get_ydata()) == [np.ceil(0.16 * TAM[seg])] * 2
        for name in STRATEGIES:
            (line,) = _lines(ax, name)
            assert line.get_ydata()[-1] == pytest.approx(last[name, seg])
    assert fig.axes[0].get_ylabel() == "customers (people)"


def test_segments_figure_draws_ignition_where_results_count_it_and_what_is_winnable(live):
    # dentists: TAM 120 of which the incumbent holds round(0.1·150) = 15, so 105 can be won.
    # Ignition is counted against the whole TAM (incumbent's customers included), at
    # ⌈0.16·120⌉ = 20 customers: the line must sit where Results counts it, not at 19.2.
    ts, sc = live.timeseries(), live.scenario
    fig = segments_figure(ts, sc)
    dentists, lawyers = fig.axes[0], fig.axes[1]
    (ignition,) = _lines(dentists, "16% of TAM (ignition)")
    assert list(ignition.get_ydata()) == [20, 20]
    # A replicate's segment counts as ignited exactly when its curve reaches the line drawn.
    lines = {seg: _lines(ax, "16% of TAM (ignition)")[0].get_ydata()[0]
             for ax, seg in zip(fig.axes, SEGMENTS, strict=True)}
    final = ts[ts.step == ts.step.max()].pivot_table(
        index=["strategy", "replicate"], columns="segment", values="adopters")
    drawn = (final[SEGMENTS] >= pd.Series(lines)).sum(axis=1)
    counted = live.per_replicate().set_index(["strategy", "replicate"]).segments_ignited
    assert drawn.sort_index().tolist() == counted.sort_index().tolist()
    (winnable,) = _lines(dentists, "winnable (TAM − incumbent's customers)")
    assert list(winnable.get_ydata()) == [105, 105]
    assert "incumbent holds 15" in dentists.get_title()
    # No incumbent in lawyers: no winnable line of its own, and the title says TAM only.
    assert not _lines(lawyers, "winnable (TAM − incumbent's customers)")
    assert lawyers.get_title() == "lawyers\nTAM 140"


def test_panel_titles_do_not_run_into_each_other():
    """The flagship's eight panels titled 'dentists (TAM 1,200; incumbent holds 200)' ran
    into their neighbours' titles (seen in the regenerated example, issue 14 item 16)."""
    import itertools

    sc = wom.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" /
                           "focused-vs-broad.yaml")
    res = wom.run(sc, replicates=2, workers=1)
    fig = segments_figure(res.timeseries(), sc)
    fig.draw_without_rendering()
    boxes = [ax.title.get_window_extent() for ax in fig.axes if ax.get_title()]
    assert len(boxes) == 8
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)


def test_long_panel_names_wrap_inside_their_panel():
    """Segment names with no spaces ran across their neighbours' titles (a new user's trial):
    each title now wraps after its hyphens to its panel's width, and says the whole name."""
    import itertools

    names = [f"segment-number-{i}-with-a-really-long-descriptive-name" for i in range(3)]
    data = scenario_data(replicates=2, horizon=4, segments=[
        {"name": n, "size": 60} for n in names], strategies=[
        {"name": "focused", "kind": "focused", "segment": names[0]},
        {"name": "broad", "kind": "broad"}])
    sc = wom.scenario_from_dict(data)
    fig = segments_figure(wom.run(sc, workers=1).timeseries(), sc)
    fig.draw_without_rendering()
    titles = [ax.title for ax in fig.axes]
    for a, b in itertools.combinations([t.get_window_extent() for t in titles], 2):
        assert not a.overlaps(b), (a, b)
    for name, title in zip(names, titles, strict=True):
        assert title.get_text().count("\n") >= 2  # the name itself broke
        assert title.get_text().split("\nTAM")[0].replace("\n", "") == name
    assert _outside(fig) == []


def test_the_adoption_figure_draws_the_strategies_it_is_given(tables):
    ts, _, _ = tables
    fig = adoption_figure(ts, ["broad", "focused"])
    assert _legend(fig.axes[0]) == ["broad", "focused"]
    final = _final_customers(ts)
    (line,) = _lines(fig.axes[0], "broad")
    assert line.get_ydata()[-1] == pytest.approx(final["broad"])
    with pytest.raises(ValueError, match=r"no strategy nosuch .*it has: focused, broad, multi"):
        adoption_figure(ts, ["focused", "nosuch"])


def test_millions_of_customers_are_written_out_under_the_titles(live):
    """A breaker's trial: titles placed at the top outright were covered by matplotlib's
    "1e6" above the axis once counts reached a million. People are counted in whole numbers
    with thousands separators, never with an offset or a fraction."""
    ts, sc = live.timeseries().copy(), live.scenario
    ts["adopters"] *= 10_000
    for fig in (segments_figure(ts, sc), adoption_figure(ts, STRATEGIES)):
        fig.draw_without_rendering()
        for ax in fig.axes:
            assert ax.yaxis.get_offset_text().get_text() == ""
            labels = [t.get_text() for t in ax.get_yticklabels()]
            assert any("," in label for label in labels), labels
            assert ax.title.get_window_extent().y0 >= ax.bbox.y1
    nobody = live.timeseries().copy()
    nobody["adopters"] = 0
    fig = segments_figure(nobody, sc)
    fig.draw_without_rendering()
    ticks = fig.axes[1].get_yticks()
    assert np.array_equal(ticks, np.round(ticks))  # (was 0.00, 0.25, … 1.00)


def test_an_svg_saved_twice_is_the_same_file(live, tmp_path):
    from wom.viz.style import save_figure

    ts = live.timeseries()
    one = save_figure(adoption_figure(ts, STRATEGIES), tmp_path / "one.svg")
    two = save_figure(adoption_figure(ts, STRATEGIES), tmp_path / "two.svg")
    assert one.read_bytes() == two.read_bytes()


def test_figure_functions_draw_names_as_written_whatever_the_notebook_sets():
    """A breaker's trial: segments_figure on a segment named '$$', called from a script
    without the CLI's setting, raised matplotlib's ParseException; 'large_$x$' came out
    as maths. Every figure function now draws the names as written."""
    import matplotlib

    names = ["$$", "large_$x$"]
    data = scenario_data(replicates=2, horizon=5, segments=[
        {"name": n, "size": 40} for n in names], strategies=[
        {"name": "$f$", "kind": "focused", "segment": "$$"}, {"name": "b", "kind": "broad"}])
    sc = wom.scenario_from_dict(data)
    res = wom.run(sc, workers=1)
    ts = res.timeseries()
    # matplotlib's default, as a notebook has it (the CLI, run in this process by other
    # tests, turns it off for the whole process)
    with matplotlib.rc_context({"text.parse_math": True}):
        for fig in (segments_figure(ts, sc), penetration_figure(ts, sc),
                    causes_figure(ts, sc)):
            fig.draw_without_rendering()
            texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_parse_math"))
                     if "$" in t.get_text()]
            assert texts and not any(t.get_parse_math() for t in texts)
        assert matplotlib.rcParams["text.parse_math"]  # (left as it was)


def test_causes_figure_stacks_seed_marketing_and_word_of_mouth(tables):
    ts, _, sc = tables
    fig = causes_figure(ts, sc)
    assert [ax.get_title() for ax in fig.axes] == STRATEGIES
    assert fig.get_suptitle() == f"plotted: customers by cause (mean) — {COMPARED}"
    assert _legend(fig) == ["seed", "marketing", "word of mouth"]  # nobody won by background
    final = _final_customers(ts)
    seeds = ts.groupby(["strategy", "replicate"]).new_by_seed.sum().groupby("strategy").mean()
    for ax, name in zip(fig.axes, STRATEGIES, strict=True):
        assert ax.get_xlabel() == "week"
        seed, _, wom_layer = [c for c in ax.collections if isinstance(c, PolyCollection)]
        # The bottom layer tops out at the seeds, the whole stack at all customers.
        assert seed.get_paths()[0].vertices[:, 1].max() == pytest.approx(seeds[name])
        assert wom_layer.get_paths()[0].vertices[:, 1].max() == pytest.approx(final[name])
    assert fig.axes[0].get_ylabel() == "customers (people)"


def test_differences_figure_shows_the_comparison_against_the_first(tables):
    _, cmp, sc = tables
    fig = differences_figure(cmp, sc)
    ax = fig.axes[0]
    assert ax.get_title() == ("plotted: customers, focused minus each other strategy "
                              f"(mean, 95% interval)\n{COMPARED}")
    assert ax.get_xlabel() == "difference in customers at the horizon (people)"
    ticks = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
    assert set(ticks) == {"focused − broad", "focused − multi"}
    assert len(ax.containers) == 2
    p_labels = [t.get_text() for t in fig.axes[0].child_axes[0].get_yticklabels()]
    zero = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [0, 0]]
    assert len(zero) == 1
    for b, bars in zip(["broad", "multi"], ax.containers, strict=True):
        row = pair(cmp, "focused", b)
        point = bars.lines[0]
        assert point.get_xdata()[0] == pytest.approx(row.mean)
        assert point.get_ydata()[0] == ticks[f"focused − {b}"]
        (segment,) = bars.lines[2][0].get_segments()
        assert segment[:, 0] == pytest.approx([row.lo, row.hi])
        assert point.get_color() == strategy_colours(STRATEGIES)[b]
        assert f"P(focused beats {b}) = {row.p_a_beats_b:.2f}" in p_labels


def test_differences_figure_turns_a_reversed_row_around(live):
    cmp = live.comparison()
    swapped = cmp.rename(columns={"a": "b", "b": "a"}).assign(
        diff_mean=-cmp.diff_mean, diff_lo=-cmp.diff_hi, diff_hi=-cmp.diff_lo,
        p_a_beats_b=1 - cmp.p_a_beats_b)
    fig = differences_figure(swapped, live.scenario)
    row = pair(cmp, "focused", "broad")
    assert fig.axes[0].containers[0].lines[0].get_xdata()[0] == pytest.approx(row.mean)


def test_penetration_heatmap_is_final_customers_over_tam(tables):
    ts, _, sc = tables
    fig = penetration_figure(ts, sc)
    ax = fig.axes[0]
    values = np.asarray(ax.images[0].get_array())
    assert values.shape == (3, 3)
    last = ts[ts.step == 9].groupby(["strategy", "segment"]).adopters.mean()
    expected = [[last[s, g] / TAM[g] for g in SEGMENTS] for s in STRATEGIES]
    np.testing.assert_allclose(values, expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == SEGMENTS
    assert [t.get_text() for t in ax.get_yticklabels()] == STRATEGIES
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("segment", "strategy")
    assert sorted(t.get_text() for t in ax.texts) == sorted(
        f"{v:.0%}" for v in np.ravel(expected))
    assert ax.get_title() == f"plotted: share of each segment's TAM won by week 9 — {COMPARED}"
    ticks = [ln.get_markeredgecolor() for ln in ax.get_xticklines()[::2]]
    assert ticks == list(SEGMENT_PALETTE[:3])


def test_colours_are_kept_across_plots(live):
    ts, sc = live.timeseries(), live.scenario
    adoption = adoption_figure(ts, STRATEGIES).axes[0]
    panel = segments_figure(ts, sc).axes[1]
    for k, name in enumerate(STRATEGIES):
        assert _lines(adoption, name)[0].get_color() == PALETTE[k]
        assert _lines(panel, name)[0].get_color() == PALETTE[k]
    assert panel.spines["top"].get_edgecolor() == pytest.approx(
        _rgba(segment_colours(SEGMENTS)["lawyers"]))
    causes = causes_figure(ts, sc).axes[2]
    assert causes.spines["top"].get_edgecolor() == pytest.approx(_rgba(PALETTE[2]))


def _rgba(colour: str) -> tuple[float, ...]:
    from matplotlib.colors import to_rgba

    return to_rgba(colour)


def test_palettes_are_distinct_and_cycle():
    names = [f"s{i}" for i in range(len(SEGMENT_PALETTE) + 1)]
    colours = segment_colours(names)
    assert len(set(list(colours.values())[:-1])) == len(SEGMENT_PALETTE)
    assert colours[names[-1]] == colours[names[0]]
    assert not set(SEGMENT_PALETTE) & set(PALETTE)
    assert strategy_colours(["b", "a"]) == {"b": PALETTE[0], "a": PALETTE[1]}


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_plot_run_writes_every_plot(folder, tmp_path, fmt):
    paths = plot_run(folder, tmp_path / "plots", fmt=fmt)
    assert paths == [tmp_path / "plots" / f"{name}.{fmt}" for name in PLOTS]
    for path in paths:
        head = path.read_bytes()[:512]
        assert len(head) > 100
        assert MAGIC[fmt] in head if fmt == "svg" else head.startswith(MAGIC[fmt])


def test_plot_run_from_a_live_run_and_plot_adoption(live, tmp_path):
    assert [p.name for p in plot_run(live, tmp_path)] == [f"{n}.png" for n in PLOTS]
    path = plot_adoption(live, tmp_path / "again.svg")
    assert path.read_bytes().lstrip().startswith(b"<?xml") and path.stat().st_size > 1000


def test_plot_run_rejects_other_formats(folder, tmp_path):
    with pytest.raises(WomError, match="jpg"):  # a wom error, not a raw ValueError
        plot_run(folder, tmp_path / "plots", fmt="jpg")
    assert not (tmp_path / "plots").exists()


def test_one_strategy_has_no_differences(tmp_path):
    data = scenario_data(strategies=[{"name": "focused", "kind": "focused",
                                      "segment": "dentists"}], replicates=2, horizon=4)
    res = wom.run(wom.scenario_from_dict(data), workers=1)
    assert [p.stem for p in plot_run(res, tmp_path)] == [n for n in PLOTS if n != "differences"]
    with pytest.raises(ValueError, match="two strategies"):
        differences_figure(res.comparison(), res.scenario)


def test_many_segments_keep_the_largest_twelve_panels():
    data = scenario_data(
        segments={"count": 42, "size": 20, "size_exponent": 2.0},
        strategies=[{"name": "first", "kind": "focused", "segment": "segment-3"},
                    {"name": "broad", "kind": "broad"}],
        replicates=2, horizon=4,
    )
    res = wom.run(wom.scenario_from_dict(data), workers=1)
    sizes = {s.name: s.size for s in res.scenario.segments}
    assert len(set(sizes.values())) > 12  # "largest" has to choose
    fig = segments_figure(res.timeseries(), res.scenario)
    assert len(fig.axes) == 12
    assert "(the 12 largest of 42 segments)" in fig.get_suptitle()
    shown = {ax.get_title().split("\n")[0] for ax in fig.axes}
    assert shown == set(sorted(sizes, key=lambda n: -sizes[n])[:12])
    heat = penetration_figure(res.timeseries(), res.scenario)
    assert np.asarray(heat.axes[0].images[0].get_array()).shape == (2, 42)
    assert len(heat.axes[0].get_xticklabels()) == 42
    assert heat.get_size_inches()[0] > 10  # widened to keep 42 names readable


def test_numeric_segment_names_survive_the_csv(tmp_path):
    data = scenario_data(
        segments=[{"name": 10, "size": 60}, {"name": 20, "size": 50, "tam": 0.5}],
        strategies=[{"name": "focused", "kind": "focused", "segment": "10"},
                    {"name": "broad", "kind": "broad"}],
        replicates=2, horizon=4,
    )
    res = wom.run(wom.scenario_from_dict(data), workers=1)
    run = wom.read_run(wom.save(res, tmp_path / "run"))
    live_values = penetration_figure(res.timeseries(), res.scenario).axes[0].images[0]
    read_values = penetration_figure(run.timeseries(), run.scenario).axes[0].images[0]
    np.testing.assert_allclose(np.asarray(read_values.get_array()),
                               np.asarray(live_values.get_array()))


def test_plotting_leaves_pyplot_alone(folder, tmp_path):
    code = ("import sys, wom\nfrom wom.viz import plot_run\n"
            f"plot_run(wom.read_run({str(folder.path)!r}), {str(tmp_path)!r})\n"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
            "import matplotlib\nassert matplotlib.get_backend().lower() == 'agg'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "MPLBACKEND"},
                          check=False)
    assert done.returncode == 0, done.stderr
    assert len(list(Path(tmp_path).glob("*.png"))) == len(PLOTS)


def test_a_folder_written_before_background_existed_still_plots(folder, tmp_path):
    """Run folders from before the background cause have no new_by_background column."""
    old = tmp_path / "old"
    shutil.copytree(folder.path, old)
    ts = pd.read_csv(old / "timeseries.csv")
    ts.drop(columns="new_by_background").to_csv(old / "timeseries.csv", index=False)
    run = wom.read_run(old)
    assert (run.timeseries().new_by_background == 0).all()
    assert len(wom.plot_run(run, tmp_path / "plots")) == 5


def test_background_gets_its_band_when_it_wins_someone(tmp_path):
    data = scenario_data()
    data["dynamics"] = {**data.get("dynamics", {}), "background": 0.05}
    res = wom.run(wom.scenario_from_dict(data), workers=1)
    fig = causes_figure(res.timeseries(), res.scenario)
    assert _legend(fig) == ["seed", "marketing", "background", "word of mouth"]


LONG = "scheduling-saas-for-every-dental-and-veterinary-clinic-in-the-region"


@pytest.fixture(scope="module")
def long_named() -> wom.Results:
    """A long scenario name and eight strategies: titles and legends must still fit."""
    names = [f"{kind}-campaign-{i}" for i, kind in enumerate(
        ["focused", "broad", "multi", "focused", "broad", "multi", "focused", "broad"])]
    kinds = [{"kind": "focused", "segment": "dentists"}, {"kind": "broad"},
             {"kind": "multi", "segments": ["dentists", "lawyers"]}]
    data = scenario_data(name=LONG, replicates=3, horizon=6, strategies=[
        {"name": n, **kinds[i % 3]} for i, n in enumerate(names)])
    return wom.run(wom.scenario_from_dict(data), workers=1)


def _outside(fig: Any) -> list[str]:
    """Texts and legends drawn (partly) outside the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    page = fig.bbox
    # Tick labels count only where a tick is drawn (the locator makes some beyond the view).
    ticks, drawn = set(), set()
    for panel in fig.axes + [c for ax in fig.axes for c in ax.child_axes]:
        for axis in (panel.xaxis, panel.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                labels = {id(tick.label1), id(tick.label2)}
                ticks |= labels
                if lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
                    drawn |= labels
    out = []
    for artist in [*fig.findobj(Text), *fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if artist is None or not artist.get_visible() or (id(artist) in ticks
                                                          and id(artist) not in drawn):
            continue
        if isinstance(artist, Text) and not artist.get_text().strip():
            continue
        box = artist.get_window_extent(renderer)
        if box.x0 < page.x0 - 1 or box.x1 > page.x1 + 1 or box.y0 < page.y0 - 1 \
                or box.y1 > page.y1 + 1:
            out.append(artist.get_text() if isinstance(artist, Text) else "a legend")
    return out


@pytest.mark.parametrize("name", PLOTS)
def test_titles_and_legends_fit_the_figure_with_long_names(long_named, name):
    ts, cmp, sc = long_named.timeseries(), long_named.comparison(), long_named.scenario
    make = {"adoption": lambda: adoption_figure(ts, [s.name for s in sc.strategies],
                                                title=f"{sc.name}: customers over time — "
                                                f"{compared(sc, 3)}"),
            "segments": lambda: segments_figure(ts, sc),
            "causes": lambda: causes_figure(ts, sc),
            "differences": lambda: differences_figure(cmp, sc),
            "penetration": lambda: penetration_figure(ts, sc)}[name]
    fig = make()
    assert _outside(fig) == []
    # The whole name is still said (wrapped, not cut).
    words = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert LONG in words.replace("\n", " ")


def test_the_adoption_legend_stays_off_the_curves(live):
    fig = adoption_figure(live.timeseries(), STRATEGIES)
    fig.draw_without_rendering()
    (ax,) = fig.axes
    legend, plot = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 >= plot.x1 or legend.y1 <= plot.y0 or legend.x1 <= plot.x0


def test_two_workers_draw_the_files_one_draws(live, tmp_path):
    # plots drawn by forked workers (wom run --workers 2) are the bytes drawn in one process
    one = plot_run(live, tmp_path / "one", workers=1)
    two = plot_run(live, tmp_path / "two", workers=2)
    assert [p.name for p in two] == [p.name for p in one] == [f"{n}.png" for n in PLOTS]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_workers_draw_the_longest_figures_first():
    from wom.viz.plots import _drawing_order

    names = ["adoption", "differences", "penetration", "attribute-role", "causes",
             "profit-differences", "segments", "money", "accounts", "account-differences"]
    assert sorted(names, key=_drawing_order) == [
        "segments", "attribute-role", "penetration", "causes", "money", "accounts",
        "adoption", "differences", "profit-differences", "account-differences"]


def test_drawing_with_workers_leaves_collections_as_it_found_them(live, tmp_path,
                                                                   monkeypatch):
    # the plots freeze this process's objects while their workers share them: a notebook
    # gets its collections back after; the `wom` command, which froze its own for good,
    # keeps them frozen; a process holding a freeze of its own keeps it as it was
    import gc

    from wom.experiment import pool
    from wom.viz.plots import start_plots

    freezes: list[int] = []
    real_freeze = gc.freeze

    def freeze() -> None:
        freezes.append(1)
        real_freeze()

    gc.unfreeze()  # (Python 3.12.1 starts with a few hundred objects frozen)
    monkeypatch.setattr(gc, "freeze", freeze)
    try:
        start_plots(live, tmp_path / "a", workers=2)()
        assert freezes and gc.get_freeze_count() == 0  # shared, then collected again
        real_freeze()  # the process's own freeze (a notebook's, the interpreter's)
        held = gc.get_freeze_count()
        assert held > 1000
        freezes.clear()
        start_plots(live, tmp_path / "b", workers=2)()
        # untouched (frozen objects can still die of reference counting: not all stay)
        assert gc.get_freeze_count() > held // 2 and not freezes
        gc.unfreeze()
        monkeypatch.setattr(pool, "frozen_for_good", True)
        start_plots(live, tmp_path / "c", workers=2)()
        assert freezes and gc.get_freeze_count() > 1000  # the command's: kept
    finally:
        gc.unfreeze()


def _grey(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("L"), dtype=float)


def test_save_figure_draws_the_layout_fit_text_left(live, tmp_path):
    # fit_text lays a figure out last; save_figure draws that layout without another pass:
    # the bytes of the figure drawn as it was left, for a figure laid out once (adoption)
    # and twice (segments, whose titles wrap)
    from wom.viz.style import DPI, save_figure

    ts, sc = live.timeseries(), live.scenario
    names = [s.name for s in sc.strategies]
    for name, make in (("adoption", lambda: adoption_figure(ts, names)),
                       ("segments", lambda: segments_figure(ts, sc))):
        left = make()
        left.set_layout_engine(None)  # as fit_text left it, nothing laid out again
        left.savefig(tmp_path / f"{name}-left.png", format="png", dpi=DPI)
        fig = make()
        save_figure(fig, tmp_path / f"{name}.png")
        assert (tmp_path / f"{name}.png").read_bytes() == (
            tmp_path / f"{name}-left.png").read_bytes(), name
        assert fig.get_layout_engine() is not None  # (given back for later use)
        # ...and that layout is savefig's own but for anti-aliasing: a layout pass more
        # moves lines by less than a pixel
        make().savefig(tmp_path / f"{name}-savefig.png", format="png", dpi=DPI)
        diff = np.abs(_grey(tmp_path / f"{name}.png") - _grey(tmp_path / f"{name}-savefig.png"))
        assert (diff > 0).mean() < 0.01 and diff.max() <= 32, name


def test_a_figure_changed_after_fitting_is_laid_out_again(live, tmp_path):
    # anything changed after fit_text (a longer heading here) makes save_figure lay the
    # figure out again: the picture savefig would draw, to the byte
    from wom.viz.style import DPI, save_figure

    names = [s.name for s in live.scenario.strategies]

    def make() -> Any:
        fig = adoption_figure(live.timeseries(), names)
        fig.suptitle("a heading\nof three\nlines added afterwards")
        return fig

    make().savefig(tmp_path / "savefig.png", format="png", dpi=DPI)
    save_figure(make(), tmp_path / "saved.png")
    assert (tmp_path / "saved.png").read_bytes() == (tmp_path / "savefig.png").read_bytes()


def test_a_figure_killed_while_saved_leaves_nothing_the_next_one_keeps(tmp_path):
    # a command killed while saving left its hidden temporary for good (breaker re-check):
    # the next figure saved in the folder removes those of processes that are gone
    import subprocess

    from matplotlib.figure import Figure

    from wom.store import hidden_twin
    from wom.store.partials import machine

    dead_pid = subprocess.Popen(["true"])  # (a process that has ended: its pid)
    dead_pid.wait()
    host = machine()
    dead = tmp_path / f".adoption.partial-{host}-{dead_pid.pid}.png"
    alive = hidden_twin(tmp_path / "other.png")  # this process's: still being written
    other_host = tmp_path / f".adoption.partial-elsewhere-{dead_pid.pid}.png"
    for p in (dead, alive, other_host):
        p.write_bytes(b"\x89PNG")
    assert alive.name.startswith(".other.partial-")
    fig = Figure()
    fig.subplots().plot([0, 1])
    save_figure(fig, tmp_path / "adoption.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["adoption.png", alive.name, other_host.name])


def test_two_commands_plotting_one_folder_at_once_both_finish(live, tmp_path):
    # each writes its figures through a temporary file of its own (they shared one name:
    # "No such file or directory: .adoption.png.tmp" when the other renamed it first)
    out = wom.save(live, tmp_path / "run")
    cmd = [sys.executable, "-m", "wom.cli", "plot", str(out), "-o", str(tmp_path / "p")]
    env = {**os.environ, "PYTHONPATH": str(Path(wom.__file__).parents[1])}
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == sorted(
        f"{n}.png" for n in PLOTS)


@pytest.mark.parametrize(("top", "labels"), [
    (3.2e6, ["0", "500,000", "1,000,000", "1,500,000", "2,000,000", "2,500,000", "3,000,000"]),
    (-1.6e6, ["-1,600,000", "-1,400,000", "-1,200,000", "-1,000,000", "-800,000", "-600,000",
              "-400,000", "-200,000", "0"]),
    (1.0, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]),
])
def test_a_money_axis_writes_amounts_out(top: float, labels: list[str]) -> None:
    # Profits in the millions were drawn as "1e6" above the axis, easy to miss on a slide
    # (new-user trial): every tick is the amount itself, "-0" never
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    ax.plot([0, 1], [0, top])
    money_axis(ax.yaxis)
    fig.canvas.draw()
    lo, hi = ax.get_ylim()
    shown = [t.get_text() for t, v in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)
             if lo <= v <= hi]
    assert shown == labels
    assert ax.yaxis.get_offset_text().get_text() == ""


def test_a_figure_that_cannot_be_saved_is_named_and_leaves_nothing(tmp_path, monkeypatch):
    # On a full disk `wom sweep` (phase.png), `wom plot` and `wom snapshot` said only
    # "error: No space left on device" (breaker trial): the error names the figure
    import errno

    from matplotlib.figure import Figure

    def full(self, fname, *args, **kwargs):
        Path(fname).write_bytes(b"\x89PNG")  # (begun, then the disk is full)
        raise OSError(errno.ENOSPC, "No space left on device")

    fig = Figure()
    fig.subplots().plot([0, 1])
    monkeypatch.setattr(Figure, "savefig", full)
    with pytest.raises(OSError) as caught:
        save_figure(fig, tmp_path / "adoption.png")
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == str(tmp_path / "adoption.png")
    assert list(tmp_path.iterdir()) == []
