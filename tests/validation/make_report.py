"""Regenerate docs/validation.md and its plots from the validation cases.

    .venv/bin/python tests/validation/make_report.py

Runs every case of ``cases.py`` with the parameters the tests use (so the numbers in the
document are the tests' numbers), draws ``docs/validation/*.png``, prints the table and
rewrites ``docs/validation.md``. About a minute on two cores.
"""

from __future__ import annotations

import datetime as dt
import math
import platform
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from cases import (
    BASS,
    KKT,
    KKT_OVERLAP_K,
    KKT_RULES,
    KKT_SMALL_K,
    PEERS,
    ROOT,
    SIR,
    WATTS,
    Z_MAX,
    Check,
    bass_case,
    bass_closed_form,
    bass_curves,
    bass_discrete,
    cynetdiff_sizes,
    email_single_segment,
    eon_sizes,
    er_component_law,
    kkt_case,
    mean_se,
    newman_s,
    peer_setup,
    sir_all,
    sir_point,
    two_sample,
    watts_all,
    watts_condition,
    watts_cut,
    watts_frequency,
    watts_point,
    wom_ic_sizes,
)

DOCS = ROOT / "docs"
FIGS = DOCS / "validation"
COLORS = {"wom": "#1f77b4", "theory": "#d62728", "alt": "#7f7f7f", "greedy": "#2ca02c",
          "hubs": "#ff7f0e", "random": "#9467bd", "cynetdiff": "#8c564b", "EoN": "#e377c2"}


def fmt(x: float, digits: int = 4) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.1f}"
    return f"{x:.{digits}g}"


def row(c: Check) -> str:
    slack = f" + {fmt(c.slack)}" if c.slack else ""
    return (f"| {c.label} | {fmt(c.theory)} | {fmt(c.mean)} ± {fmt(c.se, 2)}{slack} | "
            f"{c.z:+.2f} | {c.replicates} | {'✓' if c.ok else '✗'} | {c.note} |")


HEADER = ("| comparison | theory | wom mean ± SE (+ finite-size term) | z | replicates | "
          "within 4 SE | note |\n|---|---|---|---|---|---|---|")


def save(fig, name: str) -> str:
    FIGS.mkdir(parents=True, exist_ok=True)
    path = FIGS / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f"validation/{name}"


# --------------------------------------------------------------------------- cases


def bass_section() -> tuple[str, list[Check]]:
    b = BASS
    curves = bass_curves(**b)
    res = bass_case(curves, b["people"], b["p"], b["q"])
    wrong = bass_case(curves, b["people"], b["p"], b["q"] * 1.05)
    weeks = np.arange(1, b["horizon"] + 1)
    fig, (ax, az) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    lo, hi = np.percentile(curves, [2.5, 97.5], axis=0)
    ax.fill_between(weeks, lo, hi, color=COLORS["wom"], alpha=0.15,
                    label="wom: 95% of replicates")
    ax.plot(weeks, res.mean, "o", ms=4, color=COLORS["wom"], label="wom: mean")
    ax.plot(weeks, res.exact_mean, "-", color=COLORS["theory"],
            label="exact chain, N = 1,000 (tested)")
    ax.plot(weeks, bass_discrete(b["people"], b["p"], b["q"], b["horizon"]), "--",
            color=COLORS["alt"], label="Bass discrete recursion")
    t = np.linspace(0, b["horizon"], 300)
    ax.plot(t, bass_closed_form(b["people"], b["p"], b["q"], t), ":", color="k",
            label="Bass closed form F(t)")
    ax.set(xlabel="week", ylabel="customers", title=f"Bass market: N = {b['people']:,}, "
           f"p = {b['p']}, q = {b['q']}, {b['replicates']} replicates")
    ax.legend(fontsize=8, loc="lower right")
    az.axhspan(-Z_MAX, Z_MAX, color="0.9")
    az.plot(weeks, res.z, "o-", ms=3, color=COLORS["wom"], label="wom vs exact chain")
    az.plot(weeks, wrong.z, "x-", ms=3, color=COLORS["theory"],
            label="wom vs chain with q·1.05 (must fail)")
    az.set(xlabel="week", ylabel="z = (mean − theory) / SE", title="z per week (band: ±4)")
    az.legend(fontsize=8)
    path = save(fig, "bass.png")
    maxz = float(np.abs(res.z).max())
    text = f"""## Bass (1969): diffusion in a well-mixed market

**Mapping.** `network.model: complete`, one segment, everyone in the TAM, no references, no
seeds; marketing reaches all N people every week (`cost_per_contact: 1`, budget N·horizon
spread over the horizon) and converts with `a = p`; word of mouth converts with
`β = q/N` per conversation; `talk_weeks = horizon` (customers talk forever). A person not
yet adopted at week t adopts with probability 1 − (1 − p)(1 − q/N)^X, X the customers so far —
Bass's hazard p + q·X/N to first order. Runs: `Simulation` on the scenario's population,
replicate r with `wom.run`'s streams (the test checks it is `wom.run`'s replicate r
number for number).

**Theory.** The number of customers is a Markov chain, X′ = X + Binomial(N − X, π(X)); its
exact law for N = 1,000 is propagated state by state, so the mean and variance at every week
are exact and **no finite-size term is needed**. Bass's own discrete recursion
F′ = F + (p + qF)(1 − F) and closed form F(t) = (1 − e^(−(p+q)t)) / (1 + (q/p)e^(−(p+q)t))
are drawn for reference: they differ from the chain by the time step (week vs continuous)
and by the product form of the hazard, not by noise.

**Tolerance.** |mean − exact| ≤ 4 SE at every one of the {b['horizon']} weeks (SE = sample SD /
√{b['replicates']}). Largest |z| over the weeks: **{maxz:.2f}**. With q·1.05 in the theory
the largest |z| is **{float(np.abs(wrong.z).max()):.1f}**: the test can fail.

![Bass]({path})

{HEADER}
""" + "\n".join(row(c) for c in res.checks) + "\n"
    return text, res.checks


def sir_section() -> tuple[str, list[Check]]:
    s = SIR
    n = s["people"]
    sizes = sir_all(**s)
    points = {ct: sir_point(sizes[ct], n, ct) for ct in s["cT"]}
    wrong = sir_point(sizes[2.0], n, 2.2)
    grid = np.linspace(0.2, 3.2, 31)
    exact_mean, exact_pmaj, exact_big = [], [], []
    k = np.arange(n + 1)
    for ct in grid:
        law = er_component_law(n, ct / (n - 1))
        exact_mean.append(law @ k)
        big = k >= n // 10
        pm = law[big].sum()
        exact_pmaj.append(pm)
        exact_big.append((law[big] @ k[big]) / pm / n if pm > 0.02 else np.nan)
    s_inf = np.array([newman_s(x) for x in grid])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    a1.plot(grid, s_inf, ":", color="k", label="Newman S (n → ∞)")
    a1.plot(grid, exact_big, "-", color=COLORS["theory"],
            label=f"exact, n = {n:,}: large-outbreak size / n")
    a1.plot(grid, exact_pmaj, "--", color=COLORS["theory"],
            label=f"exact, n = {n:,}: P(large outbreak)")
    for ct, pt in points.items():
        for c in pt.checks[1:]:
            marker = "s" if c.label.startswith("P(") else "o"
            a1.errorbar(ct, c.mean, yerr=Z_MAX * c.se, fmt=marker, ms=5, capsize=3,
                        color=COLORS["wom"])
    a1.plot([], [], "o", color=COLORS["wom"], label="wom: size / n (bars: ±4 SE)")
    a1.plot([], [], "s", color=COLORS["wom"], label="wom: P(large outbreak)")
    a1.axvline(1.0, color="0.6", lw=0.8)
    a1.set(xlabel="c·T", ylabel="share", title=f"SIR on G(n, c/(n−1)), c = {s['degree']:g}: "
           "epidemics", ylim=(-0.02, 1.02))
    a1.legend(fontsize=8, loc="lower right")
    a2.plot(grid, exact_mean, "-", color=COLORS["theory"], label=f"exact mean, n = {n:,}")
    below = grid < 1
    a2.plot(grid[below], 1 / (1 - grid[below]), ":", color="k",
            label="Newman, n → ∞: 1/(1 − cT)")
    a2.plot(grid[~below], n * s_inf[~below] ** 2, "-.", color="k",
            label="Newman, n → ∞: n·S²")
    for ct, pt in points.items():
        c = pt.checks[0]
        a2.errorbar(ct, c.mean, yerr=Z_MAX * c.se, fmt="o", ms=5, capsize=3,
                    color=COLORS["wom"])
    a2.plot([], [], "o", color=COLORS["wom"], label="wom (bars: ±4 SE)")
    a2.axvline(1.0, color="0.6", lw=0.8)
    a2.set(yscale="log", xlabel="c·T", ylabel="mean final size (people)",
           title="mean final size from one random seed")
    a2.legend(fontsize=8, loc="lower right")
    path = save(fig, "sir.png")
    checks = [c for pt in points.values() for c in pt.checks]
    wz = max(abs(c.z) for c in wrong.checks)
    conv = []
    for ct in (1.5, 2.0, 3.0):
        vals = []
        for m in (250, 1000, 4000):
            law = er_component_law(m, ct / (m - 1))
            kk = np.arange(m + 1)
            big = kk >= m // 10
            vals.append((law[big] @ kk[big]) / law[big].sum() / m)
        conv.append(f"| {ct:g} | {newman_s(ct):.4f} | " + " | ".join(f"{v:.4f}" for v in vals)
                    + " |")
    text = f"""## SIR final size on Erdős–Rényi graphs (Newman 2002)

**Mapping.** An SIR infection that lasts one step and crosses each tie with probability T is
the independent cascade: `word_of_mouth = T`, `talk_weeks = 1`, `marketing = 0`, no
references, one segment, everyone in the TAM, one `random` seed. Each replicate is wom's
`erdos_renyi` market of that replicate (a fresh G(n, c/(n−1)), n = {n:,}, c = {s['degree']:g}),
wom's seeding rule, and one run of `Cascades.customers`.

**Theory.** Averaged over the graph, each pair of people is looked at most once (tie present
with probability c/(n−1), transmission with T), so the final size is the seed's component in
G(n, π), π = cT/(n−1) (the Reed–Frost epidemic). Its law is computed exactly by exploring the
component one person at a time (Binomial(n − found, π) new people per explored person), so
the test compares against the **exact finite-n** law: no finite-size term. Newman's
asymptotic results are the n → ∞ limits of the same law: large outbreaks take a share S,
S = 1 − exp(−cT·S), and happen with probability S; below c·T = 1 the mean outbreak size is
1/(1 − cT). The exact law converges to them (share of the people in a large outbreak,
exact, by n — a test checks the convergence):

| c·T | Newman S | n = 250 | n = 1,000 | n = 4,000 |
|---|---|---|---|---|
""" + "\n".join(conv) + f"""

**Tolerance.** 4 SE for each of the {len(checks)} numbers below ({s['replicates']} replicates
per c·T; a large outbreak is one over n/10 = {n // 10} people, where the exact law has almost
no mass). With the theory computed at c·T = 2.2 for the run at 2.0, the largest |z| is
**{wz:.1f}**: the test can fail.

![SIR]({path})

{HEADER}
""" + "\n".join(row(c) for c in checks) + "\n"
    return text, checks


def watts_section() -> tuple[str, list[Check]]:
    w = WATTS
    n, phi = w["people"], w["phi"]
    runs = watts_all(**w)
    points = {z: watts_point(*runs[z], n, z, phi) for z in w["degrees"]}
    graph_rows = "\n".join(
        f"| {z:g} | {pt.condition:.2f} | {pt.theory:.4f} | {pt.graph_share.mean:.4f} ± "
        f"{pt.graph_share.se:.4f} | {pt.graph_share.mean - pt.theory:+.4f} | {10 / n:.4f} |"
        for z, pt in points.items())
    wrong = watts_point(*runs[5.0], n, 5.0, 0.14)
    grid = np.linspace(0.3, 10, 200)
    freq = np.array([watts_frequency(z, phi) for z in grid])
    cond = np.array([watts_condition(z, phi) for z in grid])
    inside = grid[cond > 1]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.axvspan(inside.min(), inside.max(), color="0.92", label="cascade window (theory)")
    ax.plot(grid, freq, "-", color=COLORS["theory"], label="Watts: frequency (n → ∞)")
    for z, pt in points.items():
        c = pt.check
        ax.errorbar(z, c.mean, yerr=Z_MAX * c.se + c.slack, fmt="o", ms=5, capsize=3,
                    color=COLORS["wom"])
        sizes = runs[z][0]
        big = sizes > watts_cut(n)
        if big.any():
            ax.plot(z, sizes[big].mean() / n, "^", color=COLORS["alt"], ms=6)
    ax.plot([], [], "o", color=COLORS["wom"], label="wom: frequency (bars: ±4 SE)")
    ax.plot([], [], "^", color=COLORS["alt"], label="wom: mean size of global cascades / n")
    ax.set(xlabel="mean degree z", ylabel="share",
           title=f"Watts threshold model, φ = {phi}, n = {n:,}, {w['replicates']} seeds per z",
           ylim=(-0.03, 1.03))
    ax.legend(fontsize=8, loc="center right")
    path = save(fig, "watts.png")
    checks = [pt.check for pt in points.values()]
    misses = sum(pt.misses for pt in points.values())
    escapes = sum(pt.escapes for pt in points.values())
    total = len(points) * w["replicates"]
    text = f"""## Watts (2002): the cascade window for fractional thresholds

**Can wom say it?** wom's threshold is a *count*: a person adopts only once at least
`threshold_v` same-segment neighbours have adopted (the references of
[model.md](model.md#the-adoption-rule)). Watts' rule is a *fraction*: adopt once a share φ
of one's k neighbours have. On a given graph the two rules are the same rule with
`threshold_v = ⌈φ·k_v⌉` — an exact identity, not an approximation. What the
**scenario file cannot** say is a threshold that depends on the person's degree (`references`
is one count per segment, `early_market` a share with threshold 0), so this case builds wom's
`erdos_renyi` market from a scenario and then sets the population's `references` array to
⌈φ·k⌉ (`dataclasses.replace`); everything else — graph, seeding rule, engine — is wom's.

**Mapping.** One segment, `word_of_mouth = 1` (a talking adopter always convinces a neighbour
who has enough references), `talk_weeks = 1`, no marketing, one `random` seed on a fresh graph
per replicate, `Cascades.customers`. The reference count is updated at the end of each step
and the neighbour whose adoption completes it talks in the next step with certainty, so a
person adopts in the step after a share φ of their neighbours had: Watts' synchronous update.

**Theory.** People with ⌈φk⌉ ≤ 1 are vulnerable (ρ_k = 1 for k ≤ 1/φ = 5.6); global cascades
are possible where Σ_k k(k−1)ρ_k p_k / z > 1 (Watts' condition; p_k Poisson(z)) — for φ = 0.18
that is {inside.min():.2f} < z < {inside.max():.2f}. Their frequency from one random seed is the
chance the seed touches the giant vulnerable cluster: 1 − Σ_k p_k u^k with
u = 1 − Σ_k (k p_k/z) ρ_k (1 − u^(k−1)) (Watts 2002; Gleeson & Cahalane 2007). A cascade is
global above 1% of the people (Watts' definition; the sizes are bimodal).

**Tolerance.** |frequency − theory| ≤ 4 SE + 10/n + escapes/runs, SE binomial at the theory
value (at a theory of 0, at 1/replicates). The finite-size term has two parts, both O(1/n)
and both zero in Watts' n → ∞ limit; the points keep away from the window's edges, where
finite-size effects are larger. (i) 10/n bounds the bias of the percolation quantity the
theory describes (as for the giant component of G(n, c/n), whose mean size is nS + O(1)).
(ii) *Escapes*: a global cascade from a seed that does not touch the giant vulnerable
cluster, because a stable person next to two small activated clusters tips (a short cycle).
They are counted run by run (β = 1: the outcome is fixed by graph and seed) and given away;
there were **{escapes}** in {total} runs. The converse — a seed touching the giant
vulnerable cluster without a global cascade — would be an engine bug: **{misses}** (a test
requires 0). The bias (i) is measured
on the very graphs of the runs, with no dynamics: the share of people in or next to each
graph's largest vulnerable cluster when it holds over 1% of the people (exact per graph; its
spread over graphs gives the ± SE),
and a test checks it stays within 10/n + 4 SE of the limit:

| z | condition | Watts (n → ∞) | exact per graph, mean ± SE | bias | 10/n |
|---|---|---|---|---|---|
{graph_rows}

With the theory at φ = 0.14 for the run at 0.18 (z = 5), |z| is
**{abs(wrong.check.z):.1f}**: the test can fail.

![Watts]({path})

{HEADER}
""" + "\n".join(row(c) for c in checks) + "\n"
    return text, checks


def kkt_section(labels: Path) -> tuple[str, list[Check]]:
    p = KKT
    res = kkt_case(labels, **p)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for rule in KKT_RULES:
        x = res.spread[rule]
        m = x.mean(axis=0)
        se = x.std(axis=0, ddof=1) / math.sqrt(x.shape[0])
        a1.errorbar(res.ks, m, yerr=2 * se, fmt="o-", ms=4, capsize=2, color=COLORS[rule],
                    label={"greedy": "greedy (CELF)", "hubs": "degree (hubs)",
                           "random": "random"}[rule])
    a1.set(xlabel="seeds k", ylabel="expected customers",
           title=f"email-Eu-core, independent cascade β = {p['beta']} (bars: ±2 SE)")
    a1.legend(fontsize=8)
    gh = res.pairs[("greedy", "hubs")]
    m = np.array([c.mean for c in gh])
    se = np.array([c.se for c in gh])
    a2.axhline(0, color="k", lw=0.8)
    a2.fill_between(res.ks, -(Z_MAX * se + res.resolution), 0, color="0.9",
                    label="allowed shortfall: 4 SE + greedy's oracle resolution")
    a2.errorbar(res.ks, m, yerr=Z_MAX * se, fmt="o", capsize=3, color=COLORS["greedy"],
                label="greedy − degree (bars: ±4 SE)")
    a2.axvspan(KKT_OVERLAP_K - 0.5, p["k"] + 0.5, color=COLORS["greedy"], alpha=0.07,
               label=f"k ≥ {KKT_OVERLAP_K}: greedy must win (mean > 2 SE)")
    a2.set(xlabel="seeds k", ylabel="customers", title="greedy − degree, paired")
    a2.legend(fontsize=8, loc="lower left")
    path = save(fig, "kkt.png")
    checks = (res.pairs[("hubs", "random")][:KKT_SMALL_K]
              + res.pairs[("greedy", "random")][:KKT_SMALL_K]
              + res.pairs[("greedy", "hubs")] + [res.overlap])
    lines = []
    for c in checks:
        if c.label.startswith("greedy − hubs, k"):
            j = int(c.label.rsplit(" ", 1)[1]) - 1
            bound = f"≥ −{Z_MAX * c.se + res.resolution[j]:.2f}"
            ok = c.mean >= -(Z_MAX * c.se + res.resolution[j])
        else:
            z_need = 2.0 if c is res.overlap else Z_MAX
            bound = f"> {z_need * c.se:.2f}"
            ok = c.mean > z_need * c.se
        ratio = f"{c.mean / c.se:+.1f}" if c.se > 0 else "— (same seeds)"
        lines.append(f"| {c.label} | {c.mean:+.2f} ± {c.se:.2f} | {bound} | {ratio}"
                     f" | {c.replicates} | {'✓' if ok else '✗'} |")
    table = ("| paired difference (customers) | mean ± SE | required | mean / SE | replicates "
             "| holds |\n|---|---|---|---|---|---|\n" + "\n".join(lines))
    rows = ["| k | " + " | ".join(KKT_RULES) + " |", "|---|---|---|---|"]
    for j in range(p["k"]):
        rows.append(f"| {j + 1} | " + " | ".join(f"{res.spread[r][:, j].mean():.1f}"
                                                   for r in KKT_RULES) + " |")
    text = f"""## Kempe, Kleinberg & Tardos (2003): greedy ≥ degree ≥ random on a real graph

**Mapping.** email-Eu-core (1,005 people, 16,064 undirected ties; `network.model: file`) with
every person in one segment (a labels file written on the fly), independent cascade with
activation probability β = {p['beta']} on every tie (`talk_weeks = 1`, no marketing, no
references), k = 1..{p['k']} seeds bought by a `broad` strategy with seeding `greedy` (wom's
CELF on its own simulations, `greedy_runs = {p['greedy_runs']}`, `greedy_pool =
{p['greedy_pool']}`), `hubs` (degree) or `random`. Each of {p['replicates']} replicates
re-picks every rule's seeds (replicate r's plan stream) and scores every prefix of every seed
list on the same {p['runs']} fresh runs (common random numbers, none seen by greedy) with
`Cascades.mean_customers`. SE: SD of the per-replicate paired difference / √replicates.

**Claims tested.** (1) At small k (k ≤ {KKT_SMALL_K}) degree and greedy beat random by more
than 4 SE. (2) Greedy is never worse than degree by more than 4 SE plus its *oracle
resolution*: KKT's (1 − 1/e) guarantee assumes exact expected spreads, while wom's greedy judges
seed sets by means over {p['greedy_runs']} runs, so it cannot separate sets closer than about
4·sd/√{p['greedy_runs']} (sd: per-run SD of the paired difference, measured on replicate 0).
(3) Once the hubs' audiences overlap (k ≥ {KKT_OVERLAP_K}), greedy beats degree: a
directional claim, so the test needs power rather than a wide tolerance — it asserts the
paired difference (mean over k = {KKT_OVERLAP_K}..{p['k']}) exceeds 2 SE. Its z is 5.9 here and
was 4.9 and 3.7 with scenario seeds 42 and 43: a 4-SE gate would fail about one seed in
three, 2 SE fails with probability below 1% at the observed effect.

**What it shows.** The KKT ordering holds, but on this graph at small k degree is as good as
greedy: the best-connected people of email-Eu-core are the best seeds, and the two rules pick
nearly the same people; greedy pulls ahead only when more hubs mostly reach the same
people again. At k = 2–3 greedy may trail degree by a customer or two — within its oracle
resolution, not a bias of the engine.

![KKT]({path})

Expected customers (mean over replicates):

{chr(10).join(rows)}

{table}
"""
    return text, checks


def peers_section(labels: Path) -> tuple[str, list[Check]]:
    p = PEERS
    sc, pop, plan = peer_setup(labels, p["beta"], p["seeds"], p["seed"])
    ours = wom_ic_sizes(sc, pop, plan, p["runs"]["wom"], p["seed"])
    out = {"wom": ours}
    checks = []
    wrong = None
    try:
        out["cynetdiff"] = cynetdiff_sizes(pop, plan.seeds, p["beta"], p["runs"]["cynetdiff"],
                                           p["seed"])
        checks.append(two_sample("wom vs cynetdiff", ours, out["cynetdiff"]))
        bad = cynetdiff_sizes(pop, plan.seeds, 1.1 * p["beta"], p["runs"]["cynetdiff"],
                              p["seed"])
        wrong = two_sample("wom vs cynetdiff at 1.1·β", ours, bad)
    except ImportError as e:
        print(f"cynetdiff skipped: {e}", file=sys.stderr)
    try:
        out["EoN"] = eon_sizes(pop, plan.seeds, p["beta"], p["runs"]["EoN"], p["seed"])
        checks.append(two_sample("wom vs EoN", ours, out["EoN"]))
    except ImportError as e:
        print(f"EoN skipped: {e}", file=sys.stderr)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    bins = np.linspace(0, max(x.max() for x in out.values()) + 10, 45)
    for name, x in out.items():
        a1.hist(x, bins=bins, density=True, histtype="step", lw=1.6, color=COLORS[name],
                label=f"{name} ({x.size} runs)")
    a1.set(xlabel="final size (people)", ylabel="density",
           title=f"IC on email-Eu-core, β = {p['beta']}, {p['seeds']} random seeds")
    a1.legend(fontsize=8)
    names = list(out)
    for i, name in enumerate(names):
        m, se = mean_se(out[name])
        a2.errorbar(i, m, yerr=Z_MAX * se, fmt="o", capsize=5, color=COLORS[name])
    a2.set_xticks(range(len(names)), names)
    a2.set(ylabel="mean final size", title="means, bars ±4 SE")
    path = save(fig, "peers.png")
    versions = ", ".join(f"{d} {_version(d)}" for d in ("cynetdiff", "eon"))
    wz = f"**{abs(wrong.z):.1f}**" if wrong else "(cynetdiff missing)"
    text = f"""## Agreement with independent simulators

**Mapping.** The same graph (email-Eu-core as wom loads it, handed to the peers through
`Population.to_networkx()`, node numbers kept), the same {p['seeds']} seeds (wom's `random` rule),
the same activation probability β = {p['beta']}: wom's `Cascades.customers`
(`talk_weeks = 1`), cynetdiff's `IndependentCascadeModel`, and EoN's `basic_discrete_SIR`
(infectious for one step, transmits with probability p to each susceptible neighbour: the
same process). Versions: {versions}.

**Tolerance.** Two-sample z of the mean final sizes, SE = √(SE_wom² + SE_peer²), |z| ≤ 4.
cynetdiff at 1.1·β against wom at β gives |z| = {wz}: the test can fail. (The tests skip a peer
that is not installed; both come with the `test` extra.)

![peers]({path})

{HEADER}
""" + "\n".join(row(c) for c in checks) + "\n"
    return text, checks


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def main() -> int:
    t0 = time.perf_counter()
    sections, every = [], []
    with tempfile.TemporaryDirectory() as tmp:
        labels = email_single_segment(Path(tmp))
        for name, fn in (("bass", bass_section), ("sir", sir_section),
                         ("watts", watts_section), ("kkt", lambda: kkt_section(labels)),
                         ("peers", lambda: peers_section(labels))):
            t = time.perf_counter()
            text, checks = fn()
            sections.append(text)
            every.extend(checks)
            print(f"{name}: {time.perf_counter() - t:.1f} s")
    wall = time.perf_counter() - t0
    for c in every:
        print(f"  {c.label:45s} theory {c.theory:12.4f}  wom {c.mean:12.4f} ± {c.se:.4f}"
              f"  z {c.z:+6.2f}  n {c.replicates}")
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    head = f"""# Validation: wom's special cases against published results

Each section maps a textbook model onto a special case of wom's one adoption rule
([model.md](model.md#the-adoption-rule)), runs it through wom's own scenario machinery and
engine, and compares the simulated mean with the published (or exactly computed) value. A
comparison passes when the gap is within **4
standard errors** of the simulated mean (plus an explicitly derived finite-size term where
the theory is asymptotic and no exact finite-n value exists). Every check also has a "can
fail" twin: the same runs against a deliberately wrong parameter, which must exceed the bound.

The tests are `tests/validation/test_validation_*.py` (`.venv/bin/python -m pytest
tests/validation`); they and this page share `tests/validation/cases.py`, so the numbers
below are the tests' numbers. Regenerate this page and its plots with

```bash
.venv/bin/python tests/validation/make_report.py
```

Generated {stamp}; wom {_version('wom')}, Python {platform.python_version()}, {wall:.0f} s.
z below is (mean − theory) / SE after the finite-size term (if any) is given away.

Contents: [Bass](#bass-1969-diffusion-in-a-well-mixed-market) ·
[SIR on Erdős–Rényi](#sir-final-size-on-erdősrényi-graphs-newman-2002) ·
[Watts](#watts-2002-the-cascade-window-for-fractional-thresholds) ·
[KKT](#kempe-kleinberg--tardos-2003-greedy--degree--random-on-a-real-graph) ·
[independent simulators](#agreement-with-independent-simulators) ·
[references](#references)

"""
    refs = """## References

- F. M. Bass (1969), A new product growth for model consumer durables, *Management Science*
  15(5):215–227.
- M. E. J. Newman (2002), Spread of epidemic disease on networks, *Phys. Rev. E* 66:016128.
- D. J. Watts (2002), A simple model of global cascades on random networks, *PNAS*
  99(9):5766–5771.
- J. P. Gleeson, D. J. Cahalane (2007), Seed size strongly affects cascades on random
  networks, *Phys. Rev. E* 75:056103.
- D. Kempe, J. Kleinberg, É. Tardos (2003), Maximizing the spread of influence through a
  social network, *KDD '03*, 137–146.
- J. Leskovec, A. Krause, C. Guestrin, C. Faloutsos, J. VanBriesen, N. Glance (2007),
  Cost-effective outbreak detection in networks, *KDD '07* (CELF).
- cynetdiff (E. Kaplan et al.), EoN — Epidemics on Networks (J. C. Miller, T. Ting).
"""
    (DOCS / "validation.md").write_text(head + "\n".join(sections) + "\n" + refs)
    print(f"wrote {DOCS / 'validation.md'} and {FIGS}/*.png in {wall:.0f} s")
    bad = [c for c in every if not c.ok and "−" not in c.label]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
