"""Refit-time estimates: a trial fitted on a sample is scaled up to its fold's training rows."""

import numpy as np
import pytest

from fitfinder.data import make_splits
from fitfinder.finalize import refit_seconds
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
