"""What random forests and extra trees share: the search space and the build."""

from __future__ import annotations

from collections.abc import Callable

from sklearn.base import BaseEstimator

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.search.space import Config, Float, Int

SPACE = {
    "n_estimators": Int(4, 1024, log=True),
    "max_features": Float(0.1, 1.0, log=True),
    "max_leaves": Int(4, 32768, log=True),
    "min_samples_leaf": Int(1, 64, log=True),
}
LOW_COST = {"n_estimators": 4, "max_features": 1.0, "max_leaves": 4, "min_samples_leaf": 1}
# sklearn's defaults; max_features=1.0 is the regressor's (the classifier's "sqrt" depends on the
# feature count) and 32768 leaves stands in for an unlimited tree.
DEFAULTS = {"n_estimators": 100, "max_features": 1.0, "max_leaves": 32768, "min_samples_leaf": 1}


def forest_family(
    name: str,
    classifier: type[BaseEstimator],
    regressor: type[BaseEstimator],
    *,
    cost: float,
    description: str,
) -> Family:
    """A forest family over ``classifier`` / ``regressor`` (sklearn forest classes)."""
    return Family(
        name=name,
        tasks=frozenset(TASKS),
        space=SPACE,
        low_cost=LOW_COST,
        defaults=DEFAULTS,
        preprocessing="trees",
        build=_builder(classifier, regressor),
        fidelity="n_estimators",
        cost=cost,
        description=description,
    )


def _builder(
    classifier: type[BaseEstimator], regressor: type[BaseEstimator]
) -> Callable[[Config, BuildContext], BaseEstimator]:
    def build(config: Config, ctx: BuildContext) -> BaseEstimator:
        model = classifier if ctx.task in CLASSIFICATION else regressor
        return model(
            n_estimators=config["n_estimators"],
            max_features=config["max_features"],
            max_leaf_nodes=config["max_leaves"],
            min_samples_leaf=config["min_samples_leaf"],
            n_jobs=ctx.n_threads,
            random_state=ctx.seed,
        )

    return build
