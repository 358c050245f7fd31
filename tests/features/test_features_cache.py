"""Fitted preprocessing is reused across trials of the same style on the same rows."""

import pickle

import numpy as np
import pytest

from fitfinder.features.cache import FeatureCache


def _counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value() if callable(value) else value

    return compute, calls


def test_same_style_and_rows_fit_once_other_rows_or_style_fit_again():
    cache = FeatureCache()
    fit, calls = _counting(lambda: ("transformer", np.ones((3, 2))))
    rows = np.array([0, 1, 2])
    first = cache.fit_transform("trees", rows, fit)
    assert cache.fit_transform("trees", rows.copy(), fit) is first
    cache.fit_transform("trees", np.array([0, 1, 3]), fit)
    cache.fit_transform("scaled", rows, fit)
    assert len(calls) == 3


def test_hits_count_the_seconds_they_saved():
    import time

    cache = FeatureCache()
    slow = lambda: time.sleep(0.05) or ("transformer", np.ones(2))  # noqa: E731
    cache.fit_transform("trees", np.arange(3), slow)
    assert cache.saved == 0.0
    cache.fit_transform("trees", np.arange(3), slow)
    assert cache.saved >= 0.05


def test_transformed_rows_are_cached_per_training_rows_and_read_only():
    cache = FeatureCache()
    transform, calls = _counting(lambda: np.zeros((2, 2)))
    train, val = np.arange(5), np.array([5, 6])
    out = cache.transform("trees", train, val, transform)
    assert cache.transform("trees", train, val, transform) is out
    cache.transform("trees", np.arange(4), val, transform)
    assert len(calls) == 2
    with pytest.raises(ValueError, match="read-only"):
        out[0, 0] = 1.0


def test_least_recently_used_entries_leave_first_within_the_byte_limit():
    cache = FeatureCache(max_bytes=4 * 8 * 100)  # room for four 100-float arrays
    for i in range(6):
        cache.transform("trees", np.arange(3), np.array([i]), lambda: np.zeros(100))
    assert len(cache) == 4
    fresh, calls = _counting(lambda: np.zeros(100))
    cache.transform("trees", np.arange(3), np.array([0]), fresh)  # the oldest was dropped
    assert calls == [1]


def test_pickling_ships_the_limit_not_the_contents():
    cache = FeatureCache(max_bytes=1234)
    cache.transform("trees", np.arange(3), np.array([1]), lambda: np.zeros(10))
    copy = pickle.loads(pickle.dumps(cache))
    assert (len(copy), copy.max_bytes) == (0, 1234)
