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


_FAST = {
    "log_loss": _log_loss,
    "rmse": lambda y, p: float(np.sqrt(np.mean((p - y) ** 2))),
    "mse": lambda y, p: float(np.mean((p - y) ** 2)),
    "mae": lambda y, p: float(np.mean(np.abs(p - y))),
    "accuracy": lambda y, p: -float(np.mean(p.argmax(axis=1) == y)),
}


def loss_function(metric, target: np.ndarray, weight: np.ndarray | None) -> Loss:
    """``loss(predictions_of_rows, rows)``: fast where possible, the metric itself otherwise."""
    fast = _FAST.get(metric.name)
    binary = target.max(initial=0) <= 1
    if metric.name == "roc_auc" and binary:
        fast = _binary_auc
    if fast is not None and weight is None:
        y = target.astype(int) if metric.kind != "value" else target
        return lambda pred, rows: fast(y[rows], pred)

    def loss(pred: np.ndarray, rows) -> float:
        w = None if weight is None else weight[rows]
        return metric.loss(metric.score(target[rows], pred, w))

    return loss
