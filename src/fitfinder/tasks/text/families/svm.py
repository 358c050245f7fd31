"""A linear SVM on TF-IDF of words and characters; classifiers calibrated (sigmoid, 3 folds)
so that their probabilities mean what they say and ensembles can average them."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import LinearSVC, LinearSVR

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.search.space import Config, Float
from fitfinder.tasks.text.families.common import HAS_TEXT, model_config, text_pipeline
from fitfinder.tasks.text.vectorize import DEFAULTS, LOW_COST, SPACE

CALIBRATION_FOLDS = 3


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    C = model_config(config)["C"]
    if ctx.task in CLASSIFICATION:
        svm = LinearSVC(C=C, random_state=ctx.seed)
        model = CalibratedClassifierCV(svm, cv=CALIBRATION_FOLDS, method="sigmoid")
    else:
        model = LinearSVR(C=C, random_state=ctx.seed, max_iter=5000)
    return text_pipeline(config, ctx, model)


FAMILY = Family(
    name="text_svm",
    tasks=frozenset(TASKS),
    space=SPACE | {"C": Float(2**-6, 2**3, log=True)},
    low_cost=LOW_COST | {"C": 0.5},
    defaults=DEFAULTS | {"C": 0.5},
    preprocessing="frame",
    build=build,
    cost=1.0,
    description="Linear SVM on TF-IDF of word and character n-grams (calibrated probabilities).",
    applies=HAS_TEXT,
)
