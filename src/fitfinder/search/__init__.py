"""The search: strategies over configs, and the space helpers of ``fitfinder.tune``."""

from fitfinder.search.domain import choice, lograndint, loguniform, quniform, randint, uniform

__all__ = ["choice", "loguniform", "lograndint", "quniform", "randint", "uniform"]
