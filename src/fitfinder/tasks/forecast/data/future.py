"""The rows to forecast: the next ``horizon`` steps after each series' end, or the user's future
rows checked to be consecutive steps right after their series' end, with the known covariates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitfinder.errors import DataError
from fitfinder.tasks.forecast.data.grid import fill
from fitfinder.tasks.forecast.data.read import read_keys
from fitfinder.tasks.forecast.data.rows import conformed
from fitfinder.tasks.forecast.schema import ID, TIME, ForecastSchema


def conform_future(
    schema: ForecastSchema, frame: pd.DataFrame | None, ends: pd.Series
) -> pd.DataFrame:
    """The rows to forecast (``unique_id``, ``ds``, known covariates), sorted: the next
    ``horizon`` steps after each series' end (``ends``: unique_id -> last history time), or the
    rows of ``frame``, which must be consecutive steps right after their series' end."""
    ends = pd.Series(ends.to_numpy(dtype="datetime64[ns]"), index=ends.index.astype(str))
    ends = ends.sort_index()
    known = list(schema.known_covariates)
    h = schema.horizon
    if frame is None:
        if known:
            raise DataError(
                f"the model uses known covariates {', '.join(known)}: give them for the next "
                f"{h} steps of each series (future=...)"
            )
        return _next_steps(ends, h, schema.offset).drop(columns="step")
    missing = [c for c in known if c not in frame.columns]
    if missing:
        raise DataError(
            f"the future rows lack the known covariates {', '.join(missing)}; give them for "
            f"the next {h} steps of each series"
        )
    data, _ = read_keys(frame, schema.time_column, schema.id_column, known)
    unknown = [str(s) for s in data.ids if s not in ends.index]
    if unknown:
        raise DataError(
            f"series {unknown[:5]} of the future rows are not in the history; forecast only "
            "the series the model was fitted on"
        )
    fill(data, known)
    rows = conformed(data, known)
    _check_future_steps(rows, ends, schema)
    return rows


def _next_steps(ends: pd.Series, h: int, offset: pd.DateOffset) -> pd.DataFrame:
    """``unique_id``, ``ds`` and ``step`` (1..h) of the next ``h`` steps after each end."""
    origins = pd.DatetimeIndex(ends.to_numpy())
    times = np.column_stack([(origins + k * offset).to_numpy() for k in range(1, h + 1)])
    return pd.DataFrame(
        {
            ID: pd.array(np.repeat(ends.index.to_numpy(dtype=object), h), dtype="str"),
            TIME: times.ravel().astype("datetime64[ns]"),
            "step": np.tile(np.arange(1, h + 1), len(ends)),
        }
    )


def _check_future_steps(rows: pd.DataFrame, ends: pd.Series, schema: ForecastSchema) -> None:
    """DataError unless each series' rows are its first consecutive steps after its end."""
    h = schema.horizon
    ids = pd.unique(rows[ID])
    expected = _next_steps(ends.loc[ids], h, schema.offset)
    step = rows[[ID, TIME]].merge(expected, on=[ID, TIME], how="left")["step"].to_numpy()
    outside = np.flatnonzero(np.isnan(step))
    if len(outside):
        row = rows.iloc[outside[0]]
        raise DataError(
            f"future time {row[TIME]} of series {row[ID]!r} is not one of the next {h} steps "
            f"after its history's end {ends[row[ID]]}; give at most {h} steps right after it"
        )
    position = rows.groupby(ID, sort=False).cumcount().to_numpy() + 1
    skipped = np.flatnonzero(step != position)
    if len(skipped):
        sid, k = rows[ID].iloc[skipped[0]], int(position[skipped[0]])
        raise DataError(
            f"the future rows of series {sid!r} skip step {k} "
            f"({ends[sid] + k * schema.offset}); give consecutive steps right after the "
            "history's end"
        )
