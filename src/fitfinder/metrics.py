"""Metric registry and custom metrics.

Every metric is scored on *predictions as the runner makes them*: a probability matrix
``(n_rows, n_classes)`` for classification (labels are its argmax) and a vector of values for
regression; ``y_true`` holds encoded class indices ``0..k-1`` for classification. The search
minimises :meth:`Metric.loss`, which is the score negated when greater is better.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics as skm

from fitfinder.errors import ConfigError

CLASSIFICATION = ("binary", "multiclass")
DEFAULT_METRIC = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}

#: Signature of the rich custom-metric form (FLAML-compatible).
RICH_PARAMETERS = ("X_val", "y_val", "estimator", "labels", "X_train", "y_train")


@dataclass(frozen=True)
class Metric:
    """A named score with its direction. ``kind`` says what it reads from the predictions."""

    name: str
    greater_is_better: bool
    kind: str  # "proba", "label", "value" or "custom" (rich form: sees the fitted estimator)
    func: Callable[..., Any]
    tasks: tuple[str, ...]
    grouped: bool = False  # scored per group of rows (a ranking's queries): reads ``groups``

    def score(self, y_true: np.ndarray, pred: np.ndarray, sample_weight=None, groups=None) -> float:
        """The metric in its natural direction (e.g. AUC, RMSE); a ``grouped`` metric reads each
        row's group id from ``groups`` (and no weights)."""
        if self.kind == "custom":
            raise ConfigError(f"metric {self.name!r} needs the fitted estimator; call it directly")
        if self.grouped:
            if groups is None:
                raise ConfigError(f"metric {self.name!r} needs each row's group id")
            return float(self.func(y_true, pred, groups=groups))
        if self.kind == "label":
            pred = labels_of(pred)
        elif self.kind == "proba":
            pred = _proba_input(pred, self.name)
        return float(self.func(y_true, pred, sample_weight=sample_weight))

    def loss(self, score: float) -> float:
        """The value the search minimises."""
        return -score if self.greater_is_better else score

    def score_of_loss(self, loss: float) -> float:
        return -loss if self.greater_is_better else loss


def labels_of(pred: np.ndarray) -> np.ndarray:
    """Class indices from a probability matrix (values pass through for regression)."""
    pred = np.asarray(pred)
    return pred.argmax(axis=1) if pred.ndim == 2 else pred


def _proba_input(proba: np.ndarray, name: str) -> np.ndarray:
    proba = np.asarray(proba, dtype=float)
    if name in ("roc_auc", "average_precision") and proba.ndim == 2 and proba.shape[1] == 2:
        return proba[:, 1]
    return proba


def _log_loss(y_true, proba, sample_weight=None):
    proba = np.clip(np.asarray(proba, dtype=float), 1e-15, 1.0)
    if proba.ndim == 1:
        proba = np.column_stack([1 - proba, proba])
    proba = proba / proba.sum(axis=1, keepdims=True)
    return skm.log_loss(y_true, proba, sample_weight=sample_weight, labels=range(proba.shape[1]))


def _roc_auc(y_true, proba, sample_weight=None):
    if np.ndim(proba) == 2:
        return skm.roc_auc_score(
            y_true,
            proba / proba.sum(axis=1, keepdims=True),
            sample_weight=sample_weight,
            multi_class="ovr",
            labels=range(proba.shape[1]),
        )
    return skm.roc_auc_score(y_true, proba, sample_weight=sample_weight)


def _average_precision(y_true, proba, sample_weight=None):
    if np.ndim(proba) == 2:  # multiclass: macro over one-vs-rest
        onehot = np.eye(proba.shape[1])[np.asarray(y_true, dtype=int)]
        return skm.average_precision_score(onehot, proba, sample_weight=sample_weight)
    return skm.average_precision_score(y_true, proba, sample_weight=sample_weight)


def _f1(average: str):
    def f1(y_true, y_pred, sample_weight=None):
        if average == "binary" and len(np.unique(y_true)) > 2:
            raise ConfigError(
                "metric 'f1' is for binary tasks; use f1_macro, f1_micro or f1_weighted"
            )
        return skm.f1_score(
            y_true, y_pred, average=average, sample_weight=sample_weight, zero_division=0
        )

    return f1


def _rmse(y_true, y_pred, sample_weight=None):
    return float(np.sqrt(skm.mean_squared_error(y_true, y_pred, sample_weight=sample_weight)))


_C = CLASSIFICATION
_R = ("regression",)
_REGISTRY: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("roc_auc", True, "proba", _roc_auc, _C),
        Metric("log_loss", False, "proba", _log_loss, _C),
        Metric("average_precision", True, "proba", _average_precision, _C),
        Metric("accuracy", True, "label", skm.accuracy_score, _C),
        Metric("balanced_accuracy", True, "label", skm.balanced_accuracy_score, _C),
        Metric("f1", True, "label", _f1("binary"), ("binary",)),
        Metric("f1_macro", True, "label", _f1("macro"), _C),
        Metric("f1_micro", True, "label", _f1("micro"), _C),
        Metric("f1_weighted", True, "label", _f1("weighted"), _C),
        Metric("rmse", False, "value", _rmse, _R),
        Metric("mse", False, "value", skm.mean_squared_error, _R),
        Metric("mae", False, "value", skm.mean_absolute_error, _R),
        Metric("r2", True, "value", skm.r2_score, _R),
        Metric("mape", False, "value", skm.mean_absolute_percentage_error, _R),
    ]
}


def metric_names(task: str | None = None, registry: dict[str, Metric] | None = None) -> list[str]:
    """Names of the built-in metrics (of ``registry``: the tabular ones by default), for a task
    or all."""
    registry = _REGISTRY if registry is None else registry
    return [n for n, m in registry.items() if task is None or task in m.tasks]


def get_metric(
    metric: str | Callable | Metric | None,
    task: str,
    greater_is_better: bool | None = None,
    *,
    registry: dict[str, Metric] | None = None,
) -> Metric:
    """Resolve a metric name, a callable or ``None`` (the task's default) to a :class:`Metric`.

    ``registry`` holds a task's own metrics (the tabular ones by default); its first metric
    for ``task`` is the default when ``DEFAULT_METRIC`` names none."""
    registry = _REGISTRY if registry is None else registry
    if isinstance(metric, Metric):
        return metric
    if metric is None or metric == "auto":
        metric = DEFAULT_METRIC.get(task) or metric_names(task, registry)[0]
    if callable(metric):
        return _custom(metric, task, greater_is_better)
    if metric not in registry:
        raise ConfigError(
            f"unknown metric {metric!r}; choose one of: {', '.join(metric_names(None, registry))}"
        )
    found = registry[metric]
    if task not in found.tasks:
        raise ConfigError(
            f"metric {metric!r} does not apply to a {task} task; "
            f"choose one of: {', '.join(metric_names(task, registry))}"
        )
    return found


def _custom(func: Callable, task: str, greater_is_better: bool | None) -> Metric:
    name = getattr(func, "__name__", "custom")
    params = list(inspect.signature(func).parameters)
    if tuple(params[: len(RICH_PARAMETERS)]) == RICH_PARAMETERS:
        return Metric(name, False, "custom", func, (task,))  # rich form returns a value to minimise
    if greater_is_better is None:
        raise ConfigError(
            f"custom metric {name!r}: say whether a higher value is better "
            "with greater_is_better=True or False"
        )
    kind = "label" if task in CLASSIFICATION else "value"
    return Metric(name, greater_is_better, kind, _weighted(func), (task,))


def _weighted(func: Callable) -> Callable:
    """Adapt a user's ``(y_true, y_pred)`` callable, passing weights only if it takes them."""
    takes_weight = "sample_weight" in inspect.signature(func).parameters

    def call(y_true, y_pred, sample_weight=None):
        if takes_weight:
            return func(y_true, y_pred, sample_weight=sample_weight)
        return func(y_true, y_pred)

    call.__name__ = getattr(func, "__name__", "custom")
    return call
