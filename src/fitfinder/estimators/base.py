"""The family contract: everything the search and the runner need to know about an algorithm."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sklearn.base import BaseEstimator

from fitfinder.search.space import Config, Space

Task = Literal["binary", "multiclass", "regression", "forecast", "rank"]
TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")
CLASSIFICATION: frozenset[str] = frozenset({"binary", "multiclass"})

#: How a family wants its features prepared (see ``fitfinder.features``):
#: ``scaled``  numeric imputed + standardised, categoricals one-hot, text TF-IDF (GLM, SVM, k-NN);
#: ``trees``   numeric imputed, categoricals ordinal-encoded, text TF-IDF (sklearn forests);
#: ``native``  numeric NaN kept, categoricals ordinal-encoded and flagged categorical (boosting),
#:             at most 255 levels a column (rarer levels share a code: HistGradientBoosting's limit);
#: ``native_wide`` the same with every level kept (the rankers: on insteval_lecture_rank's
#:             1,128 lecturers, all levels gave LightGBM lambdarank 0.716 NDCG@10 on 5 grouped
#:             folds of the training queries, against 0.694 with 255);
#: ``frame``   the conformed frame as it is (forecasters read series, times and covariates).
Preprocessing = Literal["scaled", "trees", "native", "native_wide", "frame"]


@dataclass(frozen=True)
class BuildContext:
    """Facts about the training data and the worker that an estimator's constructor needs."""

    task: Task
    n_rows: int
    n_threads: int = 1
    seed: int = 0
    categorical_indices: tuple[
        int, ...
    ] = ()  # positions of categorical features after preprocessing
    schema: Any = None  # the data's schema (forecasters read frequency, horizon, seasonality)


@dataclass(frozen=True)
class Condition:
    """What a family needs of the data to join a search: ``test(schema)``, and the same in
    words for the error that names it."""

    test: Callable[[Any], bool]
    needs: str

    def __call__(self, schema: Any) -> bool:
        return self.test(schema)


@dataclass(frozen=True)
class Family:
    """One algorithm family, declared in one place.

    ``space`` is what the search explores; ``low_cost`` the cheapest sensible config (the search
    starts there); ``defaults`` the library's own defaults expressed in the space (tried early so a
    fit never ends worse than the default model); ``fidelity`` the config key that trades cost for
    accuracy (boosting rounds, trees), if any; ``cost`` the rough cost of ``low_cost`` relative to
    LightGBM's, used to order the first trials; ``alternatives`` strong configs unlike the
    defaults (a small built-in portfolio), the first proposals whenever the search picks the
    family after its defaults.
    """

    name: str
    tasks: frozenset[str]
    space: Space
    low_cost: Config
    defaults: Config
    preprocessing: Preprocessing
    build: Callable[[Config, BuildContext], BaseEstimator]
    fidelity: str | None = None
    cost: float = 1.0
    description: str = ""
    supports_sample_weight: bool = True  # False: left out (or refused) when rows carry weights
    fit_groups: bool = False  # fit takes each row's group id as ``groups=`` (rankers)
    max_rows: int | None = None  # the family is left out of the default set on larger data
    min_budget: float | None = None  # ... and under shorter time budgets (seconds)
    applies: Condition | None = None  # ... and for data whose schema fails this
    notes: tuple[str, ...] = field(default=())
    alternatives: tuple[Config, ...] = field(default=())

    def serves(self, task: str) -> bool:
        return task in self.tasks
