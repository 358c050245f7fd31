"""Pruning in the worker: curves recorded on the first fold, fits stopped past a threshold."""

import math

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from fitfinder.estimators import get_family
from fitfinder.search.pruners import StopRule
from fitfinder.trials import DONE, PRUNED, TrialSpec, evaluate
from fitfinder.trials.monitor import MIN_FOREST_STEP, Monitor, fit_watched

STEPS = (1, 2, 4, 8, 16, 32)


def _config(family: str, **changes) -> dict:
    return {**get_family(family).defaults, **changes}


@pytest.mark.parametrize("family", ["lightgbm", "xgboost"])
def test_boosting_records_its_curve_and_stops_at_the_threshold(make_trial_data, family):
    data = make_trial_data("cancer")
    config = _config(family, n_estimators=60)
    watched = evaluate(data, TrialSpec(0, family, config, stop_rule=StopRule(STEPS, {})))
    assert watched.status == DONE and watched.pruned_step is None
    assert list(watched.curve) == list(STEPS)
    assert watched.curve[32] < watched.curve[1]  # log loss falls as rounds are added
    limit = {8: watched.curve[8] - 1e-6}  # just below what the trial reaches at round 8
    stopped = evaluate(data, TrialSpec(1, family, config, stop_rule=StopRule(STEPS, limit)))
    assert stopped.status == PRUNED and stopped.pruned_step == 8
    assert list(stopped.curve) == [1, 2, 4, 8]
    assert len(stopped.fold_losses) == 1  # pruned on the first fold: no other fold was fitted
    assert stopped.loss > watched.loss  # 8 rounds score worse than 60
    assert stopped.oof is None and stopped.model is None


def test_an_unwatched_fit_has_no_curve_and_a_survivor_runs_every_fold(make_trial_data):
    data = make_trial_data("cancer")
    config = _config("lightgbm", n_estimators=20)
    assert evaluate(data, TrialSpec(0, "lightgbm", config)).curve == {}
    generous = StopRule(STEPS, {4: 10.0})
    result = evaluate(data, TrialSpec(0, "lightgbm", config, stop_rule=generous))
    assert result.status == DONE and len(result.fold_losses) == len(data.folds)
    assert result.model.named_steps["model"].n_estimators_ == 20  # fitted past the checks


def test_nn_journals_its_per_epoch_curve_and_stops_on_an_epoch_threshold(make_trial_data):
    pytest.importorskip("torch")
    data = make_trial_data("cancer")
    config = _config("nn", max_epochs=6, patience=10, depth=1, log2_width=5)
    plain = evaluate(data, TrialSpec(0, "nn", config))
    assert plain.status == DONE and list(plain.curve) == [1, 2, 3, 4, 5, 6]
    rule = StopRule((), {3: plain.curve[3] / 2})  # the nn is checked at every epoch
    stopped = evaluate(data, TrialSpec(1, "nn", config, stop_rule=rule))
    assert stopped.status == PRUNED and stopped.pruned_step == 3
    assert list(stopped.curve) == [1, 2, 3]


@pytest.mark.parametrize("family", ["rf", "extra_trees", "hist_gb"])
def test_grown_models_record_their_curve_and_end_as_one_unwatched_fit(make_trial_data, family):
    data = make_trial_data("cancer")
    config = _config(family, **{get_family(family).fidelity: 40})
    plain = evaluate(data, TrialSpec(0, family, config, keep_model_below=math.inf))
    rule = StopRule(STEPS, {})
    watched = evaluate(
        data, TrialSpec(0, family, config, stop_rule=rule, keep_model_below=math.inf)
    )
    first = MIN_FOREST_STEP if family != "hist_gb" else 1  # a few trees say little
    assert watched.status == DONE and list(watched.curve) == [s for s in STEPS if first <= s < 40]
    assert watched.curve[32] < watched.curve[first]  # log loss falls as the model grows
    np.testing.assert_array_equal(watched.oof, plain.oof)  # warm starts grow the same trees
    model = watched.model.named_steps["model"]
    assert model.warm_start is False and model.get_params() == plain.model[-1].get_params()


@pytest.mark.parametrize("family", ["rf", "hist_gb"])
def test_a_rule_that_always_stops_halts_a_grown_model_at_its_first_step(make_trial_data, family):
    data = make_trial_data("diabetes")
    config = _config(family, **{get_family(family).fidelity: 40})
    rule = StopRule(STEPS, dict.fromkeys(STEPS, -math.inf))
    stopped = evaluate(data, TrialSpec(0, family, config, stop_rule=rule))
    first = MIN_FOREST_STEP if family == "rf" else 1
    assert stopped.status == PRUNED and stopped.pruned_step == first
    assert list(stopped.curve) == [first] and len(stopped.fold_losses) == 1


def test_a_grown_model_stops_where_a_rule_stops_it_and_where_it_stops_itself():
    X, y = load_diabetes(return_X_y=True)
    train, val = slice(0, 300), slice(300, None)

    def model():
        return HistGradientBoostingRegressor(
            max_iter=60, early_stopping=True, n_iter_no_change=3, learning_rate=0.3, random_state=0
        )

    plain = model().fit(X[train], y[train])
    assert plain.n_iter_ < 27  # its own early stopping ends it between two steps
    monitor = Monitor(StopRule((1, 3, 9, 27), {}))
    grown = fit_watched(
        Pipeline([("model", model())]), X[train], y[train], (X[val], y[val]), monitor
    )
    assert grown[-1].n_iter_ == plain.n_iter_ and list(monitor.curve) == [1, 3, 9]
    np.testing.assert_array_equal(grown.predict(X[val]), plain.predict(X[val]))
    monitor = Monitor(StopRule((1, 3, 9, 27), {3: monitor.curve[3] - 1e-6}))
    stopped = fit_watched(
        Pipeline([("model", model())]), X[train], y[train], (X[val], y[val]), monitor
    )
    assert monitor.pruned_step == 3 and stopped[-1].n_iter_ == 3
