"""The ranking table: items with a query id and a graded relevance, sorted by query.

Rows of a query are made contiguous and queries numbered 0, 1, ... in that order (LightGBM
and XGBoost need contiguous queries); the query column is kept out of the features.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fitfinder.errors import DataError
from fitfinder.tasks.tabular import require_columns

MAX_RELEVANCE = 30  # LightGBM's default label gains stop at 30


@dataclass
class Queries:
    """The prepared table: features, relevance and query number per row, sorted by query."""

    X: pd.DataFrame
    y: np.ndarray
    query: np.ndarray  # 0..n_queries-1, ascending
    split_groups: np.ndarray  # what validation groups by: the queries, or coarser ``groups``
    group_column: str
    notes: list[str] = field(default_factory=list)
    target: str = "relevance"  # the relevance column's name


def read_queries(
    frame: pd.DataFrame, target: str, group_column: str, groups: np.ndarray | None = None
) -> Queries:
    """Check and sort the table; drop rows without a relevance and queries of one item."""
    require_columns(frame, [target, group_column], "column")
    if groups is not None and len(groups) != len(frame):
        raise DataError(f"groups has {len(groups)} values for {len(frame)} rows; give one per row")
    relevance = relevance_of(frame[target])
    if frame[group_column].isna().any():
        raise DataError(f"group column {group_column!r} has missing query ids; fill or drop them")
    notes = []
    keep = relevance.notna().to_numpy().copy()
    if not keep.all():
        notes.append(f"dropped {(~keep).sum()} rows whose relevance is missing")
    sizes = frame[group_column][keep].map(frame[group_column][keep].value_counts())
    single = np.zeros(len(frame), bool)
    single[np.flatnonzero(keep)[sizes.to_numpy() == 1]] = True
    if single.sum() == keep.sum():
        raise DataError(
            f"every query in {group_column!r} has a single item; ranking needs queries of 2 or more"
        )
    if single.any():
        notes.append(f"dropped {single.sum()} queries of a single item (nothing to rank)")
    keep &= ~single
    codes = pd.factorize(frame[group_column][keep], sort=True)[0]
    order = np.argsort(codes, kind="stable")
    rows = np.flatnonzero(keep)[order]
    ids = frame[group_column].to_numpy()[rows]
    split = codes[order] if groups is None else _coarser(np.asarray(groups)[rows], ids)
    X = frame.iloc[rows].drop(columns=[target, group_column]).reset_index(drop=True)
    y = relevance.to_numpy(dtype=float)[rows]
    return Queries(X, y, codes[order], split, group_column, notes, target)


def relevance_of(values: pd.Series) -> pd.Series:
    """The relevance column as floats; DataError unless whole numbers in 0..MAX_RELEVANCE."""
    name = values.name
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        example = values.dropna().iloc[0] if values.notna().any() else None
        raise DataError(
            f"relevance {name!r} must be numbers (graded 0, 1, 2 ...); found {example!r}"
        )
    present = values.dropna()
    bad = present[(present % 1 != 0) | (present < 0) | (present > MAX_RELEVANCE)]
    if len(bad):
        raise DataError(
            f"relevance {name!r} must be whole numbers from 0 to {MAX_RELEVANCE}; "
            f"found {bad.iloc[0]!r}"
        )
    return values.astype(float)


def _coarser(groups: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``groups`` to split by, checked to hold every query whole (no query in two groups)."""
    spread = pd.Series(groups).groupby(query).nunique(dropna=False)
    if (spread > 1).any():
        raise DataError(
            f"groups splits query {spread.idxmax()!r} across {spread.max()} groups; "
            "validation groups must hold whole queries (or leave groups out)"
        )
    return groups
