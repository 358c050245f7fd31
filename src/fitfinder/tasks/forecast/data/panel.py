"""Preparing a panel: a long table of one or many series checked, put on a regular time grid and
conformed (see ``schema``), with what was inferred and done noted; and new history conformed
like the training panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from fitfinder.tasks.forecast.data.frequency import (
    given_periods,
    infer_frequency,
    parse_offset,
    seasonal_periods,
)
from fitfinder.tasks.forecast.data.grid import regularize
from fitfinder.tasks.forecast.data.read import (
    check_count,
    check_country,
    known_columns,
    read,
    require,
    role_notes,
    static_columns,
)
from fitfinder.tasks.forecast.data.rows import Panel, conformed
from fitfinder.tasks.forecast.data.windows import short_series
from fitfinder.tasks.forecast.schema import ForecastSchema


def prepare_panel(
    frame: pd.DataFrame,
    *,
    target: str,
    time_column: str,
    id_column: str | None = None,
    known_covariates: Sequence[str] = (),
    horizon: int,
    freq: str | None = None,
    seasonal_period: int | Sequence[int] | None = None,
    holidays_country: str | None = None,
) -> Panel:
    """Check and conform a long table of series; infer what is not given (frequency, seasonal
    periods, which columns are static); DataError/ConfigError on anything unusable."""
    check_count(horizon, "horizon", "e.g. horizon=12")
    offset = None if freq is None else parse_offset(freq)
    given = None if seasonal_period is None else given_periods(seasonal_period)
    check_country(holidays_country)
    known = known_columns(frame, known_covariates, (target, time_column, id_column))
    others = [c for c in frame.columns if c not in {target, time_column, id_column, *known}]
    data, notes = read(frame, target, time_column, id_column, [*known, *others])
    static = static_columns(data, others)
    if offset is None:
        offset = infer_frequency(data, time_column)
        notes.append(f"frequency {offset.freqstr!r} inferred from column {time_column!r}")
    data, grid_notes = regularize(data, offset, time_column, known)
    lengths = np.bincount(data.codes)
    periods, season_notes = seasonal_periods(given, offset, int(lengths.max()))
    schema = ForecastSchema(
        target=target,
        time_column=time_column,
        id_column=id_column,
        freq=offset.freqstr,
        horizon=int(horizon),
        seasonal_periods=periods,
        known_covariates=known,
        past_covariates=tuple(c for c in others if c not in static),
        static_columns=static,
        holidays_country=holidays_country,
    )
    short, short_notes = short_series(data, lengths, schema)
    notes += grid_notes + season_notes + role_notes(schema) + short_notes
    schema = replace(schema, notes=tuple(notes))
    return Panel(conformed(data, schema.feature_columns), data.y, schema, notes, short)


def conform_history(schema: ForecastSchema, frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """New history (the user's column names) checked and conformed like the training panel."""
    columns = list(schema.feature_columns)
    for names, what in (
        (schema.known_covariates, "known covariate"),
        (schema.past_covariates, "past covariate"),
        (schema.static_columns, "static column"),
    ):
        require(frame, list(names), what)
    data, _ = read(frame, schema.target, schema.time_column, schema.id_column, columns)
    data, _ = regularize(data, schema.offset, schema.time_column, schema.known_covariates)
    return conformed(data, schema.feature_columns), data.y
