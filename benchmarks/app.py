"""The teaching app's speed on the flagship (16,000 people, focused and broad side by side).

1. **Per week, in the server process:** one week stepped and both pictures drawn to PNG, the
   way the page did before issue 14 (both figures built afresh and saved: ``graph_figure`` +
   ``savefig``, ``curves_figure`` + ``savefig``) and the way it does now (the static layer
   drawn once, only the customers, titles and curves redrawn: ``Picture.frame``). Two
   lessons of the same scenario take turns week by week through the 52 weeks, so the shared
   machine's noise falls on both; the ratio is what to read.
2. **In a browser** (Debian's Chromium through Playwright, skipped without it): ``wom app``
   started afresh; first load = from opening the page to the week and both pictures shown
   (the first page of a server, then a second one), and playing = weeks per second the page
   shows while ▶ plays with the default interval (150 ms), then 0 ms.

Writes the ``app`` section of ``docs/benchmarks.md``::

    .venv/bin/python benchmarks/app.py [--weeks 52] [--no-browser] [--out -]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import ROOT, machine, write_section

START, END = "<!-- app:start -->", "<!-- app:end -->"
FLAGSHIP = ROOT / "scenarios" / "focused-vs-broad.yaml"
CHROMIUM = Path("/usr/bin/chromium")


def per_week(weeks: int) -> dict[str, list[float]]:
    """Seconds per week (step + both pictures as PNG), before and after, taking turns."""
    import wom
    from wom.app import Lesson, controls
    from wom.app.figures import curves_figure, graph_figure
    from wom.app.pictures import curves_picture, graph_picture

    sc = wom.load_scenario(FLAGSHIP)
    start = {k: v["value"] for k, v in controls(sc).items() if isinstance(v, dict)}
    old, new = Lesson(sc, **start), Lesson(sc, **start)
    warm = Lesson(sc, **start)
    warm.step()  # numba's kernels loaded before timing

    def before() -> None:
        old.step()
        for fig in (graph_figure(old), curves_figure(old)):
            fig.savefig(io.BytesIO(), format="png")

    graph, curves = graph_picture(new), curves_picture(new)
    graph.frame(new), curves.frame(new)  # the page's first frame: not a week of play

    def after() -> None:
        new.step()
        graph.frame(new)
        curves.frame(new)

    times: dict[str, list[float]] = {"before": [], "after": []}
    for week in range(min(weeks, sc.horizon)):
        for name, run in (("before", before), ("after", after))[:: 1 if week % 2 else -1]:
            t = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t)
    assert old.week == new.week
    times["full draws"] = [float(graph.full_draws), float(curves.full_draws)]
    return times


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def in_browser(play_seconds: float) -> dict[str, float]:
    """First loads and weeks per second while playing, in Chromium against ``wom app``."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOLARA_", "WOM_APP"))}
    env["PYTHONPATH"] = str(ROOT / "src")
    server = subprocess.Popen([sys.executable, "-m", "wom.cli", "app", str(FLAGSHIP),
                               "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out: dict[str, float] = {}
    try:
        started = time.monotonic()
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                if time.monotonic() - started > 120:
                    raise
                time.sleep(0.2)
        out["server start s"] = time.monotonic() - started
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])
            for label in ("first load s (first page of the server)", "first load s (next page)"):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                tab = context.new_page()
                t = time.monotonic()
                tab.goto(url)
                tab.get_by_text("Week 0 of 52").wait_for(timeout=180_000)
                tab.locator("img").nth(1).wait_for(timeout=180_000)
                out[label] = time.monotonic() - t
                if label.endswith("(next page)"):
                    break
                context.close()

            def week() -> int:
                text = tab.locator(".wom-week").inner_text()
                return int(re.search(r"Week (\d+)", text).group(1))  # type: ignore[union-attr]

            def play(label: str) -> None:
                tab.get_by_role("button", name="Reset").click()
                tab.get_by_text("Week 0 of 52").wait_for(timeout=60_000)
                tab.get_by_role("button", name="▶").click()
                tab.wait_for_timeout(1000)  # past the first frames
                w0, t0 = week(), time.monotonic()
                w1, t1 = w0, t0
                while time.monotonic() - t0 < play_seconds and w1 < 52:
                    tab.wait_for_timeout(100)
                    now = week()
                    if now != w1:  # the time a week appeared, not when it was looked at
                        w1, t1 = now, time.monotonic()
                if w1 < 52:
                    tab.get_by_role("button", name="❚❚").click()
                out[label] = (w1 - w0) / (t1 - t0)

            play("weeks/s playing (the default: a week every 150 ms asked)")
            thumb = tab.get_by_text("ms from one week to the next while playing", exact=False)
            thumb.locator("xpath=following::*[@role='slider'][1]").focus()
            tab.keyboard.press("Home")  # 0 ms: as fast as it can
            play("weeks/s playing (0 ms asked; the page may skip drawing some weeks)")
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--play-seconds", type=float, default=8.0)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    began = time.monotonic()
    m = machine()
    times = per_week(args.weeks)
    before, after = times["before"], times["after"]
    browser = {} if args.no_browser or not CHROMIUM.exists() else in_browser(args.play_seconds)

    def row(name: str, xs: list[float]) -> str:
        return (f"| {name} | {1000 * statistics.mean(xs):,.0f} | "
                f"{1000 * statistics.median(xs):,.0f} | {1000 * max(xs):,.0f} | "
                f"{1 / statistics.mean(xs):.1f} |")

    graph_draws, curve_draws = (int(x) for x in times["full draws"])
    lines = [
        START,
        "## Teaching app: a week of the flagship, stepped and drawn",
        "",
        f"Generated by `.venv/bin/python benchmarks/app.py` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in "
        f"{(time.monotonic() - began) / 60:.1f} min (issue 14, item 12).",
        "",
        f"- **Machine:** {m['cpu']}, {m['cores']} cores, {m['os']}; Python {m['python']}; "
        f"wom at commit {m['commit']}.",
        "- **What:** `scenarios/focused-vs-broad.yaml` (16,000 people, focused and broad side "
        "by side, 3,000 people drawn per panel); each week = one step of both strategies and "
        "both pictures encoded as PNG, in the server process. *Before*: both figures built "
        "and saved afresh every week, as the page did before issue 14; *after*: the static "
        "layer drawn once and only what changed redrawn (`wom.app.pictures`). The two take "
        f"turns week by week over {len(before)} weeks.",
        "",
        "| per week | mean ms | median ms | max ms | weeks/s |",
        "|---|---:|---:|---:|---:|",
        row("before: full redraw", before),
        row("after: only what changed", after),
        "",
        f"**After vs before:** {statistics.mean(before) / statistics.mean(after):.1f}× faster "
        f"(mean), {statistics.median(before) / statistics.median(after):.1f}× (median). "
        f"Over the run the graph's static layer was drawn {graph_draws} time(s) and the "
        f"curves' axes {curve_draws} times (when the y axis grows).",
        "",
    ]
    if browser:
        lines += ["**In the browser** (Chromium, headless, on the same machine as the server):",
                  ""]
        lines += [f"- {k}: {v:.1f}" for k, v in browser.items()]
        lines += ["", "The goal (issue 14): at least 4 weeks/s while playing the flagship.", ""]
    else:
        lines += ["(Browser measurements skipped: no Chromium at /usr/bin/chromium.)", ""]
    lines.append(END)
    section = "\n".join(lines)
    print(section)
    if args.out != "-":
        write_section(Path(args.out), section, START, END)


if __name__ == "__main__":
    main()
