"""Bayesian optimisation inside one family, with optuna's samplers as the engine.

Each family gets an in-memory optuna study driven through ask/tell: ``propose()`` asks the
sampler for a config over the family's space (mapped to optuna distributions), ``observe()``
tells the result. Configs the searcher tried on its own (cheap starts, defaults, local moves,
resumed trials) are added to the study as finished trials, so the model learns from them too.

``tpe``: the tree-structured Parzen estimator (multivariate). ``bo``: optuna's Gaussian-process
sampler (needs PyTorch, the ``[nn]`` extra).
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from fitfinder.errors import MissingExtraError
from fitfinder.search.space import Categorical, Config, Dimension, Int, Quantized, Space

STARTUP_TRIALS = 5  # random configs before the model is used (counting added trials)


class OptunaSearch:
    """Ask/tell on an in-memory optuna study over ``space``; ``sampler`` is ``tpe`` or ``gp``."""

    def __init__(self, space: Space, sampler: str, seed: int):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.space = space
        self.distributions = {name: _distribution(dim) for name, dim in space.items()}
        self.study = optuna.create_study(direction="minimize", sampler=_sampler(sampler, seed))
        self._asked: dict[str, optuna.trial.Trial] = {}

    def propose(self) -> Config:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trial = self.study.ask(self.distributions)
        config = {name: trial.params[name] for name in self.space}
        self._asked[_key(config)] = trial
        return config

    def observe(self, config: Config, loss: float | None) -> None:
        """Tell the study the result of an asked config, or add a config tried elsewhere."""
        from optuna.trial import TrialState, create_trial

        ok = loss is not None and bool(np.isfinite(loss))
        trial = self._asked.pop(_key(config), None)
        if trial is not None:
            state = TrialState.COMPLETE if ok else TrialState.FAIL
            self.study.tell(trial, float(loss) if ok else None, state=state)
            return
        params = {name: config[name] for name in self.space if name in config}
        if not ok or len(params) < len(self.space):
            return
        try:
            self.study.add_trial(
                create_trial(params=params, distributions=self.distributions, value=float(loss))
            )
        except ValueError:  # a value outside the space (e.g. a journal of another version)
            return


def _sampler(name: str, seed: int):
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # multivariate TPE and GPSampler are "experimental"
        if name == "tpe":
            return optuna.samplers.TPESampler(
                seed=seed, multivariate=True, n_startup_trials=STARTUP_TRIALS
            )
        try:
            import torch  # noqa: F401  (GPSampler's engine)
        except ImportError as exc:
            raise MissingExtraError("search='bo'", "nn") from exc
        return optuna.samplers.GPSampler(seed=seed, n_startup_trials=STARTUP_TRIALS)


def _distribution(dim: Dimension):
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if isinstance(dim, Categorical):
        return CategoricalDistribution(dim.choices)
    if isinstance(dim, Int):
        return IntDistribution(int(dim.low), int(dim.high), log=dim.log)
    if isinstance(dim, Quantized):
        return FloatDistribution(dim.low, dim.high, step=dim.q)
    return FloatDistribution(dim.low, dim.high, log=dim.log)


def _key(config: Config) -> str:
    return json.dumps(config, sort_keys=True, default=str)
