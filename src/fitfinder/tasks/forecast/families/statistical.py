"""Statistical forecasters: one model per series (ETS, ARIMA, Theta, CES, MSTL), by statsforecast.

Each series is fitted on its last ``history_seasons`` seasons (``ALL_SEASONS``: its whole
history), as AutoARIMA ran over 15 min on 3,984 half-hourly points. A seasonal period is used for
a series only when the series holds ``min_seasons`` full seasons of it (statsforecast fails or
forecasts NaN below that), so series are fitted in groups of equal usable periods; a series with
none gets the model without seasonality.

``update`` applies the estimated models to the new history with each model's ``forward`` (same
parameters, states filtered again from the fitted window's start): statsforecast 2.0 has no
frame-level ``forward``, so it runs series by series.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
import pandas as pd

from fitfinder.errors import DataError
from fitfinder.estimators.base import BuildContext, Family
from fitfinder.search.space import Categorical, Config, Int
from fitfinder.tasks.forecast.forecaster import Forecaster
from fitfinder.tasks.forecast.schema import ID, TARGET, TIME, ForecastSchema

TASKS = frozenset({"forecast"})
ALL_SEASONS = 64  # history_seasons at its upper bound: the whole history
HISTORY = {"history_seasons": Int(4, ALL_SEASONS, log=True)}
Periods = tuple[int, ...]


@dataclass(frozen=True)
class ModelSpec:
    """How a family makes its statsforecast model for the seasonal periods a series can use."""

    make: Callable[[Config, Periods], Any]
    periods: Literal["none", "main", "all"] = "main"  # the schema's periods the model reads
    min_seasons: int = 2  # full seasons of a period a series needs for the model to use it


class StatsForecaster(Forecaster):
    """One statsforecast model per series; subclasses name the model (``_spec``, ``_config``)."""

    def _spec(self) -> ModelSpec:
        raise NotImplementedError

    def _config(self) -> Config:
        return {}

    def _fit(self, history: pd.DataFrame) -> None:
        from statsforecast import StatsForecast

        spec, config = self._spec(), self._config()
        series = self._window(history[[ID, TIME, TARGET]], config, spec)
        groups: dict[Periods, list[str]] = {}
        for key, size in series.groupby(ID, sort=False).size().items():
            groups.setdefault(self._usable(size, spec), []).append(key)
        self.models_ = [
            StatsForecast(models=[spec.make(config, periods)], freq=self.schema.freq, n_jobs=1).fit(
                series[series[ID].isin(ids)]
            )
            for periods, ids in groups.items()
        ]
        self.starts_ = series.groupby(ID, sort=False)[TIME].min()
        self.moved_: dict[str, np.ndarray] | None = None

    def _forecast(self, h: int, future: pd.DataFrame) -> pd.DataFrame:
        means: dict[str, np.ndarray] = {}
        for fitted in self.models_:
            means.update(self._means(fitted, h))
        values = np.concatenate([means[key] for key in pd.unique(future[ID])])
        return future[[ID, TIME]].assign(forecast=values)

    def _means(self, fitted: Any, h: int) -> dict[str, np.ndarray]:
        """Each series' next ``h`` means: from the fit, or forwarded over the moved history."""
        if self.moved_ is None:
            out = fitted.predict(h=h)[repr(fitted.models[0])].to_numpy()
            return dict(zip(fitted.uids, out.reshape(-1, h), strict=True))
        return {
            key: model.forward(y=self.moved_[key], h=h)["mean"]
            for key, model in zip(fitted.uids, fitted.fitted_[:, 0], strict=True)
            if key in self.moved_
        }

    def _window(self, series: pd.DataFrame, config: Config, spec: ModelSpec) -> pd.DataFrame:
        """Each series' last ``history_seasons`` seasons (of its longest period for MSTL; of the
        horizon when the schema has no season)."""
        seasons = config.get("history_seasons", ALL_SEASONS)
        if seasons >= ALL_SEASONS:
            return series
        periods = self.schema.seasonal_periods
        unit = max(periods) if spec.periods == "all" else periods[0]
        return series.groupby(ID, sort=False).tail(
            seasons * (unit if unit > 1 else self.schema.horizon)
        )

    def _usable(self, size: int, spec: ModelSpec) -> Periods:
        every = self.schema.seasonal_periods
        periods = {"none": (), "main": every[:1], "all": every}[spec.periods]
        return tuple(p for p in periods if p > 1 and size >= spec.min_seasons * p)


class StatisticalForecaster(StatsForecaster):
    """``model`` (a family name of ``MODELS``) with its ``config`` (the family's space)."""

    def __init__(
        self,
        schema: ForecastSchema | None = None,
        model: str = "auto_ets",
        config: Config | None = None,
    ):
        super().__init__(schema)
        self.model = model
        self.config = config

    def _spec(self) -> ModelSpec:
        return MODELS[self.model]

    def _config(self) -> Config:
        return self.config or {}

    def _update(self, history: pd.DataFrame) -> None:
        starts = history[ID].map(self.starts_)
        if starts.isna().any():
            missing = sorted(set(history.loc[starts.isna(), ID]))[:5]
            raise DataError(f"series {missing} were not in the history given to fit")
        # forward filters from the fitted initial states: the series must start where they did
        kept = history[history[TIME] >= starts]
        self.moved_ = {key: group[TARGET].to_numpy() for key, group in kept.groupby(ID, sort=False)}


class WritableInput:
    """A statsforecast model fed a writable copy of each series: AutoCES reverses its input in
    place, which fails (numba TypingError) on the read-only arrays pandas 3 hands out."""

    uses_exog = False
    prediction_intervals = None

    def __init__(self, model: Any):
        self.model = model
        self.alias = model.alias

    def __repr__(self) -> str:
        return self.alias

    def new(self) -> WritableInput:
        return WritableInput(self.model.new())

    def fit(self, y: np.ndarray, X: np.ndarray | None = None) -> WritableInput:
        self.model = self.model.fit(np.array(y), X)  # AutoCES returns a Naive for a flat series
        return self

    def predict(self, h: int, X: np.ndarray | None = None, level: list | None = None) -> dict:
        return self.model.predict(h=h, X=X, level=level)

    def forward(self, y: np.ndarray, h: int, **kwargs: Any) -> dict:
        return self.model.forward(y=np.array(y), h=h, **kwargs)


def main_period(periods: Periods) -> int:
    """The season length of a single-season model (1: none)."""
    return periods[0] if periods else 1


def _ets(config: Config, periods: Periods) -> Any:
    from statsforecast.models import AutoETS

    m = main_period(periods)
    model = config["model"] if m > 1 else config["model"][:2] + "N"  # AutoETS refuses A/M at 1
    return AutoETS(season_length=m, model=model, damped=config["damped"])


def _arima(config: Config, periods: Periods) -> Any:
    from statsforecast.models import AutoARIMA

    keys = ("max_p", "max_q", "max_P", "max_Q", "stepwise", "approximation")
    return AutoARIMA(season_length=main_period(periods), **{key: config[key] for key in keys})


def _theta(config: Config, periods: Periods) -> Any:
    from statsforecast.models import AutoTheta

    return AutoTheta(
        season_length=main_period(periods),
        decomposition_type=config["decomposition_type"],
        model=config["model"],
    )


def _ces(config: Config, periods: Periods) -> Any:
    from statsforecast.models import AutoCES

    return WritableInput(AutoCES(season_length=main_period(periods), model=config["model"]))


def _mstl(config: Config, periods: Periods) -> Any:
    """MSTL over the usable periods; the trend model alone for a series with none."""
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta

    trends = {
        "auto_ets": partial(AutoETS, model="ZZN"),
        "auto_arima": AutoARIMA,
        "auto_theta": AutoTheta,
    }
    trend = trends[config["trend"]]()
    if not periods:
        return trend
    return MSTL(
        season_length=list(periods), trend_forecaster=trend, stl_kwargs={"robust": config["robust"]}
    )


MODELS = {
    "auto_ets": ModelSpec(_ets),
    "auto_arima": ModelSpec(_arima),
    "auto_theta": ModelSpec(_theta),
    "auto_ces": ModelSpec(_ces),
    "mstl": ModelSpec(_mstl, periods="all"),
}


def build(model: str, config: Config, ctx: BuildContext) -> StatisticalForecaster:
    """An unfitted ``model`` forecaster for the context's schema."""
    return StatisticalForecaster(schema=ctx.schema, model=model, config=dict(config))


def _family(name: str, space: dict, low_cost: Config, defaults: Config, **kwargs: Any) -> Family:
    return Family(
        name=name,
        tasks=TASKS,
        space=space | HISTORY,
        low_cost=low_cost,
        defaults={"history_seasons": ALL_SEASONS} | defaults,
        preprocessing="frame",
        build=partial(build, name),
        supports_sample_weight=False,
        **kwargs,
    )


AUTO_ETS = _family(
    "auto_ets",
    {
        "model": Categorical(("ZZZ", "ZZA", "ZZM", "ZZN", "AAA", "MAM")),
        "damped": Categorical((None, True, False)),
    },
    low_cost={"model": "ZZA", "damped": False, "history_seasons": 16},
    defaults={"model": "ZZZ", "damped": None},
    cost=1.0,
    description="Exponential smoothing (statsforecast AutoETS): per-series state-space model "
    "chosen by AICc.",
    notes=("model: error, trend and season components, Z chosen by AICc; damped None likewise.",),
)
AUTO_ARIMA = _family(
    "auto_arima",
    {
        "max_p": Int(1, 5),
        "max_q": Int(1, 5),
        "max_P": Int(0, 2),
        "max_Q": Int(0, 2),
        "stepwise": Categorical((True, False)),
        "approximation": Categorical((False, True)),
    },
    low_cost={
        "max_p": 2,
        "max_q": 2,
        "max_P": 1,
        "max_Q": 1,
        "stepwise": True,
        "approximation": True,
        "history_seasons": 8,
    },
    defaults={
        "max_p": 5,
        "max_q": 5,
        "max_P": 2,
        "max_Q": 2,
        "stepwise": True,
        "approximation": False,
        "history_seasons": 16,  # on 3,984 half-hourly points the whole ran over 15 min
    },
    cost=8.0,
    description="ARIMA (statsforecast AutoARIMA): per-series seasonal ARIMA orders chosen by AICc.",
)
AUTO_THETA = _family(
    "auto_theta",
    {
        "model": Categorical((None, "STM", "OTM", "DSTM", "DOTM")),
        "decomposition_type": Categorical(("multiplicative", "additive")),
    },
    low_cost={"model": None, "decomposition_type": "multiplicative", "history_seasons": 16},
    defaults={"model": None, "decomposition_type": "multiplicative"},
    cost=0.5,
    description="Theta method (statsforecast AutoTheta): per-series standard, optimised or "
    "dynamic Theta on the seasonally adjusted series.",
    notes=("model None picks the Theta variant of least in-sample MSE.",),
)
AUTO_CES = _family(
    "auto_ces",
    {"model": Categorical(("Z", "N", "S", "P", "F"))},
    low_cost={"model": "S", "history_seasons": 8},
    defaults={"model": "Z", "history_seasons": 16},
    cost=1.0,
    # A worker's first AutoCES fit compiles statsforecast's numba code: 30-80 s measured on the
    # shared 2-core machine (6 s from the second process on with NIXTLA_NUMBA_CACHE=1).
    min_budget=300.0,
    description="Complex exponential smoothing (statsforecast AutoCES): per series, "
    "seasonality none, simple, partial or full chosen by AICc.",
)
MSTL = _family(
    "mstl",
    {
        "trend": Categorical(("auto_ets", "auto_arima", "auto_theta")),
        "robust": Categorical((False, True)),
    },
    low_cost={"trend": "auto_ets", "robust": False, "history_seasons": 8},
    defaults={"trend": "auto_ets", "robust": False},
    cost=2.0,
    description="MSTL (statsforecast): STL decomposition over every seasonal period, the "
    "seasonally adjusted series forecast by an AutoETS, AutoARIMA or AutoTheta trend model.",
    notes=(
        "Useful with two or more seasonal periods or one longer than 1; without a usable "
        "period a series gets the trend model alone.",
        "history_seasons counts seasons of the longest period.",
    ),
)
