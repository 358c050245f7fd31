"""Generalised linear models: logistic regression, ridge / lasso / elastic net.

``C`` is the inverse regularisation strength for every task. Classification uses
``LogisticRegression(C=C)``; regression uses ``Ridge(alpha=1/C)`` for the L2 penalty and
``ElasticNet(alpha=1/(C*n_rows))`` otherwise, which puts both regressors on Ridge's scale.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.search.space import Categorical, Config, Float

MAX_ITER = 1000
L1_RATIO = {"l2": 0.0, "l1": 1.0}  # elasticnet takes the config's own l1_ratio

SPACE = {
    "C": Float(2**-10, 2**10, log=True),
    "penalty": Categorical(("l2", "l1", "elasticnet")),
    "l1_ratio": Float(0.05, 0.95),
}
DEFAULTS = {"C": 1.0, "penalty": "l2", "l1_ratio": 0.5}


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    """LogisticRegression for classification, Ridge or ElasticNet for regression."""
    l1_ratio = L1_RATIO.get(config["penalty"], config["l1_ratio"])
    C = config["C"]
    if ctx.task in CLASSIFICATION:
        return LogisticRegression(
            C=C,
            l1_ratio=l1_ratio,
            solver="lbfgs" if l1_ratio == 0 else "saga",
            max_iter=MAX_ITER,
            random_state=ctx.seed,
        )
    if l1_ratio == 0:
        return Ridge(alpha=1.0 / C, random_state=ctx.seed)
    return ElasticNet(
        alpha=1.0 / (C * max(ctx.n_rows, 1)),
        l1_ratio=l1_ratio,
        max_iter=MAX_ITER,
        random_state=ctx.seed,
    )


FAMILY = Family(
    name="glm",
    tasks=frozenset(TASKS),
    space=SPACE,
    low_cost=dict(DEFAULTS),
    defaults=DEFAULTS,
    preprocessing="scaled",
    build=build,
    cost=0.5,
    description="Regularised linear models (logistic regression; ridge, lasso, elastic net).",
    notes=("L1 and elastic-net penalties use the saga solver, which is slower to converge.",),
)
