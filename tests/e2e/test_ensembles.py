"""Ensembles end to end on real data: chosen by validation, refit modes, stacking, save/load."""

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fitfinder import AutoML, load
from fitfinder.ensemble import StackedEnsemble, WeightedEnsemble
from fitfinder.errors import ConfigError


def _auc(automl, test):
    positive = list(automl.classes_).index("bad")
    return roc_auc_score(test["Status"] == "bad", automl.predict_proba(test)[:, positive])


@pytest.fixture(scope="module")
def greedy_run(credit):
    train, _ = credit
    families = ["lightgbm", "glm", "knn", "extra_trees"]  # members that disagree
    automl = AutoML(time_budget=None, max_trials=10, estimators=families, verbose=0)
    return automl.fit(train, target="Status")


def test_ensemble_is_no_worse_than_its_best_member_on_held_out_rows(greedy_run, credit):
    _, test = credit
    board = greedy_run.leaderboard()
    row = board[board.family == "ensemble"].iloc[0]
    config = json.loads(row["config"])
    assert config["used"] == (greedy_run.best_family == "ensemble")
    if not config["used"]:
        pytest.skip("the ensemble did not beat the best single trial on validation here")
    assert isinstance(greedy_run.best_estimator, WeightedEnsemble)
    members = {int(n) for n in config["members"]}
    single = AutoML(
        time_budget=None,
        max_trials=10,
        estimators=["lightgbm", "glm", "knn", "extra_trees"],
        ensemble=False,
        verbose=0,
    )
    single.fit(credit[0], target="Status")
    assert len(members) >= 2
    assert _auc(greedy_run, test) >= _auc(single, test) - 0.005


def test_ensemble_save_load_round_trip(greedy_run, credit, tmp_path):
    _, test = credit
    greedy_run.save(tmp_path / "m")
    np.testing.assert_allclose(
        load(tmp_path / "m").predict_proba(test), greedy_run.predict_proba(test)
    )


def test_stacking_under_cv_and_fold_refit(credit):
    train, test = credit
    automl = AutoML(
        time_budget=None,
        max_trials=6,
        estimators=["lightgbm", "glm", "knn"],
        ensemble="stack",
        refit="folds",
        split="cv",
        n_folds=3,
        verbose=0,
    )
    automl.fit(train.head(1500), target="Status")
    model = automl.best_estimator
    assert isinstance(model, StackedEnsemble | WeightedEnsemble)
    assert _auc(automl, test) > 0.75
    if isinstance(model, StackedEnsemble):
        assert all(isinstance(m, WeightedEnsemble) and len(m.members) == 3 for m in model.members)
    assert "fold" in automl.model_.info["refit"] or "stack" in automl.model_.info["refit"]


def test_stacking_needs_cv(credit):
    train, _ = credit
    with pytest.raises(ConfigError, match="cross-validation"):
        AutoML(time_budget=5, ensemble="stack", split="holdout", verbose=0).fit(
            train, target="Status"
        )


def test_ensemble_off_gives_a_single_model(wine):
    train, _ = wine
    automl = AutoML(time_budget=None, max_trials=4, ensemble=False, verbose=0).fit(
        train, target="target"
    )
    assert "ensemble" not in set(automl.leaderboard()["family"])
    assert automl.best_family != "ensemble"
