"""End to end: a run scored on balanced accuracy tunes its decision threshold, a multiclass run
scored on macro F1 its class weights, and predict, a saved model, the ONNX graph and the
server's native backend all apply them."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import balanced_accuracy_score

from fitfinder import AutoML, load
from fitfinder.serve.backend import load_backend


def fit(train, **settings) -> AutoML:
    automl = AutoML(
        time_budget=None,
        max_trials=4,
        estimators=["glm", "lightgbm"],
        metric="balanced_accuracy",
        verbose=0,
        **settings,
    )
    return automl.fit(train, target="Status")


def test_the_tuned_threshold_labels_every_prediction(credit, tmp_path):
    train, test = credit  # 28 % "bad": balanced accuracy wants a cut-off away from 0.5
    automl = fit(train)
    found = automl.model_.info["decision_threshold"]
    cut = found["value"]
    assert cut != 0.5 and found["validation_score"] > found["validation_score_at_0.5"]
    X = test.drop(columns="Status")
    proba = automl.predict_proba(X)
    expected = np.where(proba[:, 1] >= cut, automl.classes_[1], automl.classes_[0])
    assert (automl.predict(X) == expected).all()
    assert (expected != automl.classes_[proba.argmax(axis=1)]).any()  # the cut-off matters here
    truth = test["Status"].to_numpy()
    assert automl.score(X, truth) == balanced_accuracy_score(truth, expected)

    assert_applied_everywhere(automl, X, expected, tmp_path)


def assert_applied_everywhere(automl: AutoML, X, expected, tmp_path) -> None:
    """A saved model, its ONNX graph and both server backends label ``X`` as ``expected``."""
    folder = automl.save(tmp_path / "model")
    loaded = load(folder)
    assert loaded.threshold == automl.model_.threshold and (loaded.predict(X) == expected).all()
    assert loaded.export_onnx(folder / "model.onnx", X)["labels_match"]
    features = loaded.schema.conform(X)
    for backend in ("native", "onnx"):
        served = load_backend(folder, backend)
        labels, _ = served.answer({c: features[c].to_numpy() for c in features.columns})
        assert (labels.astype(str) == expected.astype(str)).all()


def test_multiclass_macro_f1_tunes_class_weights(shared_dataset, tmp_path):
    train, test, _ = shared_dataset("hpc_job_class")  # 51 / 31 / 12 / 6 %: the rare ones lose
    automl = AutoML(
        time_budget=None, max_trials=3, estimators=["glm"], metric="f1_macro", verbose=0
    ).fit(train, target="class")
    found = automl.model_.info["decision_threshold"]
    weights = np.asarray(found["value"])
    assert weights.shape == (4,) and (weights != 1).any()
    assert found["validation_score"] > found["validation_score_most_probable"]
    X = test.drop(columns="class")
    proba = automl.predict_proba(X)
    expected = automl.classes_[(proba * weights).argmax(axis=1)]
    assert (automl.predict(X) == expected).all()
    assert (expected != automl.classes_[proba.argmax(axis=1)]).any()  # the weights matter here
    assert_applied_everywhere(automl, X, expected, tmp_path)


def test_switched_off_labels_stay_the_most_probable_class(credit):
    train, test = credit
    automl = fit(train, tune_threshold=False)
    assert "decision_threshold" not in automl.model_.info
    X = test.drop(columns="Status")
    assert (automl.predict(X) == automl.classes_[automl.predict_proba(X).argmax(axis=1)]).all()
