"""ONNX export: one graph per model, parity with the native model, clear refusals."""

from __future__ import annotations

import json
import sys

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from fitfinder import AutoML, load
from fitfinder.cli import main
from fitfinder.data import Schema, prepare_target
from fitfinder.ensemble import StackedEnsemble, WeightedEnsemble
from fitfinder.ensemble.model import member_output, stack_features
from fitfinder.errors import DataError, MissingExtraError, ModelError
from fitfinder.estimators import FAMILIES
from fitfinder.export import OnnxModel, build_onnx, export_onnx, require_onnx
from fitfinder.export.onnx import check_parity
from fitfinder.features import build_pipeline
from fitfinder.model import FittedModel

FAMILY_NAMES = ["glm", "svm", "knn", "rf", "extra_trees", "hist_gb", "lightgbm", "xgboost"]


def direct_model(frame: pd.DataFrame, target: str, family: str, task: str, rounds: int = 8):
    """A FittedModel built in-process (no search): the family's cheap config, ``rounds`` deep."""
    X, y = frame.drop(columns=target), frame[target]
    schema = Schema.infer(X)
    info = prepare_target(y, task)
    spec = FAMILIES[family]
    config = dict(spec.low_cost)
    if spec.fidelity:
        config[spec.fidelity] = rounds
    pipeline = build_pipeline(schema, spec, config, task=task, n_rows=len(X), n_threads=1)
    pipeline.fit(schema.conform(X), info.y)
    return FittedModel(pipeline, schema, task, "auto", info.labels)


@pytest.fixture(scope="module", params=FAMILY_NAMES)
def searched(request, credit, tmp_path_factory):
    """Each family found by a one-trial AutoML run on credit data, saved and loaded back."""
    train, test = credit
    automl = AutoML(
        time_budget=None, max_trials=1, estimators=[request.param], split="holdout", verbose=0
    )
    automl.fit(train, target="Status")
    folder = tmp_path_factory.mktemp(request.param)
    automl.save(folder)
    return request.param, folder, test


def test_every_family_exports_with_parity_on_the_saved_sample(searched):
    family, folder, test = searched
    model = load(folder)
    assert model.sample is not None and len(model.sample) > 0
    report = model.export_onnx(folder / "model.onnx")
    assert report["max_abs_diff"] <= 1e-4 and report["labels_match"]
    assert json.loads((folder / "model.json").read_text())["onnx"] == report
    onnx_model = OnnxModel(folder / "model.onnx", model.schema, model.task, model.labels)
    X = test.drop(columns="Status")
    np.testing.assert_array_equal(onnx_model.predict(X), model.predict(X))
    np.testing.assert_allclose(onnx_model.predict_proba(X), model.predict_proba(X), atol=1e-4)


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_every_family_exports_regression(credit, family, tmp_path):
    train, test = credit
    model = direct_model(train, "Price", family, "regression")
    report = export_onnx(model, tmp_path / "m.onnx", test, verbose=False)
    assert report["labels_match"]
    graph = OnnxModel(tmp_path / "m.onnx", model.schema, "regression", None)
    native = model.predict(test)
    assert np.all(np.abs(graph.predict(test) - native) <= 1e-4 * np.maximum(1, np.abs(native)))


@pytest.mark.parametrize("family", ["lightgbm", "hist_gb", "xgboost", "rf", "glm"])
def test_multiclass_with_categorical_splits(credit, family, tmp_path):
    train, test = credit
    frame = train.dropna(subset=["Home"])
    model = direct_model(frame, "Home", family, "multiclass", rounds=30)
    report = export_onnx(model, tmp_path / "m.onnx", test.dropna(subset=["Home"]), verbose=False)
    assert report["max_abs_diff"] <= 1e-4 and report["labels_match"]
    if family in ("lightgbm", "hist_gb"):  # native categorical splits became set memberships
        modes = [
            a.t.int32_data or a.t.raw_data
            for n in build_onnx(model).graph.node
            if n.op_type == "TreeEnsemble"
            for a in n.attribute
            if a.name == "nodes_modes"
        ]
        assert any(b"\x06" in bytes(m) for m in modes)


def test_graph_takes_typed_columns_and_returns_user_labels(credit):
    train, _ = credit
    model = direct_model(train, "Status", "lightgbm", "binary")
    graph = build_onnx(model)
    inputs = {i.name: i.type.tensor_type.elem_type for i in graph.graph.input}
    assert list(inputs) == model.schema.used_columns
    assert inputs["Home"] == 8 and inputs["Age"] == 11  # string, double
    assert [o.name for o in graph.graph.output] == ["label", "probabilities"]
    session = ort.InferenceSession(graph.SerializeToString())
    row = {
        name: np.array([[np.nan if t == 11 else ""]], dtype=object if t == 8 else np.float64)
        for name, t in inputs.items()
    }
    label, proba = session.run(None, row)
    assert label[0] in model.labels and proba.shape == (1, 2)


def test_unseen_and_missing_categories_match_native(credit, tmp_path):
    train, test = credit
    rows = test.head(50).copy()
    rows.loc[rows.index[:10], "Home"] = "never-seen"
    rows.loc[rows.index[10:20], "Job"] = None
    for family in ("glm", "lightgbm", "hist_gb"):
        model = direct_model(train, "Status", family, "binary")
        assert export_onnx(model, tmp_path / f"{family}.onnx", rows, verbose=False)["labels_match"]


def test_weighted_ensemble_becomes_one_graph(credit, tmp_path):
    train, test = credit
    members = [direct_model(train, "Status", f, "binary") for f in ("lightgbm", "glm", "rf")]
    nested = WeightedEnsemble([members[1].pipeline, members[2].pipeline], [0.5, 0.5], 2)
    ensemble = WeightedEnsemble([members[0].pipeline, nested], [0.6, 0.4], 2)
    model = FittedModel(ensemble, members[0].schema, "binary", "auto", members[0].labels)
    report = export_onnx(model, tmp_path / "e.onnx", test, verbose=False)
    assert report["max_abs_diff"] <= 1e-4 and report["labels_match"]


def test_datetime_and_boolean_columns_are_expanded_in_the_graph(tmp_path):
    rng = np.random.default_rng(0)
    n = 1500
    seconds = rng.integers(0, 200 * 365 * 86400, n)
    when = pd.Timestamp("1900-01-01") + pd.to_timedelta(seconds, unit="s")
    frame = pd.DataFrame(
        {
            "when": when.astype(str),
            "flag": rng.choice(["yes", "no"], n),
            "x": rng.normal(size=n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "when"] = None
    frame["y"] = (pd.to_datetime(frame["when"]).dt.month.fillna(0) > 6) ^ (frame["flag"] == "yes")
    for family in ("glm", "lightgbm"):
        model = direct_model(frame, "y", family, "binary")
        assert export_onnx(model, tmp_path / f"{family}.onnx", frame, verbose=False)["labels_match"]


def text_frame() -> pd.DataFrame:
    """300 rows with a free-text column 'notes' (TF-IDF features), a number and a 0/1 target."""
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    rng = np.random.default_rng(1)
    notes = [" ".join(rng.choice(words, 8)) + f" note number {i}" for i in range(300)]
    return pd.DataFrame({"notes": notes, "x": rng.normal(size=300), "y": rng.integers(0, 2, 300)})


def test_text_features_are_refused_naming_the_column(tmp_path):
    frame = text_frame()
    model = direct_model(frame, "y", "glm", "binary")
    with pytest.raises(ModelError, match="text column 'notes'"):
        export_onnx(model, tmp_path / "m.onnx", frame, verbose=False)
    assert not (tmp_path / "m.onnx").exists()


def tiny_nn_frame() -> pd.DataFrame:
    """160 rows: a categorical 'color' and a number 'x' (one missing value each), a numeric
    target 'y' and its sign as labels 'kind'."""
    rng = np.random.default_rng(3)
    n = 160
    frame = pd.DataFrame(
        {"color": rng.choice(["red", "green", "blue"], n), "x": rng.normal(size=n)}
    )
    frame.loc[5, "color"] = None
    frame.loc[9, "x"] = np.nan
    frame["y"] = np.where(frame["color"] == "red", 1.0, -1.0) + frame["x"].fillna(0)
    frame["kind"] = np.where(frame["y"] > 0, "up", "down")
    return frame


def test_nn_network_with_embeddings_and_scaling_is_part_of_the_graph(tmp_path):
    """Probe rows add an unseen category and missing values, which the graph must handle as
    the embedding's index 0 and the imputed median."""
    pytest.importorskip("torch")
    frame = tiny_nn_frame()
    probe = frame.copy()
    probe.loc[:20, "color"] = "purple"
    probe.loc[21:40, "color"] = None
    probe.loc[41:50, "x"] = np.nan
    for target, task, drop in (("kind", "binary", "y"), ("y", "regression", "kind")):
        model = direct_model(frame.drop(columns=drop), target, "nn", task, rounds=3)
        report = export_onnx(model, tmp_path / f"{task}.onnx", probe, verbose=False)
        assert report["max_abs_diff"] <= 1e-4 * max(1.0, probe["y"].abs().max())
        assert report["labels_match"]
        graph = build_onnx(model).graph
        assert {i.name: i.type.tensor_type.elem_type for i in graph.input} == {
            "color": 8,  # string
            "x": 11,  # double
        }
        embedding = [t for t in graph.initializer if t.name.endswith("embeddings.0.weight")]
        assert embedding and embedding[0].dims[0] == 4  # three colors + missing/unseen


def test_a_network_torch_cannot_export_is_refused_by_name(monkeypatch, tmp_path):
    torch = pytest.importorskip("torch")
    frame = tiny_nn_frame().drop(columns="y")
    model = direct_model(frame, "kind", "nn", "binary", rounds=2)

    def unsupported(*args, **kwargs):
        raise RuntimeError("Unsupported: ONNX export of operator foo")

    monkeypatch.setattr(torch.onnx, "export", unsupported)
    with pytest.raises(ModelError, match="torch.onnx cannot export the nn network .*foo"):
        export_onnx(model, tmp_path / "m.onnx", frame, verbose=False)
    assert not (tmp_path / "m.onnx").exists()


def test_saved_nn_multiclass_exports_with_parity_on_its_sample(credit, tmp_path):
    pytest.importorskip("torch")
    train, test = (part.dropna(subset=["Home"]) for part in credit)
    model = direct_model(train, "Home", "nn", "multiclass", rounds=3)
    model.sample = model.schema.conform(test.head(150))
    model.save(tmp_path)
    report = load(tmp_path).export_onnx(tmp_path / "model.onnx")
    assert report["max_abs_diff"] <= 1e-4 and report["labels_match"]
    assert json.loads((tmp_path / "model.json").read_text())["onnx"]["parity_rows"] == 150
    graph = OnnxModel(tmp_path / "model.onnx", model.schema, model.task, model.labels)
    np.testing.assert_array_equal(graph.predict(test), model.predict(test))


def stacked_model(frame: pd.DataFrame, target: str, task: str) -> FittedModel:
    """A stacked ensemble (GLM, LightGBM, a fold-averaged GLM + LightGBM) whose meta-learner
    is fitted on the members' training-row outputs, as ``stack_features`` builds them."""
    fitted = [direct_model(frame, target, f, task) for f in ("glm", "lightgbm")]
    first = fitted[0]
    n_classes = 0 if task == "regression" else len(first.labels)
    folds = WeightedEnsemble([m.pipeline for m in fitted], [0.5, 0.5], n_classes)
    members = [first.pipeline, fitted[1].pipeline, folds]
    X = first.schema.conform(frame.drop(columns=target))
    features = stack_features([member_output(m, X, n_classes) for m in members])
    y = prepare_target(frame[target], task).y
    meta = (
        LogisticRegression(solver="newton-cholesky")
        if n_classes
        else LinearRegression(positive=True)
    )
    stacked = StackedEnsemble(members, meta.fit(features, y), n_classes)
    return FittedModel(stacked, first.schema, task, "auto", first.labels)


@pytest.mark.parametrize(
    ("target", "task"), [("Status", "binary"), ("Home", "multiclass"), ("Price", "regression")]
)
def test_stacked_ensemble_becomes_one_graph(credit, target, task, tmp_path):
    train, test = (part.dropna(subset=[target]) for part in credit)
    model = stacked_model(train, target, task)
    assert export_onnx(model, tmp_path / "s.onnx", test, verbose=False)["labels_match"]
    graph = OnnxModel(tmp_path / "s.onnx", model.schema, task, model.labels)
    if task == "regression":
        np.testing.assert_allclose(graph.predict(test), model.predict(test), rtol=1e-4)
    else:
        np.testing.assert_array_equal(graph.predict(test), model.predict(test))
        np.testing.assert_allclose(graph.predict_proba(test), model.predict_proba(test), atol=1e-4)


def test_stacked_ensemble_with_a_text_member_is_refused_naming_the_column(tmp_path):
    frame = text_frame()
    member = direct_model(frame, "y", "glm", "binary")
    meta = LogisticRegression().fit(frame[["x"]].to_numpy(), frame["y"])
    stacked = StackedEnsemble([member.pipeline], meta, n_classes=2)
    model = FittedModel(stacked, member.schema, "binary", "auto", member.labels)
    with pytest.raises(ModelError, match="text column 'notes'"):
        export_onnx(model, tmp_path / "m.onnx", frame, verbose=False)
    assert not (tmp_path / "m.onnx").exists()


def test_an_estimator_outside_pipelines_and_ensembles_is_refused_by_name(credit, tmp_path):
    train, test = credit
    member = direct_model(train, "Status", "glm", "binary")
    model = FittedModel(
        member.pipeline.steps[-1][1], member.schema, "binary", "auto", member.labels
    )
    with pytest.raises(ModelError, match="LogisticRegression has no ONNX form"):
        export_onnx(model, tmp_path / "m.onnx", test, verbose=False)


def test_parity_failure_fails_the_export(credit):
    train, test = credit
    model = direct_model(train, "Status", "lightgbm", "binary")
    other = direct_model(train, "Status", "glm", "binary")
    with pytest.raises(ModelError, match="parity check"):
        check_parity(model, build_onnx(other).SerializeToString(), test)


def test_export_needs_rows_for_the_parity_check(credit, tmp_path):
    train, _ = credit
    model = direct_model(train, "Status", "glm", "binary")
    with pytest.raises(DataError, match="parity check"):
        export_onnx(model, tmp_path / "m.onnx")


def test_cli_export_writes_the_graph_into_the_model_directory(credit, tmp_path, capsys):
    train, test = credit
    model = direct_model(train, "Status", "hist_gb", "binary")
    model.sample = model.schema.conform(test.head(100))
    model.save(tmp_path)
    assert main(["export", str(tmp_path)]) == 0
    assert "max |difference|" in capsys.readouterr().out
    assert (tmp_path / "model.onnx").is_file()
    assert json.loads((tmp_path / "model.json").read_text())["onnx"]["parity_rows"] == 100


def test_missing_onnx_extra_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingExtraError, match=r"\[onnx\]"):
        require_onnx()
