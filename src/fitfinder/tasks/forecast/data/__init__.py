"""The forecasting data: a long table of one or many series checked, put on a regular time grid
and conformed (see ``schema``); then the backtest windows and the series' error scales.

The modules, each building on those before it:

- ``rows``: the containers, ``Panel`` and the sorted rows being conformed (``Long``);
- ``read``: reading and checking a table's columns, times, target, duplicates and roles;
- ``grid``: the time grid of a frequency and regularising the series onto it;
- ``frequency``: a given or inferred frequency, and the seasonal periods;
- ``windows``: ``min_history``, short series, backtest windows and series scales;
- ``future``: the rows to forecast (``conform_future``);
- ``panel``: ``prepare_panel`` and ``conform_history``.
"""

from fitfinder.tasks.forecast.data.future import conform_future
from fitfinder.tasks.forecast.data.panel import conform_history, prepare_panel
from fitfinder.tasks.forecast.data.read import SINGLE_ID
from fitfinder.tasks.forecast.data.rows import Panel
from fitfinder.tasks.forecast.data.windows import (
    backtest_blocks,
    backtest_folds,
    min_history,
    series_scales,
)

__all__ = [
    "SINGLE_ID",
    "Panel",
    "backtest_blocks",
    "backtest_folds",
    "conform_future",
    "conform_history",
    "min_history",
    "prepare_panel",
    "series_scales",
]
