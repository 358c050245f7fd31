"""Feed-forward neural networks on PyTorch (the ``nn`` family, needs the ``[nn]`` extra).

This module only declares the family and imports no PyTorch: the estimators live in
``neural.estimator`` (sklearn API, training loop) and ``neural.network`` (the module), loaded
when a model is built, so a run without ``nn`` never pays for importing torch.

Config keys map to estimator parameters one to one, except ``log2_width`` and
``log2_batch_size`` (powers of two) and the end of two ranges that means "off": ``l1`` at its
lower bound is no L1 penalty, ``grad_clip`` at its upper bound is no clipping.
"""

from __future__ import annotations

import importlib.util

from sklearn.base import BaseEstimator

from fitfinder.estimators.base import CLASSIFICATION, TASKS, BuildContext, Family
from fitfinder.search.space import Categorical, Config, Float, Int

EXTRA = "nn"

SPACE = {
    "max_epochs": Int(4, 512, log=True),
    "patience": Int(3, 32, log=True),
    "depth": Int(1, 6),
    "log2_width": Int(4, 10),
    "shape": Categorical(("constant", "shrinking")),
    "activation": Categorical(("relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid")),
    "norm": Categorical(("none", "batch", "layer")),
    "dropout": Float(0.0, 0.5),
    "init": Categorical(("kaiming", "xavier")),
    "residual": Categorical((False, True)),
    "members": Int(1, 16, log=True),
    "scaling": Categorical(("quantile", "standard", "piecewise")),
    "bins": Int(4, 64, log=True),  # piecewise scaling only
    "optimizer": Categorical(("adamw", "adam", "sgd", "rmsprop", "adagrad")),
    "lr": Float(1e-5, 0.3, log=True),
    "schedule": Categorical(("cosine", "constant", "onecycle", "polynomial")),
    "log2_batch_size": Int(5, 10),
    "weight_decay": Float(1e-7, 0.1, log=True),
    "l1": Float(1e-8, 1e-2, log=True),
    "grad_clip": Float(0.1, 100.0, log=True),
    "label_smoothing": Float(0.0, 0.2),  # classification only
    "loss": Categorical(("mse", "huber", "mae")),  # regression only
}
# An efficient ensemble of four 2 x 128 ReLU MLPs (TabM-mini), AdamW 3e-3 with cosine decay,
# batch 256, early stopping, on piecewise-linear encoded numbers. In single fits on the shared
# datasets it beat one 2 x 256 MLP at 1e-3 by 2-12 % at about the same training time
# (bench/NN_RESULTS.md); the piecewise encoding beat quantile scaling on 6 of 9 datasets. 32 bins
# beat 16 on 7 of 11 single fits and lost on 4: the search, not the default, picks the count.
DEFAULTS = {
    "max_epochs": 200,
    "patience": 16,
    "depth": 2,
    "log2_width": 7,
    "shape": "constant",
    "activation": "relu",
    "norm": "none",
    "dropout": 0.1,
    "init": "kaiming",
    "residual": False,
    "members": 4,
    "scaling": "piecewise",
    "bins": 16,
    "optimizer": "adamw",
    "lr": 3e-3,
    "schedule": "cosine",
    "log2_batch_size": 8,
    "weight_decay": 1e-2,
    "l1": 1e-8,
    "grad_clip": 100.0,
    "label_smoothing": 0.0,
    "loss": "mse",
}
# Tried right after the defaults, before the search moves (``Family.alternatives``). In single
# fits scored on a validation split of the benchmark's training rows (two seeds each;
# bench/NN_RESULTS.md), no one change beat the default everywhere: 32 bins with batches of 128
# won on concrete_strength, hpc_job_class and covid_test_result by 1.5-10 % and lost on the
# other two regressions, lr 1e-3 won on diamonds and covid_test_result by up to 3 %, a deeper,
# wider net with more dropout on diamonds by 2.4 % (slow there: over 190 s on one thread).
ALTERNATIVES = (
    DEFAULTS | {"bins": 32, "log2_batch_size": 7},
    DEFAULTS | {"lr": 1e-3},
    DEFAULTS | {"depth": 3, "log2_width": 8, "dropout": 0.2},
)
# Small and short: one network of one 64-wide layer, a dozen epochs.
LOW_COST = DEFAULTS | {
    "max_epochs": 12,
    "patience": 4,
    "depth": 1,
    "log2_width": 6,
    "members": 1,
    "dropout": 0.0,
}


def available() -> bool:
    """Whether PyTorch can be imported (the family needs it)."""
    return importlib.util.find_spec("torch") is not None


def estimator_params(config: Config) -> dict:
    """The estimator's keyword arguments for a config of ``SPACE``."""
    params = dict(config)
    params["width"] = 2 ** params.pop("log2_width")
    params["batch_size"] = 2 ** params.pop("log2_batch_size")
    if params["l1"] <= SPACE["l1"].low:
        params["l1"] = 0.0
    if params["grad_clip"] >= SPACE["grad_clip"].high:
        params["grad_clip"] = None
    return params


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    """A NeuralClassifier or NeuralRegressor told where the categorical codes are."""
    from fitfinder.estimators.neural.estimator import NeuralClassifier, NeuralRegressor

    model = NeuralClassifier if ctx.task in CLASSIFICATION else NeuralRegressor
    return model(
        **estimator_params(config),
        categorical_indices=tuple(ctx.categorical_indices),
        n_threads=ctx.n_threads,
        random_state=ctx.seed,
    )


FAMILY = Family(
    name="nn",
    tasks=frozenset(TASKS),
    space=SPACE,
    low_cost=LOW_COST,
    defaults=DEFAULTS,
    alternatives=ALTERNATIVES,
    preprocessing="native",
    build=build,
    fidelity="max_epochs",
    cost=4.0,
    min_budget=120.0,  # a worker's first nn trial pays ~5 s of PyTorch imports
    max_rows=100_000,  # one epoch-limited trial on 190k rows took 65 s of a 120 s budget
    description=(
        "PyTorch feed-forward network: categorical embeddings, scaled numbers, searched "
        "architecture and training (needs the [nn] extra)."
    ),
    notes=(
        "Early stopping on a 10 % internal validation split; the best epoch's weights are kept.",
        "label_smoothing applies to classification only, loss to regression only, bins to "
        "piecewise scaling only.",
    ),
)
