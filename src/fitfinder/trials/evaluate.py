"""The work done in a worker: cross-validate one config, or refit it on all rows.

Both functions are pure (data and spec in, result out) so they run the same in a worker
process and in-process under test.
"""

from __future__ import annotations

import inspect
import math
import time
import warnings
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from fitfinder.trials.monitor import Monitor, fit_model, fit_watched, learning_curve
from fitfinder.trials.spec import (
    DONE,
    FAILED,
    PRUNED,
    TrialData,
    TrialResult,
    TrialSpec,
    error_line,
)

_RICH_ARITY = (
    11  # X_val, y_val, estimator, labels, X_train, y_train, w_val, w_train, config, g_val, g_train
)
#: Share of a trial's timeout its fits may use (the rest predicts and reports). An estimator
#: with a ``time_limit`` parameter (the nn family) gets an equal part of what is left for the
#: folds still to fit, measured once its pipeline is built (building may import libraries).
_FIT_SHARE = 0.85


def evaluate(data: TrialData, spec: TrialSpec) -> TrialResult:
    """Cross-validate ``spec`` on ``data.folds`` (or ``spec.folds``); never raises (errors become
    a failed result)."""
    started = time.perf_counter()
    result = TrialResult(
        spec.number,
        spec.family,
        dict(spec.config),
        spec.fidelity,
        FAILED,
        sample_size=spec.sample_size,
    )
    try:
        with warnings.catch_warnings(), threadpool_limits(_threads(data, spec)):
            warnings.simplefilter("ignore")
            _cross_validate(data, spec, result)
    except Exception as exc:  # a trial's failure is data, not a crash
        result.status, result.error, result.oof = FAILED, error_line(exc), None
    result.wall_time = time.perf_counter() - started
    return result


def refit(data: TrialData, spec: TrialSpec) -> Any:
    """Fit the config's pipeline on every row (weights honoured) and return it."""
    family = _family(spec.family)
    config = spec.resolved_config(family.fidelity)
    deadline = time.perf_counter() + spec.timeout * _FIT_SHARE
    with warnings.catch_warnings(), threadpool_limits(_threads(data, spec)):
        warnings.simplefilter("ignore")
        # a model that takes a time limit (nn) stops before the worker is killed and keeps its
        # best epoch: its validation folds may have been cut, so its refit can run longer
        return _fit(data, spec, family, config, np.arange(len(data.X)), deadline)


def refit_folds(data: TrialData, spec: TrialSpec) -> Any:
    """Fit the config on each fold's training rows; their average is the model (``refit="folds"``)."""
    from fitfinder.ensemble.model import WeightedEnsemble

    family = _family(spec.family)
    config = spec.resolved_config(family.fidelity)
    deadline = time.perf_counter() + spec.timeout * _FIT_SHARE
    with warnings.catch_warnings(), threadpool_limits(_threads(data, spec)):
        warnings.simplefilter("ignore")
        members = [
            _fit(data, spec, family, config, train, deadline, len(data.folds) - i)
            for i, (train, _) in enumerate(data.folds)
        ]
    return WeightedEnsemble(members, [1.0 / len(members)] * len(members), data.n_classes)


def _cross_validate(data: TrialData, spec: TrialSpec, result: TrialResult) -> None:
    family = _family(spec.family)
    config = spec.resolved_config(family.fidelity)
    oof = np.full((len(data.X), data.n_classes) if data.n_classes else len(data.X), np.nan)
    logged, first_pipe = [], None
    deadline = time.perf_counter() + spec.timeout * _FIT_SHARE
    monitor = Monitor(spec.stop_rule) if spec.stop_rule is not None else None
    saved = data.features.saved
    folds = data.folds if spec.folds is None else spec.folds
    for i, (fold_train, val) in enumerate(folds):
        train = training_sample(data, fold_train, spec.sample_size, i)
        tick = time.perf_counter()
        watch = (monitor, val) if monitor is not None and i == 0 else None  # first fold only
        pipe = _fit(data, spec, family, config, train, deadline, len(folds) - i, watch)
        result.fit_time += time.perf_counter() - tick
        first_pipe = pipe if first_pipe is None else first_pipe
        tick = time.perf_counter()
        oof[val] = _predict(data, pipe, val, family.preprocessing, train)
        result.predict_time += time.perf_counter() - tick
        loss, metrics = _fold_loss(data, config, pipe, oof[val], train, val)
        result.fold_losses.append(loss)
        logged.append(metrics)
        if i == 0:
            result.curve = monitor.curve if monitor is not None else learning_curve(pipe[-1])
            result.pruned_step = monitor.pruned_step if monitor is not None else None
        if result.pruned_step is not None:
            break  # the stopped first fold's loss is what the search learns from
    result.fit_time += data.features.saved - saved  # as if the preprocessing were refitted
    loss = float(np.mean(result.fold_losses))
    if not math.isfinite(loss):
        result.error = f"loss is not finite ({loss})"
        return
    custom = data.metric.kind == "custom"
    result.loss, result.score = loss, loss if custom else data.metric.score_of_loss(loss)
    result.metrics = _mean_metrics(logged)
    if result.pruned_step is not None:
        result.status = PRUNED
        return
    result.oof, result.status = oof, DONE
    if spec.keep_model_below is None or loss < spec.keep_model_below:
        result.model = first_pipe  # the validated model: a fallback if the final refit is skipped


def training_sample(data: TrialData, train: np.ndarray, size: int | None, fold: int) -> np.ndarray:
    """``size`` of a fold's ``train`` rows (all when ``size`` is None or not smaller), sorted and
    the same in every trial: seeded by ``data.seed`` and the fold, stratified by class when
    every class has rows enough, else plain random."""
    if size is None or size >= len(train):
        return train
    labels = data.y[train] if data.n_classes else None
    if labels is not None and not _stratifiable(labels, size):
        labels = None
    seed = int(np.random.SeedSequence([data.seed, fold]).generate_state(1)[0])
    picked, _ = train_test_split(train, train_size=size, stratify=labels, random_state=seed)
    return np.sort(picked)


def _stratifiable(labels: np.ndarray, size: int) -> bool:
    """Whether a stratified split of ``labels`` into ``size`` and the rest is possible."""
    counts = np.unique(labels, return_counts=True)[1]
    return counts.min() >= 2 and min(size, len(labels) - size) >= len(counts)


def _threads(data: TrialData, spec: TrialSpec) -> int:
    return spec.n_threads or data.n_threads


def _family(name: str):
    from fitfinder.estimators import get_family

    return get_family(name)


def _fit(
    data: TrialData,
    spec: TrialSpec,
    family,
    config: dict,
    rows: np.ndarray,
    deadline: float = math.inf,
    fits_left: int = 1,
    watch: tuple[Monitor, np.ndarray] | None = None,
):
    """The config's pipeline fitted on ``rows``; a model with a ``time_limit`` parameter gets
    a ``fits_left``-th of the time until ``deadline`` (a ``time.perf_counter()`` value).
    ``watch`` is a monitor and the validation rows it scores the fit on."""
    from fitfinder.features import build_pipeline

    pipe = build_pipeline(
        data.schema,
        family,
        config,
        task=data.task,
        n_rows=len(rows),
        n_threads=_threads(data, spec),
        seed=data.seed,
    )
    if "time_limit" in pipe[-1].get_params(deep=False):
        pipe[-1].set_params(time_limit=max(deadline - time.perf_counter(), 0.0) / fits_left)
    weight = data.sample_weight if family.supports_sample_weight else None
    y, weight = data.y[rows], _take(weight, rows)
    groups = _take(data.groups, rows) if family.fit_groups else None
    X = _fit_features(data, pipe, family.preprocessing, rows)
    if watch is None or groups is not None:  # pruning watches no family fitted on groups
        return fit_model(pipe, X, y, weight, groups)
    monitor, val = watch
    X_val = _features(data, pipe, family.preprocessing, rows, val)
    return fit_watched(pipe, X, y, (X_val, data.y[val]), monitor, weight)


def _fit_features(data: TrialData, pipe, style: str, rows: np.ndarray) -> np.ndarray:
    """Fit ``pipe``'s features step on ``rows`` (once per style and rows in this worker: the
    step depends on the schema and style only); the transformed rows."""

    def fit() -> tuple:
        step = pipe[0]
        return step, step.fit_transform(data.X.iloc[rows], data.y[rows])

    fitted, X = data.features.fit_transform(style, rows, fit)
    pipe.steps[0] = (pipe.steps[0][0], fitted)
    return X


def _features(data: TrialData, pipe, style: str, train: np.ndarray, rows: np.ndarray):
    """``rows`` through the features step fitted on ``train`` (cached like the fit)."""
    return data.features.transform(style, train, rows, lambda: pipe[0].transform(data.X.iloc[rows]))


def _predict(data: TrialData, pipe, rows: np.ndarray, style: str, train: np.ndarray) -> np.ndarray:
    """Values for regression; probabilities over all k classes (a fold may miss some)."""
    X = _features(data, pipe, style, train, rows)
    model = pipe[-1]
    if not data.n_classes:
        return np.asarray(model.predict(X), dtype=float)
    full = np.zeros((len(rows), data.n_classes))
    full[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(X)
    return full


def _fold_loss(data: TrialData, config: dict, pipe, pred, train, val) -> tuple[float, dict]:
    """The fold's loss and the metrics to log (only the rich custom metric logs any)."""
    weight = data.sample_weight
    if data.metric.kind != "custom":
        score = data.metric.score(data.y[val], pred, _take(weight, val), _take(data.groups, val))
        return float(data.metric.loss(score)), {}
    args = (
        data.X.iloc[val],
        data.y[val],
        pipe,
        data.labels,
        data.X.iloc[train],
        data.y[train],
        _take(weight, val),
        _take(weight, train),
        config,
        _take(data.groups, val),
        _take(data.groups, train),
    )
    out = data.metric.func(*args[: _positional_arity(data.metric.func)])
    value, metrics = out if isinstance(out, tuple) else (out, {})
    return float(value), dict(metrics or {})


def _positional_arity(func) -> int:
    """How many of the rich metric's arguments ``func`` accepts positionally."""
    kinds = [p.kind for p in inspect.signature(func).parameters.values()]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return _RICH_ARITY
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return min(_RICH_ARITY, sum(kind in positional for kind in kinds))


def _take(values: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    return None if values is None else values[rows]


def _mean_metrics(per_fold: list[dict]) -> dict:
    """Average numeric logged metrics over folds; other values keep the last fold's."""
    merged: dict = {}
    for key in dict.fromkeys(k for fold in per_fold for k in fold):
        values = [fold[key] for fold in per_fold if key in fold]
        numeric = all(isinstance(v, int | float | np.number) for v in values)
        merged[key] = float(np.mean(values)) if numeric else values[-1]
    return merged
