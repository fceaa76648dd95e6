"""The validation cases: wom's engine against published results, as plain functions.

The tests (``tests/validation/test_*.py``) and the report (``tests/validation/make_report.py``,
which writes ``docs/validation.md`` and its plots) call the same functions with the same
arguments, so the numbers in the document are the numbers the tests check.

Every case maps a textbook model onto a special case of the one adoption rule of docs/model.md §2
and runs it through wom's own machinery (a scenario dict, wom's graph builders, seeding rules
and engine); nothing here simulates a cascade itself. Each docstring says how the mapping
works. Tolerances are ``Z_MAX`` standard errors of the simulated mean (the standard error
estimated from the replicates), plus, where the theory is asymptotic and no exact finite-size
value is available, an explicitly derived finite-size term.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from scipy import optimize, stats

import wom
from wom.engine import Cascades
from wom.experiment import DYNAMICS, Replicate, stream
from wom.market import Population

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
#: A simulated mean agrees with theory when it is within this many standard errors.
#: P(|z| > 4) = 6.3e-5 for a normal z: with the ~60 comparisons of the suite a false alarm
#: has probability about 0.4%, yet a real bias of 4 SE or more is caught.
Z_MAX = 4.0


@dataclass
class Check:
    """One number compared with its theory value."""

    label: str
    theory: float
    mean: float
    se: float
    replicates: int
    slack: float = 0.0  # derived finite-size term added to the tolerance (0: none needed)
    note: str = ""

    @property
    def z(self) -> float:
        """Standardised distance, after the finite-size term has been given away."""
        gap = max(0.0, abs(self.mean - self.theory) - self.slack)
        if self.se == 0.0:
            return 0.0 if gap == 0.0 else math.inf
        return math.copysign(gap / self.se, self.mean - self.theory)

    @property
    def ok(self) -> bool:
        return abs(self.z) <= Z_MAX


def mean_se(x: np.ndarray) -> tuple[float, float]:
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


def seeds_only_scenario(name: str, *, people: int, seeds: int, beta: float, seed: int,
                        network: dict, horizon: int, seeding: str = "random",
                        **strategy: object) -> wom.Scenario:
    """One segment, everybody in the TAM, no references, no competitor, no marketing:
    `seeds` people seeded at step 0 by `seeding` and then word of mouth with ``β = beta``,
    each adopter talking for one step only (``talk_weeks = 1``) — the independent cascade
    special case of docs/model.md §7 with activation probability ``beta`` on every tie."""
    return wom.scenario_from_dict({
        "name": name, "seed": seed, "horizon": horizon, "replicates": 1,
        "segments": [{"name": "all", "size": people, "tam": 1.0, "incumbent": 0.0,
                      "early_market": 1.0, "references": 0}],
        "network": {"weak_tie": 1.0, **network},
        "dynamics": {"word_of_mouth": beta, "marketing": 0.0, "talk_weeks": 1,
                     "generic_resonance": 1.0, "overlap": 1.0},
        # seed_share 1: the whole budget buys seeds at step 0, no contacts.
        "budget": {"total": 500.0 * seeds, "cost_per_seed": 500.0, "seed_share": 1.0,
                   "campaign_weeks": 1},
        "strategies": [{"name": seeding, "kind": "broad", "seeding": seeding, **strategy}],
    })


# =========================================================================== Bass (1969)

BASS = {"people": 1000, "p": 0.03, "q": 0.38, "horizon": 30, "replicates": 300, "seed": 11}


def bass_scenario(people: int, p: float, q: float, horizon: int, seed: int) -> wom.Scenario:
    """Bass's well-mixed market as a wom scenario (the Bass special case of docs/model.md §7).

    Complete graph (everyone talks to everyone), one segment, everyone in the TAM, no
    references, no seeds. Marketing reaches every person every week (``people`` contacts a
    week for the whole horizon, one unit of money each) and converts with ``a = p``; word of
    mouth converts with ``β = q / N`` per conversation and every customer keeps talking to
    the horizon (``talk_weeks = horizon``). So a person not yet adopted at week t adopts with
    probability ``1 − (1 − p)(1 − q/N)^X``, X the customers so far: Bass's hazard
    ``p + q·X/N`` to first order in p and q.
    """
    return wom.scenario_from_dict({
        "name": "bass-validation", "seed": seed, "horizon": horizon, "replicates": 1,
        "segments": [{"name": "market", "size": people, "tam": 1.0, "incumbent": 0.0,
                      "early_market": 1.0, "references": 0}],
        "network": {"model": "complete"},
        "dynamics": {"word_of_mouth": q / people, "marketing": p, "talk_weeks": horizon,
                     "generic_resonance": 1.0},
        "budget": {"total": float(people * horizon), "cost_per_seed": 500.0,
                   "cost_per_contact": 1.0, "seed_share": 0.0, "campaign_weeks": horizon},
        "strategies": [{"name": "launch", "kind": "broad"}],
    })


def bass_curves(people: int, p: float, q: float, horizon: int, seed: int,
                replicates: int) -> np.ndarray:
    """``float[replicates, horizon]``: customers at the end of each week, per replicate.

    Replicate ``r`` is replicate ``r`` of ``wom.run`` on :func:`bass_scenario`, number for
    number (the complete graph and the plan hold no randomness, so the population is built
    once instead of once per replicate; ``test_bass`` checks the equality on a few).
    """
    sc = bass_scenario(people, p, q, horizon, seed)
    pop = Replicate(sc, 0).population
    out = np.empty((replicates, horizon))
    for r in range(replicates):
        sim = Replicate(sc, r, population=pop).simulation(sc.strategies[0])
        for t in range(horizon):
            sim.step()
            out[r, t] = sim.n_adopted
    return out


def bass_exact(people: int, p: float, q: float, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of the customers after each week, for a market of `people`.

    The Bass special case is a Markov chain on the number of customers X: each of the
    N − X others adopts independently with ``π(X) = 1 − (1 − p)(1 − q/N)^X``, so
    ``X' = X + Binomial(N − X, π(X))``, starting from X = 0. Its law is propagated exactly
    (N + 1 states), so the comparison needs no finite-size term.
    """
    n = people
    x = np.arange(n + 1)
    pi = 1.0 - (1.0 - p) * (1.0 - q / n) ** x
    # T[x, y] = P(X' = y | X = x) = Binomial(n − x, π(x)) at y − x.
    trans = np.zeros((n + 1, n + 1))
    for i in range(n + 1):
        trans[i, i:] = stats.binom.pmf(np.arange(n - i + 1), n - i, pi[i])
    law = np.zeros(n + 1)
    law[0] = 1.0
    mean, var = np.empty(horizon), np.empty(horizon)
    for t in range(horizon):
        law = law @ trans
        mean[t] = law @ x
        var[t] = law @ (x - mean[t]) ** 2
    return mean, var


def bass_discrete(people: int, p: float, q: float, horizon: int) -> np.ndarray:
    """Bass's discrete-time recursion ``F' = F + (p + q F)(1 − F)``, in customers."""
    f, out = 0.0, np.empty(horizon)
    for t in range(horizon):
        f = f + (p + q * f) * (1.0 - f)
        out[t] = people * f
    return out


def bass_closed_form(people: int, p: float, q: float, t: np.ndarray) -> np.ndarray:
    """Bass (1969): ``F(t) = (1 − e^{−(p+q)t}) / (1 + (q/p) e^{−(p+q)t})``, in customers."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return people * (1.0 - e) / (1.0 + (q / p) * e)


@dataclass
class BassResult:
    curves: np.ndarray
    exact_mean: np.ndarray
    exact_var: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    z: np.ndarray
    checks: list[Check] = field(default_factory=list)


def bass_case(curves: np.ndarray, people: int, p: float, q: float) -> BassResult:
    """wom's mean curve (`curves` from :func:`bass_curves`) against the exact law of the Bass
    chain with imitation `q`, week by week (a wrong q shows the tolerance discriminates)."""
    replicates, horizon = curves.shape
    em, ev = bass_exact(people, p, q, horizon)
    mean = curves.mean(axis=0)
    se = curves.std(axis=0, ddof=1) / math.sqrt(replicates)
    z = (mean - em) / se
    checks = [Check(f"customers after week {t}", float(em[t - 1]), float(mean[t - 1]),
                    float(se[t - 1]), replicates) for t in (3, 6, 9, 12, 15, 20, 30)
              if t <= horizon]
    return BassResult(curves, em, ev, mean, se, z, checks)


# ============================================================ SIR on Erdős–Rényi (Newman 2002)

SIR = {"people": 1000, "degree": 4.0, "cT": (0.5, 1.0, 1.5, 2.0, 3.0), "replicates": 800,
       "seed": 21}


def newman_s(ct: float) -> float:
    """Newman (2002) on a Poisson graph: the epidemic's share S solves S = 1 − exp(−cT·S)
    (S = 0 at or below the threshold cT = 1)."""
    if ct <= 1.0:
        return 0.0
    return float(optimize.brentq(lambda s: s - 1.0 + math.exp(-ct * s), 1e-12, 1.0))


def sir_sizes(people: int, degree: float, T: float, replicates: int, seed: int,
              horizon: int = 400) -> np.ndarray:
    """Final sizes (seed included) of an SIR epidemic from one random person, each replicate
    on its own Erdős–Rényi graph.

    Mapping: an SIR infection that lasts exactly one step and transmits along each tie with
    probability T is the independent cascade with ``β = T``, ``talk_weeks = 1``, no
    marketing, no references (:func:`seeds_only_scenario`), one ``random`` seed. Replicate
    ``r`` uses wom's ``erdos_renyi`` graph of replicate ``r`` (a fresh G(n, c/(n−1))), wom's
    seeding rule and a run seed drawn from replicate ``r``'s dynamics stream; the run is
    :meth:`wom.engine.Cascades.customers`, the engine path used by greedy seeding.
    """
    sc = seeds_only_scenario("sir-er", people=people, seeds=1, beta=T, seed=seed,
                             network={"model": "erdos_renyi", "mean_degree": degree},
                             horizon=horizon)
    out = np.empty(replicates, np.int64)
    for r in range(replicates):
        rep = Replicate(sc, r)
        pop, plan = rep.population, rep.plan(sc.strategies[0])
        run_seed = rep.stream(DYNAMICS).integers(0, 2**63 - 1, size=1)
        cas = Cascades(pop, sc.dynamics, sc.network.weak_tie, horizon)
        out[r] = cas.customers(plan.seeds, plan.seed_message, run_seed)[0]
    return out


@cache
def er_component_law(people: int, pi: float) -> np.ndarray:
    """``float[people + 1]``: exact law of the size of a given person's component in
    G(people, π).

    Averaged over the graph, the epidemic above is the Reed–Frost chain: a tie between two
    people is looked at (exists with probability c/(n−1), transmits with probability T) at
    most once, so the infected set is the seed's component in G(n, π), π = T·c/(n−1).
    That component is found by exploring it one person at a time: with d people found and
    k explored, the next explored person finds Binomial(n − d, π) new ones; the component
    is complete when k = d. The law of d is propagated exactly (binomial tails below 1e-20
    dropped).
    """
    from scipy import sparse

    n = people
    # (binom.isf is unreliable this far out: find the tail by hand)
    jmax = int(np.argmax(stats.binom.sf(np.arange(n + 1), n, pi) < 1e-20)) + 1 if pi > 0 else 0
    d = np.arange(n + 1)
    # step[d, d + j] = P(Binomial(n − d, π) = j): one person explored, j new ones found.
    rows, cols, vals = [], [], []
    for j in range(jmax + 1):
        src = d[d + j <= n]
        rows.append(src)
        cols.append(src + j)
        vals.append(stats.binom.pmf(j, n - src, pi))
    step = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                     np.concatenate(cols))),
                             shape=(n + 1, n + 1)).T.tocsr()
    alive = np.zeros(n + 1)
    alive[1] = 1.0  # the seed is found, nobody explored yet
    law = np.zeros(n + 1)
    for k in range(1, n + 1):
        alive = step @ alive  # k people explored
        law[k] = alive[k]  # found == explored: the component is complete
        alive[: k + 1] = 0.0
        if alive.sum() < 1e-300:
            break
    return law


@dataclass
class SirPoint:
    ct: float
    law: np.ndarray  # exact finite-n law of the final size
    exact_mean: float
    newman_s: float
    checks: list[Check]


def sir_point(sizes: np.ndarray, people: int, ct: float) -> SirPoint:
    """wom's final sizes (from :func:`sir_sizes` at c·T = `ct`, or a wrong `ct` to show the
    tolerance discriminates) against the exact finite-n law: the mean final size, and above
    the threshold the chance of a large outbreak (over a tenth of the people: the law is
    bimodal, with almost no mass between 30 and 200 people at n = 1000) and the large
    outbreaks' mean share of the people, which Newman's S approximates for large n."""
    replicates = sizes.size
    law = er_component_law(people, ct / (people - 1))  # π = T·c/(n−1)
    k = np.arange(people + 1)
    em = float(law @ k)
    m, se = mean_se(sizes)
    s_inf = newman_s(ct)
    checks = [Check(f"mean final size, cT = {ct:g}", em, m, se, replicates,
                    note=f"Newman, n → ∞: 1/(1 − cT) = {1 / (1 - ct):.3f}" if ct < 1 else
                    f"Newman, n → ∞: n·S² = {people * s_inf ** 2:.1f}" if ct > 1 else
                    "critical: grows like n^(1/3)")]
    if ct > 1.0:
        cut = people // 10
        p_major = float(law[cut:].sum())
        big = sizes >= cut
        checks.append(Check(f"P(large outbreak), cT = {ct:g}", p_major, float(big.mean()),
                            math.sqrt(p_major * (1 - p_major) / replicates), replicates,
                            note=f"Newman, n → ∞: S = {s_inf:.4f}"))
        cond = float((law[cut:] @ k[cut:]) / p_major) / people
        cm, cse = mean_se(sizes[big] / people)
        checks.append(Check(f"large-outbreak size / n, cT = {ct:g}", cond, cm, cse,
                            int(big.sum()), note=f"Newman, n → ∞: S = {s_inf:.4f}"))
    return SirPoint(ct, law, em, s_inf, checks)


def sir_all(people: int, degree: float, cT: tuple[float, ...], replicates: int,
            seed: int) -> dict[float, np.ndarray]:
    """Final sizes at every c·T (point i uses scenario seed ``seed + i``: independent)."""
    return {ct: sir_sizes(people, degree, ct / degree, replicates, seed + i)
            for i, ct in enumerate(cT)}


# ====================================================== Watts (2002) fractional thresholds

WATTS = {"people": 10_000, "phi": 0.18, "degrees": (0.5, 2.0, 3.0, 4.0, 5.0, 8.0),
         "replicates": 400, "seed": 31}


def watts_population(people: int, degree: float, phi: float, replicate: int,
                     seed: int) -> tuple[wom.Scenario, Population]:
    """wom's Erdős–Rényi market of `replicate` with Watts' fractional thresholds.

    wom's threshold is a count: a person adopts only once at least ``threshold_v`` of their
    same-segment neighbours have adopted. Watts' rule is a fraction: adopt once at least a
    share φ of one's k neighbours have. On a given graph the two are the same rule with
    ``threshold_v = ⌈φ·k_v⌉`` (one segment, so every neighbour counts). A scenario cannot
    say this (its ``references`` are one count per segment), so the population's ``references``
    array is set directly — the only step outside the scenario machinery.
    """
    sc = seeds_only_scenario("watts", people=people, seeds=1, beta=1.0, seed=seed,
                             network={"model": "erdos_renyi", "mean_degree": degree},
                             horizon=10_000)
    pop = Replicate(sc, replicate).population
    k = pop.degree()
    references = np.ceil(phi * k - 1e-9).astype(np.int32)
    return sc, dataclasses.replace(pop, references=references)


def watts_runs(people: int, degree: float, phi: float, replicates: int,
               seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Final sizes of Watts' threshold cascade from one random seed, a fresh graph each;
    per run, whether the seed is in or next to the graph's largest vulnerable cluster if that
    cluster is global (over 1% of the people); and per graph, the share of people who are.

    Mapping: word of mouth certain (``β = 1``), each adopter talking for one step
    (``talk_weeks = 1``), thresholds ``⌈φ·k⌉``. A person's count of adopted neighbours is
    updated at the end of each step, and the neighbour whose adoption completes it talks to
    them in the next step with certainty, so a person adopts in the step after the one in
    which a share φ of their neighbours had adopted: Watts' synchronous update. (The seed
    adopts regardless of its threshold, as Watts' initial seed does.)

    The second array is a graph computation, no dynamics: people with ``⌈φ·k⌉ ≤ 1`` are
    vulnerable (one adopting neighbour tips them); the largest connected cluster of them,
    and everyone tied to it, are the seeds from which Watts' theory expects a global cascade.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    sizes = np.empty(replicates, np.int64)
    touch = np.empty(replicates, bool)
    share = np.empty(replicates)
    for r in range(replicates):
        sc, pop = watts_population(people, degree, phi, r, seed)
        rep = Replicate(sc, r, population=pop)
        plan = rep.plan(sc.strategies[0])
        cas = Cascades(pop, sc.dynamics, sc.network.weak_tie, sc.horizon)
        run_seed = rep.stream(DYNAMICS).integers(0, 2**63 - 1, size=1)
        sizes[r] = cas.customers(plan.seeds, plan.seed_message, run_seed)[0]
        k = pop.degree()
        vul = (pop.references <= 1) & (k > 0)
        src = np.repeat(np.arange(pop.n), k)
        keep = vul[src] & vul[pop.indices]
        g = csr_matrix((np.ones(int(keep.sum())), (src[keep], pop.indices[keep])),
                       shape=(pop.n, pop.n))
        _, lab = connected_components(g, directed=False)
        lab = np.where(vul, lab, -1)
        counts = np.bincount(lab[vul]) if vul.any() else np.zeros(1, np.int64)
        if counts.max() > watts_cut(people):  # a global vulnerable cluster exists
            giant = lab == np.argmax(counts)
            near = giant.copy()
            near[src[giant[pop.indices]]] = True
        else:
            near = np.zeros(pop.n, bool)
        touch[r] = near[plan.seeds[0]]
        share[r] = near.mean()
    return sizes, touch, share


def watts_vulnerable(degree: float, phi: float, kmax: int = 400) -> tuple[np.ndarray, ...]:
    k = np.arange(kmax)
    pk = stats.poisson.pmf(k, degree)
    rho = (np.ceil(phi * k - 1e-9) <= 1).astype(float)  # vulnerable: one neighbour is enough
    return k, pk, rho


def watts_condition(degree: float, phi: float) -> float:
    """Watts' cascade condition, ``Σ_k k(k−1)·ρ_k·p_k / z``: global cascades are possible
    where it exceeds 1 (ρ_k: share of degree-k people who are vulnerable, p_k Poisson(z))."""
    k, pk, rho = watts_vulnerable(degree, phi)
    return float((k * (k - 1) * rho * pk).sum() / degree)


def watts_frequency(degree: float, phi: float) -> float:
    """Asymptotic frequency of global cascades from one random seed (Watts 2002; in the
    form of Gleeson & Cahalane 2007): the chance the seed touches the giant vulnerable
    cluster. With u the chance that a tie leads to no infinite vulnerable cluster,
    ``u = 1 − Σ_k (k p_k / z) ρ_k (1 − u^{k−1})`` and the frequency is ``1 − Σ_k p_k u^k``
    (the seed adopts whatever its threshold, so all its ties count)."""
    if watts_condition(degree, phi) <= 1.0:
        return 0.0
    k, pk, rho = watts_vulnerable(degree, phi)
    q = k * pk / degree

    def f(u: float) -> float:
        return 1.0 - (q * rho * (1.0 - u ** np.maximum(k - 1, 0))).sum() - u

    u = optimize.brentq(f, 0.0, 1.0 - 1e-9)
    return float(1.0 - (pk * u ** k).sum())


def watts_cut(people: int) -> int:
    """A cascade is global when it takes more than 1% of the people (Watts' definition)."""
    return people // 100


@dataclass
class WattsPoint:
    degree: float
    condition: float
    theory: float
    check: Check
    misses: int  # seed touches the global vulnerable cluster, yet no global cascade (bug)
    escapes: int  # global cascade from a seed that does not touch it (finite-size effect)
    graph_share: Check  # exact per-graph frequency (no dynamics) against the theory


def watts_point(sizes: np.ndarray, touch: np.ndarray, share: np.ndarray, people: int,
                degree: float, phi: float) -> WattsPoint:
    """Share of single seeds that set off a global cascade (over 1% of the people, Watts'
    definition), against Watts' asymptotic frequency at threshold `phi` (a wrong `phi`
    shows the tolerance discriminates). The SE is binomial at the theory value (at a theory
    of 0, at a frequency of 1/runs: one stray cascade is then z = 1).

    Finite-size term, two parts, both vanishing as n → ∞:

    * ``10/n`` for the percolation quantity the theory describes — the share of people in
      or next to the giant vulnerable cluster — whose finite-n bias away from the window's
      edges is O(1/n) (as for the giant component of G(n, c/n), mean nS + O(1)). The same
      graphs give that share exactly, graph by graph, with no dynamics (``graph_share``);
      a test checks it is within 10/n (+ 4 SE over graphs) of the limit.
    * ``escapes / runs``: cascades that go global from a seed *not* touching that cluster,
      because a stable person next to two small activated clusters tips (a short cycle; a
      probability O(1/n) per run, zero in Watts' tree-like limit). They are counted run by
      run (the outcome is deterministic given graph and seed) and given away.

    The test points keep away from the window's edges (cascade condition below 0.9 or
    above 1.3), where corrections are larger than O(1/n).
    """
    replicates = sizes.size
    theory = watts_frequency(degree, phi)
    cond = watts_condition(degree, phi)
    glob = sizes > watts_cut(people)
    escapes = int((glob & ~touch).sum())
    p0 = max(theory, 1.0 / replicates)
    se = math.sqrt(p0 * (1.0 - p0) / replicates)
    check = Check(f"global cascades, z = {degree:g}", theory, float(glob.mean()), se,
                  replicates, slack=10.0 / people + escapes / replicates,
                  note=f"cascade condition {cond:.2f}; {escapes} escapes")
    gm, gse = mean_se(share)
    graph = Check(f"graph: share next to giant vulnerable cluster, z = {degree:g}", theory,
                  gm, gse, replicates, note="no dynamics: the finite-size bias")
    return WattsPoint(degree, cond, theory, check, int((touch & ~glob).sum()), escapes,
                      graph)


def watts_all(people: int, phi: float, degrees: tuple[float, ...], replicates: int,
              seed: int) -> dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return {z: watts_runs(people, z, phi, replicates, seed + i)
            for i, z in enumerate(degrees)}


# ========================================= Kempe, Kleinberg & Tardos (2003) on a real graph

KKT = {"beta": 0.02, "k": 8, "replicates": 12, "runs": 500, "greedy_runs": 500,
       "greedy_pool": 40, "seed": 41}
#: "Small k" for the ordering degree > random, and the k from which the hubs' audiences
#: overlap enough that greedy must beat degree.
KKT_SMALL_K, KKT_OVERLAP_K = 3, 6


def email_single_segment(tmp: Path) -> Path:
    """A labels file putting every person of email-Eu-core in one segment (KKT's graph
    has no segments; wom's seeding rules then choose among everyone)."""
    ids = set()
    for line in (DATA / "email-Eu-core.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            ids.update(line.split())
    path = tmp / "email-one-segment.txt"
    path.write_text("".join(f"{i}\tall\n" for i in sorted(ids, key=int)))
    return path


def kkt_scenario(labels: Path, beta: float, k: int, seeding: str, seed: int,
                 greedy_runs: int, greedy_pool: int) -> wom.Scenario:
    """email-Eu-core (1,005 people, undirected) as one segment, independent cascade with
    activation probability ``beta`` (KKT's uniform IC model), ``k`` seeds by `seeding`."""
    extra = {"greedy_runs": greedy_runs, "greedy_pool": greedy_pool} if seeding == "greedy" \
        else {}
    return wom.scenario_from_dict({
        "name": "kkt", "seed": seed, "horizon": 200, "replicates": 1,
        "segments": [{"name": "all", "tam": 1.0, "incumbent": 0.0, "early_market": 1.0,
                      "references": 0}],
        "network": {"model": "file", "weak_tie": 1.0,
                    "file": {"path": str(DATA / "email-Eu-core.txt"), "labels": str(labels)}},
        "dynamics": {"word_of_mouth": beta, "marketing": 0.0, "talk_weeks": 1,
                     "generic_resonance": 1.0, "overlap": 1.0},
        "budget": {"total": 500.0 * k, "cost_per_seed": 500.0, "seed_share": 1.0,
                   "campaign_weeks": 1},
        "strategies": [{"name": seeding, "kind": "broad", "seeding": seeding, **extra}],
    })


KKT_RULES = ("greedy", "hubs", "random")


@dataclass
class KktResult:
    ks: np.ndarray
    spread: dict[str, np.ndarray]  # rule -> float[replicates, k]: mean customers per prefix
    pairs: dict[tuple[str, str], list[Check]]
    overlap: Check  # greedy − hubs averaged over k ≥ KKT_OVERLAP_K
    resolution: np.ndarray  # float[k]: greedy's oracle resolution for greedy − hubs


def kkt_case(labels: Path, beta: float, k: int, replicates: int, runs: int, greedy_runs: int,
             greedy_pool: int, seed: int) -> KktResult:
    """Expected customers of the first 1..k seeds picked by wom's ``greedy`` (CELF), ``hubs``
    (degree) and ``random`` rules, on email-Eu-core.

    Replicate ``r``: each rule picks its seeds with replicate r's plan stream (greedy runs
    its own ``greedy_runs`` simulations per seed set); then every prefix of every rule's
    seed list is scored on the same ``runs`` fresh run seeds (common random numbers, none
    of them seen by greedy), with :meth:`Cascades.mean_customers`. The paired difference of
    two rules is averaged per replicate; its SE is the SD over replicates / √replicates
    (the replicates are independent: new seed picks, new evaluation runs).

    ``resolution[j]``: greedy judges seed sets by means over ``greedy_runs`` common runs,
    so it cannot tell apart two sets whose expected spreads differ by less than about
    ``Z_MAX·sd/√greedy_runs``, sd the per-run SD of the paired difference between them
    (measured here on replicate 0 between greedy's and degree's first j + 1 seeds). KKT's
    guarantee assumes an exact oracle; with this one greedy may trail degree by up to that
    much.
    """
    sc0 = kkt_scenario(labels, beta, k, "random", seed, greedy_runs, greedy_pool)
    pop = Replicate(sc0, 0).population
    cas = Cascades(pop, sc0.dynamics, sc0.network.weak_tie, sc0.horizon)
    spread = {rule: np.empty((replicates, k)) for rule in KKT_RULES}
    resolution = np.zeros(k)
    for r in range(replicates):
        run_seeds = stream(seed, r, 9).integers(0, 2**63 - 1, size=runs)
        plans = {}
        for rule in KKT_RULES:
            sc = kkt_scenario(labels, beta, k, rule, seed, greedy_runs, greedy_pool)
            plan = plans[rule] = Replicate(sc, r, population=pop).plan(sc.strategies[0])
            if plan.seeds.size != k:
                raise RuntimeError(f"{rule} picked {plan.seeds.size} seeds, not {k}")
            for j in range(1, k + 1):
                spread[rule][r, j - 1] = cas.mean_customers(
                    plan.seeds[:j], plan.seed_message[:j], run_seeds)
        if r == 0:
            g, h = plans["greedy"], plans["hubs"]
            for j in range(1, k + 1):
                d = (cas.customers(g.seeds[:j], g.seed_message[:j], run_seeds)
                     - cas.customers(h.seeds[:j], h.seed_message[:j], run_seeds))
                resolution[j - 1] = Z_MAX * d.std(ddof=1) / math.sqrt(greedy_runs)
    pairs: dict[tuple[str, str], list[Check]] = {}
    for a, b in (("greedy", "hubs"), ("hubs", "random"), ("greedy", "random")):
        d = spread[a] - spread[b]
        pairs[(a, b)] = [Check(f"{a} − {b}, k = {j + 1}", 0.0, float(d[:, j].mean()),
                               float(d[:, j].std(ddof=1) / math.sqrt(replicates)), replicates)
                         for j in range(k)]
    d = (spread["greedy"] - spread["hubs"])[:, KKT_OVERLAP_K - 1:].mean(axis=1)
    overlap = Check(f"greedy − hubs, mean over k = {KKT_OVERLAP_K}..{k}", 0.0, float(d.mean()),
                    float(d.std(ddof=1) / math.sqrt(replicates)), replicates)
    return KktResult(np.arange(1, k + 1), spread, pairs, overlap, resolution)


# =================================================== agreement with independent simulators

PEERS = {"beta": 0.03, "seeds": 5, "runs": {"wom": 4000, "cynetdiff": 4000, "EoN": 200},
         "seed": 51}


def peer_setup(labels: Path, beta: float, seeds: int, seed: int):
    """email-Eu-core as one segment, `seeds` random seeds, IC with probability `beta`."""
    sc = kkt_scenario(labels, beta, seeds, "random", seed, 1, 1)
    rep = Replicate(sc, 0)
    return sc, rep.population, rep.plan(sc.strategies[0])


def wom_ic_sizes(sc: wom.Scenario, pop: Population, plan, runs: int, seed: int) -> np.ndarray:
    cas = Cascades(pop, sc.dynamics, sc.network.weak_tie, sc.horizon)
    run_seeds = stream(seed, 0, 9).integers(0, 2**63 - 1, size=runs)
    return cas.customers(plan.seeds, plan.seed_message, run_seeds)


def cynetdiff_sizes(pop: Population, seeds: np.ndarray, beta: float, runs: int,
                    seed: int) -> np.ndarray:
    """cynetdiff's IndependentCascadeModel on wom's graph (same node numbers)."""
    from cynetdiff.utils import networkx_to_ic_model

    model, mapping = networkx_to_ic_model(pop.to_networkx(), activation_prob=beta, rng=seed)
    if any(mapping[v] != v for v in range(pop.n)):
        raise RuntimeError("cynetdiff renumbered the nodes")
    model.set_seeds([int(s) for s in seeds])
    out = np.empty(runs, np.int64)
    for i in range(runs):
        model.reset_model()
        model.advance_until_completion()
        out[i] = model.get_num_activated_nodes()
    return out


def eon_sizes(pop: Population, seeds: np.ndarray, beta: float, runs: int,
              seed: int) -> np.ndarray:
    """EoN.basic_discrete_SIR (each infected transmits with probability p to each
    susceptible neighbour in the one step it is infectious: the independent cascade)."""
    import warnings

    with warnings.catch_warnings():
        # EoN 2.0 imports a scipy namespace that scipy deprecates: not ours to fix.
        warnings.simplefilter("ignore", DeprecationWarning)
        import EoN

    g = pop.to_networkx()
    rng = np.random.default_rng(seed)
    init = [int(s) for s in seeds]
    out = np.empty(runs, np.int64)
    for i in range(runs):
        _, _, _, r = EoN.basic_discrete_SIR(g, beta, initial_infecteds=init, rng=rng)
        out[i] = int(r[-1])
    return out


def two_sample(label: str, ours: np.ndarray, theirs: np.ndarray) -> Check:
    """wom's mean final size against a peer's: theory = the peer's mean, SE of the
    difference = √(SE_wom² + SE_peer²)."""
    m1, s1 = mean_se(ours)
    m2, s2 = mean_se(theirs)
    return Check(label, m2, m1, math.hypot(s1, s2), min(ours.size, theirs.size),
                 note=f"wom n = {ours.size}, peer n = {theirs.size}, peer SE = {s2:.3f}")
