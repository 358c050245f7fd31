"""LightGBM on the sparse TF-IDF of words and characters plus the table's other columns: it
finds interactions between words and columns that the linear text models cannot."""

from __future__ import annotations

from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import BaseEstimator

from fitfinder.estimators import lgbm
from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.search.space import Config, Int
from fitfinder.tasks.text.families.common import HAS_TEXT, model_config, text_pipeline
from fitfinder.tasks.text.vectorize import SPACE

# Fewer terms than the linear models: trees pick few of them, and histogram building costs per
# column. LightGBM's own space otherwise, from fewer rounds up.
TEXT_SPACE = SPACE | {"max_features": Int(2_000, 50_000, log=True)}
TEXT_LOW_COST = {"word_ngrams": 1, "char_ngrams": 0, "max_features": 5_000}


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    model = LGBMClassifier if ctx.task in CLASSIFICATION else LGBMRegressor
    estimator = model(**lgbm.params(model_config(config), ctx))
    return text_pipeline(config, ctx, estimator, others="trees")


FAMILY = Family(
    name="text_lightgbm",
    tasks=frozenset(TASKS),
    space=TEXT_SPACE | lgbm.SPACE,
    low_cost=TEXT_LOW_COST | lgbm.LOW_COST | {"n_estimators": 50},
    defaults=TEXT_LOW_COST | {"max_features": 20_000} | lgbm.DEFAULTS,
    preprocessing="frame",
    build=build,
    fidelity="n_estimators",
    cost=2.0,
    description="LightGBM on sparse TF-IDF of words and characters plus the other columns.",
    applies=HAS_TEXT,
)
