"""Whole runs on real data: the found model beats a trivial baseline on held-out rows."""

import numpy as np
import pytest
from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score

from fitfinder import AutoML, load


def test_binary_breast_cancer_with_string_labels(breast_cancer, tmp_path):
    train, test = breast_cancer
    automl = AutoML(time_budget=20, seed=0, verbose=0)
    automl.fit(train, target="target")
    proba = automl.predict_proba(test.drop(columns="target"))
    positive = list(automl.classes_).index("malignant")
    auc = roc_auc_score(test["target"] == "malignant", proba[:, positive])
    assert auc > 0.97  # a constant predictor scores 0.5
    assert set(automl.predict(test)) <= {"malignant", "benign"}
    assert automl.score(test.drop(columns="target"), test["target"]) == pytest.approx(auc)
    board = automl.leaderboard()
    assert {"rank", "family", "roc_auc", "fit_time", "status", "config"} <= set(board.columns)
    singles = board[board.family != "ensemble"]
    # the final model: an ensemble, the best single trial, or a near tie the recheck preferred
    rechecked = automl.model_.info.get("recheck", {}).get("chosen")
    chosen = singles.family[singles.trial == rechecked].tolist()
    assert automl.best_family in ("ensemble", singles.iloc[0]["family"], *chosen)
    assert singles["family"].nunique() >= 4
    automl.save(tmp_path / "model")
    again = load(tmp_path / "model")
    np.testing.assert_allclose(again.predict_proba(test), proba)


def test_multiclass_wine_beats_prior(wine):
    train, test = wine
    automl = AutoML(time_budget=20, seed=0, verbose=0)
    automl.fit(train.drop(columns="target"), train["target"])
    prior = np.tile(np.bincount(train["target"]) / len(train), (len(test), 1))
    ours = log_loss(test["target"], automl.predict_proba(test.drop(columns="target")))
    assert automl.metric_.name == "log_loss"
    assert ours < 0.5 * log_loss(test["target"], prior)


def test_regression_concrete_beats_mean(concrete):
    train, test = concrete
    automl = AutoML(time_budget=25, seed=0, verbose=0)
    automl.fit(train, target="compressive_strength")
    y = test["compressive_strength"]
    rmse = mean_squared_error(y, automl.predict(test)) ** 0.5
    baseline = mean_squared_error(y, np.full(len(y), train["compressive_strength"].mean())) ** 0.5
    assert rmse < 0.5 * baseline


def test_credit_with_categoricals_and_missing(credit):
    train, test = credit
    automl = AutoML(
        time_budget=20, metric="roc_auc", seed=0, verbose=0, estimators=["lightgbm", "glm"]
    )
    automl.fit(train, target="Status")
    positive = list(automl.classes_).index("bad")
    auc = roc_auc_score(test["Status"] == "bad", automl.predict_proba(test)[:, positive])
    assert auc > 0.78
    assert set(automl.leaderboard()["family"]) <= {"lightgbm", "glm", "ensemble"}
