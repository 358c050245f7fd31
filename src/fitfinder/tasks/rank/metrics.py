"""Ranking metrics, computed per query (group of rows) and averaged over the queries.

Items are ranked by descending score (ties keep the rows' order). NDCG uses the exponential
gain ``2**relevance - 1`` and the ``log2(rank + 1)`` discount (as LightGBM and XGBoost do); MAP
and MRR count an item as relevant when its relevance is above 0. A query that holds no ranking
information (every item equally relevant: NDCG's ideal DCG is 0, or MAP/MRR find no relevant
item) scores 1, LightGBM's convention: no order could do better. Names take a cut-off: ``ndcg@5``,
``map@20``; ``ndcg`` and ``map`` alone score whole queries.
"""

from __future__ import annotations

import re

import numpy as np

from fitfinder.errors import ConfigError
from fitfinder.metrics import Metric

TASK = ("rank",)
DEFAULT = "ndcg@10"
_NAME = re.compile(r"^(ndcg|map)(?:@(\d+))?$|^mrr$")


class Ranked:
    """Rows grouped by query and ordered within each query, with each row's 0-based rank."""

    def __init__(self, groups: np.ndarray, order_by: np.ndarray):
        codes = np.unique(np.asarray(groups), return_inverse=True)[1].ravel()
        self.order = np.lexsort((-np.asarray(order_by, dtype=float), codes))
        sorted_codes = codes[self.order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1]
        sizes = np.diff(np.r_[starts, len(sorted_codes)])
        self.query = np.repeat(np.arange(len(starts)), sizes)  # per ordered row
        self.rank = np.arange(len(sorted_codes)) - np.repeat(starts, sizes)
        self.n_queries = len(starts)

    def per_query(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (one per ordered row) in each query."""
        return np.bincount(self.query, weights=values, minlength=self.n_queries)


def _dcg(ranked: Ranked, relevance: np.ndarray, k: int | None) -> np.ndarray:
    gain = 2.0 ** relevance[ranked.order] - 1
    kept = ranked.rank < k if k is not None else True
    return ranked.per_query(np.where(kept, gain / np.log2(ranked.rank + 2), 0.0))


def ndcg(y_true, y_score, groups, k: int | None = None) -> float:
    """Mean NDCG@k over the queries (a query with ideal DCG 0 scores 1)."""
    y = np.asarray(y_true, dtype=float)
    dcg = _dcg(Ranked(groups, y_score), y, k)
    ideal = _dcg(Ranked(groups, y), y, k)  # same query numbering: both sort the same codes
    return float(np.mean(np.divide(dcg, ideal, out=np.ones_like(dcg), where=ideal > 0)))


def average_precision(y_true, y_score, groups, k: int | None = None) -> float:
    """MAP@k: per query, precision at each relevant item in the top k over min(k, relevant
    items); a query without relevant items scores 1."""
    ranked = Ranked(groups, y_score)
    relevant = (np.asarray(y_true, dtype=float) > 0)[ranked.order].astype(float)
    hits = np.cumsum(relevant)
    hits -= np.repeat(np.r_[0, ranked.per_query(relevant).cumsum()[:-1]], _sizes(ranked))
    kept = ranked.rank < k if k is not None else True
    precision = ranked.per_query(np.where(kept, relevant * hits / (ranked.rank + 1), 0.0))
    n_relevant = ranked.per_query(relevant)
    cut = n_relevant if k is None else np.minimum(n_relevant, k)
    return float(np.mean(np.divide(precision, cut, out=np.ones_like(cut), where=cut > 0)))


def reciprocal_rank(y_true, y_score, groups) -> float:
    """MRR: per query, 1 / rank of the first relevant item; a query without one scores 1."""
    ranked = Ranked(groups, y_score)
    relevant = (np.asarray(y_true, dtype=float) > 0)[ranked.order]
    first = np.full(ranked.n_queries, np.inf)
    np.minimum.at(first, ranked.query[relevant], ranked.rank[relevant] + 1.0)
    return float(np.mean(np.where(np.isfinite(first), 1 / first, 1.0)))


def _sizes(ranked: Ranked) -> np.ndarray:
    return np.bincount(ranked.query, minlength=ranked.n_queries)


def rank_metric(name: str) -> Metric:
    """The ranking metric called ``name`` (``ndcg@10``, ``map@5``, ``mrr``, ``ndcg``...)."""
    match = _NAME.match(name)
    if match is None:
        raise ConfigError(
            f"unknown ranking metric {name!r}; use ndcg@k, map@k or mrr (e.g. {DEFAULT})"
        )
    kind, k = match.group(1), match.group(2)
    if k is not None and int(k) < 1:
        raise ConfigError(f"metric {name!r}: the cut-off k must be at least 1")
    cut = None if k is None else int(k)
    if kind is None:
        return Metric(name, True, "value", reciprocal_rank, TASK, grouped=True)
    func = ndcg if kind == "ndcg" else average_precision

    def score(y_true, y_score, groups) -> float:
        return func(y_true, y_score, groups, cut)

    return Metric(name, True, "value", score, TASK, grouped=True)


#: the names listed in errors and docs (any ``ndcg@k`` and ``map@k`` is accepted)
METRICS: dict[str, Metric] = {
    name: rank_metric(name) for name in (DEFAULT, "ndcg@5", "ndcg", "map@10", "map", "mrr")
}
