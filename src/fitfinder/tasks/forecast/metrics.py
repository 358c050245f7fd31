"""Forecast accuracy metrics, scored on the rows of the backtest windows.

Scale-free metrics divide each row's error by its series' scale: the mean absolute (MASE) or
squared (RMSSE) seasonal-naive error of the series' history before the first window. The
forecast task passes ``1 / scale`` as each row's scoring weight (forecasters are fitted without
weights), so every stage that scores predictions (trials, ensemble selection, its bootstrap)
computes the same metric on any subset of rows: with every series validated on the same number
of rows, the mean over rows of ``|error| / scale`` is the mean over series of their MASE.
"""

from __future__ import annotations

import numpy as np

from fitfinder.metrics import Metric

TASK = ("forecast",)
DEFAULT = "mase"
#: metric -> which series scale its rows are weighted by ("mae": MASE's, "mse": RMSSE's)
SCALED = {"mase": "mae", "rmsse": "mse"}


def _errors(y_true, y_pred) -> np.ndarray:
    return np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)


def _mean(values: np.ndarray, sample_weight) -> float:
    """The mean of ``values`` scaled row by row (no weight: a plain mean)."""
    return float(np.mean(values if sample_weight is None else values * sample_weight))


def mase(y_true, y_pred, sample_weight=None) -> float:
    """Mean absolute error over the series' seasonal-naive MAE (weights: 1 / that scale)."""
    return _mean(np.abs(_errors(y_true, y_pred)), sample_weight)


def rmsse(y_true, y_pred, sample_weight=None) -> float:
    """Root mean squared error over the series' seasonal-naive MSE, pooled over the panel."""
    return float(np.sqrt(_mean(_errors(y_true, y_pred) ** 2, sample_weight)))


def mae(y_true, y_pred, sample_weight=None) -> float:
    return _mean(np.abs(_errors(y_true, y_pred)), sample_weight)


def rmse(y_true, y_pred, sample_weight=None) -> float:
    return float(np.sqrt(_mean(_errors(y_true, y_pred) ** 2, sample_weight)))


def smape(y_true, y_pred, sample_weight=None) -> float:
    """Symmetric MAPE in percent (0-200), as in the M4 competition; 0/0 counts as 0."""
    y, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    denominator = np.abs(y) + np.abs(p)
    ratio = np.divide(2 * np.abs(y - p), denominator, out=np.zeros_like(y), where=denominator > 0)
    return 100 * _mean(ratio, sample_weight)


def mape(y_true, y_pred, sample_weight=None) -> float:
    """Mean absolute percentage error as a fraction (like scikit-learn's); zeros in the truth
    are floored at machine epsilon, as scikit-learn does."""
    y = np.asarray(y_true, dtype=float)
    ratio = np.abs(y - np.asarray(y_pred, dtype=float)) / np.maximum(np.abs(y), np.finfo(float).eps)
    return _mean(ratio, sample_weight)


def wape(y_true, y_pred, sample_weight=None) -> float:
    """Weighted absolute percentage error: total absolute error over total absolute truth."""
    y = np.asarray(y_true, dtype=float)
    return float(
        np.sum(np.abs(y - np.asarray(y_pred, dtype=float))) / max(np.sum(np.abs(y)), 1e-12)
    )


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("mase", False, "value", mase, TASK),
        Metric("rmsse", False, "value", rmsse, TASK),
        Metric("smape", False, "value", smape, TASK),
        Metric("mape", False, "value", mape, TASK),
        Metric("wape", False, "value", wape, TASK),
        Metric("mae", False, "value", mae, TASK),
        Metric("rmse", False, "value", rmse, TASK),
    )
}


def weighted_quantile_loss(y_true: np.ndarray, quantiles: dict[float, np.ndarray]) -> float:
    """WQL: the pinball loss summed over the levels, over the total absolute truth (as in
    AutoGluon and GluonTS), averaged over the levels."""
    y = np.asarray(y_true, dtype=float)
    total = max(np.sum(np.abs(y)), 1e-12)
    losses = [
        2 * np.sum(np.maximum(level * (y - q), (level - 1) * (y - q))) / total
        for level, q in quantiles.items()
    ]
    return float(np.mean(losses))
