"""The forecasting families (need the ``[forecast]`` extra): baselines and statistical models
fitted per series by statsforecast, and global lag-feature models of tabular regressors by
mlforecast. Nothing here imports statsforecast or mlforecast until a model is fitted.

``FAMILIES`` is in the order the search first tries them: the baseline (cheap, and the bar every
model must clear), long seasonal naive (as cheap; only with several seasonal periods), the
global LightGBM (strong on panels), then the statistical models cheapest first, AutoARIMA and
AutoCES last as the slowest on long seasons, and MSTL, which adds to them only with several
seasonal periods; the other global regressors come last.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fitfinder.estimators.base import Family

EXTRA = "forecast"


def available() -> bool:
    """Whether statsforecast and mlforecast can be imported (the families need them)."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("statsforecast", "mlforecast")
    )


def __getattr__(name: str) -> tuple[Family, ...]:
    """``FAMILIES``, made on first access (PEP 562): the registry reads it while it imports the
    tabular families that the global ones extend, so it cannot exist before they do."""
    if name != "FAMILIES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from fitfinder.estimators import extra_trees, lgbm, xgb
    from fitfinder.tasks.forecast.families import baseline, statistical
    from fitfinder.tasks.forecast.families.global_models import global_family

    globals()["FAMILIES"] = families = (
        baseline.FAMILY,
        baseline.LONG_FAMILY,
        global_family(lgbm.FAMILY),
        statistical.AUTO_ETS,
        statistical.AUTO_THETA,
        statistical.AUTO_ARIMA,
        statistical.AUTO_CES,
        statistical.MSTL,
        global_family(xgb.FAMILY),
        global_family(extra_trees.FAMILY),
    )
    return families


# The registry reads FAMILIES when first imported: importing it here, once __getattr__ exists,
# lets it do so whichever of the two modules is imported first.
import fitfinder.estimators  # noqa: E402, F401
