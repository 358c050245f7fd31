"""A fastText-style text network on PyTorch (the ``text_nn`` family, needs the ``[nn]`` extra).

This module only declares the family and imports no PyTorch: the estimator lives in
``neural.estimator``, loaded when a model is built.
"""

from __future__ import annotations

import importlib.util

from sklearn.base import BaseEstimator

from fitfinder.estimators.base import TASKS, BuildContext, Family
from fitfinder.search.space import Categorical, Config, Float, Int
from fitfinder.tasks.text.families.common import HAS_TEXT

EXTRA = "nn"

SPACE = {
    "word_ngrams": Categorical((1, 2, 3)),
    "char_ngrams": Categorical((0, 4, 5)),
    "log2_buckets": Int(15, 19),  # per analyser and column
    "log2_dim": Int(4, 8),
    "hidden": Categorical((0, 64, 256)),  # 0: the bag feeds the output layer (fastText)
    "dropout": Float(0.0, 0.5),
    "lr": Float(1e-3, 3e-2, log=True),
    "log2_batch_size": Int(4, 8),
    "max_epochs": Int(2, 40, log=True),
    "weight_decay": Float(1e-7, 1e-3, log=True),
}
# fastText's supervised defaults: word bigrams, character 3..5-grams, a linear output layer;
# a smaller bucket table and Adam instead of SGD, so that a fit stays within a few seconds.
DEFAULTS = {
    "word_ngrams": 2,
    "char_ngrams": 5,
    "log2_buckets": 18,
    "log2_dim": 6,
    "hidden": 0,
    "dropout": 0.1,
    "lr": 5e-3,
    "log2_batch_size": 5,
    "max_epochs": 20,
    "weight_decay": 1e-6,
}
LOW_COST = DEFAULTS | {"char_ngrams": 0, "log2_buckets": 16, "log2_dim": 5, "max_epochs": 4}


def available() -> bool:
    """Whether PyTorch can be imported (the family needs it)."""
    return importlib.util.find_spec("torch") is not None


def build(config: Config, ctx: BuildContext) -> BaseEstimator:
    """A TextNetClassifier or TextNetRegressor over the context's text columns."""
    from fitfinder.tasks.text.neural.estimator import text_net

    params = dict(config)
    params["buckets"] = 2 ** params.pop("log2_buckets")
    params["dim"] = 2 ** params.pop("log2_dim")
    params["batch_size"] = 2 ** params.pop("log2_batch_size")
    return text_net(ctx, **params)


FAMILY = Family(
    name="text_nn",
    tasks=frozenset(TASKS),
    space=SPACE,
    low_cost=LOW_COST,
    defaults=DEFAULTS,
    preprocessing="frame",
    build=build,
    fidelity="max_epochs",
    cost=3.0,
    min_budget=120.0,  # a worker's first PyTorch trial pays seconds of imports
    description=(
        "A fastText-style PyTorch network: a weighted bag of hashed word and character n-gram "
        "embeddings, an optional hidden layer (needs the [nn] extra)."
    ),
    applies=HAS_TEXT,
)
