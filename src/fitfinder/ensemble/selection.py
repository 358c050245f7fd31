"""Ensemble selection (Caruana et al.): greedy forward selection with replacement, bagged.

Works on validation predictions only — no refits — and optimises the run's metric. Each bag
is a bootstrap resample of the validation rows: starting from the best single candidate on
that resample, it adds, with replacement, whichever candidate lowers the loss of the average
most, until nothing helps. The bags' member counts are averaged into weights, which keeps the
weights from overfitting the validation rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: ``loss(predictions_of_rows, rows) -> value to minimise``
Loss = Callable[[np.ndarray, np.ndarray], float]
MAX_STEPS = 15  # members added per greedy run, at most
N_BAGS = 10


def select_weights(
    predictions: list[np.ndarray],
    loss: Loss,
    *,
    rows: np.ndarray | None = None,
    max_steps: int = MAX_STEPS,
    n_bags: int = N_BAGS,
    seed: int = 0,
) -> np.ndarray:
    """Weights (summing to 1) over ``predictions`` minimising ``loss`` of their weighted average."""
    n = len(predictions)
    if n == 1:
        return np.ones(1)
    rows = np.arange(len(predictions[0])) if rows is None else np.asarray(rows)
    rng = np.random.default_rng(seed)
    counts = np.zeros(n)
    for _ in range(n_bags):
        sample = rng.choice(rows, size=len(rows), replace=True)
        try:
            counts += _greedy(
                [p[sample] for p in predictions], lambda q, s=sample: loss(q, s), max_steps
            )
        except ValueError:  # a resample the metric cannot score (e.g. a single class)
            continue
    if not counts.any():
        counts = _greedy([p[rows] for p in predictions], lambda q: loss(q, rows), max_steps)
    return counts / counts.sum()


def _greedy(
    predictions: list[np.ndarray], loss: Callable[[np.ndarray], float], max_steps: int
) -> np.ndarray:
    """Member counts of one greedy run, starting from the best single candidate."""
    singles = [loss(p) for p in predictions]
    start = int(np.argmin(singles))
    counts = np.zeros(len(predictions))
    counts[start] = 1
    total, size, best = predictions[start].copy(), 1, singles[start]
    for _ in range(max_steps):
        value, pick = min((loss((total + p) / (size + 1)), i) for i, p in enumerate(predictions))
        if value >= best - 1e-12:
            break
        total, size, best = total + predictions[pick], size + 1, value
        counts[pick] += 1
    return counts


def blend(predictions: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """The weighted average of member predictions."""
    return sum(w * p for w, p in zip(weights, predictions, strict=True) if w > 0)
