"""``fitfinder.tune``: search any black-box function with fitfinder's strategies.

The objective runs in this process, one config at a time (no worker, no time limit per call:
a running objective is never interrupted). The search is the same :class:`Searcher` a fit
uses, over one pseudo-family named ``objective``; trials are journaled when ``storage`` is
given, and ``resume=True`` continues the journal's last run without re-running its trials.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fitfinder.errors import ConfigError, FitfinderError, ResumeError
from fitfinder.estimators.base import Family
from fitfinder.search.domain import FlatSpace
from fitfinder.search.searcher import Proposal, Searcher
from fitfinder.search.space import describe
from fitfinder.storage import Journal
from fitfinder.trials.spec import DONE, FAILED, TrialResult

FAMILY = "objective"


@dataclass
class TuneResult:
    """What ``tune`` found: the best config, the objective's result there, every trial."""

    best_config: dict
    best_result: dict
    trials: pd.DataFrame  # number, status, the metric, config.*, result.*, time_s, error


def tune(
    objective: Callable[[dict], float | dict],
    space: dict,
    metric: str = "loss",
    mode: str = "min",
    time_budget: float | None = None,
    num_samples: int | None = None,
    search: str = "auto",
    seed: int = 0,
    storage: str | None = None,
    resume: bool = False,
    low_cost: dict | None = None,
) -> TuneResult:
    """Minimise (``mode="min"``) or maximise ``objective(config)`` over ``space``.

    ``objective`` returns a number or a dict holding ``metric``. The search ends after
    ``num_samples`` trials or when ``time_budget`` seconds are spent (launching no trial the
    time left cannot fit at the mean trial time), whichever comes first. ``low_cost`` is a
    partial config where the search starts (default: the centre of the space).
    """
    _check(mode, time_budget, num_samples)
    flat = FlatSpace(space)
    start = flat.start(low_cost)
    family = Family(FAMILY, frozenset(), flat.dims, start, start, "native", _not_a_model)
    searcher = Searcher([family], seed=seed, max_trials=num_samples, cost="trials", strategy=search)
    settings = {"kind": "tune", "space": describe(flat.dims), "metric": metric, "mode": mode}
    trials = _Trials(storage, resume, settings, seed)
    for record in trials.records:
        loss = record.loss if record.status == DONE else None
        searcher.observe(Proposal(FAMILY, record.config, "journal"), loss, 1.0)
    deadline = time.monotonic() + time_budget if time_budget else math.inf
    while _time_for_one(deadline, trials) and (proposal := searcher.suggest()) is not None:
        result = _evaluate(objective, flat, proposal.config, metric, mode, trials.next_number())
        searcher.observe(proposal, result.loss if result.status == DONE else None, 1.0)
        trials.add(result)
    trials.close()
    return _result(trials.records, flat, metric)


def _check(mode: str, time_budget: float | None, num_samples: int | None) -> None:
    if mode not in ("min", "max"):
        raise ConfigError(f"mode must be 'min' or 'max', got {mode!r}")
    if time_budget is None and num_samples is None:
        raise ConfigError("give tune a time_budget or num_samples (or both) so it can end")
    if num_samples is not None and num_samples < 1:
        raise ConfigError(f"num_samples must be at least 1, got {num_samples}")


def _not_a_model(config, context):
    raise FitfinderError("tune's objective family builds no model")


def _evaluate(objective, flat: FlatSpace, config: dict, metric: str, mode: str, number: int):
    """Run the objective once; a raised error or a NaN value makes a failed trial."""
    began = time.monotonic()
    try:
        returned = objective(flat.config(config))
    except Exception as exc:  # the user's objective may raise anything; the search goes on
        error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        return TrialResult(number, FAMILY, config, None, FAILED, error=error,
                           wall_time=time.monotonic() - began)  # fmt: skip
    result = _as_dict(returned, metric)
    value = float(result[metric])
    elapsed = time.monotonic() - began
    if not np.isfinite(value):
        return TrialResult(number, FAMILY, config, None, FAILED, metrics=result,
                           error=f"{metric} is {value}", wall_time=elapsed)  # fmt: skip
    loss = value if mode == "min" else -value
    return TrialResult(number, FAMILY, config, None, DONE, loss=loss, score=value,
                       metrics=result, fit_time=elapsed, wall_time=elapsed)  # fmt: skip


def _as_dict(returned: Any, metric: str) -> dict:
    if isinstance(returned, dict):
        if metric not in returned:
            raise ConfigError(
                f"the objective returned a dict without {metric!r} (keys: {', '.join(returned)}); "
                "return it or set metric= to one of them"
            )
        return {k: _plain(v) for k, v in returned.items()}
    try:
        return {metric: float(returned)}
    except (TypeError, ValueError):
        raise ConfigError(
            f"the objective returned {type(returned).__name__}; return a number or a dict"
        ) from None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _time_for_one(deadline: float, trials: _Trials) -> bool:
    """Whether the time left can fit one more trial at the mean trial time so far."""
    left = deadline - time.monotonic()
    times = [r.wall_time for r in trials.new]
    return left > (float(np.mean(times)) if times else 0.0)


class _Trials:
    """The trials of this tune (earlier ones first when resuming), journaled if asked."""

    def __init__(self, storage: str | None, resume: bool, settings: dict, seed: int):
        self.journal = Journal(storage) if storage else None
        self.records: list = []
        self.new: list[TrialResult] = []
        if self.journal is None:
            if resume:
                raise ConfigError("resume=True needs storage= (the journal to resume from)")
            return
        fingerprint = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
        previous = self.journal.latest_run() if resume else None
        if previous is None:
            self.run_id = self.journal.create_run({**settings, "seed": seed}, fingerprint)
            return
        if previous.fingerprint != fingerprint:
            raise ResumeError(
                "cannot resume: the journal's last run tuned another space, metric or mode; "
                "use the same ones or start a new run without resume"
            )
        self.run_id = previous.id
        self.records = self.journal.trials(self.run_id)

    def next_number(self) -> int:
        return max((r.number for r in self.records), default=-1) + 1

    def add(self, result: TrialResult) -> None:
        if self.journal is not None:
            self.journal.record_trial(self.run_id, result)
        self.records.append(result)
        self.new.append(result)

    def close(self) -> None:
        if self.journal is not None:
            self.journal.finish_run(self.run_id, {"trials": len(self.records)})
            self.journal.close()


def _result(records: list, flat: FlatSpace, metric: str) -> TuneResult:
    done = [r for r in records if r.status == DONE]
    if not done:
        errors = sorted({r.error for r in records if r.error})
        raise FitfinderError(
            f"every one of {len(records)} tune trials failed; first errors: "
            f"{'; '.join(errors[:3])}; fix the objective"
        )
    best = min(done, key=lambda r: r.loss)
    return TuneResult(flat.config(best.config), dict(best.metrics), _table(records, flat, metric))


def _table(records: list, flat: FlatSpace, metric: str) -> pd.DataFrame:
    rows = [
        {
            "number": r.number,
            "status": r.status,
            metric: r.score,
            "config": flat.config(r.config),
            "result": {k: v for k, v in r.metrics.items() if k != metric},
            "time_s": r.wall_time,
            "error": r.error,
        }
        for r in records
    ]
    return pd.json_normalize(rows, sep=".")
