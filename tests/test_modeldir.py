"""Model directories: whole or absent after a kill, files checked against their hashes, a graph
that is not this model's never used, and a load that unpickles nothing."""

import json
import pickle

import pytest

from fitfinder import load
from fitfinder.data import Schema, prepare_target
from fitfinder.errors import ModelError
from fitfinder.estimators import FAMILIES
from fitfinder.features import build_pipeline
from fitfinder.model import FittedModel
from fitfinder.modeldir import begin, commit, file_hash, verify, write_file

pytest.importorskip("onnxruntime")


def _model(frame, target, family, task, seed=0) -> FittedModel:
    X, y = frame.drop(columns=target), frame[target]
    schema = Schema.infer(X)
    info = prepare_target(y, task)
    spec = FAMILIES[family]
    config = {
        **spec.defaults,
        **({"random_state": seed} if "random_state" in spec.defaults else {}),
    }
    pipeline = build_pipeline(schema, spec, config, task=task, n_rows=len(X))
    pipeline.fit(schema.conform(X), info.y)
    model = FittedModel(pipeline, schema, task, "roc_auc", info.labels, info={"run_id": family})
    model.sample = schema.conform(X.head(50))
    return model


@pytest.fixture(scope="module")
def models(breast_cancer):
    train, _ = breast_cancer
    return _model(train, "target", "glm", "binary"), _model(train, "target", "lightgbm", "binary")


def test_a_saved_directory_records_every_files_hash_and_loads(models, tmp_path):
    glm, _ = models
    glm.save(tmp_path / "m")
    description = json.loads((tmp_path / "m" / "model.json").read_text())
    assert set(description["files"]) == {"pipeline.joblib", "sample.parquet"}
    for name, digest in description["files"].items():
        assert file_hash(tmp_path / "m" / name) == digest
    assert not [p for p in (tmp_path / "m").iterdir() if p.name.endswith(".tmp")]
    assert load(tmp_path / "m").predict(glm.sample).tolist() == glm.predict(glm.sample).tolist()


def test_a_replaced_or_truncated_file_is_refused_before_unpickling(models, tmp_path, monkeypatch):
    glm, lgbm = models
    glm.save(tmp_path / "a")
    lgbm.save(tmp_path / "b")
    (tmp_path / "a" / "pipeline.joblib").write_bytes(
        (tmp_path / "b" / "pipeline.joblib").read_bytes()
    )
    unpickled = []
    monkeypatch.setattr("joblib.load", lambda *a, **k: unpickled.append(a))
    with pytest.raises(ModelError, match="does not match the hash"):
        load(tmp_path / "a")
    (tmp_path / "b" / "sample.parquet").unlink()
    with pytest.raises(ModelError, match="missing"):
        load(tmp_path / "b")
    assert unpickled == []


def test_saving_over_a_model_removes_its_graph_and_files(models, tmp_path):
    glm, lgbm = models
    folder = tmp_path / "m"
    lgbm.save(folder)
    lgbm.export_onnx(folder / "model.onnx")
    glm.sample = None
    try:
        glm.save(folder)
    finally:
        glm.sample = lgbm.sample
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "pipeline.joblib"]
    assert "onnx" not in json.loads((folder / "model.json").read_text())


def test_a_stale_or_foreign_graph_is_never_used(models, tmp_path, caplog):
    from fitfinder.export import load_onnx
    from fitfinder.serve.backend import load_backend

    glm, lgbm = models
    lgbm.save(tmp_path / "lgbm")
    lgbm.export_onnx(tmp_path / "lgbm" / "model.onnx")
    glm.save(tmp_path / "glm")
    foreign = (tmp_path / "lgbm" / "model.onnx").read_bytes()
    (tmp_path / "glm" / "model.onnx").write_bytes(foreign)  # copied in from another model
    with pytest.raises(ModelError, match="not exported from the model"):
        load_onnx(tmp_path / "glm")
    assert load_backend(tmp_path / "glm").kind == "native"
    assert "stale or foreign" in caplog.text
    assert load_backend(tmp_path / "lgbm").kind == "onnx"


def test_untrusted_load_uses_only_the_graph(models, tmp_path, monkeypatch):
    _, lgbm = models
    lgbm.save(tmp_path / "m")
    lgbm.export_onnx(tmp_path / "m" / "model.onnx")
    monkeypatch.setattr(pickle, "load", pytest.fail)
    monkeypatch.setattr("joblib.load", pytest.fail)
    graph = load(tmp_path / "m", trusted=False)
    expected = lgbm.predict_proba(lgbm.sample)
    assert abs(graph.predict_proba(lgbm.sample) - expected).max() < 1e-6


def test_a_kill_before_the_commit_leaves_no_model(models, tmp_path):
    glm, _ = models
    folder = tmp_path / "m"
    glm.save(folder)
    begin(folder, leftovers=("model.onnx",))  # a new save starts, then the process dies
    write_file(folder, "pipeline.joblib", lambda p: p.write_bytes(b"half"))
    with pytest.raises(ModelError, match="no model.json"):
        load(folder)
    commit(folder, {"task": "binary"}, ["pipeline.joblib"])
    verify(folder, json.loads((folder / "model.json").read_text()))  # committed: consistent
