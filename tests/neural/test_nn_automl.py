"""The nn family inside the core: whole runs, the trial deadline, save and load."""

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score

from fitfinder import AutoML, load
from fitfinder.data import Schema, make_splits, prepare_target
from fitfinder.estimators import FAMILIES, neural
from fitfinder.features import build_pipeline
from fitfinder.metrics import get_metric
from fitfinder.trials import DONE, TrialData, TrialSpec, evaluate, refit

QUICK = dict(time_budget=None, max_trials=2, split="holdout", seed=0, verbose=0)


def _rmse(y, pred) -> float:
    return float(mean_squared_error(y, pred) ** 0.5)


def test_breast_cancer_and_save_load_round_trip(breast_cancer, tmp_path):
    train, test = breast_cancer
    automl = AutoML(estimators=["nn"], metric="roc_auc", **QUICK).fit(train, target="target")
    X_test = test.drop(columns="target")
    proba = automl.predict_proba(X_test)
    positive = list(automl.classes_).index("malignant")
    assert roc_auc_score(test["target"] == "malignant", proba[:, positive]) > 0.97
    assert set(automl.leaderboard()["family"]) - {"ensemble"} == {"nn"}
    automl.save(tmp_path / "model")
    again = load(tmp_path / "model")
    np.testing.assert_array_equal(again.predict_proba(X_test), proba)
    np.testing.assert_array_equal(again.predict(X_test), automl.predict(X_test))


def test_wine_multiclass_beats_the_prior(wine):
    train, test = wine
    automl = AutoML(estimators=["nn"], **QUICK).fit(train, target="target")
    prior = np.tile(np.bincount(train["target"]) / len(train), (len(test), 1))
    ours = log_loss(test["target"], automl.predict_proba(test.drop(columns="target")))
    assert ours < 0.3 * log_loss(test["target"], prior)


def test_concrete_nn_beats_the_linear_family(concrete):
    train, test = concrete
    target = "compressive_strength"
    automl = AutoML(estimators=["nn"], **QUICK).fit(train, target=target)
    nn_rmse = _rmse(test[target], automl.predict(test))
    glm = _fit_in_process(FAMILIES["glm"], train, target)  # the linear family's defaults
    glm_rmse = _rmse(
        test[target], glm.predict(Schema.infer(train.drop(columns=target)).conform(test))
    )
    assert nn_rmse < 0.85 * glm_rmse, (nn_rmse, glm_rmse)


@pytest.mark.slow
def test_credit_categoricals_and_missing_values(credit):
    train, test = credit
    automl = AutoML(estimators=["nn"], metric="roc_auc", **QUICK).fit(train, target="Status")
    proba = automl.predict_proba(test.drop(columns="Status"))[:, list(automl.classes_).index("bad")]
    assert roc_auc_score(test["Status"] == "bad", proba) > 0.75


def _fit_in_process(family, frame: pd.DataFrame, target: str):
    X = frame.drop(columns=target)
    schema = Schema.infer(X)
    pipe = build_pipeline(schema, family, family.defaults, task="regression", n_rows=len(X))
    return pipe.fit(schema.conform(X), frame[target].to_numpy(float))


def _trial_data(frame: pd.DataFrame, target: str) -> TrialData:
    X = frame.drop(columns=target)
    schema = Schema.infer(X)
    info = prepare_target(frame[target])
    plan = make_splits(info.y, info.task, n_folds=3, seed=0)
    return TrialData(
        X=schema.conform(X),
        y=info.y,
        schema=schema,
        task=info.task,
        metric=get_metric(None, info.task, None),
        folds=plan.folds,
        labels=info.labels,
    )


def test_a_trial_cut_by_its_deadline_returns_its_best_model(concrete):
    data = _trial_data(concrete[0], "compressive_strength")
    config = neural.DEFAULTS | {"max_epochs": 512, "patience": 32, "log2_batch_size": 5}
    spec = TrialSpec(number=0, family="nn", config=config, timeout=3.0)
    evaluate(data, TrialSpec(number=0, family="nn", config=neural.LOW_COST))  # torch warm
    started = time.perf_counter()
    result = evaluate(data, spec)
    assert time.perf_counter() - started < spec.timeout
    assert result.status == DONE and np.isfinite(result.loss)
    model = result.model[-1]
    assert model.stopped_by_ == "time_limit"
    assert model.best_epoch_ == int(np.argmin([e["val_loss"] for e in model.curve_])) + 1


def test_a_refit_stops_before_its_timeout_with_its_best_epoch(concrete):
    data = _trial_data(concrete[0], "compressive_strength")
    config = neural.DEFAULTS | {"max_epochs": 512, "patience": 32, "log2_batch_size": 5}
    spec = TrialSpec(number=-1, family="nn", config=config, timeout=3.0)
    refit(data, TrialSpec(number=-1, family="nn", config=neural.LOW_COST))  # torch warm
    started = time.perf_counter()
    model = refit(data, spec)[-1]
    assert time.perf_counter() - started < spec.timeout  # before the worker would be killed
    assert model.stopped_by_ == "time_limit"
    assert model.best_epoch_ == int(np.argmin([e["val_loss"] for e in model.curve_])) + 1


@pytest.mark.slow
@pytest.mark.parametrize("name", ["concrete_strength", "hpc_job_class"])
def test_shared_datasets_nn_against_glm(shared_dataset, name):
    train, test, entry = shared_dataset(name)
    target = entry["target"]
    scores = {}
    for family in ("glm", "nn"):
        automl = AutoML(time_budget=60, estimators=[family], seed=0, verbose=0)
        automl.fit(train, target=target)
        X_test = test.drop(columns=target)
        if entry["task"] == "regression":
            scores[family] = -_rmse(test[target], automl.predict(X_test))
        else:
            scores[family] = -log_loss(
                test[target], automl.predict_proba(X_test), labels=automl.classes_
            )
    assert (
        scores["nn"] > scores["glm"] if name == "concrete_strength" else np.isfinite(scores["nn"])
    )
