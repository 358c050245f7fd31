"""Extremely randomised trees."""

from __future__ import annotations

from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

from fitfinder.estimators.forest import forest_family

FAMILY = forest_family(
    "extra_trees",
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    cost=1.5,
    description="Extra trees (random split thresholds, no bootstrap).",
)
