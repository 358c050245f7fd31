"""Learning to rank as a task: a table of items, each with a query id (``group_column``) and a
graded relevance; a model scores items so that each query's most relevant come first.

Validation never cuts a query: the folds group rows by query (or by coarser ``groups`` that hold
whole queries), so the search, the trials, the journal, the ensemble and the refit run
unchanged; the metrics and the rankers read each row's query from ``TrialData.groups``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fitfinder.data import Schema, as_frame, make_splits, read_table
from fitfinder.errors import ConfigError
from fitfinder.metrics import Metric, get_metric
from fitfinder.model import SAMPLE_ROWS
from fitfinder.recheck import second_split
from fitfinder.tasks.base import Problem, Task, Validation
from fitfinder.tasks.rank.data import Queries, read_queries
from fitfinder.tasks.rank.metrics import METRICS, rank_metric
from fitfinder.tasks.rank.model import RankModel
from fitfinder.trials import TrialData

TASK = "rank"


class RankTask(Task):
    """Ranking the items of each query by a graded relevance."""

    names = (TASK,)
    fit_keywords = ("target", "group_column", "groups")

    def prepare(
        self,
        settings: Any,
        X: Any,
        y: Any = None,
        *,
        target: str | None = None,
        group_column: str | None = None,
        groups: Any = None,
    ) -> Problem:
        if group_column is None:
            raise ConfigError(
                "ranking needs the query column: fit(table, target=..., group_column='query')"
            )
        if isinstance(groups, str):
            raise ConfigError(
                f"groups={groups!r}: groups takes one validation group id per row (an array), "
                "for groups coarser than the queries; the query column is group_column="
            )
        frame, target = _table(X, y, target)
        queries = read_queries(
            frame, target, group_column, None if groups is None else np.asarray(groups)
        )
        schema = Schema.infer(queries.X)
        plan = make_splits(
            queries.y,
            TASK,
            split=settings.split,
            n_folds=settings.n_folds,
            holdout_fraction=settings.holdout_fraction,
            cv_max_rows=settings.cv_max_rows,
            groups=queries.split_groups,
            seed=settings.seed,
        )
        data = TrialData(
            X=schema.conform(queries.X),
            y=queries.y,
            schema=schema,
            task=TASK,
            metric=_metric(settings.metric, settings.greater_is_better),
            folds=plan.folds,
            groups=queries.query,
            seed=settings.seed,
        )
        by = "groups (each holding whole queries)" if groups is not None else repr(group_column)
        notes = [
            *queries.notes,
            *schema.notes,
            f"{queries.query[-1] + 1} queries in {group_column!r}; validation grouped by {by}",
        ]
        return Problem(data, plan, notes, state=queries)

    def second_split(self, problem: Problem, seed: int) -> list:
        queries: Queries = problem.state
        return second_split(problem.plan, problem.data.y, TASK, queries.split_groups, seed)

    def model(
        self, problem: Problem, pipeline: Any, info: dict, validation: Validation | None
    ) -> RankModel:
        data = problem.data
        return RankModel(
            pipeline=pipeline,
            schema=data.schema,
            task=TASK,
            metric=data.metric.name,
            info={
                **info,
                "group_column": problem.state.group_column,
                "target": problem.state.target,
            },
            sample=data.X.iloc[data.folds[0][1][:SAMPLE_ROWS]],
        )

    def load(self, folder: Path) -> RankModel:
        return RankModel.load(folder)

    def add_routes(self, app: Any, folder: Path, settings: Any, metrics: Any) -> str:
        from fitfinder.serve.tabular import add_routes

        return add_routes(app, folder, settings, metrics)  # scores, as for regression


def _metric(metric: Any, greater_is_better: bool | None) -> Metric:
    """The run's metric: a ranking metric's name (``ndcg@k``, ``map@k``, ``mrr``), a callable or
    ``auto`` (NDCG@10)."""
    if isinstance(metric, str) and metric != "auto":
        metric = rank_metric(metric)
    return get_metric(metric, TASK, greater_is_better, registry=METRICS)


def _table(X: Any, y: Any, target: str | None) -> tuple[pd.DataFrame, str]:
    """The table with its relevance column (``y``, when given, under ``target`` or
    ``relevance``) and that column's name."""
    if isinstance(X, str | os.PathLike):
        X = read_table(X)
    frame = as_frame(X)
    if y is not None:
        target = target or "relevance"
        return frame.assign(**{target: np.asarray(y)}), target
    if target is None:
        raise ConfigError("give the relevance: fit(table, target='relevance', group_column=...)")
    return frame, target
