"""What a trial is: the data a worker holds, the job it is given and the result it sends back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fitfinder.features.cache import FeatureCache

if TYPE_CHECKING:
    import pandas as pd

    from fitfinder.search.pruners import StopRule

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
PRUNED = "pruned"
TIMED_OUT = "timed_out"
INTERRUPTED = "interrupted"  # was running when its run was killed (see fitfinder.storage)
STATUSES = (QUEUED, RUNNING, DONE, FAILED, PRUNED, TIMED_OUT, INTERRUPTED)

_MAX_ERROR_CHARS = 500


@dataclass
class TrialData:
    """Everything a worker needs to evaluate configs; shipped once per worker."""

    X: pd.DataFrame  # already conformed by the schema
    y: np.ndarray  # encoded 0..k-1 for classification, float64 for regression
    schema: Any  # fitfinder.data.Schema
    task: str
    metric: Any  # fitfinder.metrics.Metric
    folds: list[tuple[np.ndarray, np.ndarray]]
    sample_weight: np.ndarray | None = None
    groups: np.ndarray | None = None
    labels: list | None = None  # original class labels, index i = encoded class i
    seed: int = 0
    n_threads: int = 1
    #: fitted preprocessing per (style, rows), filled in the worker; ships empty
    features: FeatureCache = field(default_factory=FeatureCache, repr=False, compare=False)

    @property
    def n_classes(self) -> int:
        """Number of classes (0 when the task predicts values: regression, forecast)."""
        if self.task not in ("binary", "multiclass"):
            return 0
        return len(self.labels) if self.labels is not None else int(np.max(self.y)) + 1


@dataclass
class TrialSpec:
    """One job: a family and config; ``fidelity``, when set, overrides the family's fidelity key;
    ``sample_size``, when set, fits each fold on that many of its training rows (None: all)."""

    number: int
    family: str
    config: dict
    fidelity: int | None = None
    timeout: float = 60.0
    keep_model_below: float | None = None  # send the validated pipeline back if loss is lower
    n_threads: int | None = None  # overrides TrialData.n_threads (e.g. all cores for a refit)
    stop_rule: StopRule | None = None  # pruning: watch the first fold's learning curve
    sample_size: int | None = None
    folds: list[tuple[np.ndarray, np.ndarray]] | None = None  # replace data.folds (a recheck)

    def resolved_config(self, fidelity_key: str | None) -> dict:
        """The config with the fidelity applied under ``fidelity_key`` (the family's)."""
        if self.fidelity is None or fidelity_key is None:
            return dict(self.config)
        return {**self.config, fidelity_key: self.fidelity}


@dataclass
class TrialResult:
    """The outcome of one trial, as the journal records it."""

    number: int
    family: str
    config: dict
    fidelity: int | None
    status: str
    loss: float | None = None  # mean fold loss: the value the search minimises
    score: float | None = None  # the metric in its natural direction
    fold_losses: list[float] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)  # logged metrics, averaged over folds
    fit_time: float = 0.0
    predict_time: float = 0.0
    wall_time: float = 0.0
    error: str | None = None  # one line
    oof: np.ndarray | None = None  # validation predictions, NaN where a row was never validated
    model: Any = None  # the first fold's fitted pipeline, when the spec asked for it
    curve: dict[int, float] = field(default_factory=dict)  # step -> validation loss, first fold
    pruned_step: int | None = None  # where a pruned trial stopped
    sample_size: int | None = None  # training rows per fold fit (None: all)

    @classmethod
    def of_failure(cls, spec: TrialSpec, status: str, error: str, wall_time: float = 0.0):
        """A result for a trial that produced nothing (failed, timed out)."""
        return cls(
            number=spec.number,
            family=spec.family,
            config=dict(spec.config),
            fidelity=spec.fidelity,
            status=status,
            error=error,
            wall_time=wall_time,
            sample_size=spec.sample_size,
        )


def error_line(exc: BaseException) -> str:
    """One line describing an exception: its type and the first line of its message."""
    message = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__
    return text[:_MAX_ERROR_CHARS]
