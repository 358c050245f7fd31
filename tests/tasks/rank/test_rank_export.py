"""Rankers in production: one ONNX graph whose scores match the native ones, and the server
answering scores."""

import httpx
import numpy as np
import pytest

from fitfinder import AutoML, load

pytest.importorskip("onnxruntime")


@pytest.mark.parametrize(
    ("family", "config"),
    [
        ("lightgbm_lambdarank", {}),
        ("xgboost_ranker", {"objective": "rank:ndcg"}),
        ("xgboost_ranker", {"objective": "rank:pairwise"}),
        ("lightgbm_pointwise", {}),
    ],
)
def test_each_ranker_exports_one_graph_with_parity(insteval, tmp_path, family, config):
    train, test = insteval
    seeded = {family: config} if config else None  # tried right after the cheap start
    automl = AutoML(
        task="rank",
        estimators=[family],
        time_budget=None,
        max_trials=2,
        starting_points=seeded,
        verbose=0,
    )
    automl.fit(train, target="relevance", group_column="student")
    automl.save(tmp_path / "m")
    report = automl.export_onnx(tmp_path / "m" / "model.onnx")
    assert report["max_abs_diff"] < 1e-4
    graph = load(tmp_path / "m", trusted=False)
    rows = test.drop(columns="relevance")
    np.testing.assert_allclose(graph.predict(rows), automl.predict(rows), atol=1e-4)


def test_a_ranker_is_served_with_scores(insteval, tmp_path, live_server):
    from fitfinder.serve import create_app

    train, test = insteval
    automl = AutoML(task="rank", time_budget=None, max_trials=3, verbose=0)
    automl.fit(train, target="relevance", group_column="student")
    automl.save(tmp_path / "m")
    rows = test.drop(columns="relevance").head(20)
    with live_server(create_app(tmp_path / "m", api_key="")) as url:
        body = httpx.post(f"{url}/predict", json=rows.to_dict("records"), timeout=30).json()
    assert "probabilities" not in body
    np.testing.assert_allclose(body["predictions"], automl.predict(rows), rtol=1e-6)


def test_a_ranker_over_more_than_255_levels_exports_with_parity(tmp_path):
    """The rankers keep every level of a categorical (style ``native_wide``): LightGBM's
    categorical splits over codes past 255 survive the export."""
    from pathlib import Path

    import pandas as pd

    path = (
        Path(__file__).resolve().parents[3].parent / "shared/datasets/insteval_lecture_rank.parquet"
    )
    if not path.is_file():
        pytest.skip("../shared/datasets is absent")
    frame = pd.read_parquet(path).head(12_000)
    assert frame["lecturer"].nunique() > 255
    train, test = frame.iloc[:10_000], frame.iloc[10_000:]
    automl = AutoML(
        task="rank",
        estimators=["lightgbm_lambdarank"],
        time_budget=None,
        max_trials=2,
        ensemble=False,
        verbose=0,
    )
    automl.fit(train, target="relevance", group_column="student")
    codes = automl.model_.pipeline[0].transform(automl.schema_.conform(train))[:, 0]
    assert np.nanmax(codes) > 255
    automl.save(tmp_path / "m")
    assert automl.export_onnx(tmp_path / "m" / "model.onnx")["max_abs_diff"] < 1e-4
    rows = test.drop(columns="relevance")
    graph = load(tmp_path / "m", trusted=False)
    np.testing.assert_allclose(graph.predict(rows), automl.predict(rows), atol=1e-4)
