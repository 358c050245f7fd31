"""Pruning in whole AutoML runs: pruned trials journaled with their step and curve."""

import pytest

from fitfinder import AutoML
from fitfinder.estimators import get_family
from fitfinder.search.pruners import SuccessiveHalvingPruner
from fitfinder.trials.monitor import MIN_FOREST_STEP

# one thread: HistGradientBoosting's OpenMP threads run ~10x slower on a busy 2-core machine
QUICK = dict(time_budget=None, seed=0, verbose=0, ensemble=False, n_jobs=1)


@pytest.mark.parametrize("estimators", [["lightgbm"], ["rf", "hist_gb"]])
def test_halving_prunes_trials_and_journals_where_they_stopped(breast_cancer, estimators):
    train, test = breast_cancer
    automl = AutoML(estimators=estimators, max_trials=8, pruner="halving", **QUICK)
    automl.fit(train, target="target")
    records = automl.journal_.trials(automl.run_id_)
    pruned = [r for r in records if r.status == "pruned"]
    assert len(pruned) >= 2
    rungs = SuccessiveHalvingPruner().rungs(4096)
    for record in pruned:
        size = record.config[get_family(record.family).fidelity]  # trees or boosting rounds
        assert record.pruned_step in rungs and record.pruned_step < size
        assert max(record.curve) == record.pruned_step  # the curve ends where it stopped
        assert record.loss is not None and len(record.fold_losses) == 1  # first fold only
    done = [r for r in records if r.status == "done"]
    assert done and all(r.pruned_step is None for r in done)
    grown = [r for r in done if r.config[get_family(r.family).fidelity] >= MIN_FOREST_STEP]
    assert all(r.curve for r in grown)  # smaller forests are never judged, so have no curve
    board = automl.leaderboard()
    assert board["status"].value_counts()["pruned"] == len(pruned)
    assert automl.model_.info["best_trial"] in {r.number for r in done}
    assert automl.score(test.drop(columns="target"), test["target"]) > 0.97  # roc_auc


@pytest.mark.slow  # the worker's first nn trial imports PyTorch
def test_nn_trials_journal_their_per_epoch_validation_curve(breast_cancer):
    pytest.importorskip("torch")
    train, _ = breast_cancer
    automl = AutoML(estimators=["nn"], max_trials=1, split="holdout", **QUICK)
    automl.fit(train, target="target")
    (record,) = automl.journal_.trials(automl.run_id_)
    epochs = record.config["max_epochs"]
    assert record.status == "done" and 1 <= len(record.curve) <= epochs
    assert sorted(record.curve) == list(range(1, len(record.curve) + 1))
    assert min(record.curve.values()) < record.curve[1]  # validation loss fell while training
