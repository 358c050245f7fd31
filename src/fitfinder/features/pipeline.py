"""A family's full pipeline: its preprocessing style followed by its estimator."""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from fitfinder.data.schema import Schema
from fitfinder.estimators.base import BuildContext, Family
from fitfinder.features.preprocess import build_preprocessor
from fitfinder.search.space import Config


def build_pipeline(
    schema: Schema,
    family: Family,
    config: Config,
    *,
    task: str,
    n_rows: int,
    n_threads: int = 1,
    seed: int = 0,
) -> Pipeline:
    """An unfitted ``Pipeline([("features", ...), ("model", ...)])`` over ``schema.conform`` output."""
    features, categorical = build_preprocessor(schema, family.preprocessing, n_rows=n_rows)
    context = BuildContext(task, n_rows, n_threads, seed, categorical, schema)
    return Pipeline([("features", features), ("model", family.build(config, context))])
