"""prepare_target: task inference, encoding, decoding, and every refusal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_wine

from fitfinder.data import decode, prepare_target
from fitfinder.errors import ConfigError, DataError


def test_string_binary_target_with_missing_rows():
    y = pd.Series(["good", "bad", None] + ["good", "bad"] * 6, name="Status")
    info = prepare_target(y)
    assert info.task == "binary"
    assert info.labels == ["bad", "good"]
    assert info.n_dropped == 1
    assert info.kept.tolist() == [True, True, False] + [True] * 12
    assert info.y.dtype == np.int64 and len(info.y) == 14
    assert decode(info, info.y).tolist() == y.dropna().tolist()


def test_wine_is_multiclass_and_decodes_to_ints():
    y = load_wine().target
    info = prepare_target(y)
    assert info.task == "multiclass"
    assert info.labels == [0, 1, 2] and all(type(v) is int for v in info.labels)
    decoded = decode(info, np.array([2, 0]))
    assert decoded.tolist() == [2, 0] and decoded.dtype.kind == "i"


def test_diabetes_is_regression():
    info = prepare_target(load_diabetes().target)
    assert info.task == "regression" and info.labels is None
    assert info.y.dtype == np.float64


def test_bool_and_zero_one_targets_are_binary():
    assert prepare_target(np.array([True, False] * 10)).labels == [False, True]
    assert prepare_target(np.array([0.0, 1.0] * 10)).task == "binary"


def test_many_integer_values_are_regression():
    ages = np.arange(100) % 50  # 50 distinct whole numbers
    assert prepare_target(ages).task == "regression"
    counts = np.arange(200) % 4  # 4 distinct in 200 rows: classes
    assert prepare_target(counts).task == "multiclass"


def test_task_override():
    y = np.arange(40) % 4
    assert prepare_target(y, task="regression").task == "regression"
    assert prepare_target(y.astype(float), task="multiclass").labels == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(ConfigError, match="unknown task 'ranking'; use one of: binary"):
        prepare_target(y, task="ranking")


@pytest.mark.parametrize(
    ("y", "task", "message"),
    [
        (pd.Series([np.nan] * 12, name="t"), None, "target 't' is all missing"),
        (pd.Series(["a"] * 12), None, "single class 'a'; classification needs at least two"),
        (np.arange(12) % 3, "binary", "task='binary' but target 'y' has 3 classes"),
        (pd.Series(["x", "y"] * 6, name="price"), "regression", "target 'price' is not numeric"),
        (np.array([0, 1] * 4), None, "only 8 rows have a target"),
        (np.array(["a"] * 10 + ["b"] * 5 + ["rare"]), None, "class 'rare' .* has only 1 row"),
        (np.array([1.0, np.inf] * 10), "regression", "infinite values"),
    ],
)
def test_refusals(y, task, message):
    with pytest.raises(DataError, match=message):
        prepare_target(y, task=task)


def test_decode_needs_classification():
    with pytest.raises(DataError, match="regression"):
        decode(prepare_target(load_diabetes().target), np.array([0]))
