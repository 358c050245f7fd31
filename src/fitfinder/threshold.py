"""The decision rule of a classifier, tuned for a label metric.

Labels are the class with the highest probability, which is right for accuracy but not for
F1, balanced accuracy and the like: on imbalanced data they are best at another cut-off. When
the run's metric reads labels, the final model's out-of-fold (or holdout) probabilities choose
the rule that maximises the metric; the model keeps it only when it scores better than the
plain most-probable class on those rows. AutoGluon calls this calibrating the decision
threshold.

- binary: a cut-off of the positive class's probability, on a grid of ``GRID`` cut-offs (ties
  go to the one nearest 0.5);
- multiclass: one weight per class, the label being the class of highest weighted probability
  (for macro F1, the rare classes' weights rise). The weights are tuned one class at a time on
  the ``WEIGHTS`` grid, in ``PASSES`` rounds of coordinate ascent (ties go to the weight
  nearest 1): a few hundred scorings, where a joint search would need ``len(WEIGHTS)**k``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fitfinder.metrics import Metric

GRID = np.round(np.linspace(0.02, 0.98, 97), 2)
WEIGHTS = np.round(np.exp(np.linspace(np.log(0.25), np.log(4.0), 17)), 4)  # 1 is in the middle
PASSES = 2
#: label metrics whose best rule for calibrated probabilities is the most probable class
THRESHOLD_FREE = ("accuracy", "f1_micro")


@dataclass(frozen=True)
class Threshold:
    """A tuned rule (a binary cut-off, or multiclass class weights) with the validation score it
    gives and the score of the most probable class."""

    value: float | tuple[float, ...]
    score: float
    score_at_half: float

    def describe(self, metric: str) -> str:
        """One line for the fit's output."""
        if isinstance(self.value, float):
            rule, plain = f"decision threshold {self.value:.2f}", "at 0.5"
        else:
            rule = "class weights " + ", ".join(f"{w:.2f}" for w in self.value)
            plain = "for the most probable class"
        return f"{rule}: validation {metric} {self.score:.4f} ({self.score_at_half:.4f} {plain})"

    def info(self) -> dict:
        """How ``model.json`` records it."""
        plain = "at_0.5" if isinstance(self.value, float) else "most_probable"
        key = f"validation_score_{plain}"
        value = self.value if isinstance(self.value, float) else list(self.value)  # as in JSON
        return {"value": value, "validation_score": self.score, key: self.score_at_half}


def tunes_threshold(metric: Metric, task: str) -> bool:
    """Whether a run with ``metric`` on ``task`` tunes its decision rule."""
    return (
        task in ("binary", "multiclass")
        and metric.kind == "label"
        and metric.name not in THRESHOLD_FREE
    )


def tune_threshold(
    y: np.ndarray, proba: np.ndarray, metric: Metric, sample_weight: np.ndarray | None = None
) -> Threshold | None:
    """The best rule for ``metric`` on class indices ``y`` (a cut-off of ``proba[:, 1]`` for
    two classes, class weights for more), or None when none beats the most probable class.
    Rows with a missing prediction (not validated) are left out."""
    rows = np.isfinite(proba).all(axis=1)
    proba, target = proba[rows], y[rows]
    weight = None if sample_weight is None else sample_weight[rows]
    if len(np.unique(target)) < 2:
        return None
    sign = 1.0 if metric.greater_is_better else -1.0  # so that higher is better

    def score(rule) -> float:
        return sign * float(metric.func(target, decide(proba, rule), sample_weight=weight))

    binary = proba.shape[1] == 2
    found = _cut_off(score) if binary else _class_weights(score, proba.shape[1])
    plain = score(0.5 if binary else None)
    if found is None or found[1] <= plain:
        return None
    return Threshold(found[0], sign * found[1], sign * plain)


def _cut_off(score) -> tuple[float, float]:
    scores = np.array([score(float(cut)) for cut in GRID])
    ties = np.flatnonzero(scores == scores.max())
    chosen = ties[np.argmin(np.abs(GRID[ties] - 0.5))]
    return float(GRID[chosen]), float(scores[chosen])


def _class_weights(score, n_classes: int) -> tuple[tuple[float, ...], float]:
    weights = np.ones(n_classes)
    best = score(tuple(weights))
    for _ in range(PASSES):
        for k in range(n_classes):
            scores = np.array([score(tuple(_set(weights, k, w))) for w in WEIGHTS])
            ties = np.flatnonzero(scores == scores.max())
            chosen = WEIGHTS[ties[np.argmin(np.abs(np.log(WEIGHTS[ties])))]]
            if scores.max() > best:
                best, weights = float(scores.max()), _set(weights, k, chosen)
    return tuple(float(w) for w in weights), best


def _set(weights: np.ndarray, k: int, value: float) -> np.ndarray:
    changed = weights.copy()
    changed[k] = value
    return changed


def decide(proba: np.ndarray, threshold: float | tuple[float, ...] | list | None) -> np.ndarray:
    """Class indices from probabilities: the most probable class; for a binary model with a
    ``threshold``, the positive class (index 1) wherever its probability reaches it; with class
    weights, the class of highest weighted probability."""
    if threshold is None:
        return proba.argmax(axis=1)
    if np.ndim(threshold):
        return (proba * np.asarray(threshold, dtype=float)).argmax(axis=1)
    return (proba[:, 1] >= threshold).astype(int)
