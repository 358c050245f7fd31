"""Complement naive Bayes on TF-IDF of words and characters (Rennie et al. 2003): very fast,
robust on imbalanced classes. It reads only the text (its features must be non-negative)."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.naive_bayes import ComplementNB

from fitfinder.estimators.base import CLASSIFICATION, BuildContext, Family
from fitfinder.search.space import Config, Float
from fitfinder.tasks.text.families.common import HAS_TEXT, model_config, text_pipeline
from fitfinder.tasks.text.vectorize import DEFAULTS, LOW_COST, SPACE


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    model = ComplementNB(alpha=model_config(config)["alpha"])
    return text_pipeline(config, ctx, model, others=None)


FAMILY = Family(
    name="text_nb",
    tasks=CLASSIFICATION,
    space=SPACE | {"alpha": Float(2**-8, 2.0, log=True)},
    low_cost=LOW_COST | {"alpha": 0.3},
    defaults=DEFAULTS | {"alpha": 0.3},
    preprocessing="frame",
    build=build,
    cost=0.3,
    description="Complement naive Bayes on TF-IDF of word and character n-grams (text only).",
    applies=HAS_TEXT,
)
