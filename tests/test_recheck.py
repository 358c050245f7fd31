"""The validation-overfitting guard: near ties, the second split and the recheck's choice."""

from types import SimpleNamespace

import numpy as np
import pytest

from fitfinder.data import make_splits
from fitfinder.metrics import get_metric
from fitfinder.recheck import MAX_CANDIDATES, near_ties, reserve_seconds, run_recheck, second_split
from fitfinder.trials import DONE, FAILED, TrialResult


def _record(number, loss, family="glm", status=DONE, wall_time=0.1):
    return SimpleNamespace(
        number=number, family=family, config={"c": number}, fidelity=None, status=status,
        loss=loss, wall_time=wall_time, sample_size=None,
    )  # fmt: skip


def test_near_ties_keep_rivals_within_noise_and_drop_clear_losers():
    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    best = y + rng.normal(scale=0.5, size=400)
    twin = y + rng.normal(scale=0.5, size=400)  # as good, other errors
    poor = y + rng.normal(scale=2.0, size=400)  # clearly worse
    rmse = get_metric("rmse", "regression")
    records = [_record(0, 0.50), _record(1, 0.51), _record(2, 2.0), _record(3, 0.4, status=FAILED)]
    predictions = {0: best, 1: twin, 2: poor}
    assert [r.number for r in near_ties(records, predictions, y, rmse)] == [0, 1]


def test_near_ties_stop_at_the_candidate_cap():
    y = np.linspace(0, 1, 200)
    rmse = get_metric("rmse", "regression")
    records = [_record(n, 0.1) for n in range(8)]
    predictions = {n: y + np.random.default_rng(n).normal(scale=0.1, size=200) for n in range(8)}
    assert len(near_ties(records, predictions, y, rmse)) == MAX_CANDIDATES


@pytest.mark.parametrize("kind", ["cv", "holdout"])
def test_second_split_has_the_same_shape_with_other_rows(kind):
    y = np.repeat([0, 1], 100)
    plan = make_splits(y, "binary", split=kind, n_folds=4, holdout_fraction=0.25, seed=3)
    folds = second_split(plan, y, "binary", None, seed=3)
    assert len(folds) == len(plan.folds)
    assert [len(v) for _, v in folds] == [len(v) for _, v in plan.folds]
    assert not np.array_equal(folds[0][1], plan.folds[0][1])


class _Runner:
    """Gives each candidate the second-split loss in ``losses`` (None: the trial fails)."""

    def __init__(self, losses):
        self.losses, self.specs = losses, []

    def run(self, spec, deadline=None):
        self.specs.append(spec)
        loss = self.losses[spec.number]
        status = FAILED if loss is None else DONE
        return TrialResult(spec.number, spec.family, spec.config, None, status, loss=loss,
                           model=f"model {spec.number}")  # fmt: skip


def test_recheck_chooses_the_lowest_mean_of_both_splits():
    candidates = [_record(0, 0.30), _record(1, 0.31), _record(2, 0.32)]
    runner = _Runner({0: 0.40, 1: 0.33, 2: None})
    folds = [(np.arange(5), np.arange(5, 8))]
    check = run_recheck(runner, candidates, folds, until=np.inf)
    assert check.chosen == 1  # (0.31 + 0.33) / 2 < (0.30 + 0.40) / 2
    assert check.losses == {0: (0.30, 0.40), 1: (0.31, 0.33), 2: (0.32, None)}
    assert check.models[1] == "model 1"
    assert all(spec.folds is folds and spec.keep_model_below == np.inf for spec in runner.specs)
    assert "chose #1" in check.note()


def test_recheck_keeps_the_best_when_its_own_recheck_fails():
    candidates = [_record(0, 0.30), _record(1, 0.31)]
    check = run_recheck(_Runner({0: None, 1: 0.1}), candidates, [], until=np.inf)
    assert check.chosen == 0


def test_recheck_runs_nothing_without_time_left():
    runner = _Runner({0: 0.1, 1: 0.1})
    check = run_recheck(runner, [_record(0, 0.3), _record(1, 0.2)], [], until=0.0)
    assert runner.specs == [] and check.chosen == 0


def test_the_reserve_is_two_best_trials_capped_by_a_tenth_of_the_budget():
    assert reserve_seconds(1.5, 60.0) == 3.0
    assert reserve_seconds(20.0, 120.0) == 12.0
    assert reserve_seconds(20.0, None) == 40.0
