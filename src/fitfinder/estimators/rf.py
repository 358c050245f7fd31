"""Random forests."""

from __future__ import annotations

from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

from fitfinder.estimators.forest import forest_family

FAMILY = forest_family(
    "rf",
    RandomForestClassifier,
    RandomForestRegressor,
    cost=2.0,
    description="Random forest (bootstrapped trees, best splits).",
)
