"""Choose an ensemble of finished trials from their validation predictions (no refits).

The ensemble is used only when it beats the best single trial by more than noise, both
estimated honestly: the validation rows are cut into parts; on each part, the ensemble's
weights (or the stacker's meta-learner) and the best single trial are both chosen on the
other rows, and both are scored on that part (with ``groups`` — a ranking's queries, a
forecast's window of one series — the rows chosen on, the parts and the bootstrap resamples
are whole groups, so that every group is scored whole as in the trials and rows that are not
independent draws move together). The ensemble must win on at least ``WIN_SHARE`` of bootstrap
resamples of the validation rows, losses averaged over the parts
(a ranking metric such as AUC then never compares scores of different models across parts).
Comparing against the single trial chosen on all rows instead would compare an honest loss
with an optimistic one: after a hundred trials the lowest loss is partly luck.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GroupKFold, KFold, cross_val_predict

from fitfinder.ensemble.fast_loss import loss_function
from fitfinder.ensemble.model import stack_features
from fitfinder.ensemble.selection import MAX_STEPS, N_BAGS, blend, select_weights

ENSEMBLE_FAMILY = "ensemble"
WIN_SHARE = 0.75
N_BOOTSTRAP = 100
MAX_CANDIDATES = 15
MAX_ROWS = 5000  # validation rows used to choose weights (a sample on larger data)


@dataclass
class EnsemblePlan:
    """Which trials to combine, how, and whether it beat the best single trial."""

    method: str  # "greedy" or "stack"
    members: list[int]  # trial numbers
    weights: list[float]
    loss: float  # honest validation loss of the ensemble
    single_loss: float  # the best single trial's loss on the same rows
    win_share: float  # share of bootstrap resamples where the ensemble wins
    meta: Any = None  # fitted meta-learner (stacking)
    notes: list[str] = field(default_factory=list)
    predictions: Any = None  # the ensemble's honest validation predictions on ``rows``
    rows: Any = None  # the validated rows it was chosen on
    required_share: float = WIN_SHARE  # the win share it needs to be used

    @property
    def use(self) -> bool:
        return (
            len(self.members) > 1
            and self.loss < self.single_loss
            and self.win_share >= self.required_share
        )

    def config(self) -> dict:
        """How the journal and the leaderboard show the ensemble."""
        members = {str(n): round(w, 4) for n, w in zip(self.members, self.weights, strict=True)}
        return {"method": self.method, "members": members, "used": self.use}


def plan_ensemble(
    records: list,
    predictions: dict[int, np.ndarray],
    y: np.ndarray,
    metric,
    *,
    method: str = "greedy",
    max_members: int = 10,
    sample_weight: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    seed: int = 0,
    time_limit: float = math.inf,
    required_share: float = WIN_SHARE,
) -> EnsemblePlan | None:
    """An ensemble plan over the best trials, or None when fewer than two can be combined or
    choosing would take longer than ``time_limit`` seconds (estimated from one loss call)."""
    ranked = [r for r in candidates(records) if r.number in predictions]
    if method == "stack":
        ranked = best_per_family(ranked)[:max_members]
    if len(ranked) < 2:
        return None
    rows = selection_rows(
        np.all([finite_rows(predictions[r.number]) for r in ranked], axis=0), seed, groups
    )
    outputs = [predictions[r.number][rows] for r in ranked]
    target, weight = y[rows], None if sample_weight is None else sample_weight[rows]
    groups = None if groups is None else groups[rows]

    scorer = loss_function(metric, target, weight, groups)

    def loss(pred: np.ndarray, index=None) -> float:
        return scorer(pred, slice(None) if index is None else index)

    if _expected_seconds(loss, outputs[0], len(outputs)) > time_limit:
        return None
    build = _stack if method == "stack" else _greedy
    plan = build(outputs, target, loss, max_members, seed, groups)
    plan.members = [ranked[i].number for i in plan.members]
    plan.rows, plan.required_share = rows, required_share
    return plan


def candidates(records: list) -> list:
    """The finished trials an ensemble is chosen from, best first: every family's best trial
    (members that disagree), then the best of the rest, ``MAX_CANDIDATES`` in all."""
    done = sorted(
        (
            r
            for r in records
            if r.status == "done" and r.loss is not None and r.family != ENSEMBLE_FAMILY
        ),
        key=lambda r: r.loss,
    )
    diverse = best_per_family(done)[:MAX_CANDIDATES]
    numbers = {r.number for r in diverse}
    rest = [r for r in done if r.number not in numbers][: MAX_CANDIDATES - len(diverse)]
    return sorted(diverse + rest, key=lambda r: r.loss)


def _expected_seconds(loss, output: np.ndarray, n_candidates: int) -> float:
    """Seconds the greedy plan would take: its loss calls times one call's cost (the fastest of
    three: the first call pays for warming caches and overstated a plan's time 4-6 fold)."""
    per_call = math.inf
    for _ in range(3):
        tick = time.perf_counter()
        loss(output)
        per_call = min(per_call, time.perf_counter() - tick)
    selections = 3 * N_BAGS * (MAX_STEPS + 1) * n_candidates  # all rows and both halves
    return per_call * (selections + 2 * N_BOOTSTRAP)


def _greedy(outputs, target, loss, max_members: int, seed: int, groups=None) -> EnsemblePlan:
    weights = _cap(select_weights(outputs, loss, seed=seed), max_members)
    parts = _halves(len(target), seed, groups)
    honest = np.empty_like(outputs[0])
    for fit_rows, score_rows in parts:
        w = _cap(select_weights(outputs, loss, rows=fit_rows, seed=seed), max_members)
        honest[score_rows] = blend(outputs, w)[score_rows]
    chosen = np.flatnonzero(weights)
    plan = _compare(honest, outputs, parts, loss, seed, groups)
    return EnsemblePlan("greedy", list(chosen), list(weights[chosen]), *plan, predictions=honest)


def _stack(outputs, target, loss, max_members: int, seed: int, groups=None) -> EnsemblePlan:
    features = stack_features(outputs)
    classify = outputs[0].ndim == 2
    meta = LogisticRegression(C=1.0, max_iter=2000) if classify else LinearRegression(positive=True)
    method = "predict_proba" if classify else "predict"
    folds = KFold if groups is None else GroupKFold
    parts = list(folds(5, shuffle=True, random_state=seed).split(features, groups=groups))
    honest = cross_val_predict(meta, features, target, cv=parts, method=method)
    meta.fit(features, target)
    members = list(range(len(outputs)))
    plan = _compare(honest, outputs, parts, loss, seed, groups)
    weights = [1.0 / len(members)] * len(members)
    return EnsemblePlan("stack", members, weights, *plan, meta=meta, predictions=honest)


def _compare(ensemble: np.ndarray, outputs: list[np.ndarray], parts, loss, seed: int, groups=None):
    """(ensemble loss, best single trial's loss, share of bootstrap resamples the ensemble
    wins), each loss the mean over the scored ``parts``; the single trial of each part is the
    best on the rows outside it, as the ensemble's weights were chosen there."""
    single = np.empty_like(outputs[0])
    for fit_rows, score_rows in parts:
        best = min(outputs, key=lambda p, r=fit_rows: loss(p[r], r))
        single[score_rows] = best[score_rows]
    part_loss = _by_part(loss, parts, len(single))
    return (
        part_loss(ensemble),
        part_loss(single),
        win_share(ensemble, single, part_loss, len(single), seed, groups),
    )


def _by_part(loss, parts, n: int):
    """``loss(pred, index)`` averaged over the scored parts, weighted by their rows."""
    part = np.empty(n, dtype=int)
    for k, (_, score_rows) in enumerate(parts):
        part[score_rows] = k
    labels = np.arange(len(parts))

    def part_loss(pred: np.ndarray, index=None) -> float:
        index = np.arange(n) if index is None else np.asarray(index)
        of_row = part[index]
        values, sizes = [], []
        for k in labels:
            mask = of_row == k
            if mask.any():
                values.append(loss(pred[mask], index[mask]))
                sizes.append(mask.sum())
        return float(np.average(values, weights=sizes))

    return part_loss


def win_share(
    a: np.ndarray, b: np.ndarray, loss, n: int, seed: int, groups: np.ndarray | None = None
) -> float:
    """Share of ``N_BOOTSTRAP`` resamples of the ``n`` rows on which ``a``'s loss is below ``b``'s.

    ``loss(pred, index)`` scores predictions of the resampled rows ``index``. With ``groups``
    (each row's group id) a resample draws whole groups: rows that share a group (a ranking's
    query, a forecast's window of one series) are not independent draws, and resampling them
    one by one would make a difference look surer than it is.
    """
    rng = np.random.default_rng(seed)
    draw = _group_sampler(groups, rng) if groups is not None else lambda: rng.integers(0, n, n)
    wins = 0
    for _ in range(N_BOOTSTRAP):
        index = draw()
        try:
            wins += loss(a[index], index) < loss(b[index], index)
        except ValueError:  # a resample with a single class cannot be scored
            continue
    return wins / N_BOOTSTRAP


def _group_sampler(groups: np.ndarray, rng: np.random.Generator):
    """A function drawing the rows of as many groups as there are, with replacement."""
    order = np.argsort(groups, kind="stable")
    _, starts, sizes = np.unique(groups[order], return_index=True, return_counts=True)

    def draw() -> np.ndarray:
        picked = rng.integers(0, len(starts), len(starts))
        lengths = sizes[picked]
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return order[np.repeat(starts[picked], lengths) + offsets]

    return draw


def _cap(weights: np.ndarray, max_members: int) -> np.ndarray:
    """Keep the ``max_members`` heaviest members (on ties, the better ranked), renormalised."""
    if np.count_nonzero(weights) > max_members:
        heaviest = np.argsort(-weights, kind="stable")[:max_members]
        kept = np.zeros_like(weights)
        kept[heaviest] = weights[heaviest]
        weights = kept
    return weights / weights.sum()


def _halves(n: int, seed: int, groups=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Two (fit rows, scored rows) parts: a seeded half (of the ``groups``, when given), and the
    other way round."""
    rng = np.random.default_rng(seed)
    if groups is None:
        order = rng.permutation(n)
        first, second = order[: n // 2], order[n // 2 :]
    else:
        ids = rng.permutation(np.unique(groups))
        in_first = np.isin(groups, ids[: len(ids) // 2])
        first, second = np.flatnonzero(in_first), np.flatnonzero(~in_first)
    return [(first, second), (second, first)]


def selection_rows(finite: np.ndarray, seed: int, groups=None) -> np.ndarray:
    """Validated rows to choose on: all of them, or a seeded sample of about ``MAX_ROWS`` on big
    data (of whole ``groups``, when given: the groups whose rows are all validated)."""
    rows = np.flatnonzero(finite)
    if len(rows) <= MAX_ROWS:
        return rows
    rng = np.random.default_rng(seed)
    if groups is None:
        return np.sort(rng.choice(rows, MAX_ROWS, replace=False))
    ids, sizes = np.unique(groups[rows], return_counts=True)
    order = rng.permutation(len(ids))
    taken = ids[order][np.cumsum(sizes[order]) <= MAX_ROWS]
    return rows[np.isin(groups[rows], taken)]


def finite_rows(pred: np.ndarray) -> np.ndarray:
    return np.isfinite(pred).all(axis=1) if pred.ndim == 2 else np.isfinite(pred)


def best_per_family(ranked: list) -> list:
    """The first (best) trial of each family in ``ranked``, in order."""
    seen: dict[str, Any] = {}
    for record in ranked:
        seen.setdefault(record.family, record)
    return list(seen.values())
