"""Global forecasters: one tabular regressor trained on the lag features of every series, by
mlforecast (``global_family`` makes the family of any registered regression family).

A row at time t of a series has, as features:

* the target's last ``lags`` values and its values ``1..seasonal_lags`` seasons back;
* rolling means of the target up to t-1 (``rolling``: none, over 4 steps, over a season (the
  horizon without one), or both);
* calendar features chosen from the frequency (minute, hour, day of week, week, month or
  quarter), and a public-holiday flag when the schema names a country (``holidays``);
* the known covariates at t (read from the future rows at predict time);
* every past covariate ``horizon`` steps back, as ``<name>_lag<H>``: from an origin T, the steps
  T+1..T+H read its values at T+1-H..T, all observed by T, so every step of the horizon has them
  and none is forecast;
* the static columns (categories, in any column, as their codes at fit).

The series id is not a feature. ``target_transform`` is applied per series before the features
and undone on the forecasts. ``strategy`` "recursive" trains one model and feeds its forecasts
back as lags; "direct" trains one model per step ahead on the features at the origin (so known
covariates are read at the first step only).

Training rows with a missing lag are dropped, and lags or windows longer than half the median
series are left out. Above ``max_rows`` rows, a seeded sample of series is trained on (every
series is still forecast). Both are recorded in ``notes_``. ``update`` keeps the new history:
the features of the next forecast are computed from it, the regressor is not refitted.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from fitfinder.estimators.base import BuildContext, Family
from fitfinder.search.space import Categorical, Config, Int
from fitfinder.tasks.forecast.families.statistical import TASKS
from fitfinder.tasks.forecast.forecaster import Forecaster
from fitfinder.tasks.forecast.schema import ID, TARGET, TIME, ForecastSchema

MAX_ROWS = 2_000_000  # training rows above which a sample of series is trained on
SHORT_WINDOW = 4
FORECAST_SPACE = {
    "lags": Int(1, 64, log=True),
    "seasonal_lags": Int(0, 3),
    "rolling": Categorical(("none", "short", "long", "both")),
    "target_transform": Categorical(
        ("none", "difference", "seasonal_difference", "standard_scaler")
    ),
    "strategy": Categorical(("recursive", "direct")),
}
FORECAST_LOW_COST = {
    "lags": 4,
    "seasonal_lags": 1,
    "rolling": "none",
    "target_transform": "difference",
    "strategy": "recursive",
}
FORECAST_DEFAULTS = FORECAST_LOW_COST | {"lags": 8, "seasonal_lags": 2, "rolling": "short"}
# (the largest step of a frequency, the calendar features of that frequency), finest first
CALENDAR = (
    (pd.Timedelta("1h"), ["minute", "hour", "day_of_week"]),
    (pd.Timedelta("1D"), ["hour", "day_of_week"]),
    (pd.Timedelta("7D"), ["day_of_week", "month"]),
    (pd.Timedelta("28D"), ["week"]),
    (pd.Timedelta("89D"), ["month"]),
    (pd.Timedelta("365D"), ["quarter"]),
)


class HolidayFlag:
    """Date feature: 1.0 on the public holidays of ``country`` (``holidays`` package), else 0.0.
    A class rather than a closure so that a fitted model pickles."""

    __name__ = "holiday"  # mlforecast names a callable date feature by its __name__

    def __init__(self, country: str):
        self.country = country

    def __call__(self, dates: pd.DatetimeIndex) -> np.ndarray:
        import holidays

        dates = pd.DatetimeIndex(dates)
        days = holidays.country_holidays(self.country, years=sorted(set(dates.year)))
        return dates.normalize().isin(pd.DatetimeIndex(list(days))).astype(float)


class GlobalForecaster(Forecaster):
    """A regressor of the registered family ``tabular`` (its config ``tabular_config``) on the
    lag features of every series; the other parameters are those of ``FORECAST_SPACE``."""

    def __init__(
        self,
        schema: ForecastSchema | None = None,
        tabular: str = "lightgbm",
        tabular_config: Config | None = None,
        lags: int = 8,
        seasonal_lags: int = 2,
        rolling: str = "short",
        target_transform: str = "difference",
        strategy: str = "recursive",
        n_threads: int = 1,
        seed: int = 0,
        max_rows: int = MAX_ROWS,
    ):
        super().__init__(schema)
        self.tabular = tabular
        self.tabular_config = tabular_config
        self.lags = lags
        self.seasonal_lags = seasonal_lags
        self.rolling = rolling
        self.target_transform = target_transform
        self.strategy = strategy
        self.n_threads = n_threads
        self.seed = seed
        self.max_rows = max_rows

    def _fit(self, history: pd.DataFrame) -> None:
        from mlforecast import MLForecast

        self.notes_: list[str] = []
        columns = self.schema.feature_columns
        self.categories_ = {
            c: pd.Categorical(history[c]).categories
            for c in columns
            if not is_numeric_dtype(history[c])
        }
        frame = self._inputs(self._sample(history))
        past = zip(self.schema.past_covariates, self._past_names(), strict=True)
        coded = {*self.categories_, *(name for c, name in past if c in self.categories_)}
        exogenous = [c for c in frame.columns if c not in (ID, TIME, TARGET)]
        categorical = tuple(i for i, c in enumerate(exogenous) if c in coded)
        lags, lag_transforms = self._lag_features(frame)
        self.mlf_ = MLForecast(
            models={"forecast": self._regressor(len(frame), categorical)},
            freq=self.schema.freq,
            lags=lags,
            lag_transforms=lag_transforms,
            date_features=self._date_features(),
            num_threads=self.n_threads,
            target_transforms=self._target_transforms(),
        )
        direct = self.strategy == "direct"
        self.mlf_.fit(
            frame,
            static_features=list(self.schema.static_columns),
            max_horizon=self.schema.horizon if direct else None,
        )

    def _forecast(self, h: int, future: pd.DataFrame) -> pd.DataFrame:
        wanted = self.history_[self.history_[ID].isin(future[ID])]
        rows = pd.concat([wanted, future], ignore_index=True).sort_values([ID, TIME], kind="stable")
        inputs = self._inputs(rows)
        ahead = inputs[TARGET].isna().to_numpy()  # the future rows (the history has no gap)
        dynamic = [*self.schema.known_covariates, *self._past_names()]
        X_df = inputs.loc[ahead, [ID, TIME, *dynamic]] if dynamic else None
        return self.mlf_.predict(h, new_df=inputs[~ahead], X_df=X_df)

    # -- features -------------------------------------------------------------------------
    def _inputs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The mlforecast frame: ``unique_id``, ``ds``, ``y``, the known covariates, the static
        columns, then the past covariates ``horizon`` steps back; categories as codes."""
        s = self.schema
        out = self._coded(frame[[ID, TIME, TARGET, *s.known_covariates, *s.static_columns]])
        past = self._coded(frame[[ID, *s.past_covariates]])
        shifted = past.groupby(ID, sort=False).shift(s.horizon)
        return out.assign(**dict(zip(self._past_names(), shifted.T.to_numpy(), strict=True)))

    def _past_names(self) -> list[str]:
        return [f"{c}_lag{self.schema.horizon}" for c in self.schema.past_covariates]

    def _coded(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the columns of ``categories_`` as float codes (NaN: unknown)."""
        frame = frame.copy()
        for column in frame.columns.intersection(list(self.categories_)):
            codes = pd.Categorical(frame[column], categories=self.categories_[column]).codes
            frame[column] = np.where(codes >= 0, codes, np.nan)
        return frame

    def _sample(self, history: pd.DataFrame) -> pd.DataFrame:
        """``history``, or a seeded sample of its series within ``max_rows`` rows."""
        if len(history) <= self.max_rows:
            return history
        sizes = history.groupby(ID, sort=False).size()
        order = np.random.default_rng(self.seed).permutation(len(sizes))
        count = max(1, np.searchsorted(np.cumsum(sizes.to_numpy()[order]), self.max_rows, "right"))
        kept = sizes.index[order[:count]]
        self.notes_.append(
            f"trained on {count} of {len(sizes)} series, sampled (seed {self.seed}) within "
            f"{self.max_rows:,} rows"
        )
        return history[history[ID].isin(kept)]

    def _lag_features(self, frame: pd.DataFrame) -> tuple[list[int], dict | None]:
        """The lags and the rolling means, none longer than half the median series."""
        from mlforecast.lag_transforms import RollingMean

        m, h = self.schema.season_length, self.schema.horizon
        seasonal = range(m, (self.seasonal_lags + 1) * m, m) if m > 1 else ()
        lags = set(range(1, self.lags + 1)) | set(seasonal)
        long = m if m > 1 else h
        spans = {
            "none": (),
            "short": (SHORT_WINDOW,),
            "long": (long,),
            "both": (SHORT_WINDOW, long),
        }
        windows = set(spans[self.rolling])
        limit = max(1, int(frame.groupby(ID, sort=False).size().median()) // 2)
        if max(lags | windows) > limit:
            self.notes_.append(
                f"lags and windows over {limit} steps (half the median series) left out"
            )
        kept = sorted(w for w in windows if w <= limit)
        transforms = {1: [RollingMean(window_size=w) for w in kept]} if kept else None
        return sorted(lag for lag in lags if lag <= limit), transforms

    def _date_features(self) -> list[Any]:
        dates = pd.date_range("2000-01-01", periods=3, freq=self.schema.freq)
        step = dates[2] - dates[1]
        features = next((list(f) for bound, f in CALENDAR if step < bound), [])
        if self.schema.holidays_country:
            features.append(HolidayFlag(self.schema.holidays_country))
        return features

    def _target_transforms(self) -> list[Any] | None:
        from mlforecast.target_transforms import Differences, LocalStandardScaler

        m = self.schema.season_length
        transforms = {
            "none": None,
            "difference": [Differences([1])],
            "seasonal_difference": [Differences([m])],
            "standard_scaler": [LocalStandardScaler()],
        }
        return transforms[self.target_transform]

    def _regressor(self, n_rows: int, categorical: tuple[int, ...]) -> Any:
        from fitfinder.estimators.registry import get_family  # the registry imports this module

        ctx = BuildContext(
            task="regression",
            n_rows=n_rows,
            n_threads=self.n_threads,
            seed=self.seed,
            categorical_indices=categorical,
        )
        return get_family(self.tabular).build(dict(self.tabular_config or {}), ctx)


def build(tabular: str, config: Config, ctx: BuildContext) -> GlobalForecaster:
    """An unfitted global forecaster of the ``tabular`` family for the context's schema."""
    return GlobalForecaster(
        schema=ctx.schema,
        tabular=tabular,
        tabular_config={k: v for k, v in config.items() if k not in FORECAST_SPACE},
        **{k: config[k] for k in FORECAST_SPACE},
        n_threads=ctx.n_threads,
        seed=ctx.seed,
    )


def global_family(tabular: Family) -> Family:
    """The global forecasting family ``global_<name>`` of a registered regression family: its
    space, low-cost config and defaults, with the forecast features' added."""
    clash = set(tabular.space) & set(FORECAST_SPACE)
    if clash:
        raise ValueError(f"{tabular.name}'s space already has {sorted(clash)}")
    defaults = tabular.defaults | FORECAST_DEFAULTS
    return Family(
        name=f"global_{tabular.name}",
        tasks=TASKS,
        space=tabular.space | FORECAST_SPACE,
        low_cost=tabular.low_cost | FORECAST_LOW_COST,
        defaults=defaults,
        preprocessing="frame",
        build=partial(build, tabular.name),
        cost=1.5 * tabular.cost,
        description=f"Global model (mlforecast) of every series' lag features: {tabular.description}",
        supports_sample_weight=False,
        notes=("Past covariates are read horizon steps back; the series id is not a feature.",),
        # seasonal differences: best on air_passengers for all three regressors (MAE 11-14
        # against 12-21 with first differences, the defaults' better choice on panels)
        alternatives=(defaults | {"target_transform": "seasonal_difference"},),
    )
