"""Whole forecasting runs on real series: AutoML, the saved model, and the command line."""

import json

import numpy as np
import pandas as pd
import pytest

from fitfinder import AutoML, load
from fitfinder.cli import main
from fitfinder.errors import ConfigError, DataError

pytest.importorskip("statsforecast")


def _split_last(frame: pd.DataFrame, h: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each series' last ``h`` rows apart (the evaluation protocol's test window)."""
    frame = frame.sort_values(["series_id", "timestamp"])
    last = frame.groupby("series_id").cumcount(ascending=False) < h
    return frame[~last].reset_index(drop=True), frame[last].reset_index(drop=True)


def _mase(train: pd.DataFrame, test: pd.DataFrame, forecast: np.ndarray, season: int) -> float:
    """The protocol's MASE: per series, test MAE over the in-sample seasonal-naive MAE."""
    scores = []
    test = test.assign(forecast=forecast)
    for sid, part in test.groupby("series_id"):
        history = train.loc[train["series_id"] == sid, "target"].to_numpy()
        scale = np.mean(np.abs(history[season:] - history[:-season]))
        scores.append(np.mean(np.abs(part["target"] - part["forecast"])) / scale)
    return float(np.mean(scores))


@pytest.fixture(scope="module")
def air_passengers_fit(series):
    train, test = _split_last(series("air_passengers"), 12)
    automl = AutoML(task="forecast", horizon=12, time_budget=None, max_trials=10, verbose=0)
    automl.fit(train.drop(columns="series_id"), target="target", time_column="timestamp")
    return automl, train, test


def test_single_series_forecast_beats_seasonal_naive_and_has_intervals(air_passengers_fit):
    automl, train, test = air_passengers_fit
    forecast = automl.predict()
    assert list(forecast.columns) == ["timestamp", "forecast", "q10", "q90"]
    assert (forecast["timestamp"].to_numpy() == test["timestamp"].to_numpy()).all()
    assert (forecast["q10"] <= forecast["forecast"]).all()
    assert (forecast["forecast"] <= forecast["q90"]).all()
    naive = train["target"].to_numpy()[-12:]  # seasonal naive: the last season again
    ours = _mase(train, test, forecast["forecast"].to_numpy(), 12)
    assert ours < _mase(train, test, naive, 12)
    board = automl.leaderboard()
    assert {"baseline", "auto_ets"} <= set(board["family"])
    assert automl.model_.info["backtest_intervals"]["nominal"] == pytest.approx(0.8)


def test_near_ties_are_rechecked_on_windows_half_a_step_earlier(air_passengers_fit):
    """The recheck guard's second split: as many windows of 12 months, each 6 months before
    one of the search's; the ensemble and the guard resample whole windows."""
    automl, _, _ = air_passengers_fit
    problem = automl.problem_
    first = problem.data.folds
    second = automl.task_.second_split(problem, seed=0)
    assert len(second) == len(first) == 3
    for (train, val), (_, val_first) in zip(second, first, strict=True):
        np.testing.assert_array_equal(val, val_first - 6)
        np.testing.assert_array_equal(train, np.arange(val[0]))
    blocks = problem.data.groups
    assert [len(np.unique(blocks[val])) for _, val in first] == [1, 1, 1]
    assert len(np.unique(blocks[np.concatenate([v for _, v in first])])) == 3
    assert problem.ensemble_win_share == 0.5


def test_half_hourly_backtest_has_a_window_per_weekday_and_starts_from_seasonal_naive(series):
    """Periods 48 and 336, a day's horizon: 7 windows; the first trial is seasonal naive, the
    second long seasonal naive (last week's cycle), and the final model is not worse than
    seasonal naive on the backtest; the intervals know the 7 windows."""
    frame = series("taylor_electricity").tail(4 * 336).drop(columns="series_id")
    automl = AutoML(task="forecast", horizon=48, time_budget=None, max_trials=3, verbose=0)
    automl.fit(frame, target="target", time_column="timestamp")
    info = automl.model_.info
    assert info["validation"].startswith("7 backtest windows")
    assert info["backtest_intervals"]["windows"] == 7
    board = automl.leaderboard().set_index("trial")
    assert board.loc[0, "family"] == "baseline"
    assert json.loads(board.loc[0, "config"]) == {"method": "seasonal_naive"}
    assert board.loc[1, "family"] == "long_seasonal_naive"
    assert info["validation_score"] <= board.loc[0, "mase"]


def test_forecast_model_saves_loads_and_forecasts_from_newer_history(air_passengers_fit, tmp_path):
    automl, train, test = air_passengers_fit
    automl.save(tmp_path / "model")
    model = load(tmp_path / "model")
    pd.testing.assert_frame_equal(model.predict(), automl.predict())
    newer = pd.concat([train, test.head(6)]).drop(columns="series_id")
    moved = model.predict(history=newer)
    assert moved["timestamp"].iloc[0] == test["timestamp"].iloc[6]
    assert len(moved) == 12
    pd.testing.assert_frame_equal(model.predict(), automl.predict())  # the model did not move


def test_panel_with_a_known_covariate_needs_its_future_values(series):
    data = series("aus_accommodation")
    train, test = _split_last(data, 8)
    automl = AutoML(task="forecast", horizon=8, time_budget=None, max_trials=6, verbose=0)
    automl.fit(
        train,
        target="target",
        time_column="timestamp",
        id_column="series_id",
        known_covariates=["CPI"],
    )
    with pytest.raises(DataError, match="CPI"):
        automl.predict()
    future = test[["series_id", "timestamp", "CPI"]]
    forecast = automl.predict(future=future)
    assert len(forecast) == len(test) and forecast["forecast"].notna().all()
    assert set(forecast["series_id"]) == set(test["series_id"])


def test_forecast_settings_and_keywords_are_checked_in_one_line(series):
    frame = series("air_passengers")
    with pytest.raises(ConfigError, match="needs a horizon"):
        AutoML(task="forecast", max_trials=1).fit(frame, target="target", time_column="timestamp")
    with pytest.raises(ConfigError, match="does not take groups"):
        AutoML(task="forecast", horizon=12, max_trials=1).fit(
            frame, target="target", time_column="timestamp", groups=[1]
        )


def test_cli_fits_and_forecasts_a_panel(series, tmp_path, capsys):
    train, test = _split_last(series("prison_population"), 8)
    data = tmp_path / "train.csv"
    train.to_csv(data, index=False)
    out = tmp_path / "model"
    args = ["fit", str(data), "--task", "forecast", "--target", "target", "--horizon", "8"]
    args += ["--time-column", "timestamp", "--id-column", "series_id", "--out", str(out)]
    assert main([*args, "--max-trials", "5", "--time-budget", "60", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["metric"] == "mase"
    assert main(["predict", str(out), "-o", str(tmp_path / "forecast.csv")]) == 0
    forecast = pd.read_csv(tmp_path / "forecast.csv")
    assert len(forecast) == 8 * test["series_id"].nunique()
    assert {"series_id", "timestamp", "forecast", "q10", "q90"} <= set(forecast.columns)
    assert main(["info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["horizon"] == 8 and info["series"] == test["series_id"].nunique()
    assert main(["leaderboard", str(out), "--per-series", "--json"]) == 0
    board = pd.DataFrame(json.loads(capsys.readouterr().out))
    validated = info["series"] - info["short_series"]
    assert len(board) == validated and board["backtest_mase"].is_monotonic_decreasing
    ratio = board["backtest_mase"] / board["seasonal_naive_mase"]
    np.testing.assert_allclose(board["ratio"], ratio)
    assert board["seasonal_naive_mase"].gt(0).all()


def test_cli_bad_forecast_input_exits_2_with_one_line(series, tmp_path, capsys):
    frame = series("air_passengers")
    data = tmp_path / "train.csv"
    pd.concat([frame, frame.tail(1)]).to_csv(data, index=False)  # a duplicate timestamp
    args = ["fit", str(data), "--task", "forecast", "--target", "target", "--horizon", "12"]
    code = main([*args, "--time-column", "timestamp", "--out", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code == 2 and "duplicate" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
