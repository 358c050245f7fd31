"""Ensembles of the best trials: greedy selection (default) or stacking, from validation predictions."""

from fitfinder.ensemble.build import ENSEMBLE_FAMILY, EnsemblePlan, plan_ensemble
from fitfinder.ensemble.model import StackedEnsemble, WeightedEnsemble
from fitfinder.ensemble.selection import blend, select_weights

__all__ = [
    "ENSEMBLE_FAMILY",
    "EnsemblePlan",
    "StackedEnsemble",
    "WeightedEnsemble",
    "blend",
    "plan_ensemble",
    "select_weights",
]
