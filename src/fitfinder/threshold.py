"""The decision threshold of a binary classifier, tuned for a label metric.

Labels are the class with the highest probability, which is right for accuracy but not for
F1, balanced accuracy and the like: on imbalanced data they are best at another cut-off of the
positive class's probability. When the run's metric reads labels, the final model's
out-of-fold (or holdout) probabilities choose the threshold that maximises the metric, on a grid
of ``GRID`` cut-offs; ties go to the one nearest 0.5. The model keeps it only when it scores
better than 0.5 on those rows. AutoGluon calls this calibrating the decision threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fitfinder.metrics import Metric

GRID = np.round(np.linspace(0.02, 0.98, 97), 2)
#: label metrics whose best threshold for calibrated probabilities is 0.5: nothing to tune
THRESHOLD_FREE = ("accuracy", "f1_micro")


@dataclass(frozen=True)
class Threshold:
    """A tuned cut-off with the validation score it gives and the score at 0.5."""

    value: float
    score: float
    score_at_half: float

    def info(self) -> dict:
        """How ``model.json`` records it."""
        return {
            "value": self.value,
            "validation_score": self.score,
            "validation_score_at_0.5": self.score_at_half,
        }


def tunes_threshold(metric: Metric, task: str) -> bool:
    """Whether a run with ``metric`` on ``task`` tunes its decision threshold."""
    return task == "binary" and metric.kind == "label" and metric.name not in THRESHOLD_FREE


def tune_threshold(
    y: np.ndarray, proba: np.ndarray, metric: Metric, sample_weight: np.ndarray | None = None
) -> Threshold | None:
    """The best cut-off of ``proba[:, 1]`` for ``metric`` on class indices ``y``, or None when
    none beats 0.5. Rows with a missing prediction (not validated) are left out."""
    rows = np.isfinite(proba).all(axis=1)
    positive, target = proba[rows, 1], y[rows]
    weight = None if sample_weight is None else sample_weight[rows]
    if len(np.unique(target)) < 2:
        return None

    def score(cut: float) -> float:
        labels = (positive >= cut).astype(int)
        return float(metric.func(target, labels, sample_weight=weight))

    sign = 1.0 if metric.greater_is_better else -1.0  # so that higher is better
    scores = np.array([score(cut) for cut in GRID])
    ties = np.flatnonzero(sign * scores == (sign * scores).max())
    chosen = ties[np.argmin(np.abs(GRID[ties] - 0.5))]
    at_half = scores[np.flatnonzero(GRID == 0.5)[0]]
    if sign * scores[chosen] <= sign * at_half:
        return None
    return Threshold(float(GRID[chosen]), float(scores[chosen]), float(at_half))


def decide(proba: np.ndarray, threshold: float | None) -> np.ndarray:
    """Class indices from probabilities: the most probable class, or for a binary model with a
    ``threshold``, the positive class (index 1) wherever its probability reaches it."""
    if threshold is None:
        return proba.argmax(axis=1)
    return (proba[:, 1] >= threshold).astype(int)
