"""The algorithm set: one module per family, gathered in ``registry``."""

from fitfinder.estimators.base import BuildContext, Family
from fitfinder.estimators.registry import FAMILIES, get_family, select_families

__all__ = ["FAMILIES", "BuildContext", "Family", "get_family", "select_families"]
