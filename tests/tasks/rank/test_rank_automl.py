"""Ranking end to end: AutoML and the CLI fit, save, load, predict and rank."""

import json

import numpy as np
import pandas as pd
import pytest

import fitfinder
from fitfinder import AutoML
from fitfinder.cli import main
from fitfinder.errors import ConfigError, DataError, ModelError
from fitfinder.tasks.rank.metrics import average_precision, ndcg, reciprocal_rank
from fitfinder.tasks.rank.model import RankModel


def _ndcg(frame, scores) -> float:
    return ndcg(frame["relevance"].to_numpy(float), scores, frame["student"].to_numpy(), 10)


def test_automl_ranks_saves_and_loads(insteval, tmp_path):
    train, test = insteval
    automl = AutoML(task="rank", time_budget=None, max_trials=4, verbose=0)
    automl.fit(train, target="relevance", group_column="student")
    assert automl.metric_.name == "ndcg@10"
    board = automl.leaderboard()
    assert set(board["family"]) - {"ensemble"} <= {
        "lightgbm_lambdarank",
        "xgboost_ranker",
        "lightgbm_pointwise",
    }
    scores = automl.predict(test)
    assert scores.shape == (len(test),) and _ndcg(test, scores) > 0.5
    assert automl.score(test) == pytest.approx(_ndcg(test, scores))
    loaded = fitfinder.load(automl.save(tmp_path / "model"))
    assert isinstance(loaded, RankModel) and loaded.group_column == "student"
    np.testing.assert_allclose(loaded.predict(test), scores)
    ranked = loaded.rank(test)
    assert list(ranked.columns[:3]) == ["student", "rank", "score"]
    assert len(ranked) == len(test) and set(test.columns) <= set(ranked.columns)
    for _, query in ranked.groupby("student"):
        assert query["rank"].tolist() == list(range(1, len(query) + 1))
        assert query["score"].is_monotonic_decreasing


def test_rank_refuses_other_keywords_and_metrics(insteval):
    train, _ = insteval
    with pytest.raises(ConfigError, match="does not take sample_weight"):
        AutoML(task="rank", max_trials=1).fit(
            train, target="relevance", group_column="student", sample_weight=[1]
        )
    with pytest.raises(ConfigError, match="unknown ranking metric 'rmse'"):
        AutoML(task="rank", metric="rmse", max_trials=1).fit(
            train, target="relevance", group_column="student"
        )


def test_cli_fits_predicts_and_describes_a_ranker(insteval, tmp_path, capsys):
    train, test = insteval
    data, out = tmp_path / "train.csv", tmp_path / "model"
    train.to_csv(data, index=False)
    args = ["fit", str(data), "--task", "rank", "--target", "relevance"]
    args += ["--group-column", "student", "--out", str(out), "--max-trials", "3", "--json"]
    assert main([*args, "--metric", "ndcg@5"]) == 0
    assert json.loads(capsys.readouterr().out)["metric"] == "ndcg@5"
    test.drop(columns=["relevance"]).to_csv(tmp_path / "test.csv", index=False)
    predict = ["predict", str(out), str(tmp_path / "test.csv"), "-o", str(tmp_path / "p.csv")]
    assert main(predict) == 0
    predicted = pd.read_csv(tmp_path / "p.csv")
    assert list(predicted.columns) == ["prediction", "rank"] and len(predicted) == len(test)
    assert main(["info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["task"] == "rank" and info["group_column"] == "student"
    assert main(["leaderboard", str(out), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) >= 3


@pytest.mark.parametrize(
    ("change", "flags", "message"),
    [
        ({}, [], "ranking needs the query column"),
        ({"relevance": "good"}, ["--group-column", "student"], "must be numbers"),
        ({"student": "range"}, ["--group-column", "student"], "has a single item"),
    ],
)
def test_cli_bad_rank_input_exits_2_with_one_line(
    insteval, tmp_path, capsys, change, flags, message
):
    train = insteval[0].head(300)
    if change.get("student") == "range":
        train = train.assign(student=np.arange(len(train)))
    elif change:
        train = train.assign(**change)
    train.to_csv(tmp_path / "train.csv", index=False)
    args = ["fit", str(tmp_path / "train.csv"), "--task", "rank", "--target", "relevance"]
    code = main([*args, *flags, "--out", str(tmp_path / "m"), "--max-trials", "1"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_score_gives_the_rank_metric_of_a_table_with_its_queries(insteval):
    train, test = insteval
    automl = AutoML(task="rank", metric="map@5", time_budget=None, max_trials=2, verbose=0)
    automl.fit(train, target="relevance", group_column="student")
    scores, y, groups = automl.predict(test), test["relevance"].to_numpy(float), test["student"]
    assert automl.score(test) == pytest.approx(average_precision(y, scores, groups, 5))
    unlabelled = test.drop(columns="relevance")
    assert automl.score(unlabelled, test["relevance"]) == automl.score(test)
    model = automl.model_
    assert model.score(test, metric="ndcg@10") == pytest.approx(ndcg(y, scores, groups, 10))
    assert model.score(test, metric="mrr") == pytest.approx(reciprocal_rank(y, scores, groups))
    # a query of one item has no order to judge: left out, as at fit
    lone = test.head(1).assign(student=-1)
    assert model.score(pd.concat([test, lone])) == model.score(test)
    with pytest.raises(ModelError, match="needs the relevance: a 'relevance' column"):
        automl.score(unlabelled)
    with pytest.raises(DataError, match="group column .student. not found"):
        automl.score(test.drop(columns="student"))
    with pytest.raises(DataError, match="must be numbers"):
        automl.score(test.assign(relevance="good"))
    with pytest.raises(ConfigError, match="takes no sample_weight"):
        automl.score(test, sample_weight=np.ones(len(test)))


@pytest.mark.parametrize(
    ("groups", "code", "message"),
    [
        ("cohort", 0, ""),  # coarser groups holding whole queries: validation by cohort
        ("student", 0, ""),  # the query column itself: validation by query, the default
        ("half", 2, "groups splits query"),  # a query in two groups
    ],
)
def test_cli_groups_with_group_column(insteval, tmp_path, capsys, groups, code, message):
    train = insteval[0].head(600)
    train = train.assign(cohort=train["student"] % 5, half=np.arange(len(train)) % 2)
    train.to_csv(tmp_path / "train.csv", index=False)
    args = ["fit", str(tmp_path / "train.csv"), "--task", "rank", "--target", "relevance"]
    args += ["--group-column", "student", "--groups", groups, "--split", "cv", "--n-folds", "3"]
    assert main([*args, "--out", str(tmp_path / "m"), "--max-trials", "1", "--json"]) == code
    captured = capsys.readouterr()
    if code:
        assert message in captured.err and len(captured.err.strip().splitlines()) == 1
        return
    info = fitfinder.load(tmp_path / "m").info
    assert info["group_column"] == "student"
