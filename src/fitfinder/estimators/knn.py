"""k-nearest neighbours."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.search.space import Categorical, Config, Int

SPACE = {
    "n_neighbors": Int(1, 100, log=True),
    "weights": Categorical(("uniform", "distance")),
    "p": Categorical((1, 2)),
}
DEFAULTS = {"n_neighbors": 5, "weights": "uniform", "p": 2}


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    """A k-NN classifier or regressor; ``n_neighbors`` is capped at the training rows."""
    model = KNeighborsClassifier if ctx.task in CLASSIFICATION else KNeighborsRegressor
    return model(
        n_neighbors=max(1, min(config["n_neighbors"], ctx.n_rows)),
        weights=config["weights"],
        p=config["p"],
        n_jobs=ctx.n_threads,
    )


FAMILY = Family(
    name="knn",
    tasks=frozenset(TASKS),
    space=SPACE,
    low_cost=dict(DEFAULTS),
    defaults=DEFAULTS,
    preprocessing="scaled",
    build=build,
    cost=2.0,
    description="k-nearest neighbours on standardised features.",
    supports_sample_weight=False,
    max_rows=100_000,
    notes=(
        "Prediction cost grows with the training rows, so large data leaves it out by default.",
        "Not used with sample weights (left out, or refused when named): k-NN has no weights.",
    ),
)
