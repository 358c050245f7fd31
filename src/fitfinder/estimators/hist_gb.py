"""scikit-learn's histogram gradient boosting, with native categorical splits."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.search.space import Config, Float, Int

SPACE = {
    "max_iter": Int(4, 4096, log=True),
    "learning_rate": Float(2**-10, 1.0, log=True),
    "max_leaf_nodes": Int(4, 4096, log=True),
    "min_samples_leaf": Int(2, 128, log=True),
    "l2_regularization": Float(2**-10, 2**10, log=True),
    "max_features": Float(0.1, 1.0),
}
LOW_COST = {
    "max_iter": 4,
    "learning_rate": 0.1,
    "max_leaf_nodes": 4,
    "min_samples_leaf": 20,
    "l2_regularization": 2**-10,
    "max_features": 1.0,
}
DEFAULTS = LOW_COST | {"max_iter": 100, "max_leaf_nodes": 31}  # l2 0 -> the lower bound


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    """A HistGradientBoosting model; the search owns the rounds, so early stopping is off."""
    model = (
        HistGradientBoostingClassifier
        if ctx.task in CLASSIFICATION
        else HistGradientBoostingRegressor
    )
    return model(
        **config,
        categorical_features=list(ctx.categorical_indices) or None,
        early_stopping=False,
        random_state=ctx.seed,
    )


FAMILY = Family(
    name="hist_gb",
    tasks=frozenset(TASKS),
    space=SPACE,
    low_cost=LOW_COST,
    defaults=DEFAULTS,
    preprocessing="native",
    build=build,
    fidelity="max_iter",
    cost=3.0,
    description="scikit-learn HistGradientBoosting with native categorical splits.",
    notes=(
        "Threads follow OpenMP: limit them with threadpoolctl (there is no n_jobs).",
        "Categorical codes must be below 255 (max_bins) and have at most 255 levels.",
        "Early stopping is off (sklearn's default turns it on above 10,000 rows).",
        "With sample weights, sklearn 1.9 bins features slowly (~0.1 s per feature per fit).",
    ),
)
