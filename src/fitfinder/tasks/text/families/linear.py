"""Logistic regression (classification) or ridge regression on TF-IDF of words and characters:
the strong, fast baseline of text classification.

Its cheap start reads word unigrams only (a first score in a second or two); its defaults are
that baseline as practitioners write it (word 1-2-grams and character 2-5-grams, C = 4), the
first of the defaults the search tries once every family has started. Classifiers may weigh
classes by the inverse of their frequency (``balanced``; ignored by ridge): on imbalanced
classes this trades the majority class's precision for the rare classes' recall, which
macro-averaged metrics reward. The balanced baseline is the family's first alternative.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression, Ridge

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.search.space import Categorical, Config, Float
from fitfinder.tasks.text.families.common import HAS_TEXT, model_config, text_pipeline
from fitfinder.tasks.text.vectorize import DEFAULTS, LOW_COST, SPACE

MAX_ITER = 1000
BASELINE = DEFAULTS | {"C": 4.0, "balanced": False}


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    params = model_config(config)
    if ctx.task in CLASSIFICATION:
        model = LogisticRegression(
            C=params["C"],
            class_weight="balanced" if params["balanced"] else None,
            max_iter=MAX_ITER,
            random_state=ctx.seed,
        )
    else:
        model = Ridge(alpha=1.0 / params["C"])
    return text_pipeline(config, ctx, model)


FAMILY = Family(
    name="text_linear",
    tasks=frozenset(TASKS),
    space=SPACE | {"C": Float(2**-4, 2**6, log=True), "balanced": Categorical((False, True))},
    low_cost=LOW_COST | {"C": 4.0, "balanced": False},
    defaults=BASELINE,
    preprocessing="frame",
    build=build,
    cost=0.5,
    description="Logistic or ridge regression on TF-IDF of word and character n-grams.",
    applies=HAS_TEXT,
    alternatives=(BASELINE | {"balanced": True},),
)
