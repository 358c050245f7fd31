"""The forecaster contract: a scikit-learn estimator over conformed panel rows.

It lets a forecaster run inside the trial machinery unchanged: a backtest window is a fold
whose training rows are each series' history up to a cutoff and whose validation rows are the
next ``horizon`` steps, so ``fit(X_train, y_train)`` then ``predict(X_val)`` is one window.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from fitfinder.errors import DataError
from fitfinder.tasks.forecast.schema import ID, TARGET, TIME, ForecastSchema

log = logging.getLogger("fitfinder")

#: a forecast further outside its series' historical range than this many ranges blew up
BLOW_UP = 10.0


class Forecaster(RegressorMixin, BaseEstimator):
    """Base class of every forecasting family's estimator.

    * ``fit(X, y)``: ``X`` is conformed history (``unique_id``, ``ds``, covariates), ``y`` its
      target; the model is estimated and the history kept as the forecast origin.
    * ``predict(X)``: ``X`` holds future rows: for each series, consecutive steps right after
      the end of its history, at most ``schema.horizon`` of them. Only ``unique_id``, ``ds`` and
      the known covariates may be read (past covariates in ``X`` are not known yet then).
      Returns the point forecasts aligned with ``X``'s rows (ValueError if any is not finite).
    * ``update(X, y)``: replace the history (same series, a later end) so that ``predict``
      forecasts from its end, without estimating the model again.

    Subclasses implement ``_fit(history)``, ``_update(history)`` (default: keep the new history)
    and ``_forecast(h, future) -> frame of unique_id, ds, forecast`` for the next ``h`` steps of
    every series in ``future`` (``future``: ``unique_id``, ``ds``, known covariates, ``h`` rows
    per series).
    """

    def __init__(self, schema: ForecastSchema | None = None):
        self.schema = schema

    def fit(self, X: pd.DataFrame, y) -> Forecaster:
        self.history_ = long_frame(X, y)
        self._fit(self.history_)
        return self

    def update(self, X: pd.DataFrame, y) -> Forecaster:
        self.history_ = long_frame(X, y)
        self._update(self.history_)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        future = X[[ID, TIME, *self.schema.known_covariates]]
        steps = future.groupby(ID, sort=False, observed=True)[TIME].transform("size")
        h = int(steps.max()) if len(steps) else 0
        full = self._future(future, h)
        out = self._check_sane(self._forecast(h, full))
        merged = future[[ID, TIME]].merge(out, on=[ID, TIME], how="left")
        values = merged["forecast"].to_numpy(dtype=float)
        if np.isnan(values).any():  # a subclass's _forecast left rows of the grid out
            raise ValueError(f"{type(self).__name__} gave no forecast for some rows")
        return values

    def _check_sane(self, out: pd.DataFrame) -> pd.DataFrame:
        """``out``, unless a forecast is not finite or blew up: further than ``BLOW_UP`` times
        its series' historical range outside that range. In a trial that is a ValueError (the
        trial fails, so an unstable model is dropped from the search and the ensemble, never
        averaged in); in a final model (``replace_blow_ups_``, set when the model is built)
        those series are forecast by seasonal naive instead, with a warning, so that one
        unstable series never costs the user the forecast of all the others."""
        values = out["forecast"].to_numpy(dtype=float)
        bounds = self.history_.groupby(ID, sort=False, observed=True)[TARGET].agg(["min", "max"])
        low, high = (bounds[c].reindex(out[ID]).to_numpy() for c in ("min", "max"))
        span = np.maximum(high - low, np.maximum(np.abs(high), 1e-9))
        with np.errstate(invalid="ignore"):
            wild = (values < low - BLOW_UP * span) | (values > high + BLOW_UP * span)
        bad = ~np.isfinite(values) | wild
        if not bad.any():
            return out
        if not getattr(self, "replace_blow_ups_", False):
            raise ValueError(
                f"{type(self).__name__} blew up: forecast {values[bad][0]:.4g} lies far outside "
                f"its series' history [{low[bad][0]:.4g}, {high[bad][0]:.4g}]"
            )
        series = pd.unique(out.loc[bad, ID])
        log.warning(
            "%s blew up on %d series (e.g. %s): forecast by seasonal naive instead",
            type(self).__name__,
            len(series),
            series[0],
        )
        return self._seasonal_naive(out, series)

    def _seasonal_naive(self, out: pd.DataFrame, series) -> pd.DataFrame:
        """``out`` with the rows of ``series`` forecast by repeating each one's last season."""
        out = out.copy()
        season = self.schema.season_length
        for sid in series:
            history = self.history_.loc[self.history_[ID] == sid, TARGET].to_numpy(dtype=float)
            last = history[-season:] if len(history) >= season else history[-1:]
            rows = np.flatnonzero((out[ID] == sid).to_numpy())
            out.iloc[rows, out.columns.get_loc("forecast")] = np.resize(last, len(rows))
        return out

    # -- for subclasses -------------------------------------------------------------------
    def _fit(self, history: pd.DataFrame) -> None:
        raise NotImplementedError

    def _update(self, history: pd.DataFrame) -> None:
        """Forecast from ``history``'s end with the estimated model; default: keep it."""

    def _forecast(self, h: int, future: pd.DataFrame) -> pd.DataFrame:
        raise NotImplementedError

    def _future(self, future: pd.DataFrame, h: int) -> pd.DataFrame:
        """``h`` rows per series of ``future``, on the grid after each history's end; rows not
        given (a series asked for fewer steps) carry their known covariates forward."""
        ends = self.history_.groupby(ID, sort=False, observed=True)[TIME].max()
        ids = pd.unique(future[ID])
        missing = set(ids) - set(ends.index)
        if missing:
            raise DataError(f"series {sorted(missing)[:5]} were not in the history given to fit")
        origins = pd.DatetimeIndex(ends.loc[ids].to_numpy())
        steps = [(origins + k * self.schema.offset).to_numpy() for k in range(1, h + 1)]
        times = np.column_stack(steps).ravel() if steps else np.array([], "datetime64[ns]")
        grid = pd.DataFrame({ID: np.repeat(ids, h), TIME: times})
        full = grid.merge(future, on=[ID, TIME], how="left", indicator=True)
        if (full.pop("_merge") == "both").sum() != len(future):  # before any forecasting
            raise DataError("the future rows are not the next steps after each series' history")
        known = list(self.schema.known_covariates)
        if known:
            full[known] = full.groupby(ID, sort=False)[known].ffill()
        return full


def long_frame(X: pd.DataFrame, y) -> pd.DataFrame:
    """``X`` with the target as column ``y``, in series-then-time order."""
    frame = X.copy()
    frame[TARGET] = np.asarray(y, dtype=float)
    return frame.sort_values([ID, TIME], kind="stable").reset_index(drop=True)
