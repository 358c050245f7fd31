"""Datetime columns expanded to calendar numbers a model can use."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from fitfinder.data.schema import parse_dates

PARTS = ("year", "month", "day", "weekday")


class DatetimeFeatures(TransformerMixin, BaseEstimator):
    """Each datetime column becomes year, month, day, weekday (and hour, when fit saw times).

    Missing or unparseable values give NaN in every part.
    """

    def fit(self, X: pd.DataFrame, y: object = None) -> DatetimeFeatures:
        frame = pd.DataFrame(X)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.with_hour_ = [_has_time(_dates(frame[col])) for col in frame.columns]
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        frame = pd.DataFrame(X)
        blocks = [_parts(_dates(frame.iloc[:, i]), hour) for i, hour in enumerate(self.with_hour_)]
        return np.column_stack(blocks) if blocks else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        names = [
            f"{col}_{part}"
            for col, hour in zip(self.feature_names_in_, self.with_hour_, strict=True)
            for part in PARTS + (("hour",) if hour else ())
        ]
        return np.asarray(names, dtype=object)


def _dates(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    return parse_dates(series)


def _has_time(dates: pd.Series) -> bool:
    times = dates.dropna()
    return bool(((times.dt.hour != 0) | (times.dt.minute != 0) | (times.dt.second != 0)).any())


def _parts(dates: pd.Series, with_hour: bool) -> np.ndarray:
    accessor = dates.dt
    columns = [accessor.year, accessor.month, accessor.day, accessor.day_of_week]
    if with_hour:
        columns.append(accessor.hour)
    return np.column_stack([c.to_numpy(dtype=np.float64, na_value=np.nan) for c in columns])
