"""Refit-time estimates (a trial fitted on a sample is scaled up to its fold's training rows) and
the ensemble members left out when their refits would overrun the budget."""

import time

import numpy as np
import pytest

from fitfinder.data import make_splits
from fitfinder.finalize import Finalizer, refit_seconds
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
