"""NHiTSForecaster: one N-HiTS network trained on windows of every series of a panel.

Training windows (``input_size`` values, then ``horizon`` targets) are drawn uniformly from all
series. Every series is left-padded with its first value, so one shorter than ``input_size +
horizon`` still gives windows as long as it has more than ``horizon`` points. Each window is
scaled by its input (``mean_abs``: divided by its mean absolute value; ``standard``: centred
and divided by its standard deviation) and the loss (``mae`` or ``mse``) is taken on the scaled
values. The last ``horizon`` points of every series are held out to validate on every
``CHECK_EVERY`` steps; training stops after ``PATIENCE`` rounds without improvement, at
``max_steps`` or at ``time_limit`` seconds, keeping the best weights (a panel too short to hold
points out trains on all of them, its training loss standing in).

Covariates are not read: the network sees the target's history only (the global forecasters
handle known and static covariates).

After ``fit``: ``net_``, ``input_size_``, ``curve_`` (per round ``{"epoch", "step",
"train_loss", "val_loss", "seconds"}``, an epoch being a round of ``CHECK_EVERY`` steps),
``best_epoch_`` and ``stopped_by_`` (``max_steps``, ``patience``, ``time_limit`` or
``diverged``).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from fitfinder.errors import DataError, ModelError
from fitfinder.estimators.neural.training import (
    REGRESSION_LOSSES,
    Outcome,
    TrainSettings,
    _copy_state,
    _epoch,
    _stop_reason,
    lr_factor,
    make_optimizer,
    warm_up,
)
from fitfinder.tasks.forecast.forecaster import Forecaster
from fitfinder.tasks.forecast.neural.model import NHiTS
from fitfinder.tasks.forecast.schema import ID, TARGET, TIME, ForecastSchema

CHECK_EVERY = 25  # training steps per validation round
PATIENCE = 10  # rounds without a better validation loss before training stops
MIN_RELATIVE_SCALE = 0.01  # a window's scale is at least this share of its mean absolute value

Pair = tuple[torch.Tensor, torch.Tensor]  # (inputs, targets)


class NHiTSForecaster(Forecaster):
    """Global N-HiTS forecaster. ``pooling`` ("8-4-1") gives one stack per rate, each of
    ``n_blocks`` blocks: the rate is both the block's pooling kernel and its forecast's
    downsampling factor. The input window is ``input_size_factor`` x the horizon.
    ``n_threads`` sets ``torch.set_num_threads`` during ``fit``."""

    def __init__(
        self,
        schema: ForecastSchema | None = None,
        *,
        input_size_factor: int = 3,
        n_blocks: int = 1,
        hidden: int = 256,
        layers: int = 2,
        pooling: str = "4-2-1",
        dropout: float = 0.0,
        lr: float = 1e-3,
        batch_size: int = 256,
        max_steps: int = 1000,
        loss: str = "mae",
        scaler: str = "mean_abs",
        time_limit: float | None = None,
        n_threads: int | None = None,
        random_state: int = 0,
    ):
        super().__init__(schema)
        self.input_size_factor = input_size_factor
        self.n_blocks = n_blocks
        self.hidden = hidden
        self.layers = layers
        self.pooling = pooling
        self.dropout = dropout
        self.lr = lr
        self.batch_size = batch_size
        self.max_steps = max_steps
        self.loss = loss
        self.scaler = scaler
        self.time_limit = time_limit
        self.n_threads = n_threads
        self.random_state = random_state

    def _fit(self, history: pd.DataFrame) -> None:
        warm_up()  # before the clock starts
        started = time.perf_counter()
        threads = torch.get_num_threads()
        if self.n_threads:
            torch.set_num_threads(self.n_threads)
        try:
            outcome = self._train(_series(history)[1], started)
        finally:
            torch.set_num_threads(threads)
        if outcome.steps == 0:
            raise ModelError(
                f"nhits: no training step fitted in its time limit ({self.time_limit:.3g} s); "
                "give the trial more time"
            )
        if outcome.best_epoch < 0:
            raise ModelError("nhits training diverged: its loss was never finite; lower lr")
        self.curve_, self.best_epoch_ = outcome.curve, outcome.best_epoch
        self.stopped_by_ = outcome.stopped_by

    def _train(self, series: list[np.ndarray], started: float) -> Outcome:
        torch.manual_seed(self.random_state)
        horizon = self.schema.horizon
        self.input_size_ = self.input_size_factor * horizon
        windows, validation = _datasets(series, self.input_size_, horizon)
        rates = tuple(int(rate) for rate in self.pooling.split("-"))
        self.net_ = NHiTS(
            self.input_size_, horizon, rates, self.n_blocks, self.hidden, self.layers, self.dropout
        )
        settings = TrainSettings(
            optimizer="adam",
            lr=self.lr,
            schedule="cosine",
            batch_size=self.batch_size,
            weight_decay=0.0,
            l1=0.0,
            grad_clip=None,
            max_epochs=math.ceil(self.max_steps / CHECK_EVERY),
            patience=PATIENCE,
            seed=self.random_state,
            deadline=math.inf if self.time_limit is None else started + self.time_limit,
        )
        loss = _scaled_loss(REGRESSION_LOSSES[self.loss], self.scaler)
        return _train(self.net_, windows, validation, loss, settings, self.max_steps)

    def _forecast(self, h: int, future: pd.DataFrame) -> pd.DataFrame:
        """The network's first ``h`` steps from each series' last window; ``future`` holds ``h``
        rows per series, series by series, step by step (as ``Forecaster._future`` makes it)."""
        if h > self.net_.horizon:
            raise DataError(f"nhits forecasts at most {self.net_.horizon} steps, {h} were asked")
        ids, series = _series(self.history_)
        position = dict(zip(ids, range(len(ids)), strict=True))
        wanted = pd.unique(future[ID])
        last = [
            _padded(series[position[key]], self.input_size_)[-self.input_size_ :] for key in wanted
        ]
        x = torch.from_numpy(np.stack(last)) if last else torch.zeros((0, self.input_size_))
        loc, scale = window_scale(x, self.scaler)
        self.net_.eval()
        with torch.inference_mode():
            values = self.net_((x - loc) / scale) * scale + loc
        forecast = values[:, :h].double().numpy().ravel()
        return pd.DataFrame(
            {ID: future[ID].to_numpy(), TIME: future[TIME].to_numpy(), "forecast": forecast}
        )


class Windows:
    """Every training window of a panel, drawn on demand from its padded series."""

    def __init__(self, series: list[np.ndarray], input_size: int, horizon: int):
        padded = [_padded(s, input_size) for s in series]
        offsets = np.cumsum([0, *map(len, padded)])[:-1]
        # window j of a padded series: inputs p[j : j + input_size], targets s[j : j + horizon]
        starts = [
            o + np.arange(1, len(s) - horizon + 1) for o, s in zip(offsets, series, strict=True)
        ]
        self.values = torch.from_numpy(np.concatenate([np.zeros(0, np.float32), *padded]))
        self.starts = torch.from_numpy(np.concatenate([np.zeros(0, np.int64), *starts]))
        self.span, self.input_size = torch.arange(input_size + horizon), input_size

    def __len__(self) -> int:
        return len(self.starts)

    def sample(self, n: int, generator: torch.Generator) -> Pair:
        """``n`` windows drawn uniformly with replacement: (inputs, targets)."""
        picked = self.starts[torch.randint(len(self.starts), (n,), generator=generator)]
        rows = self.values[picked[:, None] + self.span]
        return rows[:, : self.input_size], rows[:, self.input_size :]


def _series(history: pd.DataFrame) -> tuple[np.ndarray, list[np.ndarray]]:
    """The series' ids and their float32 targets (``history`` is sorted by series, then time)."""
    sizes = history.groupby(ID, sort=False, observed=True).size()
    values = history[TARGET].to_numpy(np.float32)
    return sizes.index.to_numpy(), np.split(values, np.cumsum(sizes.to_numpy())[:-1])


def _padded(values: np.ndarray, width: int) -> np.ndarray:
    """``values`` after ``width`` copies of its first value."""
    return np.concatenate([np.full(width, values[0], dtype=values.dtype), values])


def _datasets(
    series: list[np.ndarray], input_size: int, horizon: int
) -> tuple[Windows, Pair | None]:
    """Training windows and validation pairs: each series' last ``horizon`` points held out
    (if it has more); without a training window left, every point trains, unvalidated."""
    held = [s for s in series if len(s) > horizon]
    windows = Windows([s[:-horizon] for s in held], input_size, horizon)
    if len(windows):
        inputs = np.stack([_padded(s[:-horizon], input_size)[-input_size:] for s in held])
        targets = np.stack([s[-horizon:] for s in held])
        return windows, (torch.from_numpy(inputs), torch.from_numpy(targets))
    windows = Windows(held, input_size, horizon)
    if not len(windows):
        raise DataError(f"nhits needs a series longer than the horizon ({horizon} steps)")
    return windows, None


def window_scale(x: torch.Tensor, scaler: str) -> Pair:
    """(location, scale) of each window of inputs ``x``, shaped (windows, 1)."""
    magnitude = x.abs().mean(dim=1, keepdim=True)
    if scaler == "standard":
        loc, scale = x.mean(dim=1, keepdim=True), x.std(dim=1, correction=0, keepdim=True)
    else:
        loc, scale = torch.zeros_like(magnitude), magnitude
    scale = torch.maximum(scale, MIN_RELATIVE_SCALE * magnitude)
    return loc, torch.where(scale > 0, scale, torch.ones_like(scale))


def _scaled_loss(loss: Callable, scaler: str) -> Callable[[NHiTS, Pair], torch.Tensor]:
    """``loss`` of a network's forecasts on (inputs, targets), both scaled by the inputs."""

    def scaled(net: NHiTS, pair: Pair) -> torch.Tensor:
        x, y = pair
        loc, scale = window_scale(x, scaler)
        return loss(net((x - loc) / scale), (y - loc) / scale)

    return scaled


def _train(
    net: NHiTS,
    windows: Windows,
    validation: Pair | None,
    loss: Callable[[NHiTS, Pair], torch.Tensor],
    s: TrainSettings,
    max_steps: int,
) -> Outcome:
    """Train ``net`` for up to ``max_steps`` steps in rounds of ``CHECK_EVERY``, validating
    after each; leaves the best round's weights in ``net``."""
    generator = torch.Generator().manual_seed(s.seed)
    optimizer = make_optimizer(net, s)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(s.schedule, step / max_steps)
    )

    def step(batch: Pair) -> torch.Tensor:
        value = loss(net, batch)
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        optimizer.step()
        return value.detach()

    outcome, best_loss, best_state, waited = Outcome(stopped_by="max_steps"), math.inf, None, 0
    started = time.perf_counter()
    for epoch in range(1, s.max_epochs + 1):
        net.train()
        batches = (windows.sample(s.batch_size, generator) for _ in range(CHECK_EVERY))
        steps = itertools.islice(batches, max_steps - outcome.steps)
        train_loss, done, late = _epoch(steps, step, scheduler, s.deadline)
        outcome.steps += done
        current = train_loss if validation is None else _evaluate(net, loss, validation)
        late = late or time.perf_counter() > s.deadline
        outcome.curve.append(
            {
                "epoch": epoch,
                "step": outcome.steps,
                "train_loss": train_loss,
                "val_loss": current,
                "seconds": time.perf_counter() - started,
            }
        )
        if current < best_loss:
            best_loss, best_state, waited = current, _copy_state(net), 0
            outcome.best_epoch = epoch
        else:
            waited += 1
        stop = _stop_reason(late, current, waited, s.patience)
        if stop:
            outcome.stopped_by = stop
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    return outcome


def _evaluate(net: NHiTS, loss: Callable[[NHiTS, Pair], torch.Tensor], pair: Pair) -> float:
    net.eval()
    with torch.inference_mode():
        return float(loss(net, pair))
