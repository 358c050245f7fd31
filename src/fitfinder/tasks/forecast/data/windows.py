"""Validation of a panel: the history a series needs (``min_history``), which series are too
short to validate, the rolling-origin backtest windows, and each series' MASE and RMSSE scales.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fitfinder.errors import ConfigError, DataError
from fitfinder.tasks.forecast.data.read import check_count
from fitfinder.tasks.forecast.data.rows import Long, Panel, layout_codes
from fitfinder.tasks.forecast.schema import ID, ForecastSchema

DEFAULT_WINDOWS = 3
MAX_DEFAULT_WINDOWS = 7


def min_history(schema: ForecastSchema) -> int:
    """The fewest points a series needs to train on before a validation window."""
    return max(2 * schema.season_length, 8)


def default_windows(schema: ForecastSchema, step: int) -> int:
    """The backtest windows wanted when ``n_windows`` is not given: enough windows ``step``
    apart to cover the longest seasonal period once, at least ``DEFAULT_WINDOWS`` and at most
    ``MAX_DEFAULT_WINDOWS``.

    With half-hourly data (periods 48 and 336) and a day's horizon that is 7 windows, one per
    weekday: three consecutive days let one unusual day (a holiday, a weekend) decide the
    model and the intervals. On six pseudo-test days cut from the training part of
    vic_elec_demand and taylor_electricity (20 s fits), 7 windows instead of 3 took the mean
    MASE from 0.96 to 0.80 (seasonal naive: 0.80) and from 1.35 to 1.17 (1.30). The cap keeps a
    short horizon under a long season (hourly data, ``h=1``) from multiplying the cost of every
    trial.
    """
    longest = max(schema.seasonal_periods)
    return min(MAX_DEFAULT_WINDOWS, max(DEFAULT_WINDOWS, -(-longest // step)))


def short_series(
    data: Long, lengths: np.ndarray, schema: ForecastSchema
) -> tuple[list[str], list[str]]:
    h, need = schema.horizon, min_history(schema)
    longest = int(lengths.max())
    if longest < h + need:
        hint = (
            f"give a horizon of at most {longest - need}" if longest > need else "give more history"
        )
        raise DataError(
            f"horizon {h} is longer than the data allows: the longest series has {longest} "
            f"points and needs {h} + {need} ({need} for training); {hint}"
        )
    short = [str(s) for s in data.ids[lengths < h + need]]
    if not short:
        return [], []
    return short, [
        f"{len(short)} series too short to validate (fewer than {h + need} points) fall back "
        "to the seasonal naive forecast"
    ]


def backtest_folds(
    panel: Panel, n_windows: int | None = None, step: int | None = None, offset: int = 0
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[str]]:
    """Rolling-origin windows at the end of each series, oldest first: (train rows, validation
    rows) of ``panel.X`` per window, and notes. A series takes part in a window only when it
    has ``min_history`` points before it. ``offset`` moves every window that many steps back
    from the end (a second set of windows for rechecking near ties)."""
    h = panel.schema.horizon
    step = h if step is None else step
    check_count(step, "window_step", f"e.g. window_step={h}")
    if step < h:
        raise ConfigError(
            f"window_step {step} is shorter than the horizon {h}: validation windows would "
            f"overlap; give at least {h}"
        )
    starts, lengths = _layout(panel.X)
    need = min_history(panel.schema)
    longest = int(lengths.max()) - offset
    fit = (longest - h - need) // step + 1
    if fit < 1:
        raise DataError(
            f"the longest series has {longest} points, too few for one backtest window of "
            f"{h} steps after {need} training points; give a shorter horizon or more history"
        )
    wanted = default_windows(panel.schema, step)
    n = _window_count(n_windows, fit, longest, h, step, need, wanted)
    folds = []
    for k in reversed(range(n)):
        cut = lengths - offset - k * step - h
        part = cut >= need
        train = _ranges(starts[part], cut[part])
        val = _ranges(starts[part] + cut[part], np.full(int(part.sum()), h))
        folds.append((train, val))
    notes = [f"{n} backtest windows of {h} steps, {step} steps apart, at the end of each series"]
    if n_windows is None and n < wanted:
        notes.append(f"only {n} backtest windows fit: the longest series has {longest} points")
    partial = int((lengths - offset - (n - 1) * step - h < need).sum())
    if partial:
        notes.append(f"{partial} series too short for the oldest windows skip them")
    return folds, notes


def backtest_blocks(n_rows: int, folds) -> np.ndarray:
    """Per row: its block, the (window, series) whose forecast it belongs to; -1 for rows
    validated in no window. The rows of a block share one forecast origin, so they are not
    independent draws: the ensemble's honest halves and bootstraps resample whole blocks."""
    blocks = np.full(n_rows, -1, dtype=np.int64)
    for window, (_, val) in enumerate(folds):
        # validation rows are each series' run of h rows, series after series
        run = np.cumsum(np.r_[True, np.diff(val) != 1]) - 1
        blocks[val] = window * n_rows + run
    return blocks


def series_scales(panel: Panel, folds) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``panel.X``: the MASE and RMSSE scales of its series, the mean absolute and
    squared seasonal-naive errors of the history before the series' first validation row."""
    starts, lengths = _layout(panel.X)
    codes = np.repeat(np.arange(len(starts)), lengths)
    pos = np.arange(len(codes)) - np.repeat(starts, lengths)
    cutoff = lengths.copy()
    if folds:
        val = np.concatenate([v for _, v in folds])
        first = pd.Series(pos[val]).groupby(codes[val]).min()
        cutoff[first.index.to_numpy()] = first.to_numpy()
    y = np.asarray(panel.y, dtype=float)
    seasonal = _naive_errors(y, codes, pos, cutoff, panel.schema.season_length)
    naive = _naive_errors(y, codes, pos, cutoff, 1)
    history = pos < cutoff[codes]
    level = [_group_mean(v[history], codes[history], len(starts)) for v in (np.abs(y), y**2)]
    mae = _first_usable(seasonal[0], naive[0], level[0])
    mse = _first_usable(seasonal[1], naive[1], level[1])
    return mae[codes], mse[codes]


def _layout(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    ids = X[ID].to_numpy(dtype=object)
    if not len(ids):
        raise DataError("the panel has no rows; give at least one series")
    return layout_codes(ids)


def _window_count(
    n_windows: int | None, fit: int, longest: int, h: int, step: int, need: int, wanted: int
) -> int:
    if n_windows is None:
        return min(wanted, fit)
    check_count(n_windows, "n_windows", "e.g. n_windows=3")
    if n_windows > fit:
        raise DataError(
            f"n_windows={n_windows} is more than the data holds: the longest series "
            f"({longest} points) fits {fit} windows of {h} steps, {step} apart, after {need} "
            f"training points; give n_windows={fit} or fewer"
        )
    return n_windows


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(start, start + length)`` over the pairs, as int64."""
    lengths = np.asarray(lengths, dtype=np.int64)
    before = np.cumsum(lengths) - lengths
    return (np.repeat(starts - before, lengths) + np.arange(lengths.sum())).astype(np.int64)


def _group_mean(values: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    count = np.bincount(codes, minlength=n)
    total = np.bincount(codes, weights=values, minlength=n)
    return np.divide(total, count, out=np.full(n, np.nan), where=count > 0)


def _naive_errors(
    y: np.ndarray, codes: np.ndarray, pos: np.ndarray, cutoff: np.ndarray, lag: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per series: mean absolute and squared error of the naive forecast ``lag`` steps back,
    over the rows before its cutoff (NaN without any)."""
    rows = np.flatnonzero((pos >= lag) & (pos < cutoff[codes]))
    error = y[rows] - y[rows - lag]
    n = len(cutoff)
    return _group_mean(np.abs(error), codes[rows], n), _group_mean(error**2, codes[rows], n)


def _first_usable(*candidates: np.ndarray) -> np.ndarray:
    """Per series, the first candidate that is finite and positive (else 1.0)."""
    out = np.ones(len(candidates[0]))
    for values in reversed(candidates):
        out = np.where(np.isfinite(values) & (values > 0), values, out)
    return out
