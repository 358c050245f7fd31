"""What the text families share: a pipeline of the text features and a model, and the test of
whether a table has text to read."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from fitfinder.data.schema import Role
from fitfinder.estimators.base import BuildContext, Condition
from fitfinder.search.space import Config
from fitfinder.tasks.text.vectorize import SPACE as TEXT_SPACE
from fitfinder.tasks.text.vectorize import text_features


def text_pipeline(
    config: Config, ctx: BuildContext, model: BaseEstimator, others: str | None = "scaled"
) -> Pipeline:
    """The text features of ``config`` (other columns encoded in style ``others``) into
    ``model``."""
    vectorizer = {k: config[k] for k in TEXT_SPACE}
    return Pipeline([("text", text_features(ctx.schema, vectorizer, others)), ("model", model)])


def model_config(config: Config) -> Config:
    """``config`` without the vectorizer's keys."""
    return {k: v for k, v in config.items() if k not in TEXT_SPACE}


def _has_text(schema) -> bool:
    return bool(schema.features(Role.TEXT))


def text_only(schema) -> bool:
    """Whether every column a model reads is text: then the tabular families, which would read
    the same TF-IDF features as the text families with less suited models, are left out."""
    used = schema.used_columns
    return bool(used) and len(schema.features(Role.TEXT)) == len(used)


#: the text families apply only to tables with a text column
HAS_TEXT = Condition(_has_text, "a text column (name one with text_columns=)")
