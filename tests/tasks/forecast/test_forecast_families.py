"""The forecasting families: every start point fits and forecasts, the baselines are exact, the
models beat them where they should, past covariates never leak, and update moves the origin."""

from __future__ import annotations

import copy
import functools
import pickle
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from fitfinder.errors import DataError
from fitfinder.estimators.base import BuildContext
from fitfinder.search.space import config_problem, sample
from fitfinder.tasks.forecast.schema import ID, TIME, ForecastSchema

pytest.importorskip("statsforecast")
pytest.importorskip("mlforecast")

from fitfinder.tasks.forecast import families  # noqa: E402
from fitfinder.tasks.forecast.families.global_models import (  # noqa: E402
    GlobalForecaster,
    HolidayFlag,
)
from fitfinder.tasks.forecast.families.statistical import StatisticalForecaster  # noqa: E402

FAMILIES = {family.name: family for family in families.FAMILIES}
ORDER = ["baseline", "long_seasonal_naive", "global_lightgbm", "auto_ets", "auto_theta"]
ORDER += ["auto_arima", "auto_ces", "mstl", "global_xgboost", "global_extra_trees"]
# A process's first AutoCES fit compiles statsforecast's numba code (30-80 s on a loaded machine).
SLOW = {"auto_ces"}
NAMES = [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in ORDER]
MAX_ROUNDS = 16  # tree count cap of sampled configs: keeps the suite fast


# -- data ---------------------------------------------------------------------------------
def conformed(long: pd.DataFrame, schema: ForecastSchema):
    """A long frame (``series_id``, ``timestamp``, ``target``, covariates, statics) as the
    conformed training and validation parts: the last ``horizon`` steps of each series apart."""
    frame = long.rename(columns={"series_id": ID, "timestamp": TIME})
    frame[ID] = frame[ID].astype(str)
    frame[TIME] = frame[TIME].astype("datetime64[ns]")
    frame = frame.sort_values([ID, TIME]).reset_index(drop=True)
    last = (frame.groupby(ID).cumcount(ascending=False) < schema.horizon).to_numpy()
    X = frame[[ID, TIME, *schema.feature_columns]]
    y = frame["target"].to_numpy(dtype=float)
    return (
        X[~last].reset_index(drop=True),
        y[~last],
        X[last].reset_index(drop=True),
        y[last],
    )


def schema_of(freq: str, horizon: int, periods: tuple[int, ...], **roles) -> ForecastSchema:
    return ForecastSchema("target", "timestamp", "series_id", freq, horizon, periods, **roles)


def synthetic(
    lengths=(72, 60, 84), season: int = 12, freq: str = "MS", noise: float = 1.0, seed: int = 0
) -> pd.DataFrame:
    """Positive seasonal series with a trend, a known covariate (``price``) that moves them, a
    past covariate (``visits``) and a static category (``region``)."""
    rng = np.random.default_rng(seed)
    parts = []
    for i, n in enumerate(lengths):
        t = np.arange(n)
        price = 10 + rng.normal(0, 1, n).cumsum() * 0.3
        level = 100 * (i + 1) + 0.5 * t + 15 * np.sin(2 * np.pi * t / season) - 2 * price
        target = level + rng.normal(0, noise, n)
        parts.append(
            pd.DataFrame(
                {
                    "series_id": f"s{i}",
                    "timestamp": pd.date_range("2001-01-01", periods=n, freq=freq),
                    "target": target,
                    "price": price,
                    "visits": target * 0.1 + rng.normal(0, 1, n),
                    "region": ["north", "south"][i % 2],
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["region"] = frame["region"].astype("category")
    return frame


PANEL_SCHEMA = schema_of(
    "MS",
    12,
    (12,),
    known_covariates=("price",),
    past_covariates=("visits",),
    static_columns=("region",),
)


@functools.cache
def panel():
    return conformed(synthetic(), PANEL_SCHEMA)


def build(name: str, config: dict, schema: ForecastSchema):
    return FAMILIES[name].build(config, BuildContext(task="forecast", n_rows=100, schema=schema))


def start_points(name: str):
    family = FAMILIES[name]
    return [family.low_cost, family.defaults, *family.alternatives]


@functools.cache
def fitted(name: str):
    """Every start point of ``name`` fitted on the synthetic panel (shared by the tests)."""
    X, y, *_ = panel()
    return [build(name, config, PANEL_SCHEMA).fit(X, y) for config in start_points(name)]


def steps_after(X: pd.DataFrame, h: int) -> pd.DataFrame:
    """The ``h`` monthly rows after each series' last one, its covariates held."""
    last = X.groupby(ID).tail(1)
    rows = last.loc[last.index.repeat(h)].reset_index(drop=True)
    step = rows.groupby(ID).cumcount() + 1
    month = pd.offsets.MonthBegin()
    rows[TIME] = pd.to_datetime([t + k * month for t, k in zip(rows[TIME], step, strict=True)])
    return rows.astype({TIME: "datetime64[ns]"})


def mae(a, b) -> float:
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))


# -- declarations -------------------------------------------------------------------------
def test_families_are_declared_in_search_order_with_valid_start_points():
    assert list(FAMILIES) == ORDER
    assert families.EXTRA == "forecast" and families.available()
    for family in FAMILIES.values():
        assert family.tasks == frozenset({"forecast"})
        assert family.preprocessing == "frame"
        assert not family.supports_sample_weight and family.fidelity is None
        for config in start_points(family.name):
            assert set(config) == set(family.space), family.name
            assert config_problem(family.space, config) is None, family.name
    assert FAMILIES["baseline"].low_cost == FAMILIES["baseline"].defaults
    assert [c["method"] for c in FAMILIES["baseline"].alternatives] == ["naive", "drift", "mean"]
    lightgbm = FAMILIES["global_lightgbm"]
    assert {"n_estimators", "num_leaves", "lags", "strategy"} <= set(lightgbm.space)


def test_importing_the_families_loads_neither_statsforecast_nor_mlforecast():
    code = (
        "import sys, fitfinder.tasks.forecast.families as f; f.FAMILIES; "
        "print(any(m in sys.modules for m in ('statsforecast', 'mlforecast')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- every start point --------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_start_points_forecast_finite_values_aligned_with_the_rows(name):
    _, _, X_val, _ = panel()
    shuffled = X_val.sample(frac=1.0, random_state=0)
    for model in fitted(name):
        values = model.predict(X_val)
        assert values.shape == (len(X_val),) and np.isfinite(values).all()
        np.testing.assert_allclose(model.predict(shuffled), values[shuffled.index])
        # saved models are pickled; the trial machinery clones unfitted ones
        np.testing.assert_allclose(pickle.loads(pickle.dumps(model)).predict(X_val), values)
        assert clone(model).get_params() == model.get_params()


@pytest.mark.parametrize("name", NAMES)
def test_past_covariates_of_the_future_rows_are_not_read(name):
    _, _, X_val, _ = panel()
    changed = X_val.assign(visits=np.random.default_rng(1).normal(1e6, 1e5, len(X_val)))
    for model in fitted(name):
        np.testing.assert_array_equal(model.predict(changed), model.predict(X_val))


@pytest.mark.parametrize("name", NAMES)
def test_update_moves_the_forecast_origin_without_refitting(name):
    # the new history ends 6 steps after the fitted one; forecast the 12 steps after it
    longer_X, longer_y, _, _ = conformed(synthetic(), replace(PANEL_SCHEMA, horizon=6))
    next_X = steps_after(longer_X, 12)
    new = (longer_X.groupby(ID).cumcount(ascending=False) < 6).to_numpy()
    for model in fitted(name):
        with pytest.raises(DataError):
            model.predict(next_X)  # not the steps right after the fitted history
        moved = [copy.deepcopy(model), copy.deepcopy(model)]
        kept = [getattr(m, "models_", None) for m in moved]
        for m, k in zip(moved, (1.0, 1.2), strict=True):
            m.update(longer_X, longer_y * np.where(new, k, 1.0))
        values = moved[0].predict(next_X)
        assert np.isfinite(values).all()
        assert not np.allclose(values, moved[1].predict(next_X))  # read from the new points
        if name in ("baseline", "long_seasonal_naive"):  # nothing estimated: a refit's forecast
            refit = clone(model).fit(longer_X, longer_y).predict(next_X)
            np.testing.assert_allclose(values, refit)
        if isinstance(model, StatisticalForecaster):
            assert [m.models_ for m in moved] == kept  # forward: the fitted models are kept


# -- accuracy -----------------------------------------------------------------------------
def test_seasonal_naive_repeats_the_last_season_and_naive_a_short_series_last_value():
    schema = schema_of("D", 10, (7,))
    X, y, X_val, _ = conformed(synthetic(lengths=(40, 12), season=7, freq="D"), schema)
    values = build("baseline", {"method": "seasonal_naive"}, schema).fit(X, y).predict(X_val)
    long, short = y[:30], y[30:]
    step = np.arange(10)
    np.testing.assert_array_equal(values[:10], long[-7:][step % 7])
    np.testing.assert_array_equal(values[10:], np.full(10, short[-1]))  # 2 points < a season


def test_long_seasonal_naive_repeats_the_longest_cycle_a_series_covers():
    schema = schema_of("D", 10, (3, 7))
    X, y, X_val, _ = conformed(synthetic(lengths=(40, 14), season=7, freq="D"), schema)
    config = {"method": "long_seasonal_naive"}
    values = build("long_seasonal_naive", config, schema).fit(X, y).predict(X_val)
    long, short = y[:30], y[30:]
    step = np.arange(10)
    np.testing.assert_array_equal(values[:10], long[-7:][step % 7])
    np.testing.assert_array_equal(values[10:], short[-3:][step % 3])  # 4 points < a week
    family = FAMILIES["long_seasonal_naive"]
    assert family.applies(schema) and not family.applies(schema_of("D", 10, (7,)))


def test_auto_ets_beats_naive_on_a_strongly_seasonal_series():
    schema = schema_of("MS", 12, (12,))
    X, y, X_val, y_val = conformed(synthetic(lengths=(96,), noise=0.5), schema)
    ets = build("auto_ets", FAMILIES["auto_ets"].defaults, schema).fit(X, y).predict(X_val)
    naive = build("baseline", {"method": "naive"}, schema).fit(X, y).predict(X_val)
    assert mae(ets, y_val) < 0.5 * mae(naive, y_val)


def test_global_models_beat_the_mean_on_prison_population(series):
    schema = schema_of("QS-MAR", 8, (4,))
    X, y, X_val, y_val = conformed(series("prison_population"), schema)
    mean = build("baseline", {"method": "mean"}, schema).fit(X, y).predict(X_val)
    for name in ("global_lightgbm", "global_xgboost", "global_extra_trees"):
        values = build(name, FAMILIES[name].defaults, schema).fit(X, y).predict(X_val)
        assert mae(values, y_val) < 0.6 * mae(mean, y_val), name


def test_aus_accommodation_past_covariate_is_a_lagged_feature_and_does_not_leak(series):
    schema = schema_of("QS", 8, (4,), known_covariates=("CPI",), past_covariates=("Occupancy",))
    X, y, X_val, y_val = conformed(series("aus_accommodation"), schema)
    model = build("global_lightgbm", FAMILIES["global_lightgbm"].defaults, schema).fit(X, y)
    assert {"CPI", "Occupancy_lag8"} <= set(model.mlf_.ts.features_order_)
    values = model.predict(X_val)
    assert mae(values, y_val) < 60.0  # seasonal naive: 39.3
    np.testing.assert_array_equal(model.predict(X_val.assign(Occupancy=0.0)), values)


# -- configs and edge cases ---------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_sampled_configs_build_and_fit_on_a_short_series(name):
    schema = schema_of("MS", 6, (12,))
    X, y, X_val, _ = conformed(synthetic(lengths=(42,)), schema)
    family = FAMILIES[name]
    for seed in range(2):
        config = sample(family.space, np.random.default_rng(seed))
        if "n_estimators" in config:
            config["n_estimators"] = min(config["n_estimators"], MAX_ROUNDS)
        values = build(name, config, schema).fit(X, y).predict(X_val)
        assert np.isfinite(values).all(), config


@pytest.mark.parametrize("name", ["auto_ets", "auto_theta", "auto_arima", "mstl", "baseline"])
def test_statistical_models_fit_series_shorter_than_two_seasons_and_no_season(name):
    short = conformed(synthetic(lengths=(60, 18, 14)), schema_of("MS", 6, (12,)))
    plain = conformed(synthetic(lengths=(30,)), schema_of("MS", 6, (1,)))
    for schema, (X, y, X_val, _) in (
        (schema_of("MS", 6, (12,)), short),
        (schema_of("MS", 6, (1,)), plain),
    ):
        values = build(name, FAMILIES[name].defaults, schema).fit(X, y).predict(X_val)
        assert np.isfinite(values).all()


def test_mstl_uses_every_period_a_series_can_hold():
    schema = schema_of("h", 24, (24, 168))
    X, y, X_val, _ = conformed(synthetic(lengths=(400, 100, 40), season=24, freq="h"), schema)
    model = build("mstl", FAMILIES["mstl"].defaults, schema).fit(X, y)
    # 376, 76 and 16 points: two weeks and two days, two days, neither (the trend model alone)
    periods = [getattr(m.models[0], "season_length", None) for m in model.models_]
    assert periods == [[24, 168], [24], 1]
    assert np.isfinite(model.predict(X_val)).all()


def test_history_seasons_fits_on_the_last_seasons_only():
    schema = schema_of("MS", 12, (12,))
    X, y, *_ = conformed(synthetic(lengths=(120,)), schema)
    config = FAMILIES["auto_ets"].defaults | {"history_seasons": 4}
    model = build("auto_ets", config, schema).fit(X, y)
    assert model.models_[0].ga.data.shape[0] == 48


@pytest.mark.parametrize(
    ("freq", "features"),
    [
        ("30min", ["minute", "hour", "day_of_week"]),
        ("h", ["hour", "day_of_week"]),
        ("D", ["day_of_week", "month"]),
        ("W-SUN", ["week"]),
        ("MS", ["month"]),
        ("QS-MAR", ["quarter"]),
        ("YS", []),
    ],
)
def test_calendar_features_follow_the_frequency(freq, features):
    model = GlobalForecaster(schema=schema_of(freq, 4, (1,)))
    assert model._date_features() == features


def test_holiday_flag_marks_the_country_public_holidays_and_a_global_model_reads_it():
    flag = HolidayFlag("US")
    dates = pd.DatetimeIndex(["2020-07-04 10:00", "2020-07-05", "2020-12-25", "2021-01-01"])
    np.testing.assert_array_equal(flag(dates), [1.0, 0.0, 1.0, 1.0])
    schema = schema_of("D", 7, (7,), holidays_country="US")
    X, y, X_val, _ = conformed(synthetic(lengths=(120, 90), season=7, freq="D"), schema)
    model = build("global_lightgbm", FAMILIES["global_lightgbm"].low_cost, schema).fit(X, y)
    assert "holiday" in model.mlf_.ts.features_order_
    assert np.isfinite(model.predict(X_val)).all()


def test_a_large_panel_is_trained_on_a_seeded_sample_of_series_and_fully_forecast():
    schema = schema_of("MS", 12, (12,))
    X, y, X_val, _ = conformed(synthetic(lengths=(60,) * 6), schema)
    model = build("global_lightgbm", FAMILIES["global_lightgbm"].low_cost, schema)
    model.set_params(max_rows=150).fit(X, y)  # 48 rows a series: 3 fit in 150
    assert model.notes_ == ["trained on 3 of 6 series, sampled (seed 0) within 150 rows"]
    values = model.predict(X_val)
    assert len(values) == 6 * 12 and np.isfinite(values).all()
