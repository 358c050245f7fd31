"""The N-HiTS forecaster on PyTorch (the ``nhits`` family, needs the ``[nn]`` extra).

This module only declares the family and imports no PyTorch: the estimator lives in
``neural.estimator`` and the network in ``neural.model``, loaded when a model is built.

Config keys map to estimator parameters one to one, except ``log2_hidden`` and
``log2_batch_size`` (powers of two). ``pooling`` names one rate per stack, coarse to fine.
"""

from __future__ import annotations

import importlib.util

from sklearn.base import BaseEstimator

from fitfinder.estimators.base import BuildContext, Family
from fitfinder.search.space import Categorical, Config, Float, Int

EXTRA = "nn"

SPACE = {
    "input_size_factor": Int(1, 8),  # input window = factor x horizon
    "n_blocks": Int(1, 3),  # per stack
    "log2_hidden": Int(6, 9),
    "layers": Int(1, 3),
    "pooling": Categorical(("8-4-1", "4-2-1", "2-1-1")),
    "dropout": Float(0.0, 0.3),
    "lr": Float(1e-4, 1e-2, log=True),
    "log2_batch_size": Int(5, 9),
    "max_steps": Int(100, 5000, log=True),
    "loss": Categorical(("mae", "mse")),
    "scaler": Categorical(("mean_abs", "standard")),
}
# The reference N-HiTS: three stacks of one block, two 256-wide layers, Adam 1e-3, MAE; the
# window three horizons long; early stopping usually ends it well before 1000 steps.
DEFAULTS = {
    "input_size_factor": 3,
    "n_blocks": 1,
    "log2_hidden": 8,
    "layers": 2,
    "pooling": "4-2-1",
    "dropout": 0.0,
    "lr": 1e-3,
    "log2_batch_size": 8,
    "max_steps": 1000,
    "loss": "mae",
    "scaler": "mean_abs",
}
# Small and short: one 64-wide layer per block, a hundred steps at a higher learning rate.
LOW_COST = DEFAULTS | {
    "input_size_factor": 2,
    "log2_hidden": 6,
    "layers": 1,
    "lr": 3e-3,
    "log2_batch_size": 6,
    "max_steps": 100,
}


def available() -> bool:
    """Whether PyTorch can be imported (the family needs it)."""
    return importlib.util.find_spec("torch") is not None


def estimator_params(config: Config) -> dict:
    """The estimator's keyword arguments for a config of ``SPACE``."""
    params = dict(config)
    params["hidden"] = 2 ** params.pop("log2_hidden")
    params["batch_size"] = 2 ** params.pop("log2_batch_size")
    return params


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    """An NHiTSForecaster for the context's schema."""
    from fitfinder.tasks.forecast.neural.estimator import NHiTSForecaster

    return NHiTSForecaster(
        ctx.schema, **estimator_params(config), n_threads=ctx.n_threads, random_state=ctx.seed
    )


FAMILY = Family(
    name="nhits",
    tasks=frozenset({"forecast"}),
    space=SPACE,
    low_cost=LOW_COST,
    defaults=DEFAULTS,
    preprocessing="frame",
    build=build,
    cost=4.0,
    min_budget=120.0,  # a worker's first nhits trial pays ~5 s of PyTorch imports
    supports_sample_weight=False,
    description=(
        "N-HiTS: a global PyTorch network of pooled MLP blocks forecasting every horizon step "
        "at once from a window of each series' history (needs the [nn] extra)."
    ),
    notes=(
        "Early stopping on each series' last horizon points; the best weights are kept.",
        "The target's history only: covariates are not read.",
    ),
)
