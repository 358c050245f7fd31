"""Pruning in the worker: curves recorded on the first fold, fits stopped past a threshold."""

import pytest

from fitfinder.estimators import get_family
from fitfinder.search.pruners import StopRule
from fitfinder.trials import DONE, PRUNED, TrialSpec, evaluate

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
