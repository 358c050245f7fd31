"""The target column: task inference, label encoding, and checks that it can be learned."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fitfinder.errors import ConfigError, DataError

TASK_NAMES = ("binary", "multiclass", "regression")
MIN_ROWS = 10
MIN_CLASS_ROWS = 2
MAX_INFERRED_CLASSES = 20
MAX_CLASS_RATIO = 0.1  # distinct values / labelled rows at most this for a numeric class target


@dataclass
class TargetInfo:
    """The prepared target: ``y`` holds only the rows where ``kept`` is True."""

    task: str
    labels: list | None
    y: np.ndarray
    kept: np.ndarray
    n_dropped: int


def prepare_target(y: pd.Series | np.ndarray, task: str | None = None) -> TargetInfo:
    """Check the target, drop rows where it is missing, infer the task and encode it.

    Task inference when ``task`` is None:

    * a bool or non-numeric target is classification: ``binary`` with two distinct values,
      ``multiclass`` with more;
    * a numeric target is classification when all its values are whole numbers, it has at most
      20 distinct values, and either at most 2 distinct values or distinct / rows <= 0.1;
      otherwise it is ``regression``.

    Classification targets are encoded as 0..k-1 over the sorted labels; regression as float64.
    """
    if task is not None and task not in TASK_NAMES:
        raise ConfigError(f"unknown task '{task}'; use one of: {', '.join(TASK_NAMES)}")
    series = pd.Series(y) if not isinstance(y, pd.Series) else y
    name = series.name if series.name is not None else "y"
    kept = series.notna().to_numpy()
    values = series[kept]
    if values.empty:
        raise DataError(f"target '{name}' is all missing ({len(series)} rows); give labelled rows")
    if len(values) < MIN_ROWS:
        raise DataError(
            f"only {len(values)} rows have a target '{name}'; fitfinder needs at least {MIN_ROWS}"
        )
    task = task or _infer_task(values)
    if task == "regression":
        encoded, labels = _regression_values(values, name), None
    else:
        labels, encoded = _encode_classes(values, task, name)
    return TargetInfo(task, labels, encoded, kept, int((~kept).sum()))


def decode(info: TargetInfo, indices: np.ndarray) -> np.ndarray:
    """The user's labels for class indices 0..k-1, in the labels' own dtype."""
    if info.labels is None:
        raise DataError("decode needs a classification target; this target is regression")
    return np.asarray(info.labels)[np.asarray(indices, dtype=np.int64)]


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _infer_task(values: pd.Series) -> str:
    n_distinct = values.nunique()
    if _is_numeric(values):
        with np.errstate(invalid="ignore"):  # inf is not whole (and refused later)
            whole = bool(np.all(np.mod(values.to_numpy(dtype=np.float64), 1) == 0))
        few = n_distinct <= 2 or n_distinct / len(values) <= MAX_CLASS_RATIO
        if not (whole and n_distinct <= MAX_INFERRED_CLASSES and few):
            return "regression"
    return "binary" if n_distinct <= 2 else "multiclass"


def _regression_values(values: pd.Series, name: object) -> np.ndarray:
    if not _is_numeric(values):
        raise DataError(f"target '{name}' is not numeric; use task='multiclass' or convert it")
    encoded = values.to_numpy(dtype=np.float64)
    if not np.isfinite(encoded).all():
        raise DataError(f"target '{name}' has infinite values; drop or replace them")
    return encoded


def _encode_classes(values: pd.Series, task: str, name: object) -> tuple[list, np.ndarray]:
    raw = values.to_numpy()
    try:
        labels, encoded, counts = np.unique(raw, return_inverse=True, return_counts=True)
    except TypeError:  # mixed types cannot be sorted: compare them as text
        labels, encoded, counts = np.unique(
            raw.astype(str), return_inverse=True, return_counts=True
        )
    if len(labels) == 1:
        raise DataError(
            f"target '{name}' has a single class '{labels[0]}'; classification needs at least two"
        )
    if task == "binary" and len(labels) > 2:
        raise DataError(
            f"task='binary' but target '{name}' has {len(labels)} classes; use task='multiclass'"
        )
    rare = counts.argmin()
    if counts[rare] < MIN_CLASS_ROWS:
        raise DataError(
            f"class '{labels[rare]}' of target '{name}' has only {counts[rare]} row; "
            f"each class needs at least {MIN_CLASS_ROWS} (drop or merge it)"
        )
    return labels.tolist(), encoded.astype(np.int64)
