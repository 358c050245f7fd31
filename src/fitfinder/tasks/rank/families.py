"""The ranking families: LightGBM lambdarank, XGBoost rank:ndcg / rank:pairwise, and a
pointwise LightGBM regression on the relevance as a baseline. They share the boosting
families' search spaces and parameters; only the ranking task may use them."""

from __future__ import annotations

from lightgbm import LGBMRegressor
from sklearn.base import BaseEstimator

from fitfinder.estimators import lgbm, xgb
from fitfinder.estimators.base import BuildContext, Family
from fitfinder.search.space import Categorical, Config
from fitfinder.tasks.rank.estimators import LambdaRanker, XGBoostRanker

TASKS = frozenset({"rank"})
XGB_OBJECTIVES = ("rank:ndcg", "rank:pairwise")


def _lambdarank(config: Config, ctx: BuildContext) -> BaseEstimator:
    return LambdaRanker(objective="lambdarank", **lgbm.params(config, ctx))


def _xgb_ranker(config: Config, ctx: BuildContext) -> BaseEstimator:
    return XGBoostRanker(**xgb.params(config, ctx))


def _pointwise(config: Config, ctx: BuildContext) -> BaseEstimator:
    return LGBMRegressor(**lgbm.params(config, ctx))


LAMBDARANK = Family(
    name="lightgbm_lambdarank",
    tasks=TASKS,
    space=lgbm.SPACE,
    low_cost=lgbm.LOW_COST,
    defaults=lgbm.DEFAULTS,
    preprocessing="native_wide",
    build=_lambdarank,
    fidelity="n_estimators",
    cost=1.0,
    description="LightGBM LGBMRanker with the lambdarank objective (listwise, NDCG).",
    supports_sample_weight=False,
    fit_groups=True,
)
XGB_RANKER = Family(
    name="xgboost_ranker",
    tasks=TASKS,
    space=xgb.SPACE | {"objective": Categorical(XGB_OBJECTIVES)},
    low_cost=xgb.LOW_COST | {"objective": XGB_OBJECTIVES[0]},
    defaults=xgb.DEFAULTS | {"objective": XGB_OBJECTIVES[0]},
    preprocessing="native_wide",
    build=_xgb_ranker,
    fidelity="n_estimators",
    cost=1.5,
    description="XGBoost XGBRanker; objective searched: rank:ndcg or rank:pairwise.",
    supports_sample_weight=False,
    fit_groups=True,
    notes=xgb.FAMILY.notes,
)
POINTWISE = Family(
    name="lightgbm_pointwise",
    tasks=TASKS,
    space=lgbm.SPACE,
    low_cost=lgbm.LOW_COST,
    defaults=lgbm.DEFAULTS,
    preprocessing="native_wide",
    build=_pointwise,
    fidelity="n_estimators",
    cost=1.0,
    description="Pointwise baseline: LightGBM regression on the relevance, ranked by it.",
    supports_sample_weight=False,
)
FAMILIES = (LAMBDARANK, XGB_RANKER, POINTWISE)
