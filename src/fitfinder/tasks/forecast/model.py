"""ForecastModel: the found forecaster with its panel facts; forecasts, intervals, save, load.

A forecast model directory holds what a tabular one does (``model.json``, ``pipeline.joblib``,
``journal.db``) plus ``series.parquet``: each series' scale, last timestamp and backtest score.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fitfinder.data import as_frame
from fitfinder.errors import DataError
from fitfinder.model import CORE_KEYS, read_pipeline, write_directory
from fitfinder.tasks.forecast.data import conform_future, conform_history
from fitfinder.tasks.forecast.forecaster import Forecaster
from fitfinder.tasks.forecast.intervals import Intervals
from fitfinder.tasks.forecast.schema import ID, TIME, ForecastSchema
from fitfinder.tasks.forecast.series import series_leaderboard

SERIES_FILE = "series.parquet"
TASK = "forecast"


@dataclass
class ForecastModel:
    """Forecasts the next ``horizon`` steps of every series it was fitted on.

    ``series`` is indexed by ``unique_id`` with columns ``scale`` (the series' seasonal-naive
    error, the unit of its intervals), ``end`` (its last timestamp) and ``short`` (True: too
    short to validate, answered by ``fallback``, a baseline forecaster).
    """

    pipeline: Any
    schema: ForecastSchema
    metric: str
    intervals: Intervals | None
    series: pd.DataFrame
    fallback: Forecaster | None = None
    info: dict = field(default_factory=dict)
    task: str = TASK

    def predict(self, future: Any = None, history: Any = None) -> pd.DataFrame:
        """The forecast frame: the user's id and time columns, ``forecast`` and one column per
        quantile level (``q10``, ``q90``, ...). ``future`` gives the known covariates of the next
        steps (needed when the model uses any); ``history`` is newer data to forecast from,
        without estimating the model again (this model is left as it is)."""
        model = self
        if history is not None:
            model = self._moved(*conform_history(self.schema, as_frame(history)))
        frame = None if future is None else as_frame(future)
        rows = conform_future(self.schema, frame, model.series["end"])
        values = model._point(rows)
        return model._frame(rows, values)

    def description(self) -> dict:
        """What ``fitfinder info`` shows: the task, the panel's facts and the fit's record."""
        return {
            "task": self.task,
            "metric": self.metric,
            "horizon": self.schema.horizon,
            "freq": self.schema.freq,
            "seasonal_periods": list(self.schema.seasonal_periods),
            "series": len(self.series),
            "short_series": int(self.series["short"].sum()),
            "known_covariates": list(self.schema.known_covariates),
            "past_covariates": list(self.schema.past_covariates),
            **self.info,
        }

    def series_leaderboard(self) -> pd.DataFrame:
        """Each validated series' backtest MASE beside seasonal naive's, worst first."""
        return series_leaderboard(self.series)

    def prediction_table(
        self, table: pd.DataFrame | None, *, proba: bool = False, history: Any = None
    ) -> pd.DataFrame:
        """The CLI's output: the forecast frame (``table``: future known covariates)."""
        if proba:
            raise DataError("--proba is for classification; a forecast has quantile columns")
        return self.predict(future=table, history=history)

    def _moved(self, X: pd.DataFrame, y: np.ndarray) -> ForecastModel:
        """A copy whose forecasters start from the end of the new history ``(X, y)``."""
        moved = copy.deepcopy(self)
        moved.update(X, y)
        return moved

    def update(self, X: pd.DataFrame, y: np.ndarray) -> None:
        """Move the forecast origin to the end of ``(X, y)`` (conformed rows)."""
        unknown = set(pd.unique(X[ID])) - set(self.series.index)
        if unknown:
            raise DataError(
                f"series {sorted(map(str, unknown))[:5]} were not in the training data; "
                "forecast only the series the model was fitted on"
            )
        short = X[ID].isin(self.series.index[self.series["short"]]).to_numpy()
        for forecaster in forecasters(self.pipeline):
            forecaster.update(X[~short], y[~short])
        if self.fallback is not None and short.any():
            self.fallback.update(X[short], y[short])
        ends = X.groupby(ID, observed=True)[TIME].max()
        self.series.loc[ends.index, "end"] = ends

    def _point(self, rows: pd.DataFrame) -> np.ndarray:
        short = rows[ID].isin(self.series.index[self.series["short"]]).to_numpy()
        values = np.empty(len(rows))
        if (~short).any():
            values[~short] = self.pipeline.predict(rows[~short])
        if short.any():
            values[short] = self.fallback.predict(rows[short])
        return values

    def _frame(self, rows: pd.DataFrame, values: np.ndarray) -> pd.DataFrame:
        out = pd.DataFrame({self.schema.time_column: rows[TIME].to_numpy(), "forecast": values})
        if self.schema.id_column is not None:
            out.insert(0, self.schema.id_column, rows[ID].to_numpy())
        if self.intervals is not None:
            step = rows.groupby(ID, sort=False, observed=True).cumcount().to_numpy() + 1
            scale = self.series["scale"].reindex(rows[ID]).to_numpy(dtype=float)
            for level, q in self.intervals.quantiles(values, step, scale).items():
                out[quantile_column(level)] = q
        return out

    # -- persistence ------------------------------------------------------------------
    def save(self, path: str | os.PathLike, journal: str | os.PathLike | None = None) -> Path:
        """Write the model directory; copy the search journal beside it when given."""
        description = {
            **self.info,
            "intervals": None if self.intervals is None else self.intervals.to_dict(),
        }
        parts = {"forecast": self.pipeline, "fallback": self.fallback}
        files = {SERIES_FILE: self.series.reset_index().to_parquet}
        return write_directory(
            path, parts, self.task, self.metric, self.schema, description, journal, files
        )

    @classmethod
    def load(cls, folder: Path) -> ForecastModel:
        description, parts = read_pipeline(folder)
        intervals = description.get("intervals")
        info = {k: v for k, v in description.items() if k not in CORE_KEYS | {"intervals"}}
        return cls(
            pipeline=parts["forecast"],
            schema=ForecastSchema.from_dict(description["schema"]),
            metric=description["metric"],
            intervals=None if intervals is None else Intervals.from_dict(intervals),
            series=pd.read_parquet(folder / SERIES_FILE).set_index(ID),
            fallback=parts["fallback"],
            info=info,
        )


def quantile_column(level: float) -> str:
    """The forecast frame's column for a quantile level: 0.1 -> ``q10``, 0.025 -> ``q2.5``."""
    return f"q{100 * level:g}"


def forecasters(estimator: Any):
    """The forecasters inside a fitted pipeline or ensemble of pipelines."""
    if isinstance(estimator, Forecaster):
        yield estimator
        return
    steps = getattr(estimator, "steps", None)
    if steps is not None:
        yield from forecasters(steps[-1][1])
    for member in getattr(estimator, "members", ()):
        yield from forecasters(member)
