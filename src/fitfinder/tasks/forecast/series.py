"""The per-series table of a forecast model: each series' scale, last timestamp, whether it is
too short to validate, and its backtest MASE beside seasonal naive's on the same windows (the
per-series leaderboard)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fitfinder.tasks.forecast.schema import ID, TIME

if TYPE_CHECKING:
    from fitfinder.tasks.base import Problem


def series_table(problem: Problem, backtest) -> pd.DataFrame:
    """Per series (indexed by ``unique_id``): ``end``, ``short``, ``scale`` and, when the model
    was validated, ``backtest_mase`` and ``seasonal_naive_mase``."""
    state = problem.state
    X = state.panel.X
    table = X.groupby(ID, observed=True)[TIME].max().rename("end").to_frame()
    table["short"] = table.index.isin(state.panel.short_series)
    searched = problem.data.X
    scales = pd.Series(state.scale, index=searched[ID]).groupby(level=0, observed=True).first()
    table["scale"] = scales.reindex(table.index)
    if table["short"].any():
        short = table.index[table["short"]]
        table.loc[short, "scale"] = _short_scales(state).reindex(short).to_numpy()
    if backtest is not None:
        residual, *_, rows = backtest
        table["backtest_mase"] = _per_series(searched[ID].to_numpy()[rows], np.abs(residual))
        table["seasonal_naive_mase"] = _seasonal_naive_mase(problem)
    return table


def series_leaderboard(series: pd.DataFrame) -> pd.DataFrame:
    """Validated series, worst backtest MASE first, with seasonal naive's beside it and their
    ratio (below 1: the model beats seasonal naive on that series)."""
    if "backtest_mase" not in series.columns:
        return pd.DataFrame(columns=["series", "backtest_mase", "seasonal_naive_mase", "ratio"])
    board = series.loc[~series["short"], ["backtest_mase", "seasonal_naive_mase"]].copy()
    board["ratio"] = board["backtest_mase"] / board["seasonal_naive_mase"]
    board = board.sort_values("backtest_mase", ascending=False, kind="stable")
    return board.rename_axis("series").reset_index()


def _seasonal_naive_mase(problem: Problem) -> pd.Series:
    """Each searched series' MASE of seasonal naive over the same backtest windows."""
    from fitfinder.tasks.forecast.families.baseline import BaselineForecaster

    data = problem.data
    ids, errors = [], []
    for train, val in data.folds:
        naive = BaselineForecaster(schema=data.schema).fit(data.X.iloc[train], data.y[train])
        forecast = naive.predict(data.X.iloc[val])
        errors.append(np.abs(data.y[val] - forecast) / problem.state.scale[val])
        ids.append(data.X[ID].to_numpy()[val])
    return _per_series(np.concatenate(ids), np.concatenate(errors))


def _per_series(ids: np.ndarray, values: np.ndarray) -> pd.Series:
    return pd.Series(values).groupby(ids).mean()


def _short_scales(state) -> pd.Series:
    """Short series' interval unit: the mean absolute step-to-step change of their history."""
    X = state.panel.X
    short = X[ID].isin(state.panel.short_series)
    y = pd.Series(state.panel.y[short.to_numpy()], index=X.loc[short, ID].to_numpy())
    change = y.groupby(level=0, observed=True).diff().abs()
    return change.groupby(level=0, observed=True).mean().fillna(1.0).replace(0.0, 1.0)
