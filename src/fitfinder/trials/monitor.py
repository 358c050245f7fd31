"""Worker side of pruning: record a fit's learning curve and stop it past the trial's thresholds.

LightGBM and XGBoost are watched through a callback scoring the validation rows each round
(their objective's loss: log loss or squared error); sklearn's forests and HistGradientBoosting
are grown with ``warm_start`` up to each step and scored there (log loss or squared error); the
``nn`` family through its per-epoch validation loss. Other models fit as usual, unwatched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from fitfinder.search.pruners import StopRule


class Monitor:
    """A trial's curve as it is trained, and the step where its rule stopped it (if any)."""

    def __init__(self, rule: StopRule):
        self.steps, self.thresholds = frozenset(rule.steps), rule.thresholds
        self.curve: dict[int, float] = {}
        self.pruned_step: int | None = None

    def wants(self, step: int) -> bool:
        """Whether the rule looks at ``step`` (so its loss is worth computing)."""
        return step in self.steps

    def __call__(self, step: int, loss: float) -> bool:
        """Record ``loss`` at ``step``; True when the trial must stop here."""
        self.curve[step] = float(loss)
        limit = self.thresholds.get(step)
        if limit is not None and not loss <= limit:  # a NaN loss stops too
            self.pruned_step = step
        return self.pruned_step is not None


def fit_model(pipe, X, y, sample_weight=None, groups=None):
    """Fit ``pipe``'s model on ``X`` (already through its fitted features step); ``groups``
    (each row's group id) goes to a family that fits on groups (rankers: the queries)."""
    given = {"sample_weight": sample_weight, "groups": groups}
    pipe[-1].fit(X, y, **{k: v for k, v in given.items() if v is not None})
    return pipe


def fit_watched(pipe, X, y, validation: tuple, monitor: Monitor, sample_weight=None):
    """Fit ``pipe``'s model on ``(X, y)`` while ``monitor`` watches its loss on ``validation``
    (``(X_val, y_val)``; both already through the fitted features step; the ``nn`` family
    validates on its own internal split)."""
    model = pipe[-1]
    library = type(model).__module__.split(".")[0]
    weight = {} if sample_weight is None else {"sample_weight": sample_weight}
    if library in ("lightgbm", "xgboost"):
        _fit_boosting(model, library, X, y, [validation], monitor, weight)
        return pipe
    size = _size_parameter(model)
    if size is not None:
        _fit_in_steps(model, size, X, y, validation, monitor, weight)
        return pipe
    watchable = "epoch_callback" in model.get_params(deep=False)
    if watchable:
        model.set_params(epoch_callback=monitor)
    try:
        return fit_model(pipe, X, y, sample_weight)
    finally:
        if watchable:
            model.set_params(epoch_callback=None)  # the fitted model keeps no reference


def _fit_boosting(model, library: str, X, y, eval_set: list, monitor: Monitor, weight: dict):
    if library == "lightgbm":
        model.fit(X, y, eval_set=eval_set, callbacks=[_lightgbm_callback(monitor)], **weight)
        return
    model.set_params(callbacks=[_xgboost_callback(monitor)])
    try:
        model.fit(X, y, eval_set=eval_set, verbose=False, **weight)
    finally:
        model.set_params(callbacks=None)


#: Fewest trees a forest is judged on: a handful of unpruned trees gives 0/1 probabilities whose
#: log loss says little about the full forest.
MIN_FOREST_STEP = 8


def _size_parameter(model) -> str | None:
    """The parameter that a ``warm_start`` fit of ``model`` grows (trees, boosting
    iterations); None for a model not grown in steps."""
    from sklearn import ensemble

    forests = (
        ensemble.RandomForestClassifier,
        ensemble.RandomForestRegressor,
        ensemble.ExtraTreesClassifier,
        ensemble.ExtraTreesRegressor,
    )
    boosting = (ensemble.HistGradientBoostingClassifier, ensemble.HistGradientBoostingRegressor)
    if isinstance(model, forests):
        return "n_estimators"
    return "max_iter" if isinstance(model, boosting) else None


def _fit_in_steps(model, size: str, X, y, validation: tuple, monitor: Monitor, weight: dict):
    """Grow ``model`` with ``warm_start`` to each of the monitor's steps below its ``size`` (for
    forests, from ``MIN_FOREST_STEP`` trees), scoring ``validation`` there, then to its ``size`` unless the monitor stops it first.

    Warm-started growth fits the same trees as one fit with the same ``random_state``; a model
    that stops itself (HistGradientBoosting's early stopping) is not grown further."""
    total, warm_start = model.get_params()[size], model.get_params()["warm_start"]
    first = MIN_FOREST_STEP if size == "n_estimators" else 1
    model.set_params(warm_start=True)
    try:
        for step in [*sorted(s for s in monitor.steps if first <= s < total), total]:
            model.set_params(**{size: step}).fit(X, y, **weight)
            if step == total or getattr(model, "n_iter_", step) < step:
                return
            if monitor(step, _validation_loss(model, *validation)):
                return
    finally:
        model.set_params(warm_start=warm_start)  # a later fit starts afresh


def _validation_loss(model, X_val, y_val) -> float:
    """Log loss (classifiers; classes the model never saw count as probability 0) or squared
    error (regressors) of ``model`` on the validation rows, as LightGBM's objectives report."""
    from sklearn.base import is_classifier

    y_val = np.asarray(y_val)
    if not is_classifier(model):
        return float(np.mean((model.predict(X_val) - y_val) ** 2))
    proba = model.predict_proba(X_val)
    true_class = (proba * (model.classes_ == y_val[:, None])).sum(axis=1)
    return float(-np.mean(np.log(np.clip(true_class, 1e-15, None))))


def learning_curve(model: Any) -> dict[int, float]:
    """The per-epoch validation loss of a fitted ``nn`` model; empty for other models."""
    return {row["epoch"]: row["val_loss"] for row in getattr(model, "curve_", None) or []}


def _lightgbm_callback(monitor: Monitor):
    from lightgbm.callback import EarlyStopException

    def callback(env) -> None:
        step = env.iteration - env.begin_iteration + 1
        if not monitor.wants(step):
            return
        _, _, value, higher_is_better = env.evaluation_result_list[0]
        if monitor(step, -value if higher_is_better else value):
            raise EarlyStopException(env.iteration, env.evaluation_result_list)

    callback.order = 30  # after LightGBM's own callbacks
    return callback


def _xgboost_callback(monitor: Monitor):
    from xgboost.callback import TrainingCallback

    class Watch(TrainingCallback):
        def after_iteration(self, model, epoch: int, evals_log) -> bool:
            step = epoch + 1
            if not monitor.wants(step):
                return False
            losses = next(iter(next(iter(evals_log.values())).values()))
            return monitor(step, float(losses[-1]))

    return Watch()
