"""Ranking metrics against hand-computed values and scikit-learn's ndcg_score."""

import math

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from fitfinder.errors import ConfigError
from fitfinder.tasks.rank.metrics import (
    average_precision,
    ndcg,
    rank_metric,
    reciprocal_rank,
)

ONE = np.zeros(4)  # a single query


def test_ndcg_of_one_query_by_hand():
    relevance, scores = np.array([3.0, 2, 0, 1]), np.array([0.1, 0.9, 0.5, 0.2])
    # ranked relevance: 2, 0, 1, 3 (gains 3, 0, 1, 7); ideal: 3, 2, 1, 0 (gains 7, 3, 1, 0)
    dcg = 3 / math.log2(2) + 0 / math.log2(3) + 1 / math.log2(4) + 7 / math.log2(5)
    ideal = 7 / math.log2(2) + 3 / math.log2(3) + 1 / math.log2(4) + 0
    assert ndcg(relevance, scores, ONE) == pytest.approx(dcg / ideal)
    assert ndcg(relevance, scores, ONE, 2) == pytest.approx(3 / (7 + 3 / math.log2(3)))


@pytest.mark.parametrize("k", [None, 1, 5, 10])
def test_ndcg_is_sklearns_per_query_mean_with_exponential_gains(k):
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(40), rng.integers(2, 15, 40))
    rng.shuffle(groups)  # rows of a query need not be contiguous
    relevance = rng.integers(0, 5, len(groups)).astype(float)
    scores = rng.normal(size=len(groups))
    expected = [
        ndcg_score([2 ** relevance[groups == q] - 1], [scores[groups == q]], k=k)
        if relevance[groups == q].any()
        else 1.0  # no relevant item: every order is ideal (sklearn says 0)
        for q in np.unique(groups)
    ]
    assert ndcg(relevance, scores, groups, k) == pytest.approx(np.mean(expected))


def test_map_and_mrr_by_hand():
    relevance, scores = np.array([0.0, 2, 0, 1]), np.array([4.0, 3, 2, 1])
    # relevant at ranks 2 and 4: precisions 1/2 and 2/4
    assert average_precision(relevance, scores, ONE) == pytest.approx((1 / 2 + 2 / 4) / 2)
    # top 2: one hit (precision 1/2) over min(k=2, 2 relevant)
    assert average_precision(relevance, scores, ONE, 2) == pytest.approx((1 / 2) / 2)
    assert reciprocal_rank(relevance, scores, ONE) == pytest.approx(1 / 2)
    two_queries = np.array([0, 0, 1, 1])
    assert reciprocal_rank(relevance, scores, two_queries) == pytest.approx((1 / 2 + 1 / 2) / 2)


def test_queries_with_equal_relevance_score_one():
    scores = np.array([0.3, 0.1, 0.2])
    for relevance in (np.zeros(3), np.full(3, 2.0)):
        assert ndcg(relevance, scores, np.zeros(3), 10) == 1.0
    assert average_precision(np.zeros(3), scores, np.zeros(3)) == 1.0
    assert reciprocal_rank(np.zeros(3), scores, np.zeros(3)) == 1.0


def test_names_parse_their_cut_off():
    y, s, g = np.array([1.0, 0, 3]), np.array([0.0, 1, 2]), np.zeros(3)
    assert rank_metric("ndcg@2").score(y, s, groups=g) == pytest.approx(ndcg(y, s, g, 2))
    assert rank_metric("map@1").score(y, s, groups=g) == average_precision(y, s, g, 1)
    assert rank_metric("mrr").greater_is_better
    for bad in ("ndcg@0", "precision@3", "ndcg@x"):
        with pytest.raises(ConfigError):
            rank_metric(bad)
    with pytest.raises(ConfigError, match="needs each row's group id"):
        rank_metric("ndcg@10").score(y, s)
