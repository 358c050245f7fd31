"""The decision rule: tuned on validation predictions for label metrics (a binary cut-off,
multiclass class weights)."""

from __future__ import annotations

import numpy as np
import pytest

from fitfinder.metrics import get_metric
from fitfinder.threshold import GRID, WEIGHTS, decide, tune_threshold, tunes_threshold


def imbalanced(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """10 % positives whose probabilities run low: F1 is best well below 0.5."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.1).astype(int)
    positive = np.clip(rng.normal(0.15 + 0.25 * y, 0.08), 0, 1)
    return y, np.column_stack([1 - positive, positive])


@pytest.mark.parametrize("name", ["f1", "f1_macro", "balanced_accuracy"])
def test_a_label_metric_gets_the_cut_off_that_scores_best(name):
    y, proba = imbalanced()
    metric = get_metric(name, "binary")
    found = tune_threshold(y, proba, metric)
    assert found is not None and found.value in GRID and found.value < 0.5
    assert found.score > found.score_at_half
    labels = decide(proba, found.value)
    assert metric.func(y, labels) == pytest.approx(found.score)
    for cut in GRID:  # no cut-off on the grid does better
        assert metric.func(y, decide(proba, float(cut))) <= found.score + 1e-12


def test_only_label_metrics_other_than_accuracy_tune():
    assert tunes_threshold(get_metric("f1", "binary"), "binary")
    assert tunes_threshold(get_metric("balanced_accuracy", "binary"), "binary")
    assert tunes_threshold(get_metric("f1_macro", "multiclass"), "multiclass")
    assert not tunes_threshold(get_metric("accuracy", "binary"), "binary")
    assert not tunes_threshold(get_metric("f1_micro", "multiclass"), "multiclass")
    assert not tunes_threshold(get_metric("roc_auc", "binary"), "binary")
    assert not tunes_threshold(get_metric("log_loss", "multiclass"), "multiclass")


def three_classes(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """70 / 20 / 10 %: the rare classes' probabilities run low, so the most probable class
    seldom names them."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=n, p=[0.7, 0.2, 0.1])
    logits = rng.normal(0, 1, (n, 3)) + np.array([1.5, 0.0, -0.5])
    logits[np.arange(n), y] += 1.5
    proba = np.exp(logits)
    return y, proba / proba.sum(axis=1, keepdims=True)


def test_multiclass_macro_f1_gets_class_weights_that_raise_the_rare_classes():
    y, proba = three_classes()
    metric = get_metric("f1_macro", "multiclass")
    found = tune_threshold(y, proba, metric)
    assert found is not None and len(found.value) == 3 and set(found.value) <= set(WEIGHTS)
    assert found.value[2] > found.value[0] and found.score > found.score_at_half
    assert metric.func(y, decide(proba, found.value)) == pytest.approx(found.score)
    assert found.score_at_half == pytest.approx(metric.func(y, proba.argmax(axis=1)))
    for k in range(3):  # no single weight on the grid does better from the found ones
        for w in WEIGHTS:
            changed = list(found.value)
            changed[k] = float(w)
            assert metric.func(y, decide(proba, changed)) <= found.score + 1e-12


def test_no_class_weights_when_the_most_probable_class_scores_best():
    y = np.array([0, 1, 2] * 20)
    proba = np.full((60, 3), 0.1)
    proba[np.arange(60), y] = 0.8
    assert tune_threshold(y, proba, get_metric("f1_macro", "multiclass")) is None


def test_no_threshold_when_half_already_scores_best():
    y = np.array([0, 0, 1, 1] * 10)
    positive = np.where(y == 1, 0.9, 0.1)
    proba = np.column_stack([1 - positive, positive])
    assert tune_threshold(y, proba, get_metric("f1", "binary")) is None


def test_ties_go_to_the_cut_off_nearest_half():
    y = np.array([0, 1] * 20)
    positive = np.where(y == 1, 0.25, 0.05)  # every cut in (0.05, 0.25] separates the classes
    proba = np.column_stack([1 - positive, positive])
    found = tune_threshold(y, proba, get_metric("f1", "binary"))
    assert found is not None and found.value == 0.25 and found.score == 1.0


def test_rows_without_a_prediction_are_left_out_and_weights_follow_the_rows():
    y, proba = imbalanced(seed=1)
    holes = proba.copy()
    holes[::3] = np.nan  # rows a holdout split never validated
    weight = np.ones(len(y))
    metric = get_metric("f1", "binary")
    kept = np.isfinite(holes).all(axis=1)
    assert tune_threshold(y, holes, metric, weight) == tune_threshold(y[kept], proba[kept], metric)


def test_decide_applies_the_threshold_to_the_positive_class():
    proba = np.array([[0.7, 0.3], [0.6, 0.4], [0.2, 0.8]])
    assert decide(proba, None).tolist() == [0, 0, 1]
    assert decide(proba, 0.35).tolist() == [0, 1, 1]
