"""Tables: binary and multiclass classification and regression on one row per example."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fitfinder.data import Schema, TargetInfo, as_frame, make_splits, prepare_target, read_table
from fitfinder.errors import ConfigError, DataError
from fitfinder.metrics import get_metric
from fitfinder.model import SAMPLE_ROWS, FittedModel, load_tabular
from fitfinder.recheck import second_split
from fitfinder.tasks.base import Problem, Task, Validation
from fitfinder.tasks.text.embed import resolve_source
from fitfinder.trials import TrialData

log = logging.getLogger("fitfinder")


class TabularTask(Task):
    """Rows are examples; the target is a class or a value; validation is k-fold or holdout."""

    names = ("binary", "multiclass", "regression")
    fit_keywords = ("target", "sample_weight", "groups", "text_columns", "text_embeddings")

    def prepare(
        self,
        settings: Any,
        X: Any,
        y: Any = None,
        *,
        target: str | None = None,
        sample_weight: Any = None,
        groups: Any = None,
        text_columns: list[str] | None = None,
        text_embeddings: str | os.PathLike | None = None,
    ) -> Problem:
        frame, info, weight, group = _read(X, y, target, sample_weight, groups, settings.task)
        metric = get_metric(settings.metric, info.task, settings.greater_is_better)
        schema = Schema.infer(frame, text_columns)
        schema.text_embeddings = resolve_source(text_embeddings)
        plan = make_splits(
            info.y,
            info.task,
            split=settings.split,
            n_folds=settings.n_folds,
            holdout_fraction=settings.holdout_fraction,
            cv_max_rows=settings.cv_max_rows,
            groups=group,
            seed=settings.seed,
        )
        data = TrialData(
            X=schema.conform(frame),
            y=info.y,
            schema=schema,
            task=info.task,
            metric=metric,
            folds=plan.folds,
            sample_weight=weight,
            groups=group,
            labels=info.labels,
            seed=settings.seed,
        )
        notes = list(schema.notes)
        if info.n_dropped:
            notes.append(f"dropped {info.n_dropped} rows whose target is missing")
        return Problem(data, plan, notes, state=info, weighted=weight is not None)

    def second_split(self, problem: Problem, seed: int) -> list:
        data = problem.data
        return second_split(problem.plan, data.y, data.task, data.groups, seed)

    def model(
        self, problem: Problem, pipeline: Any, info: dict, validation: Validation | None
    ) -> FittedModel:
        data = problem.data
        return FittedModel(
            pipeline=pipeline,
            schema=data.schema,
            task=data.task,
            metric=data.metric.name,
            labels=data.labels,
            info=info,
            sample=data.X.iloc[data.folds[0][1][:SAMPLE_ROWS]],  # for the ONNX parity check
        )

    def add_routes(self, app: Any, folder: Path, settings: Any, metrics: Any) -> str:
        from fitfinder.serve.tabular import add_routes

        return add_routes(app, folder, settings, metrics)

    def load(self, folder: Path) -> FittedModel:
        return load_tabular(folder)


def _read(X, y, target, sample_weight, groups, task: str | None):
    """The table, its prepared target, weights and groups, without rows whose target is
    missing."""
    if isinstance(X, str | os.PathLike):
        X = read_table(X)
    frame = as_frame(X)
    if y is None:
        if target is None:
            raise ConfigError("give the target: fit(X, y) or fit(table, target='column')")
        frame, y = split_target(frame, target)
    else:
        if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
            y = y.iloc[:, 0]
        if np.ndim(y) != 1:
            raise DataError(
                f"y has shape {np.shape(y)}; give one target value per row (a 1-D array or "
                "Series): fitfinder predicts one target"
            )
        if len(y) != len(frame):
            raise DataError(f"X has {len(frame)} rows but y has {len(y)}; give one target per row")
    info: TargetInfo = prepare_target(
        y if isinstance(y, pd.Series) else pd.Series(np.asarray(y)), task
    )
    if info.n_dropped:
        log.warning("dropped %d rows whose target is missing", info.n_dropped)
    frame = frame.loc[info.kept].reset_index(drop=True)
    weight = _per_row(sample_weight, info.kept, "sample_weight")
    group = _per_row(groups, info.kept, "groups")
    return frame, info, weight, group


def split_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """The frame without ``target`` and the target column; DataError with close names."""
    require_columns(frame, [target], "target column")
    return frame.drop(columns=[target]), frame[target]


def require_columns(frame: pd.DataFrame, names: list[str], what: str) -> None:
    """DataError naming the first of ``names`` missing from ``frame``, with close matches."""
    import difflib

    for name in names:
        if name in frame.columns:
            continue
        columns = [str(c) for c in frame.columns]
        close = difflib.get_close_matches(str(name), columns, n=3, cutoff=0.5)
        hint = (
            f"; did you mean {', '.join(close)}?"
            if close
            else f"; columns are: {', '.join(columns[:20])}"
        )
        raise DataError(f"{what} {name!r} not found{hint}")


def _per_row(values, kept: np.ndarray, name: str) -> np.ndarray | None:
    if values is None:
        return None
    array = np.asarray(values)
    if len(array) != len(kept):
        raise DataError(f"{name} has {len(array)} entries for {len(kept)} rows; give one per row")
    return array[kept]
