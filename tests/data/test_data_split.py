"""make_splits: stratification, groups, determinism, fold reduction and settings checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_wine

from fitfinder.data import make_splits
from fitfinder.errors import ConfigError, DataError


def _covers_every_row_once(plan) -> bool:
    validation = np.concatenate([va for _, va in plan.folds])
    return np.array_equal(np.sort(validation), np.arange(plan.n_rows))


def test_stratified_cv_keeps_class_shares():
    y = load_wine().target
    plan = make_splits(y, "multiclass")
    assert plan.kind == "cv" and len(plan.folds) == 5
    assert _covers_every_row_once(plan)
    shares = np.bincount(y) / len(y)
    for train, val in plan.folds:
        assert not set(train) & set(val)
        assert np.allclose(np.bincount(y[val]) / len(val), shares, atol=0.05)
    assert "5-fold" in plan.describe()


def test_auto_switches_to_holdout_on_large_data():
    y = np.arange(300) % 2
    plan = make_splits(y, "binary", cv_max_rows=100, holdout_fraction=0.2)
    assert plan.kind == "holdout" and len(plan.folds) == 1
    train, val = plan.folds[0]
    assert len(val) == 60 and len(train) == 240
    assert y[val].mean() == pytest.approx(0.5)
    assert "holdout" in plan.describe()


def test_regression_kfold_is_deterministic():
    y = load_diabetes().target
    first, second = make_splits(y, "regression", seed=3), make_splits(y, "regression", seed=3)
    assert _covers_every_row_once(first)
    for (tr1, va1), (tr2, va2) in zip(first.folds, second.folds, strict=True):
        assert np.array_equal(tr1, tr2) and np.array_equal(va1, va2)
    other = make_splits(y, "regression", seed=4)
    assert not np.array_equal(first.folds[0][1], other.folds[0][1])


@pytest.mark.parametrize(
    ("task", "split"), [("binary", "cv"), ("regression", "cv"), ("binary", "holdout")]
)
def test_groups_never_straddle(task, split):
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(40), 5)
    y = rng.integers(0, 2, len(groups)) if task == "binary" else rng.normal(size=len(groups))
    plan = make_splits(y, task, split=split, groups=groups)
    for train, val in plan.folds:
        assert not set(groups[train]) & set(groups[val])


def test_folds_shrink_to_the_smallest_class():
    y = np.array([0] * 30 + [1] * 3)
    plan = make_splits(y, "binary", n_folds=5)
    assert len(plan.folds) == 3
    assert plan.notes == ["using 3 folds instead of 5: the smallest class has only 3 rows"]
    assert all(1 in y[val] for _, val in plan.folds)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"split": "kfold"}, "unknown split 'kfold'; use one of: auto, cv, holdout"),
        ({"n_folds": 1}, "n_folds=1 is too small"),
        ({"holdout_fraction": 0.7}, "holdout_fraction=0.7 is out of range"),
        ({"holdout_fraction": 0.0}, "out of range"),
    ],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        make_splits(np.arange(20) % 2, "binary", **kwargs)


def test_bad_groups():
    with pytest.raises(DataError, match="groups has 3 values for 20 rows"):
        make_splits(np.arange(20) % 2, "binary", groups=np.arange(3))
    with pytest.raises(DataError, match="there are only 1 groups"):
        make_splits(np.arange(20) % 2, "binary", groups=np.zeros(20))
