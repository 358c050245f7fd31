"""Pruners: stop trials whose intermediate results say they will not win (multi-fidelity).

Pure logic over learning curves. A curve maps a step (boosting round, epoch, sample size...)
to a loss, lower is better. ``threshold(others, trial, step)`` is the largest loss at ``step``
that lets trial ``trial`` go on, given the curves of earlier trials (by trial number); ``inf``
where it is never stopped. A search that can call back at every step asks ``should_prune``;
one that cannot (AutoML's workers) sends a trial its thresholds ahead (:class:`CurveBook`).
Modelled on ``optuna.pruners``.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from fitfinder.errors import ConfigError

Curve = dict[int, float]
PRUNERS = ("none", "median", "halving", "hyperband")
STEPS_PER_DOUBLING = 4  # density of the steps where a median pruner checks a curve


@dataclass(frozen=True)
class StopRule:
    """How a worker watches a trial's first fold: the steps (boosting rounds) where it records
    the validation loss, and the loss at a step above which it stops the trial."""

    steps: tuple[int, ...]
    thresholds: dict[int, float]


class Pruner:
    """The pruner interface; on its own it prunes nothing."""

    def threshold(self, others: Mapping[int, Curve], trial: int, step: int) -> float:
        """The largest loss at ``step`` that lets ``trial`` go on (``inf``: no check here)."""
        return math.inf

    def steps(self, trial: int, max_step: int) -> list[int]:
        """The steps below ``max_step`` where ``trial`` may be stopped (its curve is needed)."""
        return []

    def should_prune(
        self, others: Mapping[int, Curve], trial: int, curve: Curve, step: int
    ) -> bool:
        """Whether ``trial``, whose curve reached ``curve[step]``, should stop at ``step``."""
        limit = self.threshold(others, trial, step)
        return math.isfinite(limit) and not curve[step] <= limit  # a NaN loss is pruned


class NopPruner(Pruner):
    """Prunes nothing (``pruner="none"``)."""


class MedianPruner(Pruner):
    """Stop a trial whose loss at a step is worse than the median of earlier trials' losses
    there, once ``n_startup_trials`` earlier trials reached that step, from ``n_warmup_steps`` on."""

    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 0):
        self.n_startup_trials = max(1, n_startup_trials)
        self.n_warmup_steps = n_warmup_steps

    def threshold(self, others: Mapping[int, Curve], trial: int, step: int) -> float:
        values = _values_at(others, step)
        if step < self.n_warmup_steps or len(values) < self.n_startup_trials:
            return math.inf
        return float(np.median(values))

    def steps(self, trial: int, max_step: int) -> list[int]:
        return [s for s in _geometric_steps(max_step) if s >= self.n_warmup_steps]


class SuccessiveHalvingPruner(Pruner):
    """Asynchronous successive halving (ASHA): rungs at ``min_resource * reduction_factor**k``;
    a trial at a rung goes on only if it ranks in the top ``1 / reduction_factor`` of the trials
    that reached that rung (itself included; the best one always goes on)."""

    def __init__(self, min_resource: int = 1, reduction_factor: int = 3):
        if min_resource < 1 or reduction_factor < 2:
            raise ConfigError(
                f"halving needs min_resource >= 1 and reduction_factor >= 2, got "
                f"{min_resource} and {reduction_factor}"
            )
        self.min_resource, self.reduction_factor = min_resource, reduction_factor

    def threshold(self, others: Mapping[int, Curve], trial: int, step: int) -> float:
        if not self.is_rung(step):
            return math.inf
        values = sorted(_values_at(others, step))
        # in the top 1/eta of n+1 values <=> no worse than the k-th best of the other n
        k = max(1, (len(values) + 1) // self.reduction_factor)
        return values[k - 1] if len(values) >= k else math.inf

    def steps(self, trial: int, max_step: int) -> list[int]:
        return self.rungs(max_step)

    def rungs(self, max_step: int) -> list[int]:
        """The rungs below ``max_step``."""
        rungs, rung = [], self.min_resource
        while rung < max_step:
            rungs.append(rung)
            rung *= self.reduction_factor
        return rungs

    def is_rung(self, step: int) -> bool:
        return step in self.rungs(step + 1)


class HyperbandPruner(Pruner):
    """``n_brackets`` successive-halving brackets, bracket ``b`` starting at
    ``min_resource * reduction_factor**b``; each trial is assigned to one by a hash of its
    number and ``seed``, and competes only with the trials of its bracket."""

    def __init__(
        self, min_resource: int = 1, reduction_factor: int = 3, n_brackets: int = 4, seed: int = 0
    ):
        self.brackets = [
            SuccessiveHalvingPruner(min_resource * reduction_factor**b, reduction_factor)
            for b in range(max(1, n_brackets))
        ]
        self.seed = seed

    def bracket(self, trial: int) -> int:
        """The bracket of ``trial`` (stable across processes and runs)."""
        return zlib.crc32(f"{self.seed}:{trial}".encode()) % len(self.brackets)

    def threshold(self, others: Mapping[int, Curve], trial: int, step: int) -> float:
        mine = self.bracket(trial)
        rivals = {n: c for n, c in others.items() if self.bracket(n) == mine}
        return self.brackets[mine].threshold(rivals, trial, step)

    def steps(self, trial: int, max_step: int) -> list[int]:
        return self.brackets[self.bracket(trial)].rungs(max_step)


def make_pruner(pruner: str | Pruner, seed: int = 0) -> Pruner:
    """The pruner named ``pruner`` (one of :data:`PRUNERS`) with its defaults, or ``pruner``
    itself when it is already a pruner object."""
    if isinstance(pruner, Pruner):
        return pruner
    if pruner == "none":
        return NopPruner()
    if pruner == "median":
        return MedianPruner()
    if pruner == "halving":
        return SuccessiveHalvingPruner()
    if pruner == "hyperband":
        return HyperbandPruner(seed=seed)
    raise ConfigError(f"unknown pruner {pruner!r}; choose one of {', '.join(PRUNERS)}")


class CurveBook:
    """The curves of a search's earlier trials by family, and the stop rules of new trials.

    ``fidelities`` maps each family to its fidelity key (``n_estimators``, ``max_epochs``) or
    None; a trial's curve runs up to its config's value there.
    """

    def __init__(self, pruner: Pruner, fidelities: Mapping[str, str | None]):
        self.pruner, self.fidelities = pruner, dict(fidelities)
        self.curves: dict[str, dict[int, Curve]] = {}

    def add(self, family: str, number: int, curve: Curve) -> None:
        """Remember a finished or pruned trial's curve."""
        if curve:
            self.curves.setdefault(family, {})[number] = curve

    def rule(self, family: str, number: int, config: Mapping) -> StopRule | None:
        """How the worker watches trial ``number``; None when it is never stopped."""
        key = self.fidelities.get(family)
        if key is None or key not in config:
            return None
        steps = self.pruner.steps(number, int(config[key]))
        if not steps:
            return None
        others = self.curves.get(family, {})
        limits = {s: self.pruner.threshold(others, number, s) for s in steps}
        return StopRule(tuple(steps), {s: v for s, v in limits.items() if math.isfinite(v)})


def _values_at(others: Mapping[int, Curve], step: int) -> list[float]:
    """The finite losses the other trials reached at ``step``."""
    values = (curve.get(step) for curve in others.values())
    return [v for v in values if v is not None and math.isfinite(v)]


def _geometric_steps(max_step: int) -> list[int]:
    """Steps below ``max_step`` spaced about evenly in log scale: 1, 2, 3, ..., 8, 10, 11, 13..."""
    steps, k = set(), 0
    while (step := round(2 ** (k / STEPS_PER_DOUBLING))) < max_step:
        steps.add(step)
        k += 1
    return sorted(steps)
