"""Inputs a user brings: mixed column types, weights, groups, odd rows at predict time."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from fitfinder import AutoML, load
from fitfinder.errors import ConfigError, DataError, ModelError


def mixed_table(n=600, seed=0):
    """Target depends on a category, a weekday, a word in free text and a numeric column."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], n)
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    word = rng.choice(["great", "awful"], n)
    filler = [
        "the parcel came on time and the box was intact",
        "it was delivered to the wrong door at night",
    ]
    text = [f"{word[i]} product, {filler[i % 2]} order {i}" for i in range(n)]
    x = rng.normal(size=n)
    logit = (
        1.5 * (colour == "red") + 1.5 * (when.day_of_week >= 5) + 2.0 * (word == "great") + x - 2
    )
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "colour": colour,
            "when": when.strftime("%Y-%m-%d"),
            "review": text,
            "x": x,
            "y": y,
        }
    )


def test_datetime_text_categorical_and_id_columns(tmp_path):
    table = mixed_table()
    train, test = table.iloc[:450], table.iloc[450:]
    automl = AutoML(time_budget=15, estimators=["lightgbm", "glm"], verbose=0)
    automl.fit(train, target="y")
    roles = automl.schema_.roles
    assert (roles["colour"], roles["when"], roles["review"], roles["id"]) == (
        "categorical",
        "datetime",
        "text",
        "id",
    )
    proba = automl.predict_proba(test)[:, list(automl.classes_).index("yes")]
    assert roc_auc_score(test["y"] == "yes", proba) > 0.8


def test_predict_handles_unseen_categories_nan_inf_and_extra_columns(credit, tmp_path):
    train, test = credit
    automl = AutoML(time_budget=10, estimators=["lightgbm"], verbose=0).fit(train, target="Status")
    odd = test.head(5).copy()
    odd["Home"] = "castle"
    odd["Income"] = [np.nan, np.inf, -np.inf, 1e300, 0]
    odd["unrelated"] = 1
    proba = automl.predict_proba(odd)
    assert proba.shape == (5, 2) and np.isfinite(proba).all()
    automl.save(tmp_path / "m")
    np.testing.assert_allclose(load(tmp_path / "m").predict_proba(odd), proba)
    with pytest.raises(DataError, match="Income"):
        automl.predict(test.drop(columns=["Income"]))


def test_sample_weight_changes_the_model(concrete):
    train, test = concrete
    X, y = train.drop(columns="compressive_strength"), train["compressive_strength"]
    heavy_old = np.where(X["age"] > 50, 50.0, 1.0)
    plain = AutoML(time_budget=None, max_trials=3, estimators=["lightgbm"], verbose=0).fit(X, y)
    weighted = AutoML(time_budget=None, max_trials=3, estimators=["lightgbm"], verbose=0).fit(
        X, y, sample_weight=heavy_old
    )
    assert not np.allclose(plain.predict(test), weighted.predict(test))
    assert weighted.leaderboard()["rmse"].iloc[0] != plain.leaderboard()["rmse"].iloc[0]


def test_a_family_that_cannot_honour_weights_is_refused_when_named(concrete):
    train, _ = concrete
    X, y = train.drop(columns="compressive_strength"), train["compressive_strength"]
    automl = AutoML(time_budget=None, max_trials=2, estimators=["glm", "svm"], verbose=0)
    with pytest.raises(ConfigError, match="'svm' cannot honour sample_weight"):
        automl.fit(X, y, sample_weight=np.ones(len(y)))


def test_groups_never_straddle_folds(wine):
    train, _ = wine
    groups = np.arange(len(train)) // 4
    automl = AutoML(time_budget=None, max_trials=2, estimators=["glm"], verbose=0)
    automl.fit(train, target="target", groups=groups)
    for fit_rows, val_rows in automl.split_plan_.folds:
        assert not set(groups[fit_rows]) & set(groups[val_rows])


def test_numpy_arrays_in_and_out():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    automl = AutoML(time_budget=None, max_trials=3, estimators=["glm"], verbose=0).fit(X, y)
    assert (automl.predict(X) == y).mean() > 0.9


def test_n_jobs_minus_one_means_every_core_as_in_scikit_learn():
    X = np.random.default_rng(0).normal(size=(60, 3))
    y = X[:, 0] + 0.1
    automl = AutoML(time_budget=None, max_trials=1, n_jobs=-1, verbose=0).fit(X, y)
    assert automl._threads() == AutoML()._threads()
    assert automl.predict(X).shape == (60,)
    with pytest.raises(ConfigError, match="n_jobs must be at least 1, got -2"):
        AutoML(time_budget=None, max_trials=1, n_jobs=-2, verbose=0).fit(X, y)


def test_load_refuses_a_major_version_mismatch_and_warns_on_minor(wine, tmp_path):
    train, _ = wine
    automl = AutoML(time_budget=None, max_trials=1, estimators=["glm"], verbose=0).fit(
        train, target="target"
    )
    automl.save(tmp_path / "m")
    description = json.loads((tmp_path / "m" / "model.json").read_text())
    major, minor, *_ = description["versions"]["scikit-learn"].split(".")
    description["versions"]["scikit-learn"] = f"{major}.{int(minor) + 1}.0"
    (tmp_path / "m" / "model.json").write_text(json.dumps(description))
    with pytest.warns(UserWarning, match="scikit-learn"):
        load(tmp_path / "m")
    description["versions"]["scikit-learn"] = f"{int(major) + 1}.0.0"
    (tmp_path / "m" / "model.json").write_text(json.dumps(description))
    with pytest.raises(ModelError, match="scikit-learn"):
        load(tmp_path / "m")


@pytest.mark.parametrize("name", ["penguins", "hpc_job_class", "credit_data"])
def test_shared_datasets_beat_a_trivial_baseline(name, shared_dataset):
    train, test, entry = shared_dataset(name)
    target = entry["target"]
    automl = AutoML(time_budget=20, metric=entry["metric"], verbose=0).fit(train, target=target)
    truth = test[target]
    if entry["task"] == "binary":
        positive = list(automl.classes_).index(entry["positive_class"])
        score = roc_auc_score(
            truth == entry["positive_class"], automl.predict_proba(test)[:, positive]
        )
        assert score > 0.75
    else:
        from sklearn.metrics import log_loss

        prior = truth.map(train[target].value_counts(normalize=True))
        ours = log_loss(truth, automl.predict_proba(test), labels=automl.classes_)
        assert ours < 0.6 * -np.log(prior).mean()
