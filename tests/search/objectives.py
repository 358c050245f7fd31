"""Synthetic objectives with known optima (loss 0 at the optimum), as one-family searches."""

from __future__ import annotations

import numpy as np

from fitfinder.estimators.base import Family
from fitfinder.search.domain import FlatSpace, choice, loguniform, uniform
from fitfinder.search.searcher import Searcher
from fitfinder.search.space import Float, Int

BOWL = {"x": Float(-5.0, 5.0), "y": Float(-5.0, 5.0), "n": Int(1, 100, log=True)}
VALLEY = {"lr": Float(1e-5, 1.0, log=True), "decay": Float(1e-6, 0.1, log=True)}
CONDITIONAL = FlatSpace(
    {
        "model": choice(
            [{"kind": "a", "x": uniform(0, 1)}, {"kind": "b", "c": loguniform(1e-3, 1e3)}]
        )
    }
)


def bowl(config: dict) -> float:
    """A convex bowl; optimum x=1.5, y=-2, n=30."""
    return (config["x"] - 1.5) ** 2 + (config["y"] + 2) ** 2 + np.log10(config["n"] / 30) ** 2


def valley(config: dict) -> float:
    """A narrow valley in log learning rate (optimum 3e-3), nearly flat in log decay."""
    return (
        10 * (np.log10(config["lr"]) - np.log10(3e-3)) ** 2
        + 0.05 * (np.log10(config["decay"]) + 3) ** 2
    )


def conditional(config: dict) -> float:
    """Branch a bottoms out at 0.5; branch b reaches 0 at c=10 (log scale)."""
    model = CONDITIONAL.config(config)["model"]
    if model["kind"] == "a":
        return 0.5 + (model["x"] - 0.3) ** 2
    return np.log10(model["c"] / 10) ** 2


OBJECTIVES = {
    "bowl": (BOWL, bowl, {"x": -4.0, "y": 4.0, "n": 1}),
    "valley": (VALLEY, valley, {"lr": 0.5, "decay": 1e-6}),
    "conditional": (CONDITIONAL.dims, conditional, CONDITIONAL.start(None)),
}


def one_family(space, low_cost) -> Family:
    return Family(
        name="f",
        tasks=frozenset({"binary"}),
        space=space,
        low_cost=low_cost,
        defaults=low_cost,
        preprocessing="native",
        build=lambda config, ctx: None,
    )


def best_found(strategy: str, objective: str, seed: int, trials: int, noise: float = 0.0):
    """The true (noise-free) loss of the config the search rated best after ``trials``."""
    space, loss, low_cost = OBJECTIVES[objective]
    searcher = Searcher(
        [one_family(space, low_cost)], seed=seed, max_trials=trials, cost="trials",
        strategy=strategy,
    )  # fmt: skip
    rng = np.random.default_rng(seed + 1000)
    best = (np.inf, np.inf)  # (observed, true)
    while (proposal := searcher.suggest()) is not None:
        true = float(loss(proposal.config))
        observed = true + noise * rng.normal()
        searcher.observe(proposal, observed, 1.0)
        best = min(best, (observed, true))
    return best[1]
