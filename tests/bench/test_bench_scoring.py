"""The shared scorer agrees with scikit-learn, and the bootstrap says what noise is."""

import numpy as np
import pandas as pd
import pytest
from scoring import Target, paired_bootstrap, prepare, score, verdict
from sklearn import metrics as skm
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def _fit_proba(load):
    X, y = load(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(Xtr, ytr)
    return model.predict_proba(Xte), yte.astype(str), [str(c) for c in model.classes_]


def _frame(proba, classes):
    frame = pd.DataFrame({f"proba:{c}": proba[:, j] for j, c in enumerate(classes)})
    frame.insert(0, "pred", np.asarray(classes)[proba.argmax(axis=1)])
    return frame


@pytest.fixture(scope="module")
def binary():
    proba, y, classes = _fit_proba(load_breast_cancer)
    return Target("roc_auc", y, classes, "1"), _frame(proba, classes)


def test_roc_auc_matches_sklearn_with_ties(binary):
    target, frame = binary
    frame["proba:1"] = frame["proba:1"].round(1)  # many ties
    expected = skm.roc_auc_score(target.y == "1", frame["proba:1"])
    assert score(target, prepare(target, frame)) == pytest.approx(expected)


def test_weights_equal_duplicated_rows(binary):
    target, frame = binary
    counts = np.random.default_rng(1).integers(0, 3, len(target.y))
    rows = np.repeat(np.arange(len(target.y)), counts)
    resampled = Target(target.metric, target.y[rows], target.classes, target.positive)
    expected = score(resampled, prepare(resampled, frame.iloc[rows]))
    assert score(target, prepare(target, frame), counts.astype(float)) == pytest.approx(expected)


def test_log_loss_and_macro_f1_match_sklearn():
    proba, y, classes = _fit_proba(load_wine)
    frame = _frame(proba, classes)
    target = Target("log_loss", y, classes, None)
    assert score(target, prepare(target, frame)) == pytest.approx(skm.log_loss(y, proba))
    target = Target("macro_f1", y, classes, None)
    expected = skm.f1_score(y, frame["pred"], average="macro")
    assert score(target, prepare(target, frame)) == pytest.approx(expected)


def test_log_loss_gives_an_unseen_class_tiny_probability():
    target = Target("log_loss", np.array(["a", "c"]), ["a", "b", "c"], None)
    frame = pd.DataFrame({"pred": ["a", "a"], "proba:a": [1.0, 0.5], "proba:b": [0.0, 0.5]})
    assert score(target, prepare(target, frame)) == pytest.approx(-np.log(1e-15) / 2, rel=1e-6)


def test_rmse_matches_sklearn():
    X, y = load_diabetes(return_X_y=True)
    pred = LinearRegression().fit(X, y).predict(X)
    target = Target("rmse", y, [], None)
    expected = skm.root_mean_squared_error(y, pred)
    assert score(target, prepare(target, pd.DataFrame({"pred": pred}))) == pytest.approx(expected)


def test_bootstrap_of_identical_predictions_is_within_noise(binary):
    target, frame = binary
    pred = prepare(target, frame)
    point, low, high = paired_bootstrap(target, pred, pred, n_boot=50)
    assert (point, low, high) == (0.0, 0.0, 0.0)
    assert verdict(low, high) == "within noise"


def test_bootstrap_orients_lower_is_better_metrics():
    y = np.linspace(0, 10, 400)
    target = Target("rmse", y, [], None)
    good, bad = y + 0.1, y + np.random.default_rng(0).normal(0, 2, len(y))
    point, low, high = paired_bootstrap(target, good, bad, n_boot=200)
    assert point > 0 and low > 0
    assert verdict(low, high) == "better"
    assert verdict(*paired_bootstrap(target, bad, good, n_boot=200)[1:]) == "worse"
