"""Forecast metrics: definitions against hand computations, and the scale weighting."""

import numpy as np
import pytest

from fitfinder.metrics import get_metric
from fitfinder.tasks.forecast import intervals
from fitfinder.tasks.forecast.metrics import METRICS, weighted_quantile_loss


def test_mase_weighted_by_inverse_scale_is_the_mean_of_per_series_mase():
    y = np.array([10.0, 12.0, 100.0, 130.0])
    f = np.array([11.0, 10.0, 90.0, 150.0])
    scale = np.array([2.0, 2.0, 10.0, 10.0])  # series a, a, b, b
    per_series = [np.mean([1, 2]) / 2.0, np.mean([10, 20]) / 10.0]
    assert METRICS["mase"].score(y, f, 1 / scale) == pytest.approx(np.mean(per_series))
    assert METRICS["mae"].score(y, f) == pytest.approx(np.mean([1, 2, 10, 20]))


def test_rmsse_smape_mape_wape_match_their_definitions():
    y, f = np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 2.0])
    assert METRICS["rmsse"].score(y, f, np.full(3, 0.25)) == pytest.approx(np.sqrt(5 / 3 / 4))
    assert METRICS["smape"].score(y, f) == pytest.approx(100 * np.mean([2 / 3, 0, 2 / 3]))
    assert METRICS["mape"].score(y, f) == pytest.approx(np.mean([1, 0, 0.5]))
    assert METRICS["wape"].score(y, f) == pytest.approx(3 / 7)
    assert METRICS["smape"].score(np.zeros(2), np.zeros(2)) == 0.0


def test_forecast_metric_names_resolve_only_for_the_forecast_task():
    assert get_metric("auto", "forecast", registry=METRICS).name == "mase"
    with pytest.raises(ValueError, match="choose one of: mase, rmsse"):
        get_metric("roc_auc", "forecast", registry=METRICS)


def test_quantile_loss_is_zero_for_perfect_quantiles_and_grows_with_error():
    y = np.array([1.0, 2.0, 3.0])
    assert weighted_quantile_loss(y, {0.1: y, 0.9: y}) == 0.0
    near = weighted_quantile_loss(y, {0.1: y - 0.5, 0.9: y + 0.5})
    far = weighted_quantile_loss(y, {0.1: y - 2.0, 0.9: y + 2.0})
    assert 0 < near < far


def test_conformal_intervals_cover_about_the_nominal_share_of_new_errors():
    rng = np.random.default_rng(0)
    h, n = 6, 400
    step = np.tile(np.arange(1, h + 1), n)
    residual = rng.normal(0, 1, len(step)) * np.sqrt(step)  # errors grow with the step
    fitted = intervals.calibrate(residual, step, h, (0.1, 0.9))
    assert list(fitted.spread) == sorted(fitted.spread)  # never narrower later
    fresh = rng.normal(0, 1, len(step)) * np.sqrt(step)
    q = fitted.quantiles(np.zeros(len(step)), step, np.ones(len(step)))
    inside = np.mean((fresh >= q[0.1]) & (fresh <= q[0.9]))
    assert 0.75 < inside < 0.85
    first, last = step == 1, step == h
    assert (q[0.9][last] - q[0.1][last]).mean() > 1.5 * (q[0.9][first] - q[0.1][first]).mean()


def test_backtest_coverage_holds_each_window_out():
    rng = np.random.default_rng(1)
    h = 4
    step = np.tile(np.arange(1, h + 1), 60)
    window = np.repeat(np.arange(3), 80)
    residual = rng.normal(size=len(step))
    y = residual.copy()
    report = intervals.backtest_coverage(
        residual, step, window, h, (0.1, 0.9), y, np.zeros(len(y)), np.ones(len(y))
    )
    assert report["windows"] == 3 and report["nominal"] == pytest.approx(0.8)
    assert 0.65 < report["coverage"] < 0.95 and report["wql"] > 0
    one = np.zeros(len(y), dtype=int)
    args = (h, (0.1, 0.9), y, np.zeros(len(y)), np.ones(len(y)))
    assert intervals.backtest_coverage(residual, step, one, *args) is None
