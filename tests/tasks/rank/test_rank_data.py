"""Preparing a ranking table: query order, grouped splits, and the bad inputs refused."""

import numpy as np
import pandas as pd
import pytest

from fitfinder import AutoML
from fitfinder.errors import ConfigError, DataError
from fitfinder.tasks.rank.task import RankTask


def _prepare(frame, split="auto", **keywords):
    settings = AutoML(task="rank", split=split)
    keywords = {"target": "relevance", "group_column": "student", **keywords}
    return RankTask().prepare(settings, frame, **keywords)


@pytest.mark.parametrize("split", ["cv", "holdout"])
def test_splits_never_cut_a_query_and_queries_are_contiguous(insteval, split):
    train, _ = insteval
    problem = _prepare(train, split)
    data = problem.data
    assert "student" not in data.X.columns and "relevance" not in data.X.columns
    assert np.all(np.diff(data.groups) >= 0)  # sorted: each query's rows are contiguous
    assert data.groups[-1] + 1 == train["student"].nunique()
    for fit_rows, val_rows in data.folds:
        assert not set(data.groups[fit_rows]) & set(data.groups[val_rows])
    assert "GroupKFold" in problem.plan.method or "GroupShuffleSplit" in problem.plan.method


def test_coarser_groups_hold_whole_queries(insteval):
    train, _ = insteval
    cohort = train["student"].to_numpy() % 7
    data = _prepare(train, "cv", groups=cohort).data
    student = train["student"].sort_values(kind="stable").to_numpy()
    for fit_rows, val_rows in data.folds:
        assert not set(student[fit_rows] % 7) & set(student[val_rows] % 7)
    with pytest.raises(DataError, match="groups splits query"):
        _prepare(train, groups=np.arange(len(train)) % 2)
    with pytest.raises(ConfigError, match="groups takes one validation group id per row"):
        _prepare(train, groups="student")  # a column name belongs in group_column


def test_single_item_queries_are_dropped_with_a_note():
    frame = pd.DataFrame(
        {"student": [1, 1, 1, 2, 3, 3] * 10, "x": np.arange(60.0), "relevance": [0, 1, 2] * 20}
    )
    frame.loc[frame["student"] == 2, "student"] = np.arange(100, 110)
    problem = _prepare(frame)
    assert any("dropped 10 queries of a single item" in note for note in problem.notes)
    assert len(problem.data.y) == 50


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"relevance": ["good", "bad"] * 30}, DataError, "must be numbers"),
        ({"relevance": [0.5, 1.0] * 30}, DataError, "whole numbers from 0 to 30"),
        ({"student": np.arange(60)}, DataError, "every query .* has a single item"),
        ({}, ConfigError, "ranking needs the query column"),
    ],
)
def test_bad_inputs_are_one_line_errors(change, error, message):
    frame = pd.DataFrame({"student": np.repeat(np.arange(20), 3), "x": np.arange(60.0)})
    frame = frame.assign(**{"relevance": [0, 1, 2] * 20, **change})
    keywords = {} if change else {"group_column": None}
    with pytest.raises(error, match=message) as caught:
        _prepare(frame, **keywords)
    assert "\n" not in str(caught.value)
