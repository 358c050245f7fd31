"""Synthetic tables for the nn family: targets a linear model cannot fit."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def xor():
    """Two informative columns whose sign product is the class, plus three noise columns."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(1200, 5))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X[:900], y[:900], X[900:], y[900:]


@pytest.fixture(scope="session")
def smooth():
    """A smooth non-linear regression target with a little noise."""
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(1200, 4))
    y = np.sin(3 * X[:, 0]) + 2 * X[:, 1] ** 2 + X[:, 0] * X[:, 2] + rng.normal(0, 0.05, 1200)
    return X[:900], y[:900], X[900:], y[900:]


@pytest.fixture(scope="session")
def mixed():
    """A categorical code column (with NaN) first, then numbers with NaN; the class depends on
    the category and on a number."""
    rng = np.random.default_rng(2)
    n = 800
    code = rng.integers(0, 6, n).astype(float)
    x = rng.normal(size=(n, 3))
    y = ((code % 2 == 0) ^ (x[:, 0] > 0)).astype(int)
    code[::17] = np.nan
    x[::13, 1] = np.nan
    return np.column_stack([code, x]), y
