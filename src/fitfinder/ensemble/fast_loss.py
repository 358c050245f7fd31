"""Vectorised losses for ensemble selection, which scores thousands of candidate blends.

scikit-learn's metrics validate their inputs on every call (about 2 ms each); these numpy
versions of the common unweighted metrics cost tens of microseconds and agree with them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import rankdata

Loss = Callable[[np.ndarray, np.ndarray], float]


def _log_loss(y, proba):
    proba = np.clip(proba, 1e-15, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return -float(np.mean(np.log(proba[np.arange(len(y)), y])))


def _binary_auc(y, proba):
    ranks = rankdata(proba[:, 1])
    positives = y == 1
    n_pos = positives.sum()
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("only one class present")
    return -float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _confusion(y, proba) -> np.ndarray:
    k = proba.shape[1]
    return np.bincount(y * k + proba.argmax(axis=1), minlength=k * k).reshape(k, k)


def _f1(average: str):
    """F1 as scikit-learn computes it (zero_division=0), over the classes seen in either."""

    def loss(y, proba) -> float:
        c = _confusion(y, proba)
        tp, true, pred = np.diag(c), c.sum(axis=1), c.sum(axis=0)
        if average == "binary":
            tp, true, pred = tp[1:2], true[1:2], pred[1:2]
        denominator = true + pred
        f1 = np.divide(2 * tp, denominator, out=np.zeros(len(tp)), where=denominator > 0)
        if average == "weighted":
            return -float(f1 @ true / true.sum())
        seen = denominator > 0 if average == "macro" else np.ones(len(tp), bool)
        return -float(f1[seen].mean()) if seen.any() else 0.0

    return loss


def _balanced_accuracy(y, proba) -> float:
    c = _confusion(y, proba)
    true = c.sum(axis=1)
    return -float(np.mean(np.diag(c)[true > 0] / true[true > 0]))


_FAST = {
    "log_loss": _log_loss,
    "rmse": lambda y, p: float(np.sqrt(np.mean((p - y) ** 2))),
    "mse": lambda y, p: float(np.mean((p - y) ** 2)),
    "mae": lambda y, p: float(np.mean(np.abs(p - y))),
    "accuracy": lambda y, p: -float(np.mean(p.argmax(axis=1) == y)),
    "f1_micro": lambda y, p: -float(np.mean(p.argmax(axis=1) == y)),
    "f1_macro": _f1("macro"),
    "f1_weighted": _f1("weighted"),
    "f1": _f1("binary"),
    "balanced_accuracy": _balanced_accuracy,
}


def loss_function(
    metric, target: np.ndarray, weight: np.ndarray | None, groups: np.ndarray | None = None
) -> Loss:
    """``loss(predictions_of_rows, rows)``: fast where possible, the metric itself otherwise
    (``groups``: each target row's group id, for grouped metrics)."""
    fast = _FAST.get(metric.name)
    binary = target.max(initial=0) <= 1
    if metric.name == "roc_auc" and binary:
        fast = _binary_auc
    if fast is not None and weight is None:
        y = target.astype(int) if metric.kind != "value" else target
        return lambda pred, rows: fast(y[rows], pred)

    def loss(pred: np.ndarray, rows) -> float:
        w = None if weight is None else weight[rows]
        g = None if groups is None else groups[rows]
        return metric.loss(metric.score(target[rows], pred, w, g))

    return loss
