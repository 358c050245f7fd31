"""LightGBM gradient boosting (leaf-wise trees), with native categorical splits."""

from __future__ import annotations

from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import BaseEstimator

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.estimators.boosting import SHARED_LOW_COST, SHARED_SPACE
from fitfinder.search.space import Config, Int

SPACE = {
    "n_estimators": Int(4, 4096, log=True),
    "num_leaves": Int(4, 4096, log=True),
    "min_child_samples": Int(2, 128, log=True),
    "log_max_bin": Int(3, 10),
} | SHARED_SPACE
LOW_COST = {
    "n_estimators": 4,
    "num_leaves": 4,
    "min_child_samples": 20,
    "log_max_bin": 8,
} | SHARED_LOW_COST
# LightGBM's defaults: 255 bins, regularisation 0 -> the space's lower bound.
DEFAULTS = LOW_COST | {"n_estimators": 100, "num_leaves": 31, "reg_lambda": 2**-10}


def params(config: Config, ctx: BuildContext) -> dict:
    """The keyword arguments of a LightGBM model for ``config``, categorical features passed
    as a parameter (shared with the ranking families)."""
    params = dict(config)
    params["max_bin"] = 2 ** params.pop("log_max_bin") - 1
    if ctx.categorical_indices:
        # An alias of categorical_feature: that exact name in params triggers a spurious
        # "will be ignored" warning from lightgbm's Dataset, though it is honoured.
        params["categorical_column"] = list(ctx.categorical_indices)
    return params | {"n_jobs": ctx.n_threads, "random_state": ctx.seed, "verbose": -1}


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    """An LGBMClassifier or LGBMRegressor."""
    model = LGBMClassifier if ctx.task in CLASSIFICATION else LGBMRegressor
    return model(**params(config, ctx))


FAMILY = Family(
    name="lightgbm",
    tasks=frozenset(TASKS),
    space=SPACE,
    low_cost=LOW_COST,
    defaults=DEFAULTS,
    preprocessing="native",
    build=build,
    fidelity="n_estimators",
    cost=1.0,
    description="LightGBM gradient-boosted trees (leaf-wise), native categorical splits.",
)
