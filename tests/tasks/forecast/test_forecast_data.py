"""Forecast data: checks, frequency and season inference, the grid, roles, backtest, scales."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.tseries.frequencies import to_offset

from fitfinder.errors import ConfigError, DataError
from fitfinder.tasks.forecast.data import (
    Panel,
    backtest_blocks,
    backtest_folds,
    conform_future,
    conform_history,
    min_history,
    prepare_panel,
    series_scales,
)
from fitfinder.tasks.forecast.data.windows import (
    DEFAULT_WINDOWS,
    MAX_DEFAULT_WINDOWS,
    default_windows,
)
from fitfinder.tasks.forecast.schema import ID, TIME, ForecastSchema

SHARED = Path(__file__).resolve().parents[4] / "shared" / "datasets"
FORECAST_SETS = [
    "air_passengers",
    "vic_elec_demand",
    "prison_population",
    "aus_accommodation",
    "taylor_electricity",
]


def make_frame(n_series=3, length=40, freq="D", start="2021-01-01", seed=0, **columns):
    """A long table: sid, date, sales (+ columns: name -> per-row values or a callable of the
    series number)."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(start, periods=length, freq=freq)
    frame = pd.DataFrame(
        {
            "sid": np.repeat([f"s{i}" for i in range(n_series)], length),
            "date": np.tile(times, n_series),
            "sales": rng.normal(10, 1, n_series * length),
        }
    )
    for name, values in columns.items():
        frame[name] = np.repeat([values(i) for i in range(n_series)], length)
    return frame


def prepare(frame, **kwargs):
    options = {"target": "sales", "time_column": "date", "id_column": "sid", "horizon": 4}
    return prepare_panel(frame, **{**options, **kwargs})


@pytest.fixture(scope="module")
def shared():
    if not SHARED.is_dir():
        pytest.skip("../shared/datasets is absent")
    entries = json.loads((SHARED / "manifest.json").read_text())["datasets"]
    manifest = {d["name"]: d for d in entries}

    def load(name):
        entry = manifest[name]
        return pd.read_parquet(SHARED / entry["file"]), entry

    return load


# -- settings and columns ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "sale"}, "target column 'sale' not found; did you mean sales"),
        ({"time_column": "dat"}, "time column 'dat' not found"),
        ({"id_column": "series"}, "id column 'series' not found"),
        ({"known_covariates": ["price"]}, "known covariate 'price' not found"),
    ],
)
def test_missing_columns_are_named(kwargs, message):
    with pytest.raises(DataError, match=message):
        prepare(make_frame(), **kwargs)


@pytest.mark.parametrize("horizon", [0, -3, 1.5, True, "4"])
def test_horizon_must_be_a_positive_whole_number(horizon):
    with pytest.raises(ConfigError, match="horizon must be a whole number >= 1"):
        prepare(make_frame(), horizon=horizon)


def test_bad_frequency_alias_is_a_config_error_with_the_pandas_hint():
    with pytest.raises(ConfigError, match="freq 'H' is not a pandas frequency; did you mean 'h'"):
        prepare(make_frame(), freq="H")
    with pytest.raises(ConfigError, match="freq 'fortnightly' is not a pandas frequency"):
        prepare(make_frame(), freq="fortnightly")


@pytest.mark.parametrize("period", [0, [12, 0], 2.5, "12", [], True])
def test_bad_seasonal_period_is_a_config_error(period):
    with pytest.raises(ConfigError, match="seasonal_period must be whole numbers"):
        prepare(make_frame(), seasonal_period=period)


def test_holidays_country_is_validated():
    with pytest.raises(ConfigError, match="holidays_country 'XX' is not a country"):
        prepare(make_frame(), holidays_country="XX")
    assert prepare(make_frame(), holidays_country="US").schema.holidays_country == "US"


def test_known_covariate_cannot_be_the_target():
    with pytest.raises(ConfigError, match="known covariate 'sales' is also the target"):
        prepare(make_frame(), known_covariates=["sales"])


def test_column_named_like_a_conformed_column_is_refused():
    frame = make_frame().rename(columns={"sid": "unique_id"})
    with pytest.raises(DataError, match="column 'unique_id' clashes"):
        prepare(frame, id_column=None)


# -- times, ids, target ------------------------------------------------------------------------
def test_unparsable_time_names_the_column_and_a_bad_value():
    frame = make_frame()
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d").astype(object)
    frame.loc[5, "date"] = "not a date"
    with pytest.raises(DataError, match="time column 'date' has values that are not times.*"):
        prepare(frame)
    with pytest.raises(DataError, match="'not a date'"):
        prepare(frame)


def test_numeric_and_missing_times_are_data_errors():
    frame = make_frame()
    with pytest.raises(DataError, match="time column 'year' holds numbers, not times"):
        prepare(frame.assign(year=2000 + np.arange(len(frame))), time_column="year")
    frame.loc[3, "date"] = pd.NaT
    with pytest.raises(DataError, match="time column 'date' has 1 missing values"):
        prepare(frame)


def test_time_strings_are_parsed_and_time_zones_dropped_with_a_note():
    frame = make_frame(n_series=1, length=30, freq="h")
    frame["date"] = frame["date"].dt.tz_localize("Europe/Berlin")
    panel = prepare(frame)
    assert panel.X[TIME].dtype == "datetime64[ns]"
    assert panel.X[TIME].iloc[0] == pd.Timestamp("2021-01-01 00:00")
    assert any("time zone Europe/Berlin" in note for note in panel.notes)
    strings = make_frame().assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d"))
    assert prepare(strings).schema.freq == "D"


def test_missing_ids_and_non_numeric_targets_are_data_errors():
    frame = make_frame()
    frame.loc[7, "sid"] = None
    with pytest.raises(DataError, match="id column 'sid' has 1 missing values"):
        prepare(frame)
    frame = make_frame().astype({"sales": object})
    frame.loc[2, "sales"] = "lots"
    with pytest.raises(DataError, match="target column 'sales' is not numeric \\(e.g. 'lots'\\)"):
        prepare(frame)


def test_duplicate_series_times_give_the_count_an_example_and_the_fix():
    frame = make_frame()
    frame = pd.concat([frame, frame.iloc[[3, 50]]], ignore_index=True)
    with pytest.raises(DataError, match="duplicate timestamps: 2 rows repeat a time") as error:
        prepare(frame)
    assert "of series 's0', e.g. 2021-01-04" in str(error.value)
    assert "df.groupby(['sid', 'date'], as_index=False).sum()" in str(error.value)


def test_a_single_series_gets_a_constant_id():
    panel = prepare(make_frame(n_series=1).drop(columns="sid"), id_column=None)
    assert set(panel.X[ID]) == {"series"}
    assert panel.schema.id_column is None


# -- frequency and seasonality -----------------------------------------------------------------
@pytest.mark.parametrize("name", FORECAST_SETS)
def test_frequency_and_season_inferred_on_the_real_datasets(shared, name):
    frame, entry = shared(name)
    panel = prepare_panel(
        frame,
        target=entry["target"],
        time_column=entry["time_column"],
        id_column=entry["id_column"],
        horizon=entry["horizon"],
    )
    assert to_offset(panel.schema.freq) == to_offset(entry["frequency"])
    assert panel.schema.season_length == entry["seasonal_period"]
    assert panel.X[ID].nunique() == entry["n_series"]
    assert len(panel.X) == entry["n_rows"]
    assert any("inferred" in note for note in panel.notes)


@pytest.mark.parametrize(
    ("freq", "length", "periods"),
    [
        ("15min", 2000, (96, 672)),
        ("30min", 800, (48, 336)),
        ("h", 400, (24, 168)),
        ("h", 100, (24,)),  # a week is not covered twice
        ("D", 60, (7,)),
        ("B", 60, (5,)),
        ("W-SUN", 120, (52,)),
        ("MS", 40, (12,)),
        ("QS-OCT", 20, (4,)),
        ("YS-JAN", 30, (1,)),
        ("2D", 40, (1,)),
    ],
)
def test_frequency_and_seasonal_periods_inferred_from_the_times(freq, length, periods):
    panel = prepare(make_frame(n_series=2, length=length, freq=freq), horizon=2)
    times = pd.date_range("2021-01-01", periods=length, freq=freq)
    assert pd.date_range(times[0], periods=length, freq=panel.schema.freq).equals(times)
    assert panel.schema.seasonal_periods == periods


def test_given_seasonal_periods_keep_their_order_and_need_two_cycles():
    panel = prepare(make_frame(length=400, freq="h"), seasonal_period=[168, 24])
    assert panel.schema.seasonal_periods == (168, 24)
    panel = prepare(make_frame(length=300, freq="h"), seasonal_period=[168, 24])
    assert panel.schema.seasonal_periods == (24,)
    assert any("[168] dropped" in note for note in panel.notes)


def test_frequency_of_series_with_gaps_is_inferred_from_their_steps():
    daily = make_frame(length=60).drop(index=[5, 70, 130]).reset_index(drop=True)
    assert prepare(daily).schema.freq == "D"
    monthly = make_frame(length=40, freq="MS").drop(index=[10, 50, 90])
    assert prepare(monthly, horizon=2).schema.freq == "MS"


def test_irregular_times_ask_for_freq():
    rng = np.random.default_rng(1)
    seconds = np.cumsum(rng.integers(1, 10**6, 60))
    frame = pd.DataFrame(
        {"date": pd.Timestamp("2021-01-01") + pd.to_timedelta(seconds, "s"), "sales": 1.0}
    )
    with pytest.raises(DataError, match="cannot infer the frequency of column 'date'"):
        prepare(frame, id_column=None)


def test_times_off_the_given_grid_are_named():
    frame = make_frame(length=50, freq="h")
    frame.loc[10, "date"] = pd.Timestamp("2021-01-01 10:07")
    with pytest.raises(DataError, match="time 2021-01-01 10:07:00 of series 's0' is not on"):
        prepare(frame, freq="h")
    with pytest.raises(DataError, match="not on the 'MS' grid"):
        prepare(make_frame(length=50, freq="D"), freq="MS", horizon=1)


def test_a_frequency_far_finer_than_the_times_is_refused():
    with pytest.raises(DataError, match="'min' grid of column 'date' would turn"):
        prepare(make_frame(length=50, freq="D"), freq="min")


# -- grid, interpolation, roles ----------------------------------------------------------------
def test_gaps_are_put_on_the_grid_and_interpolated_within_their_series():
    frame = make_frame(n_series=2, length=30, price=lambda i: float(i))
    frame["sales"] = np.r_[np.arange(30.0), 100 + np.arange(30.0)]
    frame["price"] = np.arange(60.0)
    frame.loc[12, "sales"] = np.nan  # a missing value
    frame = frame.drop(index=[5, 6, 40])  # missing dates
    frame.loc[[0, 1], "sales"] = np.nan  # leading: the series starts later
    frame.loc[59, "sales"] = np.nan  # trailing
    panel = prepare(frame.sample(frac=1, random_state=0))
    X, y = panel.X, panel.y
    a, b = (X[ID] == "s0").to_numpy(), (X[ID] == "s1").to_numpy()
    assert a.sum() == 28 and b.sum() == 29
    np.testing.assert_allclose(y[a], np.arange(2.0, 30.0))
    np.testing.assert_allclose(y[b], 100 + np.arange(29.0))
    assert (X.loc[a, TIME].diff().dropna() == pd.Timedelta("1D")).all()
    inserted = X[TIME].isin(pd.to_datetime(["2021-01-06", "2021-01-07"])) & a
    assert (X.loc[inserted, "price"] == 4.0).all()  # carried forward
    assert "3 missing time steps added as rows" in panel.notes
    assert "4 missing target values interpolated linearly" in panel.notes
    assert any("3 rows before the first or after the last" in note for note in panel.notes)


def test_a_series_without_target_is_dropped_and_all_missing_is_an_error():
    frame = make_frame()
    frame.loc[frame["sid"] == "s1", "sales"] = np.nan
    panel = prepare(frame)
    assert sorted(set(panel.X[ID])) == ["s0", "s2"]
    assert any("1 series without any target value dropped: ['s1']" in n for n in panel.notes)
    with pytest.raises(DataError, match="the target is missing in every row"):
        prepare(frame.assign(sales=np.nan))


def test_conformed_columns_roles_and_dtypes():
    frame = make_frame(
        store=lambda i: f"store{i}",
        size=lambda i: float(i),
        promo=lambda i: True,
    )
    frame["price"] = np.random.default_rng(0).normal(size=len(frame))
    frame["weather"] = np.random.default_rng(1).choice(["sun", "rain"], len(frame))
    frame["holiday"] = np.arange(len(frame)) % 7 == 0
    panel = prepare(frame, known_covariates=["holiday", "price"])
    s = panel.schema
    assert s.known_covariates == ("holiday", "price")
    assert s.past_covariates == ("weather",)
    assert s.static_columns == ("store", "size", "promo")
    assert list(panel.X.columns) == [
        ID,
        TIME,
        "holiday",
        "price",
        "weather",
        "store",
        "size",
        "promo",
    ]
    assert panel.X[ID].dtype == "str" and panel.X[TIME].dtype == "datetime64[ns]"
    assert panel.X["holiday"].dtype == "float64" and panel.X["promo"].dtype == "float64"
    assert panel.X["weather"].dtype == "category" and panel.X["store"].dtype == "category"
    assert panel.y.dtype == np.float64
    assert panel.X.index.equals(pd.RangeIndex(len(frame)))
    assert panel.X.equals(panel.X.sort_values([ID, TIME]).reset_index(drop=True))
    assert s.notes == tuple(panel.notes)
    assert (s.target, s.time_column, s.id_column, s.horizon) == ("sales", "date", "sid", 4)


def test_a_missing_value_counts_as_a_value_for_static_columns():
    frame = make_frame(size=lambda i: float(i), region=lambda i: np.nan)
    frame.loc[3, "size"] = np.nan
    panel = prepare(frame)
    assert panel.schema.static_columns == ("region",)
    assert panel.schema.past_covariates == ("size",)


def test_occupancy_is_a_past_covariate_of_aus_accommodation(shared):
    frame, entry = shared("aus_accommodation")
    frame = frame.assign(state_code=frame["series_id"].str[:3])
    panel = prepare_panel(
        frame,
        target="target",
        time_column="timestamp",
        id_column="series_id",
        known_covariates=["CPI"],
        horizon=entry["horizon"],
    )
    assert panel.schema.past_covariates == ("Occupancy",)
    assert panel.schema.static_columns == ("state_code",)
    assert panel.schema.known_covariates == ("CPI",)


def test_a_known_covariate_missing_in_a_whole_series_is_a_data_error():
    frame = make_frame(price=lambda i: float(i))
    frame.loc[frame["sid"] == "s2", "price"] = np.nan
    with pytest.raises(DataError, match="known covariate 'price' has no value at all in .*'s2'"):
        prepare(frame, known_covariates=["price"])


# -- length ------------------------------------------------------------------------------------
def test_horizon_longer_than_the_data_allows_says_the_most_it_can_be():
    frame = make_frame(length=60)
    message = "horizon 60 is longer than the data allows: the longest series has 60 points"
    with pytest.raises(DataError, match=message) as error:
        prepare(frame, horizon=60)
    assert "needs 60 + 14 (14 for training); give a horizon of at most 46" in str(error.value)


def test_short_series_are_listed_and_noted():
    frame = make_frame(n_series=3, length=40)
    frame = frame[(frame["sid"] != "s1") | (frame["date"] >= "2021-02-01")]  # s1: 9 points
    panel = prepare(frame, horizon=7)
    assert panel.short_series == ["s1"]
    assert panel.schema.season_length == 7 and min_history(panel.schema) == 14
    assert any("1 series too short to validate (fewer than 21 points)" in n for n in panel.notes)
    assert "s1" in set(panel.X[ID])  # kept in the panel, forecast by the fallback


def test_min_history():
    schema = ForecastSchema("y", "ds", None, "D", 7, seasonal_periods=(7,))
    assert min_history(schema) == 14
    assert min_history(ForecastSchema("y", "ds", None, "MS", 7, seasonal_periods=(1,))) == 8


# -- new history -------------------------------------------------------------------------------
def test_conform_history_matches_the_training_panel():
    frame = make_frame(store=lambda i: f"st{i}", price=lambda i: float(i))
    frame["promo"] = np.arange(len(frame)) % 3.0
    frame = frame.drop(index=[4, 50])
    panel = prepare(frame, known_covariates=["price"])
    X, y = conform_history(panel.schema, frame.sample(frac=1, random_state=2).assign(extra=1))
    pd.testing.assert_frame_equal(X, panel.X)
    np.testing.assert_array_equal(y, panel.y)


def test_conform_history_checks_columns_and_the_grid():
    frame = make_frame(store=lambda i: f"st{i}")
    frame["promo"] = np.arange(len(frame)) % 3.0
    schema = prepare(frame).schema
    with pytest.raises(DataError, match="static column 'store' not found"):
        conform_history(schema, frame.drop(columns="store"))
    with pytest.raises(DataError, match="past covariate 'promo' not found"):
        conform_history(schema, frame.drop(columns="promo"))
    shifted = frame.assign(date=frame["date"] + pd.Timedelta("3h"))
    shifted.loc[0, "date"] = frame.loc[0, "date"]
    with pytest.raises(DataError, match="is not on the 'D' grid"):
        conform_history(schema, shifted)


# -- future rows -------------------------------------------------------------------------------
def _future_setup(known=("price",)):
    frame = make_frame(n_series=2, length=30, price=lambda i: float(i))
    schema = prepare(frame, known_covariates=list(known)).schema
    ends = pd.Series(pd.to_datetime(["2021-01-30", "2021-01-25"]), index=["s0", "s1"])
    return schema, ends


def test_conform_future_without_a_frame_gives_the_next_horizon_steps():
    schema, ends = _future_setup(known=())
    rows = conform_future(schema, None, ends)
    assert list(rows.columns) == [ID, TIME]
    assert rows[ID].tolist() == ["s0"] * 4 + ["s1"] * 4
    assert rows[TIME].iloc[0] == pd.Timestamp("2021-01-31")
    assert rows[TIME].iloc[-1] == pd.Timestamp("2021-01-29")


def test_conform_future_needs_known_covariates():
    schema, ends = _future_setup()
    with pytest.raises(DataError, match="uses known covariates price: give them for the next 4"):
        conform_future(schema, None, ends)
    future = pd.DataFrame({"sid": ["s0"], "date": ["2021-01-31"]})
    with pytest.raises(DataError, match="the future rows lack the known covariates price"):
        conform_future(schema, future, ends)


def test_conform_future_happy_path_sorts_and_fills():
    schema, ends = _future_setup()
    future = pd.DataFrame(
        {
            "sid": ["s1", "s0", "s0", "s1"],
            "date": pd.to_datetime(["2021-01-27", "2021-01-31", "2021-02-01", "2021-01-26"]),
            "price": [np.nan, 2.0, 3.0, 5.0],
            "sales": 0.0,
        }
    )
    rows = conform_future(schema, future, ends)
    assert list(rows.columns) == [ID, TIME, "price"]
    assert rows[ID].tolist() == ["s0", "s0", "s1", "s1"]
    assert rows["price"].tolist() == [2.0, 3.0, 5.0, 5.0]
    assert rows[TIME].dtype == "datetime64[ns]"


@pytest.mark.parametrize(
    ("sid", "dates", "message"),
    [
        ("s0", ["2021-02-01"], "the future rows of series 's0' skip step 1 \\(2021-01-31"),
        ("s0", ["2021-01-31", "2021-02-04"], "future time 2021-02-04 00:00:00 of series 's0'"),
        ("s1", ["2021-01-25"], "is not one of the next 4 steps after its history's end"),
        ("s9", ["2021-01-31"], "series \\['s9'\\] of the future rows are not in the history"),
    ],
)
def test_conform_future_rejects_rows_that_are_not_the_next_steps(sid, dates, message):
    schema, ends = _future_setup()
    future = pd.DataFrame({"sid": sid, "date": pd.to_datetime(dates), "price": 1.0})
    with pytest.raises(DataError, match=message):
        conform_future(schema, future, ends)


# -- backtest windows --------------------------------------------------------------------------
def make_panel(lengths, horizon, season=1, freq="D"):
    ids = np.repeat([f"s{i:03d}" for i in range(len(lengths))], lengths)
    times = np.concatenate([pd.date_range("2020-01-01", periods=n, freq=freq) for n in lengths])
    X = pd.DataFrame({ID: pd.array(ids, dtype="str"), TIME: times})
    schema = ForecastSchema("y", "ds", "id", freq, horizon, seasonal_periods=(season,))
    y = np.random.default_rng(len(lengths)).normal(size=len(X))
    return Panel(X, y, schema, [], [])


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 60), min_size=1, max_size=6),
    horizon=st.integers(1, 6),
    extra=st.integers(0, 3),
    season=st.sampled_from([1, 4, 7]),
    n_windows=st.one_of(st.none(), st.integers(1, 4)),
    offset=st.integers(0, 3),
)
def test_backtest_windows_properties(lengths, horizon, extra, season, n_windows, offset):
    panel = make_panel(lengths, horizon, season)
    step = horizon + extra
    need = min_history(panel.schema)
    fit = (max(lengths) - offset - horizon - need) // step + 1
    if fit < 1 or (n_windows or 0) > fit:
        with pytest.raises(DataError):
            backtest_folds(panel, n_windows, step, offset)
        return
    folds, notes = backtest_folds(panel, n_windows, step, offset)
    assert len(folds) == (n_windows or min(default_windows(panel.schema, step), fit))
    ids = panel.X[ID].to_numpy()
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    previous = {}
    for k, (train, val) in enumerate(reversed(folds)):  # k = 0: the latest window
        assert train.dtype == np.int64 and val.dtype == np.int64
        assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)
        assert not np.intersect1d(train, val).size
        for i, (start, n) in enumerate(zip(starts, lengths, strict=True)):
            cut = n - offset - k * step - horizon
            mine_val = val[ids[val] == f"s{i:03d}"] - start
            mine_train = train[ids[train] == f"s{i:03d}"] - start
            if cut < need:
                assert not mine_val.size and not mine_train.size
                continue
            np.testing.assert_array_equal(mine_train, np.arange(cut))
            np.testing.assert_array_equal(mine_val, np.arange(cut, cut + horizon))
            if i in previous:  # the later window validates later rows
                assert mine_val.max() < previous[i]
            previous[i] = mine_val.min()
    assert notes[0].startswith(f"{len(folds)} backtest windows of {horizon} steps")
    blocks = backtest_blocks(len(ids), folds)
    validated = np.concatenate([val for _, val in folds])
    assert np.all(np.delete(blocks, validated) == -1)
    for val in (val for _, val in folds):  # a block: one series' rows of one window
        for block in np.unique(blocks[val]):
            rows = np.flatnonzero(blocks == block)
            assert len(rows) == horizon and len(set(ids[rows])) == 1
            assert np.isin(rows, val).all()


def test_backtest_windows_settings():
    panel = make_panel([40, 20], horizon=5)
    with pytest.raises(
        ConfigError, match="window_step 3 is shorter than the horizon 5: .* at least 5"
    ):
        backtest_folds(panel, step=3)
    with pytest.raises(DataError, match="n_windows=9 is more than the data holds.*n_windows=6"):
        backtest_folds(panel, n_windows=9)
    with pytest.raises(ConfigError, match="n_windows must be a whole number >= 1"):
        backtest_folds(panel, n_windows=0)
    folds, notes = backtest_folds(make_panel([20], horizon=5))
    assert len(folds) == 2
    assert "only 2 backtest windows fit: the longest series has 20 points" in notes
    folds, notes = backtest_folds(panel)
    assert [len(val) for _, val in folds] == [5, 10, 10]  # s1 skips the oldest window
    assert "1 series too short for the oldest windows skip them" in notes


def test_default_windows_cover_the_longest_season():
    """Half-hourly data with a weekly period and a day's horizon: a window per weekday."""
    half_hourly = make_panel([20 * 336], horizon=48, season=48, freq="30min")
    half_hourly.schema = ForecastSchema("y", "ds", "id", "30min", 48, seasonal_periods=(48, 336))
    folds, notes = backtest_folds(half_hourly)
    assert len(folds) == 7 and notes[0].startswith("7 backtest windows of 48 steps")
    assert len(backtest_folds(half_hourly, step=96)[0]) == 4  # 4 x 96 steps cover 336
    schema = half_hourly.schema
    assert default_windows(schema, 1) == MAX_DEFAULT_WINDOWS  # capped
    monthly = ForecastSchema("y", "ds", "id", "MS", 12, seasonal_periods=(12,))
    assert default_windows(monthly, 12) == DEFAULT_WINDOWS  # one window covers a year
    short = make_panel([2 * 48 + 3 * 48 + 10], horizon=48, season=48, freq="30min")
    short.schema = schema
    folds, notes = backtest_folds(short)  # 3 windows fit after 2 days of history
    assert len(folds) == 3 and "only 3 backtest windows fit" in notes[1]


# -- scales ------------------------------------------------------------------------------------
def _naive_scale(history, lag):
    errors = np.asarray(history[lag:]) - np.asarray(history[:-lag])
    return np.mean(np.abs(errors)), np.mean(errors**2)


def test_series_scales_match_a_hand_computation():
    a = [1.0, 3.0, 2.0, 5.0, 4.0, 8.0, 6.0, 7.0, 9.0, 30.0, 31.0, 50.0]
    b = [5.0] * 12
    panel = make_panel([12, 12], horizon=2, season=2)
    panel.y = np.array(a + b)
    folds, _ = backtest_folds(panel, n_windows=2)  # cutoffs at 8 and 10 of each series
    mae, mse = series_scales(panel, folds)
    expected = _naive_scale(a[:8], 2)  # the history before the oldest window only
    np.testing.assert_allclose(mae[:12], expected[0])
    np.testing.assert_allclose(mse[:12], expected[1])
    np.testing.assert_allclose(mae[12:], 5.0)  # flat series: mean |y| of its history
    np.testing.assert_allclose(mse[12:], 25.0)
    panel.y[8:12] = -100.0  # the windows' values play no part
    np.testing.assert_allclose(series_scales(panel, folds)[0][:12], expected[0])


def test_series_scales_fall_back_to_lag_one_then_to_one():
    panel = make_panel([6, 6, 6], horizon=2, season=4)
    panel.y = np.r_[[1.0, 2.0, 4.0, 7.0, 0.0, 0.0], [1.0, 1.0, 1.0, 5.0, 0, 0], np.zeros(6)]
    val = np.array([4, 5, 10, 11, 16, 17])  # histories of 4 points, shorter than a season + 1
    mae, mse = series_scales(panel, [(np.array([0, 1, 2, 3]), val)])
    np.testing.assert_allclose(mae[:6], 2.0)
    np.testing.assert_allclose(mse[:6], np.mean([1.0, 4.0, 9.0]))
    np.testing.assert_allclose(mae[6:12], 4 / 3)
    np.testing.assert_allclose(mae[12:], 1.0)
    np.testing.assert_allclose(mse[12:], 1.0)


# -- size --------------------------------------------------------------------------------------
def test_a_large_panel_is_prepared():
    n_series, length = 10_000, 200
    frame = make_frame(n_series=n_series, length=length, store=lambda i: i % 50)
    frame = frame.sample(frac=1, random_state=0).iloc[:-500]
    panel = prepare(frame, horizon=14)
    assert panel.X[ID].nunique() == n_series
    assert n_series * length - 500 <= len(panel.X) <= n_series * length
    folds, _ = backtest_folds(panel)
    mae, mse = series_scales(panel, folds)
    assert len(folds) == 3 and np.isfinite(mae).all() and np.isfinite(mse).all()
