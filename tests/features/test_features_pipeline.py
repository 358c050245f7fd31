"""build_pipeline joins the preprocessor and a family's estimator into one sklearn Pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from fitfinder.data import Schema, prepare_target, read_table
from fitfinder.estimators.base import BuildContext, Family
from fitfinder.features import build_pipeline
from fitfinder.search.space import Float

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_pipeline_with_a_stand_in_family_fits_and_predicts():
    seen: list[BuildContext] = []

    def build(config, context):
        seen.append(context)
        return LogisticRegression(C=config["C"], max_iter=500)

    family = Family(
        name="logreg",
        tasks=frozenset({"binary"}),
        space={"C": Float(1e-3, 10, log=True)},
        low_cost={"C": 1.0},
        defaults={"C": 1.0},
        preprocessing="scaled",
        build=build,
    )
    frame = read_table(EXAMPLES / "credit_data.csv")
    target = prepare_target(frame.pop("Status"))
    schema = Schema.infer(frame)
    pipeline = build_pipeline(
        schema, family, {"C": 0.5}, task=target.task, n_rows=len(frame), seed=7
    )
    pipeline.fit(schema.conform(frame), target.y)
    proba = pipeline.predict_proba(schema.conform(frame.iloc[:5]))
    assert proba.shape == (5, 2) and np.allclose(proba.sum(axis=1), 1)
    assert (pipeline.predict(schema.conform(frame)) == target.y).mean() > 0.75
    assert seen == [BuildContext("binary", len(frame), 1, 7, (), schema)]
