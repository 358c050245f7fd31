"""The vectorised ensemble losses agree with the metrics they stand in for."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fitfinder.ensemble.fast_loss import loss_function
from fitfinder.metrics import get_metric

LABEL_METRICS = ["accuracy", "balanced_accuracy", "f1_macro", "f1_micro", "f1_weighted"]


def _agree(name: str, y: np.ndarray, proba: np.ndarray) -> None:
    metric = get_metric(name, "binary" if proba.shape[1] == 2 else "multiclass")
    fast = loss_function(metric, y, None)(proba, slice(None))
    exact = metric.loss(metric.score(y, proba, None))
    assert fast == pytest.approx(exact, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    n_classes=st.integers(2, 5),
    n_rows=st.integers(2, 60),
    seed=st.integers(0, 10_000),
    name=st.sampled_from(LABEL_METRICS),
)
def test_label_metrics_match_scikit_learn(n_classes, n_rows, seed, name):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n_rows)  # some classes may be absent from y or predictions
    proba = rng.dirichlet(np.ones(n_classes), n_rows)
    _agree(name, y, proba)


@pytest.mark.parametrize("seed", range(5))
def test_binary_f1_and_auc_match_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y = np.r_[0, 1, rng.integers(0, 2, 40)]
    proba = rng.dirichlet(np.ones(2), len(y))
    for name in ("f1", "roc_auc", "log_loss"):
        _agree(name, y, proba)
