"""The training loop: seeded mini-batches, early stopping, best-epoch weights, a deadline."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from fitfinder.estimators.neural.network import TabularNet

#: loss(outputs, targets, weights or None) -> scalar
Loss = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]

EVAL_ROWS = 8192  # rows per forward pass when validating or predicting
SGD_MOMENTUM = 0.9
ONECYCLE_WARMUP = 0.3  # share of the steps spent warming up
POLYNOMIAL_POWER = 2.0


@dataclass(frozen=True)
class TrainSettings:
    """How to train: the searched training choices plus the limits of this fit."""

    optimizer: str
    lr: float
    schedule: str
    batch_size: int
    weight_decay: float
    l1: float
    grad_clip: float | None
    max_epochs: int
    patience: int
    seed: int
    deadline: float = math.inf  # time.perf_counter() value after which training stops
    on_epoch: Callable[[int, float], bool] | None = None  # (epoch, val loss) -> stop now?


@dataclass
class Outcome:
    """What training leaves behind besides the weights (which end at the best epoch)."""

    curve: list[dict] = field(default_factory=list)  # one entry per epoch
    best_epoch: int = -1
    steps: int = 0  # optimisation steps taken
    stopped_by: str = "max_epochs"  # max_epochs | patience | time_limit | diverged | pruned


class ShuffledBatches:
    """Index batches of a fresh seeded permutation each epoch (a DataLoader sampler)."""

    def __init__(self, n: int, batch_size: int, generator: torch.Generator):
        self.n, self.batch_size, self.generator = n, min(batch_size, n), generator
        # a last batch of one row would break BatchNorm: it is dropped
        self.drop_last = n > 1 and n % self.batch_size == 1

    def __iter__(self) -> Iterator[torch.Tensor]:
        batches = torch.randperm(self.n, generator=self.generator).split(self.batch_size)
        return iter(batches[:-1] if self.drop_last else batches)

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size) - self.drop_last


def binary_loss(smoothing: float = 0.0) -> Loss:
    """Binary cross-entropy on one logit, targets smoothed towards 1/2."""

    def loss(outputs, target, weight):
        smoothed = target * (1 - smoothing) + 0.5 * smoothing if smoothing else target
        return _mean(
            F.binary_cross_entropy_with_logits(outputs[:, 0], smoothed, reduction="none"), weight
        )

    return loss


def multiclass_loss(smoothing: float = 0.0) -> Loss:
    """Cross-entropy over the class logits, with label smoothing."""

    def loss(outputs, target, weight):
        values = F.cross_entropy(outputs, target, reduction="none", label_smoothing=smoothing)
        return _mean(values, weight)

    return loss


REGRESSION_LOSSES = {"mse": F.mse_loss, "mae": F.l1_loss, "huber": F.huber_loss}


def regression_loss(name: str) -> Loss:
    """MSE, MAE or Huber (delta 1) on the single output."""
    function = REGRESSION_LOSSES[name]

    def loss(outputs, target, weight):
        return _mean(function(outputs[:, 0], target, reduction="none"), weight)

    return loss


def _mean(values: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    return values.mean() if weight is None else (values * weight).sum() / weight.sum()


def warm_up() -> None:
    """Import what a process's first optimizer imports (``torch._dynamo``: seconds), so a fit
    can pay for it before its time limit starts."""
    import torch._dynamo  # noqa: F401


def make_optimizer(net: nn.Module, s: TrainSettings) -> torch.optim.Optimizer:
    """The optimizer, with weight decay (L2; decoupled for AdamW)."""
    # foreach: one multi-tensor kernel per update rather than one Python loop per parameter
    params = dict(lr=s.lr, weight_decay=s.weight_decay, foreach=True)
    if s.optimizer == "sgd":
        return torch.optim.SGD(net.parameters(), momentum=SGD_MOMENTUM, nesterov=True, **params)
    optimizers = {
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
        "rmsprop": torch.optim.RMSprop,
        "adagrad": torch.optim.Adagrad,
    }
    return optimizers[s.optimizer](net.parameters(), **params)


def lr_factor(schedule: str, progress: float) -> float:
    """The learning-rate multiplier at ``progress`` (0 -> 1) through the planned steps."""
    progress = min(progress, 1.0)
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * progress))
    if schedule == "onecycle":
        if progress < ONECYCLE_WARMUP:
            return 0.04 + 0.96 * progress / ONECYCLE_WARMUP
        return 0.5 * (1 + math.cos(math.pi * (progress - ONECYCLE_WARMUP) / (1 - ONECYCLE_WARMUP)))
    if schedule == "polynomial":
        return (1 - progress) ** POLYNOMIAL_POWER
    return 1.0


def train(
    net: TabularNet,
    train_data: tuple[torch.Tensor, ...],
    val_data: tuple[torch.Tensor, ...],
    loss: Loss,
    val_loss: Loss,
    s: TrainSettings,
    device: torch.device,
) -> Outcome:
    """Train ``net`` on ``train_data`` = (numeric, codes, target[, weight]), all on ``device``,
    with early stopping on ``val_loss`` over ``val_data``; leaves the best epoch's weights in
    ``net``."""
    generator = torch.Generator().manual_seed(s.seed)
    sampler = ShuffledBatches(len(train_data[0]), s.batch_size, generator)
    loader = DataLoader(TensorDataset(*train_data), sampler=sampler, batch_size=None)
    optimizer = make_optimizer(net, s)
    total_steps = max(1, s.max_epochs * len(sampler))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(s.schedule, step / total_steps)
    )
    step = _step_function(net, loss, optimizer, s, device)
    outcome, best_loss, best_state, waited = Outcome(), math.inf, None, 0
    started = time.perf_counter()
    for epoch in range(s.max_epochs):
        net.train()
        train_loss, batches, late = _epoch(loader, step, scheduler, s.deadline)
        outcome.steps += batches
        current = evaluate_loss(net, val_data, val_loss, device)
        late = late or time.perf_counter() > s.deadline
        outcome.curve.append(
            {
                "epoch": epoch + 1,
                "train_loss": train_loss,
                "val_loss": current,
                "seconds": time.perf_counter() - started,
            }
        )
        if current < best_loss:
            best_loss, best_state, waited = current, _copy_state(net), 0
            outcome.best_epoch = epoch + 1
        else:
            waited += 1
        pruned = s.on_epoch is not None and s.on_epoch(epoch + 1, current)
        stop = _stop_reason(late, current, waited, s.patience) or ("pruned" if pruned else None)
        if stop:
            outcome.stopped_by = stop
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    return outcome


def _epoch(loader, step, scheduler, deadline: float) -> tuple[float, int, bool]:
    """One pass over the batches: (mean training loss, batches, whether the deadline cut it)."""
    total, batches = torch.zeros(()), 0
    for batch in loader:
        if time.perf_counter() > deadline:
            return float(total) / max(batches, 1), batches, True
        total += step(batch)
        scheduler.step()
        batches += 1
    return float(total) / max(batches, 1), batches, False


def _stop_reason(late: bool, current: float, waited: int, patience: int) -> str | None:
    if late:
        return "time_limit"
    if not math.isfinite(current):
        return "diverged"
    return "patience" if waited >= patience else None


def _step_function(net, loss: Loss, optimizer, s: TrainSettings, device: torch.device):
    """One optimisation step on a batch; returns the batch loss (detached)."""
    weights = [p for p in net.parameters() if p.ndim >= 2] if s.l1 > 0 else []
    params = list(net.parameters())

    def step(batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        numeric, codes, target, *weight = batch
        with autocast(device):
            outputs = net.forward_members(numeric, codes).float().flatten(0, 1)
            # every member fits every row: targets (and weights) repeated member by member
            row_weight = weight[0].repeat_interleave(net.members) if weight else None
            value = loss(outputs, target.repeat_interleave(net.members), row_weight)
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        for p in weights:  # L1 penalty: its subgradient added in place
            p.grad.add_(p.detach().sign(), alpha=s.l1)
        if s.grad_clip is not None:
            nn.utils.clip_grad_norm_(params, s.grad_clip)
        optimizer.step()
        return value.detach()

    return step


def evaluate_loss(
    net: TabularNet, data: tuple[torch.Tensor, ...], loss: Loss, device: torch.device
) -> float:
    """``loss`` over ``data`` with the network in evaluation mode."""
    numeric, codes, target, *weight = data
    outputs = predict_encoded(net, numeric, codes, device)
    return float(loss(outputs, target, *weight or [None]))


def predict_encoded(
    net: TabularNet, numeric: torch.Tensor, codes: torch.Tensor, device: torch.device
) -> torch.Tensor:
    """Outputs for encoded inputs, in chunks, on the CPU."""
    net.eval()
    with torch.inference_mode(), autocast(device):
        parts = [
            net.forward_encoded(n.to(device), c.to(device)).float().cpu()
            for n, c in zip(numeric.split(EVAL_ROWS), codes.split(EVAL_ROWS), strict=True)
        ]
    return torch.cat(parts) if parts else torch.zeros((0, net.head.out_features))


def autocast(device: torch.device):
    """bf16 autocast on CUDA; nothing on the CPU."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _copy_state(net: nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.detach().clone() for key, value in net.state_dict().items()}
