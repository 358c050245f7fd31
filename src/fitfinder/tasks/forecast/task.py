"""Forecasting as a task: a long table of one or many series in, the next ``horizon`` steps out.

Each backtest window is a fold (training rows: each series' history up to the window's cutoff;
validation rows: the next ``horizon`` steps), so the search, the trials, the journal, the
ensemble and the refit run unchanged; the forecasters read the panel from the frame.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fitfinder.data import SplitPlan, as_frame, read_table
from fitfinder.errors import ConfigError, DataError, MissingExtraError
from fitfinder.metrics import get_metric
from fitfinder.tasks.base import Problem, Task, Validation
from fitfinder.tasks.forecast import families
from fitfinder.tasks.forecast import intervals as conformal
from fitfinder.tasks.forecast.data import (
    Panel,
    backtest_blocks,
    backtest_folds,
    prepare_panel,
    series_scales,
)
from fitfinder.tasks.forecast.metrics import METRICS, SCALED
from fitfinder.tasks.forecast.model import ForecastModel, forecasters
from fitfinder.tasks.forecast.schema import ID
from fitfinder.tasks.forecast.series import series_table
from fitfinder.trials import TrialData

TASK = "forecast"
COMBINE_SHARE = 0.5  # an ensemble replaces the best single forecaster when it wins this often


class BacktestPlan(SplitPlan):
    """Rolling-origin windows at the end of every series, oldest first."""

    def describe(self) -> str:
        return f"{len(self.folds)} backtest windows ({self.method}) on {self.n_rows} rows"


@dataclass
class PanelState:
    """What the task keeps between preparing the data and building the model."""

    panel: Panel  # every series
    short: np.ndarray  # rows of series too short to validate (not searched)
    scale: np.ndarray  # MASE scale of each searched row's series
    mse_scale: np.ndarray  # RMSSE scale likewise
    levels: tuple[float, ...]  # quantile levels of the intervals
    searched: Panel  # the series validated and searched
    windows: tuple[int, int]  # backtest windows and the steps between them


class ForecastTask(Task):
    """Time-series forecasting of one series or a panel, with covariates."""

    names = (TASK,)
    fit_keywords = ("target", "time_column", "id_column", "known_covariates")

    def prepare(
        self,
        settings: Any,
        X: Any,
        y: Any = None,
        *,
        target: str | None = None,
        time_column: str | None = None,
        id_column: str | None = None,
        known_covariates: list[str] | tuple[str, ...] = (),
    ) -> Problem:
        if not families.available():
            raise MissingExtraError("forecasting", families.EXTRA)
        # statsforecast compiles its models with numba on first use in each process (AutoCES
        # took 30-80 s here); its on-disk cache makes that a one-time cost per installation.
        # Set before the trial workers start, so they inherit it.
        os.environ.setdefault("NIXTLA_NUMBA_CACHE", "1")
        frame = _table(X, y, target)
        if settings.horizon is None:
            raise ConfigError("forecasting needs a horizon: AutoML(task='forecast', horizon=H)")
        if time_column is None:
            raise ConfigError("forecasting needs the time column: fit(..., time_column='date')")
        panel = prepare_panel(
            frame,
            target=target or "y",
            time_column=time_column,
            id_column=id_column,
            known_covariates=tuple(known_covariates),
            horizon=int(settings.horizon),
            freq=settings.freq,
            seasonal_period=settings.seasonal_period,
            holidays_country=settings.holidays_country,
        )
        short = panel.X[ID].isin(panel.short_series).to_numpy()
        searched = Panel(
            panel.X[~short].reset_index(drop=True), panel.y[~short], panel.schema, [], []
        )
        folds, notes = backtest_folds(searched, settings.n_windows, settings.window_step)
        scale, mse_scale = series_scales(searched, folds)
        metric = get_metric(settings.metric, TASK, settings.greater_is_better, registry=METRICS)
        weight = {"mae": 1 / scale, "mse": 1 / mse_scale}.get(SCALED.get(metric.name))
        h = panel.schema.horizon
        step = settings.window_step or h
        plan = BacktestPlan("backtest", folds, len(searched.X), f"{h} steps each", notes)
        data = TrialData(
            X=searched.X,
            y=searched.y,
            schema=panel.schema,
            task=TASK,
            metric=metric,
            folds=folds,
            sample_weight=weight,
            groups=backtest_blocks(len(searched.X), folds),
            seed=settings.seed,
        )
        levels = _levels(settings.quantile_levels)
        state = PanelState(panel, short, scale, mse_scale, levels, searched, (len(folds), step))
        # forecast combinations beat the single best model more often than not (the M3 and M4
        # competitions), so an ensemble that wins honestly on most resamples is used
        return Problem(
            data, plan, [*panel.notes, *notes], state=state, ensemble_win_share=COMBINE_SHARE
        )

    def second_split(self, problem: Problem, seed: int) -> list | None:
        """As many windows, each half a step earlier (other forecast origins near the end of
        the history), or None when the series are too short for them."""
        state = problem.state
        n, step = state.windows
        offset = max(step // 2, 1)
        try:
            folds, _ = backtest_folds(state.searched, n, step, offset=offset)
        except DataError:
            return None
        return folds

    def model(
        self, problem: Problem, pipeline: Any, info: dict, validation: Validation | None
    ) -> ForecastModel:
        data, state = problem.data, problem.state
        for forecaster in forecasters(pipeline):  # a validated model starts at its cutoff
            forecaster.update(data.X, data.y)
            forecaster.replace_blow_ups_ = True
        backtest = _backtest(problem, validation)
        levels = state.levels
        intervals = coverage = None
        if backtest is not None:
            residual, step, window, f, y, scale, _ = backtest
            h = data.schema.horizon
            intervals = conformal.calibrate(residual, step, window, h, levels)
            coverage = conformal.backtest_coverage(residual, step, window, h, levels, y, f, scale)
        info = {**info, "backtest_intervals": coverage}
        return ForecastModel(
            pipeline=pipeline,
            schema=data.schema,
            metric=data.metric.name,
            intervals=intervals,
            series=series_table(problem, backtest),
            fallback=_fallback(state),
            info=info,
        )

    def add_routes(self, app: Any, folder: Path, settings: Any, metrics: Any) -> str:
        from fitfinder.tasks.forecast.serving import add_routes

        return add_routes(app, folder, settings, metrics)

    def load(self, folder: Path) -> ForecastModel:
        return ForecastModel.load(folder)

    def describe_model(self, model: ForecastModel) -> list[str]:
        lines = []
        coverage = model.info.get("backtest_intervals")
        if coverage:
            lines.append(
                f"{coverage['nominal']:.0%} intervals covered {coverage['coverage']:.0%} of the "
                f"backtest truths (each window calibrated on the others), WQL {coverage['wql']:.4f}"
            )
        short = int(model.series["short"].sum())
        if short:
            lines.append(f"{short} series too short to validate are forecast by seasonal naive")
        return lines


def _levels(levels) -> tuple[float, ...]:
    """The quantile levels asked for (default 0.1 and 0.9), checked to lie in (0, 1)."""
    chosen = tuple(sorted(float(q) for q in (levels or conformal.DEFAULT_LEVELS)))
    if not all(0 < q < 1 for q in chosen):
        raise ConfigError(f"quantile_levels must lie strictly between 0 and 1, got {chosen}")
    return chosen


def _table(X: Any, y: Any, target: str | None) -> pd.DataFrame:
    """The long table, with ``y`` (when given) as its target column."""
    if isinstance(X, str | os.PathLike):
        X = read_table(X)
    frame = as_frame(X)
    if y is not None:
        frame = frame.assign(**{target or "y": np.asarray(y)})
    elif target is None:
        raise ConfigError("give the target: fit(table, target='column', time_column='date')")
    return frame


def _backtest(problem: Problem, validation: Validation | None):
    """Per validated row: scaled residual, horizon step, window, forecast, truth and scale."""
    if validation is None:
        return None
    data = problem.data
    predicted = np.full(len(data.y), np.nan)
    predicted[validation.rows] = validation.predictions
    parts = []
    for window, (_, val) in enumerate(data.folds):
        ids = data.X[ID].to_numpy()[val]
        step = pd.Series(ids).groupby(ids, sort=False).cumcount().to_numpy() + 1
        parts.append((val, step, np.full(len(val), window)))
    rows = np.concatenate([p[0] for p in parts])
    step = np.concatenate([p[1] for p in parts])
    window = np.concatenate([p[2] for p in parts])
    keep = np.isfinite(predicted[rows])
    rows, step, window = rows[keep], step[keep], window[keep]
    if not len(rows):
        return None
    f, y, scale = predicted[rows], data.y[rows], problem.state.scale[rows]
    return (y - f) / scale, step, window, f, y, scale, rows


def _fallback(state: PanelState):
    """A seasonal naive (naive if a series is shorter than a season) forecaster for the short
    series, fitted on their history; None without short series."""
    if not state.short.any():
        return None
    from fitfinder.tasks.forecast.families.baseline import BaselineForecaster

    X, y = state.panel.X[state.short], state.panel.y[state.short]
    shortest = int(X.groupby(ID, observed=True).size().min())
    seasonal = shortest > state.panel.schema.season_length
    method = "seasonal_naive" if seasonal else "naive"
    return BaselineForecaster(schema=state.panel.schema, method=method).fit(X, y)
