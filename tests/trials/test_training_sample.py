"""Trials fitted on a sample of each fold's training rows, scored on every validation row."""

import dataclasses

import numpy as np

from fitfinder.trials import DONE, TrialSpec, evaluate
from fitfinder.trials.evaluate import training_sample

KNN = {"n_neighbors": 5, "weights": "uniform", "p": 2}


def test_a_sampled_trial_fits_on_that_many_rows_and_predicts_every_validation_row(
    make_trial_data,
):
    data = make_trial_data("cancer", "roc_auc")
    result = evaluate(data, TrialSpec(0, "knn", KNN, sample_size=100))
    assert result.status == DONE and result.sample_size == 100
    assert result.model[-1].n_samples_fit_ == 100  # the first fold's model
    assert len(result.fold_losses) == 3
    assert not np.isnan(result.oof).any()  # every row validated once, as without a sample
    full = evaluate(data, TrialSpec(1, "knn", KNN))
    assert full.model[-1].n_samples_fit_ == len(data.folds[0][0]) > 100
    assert full.sample_size is None and result.loss != full.loss


def test_the_sample_is_stratified_seeded_and_the_same_in_every_trial(make_trial_data):
    data = make_trial_data("cancer")
    train = data.folds[0][0]
    rows = training_sample(data, train, 100, 0)
    assert len(rows) == 100 and np.all(np.diff(rows) > 0) and np.isin(rows, train).all()
    expected = 100 * np.bincount(data.y[train]) / len(train)
    assert np.abs(np.bincount(data.y[rows]) - expected).max() <= 1
    np.testing.assert_array_equal(rows, training_sample(data, train, 100, 0))
    assert not np.array_equal(rows, training_sample(data, train, 100, 1))  # another fold
    other_seed = dataclasses.replace(data, seed=1)
    assert not np.array_equal(rows, training_sample(other_seed, train, 100, 0))
    assert training_sample(data, train, None, 0) is train
    assert training_sample(data, train, len(train), 0) is train


def test_plain_random_sample_for_regression_and_for_a_class_too_rare_to_stratify(
    make_trial_data,
):
    data = make_trial_data("diabetes")
    train = data.folds[0][0]
    rows = training_sample(data, train, 50, 0)
    assert len(np.unique(rows)) == 50 and np.isin(rows, train).all()
    wine = make_trial_data("wine")
    lonely = np.flatnonzero(wine.y == 0)[:1]  # class 0 with a single row cannot be stratified
    train = np.sort(np.concatenate([lonely, np.flatnonzero(wine.y != 0)]))
    assert len(np.unique(training_sample(wine, train, 20, 0))) == 20


def test_sampled_trials_share_their_fitted_preprocessing(make_trial_data):
    data = make_trial_data("cancer")
    evaluate(data, TrialSpec(0, "knn", KNN, sample_size=100))
    cached, saved = len(data.features), data.features.saved
    evaluate(
        data, TrialSpec(1, "glm", {"C": 0.5, "penalty": "l2", "l1_ratio": 0.5}, sample_size=100)
    )
    assert len(data.features) == cached and data.features.saved > saved  # same style: all hits
    evaluate(data, TrialSpec(2, "knn", KNN, sample_size=200))
    assert len(data.features) == 2 * cached  # other rows, other entries
