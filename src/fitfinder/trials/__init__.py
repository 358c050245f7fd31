"""Trials: evaluate a config in an isolated, warm worker process with time and memory limits."""

from fitfinder.trials.evaluate import evaluate, refit
from fitfinder.trials.runner import Runner
from fitfinder.trials.spec import (
    DONE,
    FAILED,
    INTERRUPTED,
    PRUNED,
    QUEUED,
    RUNNING,
    STATUSES,
    TIMED_OUT,
    TrialData,
    TrialResult,
    TrialSpec,
)

__all__ = [
    "DONE",
    "FAILED",
    "INTERRUPTED",
    "PRUNED",
    "QUEUED",
    "RUNNING",
    "STATUSES",
    "TIMED_OUT",
    "Runner",
    "TrialData",
    "TrialResult",
    "TrialSpec",
    "evaluate",
    "refit",
]
