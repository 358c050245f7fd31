"""The nhits family: declaration, fits on real and synthetic panels, seeding, time limit, update."""

import pickle
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from fitfinder.errors import DataError  # noqa: E402
from fitfinder.estimators.base import BuildContext  # noqa: E402
from fitfinder.search.space import config_problem  # noqa: E402
from fitfinder.tasks.forecast.neural import FAMILY, available  # noqa: E402
from fitfinder.tasks.forecast.schema import ForecastSchema  # noqa: E402

MONTHLY = ForecastSchema("y", "ds", "unique_id", "MS", horizon=12, seasonal_periods=(12,))
WEEKLY = ForecastSchema("y", "ds", "unique_id", "W-SUN", horizon=6)
CONFIGS = {"low_cost": FAMILY.low_cost, "defaults": FAMILY.defaults}


def build(schema: ForecastSchema, config: dict, seed: int = 0, **params):
    ctx = BuildContext("forecast", 1000, n_threads=1, seed=seed, schema=schema)
    return FAMILY.build(config, ctx).set_params(**params)


def split(frame: pd.DataFrame, h: int):
    """(X_train, y_train, X_val, y_val): the last ``h`` points of every series are validation."""
    left = frame.groupby("unique_id").cumcount(ascending=False)
    train, val = frame[left >= h], frame[left < h]
    return train[["unique_id", "ds"]], train["y"], val[["unique_id", "ds"]], val["y"]


def make_panel(lengths, freq: str, seed: int = 0, season: int = 12, noise: float = 0.3):
    """Series of sine + noise around their own levels, ending on the same date."""
    rng = np.random.default_rng(seed)
    parts = []
    for i, n in enumerate(lengths):
        t = np.arange(n) + rng.integers(season)
        y = 10 + i + 3 * np.sin(2 * np.pi * t / season) + rng.normal(0, noise, n)
        ds = pd.date_range(end="2020-12-27", periods=n, freq=freq)
        parts.append(pd.DataFrame({"unique_id": f"s{i:02d}", "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


def mae(a, b) -> float:
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))


@pytest.fixture(scope="module")
def sine():
    """20 seasonal monthly series of 200 points, split at the horizon."""
    return split(make_panel([200] * 20, "MS"), MONTHLY.horizon)


@pytest.fixture(scope="module")
def cheap(sine):
    """The low-cost config fitted on the sine panel."""
    X, y, _, _ = sine
    return build(MONTHLY, FAMILY.low_cost).fit(X, y)


def test_declaration():
    assert FAMILY.name == "nhits" and FAMILY.tasks == frozenset({"forecast"})
    assert FAMILY.preprocessing == "frame" and not FAMILY.supports_sample_weight
    assert FAMILY.fidelity is None and available()
    for config in (FAMILY.low_cost, FAMILY.defaults):
        assert set(config) == set(FAMILY.space)
        assert config_problem(FAMILY.space, config) is None


def test_registering_the_family_imports_no_torch():
    code = (
        "import sys, fitfinder.estimators; "
        "print('fitfinder.tasks.forecast.neural' in sys.modules, 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["True", "False"], result.stderr


@pytest.mark.parametrize("which", CONFIGS)
def test_air_passengers(series, which):
    frame = series("air_passengers").rename(
        columns={"series_id": "unique_id", "timestamp": "ds", "target": "y"}
    )
    X, y, X_val, y_val = split(frame, MONTHLY.horizon)
    predictions = build(MONTHLY, CONFIGS[which]).fit(X, y).predict(X_val)
    assert predictions.shape == (len(X_val),) and np.isfinite(predictions).all()
    if which == "defaults":  # beats the seasonal naive forecast (MAE 47.8)
        assert mae(predictions, y_val) < mae(y.to_numpy()[-12:], y_val)


@pytest.mark.parametrize("which", CONFIGS)
def test_ragged_panel_with_rows_shuffled(which):
    """Series shorter than the window (padded), one too short to train on, rows out of order."""
    frame = make_panel([10, 21, 36, 86, 120], "W-SUN", seed=1)
    X, y, X_val, _ = split(frame, WEEKLY.horizon)
    order = np.random.default_rng(0).permutation(len(X))
    model = build(WEEKLY, CONFIGS[which]).fit(X.iloc[order], y.iloc[order])
    predictions = model.predict(X_val)
    shuffled = np.random.default_rng(1).permutation(len(X_val))
    assert np.isfinite(predictions).all()
    np.testing.assert_array_equal(model.predict(X_val.iloc[shuffled]), predictions[shuffled])


def test_defaults_beat_the_naive_forecast(sine):
    X, y, X_val, y_val = sine
    predictions = build(MONTHLY, FAMILY.defaults).fit(X, y).predict(X_val)
    last = pd.Series(y.to_numpy(), index=X["unique_id"]).groupby(level=0).last()
    naive = last.loc[X_val["unique_id"]].to_numpy()
    assert mae(predictions, y_val) < 0.5 * mae(naive, y_val)


def test_same_seed_same_forecasts(sine, cheap):
    X, y, X_val, _ = sine
    again = build(MONTHLY, FAMILY.low_cost).fit(X, y).predict(X_val)
    other = build(MONTHLY, FAMILY.low_cost, seed=1).fit(X, y).predict(X_val)
    np.testing.assert_array_equal(cheap.predict(X_val), again)
    assert not np.array_equal(again, other)


def test_time_limit_stops_training_with_the_best_weights(sine):
    X, y, X_val, _ = sine
    big = FAMILY.defaults | {"log2_hidden": 9, "layers": 3, "log2_batch_size": 9}
    model = build(MONTHLY, big, max_steps=10**6, time_limit=1.0)
    started = time.perf_counter()
    model.fit(X, y)
    assert time.perf_counter() - started < 10
    assert model.stopped_by_ == "time_limit" and model.best_epoch_ >= 1
    assert np.isfinite(model.predict(X_val)).all()


def test_update_moves_the_origin_without_refitting(sine):
    X, y, X_val, _ = sine
    X_old, y_old, X_next, _ = split(pd.concat([X, y], axis=1), MONTHLY.horizon)
    model = build(MONTHLY, FAMILY.low_cost).fit(X_old, y_old)
    before = model.predict(X_next)
    with pytest.raises(DataError):
        model.predict(X_val)  # not the steps after the fitted history
    weights = {k: v.clone() for k, v in model.net_.state_dict().items()}
    after = model.update(X, y).predict(X_val)
    assert np.isfinite(after).all() and not np.allclose(after, before)
    assert all((v == weights[k]).all() for k, v in model.net_.state_dict().items())


def test_fewer_steps_than_the_horizon(sine, cheap):
    _, _, X_val, _ = sine
    first = X_val.groupby("unique_id").cumcount() < 3
    full = cheap.predict(X_val)
    np.testing.assert_array_equal(cheap.predict(X_val[first]), full[first.to_numpy()])


def test_pickles(sine, cheap):
    _, _, X_val, _ = sine
    restored = pickle.loads(pickle.dumps(cheap))
    np.testing.assert_array_equal(restored.predict(X_val), cheap.predict(X_val))


def test_series_no_longer_than_the_horizon_are_refused():
    X, y, _, _ = split(make_panel([20, 20], "MS"), 8)
    with pytest.raises(DataError, match="longer than the horizon"):
        build(MONTHLY, FAMILY.low_cost).fit(X, y)
