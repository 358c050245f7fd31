"""One scoring function for every system, and the paired bootstrap that defines "noise"."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import metrics as skm

GREATER_IS_BETTER = {"roc_auc": True, "macro_f1": True, "log_loss": False, "rmse": False}
EPS = 1e-15


@dataclass(frozen=True)
class Target:
    """The test-set truth a system's predictions are scored against."""

    metric: str
    y: np.ndarray  # class labels as strings, or values for regression
    classes: list[str]  # every class of the dataset (empty for regression)
    positive: str | None  # positive class for binary roc_auc


def prepare(target: Target, preds: pd.DataFrame) -> np.ndarray:
    """What the metric reads from a predictions frame: labels, values, ranks or probabilities.

    ``preds`` has ``pred`` and one ``proba:<label>`` column per class the system knows. For
    roc_auc the positive-class probabilities become dense ranks (AUC only sees the order);
    for log_loss a class the system never saw gets probability 0, clipped to 1e-15.
    """
    if target.metric in ("rmse", "macro_f1"):
        return preds["pred"].to_numpy()
    if target.metric == "roc_auc":
        return np.unique(preds[f"proba:{target.positive}"].to_numpy(float), return_inverse=True)[1]
    cols = [f"proba:{c}" for c in target.classes]
    proba = np.clip(preds.reindex(columns=cols, fill_value=0.0).to_numpy(dtype=float), EPS, 1.0)
    return proba / proba.sum(axis=1, keepdims=True)


def _auc(positive: np.ndarray, ranks: np.ndarray, weight: np.ndarray) -> float:
    """Weighted Mann-Whitney AUC over dense ranks (ties count one half); O(n), no sort."""
    size = ranks.max() + 1
    pos = np.bincount(ranks, weights=weight * positive, minlength=size)
    neg = np.bincount(ranks, weights=weight * ~positive, minlength=size)
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (pos.sum() * neg.sum()))


def score(target: Target, pred: np.ndarray, weight: np.ndarray | None = None) -> float:
    """The metric on the test set, each row counted ``weight`` times (default once)."""
    y = target.y
    w = np.ones(len(y)) if weight is None else weight
    if target.metric == "roc_auc":
        return _auc(y == target.positive, pred, w)
    if target.metric == "log_loss":
        return float(skm.log_loss(y, pred, labels=target.classes, sample_weight=w))
    if target.metric == "macro_f1":
        return float(
            skm.f1_score(
                y, pred, average="macro", labels=target.classes, sample_weight=w, zero_division=0
            )
        )
    return float(np.sqrt(np.average((y - pred.astype(float)) ** 2, weights=w)))


def paired_bootstrap(
    target: Target, a: np.ndarray, b: np.ndarray, n_boot: int = 1000, seed: int = 0
) -> tuple[float, float, float]:
    """Advantage of ``a`` over ``b`` (positive = ``a`` better) and its 95 % interval.

    Each resample draws the test rows with replacement (as per-row counts) and scores both
    systems on it, so the interval reflects only which rows happened to be in the test set.
    """
    sign = 1.0 if GREATER_IS_BETTER[target.metric] else -1.0
    point = sign * (score(target, a) - score(target, b))
    rng = np.random.default_rng(seed)
    n = len(target.y)
    diffs = np.empty(n_boot)
    for i in range(n_boot):
        counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        diffs[i] = sign * (score(target, a, counts) - score(target, b, counts))
    low, high = np.percentile(diffs, [2.5, 97.5])
    return point, float(low), float(high)


def verdict(low: float, high: float) -> str:
    """'better' / 'worse' when the 95 % interval excludes zero, else 'within noise'."""
    if low > 0:
        return "better"
    if high < 0:
        return "worse"
    return "within noise"
