"""Reading a long table: the settings and columns checked (target, time and id columns,
covariate roles), times parsed, the target made numeric, duplicates refused, the rows sorted by
series then time; and which other columns are static.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fitfinder.errors import ConfigError, DataError
from fitfinder.tasks.forecast.data.rows import Long, layout_codes
from fitfinder.tasks.forecast.schema import ID, TARGET, TIME, ForecastSchema

SINGLE_ID = "series"  # the unique_id of a table without an id column


def check_count(value, name: str, example: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(f"{name} must be a whole number >= 1, got {value!r}; {example}")


def check_country(code: str | None) -> None:
    if code is None:
        return
    import holidays

    try:
        holidays.country_holidays(code)
    except NotImplementedError as error:
        raise ConfigError(
            f"holidays_country {code!r} is not a country the holidays package knows; "
            "give an ISO code such as 'US' or 'DE'"
        ) from error


def known_columns(frame: pd.DataFrame, names: Sequence[str], roles: tuple) -> tuple[str, ...]:
    """The known covariates, once each, checked to be columns other than the roles'."""
    known = tuple(dict.fromkeys([names] if isinstance(names, str) else names))
    clash = [c for c in known if c in roles]
    if clash:
        raise ConfigError(
            f"known covariate {clash[0]!r} is also the target, time or id column; "
            "remove it from known_covariates"
        )
    require(frame, known, "known covariate")
    return known


def require(frame: pd.DataFrame, names: Sequence[str], what: str) -> None:
    """DataError naming the first of ``names`` missing from ``frame``, with close names."""
    from fitfinder.tasks.tabular import require_columns  # here: tabular imports the families

    require_columns(frame, list(names), what)


def read(
    frame: pd.DataFrame,
    target: str,
    time_column: str,
    id_column: str | None,
    columns: list[str],
) -> tuple[Long, list[str]]:
    """The table's rows sorted by series then time, with the target as floats."""
    require(frame, [target], "target column")
    return read_keys(frame, time_column, id_column, columns, _target_values(frame[target], target))


def read_keys(
    frame: pd.DataFrame,
    time_column: str,
    id_column: str | None,
    columns: list[str],
    y: np.ndarray | None = None,
) -> tuple[Long, list[str]]:
    """Series and times parsed and checked, the rows (and ``y``) sorted by series then time."""
    require(frame, [time_column], "time column")
    if id_column is not None:
        require(frame, [id_column], "id column")
    if not len(frame):
        raise DataError("the table has no rows; give at least one series")
    clash = [c for c in columns if c in (ID, TIME, TARGET)]
    if clash:
        raise DataError(
            f"column {clash[0]!r} clashes with a name fitfinder uses ({ID}, {TIME}, "
            f"{TARGET}); rename it (or pass it as id_column if it names the series)"
        )
    times, notes = _parse_times(frame[time_column], time_column)
    codes, ids = pd.factorize(_series_names(frame, id_column), sort=True)
    ranks, steps = pd.factorize(times, sort=True)
    order = np.argsort(codes.astype(np.int64) * len(steps) + ranks, kind="stable")
    columns_frame = _cast(frame[columns]).take(order).reset_index(drop=True)
    y = None if y is None else y[order]
    data = Long(np.asarray(ids, dtype=object), codes[order], times[order], y, columns_frame)
    _check_duplicates(data, time_column, id_column)
    return data, notes


def _parse_times(values: pd.Series, name: str) -> tuple[np.ndarray, list[str]]:
    if pd.api.types.is_numeric_dtype(values):
        raise DataError(
            f"time column {name!r} holds numbers, not times; convert it first, e.g. "
            f"pd.to_datetime(df[{name!r}].astype(str))"
        )
    try:
        parsed = pd.to_datetime(values)
    except (ValueError, TypeError, OverflowError) as error:
        coerced = pd.to_datetime(values, errors="coerce")
        bad = values[coerced.isna() & values.notna()]
        example = bad.iloc[0] if len(bad) else values.iloc[0]
        raise DataError(
            f"time column {name!r} has values that are not times, e.g. {example!r}; fix or "
            "drop those rows"
        ) from error
    notes = []
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        notes.append(f"time zone {parsed.dt.tz} of column {name!r} dropped (local times kept)")
        parsed = parsed.dt.tz_localize(None)
    missing = parsed.isna()
    if missing.any():
        raise DataError(
            f"time column {name!r} has {int(missing.sum())} missing values (e.g. row "
            f"{values.index[missing.to_numpy()][0]!r}); fill or drop those rows"
        )
    return parsed.to_numpy(dtype="datetime64[ns]"), notes


def _series_names(frame: pd.DataFrame, id_column: str | None) -> pd.Series:
    if id_column is None:
        return pd.Series(SINGLE_ID, index=frame.index, dtype="str")
    ids = frame[id_column]
    missing = ids.isna()
    if missing.any():
        raise DataError(
            f"id column {id_column!r} has {int(missing.sum())} missing values (e.g. row "
            f"{ids.index[missing.to_numpy()][0]!r}); fill or drop those rows"
        )
    return ids.astype("str")


def _target_values(values: pd.Series, name: str) -> np.ndarray:
    try:
        numbers = pd.to_numeric(values)
    except (ValueError, TypeError) as error:
        coerced = pd.to_numeric(values.astype(object), errors="coerce")
        bad = values[coerced.isna() & values.notna()]
        example = f" (e.g. {bad.iloc[0]!r})" if len(bad) else ""
        raise DataError(
            f"target column {name!r} is not numeric{example}; forecasting needs numbers"
        ) from error
    y = pd.Series(numbers).to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(y).any():
        raise DataError(
            f"target column {name!r} has infinite values (e.g. row "
            f"{values.index[np.isinf(y)][0]!r}); replace them by numbers or missing values"
        )
    return y


def _cast(columns: pd.DataFrame) -> pd.DataFrame:
    """Numbers and booleans as float64, anything else as a category (index 0..n-1)."""
    cast = {}
    for name, values in columns.items():
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            cast[name] = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            cast[name] = pd.Categorical(values)
    return pd.DataFrame(cast, index=pd.RangeIndex(len(columns)), columns=columns.columns)


def _check_duplicates(data: Long, time_column: str, id_column: str | None) -> None:
    same = (data.codes[1:] == data.codes[:-1]) & (data.times[1:] == data.times[:-1])
    if not same.any():
        return
    row = int(np.flatnonzero(same)[0])
    keys = [time_column] if id_column is None else [id_column, time_column]
    where = "" if id_column is None else f" of series {data.series_name(row)!r}"
    raise DataError(
        f"duplicate timestamps: {int(same.sum())} rows repeat a time{where}, e.g. "
        f"{pd.Timestamp(data.times[row])}; aggregate them first, "
        f"e.g. df.groupby({keys!r}, as_index=False).sum()"
    )


def static_columns(data: Long, candidates: list[str]) -> tuple[str, ...]:
    """The candidates constant within every series (a missing value counts as a value)."""
    starts, lengths = layout_codes(data.codes)
    first = np.repeat(starts, lengths)
    return tuple(c for c in candidates if _equal(_comparable(data.columns[c]), first))


def _comparable(values: pd.Series) -> np.ndarray:
    """Floats as they are, categories as their codes (-1 for a missing value)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy()
    return values.to_numpy()


def _equal(values: np.ndarray, rows: np.ndarray) -> bool:
    """Whether each value equals the value at its row of ``rows`` (NaN equals NaN)."""
    other = values[rows]
    return bool(((values == other) | ((values != values) & (other != other))).all())


def role_notes(schema: ForecastSchema) -> list[str]:
    static, past = schema.static_columns, schema.past_covariates
    notes = []
    if static:
        notes.append(f"columns constant within every series, used as static: {', '.join(static)}")
    if past:
        notes.append(
            f"columns known only up to the forecast origin (past covariates): {', '.join(past)}"
            "; list those known in advance in known_covariates"
        )
    return notes
