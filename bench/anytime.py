"""Anytime curves (best validation score vs elapsed seconds) and the held-out time checks.

Each searching system writes curve.csv (bench/systems/common.py). Validation scores come from
each system's own validation split, so curves of different systems show shape and speed, not
which is better; the held-out checks below answer that on the shared test set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure  # no pyplot: PNGs render with Agg, no display needed
from scoring import GREATER_IS_BETTER, Target, paired_bootstrap, verdict

CURVE_FIELDS = ["dataset", "metric", "budget", "system", "elapsed_s", "val_score", "best_val_score"]
COLORS = {"fitfinder": "tab:blue", "fitfinder_random": "tab:green", "flaml": "tab:orange",
          "fitfinder_single": "tab:purple", "fitfinder_grid": "tab:brown",
          "fitfinder_tpe": "tab:pink", "fitfinder_bo": "tab:olive", "fitfinder_local": "tab:cyan",
          "fitfinder_blend": "tab:red", "fitfinder_no_nn": "tab:gray"}  # fmt: skip
VERDICTS = ("better", "within noise", "worse", "failed")


@dataclass
class Check:
    """Held-out paired bootstrap of run ``a`` against run ``b``, each a (system, budget)."""

    kind: str  # "half-time" or "vs random"
    dataset: str
    a: tuple[str, float]
    b: tuple[str, float]
    advantage: tuple[float, float, float] | None = None  # point, 95 % low, high; a better > 0
    verdict: str = "failed"


#: same-budget held-out checks: kind -> (rival system, what "met" means, the target's text)
PAIRED = {
    "vs random": ("fitfinder_random", "ahead", "better on 75 %"),
    "vs no ensemble": ("fitfinder_single", "ahead", "better on 60 %, worse on none"),
    "vs its best trial": ("fitfinder_best_trial", "ahead", "better on 60 %, worse on none"),
    "vs no nn": ("fitfinder_no_nn", "ahead", "better on a third"),
    "vs AutoGluon": ("autogluon", "not worse", "better or within noise on 60 %"),
}


def held_out_checks(
    dataset: str, preds: dict[float, dict[str, np.ndarray | None]], target: Target, n_boot: int
) -> list[Check]:
    """The half-time check, fitfinder against each PAIRED rival at each budget, and fitfinder at
    each budget against itself at the next smaller one ("longer budget"), where both ran.

    Half-time: fitfinder at the largest budget of at most half the largest one, against FLAML
    at the largest. ``preds[budget][system]`` is None for a run that failed.
    """
    budgets = sorted(preds)
    halves = [b for b in budgets if b <= budgets[-1] / 2]
    pairs = [
        (kind, ("fitfinder", b), (rival, b))
        for kind, (rival, *_) in PAIRED.items()
        for b in budgets
    ]
    if halves:
        pairs.insert(0, ("half-time", ("fitfinder", halves[-1]), ("flaml", budgets[-1])))
    pairs += [
        ("longer budget", ("fitfinder", large), ("fitfinder", small))
        for small, large in zip(budgets, budgets[1:], strict=False)
    ]
    checks = []
    for kind, a, b in pairs:
        if a[0] not in preds[a[1]] or b[0] not in preds[b[1]]:
            continue  # not part of this run
        check = Check(kind, dataset, a, b)
        pred_a, pred_b = preds[a[1]][a[0]], preds[b[1]][b[0]]
        if pred_a is not None and pred_b is not None:
            check.advantage = paired_bootstrap(target, pred_a, pred_b, n_boot)
            check.verdict = verdict(*check.advantage[1:])
        checks.append(check)
    return checks


def check_summaries(checks: list[Check]) -> list[str]:
    """HALF-TIME and one target line per PAIRED kind and budget, for the checks that exist."""
    lines = []
    half = [c for c in checks if c.kind == "half-time"]
    if half:
        (_, small), (_, large) = half[0].a, half[0].b
        met = sum(c.verdict in ("better", "within noise") for c in half)
        lines.append(
            f"HALF-TIME: fitfinder at {small:g} s within noise of or better than FLAML at "
            f"{large:g} s on {met}/{len(half)} ({_tally(half)}); target: at least half"
        )
    for longer in _by_budgets([c for c in checks if c.kind == "longer budget"]):
        (_, large), (_, small) = longer[0].a, longer[0].b
        met = sum(c.verdict in ("better", "within noise") for c in longer)
        lines.append(
            f"LONGER-BUDGET: fitfinder at {large:g} s within noise of or better than at "
            f"{small:g} s on {met}/{len(longer)} ({_tally(longer)}); target: all"
        )
    for kind, (rival, met_when, target) in PAIRED.items():
        paired = [c for c in checks if c.kind == kind]
        for budget in sorted({c.a[1] for c in paired}):
            same = [c for c in paired if c.a[1] == budget]
            if met_when == "ahead":  # the point estimate favours fitfinder
                met = sum(c.advantage is not None and c.advantage[0] > 0 for c in same)
                how = "test score better than"
            else:
                met = sum(c.verdict in ("better", "within noise") for c in same)
                how = "within noise of or better than"
            lines.append(
                f"{kind.upper().replace(' ', '-')} at {budget:g} s: fitfinder's {how} "
                f"{rival}'s on {met}/{len(same)} ({_tally(same)}); target: {target}"
            )
    return lines


def _by_budgets(checks: list[Check]) -> list[list[Check]]:
    """Checks grouped by their pair of budgets, smallest first."""
    keys = sorted({(c.b[1], c.a[1]) for c in checks})
    return [[c for c in checks if (c.b[1], c.a[1]) == key] for key in keys]


def _tally(checks: list[Check]) -> str:
    """The paired-bootstrap verdicts, counted."""
    return ", ".join(f"{v} {sum(c.verdict == v for c in checks)}" for v in VERDICTS)


def checks_table(checks: list[Check]) -> str:
    """Markdown: one row per held-out check."""
    lines = [
        "| dataset | check | run A | run B | A's advantage [95 % CI] | verdict |",
        "|---" * 6 + "|",
    ]
    for c in checks:
        adv = "—"
        if c.advantage is not None:
            adv = "{:+.4g} [{:+.4g}, {:+.4g}]".format(*c.advantage)
        runs = [f"{system} {budget:g} s" for system, budget in (c.a, c.b)]
        lines.append(f"| {c.dataset} | {c.kind} | {runs[0]} | {runs[1]} | {adv} | {c.verdict} |")
    return "\n".join(lines)


def curve_table(curves: pd.DataFrame, results: pd.DataFrame) -> str:
    """Markdown: per dataset x budget x searching system, its curve's shape and test score."""
    lines = [
        "| dataset | budget (s) | system | trials | first result (s) | last improvement (s) "
        "| final validation score | test score |",
        "|---" * 8 + "|",
    ]
    keys = ["dataset", "budget", "system"]
    test = results.set_index(keys)["score"]
    for (dataset, budget, system), curve in curves.groupby(keys, sort=False):
        final = curve["best_val_score"].iloc[-1]
        improved = curve.loc[curve["best_val_score"] == final, "elapsed_s"].iloc[0]
        cells = [dataset, f"{budget:g}", system, str(len(curve)), f"{curve['elapsed_s'].iloc[0]:.1f}",
                 f"{improved:.1f}", f"{final:.4g}", _num(test.get((dataset, budget, system)))]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ranking_table(results: pd.DataFrame, systems: list[str]) -> str:
    """Markdown: per dataset x budget, each of ``systems``' test score (the best in bold), then
    per system its mean rank (1 = best; a failed run ranks last) and, when FLAML ran, how often
    its score is at least FLAML's (point estimates; a failed FLAML counts for the system)."""
    ran = [s for s in systems if s in set(results["system"])]
    ranks: dict[str, list[float]] = {s: [] for s in ran}
    at_least_flaml = dict.fromkeys(ran, 0)
    lines = ["| dataset | budget (s) | " + " | ".join(ran) + " |", "|---" * (len(ran) + 2) + "|"]
    for (dataset, budget), part in results.groupby(["dataset", "budget"], sort=False):
        higher = GREATER_IS_BETTER[part["metric"].iloc[0]]
        score = part.set_index("system")["score"].where(part.set_index("system")["status"] == "ok")
        oriented = score.reindex(ran) * (1 if higher else -1)
        rank = oriented.rank(ascending=False, method="average", na_option="bottom")
        flaml = oriented.get("flaml", np.nan)
        for s in ran:
            ranks[s].append(rank[s])
            at_least_flaml[s] += bool(np.isnan(flaml) or oriented[s] >= flaml)
        cells = [f"**{_num(score.get(s))}**" if rank[s] == rank.min() else _num(score.get(s))
                 for s in ran]  # fmt: skip
        lines.append(f"| {dataset} | {budget:g} | " + " | ".join(cells) + " |")
    n = len(ranks[ran[0]]) if ran else 0
    lines.append("| mean rank | | " + " | ".join(f"{np.mean(ranks[s]):.2f}" for s in ran) + " |")
    if "flaml" in ran:
        counts = ["—" if s == "flaml" else str(at_least_flaml[s]) for s in ran]
        lines.append(f"| score ≥ FLAML (of {n}) | | " + " | ".join(counts) + " |")
    return "\n".join(lines)


def _num(x: float | None) -> str:
    return "—" if x is None or pd.isna(x) else f"{x:.4g}"


def plot_dataset(curves: pd.DataFrame, path: Path) -> None:
    """One panel per budget with each system's best-so-far validation score as a step curve."""
    dataset, metric = curves["dataset"].iloc[0], curves["metric"].iloc[0]
    budgets = sorted(curves["budget"].unique())
    fig = Figure(figsize=(5 * len(budgets), 4), layout="tight")
    axes = fig.subplots(1, len(budgets), sharey=True, squeeze=False)
    for ax, budget in zip(axes[0], budgets, strict=True):
        for system, curve in curves[curves["budget"] == budget].groupby("system", sort=False):
            ax.step(curve["elapsed_s"], curve["best_val_score"], where="post", marker=".",
                    color=COLORS.get(system), label=system)  # fmt: skip
        ax.axvline(budget, color="grey", linestyle=":", linewidth=1)
        ax.set(title=f"budget {budget:g} s", xlabel="seconds since fit() started")
        ax.legend()
    higher = GREATER_IS_BETTER[metric]
    axes[0][0].set_ylim(*focus_range(curves, higher))
    better = "higher" if higher else "lower"
    axes[0][0].set_ylabel(f"best validation {metric} so far ({better} is better)")
    fig.suptitle(f"{dataset}: each system on its own validation split")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def focus_range(curves: pd.DataFrame, higher: bool) -> tuple[float, float]:
    """Y limits around the systems' final best scores, with room below (above, when lower is
    better) for the climb towards them; one poor first trial leaves the axis, not the picture."""
    finals = curves.groupby(["budget", "system"])["best_val_score"].last()
    lo, hi = float(finals.min()), float(finals.max())
    span = max(hi - lo, 1e-3 * max(abs(hi), abs(lo), 1e-12))
    if higher:
        return lo - 2 * span, hi + 0.25 * span
    return lo - 0.25 * span, hi + 2 * span
