"""The forecaster base class: its guard against forecasts that blew up."""

import numpy as np
import pandas as pd
import pytest

from fitfinder.tasks.forecast.forecaster import Forecaster
from fitfinder.tasks.forecast.schema import ID, TIME, ForecastSchema

SCHEMA = ForecastSchema(target="y", time_column="t", id_column=None, freq="D", horizon=3)


class Constant(Forecaster):
    """Forecasts one fixed value (the test's stand-in for an unstable model)."""

    def __init__(self, schema=None, value=0.0):
        super().__init__(schema)
        self.value = value

    def _fit(self, history):
        pass

    def _forecast(self, h, future):
        return future[[ID, TIME]].assign(forecast=self.value)


def _history():
    times = pd.date_range("2024-01-01", periods=20, freq="D")
    return pd.DataFrame({ID: "s", TIME: times}), np.linspace(10.0, 20.0, 20)


def _future():
    return pd.DataFrame({ID: "s", TIME: pd.date_range("2024-01-21", periods=3, freq="D")})


@pytest.mark.parametrize("value", [1e6, -1e6, np.inf, np.nan])
def test_forecasts_far_outside_the_history_or_not_finite_fail_the_trial(value):
    model = Constant(SCHEMA, value).fit(*_history())
    with pytest.raises(ValueError, match="blew up"):
        model.predict(_future())


def test_forecasts_near_the_history_pass():
    model = Constant(SCHEMA, 45.0).fit(*_history())  # beyond the range, but not wildly
    assert model.predict(_future()).tolist() == [45.0, 45.0, 45.0]


@pytest.mark.parametrize("value", [1e6, np.nan])
def test_a_final_model_forecasts_a_series_that_blew_up_by_seasonal_naive(value, caplog):
    schema = ForecastSchema("y", "t", "id", "D", horizon=3, seasonal_periods=(2,))
    times = pd.date_range("2024-01-01", periods=20, freq="D")
    history = pd.DataFrame({ID: np.repeat(["a", "b"], 20), TIME: np.tile(times, 2)})
    y = np.r_[np.linspace(10.0, 20.0, 20), np.tile([1.0, 3.0], 10)]
    model = Constant(schema, value).fit(history, y)
    model.replace_blow_ups_ = True  # as ForecastTask sets it on the final model
    future = pd.DataFrame(
        {ID: np.repeat(["a", "b"], 3), TIME: np.tile(pd.date_range("2024-01-21", periods=3), 2)}
    )
    last_season_of_a = y[18:20]  # the season (2 steps) repeated
    expected = [*last_season_of_a, last_season_of_a[0], 1.0, 3.0, 1.0]
    np.testing.assert_allclose(model.predict(future), expected)
    assert "blew up on 2 series" in caplog.text
