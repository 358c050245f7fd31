"""Baseline forecasters (statsforecast): seasonal naive, naive, drift and the historical mean;
and, for data with several seasonal periods, seasonal naive over the longest one.

Seasonal naive repeats each series' last season (the last value for a series shorter than one
season, or when the schema has no season); naive its last value; drift extends the line from
its first to its last value; mean forecasts its historical average. Long seasonal naive repeats
the last cycle of the longest period a series covers (half-hourly data: the same half-hour a
week before), its own family so that the search tries it among the first trials.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from fitfinder.estimators.base import BuildContext, Condition, Family
from fitfinder.search.space import Categorical, Config
from fitfinder.tasks.forecast.families.statistical import (
    TASKS,
    ModelSpec,
    Periods,
    StatsForecaster,
)
from fitfinder.tasks.forecast.schema import ForecastSchema


def _seasonal_naive(config: Config, periods: Periods) -> Any:
    from statsforecast.models import Naive, SeasonalNaive

    return SeasonalNaive(season_length=periods[0]) if periods else Naive()


def _long_seasonal_naive(config: Config, periods: Periods) -> Any:
    from statsforecast.models import Naive, SeasonalNaive

    return SeasonalNaive(season_length=max(periods)) if periods else Naive()


def _naive(config: Config, periods: Periods) -> Any:
    from statsforecast.models import Naive

    return Naive()


def _drift(config: Config, periods: Periods) -> Any:
    from statsforecast.models import RandomWalkWithDrift

    return RandomWalkWithDrift()


def _mean(config: Config, periods: Periods) -> Any:
    from statsforecast.models import HistoricAverage

    return HistoricAverage()


METHODS = {
    "seasonal_naive": ModelSpec(_seasonal_naive, min_seasons=1),
    "naive": ModelSpec(_naive, periods="none"),
    "drift": ModelSpec(_drift, periods="none"),
    "mean": ModelSpec(_mean, periods="none"),
}
LONG = "long_seasonal_naive"
SPECS = {**METHODS, LONG: ModelSpec(_long_seasonal_naive, periods="all", min_seasons=1)}


class BaselineForecaster(StatsForecaster):
    """The ``method`` baseline (a key of ``SPECS``) of every series."""

    def __init__(self, schema: ForecastSchema | None = None, method: str = "seasonal_naive"):
        super().__init__(schema)
        self.method = method

    def _spec(self) -> ModelSpec:
        return SPECS[self.method]

    def _update(self, history: pd.DataFrame) -> None:
        # A baseline is a function of the history with nothing estimated to keep, and
        # HistoricAverage and RandomWalkWithDrift have no ``forward``: fit it on the new history.
        self._fit(history)


def build(config: Config, ctx: BuildContext) -> BaselineForecaster:
    """An unfitted baseline forecaster for the context's schema."""
    return BaselineForecaster(schema=ctx.schema, method=config["method"])


FAMILY = Family(
    name="baseline",
    tasks=TASKS,
    space={"method": Categorical(tuple(METHODS))},
    low_cost={"method": "seasonal_naive"},
    defaults={"method": "seasonal_naive"},
    preprocessing="frame",
    build=build,
    cost=0.1,
    description="Baselines (statsforecast): seasonal naive, naive, drift or the historical mean "
    "of each series.",
    supports_sample_weight=False,
    alternatives=tuple({"method": method} for method in METHODS if method != "seasonal_naive"),
)


def several_periods(schema: ForecastSchema) -> bool:
    """Whether the data has several seasonal periods (else long seasonal naive is seasonal
    naive itself)."""
    return len(schema.seasonal_periods) > 1


# Seasonal naive with the main period is the bar; with a daily and a weekly period, last week's
# cycle is often the better baseline: on the last 56 days of the training part of
# taylor_electricity its MASE was 0.32 against 0.98 (vic_elec_demand: 0.85 against 0.89).
LONG_FAMILY = Family(
    name=LONG,
    tasks=TASKS,
    space={"method": Categorical((LONG,))},
    low_cost={"method": LONG},
    defaults={"method": LONG},
    preprocessing="frame",
    build=build,
    cost=0.1,
    description="Seasonal naive over the longest seasonal period (statsforecast), for data with "
    "several periods: e.g. the same half-hour a week before.",
    supports_sample_weight=False,
    applies=Condition(several_periods, "several seasonal periods"),
)
