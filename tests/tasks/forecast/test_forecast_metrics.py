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
    window = np.repeat(np.arange(n), h)  # many windows: next to no widening
    residual = rng.normal(0, 1, len(step)) * np.sqrt(step)  # errors grow with the step
    fitted = intervals.calibrate(residual, step, window, h, (0.1, 0.9))
    assert list(fitted.spread) == sorted(fitted.spread)  # never narrower later
    fresh = rng.normal(0, 1, len(step)) * np.sqrt(step)
    q = fitted.quantiles(np.zeros(len(step)), step, np.ones(len(step)))
    inside = np.mean((fresh >= q[0.1]) & (fresh <= q[0.9]))
    assert 0.75 < inside < 0.85
    first, last = step == 1, step == h
    assert (q[0.9][last] - q[0.1][last]).mean() > 1.5 * (q[0.9][first] - q[0.1][first]).mean()


def test_intervals_from_few_windows_are_widened_about_the_median():
    assert intervals.widening(0.5, 3) == 1.0
    assert intervals.widening(0.9, 3) == pytest.approx(1.70, abs=0.01)
    assert intervals.widening(0.1, 7) == pytest.approx(1.20, abs=0.01)
    assert intervals.widening(0.9, 1) > intervals.widening(0.9, 2) > intervals.widening(0.9, 3)
    assert intervals.widening(0.9, 10_000) == pytest.approx(1.0, abs=1e-3)
    step = np.tile(np.arange(1, 5), 30)
    residual = np.random.default_rng(2).normal(1.0, 1.0, len(step))  # biased: centred on 1
    many = intervals.calibrate(residual, step, np.arange(len(step)) // 4, 4, (0.1, 0.5, 0.9))
    few = intervals.calibrate(residual, step, np.arange(len(step)) // 40, 4, (0.1, 0.5, 0.9))
    assert few.spread == many.spread and few.offsets[0.5] == pytest.approx(many.offsets[0.5])
    centre = many.offsets[0.5]
    for q in (0.1, 0.9):
        ratio = (few.offsets[q] - centre) / (many.offsets[q] - centre)
        assert ratio == pytest.approx(intervals.widening(q, 3) / intervals.widening(q, 30))


def test_few_heterogeneous_windows_cover_a_new_window_near_the_nominal_share():
    """Each window's errors have their own level (a regime): calibrated as if every row were
    independent, three windows' intervals cover a new window's errors below 80 % on average;
    widened for three windows, they cover at least that."""
    rng = np.random.default_rng(3)
    h = 24
    step = np.tile(np.arange(1, h + 1), 3)
    window = np.repeat(np.arange(3), h)
    widened, pooled = [], []
    for _ in range(300):
        level = np.exp(rng.normal(0, 0.7, 4))
        residual = np.repeat(level[:3], h) * rng.normal(size=3 * h)
        new = level[3] * rng.normal(size=h)
        for windows, out in ((window, widened), (np.arange(3 * h), pooled)):
            q = intervals.calibrate(residual, step, windows, h, (0.1, 0.9)).quantiles(
                np.zeros(h), step[:h], np.ones(h)
            )
            out.append(np.mean((new >= q[0.1]) & (new <= q[0.9])))
    assert np.mean(pooled) < 0.76
    assert 0.8 < np.mean(widened) < 0.92


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
    assert 0.8 < report["coverage"] < 1.0 and report["wql"] > 0  # calibrated on 2, widened
    one = np.zeros(len(y), dtype=int)
    args = (h, (0.1, 0.9), y, np.zeros(len(y)), np.ones(len(y)))
    assert intervals.backtest_coverage(residual, step, one, *args) is None
