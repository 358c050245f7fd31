"""Families on dense text embeddings (``fitfinder.tasks.text.embed``; the ``[text]`` extra):
LightGBM on the embeddings plus the other columns, and a logistic (ridge) regression on them.
Embeddings see meaning that word counts miss (synonyms, paraphrase), so they mix well with the
TF-IDF families in an ensemble."""

from __future__ import annotations

from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from fitfinder.data.schema import Role, Schema
from fitfinder.estimators import lgbm
from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.features.preprocess import build_preprocessor
from fitfinder.search.space import Categorical, Config, Float
from fitfinder.tasks.text.embed import POOLINGS, TextEmbedder
from fitfinder.tasks.text.families.common import HAS_TEXT

SPACE = {"pooling": Categorical(POOLINGS)}
DEFAULTS = {"pooling": "sif"}
MAX_ITER = 1000


def embedding_features(
    schema: Schema, pooling: str, others: str | None, scale: bool = False
) -> ColumnTransformer:
    """Each text column's embeddings (standardised when ``scale``), then the other columns
    encoded in the preprocessing style ``others``."""
    blocks = []
    for column in schema.features(Role.TEXT):
        embedder = TextEmbedder(schema.text_embeddings, pooling)
        blocks.append(
            (
                f"{column}_embedding",
                make_pipeline(embedder, StandardScaler()) if scale else embedder,
                column,
            )
        )
    rest = Schema(
        {n: r for n, r in schema.roles.items() if r is not Role.TEXT},
        schema.dtypes,
        schema.categories,
    )
    if others is not None and rest.used_columns:
        encoder, _ = build_preprocessor(rest, others)
        blocks.append(("columns", encoder, rest.used_columns))
    return ColumnTransformer(blocks, sparse_threshold=0.0)


def _split(config: Config) -> tuple[str, Config]:
    params = dict(config)
    return params.pop("pooling"), params


def build_lightgbm(config: Config, ctx: BuildContext) -> BaseEstimator:
    pooling, params = _split(config)
    model = LGBMClassifier if ctx.task in CLASSIFICATION else LGBMRegressor
    features = embedding_features(ctx.schema, pooling, others="trees")
    return Pipeline([("text", features), ("model", model(**lgbm.params(params, ctx)))])


def build_linear(config: Config, ctx: BuildContext) -> BaseEstimator:
    pooling, params = _split(config)
    if ctx.task in CLASSIFICATION:
        model = LogisticRegression(C=params["C"], max_iter=MAX_ITER, random_state=ctx.seed)
    else:
        model = Ridge(alpha=1.0 / params["C"])
    features = embedding_features(ctx.schema, pooling, others="scaled", scale=True)
    return Pipeline([("text", features), ("model", model)])


LIGHTGBM = Family(
    name="text_embed_lightgbm",
    tasks=frozenset(TASKS),
    space=SPACE | lgbm.SPACE,
    low_cost=DEFAULTS | lgbm.LOW_COST | {"n_estimators": 50},
    defaults=DEFAULTS | lgbm.DEFAULTS,
    preprocessing="frame",
    build=build_lightgbm,
    fidelity="n_estimators",
    cost=1.5,
    # its cheap start (50 rounds per class on 384 dense columns, per fold) can take a third of
    # a 60 s budget, and it validated last of the text families on both benchmark tables' own
    # training rows: left to longer budgets, like the text network
    min_budget=120.0,
    description=(
        "LightGBM on dense text embeddings (all-MiniLM-L6-v2, no download) plus the other "
        "columns (needs the [text] extra)."
    ),
    applies=HAS_TEXT,
)

LINEAR = Family(
    name="text_embed_linear",
    tasks=frozenset(TASKS),
    # 384 correlated dense features: strong penalties win (on 1,500 reviews logistic regression
    # peaks near C = 0.01, ridge near alpha = 1 / C = 300-1,000)
    space=SPACE | {"C": Float(2**-11, 2**1, log=True)},
    low_cost=DEFAULTS | {"C": 2**-6},
    defaults=DEFAULTS | {"C": 2**-6},
    preprocessing="frame",
    build=build_linear,
    cost=0.5,
    description=(
        "Logistic or ridge regression on dense text embeddings plus the other columns "
        "(needs the [text] extra)."
    ),
    applies=HAS_TEXT,
)

FAMILIES = (LINEAR, LIGHTGBM)
