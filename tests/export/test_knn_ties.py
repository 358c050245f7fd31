"""k-NN with tied distances: one answer whatever the row order, the same in the ONNX graph.

scikit-learn keeps an arbitrary k of the rows tied at the k-th distance, and ONNX's TopK another
k, so on fertility_morekids (96 % repeated feature rows) an exported k-NN differed by up to 0.4
in probability, with different labels. fitfinder's k-NN lets the tied rows share the votes left.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from fitfinder import AutoML, load
from fitfinder.data import Schema, prepare_target
from fitfinder.ensemble import WeightedEnsemble
from fitfinder.estimators import FAMILIES
from fitfinder.estimators.knn import NeighboursClassifier, NeighboursRegressor
from fitfinder.export import export_onnx
from fitfinder.features import build_pipeline
from fitfinder.model import FittedModel

CONFIGS = [
    {"n_neighbors": k, "weights": w, "p": p}
    for k, w, p in [(1, "uniform", 2), (4, "uniform", 1), (5, "distance", 2), (30, "distance", 1)]
]


def test_tied_rows_share_the_votes_left_whatever_their_order():
    X = np.array([[0.0]] * 4 + [[2.0]] * 3 + [[1.0]])
    y = np.array(["a", "a", "b", "b", "a", "b", "b", "a"])
    query = np.array([[0.0], [1.0], [1.8]])
    model = NeighboursClassifier(n_neighbors=3).fit(X, y)
    # [0]: the four rows at distance 0 share 3 votes; [1]: the row at 1 counts fully and
    # the seven rows at distance 1 (3 a, 4 b) share the 2 left; [1.8]: three rows at 0.2
    expected = np.array([[0.5, 0.5], [1 / 3 + 2 / 3 * 3 / 7, 2 / 3 * 4 / 7], [1 / 3, 2 / 3]])
    np.testing.assert_allclose(model.predict_proba(query), expected, atol=1e-9)
    for seed in range(5):
        order = np.random.default_rng(seed).permutation(len(X))
        shuffled = NeighboursClassifier(n_neighbors=3).fit(X[order], y[order])
        np.testing.assert_array_equal(shuffled.predict_proba(query), model.predict_proba(query))
    assert model.points_.shape == (3, 1) and model.counts_.tolist() == [4.0, 1.0, 3.0]


def test_distance_weights_keep_only_exact_matches():
    X = np.array([[0.0], [0.0], [1.0], [3.0]])
    model = NeighboursRegressor(n_neighbors=3, weights="distance").fit(X, [1.0, 3.0, 10.0, 7.0])
    # [0]: the two exact matches only; [2]: 10 and 7 at distance 1 count fully, 1 and 3 at
    # distance 2 share the vote left (1/2 each), weighted by 1/distance: 18 / 2.5
    np.testing.assert_allclose(model.predict([[0.0], [2.0]]), [2.0, 7.2])


@pytest.mark.parametrize("config", CONFIGS)
def test_without_ties_it_is_scikit_learns_knn(config):
    rng = np.random.default_rng(0)
    X, query = rng.normal(size=(600, 5)), rng.normal(size=(200, 5))
    labels = rng.integers(0, 3, 600)
    mine = NeighboursClassifier(**config).fit(X, labels).predict_proba(query)
    theirs = KNeighborsClassifier(**config).fit(X, labels).predict_proba(query)
    np.testing.assert_allclose(mine, theirs, atol=1e-9)  # probabilities are kept to 2**-30
    mine = NeighboursRegressor(**config).fit(X, labels * 1.5).predict(query)
    theirs = KNeighborsRegressor(**config).fit(X, labels * 1.5).predict(query)
    np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def repeated_rows(n: int, seed: int = 0) -> pd.DataFrame:
    """Few distinct feature rows, each repeated with conflicting labels and targets."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(20, 26, n),
            "kids": rng.integers(0, 3, n),
            "region": rng.choice(["north", "south", "east"], n),
            "works": rng.choice(["yes", "no"], n),
        }
    )
    noise = rng.random(n)
    frame["more"] = np.where(noise < 0.3 + 0.1 * frame["kids"], "yes", "no")
    frame["hours"] = frame["age"] + 5 * frame["kids"] + 10 * noise
    return frame


def knn_model(frame: pd.DataFrame, target: str, task: str, config: dict) -> FittedModel:
    X, y = frame.drop(columns=target), frame[target]
    schema = Schema.infer(X)
    info = prepare_target(y, task)
    pipeline = build_pipeline(schema, FAMILIES["knn"], config, task=task, n_rows=len(X))
    pipeline.fit(schema.conform(X), info.y)
    return FittedModel(pipeline, schema, task, "auto", info.labels)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize(
    ("target", "task", "other"), [("more", "binary", "hours"), ("hours", "regression", "more")]
)
def test_repeated_rows_export_with_parity(config, target, task, other, tmp_path):
    frame = repeated_rows(3000).drop(columns=other)
    model = knn_model(frame.iloc[:2000], target, task, config)
    assert len(model.pipeline.steps[-1][1].points_) < 200  # 2,000 rows, few distinct
    report = export_onnx(model, tmp_path / "knn.onnx", frame.iloc[2000:], verbose=False)
    assert report["max_abs_diff"] <= 1e-12 and report["labels_match"]


def test_an_ensemble_with_a_knn_member_exports_with_parity(tmp_path):
    frame = repeated_rows(3000).drop(columns="hours")
    train, test = frame.iloc[:2000], frame.iloc[2000:]
    members = [knn_model(train, "more", "binary", c) for c in CONFIGS[1:3]]
    ensemble = WeightedEnsemble([m.pipeline for m in members], [0.7, 0.3], 2)
    model = FittedModel(ensemble, members[0].schema, "binary", "auto", members[0].labels)
    report = export_onnx(model, tmp_path / "e.onnx", test, verbose=False)
    assert report["max_abs_diff"] <= 1e-12 and report["labels_match"]


def test_fertility_knn_exports_with_parity(shared_dataset, tmp_path):
    """The reported case: a real binary table whose feature rows repeat (a sample of 20,000
    of fertility_morekids' 254,654 rows), k-NN found by a fit, parity on its test rows."""
    train, test, entry = shared_dataset("fertility_morekids")
    train, test = train.sample(16_000, random_state=0), test.sample(4_000, random_state=0)
    automl = AutoML(
        time_budget=None,
        max_trials=3,
        estimators=["knn"],
        split="holdout",
        ensemble=False,
        verbose=0,
    )
    automl.fit(train, target=entry["target"])
    automl.save(tmp_path)
    model = load(tmp_path)
    knn = model.pipeline.steps[-1][1]
    assert isinstance(knn, NeighboursClassifier) and len(knn.points_) < len(train) // 4
    report = model.export_onnx(tmp_path / "model.onnx", test.drop(columns=entry["target"]))
    assert report["max_abs_diff"] <= 1e-12 and report["labels_match"]
    assert export_onnx(model, tmp_path / "model.onnx", verbose=False)["labels_match"]  # sample


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_overflowing_distances_are_tied_at_infinity(weights, tmp_path):
    """Features near 1e308 overflow every distance: all training rows are then tied (the
    labels' shares, not NaN), the same in the graph."""
    frame = repeated_rows(600).drop(columns="hours")
    config = {"n_neighbors": 5, "weights": weights, "p": 2}
    model = knn_model(frame.iloc[:500], "more", "binary", config)
    rows = frame.iloc[500:510].assign(age=[1e308, -1e308, 1e300] + [30] * 7)
    proba = model.predict_proba(rows)
    assert np.isfinite(proba).all()
    share = (frame.iloc[:500]["more"] == "yes").mean()
    np.testing.assert_allclose(proba[:2, 1], share, atol=1e-9)
    report = export_onnx(model, tmp_path / "knn.onnx", rows, verbose=False)
    assert report["max_abs_diff"] <= 1e-12 and report["labels_match"]
