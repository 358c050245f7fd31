"""Worker side of pruning: record a fit's learning curve and stop it past the trial's thresholds.

LightGBM and XGBoost are watched through a callback scoring the validation rows each round
(their objective's loss: log loss or squared error); the ``nn`` family through its per-epoch
validation loss. Other models fit as usual, unwatched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def fit_model(pipe, X, y, sample_weight=None):
    """Fit ``pipe``'s model on ``X`` (already through its fitted features step)."""
    pipe[-1].fit(X, y, **({} if sample_weight is None else {"sample_weight": sample_weight}))
    return pipe


def fit_watched(pipe, X, y, validation: tuple, monitor: Monitor, sample_weight=None):
    """Fit ``pipe``'s model on ``(X, y)`` while ``monitor`` watches its loss on ``validation``
    (``(X_val, y_val)``; both already through the fitted features step; the ``nn`` family
    validates on its own internal split)."""
    model = pipe[-1]
    library = type(model).__module__.split(".")[0]
    if library in ("lightgbm", "xgboost"):
        weight = {} if sample_weight is None else {"sample_weight": sample_weight}
        _fit_boosting(model, library, X, y, [validation], monitor, weight)
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
