import dataclasses

import numpy as np
import pytest

from fitfinder.trials import DONE, FAILED, TrialSpec, evaluate, refit

GLM = TrialSpec(number=0, family="glm", config={"C": 1.0, "penalty": "l2", "l1_ratio": 0.5})
LGBM = {
    "n_estimators": 50,
    "num_leaves": 4,
    "min_child_samples": 5,
    "learning_rate": 0.1,
    "log_max_bin": 8,
    "colsample_bytree": 1.0,
    "reg_alpha": 0.001,
    "reg_lambda": 1.0,
}


def test_cross_validation_fills_every_row_of_oof(make_trial_data):
    data = make_trial_data("wine")  # multiclass, log_loss
    result = evaluate(data, GLM)
    assert result.status == DONE and result.error is None
    assert result.oof.shape == (len(data.y), 3)
    np.testing.assert_allclose(result.oof.sum(axis=1), 1.0)
    assert len(result.fold_losses) == 3
    assert result.loss == pytest.approx(np.mean(result.fold_losses))
    assert result.score == result.loss < 0.3  # log loss: lower is better, both equal
    assert result.fit_time > 0 and result.predict_time > 0
    assert result.wall_time >= result.fit_time + result.predict_time


def test_greater_is_better_score_is_the_negated_loss(make_trial_data):
    result = evaluate(make_trial_data("cancer", "roc_auc"), GLM)
    assert result.score > 0.97
    assert result.loss == -result.score
    assert result.oof.shape[1] == 2


def test_class_missing_from_a_training_fold_gets_zero_probability(make_trial_data):
    data = make_trial_data("wine")
    rows = np.arange(len(data.y))
    val = np.union1d(rows[data.y == 2], rows[::4])  # every class-2 row is in validation
    train = np.setdiff1d(rows, val)
    data = dataclasses.replace(data, folds=[(train, val)])
    result = evaluate(data, GLM)
    assert result.status == DONE
    assert np.all(result.oof[val, 2] == 0)
    np.testing.assert_allclose(result.oof[val].sum(axis=1), 1.0)
    assert np.isnan(result.oof[train]).all()  # never validated


def test_fidelity_overrides_the_family_key(make_trial_data):
    data = make_trial_data("wine")
    spec = TrialSpec(number=1, family="lightgbm", config=LGBM, fidelity=7)
    assert refit(data, spec).named_steps["model"].n_estimators == 7
    result = evaluate(data, spec)
    assert result.status == DONE
    assert result.config == LGBM and result.fidelity == 7


def test_sample_weights_change_the_loss(make_trial_data):
    weights = np.where(np.arange(442) % 2 == 0, 1.0, 5.0)
    plain = evaluate(make_trial_data("diabetes"), GLM)
    weighted = evaluate(make_trial_data("diabetes", sample_weight=weights), GLM)
    assert plain.status == weighted.status == DONE
    assert plain.oof.shape == (442,)
    assert weighted.loss != pytest.approx(plain.loss)
    assert refit(make_trial_data("diabetes", sample_weight=weights), GLM).predict is not None


def test_rich_custom_metric_logs_averaged_metrics(make_trial_data):
    seen = {}

    def my_metric(X_val, y_val, estimator, labels, X_train, y_train, weight_val, weight_train,
                  config, groups_val, groups_train):  # fmt: skip
        seen.update(labels=labels, config=config, weight=weight_val, rows=len(X_val) + len(X_train))
        error = float(np.mean(estimator.predict(X_val) != y_val))
        return error, {"error": error, "note": "ok"}

    data = make_trial_data("wine", my_metric)
    result = evaluate(data, GLM)
    assert result.status == DONE
    assert seen == {"labels": [0, 1, 2], "config": GLM.config, "weight": None, "rows": 178}
    assert result.score == result.loss == pytest.approx(result.metrics["error"])
    assert result.metrics["note"] == "ok"


def test_short_rich_metric_gets_the_arguments_it_takes(make_trial_data):
    def accuracy_gap(X_val, y_val, estimator, labels, X_train, y_train):
        return 1 - estimator.score(X_val, y_val)

    result = evaluate(make_trial_data("wine", accuracy_gap), GLM)
    assert result.status == DONE and result.metrics == {}


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        (dataclasses.replace(GLM, family="nope"), "ConfigError: unknown"),
        (
            dataclasses.replace(GLM, config={**GLM.config, "C": -1.0}),
            "InvalidParameterError: The 'C' parameter",
        ),
    ],
)
def test_errors_become_a_failed_result(make_trial_data, spec, error):
    result = evaluate(make_trial_data("wine"), spec)
    assert result.status == FAILED
    assert error in result.error and "\n" not in result.error
    assert result.loss is None and result.oof is None


def test_non_finite_loss_fails(make_trial_data):
    def nan_metric(X_val, y_val, estimator, labels, X_train, y_train):
        return float("nan")

    result = evaluate(make_trial_data("wine", nan_metric), GLM)
    assert (result.status, result.error) == (FAILED, "loss is not finite (nan)")


def test_preprocessing_is_fitted_once_per_style_and_fold_and_gives_the_same_scores(
    make_trial_data,
):
    data = make_trial_data("wine")
    lgbm = TrialSpec(number=1, family="lightgbm", config=LGBM)
    cold = evaluate(data, lgbm)  # fills the cache for the "native" style
    entries = len(data.features)
    warm = evaluate(data, dataclasses.replace(lgbm, number=2))
    assert len(data.features) == entries  # nothing new fitted or transformed
    assert warm.loss == cold.loss
    fresh = make_trial_data("wine")
    assert evaluate(fresh, lgbm).loss == cold.loss  # the cache changes no score
    assert warm.model[0] is cold.model[0]  # the very same fitted features step
