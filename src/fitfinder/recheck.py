"""A guard against validation overfitting: re-validate near ties on a second split.

After many trials the lowest validation loss is partly luck (the winner's curse): a longer
search can pick a model that generalises worse than a shorter one's. When the final model is a
single trial and other trials are within noise of it on the same validation rows, each of these
candidates is validated again on a second split of the training rows (same kind and number of
folds, drawn with another seed), and the one with the lowest mean loss over both splits wins.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from fitfinder.data import SplitPlan, make_splits
from fitfinder.data.split import Fold
from fitfinder.ensemble.build import ENSEMBLE_FAMILY, finite_rows, selection_rows, win_share
from fitfinder.ensemble.fast_loss import loss_function
from fitfinder.trials import DONE, Runner, TrialResult, TrialSpec

MAX_CANDIDATES = 4  # the best trial and up to three rivals
MAX_SCANNED = 10  # rivals looked at, in loss order
TIE_SHARE = 0.1  # a rival beating the best on this share of bootstrap resamples is a near tie
RESERVE_TRIALS = 2  # the search keeps time for this many of the best trial's wall time...
RESERVE_SHARE = 0.1  # ...but never more than this share of the budget


def reserve_seconds(wall_time: float, time_budget: float | None) -> float:
    """Seconds the search leaves for rechecks when its best trial took ``wall_time``."""
    cap = math.inf if time_budget is None else RESERVE_SHARE * time_budget
    return min(RESERVE_TRIALS * wall_time, cap)


def near_ties(
    records: list,
    predictions: dict[int, np.ndarray],
    y: np.ndarray,
    metric,
    *,
    sample_weight: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    seed: int = 0,
) -> list:
    """The best finished single trial, then the rivals within noise of it, best first.

    A rival is within noise when its loss is below the best's on at least ``TIE_SHARE`` of the
    bootstrap resamples of the validation rows both predicted.
    """
    ranked = sorted(
        (
            r
            for r in records
            if r.status == DONE and r.family != ENSEMBLE_FAMILY and r.number in predictions
        ),
        key=lambda r: r.loss,
    )[: MAX_SCANNED + 1]
    if not ranked:
        return []
    best = predictions[ranked[0].number]
    ties = [ranked[0]]
    for rival in ranked[1:]:
        pred = predictions[rival.number]
        rows = selection_rows(finite_rows(best) & finite_rows(pred), seed, groups)
        weight = None if sample_weight is None else sample_weight[rows]
        rows_groups = None if groups is None else groups[rows]
        loss = loss_function(metric, y[rows], weight, rows_groups)
        if win_share(pred[rows], best[rows], loss, len(rows), seed, rows_groups) >= TIE_SHARE:
            ties.append(rival)
        if len(ties) == MAX_CANDIDATES:
            break
    return ties


def second_split(
    plan: SplitPlan, y: np.ndarray, task: str, groups: np.ndarray | None, seed: int
) -> list[Fold]:
    """Folds of the same kind and number as ``plan``'s, drawn with another seed."""
    fraction = len(plan.folds[0][1]) / plan.n_rows
    return make_splits(
        y,
        task,
        split=plan.kind,
        n_folds=max(len(plan.folds), 2),
        holdout_fraction=float(np.clip(fraction, 0.01, 0.5)),
        groups=groups,
        seed=seed + 1,
    ).folds


@dataclass
class Recheck:
    """Each candidate's loss on the search's split and on the second one (None: not rechecked)."""

    losses: dict[int, tuple[float, float | None]]
    chosen: int
    models: dict[int, Any]  # candidate -> a pipeline validated on the second split

    def note(self) -> str:
        """One line for the model's info and the progress output."""
        parts = [
            f"#{n} {first:.4g}/{'—' if second is None else f'{second:.4g}'}"
            for n, (first, second) in self.losses.items()
        ]
        return f"rechecked near ties on a second split ({', '.join(parts)}): chose #{self.chosen}"

    def info(self) -> dict:
        """What ``model.json`` records."""
        return {
            "chosen": self.chosen,
            "losses": {str(n): list(pair) for n, pair in self.losses.items()},
        }


def run_recheck(
    runner: Runner,
    candidates: list,
    folds: list[Fold],
    *,
    until: float,
    n_concurrent: int = 1,
) -> Recheck:
    """Validate ``candidates`` (best first) on ``folds``, finishing by ``until`` (monotonic).

    A candidate whose recheck fails, times out or would not fit in the time left cannot be
    chosen; the first candidate is chosen unless another has a lower mean loss over both splits.
    """

    def run(record) -> TrialResult | None:
        left = until - time.monotonic()
        if left < max(record.wall_time, 0.3):
            return None
        spec = TrialSpec(
            record.number,
            record.family,
            record.config,
            fidelity=record.fidelity,
            timeout=left,
            keep_model_below=np.inf,
            folds=folds,
            sample_size=record.sample_size,
        )
        result = runner.run(spec, deadline=until)
        return result if result.status == DONE else None

    with ThreadPoolExecutor(max(1, n_concurrent)) as pool:
        results = list(pool.map(run, candidates))
    losses = {
        c.number: (c.loss, None if r is None else r.loss)
        for c, r in zip(candidates, results, strict=True)
    }
    both = {n: np.mean(pair) for n, pair in losses.items() if pair[1] is not None}
    first = candidates[0].number
    chosen = min(both, key=both.get) if first in both else first
    models = {c.number: r.model for c, r in zip(candidates, results, strict=True) if r}
    return Recheck(losses, chosen, models)
