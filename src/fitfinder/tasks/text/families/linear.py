"""Logistic regression (classification) or ridge regression on TF-IDF of words and characters:
the strong, fast baseline of text classification."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression, Ridge

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.search.space import Config, Float
from fitfinder.tasks.text.families.common import HAS_TEXT, model_config, text_pipeline
from fitfinder.tasks.text.vectorize import DEFAULTS, LOW_COST, SPACE

MAX_ITER = 1000


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    C = model_config(config)["C"]
    if ctx.task in CLASSIFICATION:
        model = LogisticRegression(C=C, max_iter=MAX_ITER, random_state=ctx.seed)
    else:
        model = Ridge(alpha=1.0 / C)
    return text_pipeline(config, ctx, model)


FAMILY = Family(
    name="text_linear",
    tasks=frozenset(TASKS),
    space=SPACE | {"C": Float(2**-4, 2**6, log=True)},
    low_cost=LOW_COST | {"C": 4.0},
    defaults=DEFAULTS | {"C": 4.0},
    preprocessing="frame",
    build=build,
    cost=0.5,
    description="Logistic or ridge regression on TF-IDF of word and character n-grams.",
    applies=HAS_TEXT,
)
