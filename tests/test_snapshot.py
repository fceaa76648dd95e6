"""Pictures of the graph: one replicate of ``wom run``, drawn once-laid-out, sampled when big."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

import wom
from helpers import accounts_scenario, small_scenario, waiting_now
from wom.engine import NEVER
from wom.errors import WomError
from wom.experiment import Replicate, run_replicate
from wom.viz import drawing
from wom.viz.accounts import marker_path
from wom.viz.drawing import shown
from wom.viz.snapshot import SpreadFrames, animate, customers_by, snapshot_figure, spread

HORIZON = 10
SEGMENTS = [
    {"name": "a", "size": 150, "tam": 0.8, "incumbent": 0.1, "early_market": 0.3,
     "references": 1},
    {"name": "b", "size": 120},
    {"name": "c", "size": 180, "tam": 0.5},
]
PEOPLE = 450


@pytest.fixture(scope="module")
def sc() -> wom.Scenario:
    """450 people in three segments, focused vs broad, 10 weeks, 4 replicates."""
    return small_scenario(segments=SEGMENTS, horizon=HORIZON, replicates=4)


def texts(fig) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(Text))


def people_drawn(ax) -> np.ndarray:
    """Offsets of the first scatter (everyone shown, pale) of a panel."""
    return ax.collections[-2].get_offsets()


def customers_drawn(ax) -> np.ndarray:
    """Offsets of the last scatter (the customers, drawn on top) of a panel."""
    return ax.collections[-1].get_offsets()


@pytest.mark.parametrize("replicate", [0, 2])
def test_spread_is_the_runners_replicate(sc, replicate):
    new, _, pop_runner = run_replicate(sc, replicate)
    for i, name in enumerate(["focused", "broad"]):
        pop, adopted_at = spread(sc, name, replicate=replicate)
        np.testing.assert_array_equal(pop.indices, pop_runner.indices)
        bought = adopted_at >= 0
        assert bought.sum() > 0
        # Same adopters per week and per segment as the runner's tables.
        np.testing.assert_array_equal(np.bincount(adopted_at[bought], minlength=HORIZON),
                                      new[i].sum(axis=(1, 2)))
        np.testing.assert_array_equal(np.bincount(pop.segment[bought], minlength=3),
                                      new[i].sum(axis=(0, 1)))


def test_spread_differs_by_strategy_and_replicate(sc):
    _, a = spread(sc, "focused")
    _, b = spread(sc, "broad")
    _, c = spread(sc, "focused", replicate=1)
    assert not np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_title_counts_the_customers_by_that_week(sc):
    _, adopted_at = spread(sc, "focused")
    for step in (0, 4, HORIZON - 1):
        n = int(((adopted_at >= 0) & (adopted_at <= step)).sum())
        assert customers_by(adopted_at, step) == n
        fig = snapshot_figure(sc, "focused", step)
        ax = fig.axes[0]
        assert ax.get_title() == f"focused — week {step}: {n:,} customers (at a budget of 3,000)"
        # Everyone is drawn (450 ≤ 5,000), so every customer is drawn, on top and larger.
        assert len(customers_drawn(ax)) == n
        assert len(people_drawn(ax)) == PEOPLE
        big = ax.collections[-1].get_sizes()[0]
        small = ax.collections[-2].get_sizes()[0]
        assert big > 2 * small
    assert customers_by(adopted_at, 0) < customers_by(adopted_at, HORIZON - 1)


def test_customers_are_drawn_where_they_are(sc):
    pop, adopted_at = spread(sc, "broad")
    pos = drawing.positions(pop, sc)
    fig = snapshot_figure(sc, "broad", 5)
    expected = pos[np.flatnonzero((adopted_at >= 0) & (adopted_at <= 5))]
    np.testing.assert_allclose(customers_drawn(fig.axes[0]), expected)


def test_positions_are_computed_once_per_market(sc, monkeypatch):
    calls = []
    real = drawing.segment_positions

    def counting(population, *, rng):
        calls.append(population.n)
        return real(population, rng=rng)

    monkeypatch.setattr(drawing, "segment_positions", counting)
    frames = SpreadFrames(sc, ["focused", "broad"])
    for week in range(HORIZON):
        frames.show(week)
    assert calls == [PEOPLE]
    left, right = frames.figure.axes
    np.testing.assert_array_equal(people_drawn(left), people_drawn(right))
    snapshot_figure(sc, "focused", 3)
    assert calls == [PEOPLE, PEOPLE]
    pop, _ = spread(sc, "focused")
    first = drawing.positions(pop, sc)
    assert drawing.positions(pop, sc) is first
    assert len(calls) == 3


def test_a_large_market_is_sampled_and_says_so(sc):
    fig = snapshot_figure(sc, "focused", 6, max_people=100)
    words = texts(fig)
    assert f"showing 100 of {PEOPLE} people (random sample)" in words
    ax = fig.axes[0]
    drawn = people_drawn(ax)
    assert len(drawn) == 100
    # The title still counts the whole market's customers.
    _, adopted_at = spread(sc, "focused")
    assert f"week 6: {customers_by(adopted_at, 6):,} customers" in ax.get_title()
    # The same people in every picture of the replicate (seeded from the scenario).
    again = snapshot_figure(sc, "broad", 2, max_people=100)
    np.testing.assert_array_equal(people_drawn(again.axes[0]), drawn)
    whole = snapshot_figure(sc, "focused", 6)
    assert f"all {PEOPLE} people" in texts(whole)
    assert "people (random sample)" not in texts(whole)


def test_shown_ties_are_among_people_shown_and_thinned(sc):
    pop, _ = spread(sc, "focused")
    every = shown(pop, sc, max_people=10_000, ties_per_person=1_000)
    assert len(every.people) == pop.n
    assert len(every.ties) == every.total_ties == pop.n_ties
    few = shown(pop, sc, max_people=200, ties_per_person=1)
    assert len(few.people) == 200
    assert len(few.ties) <= 200
    assert np.isin(few.ties, few.people).all()
    assert few.total_ties >= len(few.ties)
    assert "showing 200 of 450 people (random sample)" in few.note()


def test_legend_names_at_most_twelve_segments():
    many = small_scenario(segments={"count": 14, "size": 20}, horizon=4, strategies=[
        {"name": "focused", "kind": "focused", "segment": "segment-1"}])
    fig = snapshot_figure(many, "focused", 1)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    named = [x for x in labels if x.startswith("segment-")]
    assert named == [f"segment-{i}" for i in range(1, 12)]
    assert "+3 more" in labels


@pytest.mark.parametrize("segments", [3, 14])
def test_the_graph_fills_the_height_and_the_legend_stays_inside(segments):
    """The graph is drawn to scale: the figure is only as tall as it needs (a wide market
    left an inch of white under it), never shorter than the legend beside it."""
    sc = small_scenario(segments={"count": segments, "size": 20}, horizon=4, strategies=[
        {"name": "focused", "kind": "focused", "segment": "segment-1"}])
    fig = snapshot_figure(sc, "focused", 1)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    ax = fig.axes[0]
    laid_out, drawn = ax.get_position(original=True), ax.get_position()
    legend = fig.legends[0].get_window_extent(canvas.get_renderer())
    assert fig.bbox.y0 - 1 <= legend.y0 and legend.y1 <= fig.bbox.y1 + 1
    empty = (laid_out.height - drawn.height) * fig.get_figheight()
    # white above and below the graph only when the legend needs the height
    assert empty < 0.05 or legend.height / fig.dpi + 0.2 >= fig.get_figheight() - 0.02


def test_bad_requests_are_user_errors(sc):
    with pytest.raises(WomError, match="weeks go from 0 to 9"):
        snapshot_figure(sc, "focused", HORIZON)
    with pytest.raises(WomError, match="weeks go from 0 to 9"):
        snapshot_figure(sc, "focused", -1)
    with pytest.raises(WomError, match=r"unknown strategy 'nope'.*focused, broad"):
        spread(sc, "nope")
    with pytest.raises(WomError, match="at least one strategy"):
        SpreadFrames(sc, [])


def test_frames_show_each_strategy_side_by_side(sc):
    frames = SpreadFrames(sc, ["focused", "broad"])
    assert frames.weeks == HORIZON
    assert len(frames.figure.axes) == 2
    frames.show(4)
    for ax, name in zip(frames.figure.axes, ["focused", "broad"], strict=True):
        _, adopted_at = spread(sc, name)
        n = customers_by(adopted_at, 4)
        assert ax.get_title() == f"{name}: {n:,} customers"
        assert len(customers_drawn(ax)) == n
    assert "week 4" in frames.figure.get_suptitle()


def test_animate_writes_one_frame_per_week(sc, tmp_path):
    paths = animate(sc, ["focused", "broad"], tmp_path / "spread.gif")
    gif = tmp_path / "spread.gif"
    assert paths[0] == gif
    assert 0 < gif.stat().st_size < 10_000_000
    with Image.open(gif) as im:
        assert im.n_frames == HORIZON
        assert im.info["duration"] == 250  # 4 frames (weeks) per second
        width2 = im.size[0]
        im.seek(0)
        first = np.asarray(im.convert("RGB"))
        im.seek(HORIZON - 1)
        last = np.asarray(im.convert("RGB"))
    assert (first != last).any()  # customers appear as the weeks go by
    paths1 = animate(sc, ["focused"], tmp_path / "one.gif", fps=2)
    with Image.open(paths1[0]) as im:
        assert im.n_frames == HORIZON
        assert im.info["duration"] == 500
        assert im.size[0] < 0.7 * width2  # one panel instead of two


def test_animate_wants_a_gif_name(sc, tmp_path):
    with pytest.raises(WomError, match=r"\*\.gif"):
        animate(sc, ["focused"], tmp_path / "spread.mp4")


def test_an_animation_that_cannot_be_written_is_named_and_leaves_nothing(sc, tmp_path,
                                                                       monkeypatch):
    # On a full disk `wom animate` left a cut GIF and said only "No space left on device"
    # (breaker trial): the error names the GIF, and no file is left, an earlier one untouched
    import errno

    def full(self, fp, *args, **kwargs):
        Path(fp).write_bytes(b"GIF89a")  # (begun, then the disk is full)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "which", lambda name: None)  # (the GIF alone)
    monkeypatch.setattr(Image.Image, "save", full)
    before = tmp_path / "spread.gif"
    before.write_bytes(b"an earlier animation")
    with pytest.raises(OSError) as caught:
        animate(sc, ["focused"], before)
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == str(before)
    assert [p.name for p in tmp_path.iterdir()] == ["spread.gif"]
    assert before.read_bytes() == b"an earlier animation"
    with pytest.raises(OSError):  # nor the folders it made for it
        animate(sc, ["focused"], tmp_path / "a" / "b" / "spread.gif")
    assert [p.name for p in tmp_path.iterdir()] == ["spread.gif"]


def test_the_cli_names_the_animation_it_could_not_write(sc, tmp_path, monkeypatch):
    import errno

    from click.testing import CliRunner

    from wom.cli import main

    def full(self, fp, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(Image.Image, "save", full)
    path = tmp_path / "s.yaml"
    path.write_text(sc.to_yaml(), encoding="utf-8")
    out = tmp_path / "spread.gif"
    result = CliRunner().invoke(main, ["animate", str(path), "-s", "focused", "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert f"No space left on device: {out}" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_animate_writes_an_mp4_when_ffmpeg_exists(sc, tmp_path):
    paths = animate(sc, ["focused", "broad"], tmp_path / "spread.gif")
    assert paths == [tmp_path / "spread.gif", tmp_path / "spread.mp4"]
    assert (tmp_path / "spread.mp4").stat().st_size > 0


def test_a_sampled_snapshot_says_how_many_customers_it_draws(sc):
    """The title counts the whole market's customers; when only a sample of people is
    drawn, it says how many of those customers the picture shows and that it is a sample."""
    fig = snapshot_figure(sc, "focused", 6, max_people=100)
    ax = fig.axes[0]
    drawn = len(customers_drawn(ax))
    _, adopted_at = spread(sc, "focused")
    assert drawn < customers_by(adopted_at, 6)
    assert f"{drawn:,} of them drawn (a random sample)" in ax.get_title()
    assert f"showing 100 of {PEOPLE} people (random sample)" in fig.get_supxlabel()
    assert ax.get_title().count("\n") == 1  # (two lines: it had three on a slide)
    frames = SpreadFrames(sc, ["focused"], max_people=100)
    frames.show(6)
    assert f"({drawn:,} drawn, random sample)" in frames.figure.axes[0].get_title()


def test_segment_names_are_on_the_drawing(sc):
    """Each segment's name sits by its own disk (nearer its people than any other's)."""
    fig = snapshot_figure(sc, "broad", 3)
    ax = fig.axes[0]
    pop, _ = spread(sc, "broad")
    pos = drawing.positions(pop, sc)
    centres = np.array([pos[pop.segment == k].mean(axis=0) for k in range(3)])
    named = {t.get_text(): t.get_position() for t in ax.texts}
    assert set(named) == {"a", "b", "c"}
    for k, name in enumerate("abc"):
        nearest = np.argmin(np.linalg.norm(centres - np.asarray(named[name]), axis=1))
        assert nearest == k, name


def test_snapshot_text_is_slide_sized_and_inside_with_a_long_name():
    long = small_scenario(name="scheduling-saas-for-every-dental-and-veterinary-clinic",
                          segments=SEGMENTS, horizon=4, replicates=1, strategies=[
                              {"name": "focused-on-the-dentists-of-the-region", "kind": "focused",
                               "segment": "a"}])
    fig = snapshot_figure(long, "focused-on-the-dentists-of-the-region", 2, max_people=100)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    # an axis switched off is not drawn: its tick labels are not on the picture
    hidden = {id(t) for ax in fig.axes if not ax.axison
              for axis in (ax.xaxis, ax.yaxis) for t in axis.findobj(Text)}
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in hidden:
            continue
        assert text.get_fontsize() >= 9, text.get_text()
        box = text.get_window_extent(renderer)
        assert fig.bbox.x0 - 1 <= box.x0 and box.x1 <= fig.bbox.x1 + 1, text.get_text()


# --- a market of accounts (issue 16): accounts won ringed, people waiting hollow -------------

@pytest.fixture(scope="module")
def acc() -> wom.Scenario:
    """600 people in accounts of 5, two segments (one churns), 10 weeks."""
    return accounts_scenario()


def simulation_at(sc: wom.Scenario, strategy: str, week: int):
    """Replicate 0 of `strategy` stepped through `week` (the engine, not the pictures)."""
    sim = Replicate(sc, 0).simulation(sc.strategy(strategy))
    for _ in range(week + 1):
        sim.step()
    return sim


def account_marks(ax):
    """The rings of the accounts won, the people waiting and the customers of a panel."""
    rings, waiting, customers = ax.collections[-3:]
    return rings, waiting, customers


def test_a_snapshot_of_accounts_rings_the_accounts_won_and_marks_the_people_waiting(acc):
    seen = {"won": 0, "waiting": 0, "left": 0}
    for strategy in ("focused", "broad"):
        for week in (0, 4, 9):
            sim = simulation_at(acc, strategy, week)
            won = int(sim.accounts_by_segment().sum())
            waiting = waiting_now(sim)
            customers = int(sim.customers_by_segment().sum())
            ax = snapshot_figure(acc, strategy, week).axes[0]
            rings, hollow, filled = account_marks(ax)
            # Everyone is drawn (600 people): every account won is ringed, every person
            # waiting hollow, every customer filled.
            assert len(rings.get_offsets()) == won
            assert len(hollow.get_offsets()) == int(waiting.sum())
            assert len(filled.get_offsets()) == customers
            assert ax.get_title().endswith(
                f"\n{won:,} accounts won, {int(waiting.sum()):,} people waiting")
            assert f"week {week}: {customers:,} customers" in ax.get_title()
            # ... where they are: the people waiting, and rings around the members of
            # the accounts that are customers now (bought and not left).
            pos = drawing.positions(sim.population, acc)
            np.testing.assert_allclose(hollow.get_offsets(), pos[np.flatnonzero(waiting)])
            accounts = sim.population.accounts
            now = np.flatnonzero((sim.people.bought_at != NEVER)
                                 & (sim.people.account_left == NEVER))
            members = [accounts.members[accounts.ptr[a]:accounts.ptr[a + 1]] for a in now]
            centres = np.array([pos[m].mean(axis=0) for m in members]).reshape(-1, 2)
            np.testing.assert_allclose(rings.get_offsets(), centres)
            for m, centre, width in zip(members, centres, rings.get_widths(), strict=True):
                assert np.linalg.norm(pos[m] - centre, axis=1).max() < width / 2
            seen["won"] += won
            seen["waiting"] += int(waiting.sum())
            seen["left"] += int((sim.people.account_left != NEVER).sum())
    assert min(seen.values()) > 0  # every kind of mark was checked, churn included


def test_the_legend_and_markers_say_who_buys_and_who_pays(acc):
    fig = snapshot_figure(acc, "focused", 4)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    for label in ("customer", "convinced, waiting for\ntheir account to buy",
                  "account won (a ring\naround its members)", "buyer", "payer",
                  "buyer who also pays"):
        assert label in labels
    pop, _ = spread(acc, "focused")
    accounts = pop.accounts
    everyone = fig.axes[0].collections[1]
    paths = everyone.get_paths()
    assert len(paths) == pop.n
    shape = {m: marker_path(m).vertices for m in ("o", "^", "s", "D")}
    alone = accounts.buyer == accounts.payer
    for a in range(accounts.n):
        buyer, payer = accounts.buyer[a], accounts.payer[a]
        expected = "D" if alone[a] else "^"
        np.testing.assert_array_equal(paths[buyer].vertices, shape[expected])
        if not alone[a]:
            np.testing.assert_array_equal(paths[payer].vertices, shape["s"])
    users = np.flatnonzero(accounts.role == 1)
    assert all(np.array_equal(paths[v].vertices, shape["o"]) for v in users)
    assert 0 < alone.sum() < accounts.n


def test_without_accounts_no_account_marks_are_drawn(sc):
    fig = snapshot_figure(sc, "focused", 4)
    assert len(fig.axes[0].collections) == 3  # ties, people, customers: as always
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert not any("account" in x or "waiting" in x or x == "buyer" for x in labels)
    assert "\n" not in fig.axes[0].get_title()


def test_frames_of_accounts_count_accounts_won_and_people_waiting(acc):
    frames = SpreadFrames(acc, ["focused", "broad"])
    for week in (2, 7):
        frames.show(week)
        for ax, name in zip(frames.figure.axes, ["focused", "broad"], strict=True):
            sim = simulation_at(acc, name, week)
            won, waiting = int(sim.accounts_by_segment().sum()), int(waiting_now(sim).sum())
            customers = int(sim.customers_by_segment().sum())
            assert ax.get_title() == (f"{name}: {customers:,} customers\n{won:,} accounts "
                                      f"won, {waiting:,} people waiting")
            rings, hollow, filled = account_marks(ax)
            assert (len(rings.get_offsets()), len(hollow.get_offsets()),
                    len(filled.get_offsets())) == (won, waiting, customers)


def test_a_sampled_market_of_accounts_shows_whole_accounts(acc):
    fig = snapshot_figure(acc, "focused", 4, max_people=203)
    assert "showing 200 of 600 people (random sample of accounts)" in texts(fig)
    pop, _ = spread(acc, "focused")
    show = shown(pop, acc, max_people=203)
    members = pop.accounts.account[show.people]
    counts = np.bincount(members, minlength=pop.accounts.n)
    assert set(counts[counts > 0].tolist()) == {5}  # every account drawn whole
    assert len(people_drawn_with_accounts(fig.axes[0])) == 200
    # Rings only for accounts drawn, each whole: as many as those won among them.
    sim = simulation_at(acc, "focused", 4)
    now = (sim.people.bought_at != NEVER) & (sim.people.account_left == NEVER)
    rings = account_marks(fig.axes[0])[0]
    assert len(rings.get_offsets()) == int(now[np.unique(members)].sum()) > 0
    # The same accounts in every picture of the replicate.
    again = shown(pop, acc, max_people=203)
    np.testing.assert_array_equal(again.people, show.people)


def people_drawn_with_accounts(ax) -> np.ndarray:
    """Offsets of everyone shown (the pale scatter, drawn before the account marks)."""
    return ax.collections[1].get_offsets()


def test_an_animation_written_through_a_link_lands_in_the_linked_file(sc, tmp_path,
                                                                      monkeypatch):
    # breaker trial: `-o link.gif` replaced the link by a file of its own (0644), leaving
    # the file it pointed to stale; a pipe in its place is refused before the weeks run
    import os
    import stat

    monkeypatch.setattr(shutil, "which", lambda name: None)  # (the GIF alone)
    real = tmp_path / "deck" / "spread.gif"
    real.parent.mkdir()
    real.write_bytes(b"old")
    real.chmod(0o600)
    link = tmp_path / "spread.gif"
    link.symlink_to(real)
    assert animate(sc, ["focused"], link) == [link]
    assert link.is_symlink() and real.read_bytes().startswith(b"GIF89a")
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in real.parent.iterdir()) == ["spread.gif"]
    pipe = tmp_path / "pipe.gif"
    os.mkfifo(pipe)
    with pytest.raises(OSError, match="not a regular file"):
        animate(sc, ["focused"], pipe)
    assert stat.S_ISFIFO(pipe.stat().st_mode)
