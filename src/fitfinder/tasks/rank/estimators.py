"""LightGBM and XGBoost rankers that take each row's query id as ``groups`` when fitted.

The runner hands a family with ``fit_groups`` the query id of every training row; the rows of a
query are contiguous and in ascending id order (the rank task sorts the table by query), which
is what both libraries need. Predictions are one score per row, higher ranks first.
"""

from __future__ import annotations

import numpy as np
from lightgbm import LGBMRanker
from xgboost import XGBRanker


def group_sizes(groups: np.ndarray) -> np.ndarray:
    """Lengths of the runs of equal ids in ``groups`` (contiguous queries), in order."""
    groups = np.asarray(groups)
    starts = np.r_[0, np.flatnonzero(groups[1:] != groups[:-1]) + 1]
    return np.diff(np.r_[starts, len(groups)])


class LambdaRanker(LGBMRanker):
    """LightGBM's LGBMRanker (lambdarank) fitted on query ids instead of group sizes."""

    def fit(self, X, y, groups, **kwargs):  # type: ignore[override]
        return super().fit(X, np.asarray(y, dtype=int), group=group_sizes(groups), **kwargs)


class XGBoostRanker(XGBRanker):
    """XGBoost's XGBRanker fitted on query ids (its ``qid``)."""

    def fit(self, X, y, groups, **kwargs):  # type: ignore[override]
        return super().fit(X, np.asarray(y, dtype=int), qid=np.asarray(groups), **kwargs)
