"""Validation plans: k-fold or holdout, stratified for classes (binary, multiclass), grouped
when groups are given."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    ShuffleSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
    StratifiedShuffleSplit,
)

from fitfinder.errors import ConfigError, DataError

SPLITS = ("auto", "cv", "holdout")
Fold = tuple[np.ndarray, np.ndarray]


@dataclass
class SplitPlan:
    """The (train indices, validation indices) pairs every trial is scored on."""

    kind: str
    folds: list[Fold]
    n_rows: int
    method: str = ""
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for logs and reports."""
        if self.kind == "holdout":
            n_val = len(self.folds[0][1])
            return f"holdout of {n_val} of {self.n_rows} rows ({self.method})"
        return f"{len(self.folds)}-fold cross-validation on {self.n_rows} rows ({self.method})"


def make_splits(
    y: np.ndarray,
    task: str,
    *,
    split: str = "auto",
    n_folds: int = 5,
    holdout_fraction: float = 0.2,
    cv_max_rows: int = 10_000,
    groups: np.ndarray | None = None,
    seed: int = 0,
) -> SplitPlan:
    """Plan the validation folds; ``auto`` is cross-validation up to ``cv_max_rows`` rows.

    Classification folds are stratified; with ``groups`` no group straddles train and validation.
    When the smallest class (or the number of groups) is below ``n_folds``, fewer folds are used
    and a note says so.
    """
    _check_settings(split, n_folds, holdout_fraction)
    y = np.asarray(y)
    if groups is not None and len(groups) != len(y):
        raise DataError(f"groups has {len(groups)} values for {len(y)} rows; give one per row")
    kind = split if split != "auto" else ("cv" if len(y) <= cv_max_rows else "holdout")
    classify = task in ("binary", "multiclass")
    if kind == "holdout":
        splitter = _holdout_splitter(classify, groups is not None, holdout_fraction, seed)
        notes: list[str] = []
    else:
        n_folds, notes = _fold_count(y, classify, groups, n_folds)
        splitter = _cv_splitter(classify, groups is not None, n_folds, seed)
    try:
        folds = [(np.sort(tr), np.sort(va)) for tr, va in splitter.split(y, y, groups)]
    except ValueError as exc:
        raise DataError(
            f"cannot make a {kind} split of {len(y)} rows: {exc}; add rows or change split"
        ) from exc
    return SplitPlan(kind, folds, len(y), type(splitter).__name__, notes)


def _check_settings(split: str, n_folds: int, holdout_fraction: float) -> None:
    if split not in SPLITS:
        raise ConfigError(f"unknown split '{split}'; use one of: {', '.join(SPLITS)}")
    if n_folds < 2:
        raise ConfigError(f"n_folds={n_folds} is too small; use 2 or more")
    if not 0 < holdout_fraction <= 0.5:
        raise ConfigError(f"holdout_fraction={holdout_fraction} is out of range; use (0, 0.5]")


def _fold_count(
    y: np.ndarray, classify: bool, groups: np.ndarray | None, n_folds: int
) -> tuple[int, list[str]]:
    """Fewer folds when the smallest class or the number of groups cannot fill ``n_folds``."""
    limits = []
    if classify:
        limits.append(
            ("the smallest class has", int(np.unique(y, return_counts=True)[1].min()), "rows")
        )
    if groups is not None:
        limits.append(("there are", len(np.unique(groups)), "groups"))
    notes = []
    for what, count, unit in limits:
        if count < 2:
            raise DataError(f"{what} only {count} {unit}; cross-validation needs 2, add data")
        if count < n_folds:
            notes.append(f"using {count} folds instead of {n_folds}: {what} only {count} {unit}")
            n_folds = count
    return n_folds, notes


def _cv_splitter(classify: bool, grouped: bool, n_folds: int, seed: int):
    if grouped:
        cls = StratifiedGroupKFold if classify else GroupKFold
        return cls(n_splits=n_folds, shuffle=True, random_state=seed)
    cls = StratifiedKFold if classify else KFold
    return cls(n_splits=n_folds, shuffle=True, random_state=seed)


def _holdout_splitter(classify: bool, grouped: bool, fraction: float, seed: int):
    if grouped:
        return GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    cls = StratifiedShuffleSplit if classify else ShuffleSplit
    return cls(n_splits=1, test_size=fraction, random_state=seed)
