"""Refit-time estimates (a trial fitted on a sample is scaled up to its fold's training rows) and
the time kept for them: the search's reserve and the ensemble members left out when their refits
would overrun the budget."""

import time
import types

import numpy as np
import pytest

from fitfinder import AutoML
from fitfinder.automl import ENSEMBLE_PLAN_SECONDS
from fitfinder.data import make_splits
from fitfinder.ensemble import EnsemblePlan
from fitfinder.finalize import Finalizer, refit_seconds
from fitfinder.metrics import get_metric
from fitfinder.search_loop import SAFETY_SECONDS, Best
from fitfinder.trials import DONE, TrialResult


def trial(fit_time, sample_size=None):
    return TrialResult(0, "lightgbm", {}, None, DONE, fit_time=fit_time, sample_size=sample_size)


@pytest.mark.parametrize("mode", ["full", "folds"])
def test_a_sampled_trial_is_expected_to_refit_as_slowly_as_one_on_every_row(mode):
    plan = make_splits(np.arange(100_000) % 2, "binary", split="holdout", seed=0)  # 80k train
    full = refit_seconds(trial(8.0), plan, mode)
    assert refit_seconds(trial(1.0, sample_size=10_000), plan, mode) == pytest.approx(full)
    assert refit_seconds(trial(8.0, sample_size=200_000), plan, mode) == full  # never scaled down
    assert refit_seconds(trial(1.0), plan, mode) < full / 4


class _Runner:
    """Never called: these tests only ask the finalizer for estimates."""


def finalizer_with(seconds_left: float) -> Finalizer:
    plan = make_splits(np.arange(1000) % 2, "binary", split="holdout", seed=0)
    return Finalizer(_Runner(), None, plan, deadline=time.monotonic() + seconds_left)


def numbered(*fit_times: float) -> list[TrialResult]:
    """Trials 0, 1, ... best first; a holdout refit takes about 1.9 x the fit time."""
    return [TrialResult(n, "lightgbm", {}, None, DONE, fit_time=t) for n, t in enumerate(fit_times)]


def test_every_trial_is_affordable_when_all_refits_fit_the_time_left():
    trials = numbered(1.0, 2.0, 3.0)
    assert finalizer_with(60).affordable(trials, keep=0, planning=2.0) == trials


def test_trials_whose_refits_would_overrun_are_left_out_in_order_best_first():
    trials = numbered(20.0, 30.0, 2.0, 10.0)  # refits about 38, 56, 4 and 19 s
    chosen = finalizer_with(70).affordable(trials, keep=0, planning=2.0)
    assert [t.number for t in chosen] == [0, 2, 3]


def test_the_kept_trial_is_affordable_even_when_its_refit_alone_overruns():
    trials = numbered(1.0, 60.0, 2.0)
    chosen = finalizer_with(20).affordable(trials, keep=1, planning=2.0)
    assert [t.number for t in chosen] == [1]


def automl_for_reserve(ensemble, time_budget=100.0) -> AutoML:
    automl = AutoML(time_budget=time_budget, ensemble=ensemble, recheck=False)
    automl.split_plan_ = make_splits(np.arange(1000) % 2, "binary", split="holdout", seed=0)
    automl.metric_ = get_metric("roc_auc", "binary")
    return automl


def test_the_search_keeps_time_to_refit_the_leading_families_best_trials_for_an_ensemble():
    leaders = numbered(4.0, 2.0, 6.0, 1.0, 30.0)  # each family's best, best first
    plan = automl_for_reserve(True).split_plan_
    refits = [refit_seconds(t, plan) for t in leaders]
    single = automl_for_reserve(False)._reserve(leaders, left=90.0)
    assert single == pytest.approx(refits[0])
    ensemble = automl_for_reserve(True, time_budget=200.0)._reserve(leaders, left=90.0)
    assert ensemble == pytest.approx(sum(refits[:4]) + ENSEMBLE_PLAN_SECONDS)  # the top four
    capped = automl_for_reserve(True, time_budget=100.0)._reserve(leaders, left=90.0)
    assert capped == pytest.approx(0.2 * 100.0 + ENSEMBLE_PLAN_SECONDS)  # a share of the budget
    floor = automl_for_reserve(True, time_budget=10.0)._reserve(leaders, left=30.0)
    assert floor == pytest.approx(refits[0] + ENSEMBLE_PLAN_SECONDS)  # never below the best's
    assert automl_for_reserve(True)._reserve(leaders, left=refits[0] / 2) == 0.0  # cannot refit


def test_a_slow_best_trial_keeps_one_refit_not_two_so_the_search_goes_on():
    # fertility_morekids at 300 s: a best svm with a ~120 s refit kept twice that, which
    # stopped the search at 100 s and ended the fit at 155 s
    slow_best, quick = numbered(50.0, 1.0)
    automl = automl_for_reserve(True, time_budget=300.0)
    one = refit_seconds(slow_best, automl.split_plan_)
    reserve = automl._reserve([slow_best, quick], left=200.0)
    assert reserve == pytest.approx(one + ENSEMBLE_PLAN_SECONDS)
    assert 200.0 - reserve > 60  # time left for more trials


class _ClockedRunner:
    """Refits in no time, except the families in ``slow``, which run into their timeout, and
    those in ``broken``, whose refit raises."""

    def __init__(self, slow=(), broken=()):
        self.slow, self.broken, self.timeouts = set(slow), set(broken), {}

    def call(self, job, spec, timeout, deadline):
        self.timeouts[spec.family] = timeout
        if spec.family in self.slow:
            return "timed_out", f"stopped after {timeout:.0f} s"
        if spec.family in self.broken:
            return "failed", "ValueError: no convergence"
        return "ok", f"{spec.family} model"


def members(*families_and_fit_times) -> dict[int, TrialResult]:
    return {
        n: TrialResult(n, family, {}, None, DONE, fit_time=t)
        for n, (family, t) in enumerate(families_and_fit_times)
    }


def test_a_slow_member_refit_leaves_the_later_members_the_time_they_need():
    records = members(("nn", 10.0), ("lightgbm", 5.0), ("glm", 2.0))
    plan = EnsemblePlan("greedy", [0, 1, 2], [0.5, 0.3, 0.2], -1.0, -0.9, 1.0)
    runner = _ClockedRunner(slow={"nn"})
    finalizer = finalizer_with(100)
    finalizer.runner, finalizer.data = runner, types.SimpleNamespace(n_classes=2)
    model, note = finalizer.ensemble(plan, records)
    later = finalizer.estimate(records[1]) + finalizer.estimate(records[2])
    assert runner.timeouts["nn"] == pytest.approx(100 - SAFETY_SECONDS - later, abs=0.5)
    assert model.members == ["lightgbm model", "glm model"]
    assert "2 trials" in note and "1 members dropped (no time to refit)" in note


def test_the_note_tells_a_failed_member_refit_from_one_out_of_time():
    records = members(("nn", 10.0), ("svm", 5.0), ("lightgbm", 2.0), ("glm", 1.0))
    plan = EnsemblePlan("greedy", [0, 1, 2, 3], [0.4, 0.3, 0.2, 0.1], -1.0, -0.9, 1.0)
    finalizer = finalizer_with(100)
    finalizer.runner = _ClockedRunner(slow={"nn"}, broken={"svm", "glm"})
    finalizer.data = types.SimpleNamespace(n_classes=2)
    finalizer.validated = {3: "validated glm"}
    model, note = finalizer.ensemble(plan, records)
    assert model.members == ["lightgbm model", "validated glm"]
    assert note == (
        "greedy ensemble of 2 trials: 1 refit on all training rows, 1 as fitted during "
        "validation (refit failed); 2 members dropped (1 no time to refit, 1 refit failed), "
        "weights renormalised"
    )


def test_a_member_refit_is_reused_for_the_single_model():
    records = members(("lightgbm", 1.0), ("nn", 1.0))
    plan = EnsemblePlan("greedy", [0, 1], [0.5, 0.5], -1.0, -0.9, 1.0)
    runner = _ClockedRunner(slow={"nn"})  # the ensemble falls through to its best trial
    finalizer = finalizer_with(100)
    finalizer.runner, finalizer.data = runner, types.SimpleNamespace(n_classes=2)
    assert finalizer.ensemble(plan, records)[0] is None
    runner.timeouts.clear()
    model, _ = finalizer.single(Best(records[0], pipeline="validated model"))
    assert model == "lightgbm model" and runner.timeouts == {}  # not fitted twice


def test_a_member_with_no_time_to_refit_joins_as_fitted_during_validation():
    records = members(("lightgbm", 1.0), ("random_forest", 500.0), ("glm", 500.0))
    finalizer = finalizer_with(30)
    finalizer.validated = {1: "validated forest"}  # the search kept the forest's, not the glm's
    pool = finalizer.affordable(list(records.values()), keep=0, planning=2.0)
    assert [t.number for t in pool] == [0, 1]
    finalizer.runner, finalizer.data = _ClockedRunner(), types.SimpleNamespace(n_classes=2)
    plan = EnsemblePlan("greedy", [0, 1], [0.4, 0.6], -1.0, -0.9, 1.0)
    model, note = finalizer.ensemble(plan, records)
    assert model.members == ["lightgbm model", "validated forest"]
    assert note == (
        "greedy ensemble of 2 trials: 1 refit on all training rows, "
        "1 as fitted during validation (no time to refit)"
    )
