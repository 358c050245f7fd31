"""The frequency and the seasonal periods of a panel: a given ``freq`` parsed or one inferred
from the times; the seasonal periods given or natural to the frequency, kept when the longest
series covers them twice.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from fitfinder.errors import ConfigError, DataError
from fitfinder.tasks.forecast.data.grid import Grid, step_ns
from fitfinder.tasks.forecast.data.rows import Long, layout_codes

SAMPLED = 300  # series (or runs of three times) whose times vote on the frequency
GRID_SHARE = 0.9  # share of times a fallback frequency must put on its grid
DAY_NS = 86_400 * 10**9
WEEK_NS = 7 * DAY_NS
_O = pd.offsets
#: calendar offsets -> their steps in one natural cycle (a week for business days, else a year)
CYCLES = (
    ((_O.BusinessDay,), 5),
    ((_O.Week,), 52),
    ((_O.SemiMonthBegin, _O.SemiMonthEnd), 24),
    (
        (
            _O.MonthBegin,
            _O.MonthEnd,
            _O.BusinessMonthBegin,
            _O.BusinessMonthEnd,
            _O.CustomBusinessMonthBegin,
            _O.CustomBusinessMonthEnd,
        ),
        12,
    ),
    ((_O.QuarterBegin, _O.QuarterEnd, _O.BQuarterBegin, _O.BQuarterEnd, _O.FY5253Quarter), 4),
)


def parse_offset(freq: str) -> pd.DateOffset:
    try:
        offset = to_offset(freq)
    except (ValueError, TypeError) as error:
        close = re.search(r"Did you mean (\w+)\?", str(error))
        hint = f"did you mean {close[1]!r}?" if close else "give e.g. 'D', 'h' or 'MS'"
        raise ConfigError(f"freq {freq!r} is not a pandas frequency; {hint}") from error
    if offset.n < 1:
        raise ConfigError(f"freq {freq!r} must step forward in time; give e.g. 'D' or 'h'")
    return offset


def given_periods(value: int | Sequence[int]) -> tuple[int, ...]:
    periods = np.atleast_1d(np.asarray(value, dtype=object)).tolist()
    if not periods or any(
        isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 1 for p in periods
    ):
        raise ConfigError(
            f"seasonal_period must be whole numbers of steps >= 1, got {value!r}; "
            "give e.g. seasonal_period=12 or [24, 168]"
        )
    return tuple(dict.fromkeys(int(p) for p in periods))


def _infer(times: np.ndarray) -> str | None:
    with warnings.catch_warnings():  # pandas 4 will return an offset instead of a string
        warnings.simplefilter("ignore")
        found = pd.infer_freq(pd.DatetimeIndex(times))
    return None if found is None else to_offset(found).freqstr


def _vote(data: Long, starts: np.ndarray, lengths: np.ndarray) -> pd.DateOffset | None:
    """The frequency inferred most often on (a sample of) the given runs of rows."""
    if not len(starts):
        return None
    picked = np.unique(np.linspace(0, len(starts) - 1, min(SAMPLED, len(starts))).astype(int))
    votes = Counter(
        _infer(data.times[s : s + n]) for s, n in zip(starts[picked], lengths[picked], strict=True)
    )
    votes.pop(None, None)
    return to_offset(votes.most_common(1)[0][0]) if votes else None


def infer_frequency(data: Long, time_column: str) -> pd.DateOffset:
    """Each series' frequency (most common wins); for irregular series, the most common gap or
    the most common frequency of runs of three times, if it puts most times on its grid."""
    starts, lengths = layout_codes(data.codes)
    enough = lengths >= 3
    found = _vote(data, starts[enough], lengths[enough])
    if found is not None:
        return found
    for candidate in (_common_gap(data), _run_vote(data)):
        if candidate is not None and (Grid(candidate, data.times).steps(data) >= 0).mean() >= (
            GRID_SHARE
        ):
            return candidate
    raise DataError(
        f"cannot infer the frequency of column {time_column!r} (irregular times); give freq=, "
        "e.g. 'D' or 'h'"
    )


def _common_gap(data: Long) -> pd.DateOffset | None:
    gaps = np.diff(data.times.view(np.int64))[data.codes[1:] == data.codes[:-1]]
    if not len(gaps):
        return None
    values, counts = np.unique(gaps, return_counts=True)
    return _fixed_offset(int(values[np.argmax(counts)]))


def _run_vote(data: Long) -> pd.DateOffset | None:
    runs = np.flatnonzero(data.codes[2:] == data.codes[:-2])
    return _vote(data, runs, np.full(len(runs), 3))


def _fixed_offset(ns: int) -> pd.DateOffset:
    return to_offset(f"{ns // DAY_NS}D" if ns % DAY_NS == 0 else pd.Timedelta(ns))


def _natural_periods(offset: pd.DateOffset) -> tuple[int, ...]:
    """Steps per day and per week for fixed frequencies, per cycle for calendar ones."""
    step = step_ns(offset)
    if step is not None:
        periods = tuple(s // step for s in (DAY_NS, WEEK_NS) if s % step == 0 and s > step)
        return periods or ((52,) if step == WEEK_NS else ())
    for kinds, cycle in CYCLES:
        if isinstance(offset, kinds) and cycle % offset.n == 0 and cycle > offset.n:
            return (cycle // offset.n,)
    return ()


def seasonal_periods(
    given: tuple[int, ...] | None, offset: pd.DateOffset, longest: int
) -> tuple[tuple[int, ...], list[str]]:
    """The given or natural periods that the longest series covers at least twice."""
    candidates = given if given is not None else _natural_periods(offset)
    kept = tuple(p for p in candidates if 2 * p <= longest) or (1,)
    source = "given" if given is not None else f"from the frequency {offset.freqstr!r}"
    notes = [f"seasonal periods {list(kept)} ({source})"]
    dropped = [p for p in candidates if p not in kept]
    if dropped:
        notes.append(
            f"seasonal periods {dropped} dropped: the longest series ({longest} points) does "
            "not cover them twice"
        )
    return kept, notes
