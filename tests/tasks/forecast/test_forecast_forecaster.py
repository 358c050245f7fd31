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
    with pytest.raises(ValueError, match="blew up|non-finite"):
        model.predict(_future())


def test_forecasts_near_the_history_pass():
    model = Constant(SCHEMA, 45.0).fit(*_history())  # beyond the range, but not wildly
    assert model.predict(_future()).tolist() == [45.0, 45.0, 45.0]
