"""The containers of forecasting data: ``Panel`` (a checked and conformed panel) and ``Long``
(rows sorted by series then time, on their way from a user's table to a panel), with the layout
of their series and the conversion of ``Long`` rows to a conformed frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fitfinder.tasks.forecast.schema import ID, TIME, ForecastSchema


@dataclass
class Panel:
    """A conformed panel: ``X`` (see ``schema``), its target ``y``, what was done to the data
    (``notes``) and the series too short to validate (``short_series``)."""

    X: pd.DataFrame
    y: np.ndarray
    schema: ForecastSchema
    notes: list[str]
    short_series: list[str]


@dataclass
class Long:
    """Rows sorted by series then time: ``codes`` index ``ids`` (sorted names)."""

    ids: np.ndarray
    codes: np.ndarray
    times: np.ndarray  # datetime64[ns]
    y: np.ndarray | None  # None for future rows
    columns: pd.DataFrame  # covariate and static columns, index 0..n-1

    def series_name(self, row: int) -> str:
        return str(self.ids[self.codes[row]])


def layout_codes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First row and length of each run of equal sorted ``codes``."""
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    return starts, np.diff(np.r_[starts, len(codes)])


def conformed(data: Long, names: Sequence[str]) -> pd.DataFrame:
    """``unique_id``, ``ds`` and the columns ``names``, index 0..n-1."""
    head = pd.DataFrame(
        {ID: pd.array(data.ids, dtype="str").take(data.codes), TIME: data.times},
        index=data.columns.index,
    )
    return pd.concat([head, data.columns[list(names)]], axis=1).reset_index(drop=True)
