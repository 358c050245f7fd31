"""RankModel: a fitted ranker; ``predict`` scores rows, ``rank`` orders each query's items."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from fitfinder.data import as_frame
from fitfinder.errors import ConfigError, ModelError
from fitfinder.metrics import Metric
from fitfinder.model import FittedModel, load_tabular
from fitfinder.tasks.rank.data import relevance_of
from fitfinder.tasks.rank.metrics import DEFAULT, METRICS, rank_metric
from fitfinder.tasks.tabular import require_columns


@dataclass
class RankModel(FittedModel):
    """A ranker over the table's columns; its query column is ``info["group_column"]``."""

    @property
    def group_column(self) -> str:
        return self.info["group_column"]

    def predict(self, X) -> np.ndarray:
        """One score per row: within a query, a higher score ranks first."""
        return np.asarray(self.pipeline.predict(self._features(X)), dtype=float)

    def score(self, X, y=None, metric: str | Metric | None = None) -> float:
        """The ranking metric of this model's scores on ``X``, which holds the query column and,
        unless ``y`` gives it, the relevance column seen at fit. ``metric`` defaults to the
        run's own when that is a ranking metric, else NDCG@10. As at fit, rows without a
        relevance and queries of a single item are left out (no order to judge)."""
        frame = as_frame(X)
        require_columns(frame, [self.group_column], "group column")
        if y is None:
            target = self.info.get("target")
            if target is None or target not in frame.columns:
                raise ModelError(
                    f"score needs the relevance: a {target or 'relevance'!r} column in the "
                    "table, or score(table, y)"
                )
            values = frame[target]
        elif len(y) != len(frame):
            raise ModelError(f"y has {len(y)} values for {len(frame)} rows; give one per row")
        else:
            values = pd.Series(np.asarray(y), name="y")
        relevance = relevance_of(values)
        query = frame[self.group_column].to_numpy()
        keep = relevance.notna().to_numpy().copy()
        sizes = pd.Series(query[keep]).map(pd.Series(query[keep]).value_counts()).to_numpy()
        keep[np.flatnonzero(keep)[sizes == 1]] = False
        if not keep.any():
            raise ModelError(
                f"no query in {self.group_column!r} has two items with a relevance; nothing to rank"
            )
        scores = self.predict(frame.iloc[np.flatnonzero(keep)])
        return _metric(metric, self.metric).score(
            relevance.to_numpy(float)[keep], scores, groups=query[keep]
        )

    def predict_proba(self, X) -> np.ndarray:
        raise ModelError("predict_proba is for classification; a ranker's predict gives scores")

    def rank(self, X) -> pd.DataFrame:
        """The rows of ``X`` (which holds the query column) query by query, best first: the
        query column, ``rank`` (1 = best), ``score`` and the row's other columns."""
        frame = as_frame(X)
        require_columns(frame, [self.group_column], "group column")
        scored = frame.assign(score=self.predict(frame))
        ordered = scored.sort_values(
            [self.group_column, "score"], ascending=[True, False], kind="stable"
        )
        ranks = ordered.groupby(self.group_column, sort=False).cumcount() + 1
        ordered.insert(0, self.group_column, ordered.pop(self.group_column))
        ordered.insert(1, "rank", ranks.to_numpy())
        ordered.insert(2, "score", ordered.pop("score"))
        return ordered.reset_index(drop=True)

    def prediction_table(
        self, table: pd.DataFrame | None, *, proba: bool = False, history=None
    ) -> pd.DataFrame:
        """The CLI's output, in the table's row order: ``prediction`` (the score) and, when the
        table holds the query column, each row's ``rank`` within its query."""
        if table is None:
            raise ModelError("give the table to rank: fitfinder predict MODEL TABLE")
        if proba or history is not None:
            raise ModelError("--proba and --history do not apply to a ranking model")
        result = pd.DataFrame({"prediction": self.predict(table)})
        if self.group_column in table.columns:
            by = table[self.group_column].to_numpy()
            result["rank"] = (
                result.groupby(by)["prediction"].rank(ascending=False, method="first").astype(int)
            )
        return result

    @classmethod
    def load(cls, folder: Path) -> RankModel:
        """The ranking model saved in ``folder``."""
        model = load_tabular(folder)
        return cls(**{f.name: getattr(model, f.name) for f in fields(model)})


def _metric(metric: str | Metric | None, own: str) -> Metric:
    """``metric`` as a Metric: a name is a ranking metric's; None is the run's metric ``own``
    when that is a ranking metric's name (a custom one's is not), else the default NDCG@10."""
    if isinstance(metric, Metric):
        return metric
    if metric is None:
        try:
            return rank_metric(own)
        except ConfigError:
            return METRICS[DEFAULT]
    return rank_metric(metric)
