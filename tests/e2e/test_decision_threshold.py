"""End to end: a run scored on balanced accuracy tunes its decision threshold, and predict, a
saved model, the ONNX graph and the server's native backend all apply it."""

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

    folder = automl.save(tmp_path / "model")
    loaded = load(folder)
    assert loaded.threshold == cut and (loaded.predict(X) == expected).all()
    assert loaded.export_onnx(folder / "model.onnx", X)["labels_match"]
    features = loaded.schema.conform(X)
    native = load_backend(folder, "native")
    labels, _ = native.answer({c: features[c].to_numpy() for c in features.columns})
    assert (labels == expected).all()
    onnx = load_backend(folder, "onnx")
    labels, _ = onnx.answer({c: features[c].to_numpy() for c in features.columns})
    assert (labels.astype(str) == expected.astype(str)).all()


def test_switched_off_labels_stay_the_most_probable_class(credit):
    train, test = credit
    automl = fit(train, tune_threshold=False)
    assert "decision_threshold" not in automl.model_.info
    X = test.drop(columns="Status")
    assert (automl.predict(X) == automl.classes_[automl.predict_proba(X).argmax(axis=1)]).all()
