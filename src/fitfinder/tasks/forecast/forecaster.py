"""The forecaster contract: a scikit-learn estimator over conformed panel rows.

It lets a forecaster run inside the trial machinery unchanged: a backtest window is a fold
whose training rows are each series' history up to a cutoff and whose validation rows are the
next ``horizon`` steps, so ``fit(X_train, y_train)`` then ``predict(X_val)`` is one window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from fitfinder.errors import DataError
from fitfinder.tasks.forecast.schema import ID, TARGET, TIME, ForecastSchema

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
        out = self._forecast(h, full)
        self._check_sane(out)
        merged = future[[ID, TIME]].merge(out, on=[ID, TIME], how="left")
        values = merged["forecast"].to_numpy(dtype=float)
        if np.isnan(values).any():  # a subclass's _forecast left rows of the grid out
            raise ValueError(f"{type(self).__name__} gave no forecast for some rows")
        return values

    def _check_sane(self, out: pd.DataFrame) -> None:
        """ValueError for forecasts that are not finite or that blew up: further than
        ``BLOW_UP`` times a series' historical range outside that range. The trial then fails,
        so an unstable model is dropped from the search and the ensemble, never averaged in."""
        values = out["forecast"].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise ValueError(f"{type(self).__name__} gave non-finite forecasts")
        bounds = self.history_.groupby(ID, sort=False, observed=True)[TARGET].agg(["min", "max"])
        low, high = (bounds[c].reindex(out[ID]).to_numpy() for c in ("min", "max"))
        span = np.maximum(high - low, np.maximum(np.abs(high), 1e-9))
        wild = (values < low - BLOW_UP * span) | (values > high + BLOW_UP * span)
        if wild.any():
            raise ValueError(
                f"{type(self).__name__} blew up: forecast {values[wild][0]:.4g} lies far outside "
                f"its series' history [{low[wild][0]:.4g}, {high[wild][0]:.4g}]"
            )

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
