"""What a forecasting run knows about its panel: the columns' roles, the frequency, the horizon
and the seasonality. Every forecaster and feature maker reads these facts from here.

A panel is *conformed* into one long frame, sorted by series then time, with the columns
``unique_id`` (str: the series), ``ds`` (datetime64: the time) and then the covariates and
static columns under their own names; the target travels beside it as a float array (the
shape statsforecast and mlforecast take, so they read it without copies or renames).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

ID = "unique_id"
TIME = "ds"
TARGET = "y"


@dataclass(frozen=True)
class ForecastSchema:
    """The facts of one panel. ``id_column`` is None for a single series (its rows get one
    ``unique_id``); ``seasonal_periods`` holds the main period first (1: no seasonality)."""

    target: str
    time_column: str
    id_column: str | None
    freq: str
    horizon: int
    seasonal_periods: tuple[int, ...] = (1,)
    known_covariates: tuple[str, ...] = ()
    past_covariates: tuple[str, ...] = ()
    static_columns: tuple[str, ...] = ()
    holidays_country: str | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def season_length(self) -> int:
        """The main seasonal period in steps (1 when the series has none)."""
        return self.seasonal_periods[0]

    @property
    def offset(self) -> pd.DateOffset:
        return pd.tseries.frequencies.to_offset(self.freq)

    @property
    def feature_columns(self) -> tuple[str, ...]:
        """The conformed frame's columns after ``unique_id`` and ``ds``."""
        return self.known_covariates + self.past_covariates + self.static_columns

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ForecastSchema:
        tuples = {k: tuple(v) for k, v in data.items() if isinstance(v, list)}
        return cls(**{**data, **tuples})
