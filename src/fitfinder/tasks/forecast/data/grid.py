"""The time grid of a frequency and the regularisation of a panel onto it.

Every series is reindexed to the full grid of the frequency from its first to its last observed
target: missing interior targets are interpolated linearly, covariates carried forward (then
backward) within the series.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.api.extensions import take

from fitfinder.errors import DataError
from fitfinder.tasks.forecast.data.rows import Long, layout_codes

MAX_GROWTH = 20  # a grid may hold at most this many times the rows given


def step_ns(offset: pd.DateOffset) -> int | None:
    """The offset's length in nanoseconds when it is fixed (ticks and days), else None."""
    try:
        return int(pd.Timedelta(offset).value)
    except (ValueError, TypeError):
        return None


class Grid:
    """The times of a frequency counted from each series' first time: fixed steps, or the
    calendar of the offset (its times over the panel's span)."""

    def __init__(self, offset: pd.DateOffset, times: np.ndarray):
        self.offset = offset
        self.step = step_ns(offset)
        if self.step is None:
            base = offset.base
            start = base.rollback(pd.Timestamp(times.min()))
            self.calendar = pd.date_range(start, pd.Timestamp(times.max()), freq=base)
            self.calendar = self.calendar.as_unit("ns").to_numpy()

    def steps(self, data: Long) -> np.ndarray:
        """Each row's step from its series' first time; -1 for a time off the grid."""
        starts, lengths = layout_codes(data.codes)
        first = np.repeat(starts, lengths)
        if self.step is not None:
            ns = data.times.view(np.int64)
            since = ns - ns[first]
            return np.where(since % self.step == 0, since // self.step, -1)
        pos = np.searchsorted(self.calendar, data.times)
        on = self.calendar[np.minimum(pos, len(self.calendar) - 1)] == data.times
        since = pos - pos[first]
        on &= on[first] & (since % self.offset.n == 0)
        return np.where(on, since // self.offset.n, -1)

    def times(self, anchors: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """The times ``steps`` steps after ``anchors`` (times on the grid)."""
        if self.step is not None:
            return anchors + (steps * self.step).astype("timedelta64[ns]")
        return self.calendar[np.searchsorted(self.calendar, anchors) + steps * self.offset.n]


def regularize(
    data: Long, offset: pd.DateOffset, time_column: str, known: Sequence[str]
) -> tuple[Long, list[str]]:
    """Each series on the full grid between its first and last observed target, the target
    interpolated, the covariates filled."""
    grid = Grid(offset, data.times)
    steps = grid.steps(data)
    off = np.flatnonzero(steps < 0)
    if len(off):
        raise DataError(
            f"time {pd.Timestamp(data.times[off[0]])} of series {data.series_name(off[0])!r} "
            f"is not on the {offset.freqstr!r} grid of column {time_column!r} "
            f"({len(off)} such rows); fix the times or give the right freq="
        )
    data, steps, notes = _trim(data, steps)
    rows_start, rows_count = layout_codes(data.codes)
    first = steps[rows_start]
    lengths = steps[rows_start + rows_count - 1] - first + 1
    rows, total = len(data.codes), int(lengths.sum())
    if total > MAX_GROWTH * rows:
        raise DataError(
            f"the {offset.freqstr!r} grid of column {time_column!r} would turn {rows} rows into "
            f"{total}; check the times or give the right freq="
        )
    starts = np.cumsum(lengths) - lengths
    codes = np.repeat(np.arange(len(lengths)), lengths)
    anchors = np.repeat(data.times[rows_start], lengths)
    times = grid.times(anchors, np.arange(total) - np.repeat(starts, lengths))
    dest = starts[data.codes] + steps - first[data.codes]
    y = np.full(total, np.nan)
    y[dest] = data.y
    source = np.full(total, -1)
    source[dest] = np.arange(rows)
    columns = pd.DataFrame(
        {c: take(v.array, source, allow_fill=True) for c, v in data.columns.items()},
        index=pd.RangeIndex(total),
        columns=data.columns.columns,
    )
    out = Long(data.ids, codes, times, y, columns)
    notes += _interpolate(out, total - rows)
    fill(out, known)
    return out, notes


def _trim(data: Long, steps: np.ndarray) -> tuple[Long, np.ndarray, list[str]]:
    """Rows before the first or after the last observed target of their series dropped, and
    the series without any observed target."""
    observed = ~np.isnan(data.y)
    if observed.all():
        return data, steps, []
    if not observed.any():
        raise DataError("the target is missing in every row; give a table with target values")
    ends = pd.Series(steps[observed]).groupby(data.codes[observed]).agg(["min", "max"])
    n_series = len(data.ids)
    low = np.full(n_series, np.iinfo(np.int64).max)
    high = np.full(n_series, -1)
    low[ends.index.to_numpy()] = ends["min"].to_numpy()
    high[ends.index.to_numpy()] = ends["max"].to_numpy()
    keep = (steps >= low[data.codes]) & (steps <= high[data.codes])
    kept = high >= 0
    recode = np.cumsum(kept) - 1
    trimmed = Long(
        data.ids[kept],
        recode[data.codes[keep]],
        data.times[keep],
        data.y[keep],
        data.columns[keep].reset_index(drop=True),
    )
    notes = []
    dropped = [str(s) for s in data.ids[~kept]]
    if dropped:
        notes.append(f"{len(dropped)} series without any target value dropped: {dropped[:5]}")
    cut = int((~keep).sum() - (~kept[data.codes]).sum())
    if cut:
        notes.append(f"{cut} rows before the first or after the last target of a series dropped")
    return trimmed, steps[keep], notes


def _interpolate(data: Long, inserted: int) -> list[str]:
    """Fill the missing targets linearly within their series (each starts and ends observed,
    so interpolating over the whole column never crosses two series)."""
    missing = np.isnan(data.y)
    if not missing.any():
        return []
    at = np.arange(len(data.y))
    data.y[missing] = np.interp(at[missing], at[~missing], data.y[~missing])
    notes = [f"{int(missing.sum())} missing target values interpolated linearly"]
    if inserted:
        notes.insert(0, f"{inserted} missing time steps added as rows")
    return notes


def fill(data: Long, known: Sequence[str]) -> None:
    """Carry the columns forward then backward within each series (in place); DataError when
    a known covariate stays missing."""
    columns = data.columns
    gaps = [c for c in columns.columns if columns[c].isna().any()]
    if not gaps:
        return
    columns[gaps] = columns[gaps].groupby(data.codes).ffill().groupby(data.codes).bfill()
    for name in known:
        missing = np.flatnonzero(columns[name].isna().to_numpy())
        if len(missing):
            raise DataError(
                f"known covariate {name!r} has no value at all in series "
                f"{data.series_name(missing[0])!r}; give its values or remove it from "
                "known_covariates"
            )
