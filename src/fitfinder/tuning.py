"""``fitfinder.tune``: search any black-box function with fitfinder's strategies.

The objective runs one config at a time: by default in this process (no time limit per call:
a running objective is never interrupted, and one that crashes the process ends the search);
with ``isolate=True`` (implied by ``trial_time_limit`` or ``memory_limit_mb``) in a warm worker
process of :class:`fitfinder.trials.Runner`, which cuts a trial at its time limit or at the
budget's end and kills it above its memory limit: a trial that hangs, segfaults, exits or
blows its memory is recorded as ``timed_out`` or ``failed`` with the reason and the search
goes on in a fresh worker. The search is the same :class:`Searcher` a fit
uses, over one pseudo-family named ``objective``; trials are journaled when ``storage`` is
given, and ``resume=True`` continues the journal's last run without re-running its trials.
An objective that takes a second argument gets ``report(step, value)`` to call with
intermediate values, which a ``pruner`` uses to stop bad trials early.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd

from fitfinder.errors import ConfigError, FitfinderError, ResumeError
from fitfinder.estimators.base import Family
from fitfinder.search.domain import FlatSpace
from fitfinder.search.pruners import Curve, Pruner, make_pruner
from fitfinder.search.searcher import Proposal, Searcher
from fitfinder.search.space import describe
from fitfinder.storage import Journal
from fitfinder.trials.runner import OK, Runner
from fitfinder.trials.spec import DONE, FAILED, PRUNED, TrialResult, TrialSpec

FAMILY = "objective"


@dataclass
class TuneResult:
    """What ``tune`` found: the best config, the objective's result there, every trial."""

    best_config: dict
    best_result: dict
    # number, status, the metric, config.*, result.*, time_s, error, pruned_step
    trials: pd.DataFrame


class TrialPruned(Exception):
    """Raised by ``report`` when the pruner stops the trial; let it propagate."""


def tune(
    objective: Callable[..., float | dict],
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
    pruner: str | Pruner = "none",
    isolate: bool | None = None,
    trial_time_limit: float | None = None,
    memory_limit_mb: float | None = None,
) -> TuneResult:
    """Minimise (``mode="min"``) or maximise ``objective(config)`` over ``space``.

    ``objective`` returns a number or a dict holding ``metric``. The search ends after
    ``num_samples`` trials or when ``time_budget`` seconds are spent (launching no trial the
    time left cannot fit at the mean trial time), whichever comes first. ``low_cost`` is a
    partial config where the search starts (default: the centre of the space; plain random
    search starts anywhere).

    ``objective(config, report)``, when it takes two arguments, may call ``report(step, value)``
    with intermediate values of ``metric`` (e.g. per epoch). ``pruner`` (``none``, ``median``,
    ``halving``, ``hyperband`` or a :class:`fitfinder.search.pruners.Pruner`) compares them
    with earlier trials' at the same step; ``report`` raises :class:`TrialPruned` to stop a bad
    trial, which is recorded as ``pruned`` with its step and last value.

    ``isolate=True`` runs each trial in a worker process (the objective is sent to it once with
    cloudpickle, so it must be picklable by value: closures and lambdas are), cut after
    ``trial_time_limit`` seconds (and at the end of ``time_budget``) and killed above
    ``memory_limit_mb`` of resident memory; giving either limit implies ``isolate=True``.
    """
    _check(mode, time_budget, num_samples)
    isolated = _isolation(isolate, trial_time_limit, memory_limit_mb)
    pruner = make_pruner(pruner, seed)
    flat = FlatSpace(space)
    start = flat.start(low_cost)
    family = Family(FAMILY, frozenset(), flat.dims, start, start, "native", _not_a_model)
    searcher = Searcher([family], seed=seed, max_trials=num_samples, cost="trials", strategy=search)
    settings = {"kind": "tune", "space": describe(flat.dims), "metric": metric, "mode": mode}
    trials = _Trials(storage, resume, settings, seed)
    for record in trials.records:
        searcher.observe(Proposal(FAMILY, record.config, "journal"), _observed(record), 1.0)
    deadline = time.monotonic() + time_budget if time_budget else math.inf
    runner = _runner(objective, memory_limit_mb) if isolated else None
    try:
        while _time_for_one(deadline, trials) and (proposal := searcher.suggest()) is not None:
            number = trials.next_number()
            report = _Report(pruner, trials.curves(), number, mode)
            started = partial(trials.start, number, proposal.config)
            if runner is None:
                started(os.getpid())
                result = _evaluate(objective, flat, proposal.config, metric, report)
            else:
                job = (flat, proposal.config, metric, report)
                result = _evaluate_isolated(runner, job, trial_time_limit, deadline, started)
            searcher.observe(proposal, _observed(result), 1.0)
            trials.add(result)
    finally:
        if runner is not None:
            runner.close()
        trials.close()
    return _result(trials.records, flat, metric)


def _isolation(isolate: bool | None, time_limit: float | None, memory_mb: float | None) -> bool:
    limited = time_limit is not None or memory_mb is not None
    if isolate is False and limited:
        raise ConfigError(
            "trial_time_limit and memory_limit_mb need isolate=True (a trial in this process "
            "cannot be cut); drop isolate=False"
        )
    for name, value in (("trial_time_limit", time_limit), ("memory_limit_mb", memory_mb)):
        if value is not None and not value > 0:
            raise ConfigError(f"{name} must be a positive number, got {value}")
    return bool(isolate) or limited


def _runner(objective: Callable, memory_limit_mb: float | None) -> Runner:
    """One warm worker holding the objective (sent once, as the runner's data)."""
    try:
        cloudpickle.dumps(objective)
    except Exception as exc:
        raise ConfigError(
            f"isolate=True sends the objective to a worker process, but it cannot be pickled "
            f"({type(exc).__name__}: {exc}); define what it uses inside it, or isolate=False"
        ) from None
    return Runner(objective, n_workers=1, memory_limit_mb=memory_limit_mb, preload=()).start()


def _evaluate_isolated(
    runner: Runner, job: tuple, time_limit: float | None, deadline: float, on_start
) -> TrialResult:
    """Run one trial in the runner's worker; a crash, a timeout or the memory limit is a
    result with its reason."""
    flat, config, metric, report = job
    began = time.monotonic()
    status, value = runner.call(
        _isolated_trial,
        job,
        timeout=math.inf if time_limit is None else time_limit,
        deadline=None if math.isinf(deadline) else deadline,
        on_start=on_start,
    )
    if status == OK:
        if isinstance(value, ConfigError):  # the objective returned something unusable
            raise value
        return value
    return TrialResult(report.number, FAMILY, config, None, status, error=value,
                       wall_time=time.monotonic() - began)  # fmt: skip


def _isolated_trial(objective: Callable, job: tuple):
    """In the worker: evaluate the objective (the runner's data) on one config."""
    flat, config, metric, report = job
    try:
        return _evaluate(objective, flat, config, metric, report)
    except ConfigError as exc:
        return exc


def _check(mode: str, time_budget: float | None, num_samples: int | None) -> None:
    if mode not in ("min", "max"):
        raise ConfigError(f"mode must be 'min' or 'max', got {mode!r}")
    if time_budget is None and num_samples is None:
        raise ConfigError("give tune a time_budget or num_samples (or both) so it can end")
    if num_samples is not None and num_samples < 1:
        raise ConfigError(f"num_samples must be at least 1, got {num_samples}")


def _not_a_model(config, context):
    raise FitfinderError("tune's objective family builds no model")


def _observed(trial) -> float | None:
    """What the searcher learns from a trial: its loss, or its last one when pruned."""
    return trial.loss if trial.status in (DONE, PRUNED) else None


class _Report:
    """The ``report(step, value)`` an objective gets: records its curve (as losses) and raises
    :class:`TrialPruned` once the pruner stops the trial."""

    def __init__(self, pruner: Pruner, others: dict[int, Curve], number: int, mode: str):
        self.pruner, self.others, self.number = pruner, others, number
        self.sign = 1.0 if mode == "min" else -1.0
        self.curve: Curve = {}
        self.pruned_step: int | None = None

    def __call__(self, step: int, value: float) -> None:
        step = int(step)
        self.curve[step] = self.sign * float(value)
        if self.pruned_step is None and self.pruner.should_prune(
            self.others, self.number, self.curve, step
        ):
            self.pruned_step = step
        if self.pruned_step is not None:
            raise TrialPruned(f"trial {self.number} pruned at step {self.pruned_step}")


def _evaluate(objective, flat: FlatSpace, config: dict, metric: str, report: _Report):
    """Run the objective once; a raised error or a NaN value makes a failed trial, and a
    trial its ``report`` stopped a pruned one."""
    began = time.monotonic()
    number, args = report.number, [flat.config(config)]
    try:
        returned = objective(*args, report) if _takes_report(objective) else objective(*args)
    except Exception as exc:  # the user's objective may raise anything; the search goes on
        if report.pruned_step is None:
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            return TrialResult(number, FAMILY, config, None, FAILED, error=error,
                               wall_time=time.monotonic() - began)  # fmt: skip
    if report.pruned_step is not None:  # even when the objective caught TrialPruned
        return _pruned(report, config, metric, time.monotonic() - began)
    result = _as_dict(returned, metric)
    value = float(result[metric])
    elapsed = time.monotonic() - began
    if not np.isfinite(value):
        return TrialResult(number, FAMILY, config, None, FAILED, metrics=result,
                           error=f"{metric} is {value}", wall_time=elapsed)  # fmt: skip
    return TrialResult(number, FAMILY, config, None, DONE, loss=report.sign * value, score=value,
                       metrics=result, fit_time=elapsed, wall_time=elapsed,
                       curve=report.curve)  # fmt: skip


def _takes_report(objective: Callable) -> bool:
    """Whether ``objective`` accepts a second positional argument (``report``)."""
    try:
        parameters = inspect.signature(objective).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return False
    kinds = [p.kind for p in parameters]
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return inspect.Parameter.VAR_POSITIONAL in kinds or sum(k in positional for k in kinds) >= 2


def _pruned(report: _Report, config: dict, metric: str, elapsed: float) -> TrialResult:
    loss = report.curve[report.pruned_step]
    value = report.sign * loss
    return TrialResult(report.number, FAMILY, config, None, PRUNED, loss=loss, score=value,
                       metrics={metric: value}, fit_time=elapsed, wall_time=elapsed,
                       curve=report.curve, pruned_step=report.pruned_step)  # fmt: skip


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
        try:
            self.journal.claim()  # one writer at a time; marks a killed run's trials interrupted
            self._open_run(resume, settings, seed)
        except BaseException:
            self.journal.close()
            raise

    def _open_run(self, resume: bool, settings: dict, seed: int) -> None:
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

    def curves(self) -> dict[int, Curve]:
        """The curves of the finished and pruned trials so far, by trial number."""
        return {r.number: r.curve for r in self.records if r.status in (DONE, PRUNED) and r.curve}

    def next_number(self) -> int:
        return max((r.number for r in self.records), default=-1) + 1

    def start(self, number: int, config: dict, pid: int) -> None:
        """Journal trial ``number`` as running in process ``pid`` (before it starts)."""
        if self.journal is not None:
            self.journal.start_trial(self.run_id, TrialSpec(number, FAMILY, config), pid)

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
            "pruned_step": r.pruned_step,
        }
        for r in records
    ]
    return pd.json_normalize(rows, sep=".")
