"""An N-HiTS network (Challu et al. 2023, "N-HiTS: Neural Hierarchical Interpolation for Time
Series Forecasting"): a stack of MLP blocks over the last ``input_size`` values of a series.

Each block max-pools its input at its own rate, and its MLP predicts a full-resolution backcast
and ``ceil(horizon / rate)`` forecast knots, linearly interpolated to the horizon. A block sees
the input minus the earlier blocks' backcasts; the forecast is the last input value (the naive
level, as in the reference implementation) plus every block's forecast, all ``horizon`` steps
at once.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class NHiTSBlock(nn.Module):
    """One block: pool at ``rate``, an MLP, a backcast and interpolated forecast knots."""

    def __init__(
        self, input_size: int, horizon: int, rate: int, hidden: int, layers: int, dropout: float
    ):
        super().__init__()
        kernel = min(rate, input_size)
        self.pool = nn.MaxPool1d(kernel, stride=kernel, ceil_mode=True)
        self.input_size, self.horizon = input_size, horizon
        n_knots = max(1, math.ceil(horizon / rate))
        width, body = math.ceil(input_size / kernel), []
        for _ in range(layers):
            body += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden
        self.mlp = nn.Sequential(*body, nn.Linear(width, input_size + n_knots))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(backcast of ``x``, forecast) for inputs ``x`` of shape (batch, input_size)."""
        theta = self.mlp(self.pool(x.unsqueeze(1)).squeeze(1))
        backcast, knots = theta[:, : self.input_size], theta[:, self.input_size :]
        forecast = F.interpolate(knots.unsqueeze(1), size=self.horizon, mode="linear")
        return backcast, forecast.squeeze(1)


class NHiTS(nn.Module):
    """``n_blocks`` blocks per rate in ``rates`` (one stack per rate, coarse to fine)."""

    def __init__(
        self,
        input_size: int,
        horizon: int,
        rates: tuple[int, ...],
        n_blocks: int,
        hidden: int,
        layers: int,
        dropout: float,
    ):
        super().__init__()
        self.horizon = horizon
        self.blocks = nn.ModuleList(
            NHiTSBlock(input_size, horizon, rate, hidden, layers, dropout)
            for rate in rates
            for _ in range(n_blocks)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The (batch, horizon) forecast after the (batch, input_size) window ``x``."""
        forecast = x[:, -1:].expand(-1, self.horizon)
        for block in self.blocks:
            backcast, part = block(x)
            x, forecast = x - backcast, forecast + part
        return forecast
