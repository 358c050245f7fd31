"""XGBoost gradient boosting (depth-wise trees, histogram method)."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from xgboost import XGBClassifier, XGBRegressor

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.estimators.boosting import SHARED_LOW_COST, SHARED_SPACE
from fitfinder.search.space import Config, Float, Int

SPACE = {
    "n_estimators": Int(4, 4096, log=True),
    "max_depth": Int(1, 10),
    "min_child_weight": Float(2**-10, 128.0, log=True),
    "subsample": Float(0.1, 1.0),
} | SHARED_SPACE
LOW_COST = {
    "n_estimators": 4,
    "max_depth": 2,
    "min_child_weight": 1.0,
    "subsample": 1.0,
} | SHARED_LOW_COST
# XGBoost's defaults; reg_alpha 0 -> the space's lower bound.
DEFAULTS = LOW_COST | {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.3}


def params(config: Config, ctx: BuildContext) -> dict:
    """The keyword arguments of an XGBoost model for ``config`` (shared with the rankers)."""
    return {
        **config,
        "tree_method": "hist",
        "n_jobs": ctx.n_threads,
        "random_state": ctx.seed,
        "verbosity": 0,
    }


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    """An XGBClassifier or XGBRegressor with the ``hist`` tree method."""
    model = XGBClassifier if ctx.task in CLASSIFICATION else XGBRegressor
    return model(**params(config, ctx))


FAMILY = Family(
    name="xgboost",
    tasks=frozenset(TASKS),
    space=SPACE,
    low_cost=LOW_COST,
    defaults=DEFAULTS,
    preprocessing="native",
    build=build,
    fidelity="n_estimators",
    cost=1.5,
    description="XGBoost gradient-boosted trees (depth-wise, histogram method).",
    notes=(
        "Categorical codes are split as ordered numbers: XGBoost's native categorical support "
        "needs feature_types for every column, and the column count is unknown at build time.",
    ),
)
