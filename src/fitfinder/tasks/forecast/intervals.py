"""Conformal forecast intervals from the backtest residuals.

The final model's backtest errors, divided by their series' scale (so a panel's series pool
their evidence), give per horizon step a spread (the mean absolute scaled error, made
non-decreasing: a later step is never surer than an earlier one) and, pooled over steps, the
quantiles of the error in units of that spread. A quantile forecast at level ``q`` is then
``forecast + Q(q) * spread[step] * scale``: split conformal prediction (Vovk et al. 2005;
statsforecast and mlforecast use the same idea per step, which needs more windows than a short
budget affords, hence the pooling). Coverage is measured honestly: each backtest window scored
with intervals calibrated on the other windows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fitfinder.tasks.forecast.metrics import weighted_quantile_loss

DEFAULT_LEVELS = (0.1, 0.9)
_FLOOR = 1e-9


@dataclass(frozen=True)
class Intervals:
    """Calibrated quantile offsets: ``spread[k]`` for step ``k + 1``, ``offsets[q]`` per level."""

    spread: tuple[float, ...]
    offsets: dict[float, float]

    def quantiles(
        self, forecast: np.ndarray, step: np.ndarray, scale: np.ndarray
    ) -> dict[float, np.ndarray]:
        """Quantile forecasts per level for rows at 1-based horizon ``step`` of series with
        ``scale``."""
        spread = np.asarray(self.spread)[np.minimum(step, len(self.spread)) - 1] * scale
        return {q: forecast + offset * spread for q, offset in self.offsets.items()}

    def to_dict(self) -> dict:
        return {
            "spread": list(self.spread),
            "offsets": {str(q): o for q, o in self.offsets.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> Intervals:
        offsets = {float(q): float(o) for q, o in data["offsets"].items()}
        return cls(tuple(data["spread"]), offsets)


def calibrate(residual: np.ndarray, step: np.ndarray, horizon: int, levels) -> Intervals:
    """Intervals from scaled residuals (truth minus forecast, over the series' scale) at their
    1-based horizon steps."""
    spread = np.full(horizon, np.nan)
    for k in range(1, horizon + 1):
        at = np.abs(residual[step == k])
        spread[k - 1] = at.mean() if len(at) else np.nan
    spread = _fill(spread)
    normalised = residual / spread[step - 1]
    offsets = {float(q): float(np.quantile(normalised, q)) for q in sorted(levels)}
    return Intervals(tuple(float(s) for s in spread), offsets)


def backtest_coverage(
    residual: np.ndarray, step: np.ndarray, window: np.ndarray, horizon: int, levels, y, f, scale
) -> dict | None:
    """Each window scored with intervals calibrated on the others: the share of truths inside
    the outermost levels' interval, and the WQL; None with a single window."""
    windows = np.unique(window)
    if len(windows) < 2:
        return None
    inside, wql = [], []
    for w in windows:
        held = window == w
        fitted = calibrate(residual[~held], step[~held], horizon, levels)
        q = fitted.quantiles(f[held], step[held], scale[held])
        low, high = q[min(q)], q[max(q)]
        inside.append(np.mean((y[held] >= low) & (y[held] <= high)))
        wql.append(weighted_quantile_loss(y[held], q))
    return {
        "coverage": float(np.mean(inside)),
        "nominal": float(max(levels) - min(levels)),
        "wql": float(np.mean(wql)),
        "windows": len(windows),
    }


def _fill(spread: np.ndarray) -> np.ndarray:
    """Steps without residuals take the nearest earlier step's spread; non-decreasing; floored."""
    known = np.where(np.isfinite(spread))[0]
    if not len(known):
        return np.ones_like(spread)
    first = spread[known[0]]
    filled = np.where(np.isfinite(spread), spread, np.nan)
    filled[: known[0]] = first
    for k in range(1, len(filled)):
        if not np.isfinite(filled[k]):
            filled[k] = filled[k - 1]
    return np.maximum(np.maximum.accumulate(filled), _FLOOR)
