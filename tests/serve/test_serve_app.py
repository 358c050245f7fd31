"""The prediction server, exercised through HTTP against live uvicorn servers on loopback."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pandas as pd
import pytest

from fitfinder.data import Schema, prepare_target
from fitfinder.errors import MissingExtraError
from fitfinder.estimators import FAMILIES
from fitfinder.export import export_onnx
from fitfinder.features import build_pipeline
from fitfinder.model import FittedModel
from fitfinder.serve import create_app, require_serve, serve
from fitfinder.serve.backend import Backend, load_backend

KEY = "s3cret-key"


@pytest.fixture(scope="module")
def model_dir(credit, tmp_path_factory):
    """A LightGBM model on credit data saved with its ONNX graph."""
    train, test = credit
    X, y = train.drop(columns="Status"), train["Status"]
    schema = Schema.infer(X)
    info = prepare_target(y, "binary")
    family = FAMILIES["lightgbm"]
    pipeline = build_pipeline(schema, family, family.defaults, task="binary", n_rows=len(X))
    pipeline.fit(schema.conform(X), info.y)
    model = FittedModel(pipeline, schema, "binary", "roc_auc", info.labels)
    model.sample = schema.conform(test.head(100))
    folder = tmp_path_factory.mktemp("served")
    model.save(folder)
    export_onnx(model, folder / "model.onnx", verbose=False)
    return folder, model, test.drop(columns="Status")


@pytest.fixture(scope="module")
def servers(model_dir, live_server):
    """Clients of three live servers: ONNX, native, and ONNX with an API key and a small limit."""
    folder = model_dir[0]
    apps = {
        "onnx": create_app(folder, api_key=""),
        "native": create_app(folder, backend="native", api_key=""),
        "guarded": create_app(folder, api_key=KEY, max_body_bytes=4096),
    }
    with (
        live_server(apps["onnx"]) as a,
        live_server(apps["native"]) as b,
        live_server(apps["guarded"]) as c,
    ):
        urls = {"onnx": a, "native": b, "guarded": c}
        clients = {k: httpx.Client(base_url=u, timeout=10) for k, u in urls.items()}
        yield clients
        for client in clients.values():
            client.close()


def records(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: (None if pd.isna(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


@pytest.mark.parametrize("backend", ["onnx", "native"])
def test_predict_json_records_in_user_labels(servers, model_dir, backend):
    _, model, X = model_dir
    rows = X.head(20)
    response = servers[backend].post("/predict", json=records(rows))
    assert response.status_code == 200
    body = response.json()
    assert body["predictions"] == model.predict(rows).tolist()
    assert body["classes"] == ["bad", "good"]
    np.testing.assert_allclose(body["probabilities"], model.predict_proba(rows), atol=1e-6)


def test_predict_column_arrays_and_extra_columns_are_ignored(servers, model_dir):
    _, model, X = model_dir
    rows = X.head(5).assign(unused="x")
    columns = {c: [None if pd.isna(v) else v for v in rows[c]] for c in rows.columns}
    response = servers["onnx"].post("/predict", json=columns)
    assert response.status_code == 200
    assert response.json()["predictions"] == model.predict(rows).tolist()


def test_predict_csv_body(servers, model_dir):
    _, model, X = model_dir
    rows = X.head(10)
    response = servers["onnx"].post(
        "/predict", content=rows.to_csv(index=False), headers={"content-type": "text/csv"}
    )
    assert response.status_code == 200
    assert response.json()["predictions"] == model.predict(rows).tolist()


def test_health_schema_and_metadata(servers):
    client = servers["onnx"]
    assert client.get("/health").json() == {"status": "ok", "backend": "onnx"}
    assert servers["native"].get("/health").json()["backend"] == "native"
    schema = client.get("/schema").json()
    columns = {c["name"]: c for c in schema["columns"]}
    assert columns["Age"]["type"] == "number" and columns["Home"]["role"] == "categorical"
    assert "rent" in columns["Home"]["categories"]
    metadata = client.get("/metadata").json()
    assert metadata["task"] == "binary" and metadata["onnx"]["labels_match"]
    assert "scikit-learn" in metadata["versions"]


def test_openapi_request_schema_lists_the_columns(servers):
    spec = servers["onnx"].get("/openapi.json").json()
    body = spec["paths"]["/predict"]["post"]["requestBody"]["content"]
    record = body["application/json"]["schema"]["oneOf"][0]["items"]
    assert {"Age", "Home", "Income"} <= set(record["properties"])
    assert "text/csv" in body
    assert servers["onnx"].get("/docs").status_code == 200


def test_metrics_count_requests_in_prometheus_format(servers, model_dir):
    client = servers["native"]
    client.post("/predict", json=records(model_dir[2].head(1)))
    client.post("/predict", json=[])
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE fitfinder_request_duration_seconds histogram" in text
    assert 'fitfinder_requests_total{path="/predict",method="POST",status="200"}' in text
    assert 'fitfinder_requests_total{path="/predict",method="POST",status="400"}' in text
    assert 'fitfinder_request_duration_seconds_bucket{path="/predict",le="+Inf"}' in text


def one_row(model_dir) -> dict:
    return records(model_dir[2].head(1))[0]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        (lambda r: r.pop("Age"), 422, "Age"),
        (lambda r: r.update(Age="old"), 422, "Age"),
        (lambda r: r.update(Income=[1, 2]), 422, "Income"),
        (lambda r: r.update(Records="perhaps"), 422, "Records"),
    ],
    ids=["missing column", "not a number", "not a scalar", "not a flag"],
)
def test_bad_values_get_4xx_naming_the_field(servers, model_dir, change, status, field):
    row = one_row(model_dir)
    change(row)
    response = servers["onnx"].post("/predict", json=[row])
    assert response.status_code == status
    assert response.json()["field"] == field and field in response.json()["error"]


def test_non_finite_numbers_are_refused(servers, model_dir):
    row = one_row(model_dir) | {"Income": float("inf")}
    text = json.dumps([row])  # Python's json writes the non-standard literal Infinity
    assert "Infinity" in text
    response = servers["onnx"].post(
        "/predict", content=text, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["field"] == "Income"
    csv = pd.DataFrame([row]).assign(Income="inf").to_csv(index=False)
    response = servers["onnx"].post("/predict", content=csv, headers={"content-type": "text/csv"})
    assert response.status_code == 422 and "non-finite" in response.json()["error"]


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        ("[]", "application/json", 400),
        ('{"Age": []}', "application/json", 422),
        ("{not json", "application/json", 400),
        ("42", "application/json", 422),
        ("<xml/>", "application/xml", 415),
    ],
    ids=["empty batch", "missing columns", "bad json", "not a table", "content type"],
)
def test_malformed_bodies_get_4xx(servers, content, content_type, status):
    response = servers["onnx"].post(
        "/predict", content=content, headers={"content-type": content_type}
    )
    assert response.status_code == status
    assert "error" in response.json()


def test_oversized_body_gets_413(servers, model_dir):
    rows = records(model_dir[2].head(200))
    headers = {"X-API-Key": KEY}
    response = servers["guarded"].post("/predict", json=rows, headers=headers)
    assert response.status_code == 413 and "limit" in response.json()["error"]


def test_api_key_is_checked_on_every_request_but_the_probes(servers, model_dir):
    client, row = servers["guarded"], [one_row(model_dir)]
    for path in ("/schema", "/metadata", "/metrics", "/docs"):
        assert client.get(path).status_code == 401
    assert client.post("/predict", json=row).status_code == 401
    assert client.post("/predict", json=row, headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.post("/predict", json=row, headers={"X-API-Key": KEY}).status_code == 200
    bearer = {"Authorization": f"Bearer {KEY}"}
    assert client.get("/schema", headers=bearer).status_code == 200
    assert client.get("/health").json()["status"] == "ok"  # liveness and readiness stay open
    assert client.get("/ready").json()["status"] == "ready"
    assert servers["onnx"].get("/schema").status_code == 200  # no key configured: open


def test_api_key_comes_from_the_environment(model_dir, monkeypatch, live_server):
    monkeypatch.setenv("FITFINDER_API_KEY", KEY)
    app = create_app(model_dir[0])
    with live_server(app) as url:
        assert httpx.get(f"{url}/schema").status_code == 401
        assert httpx.get(f"{url}/schema", headers={"X-API-Key": KEY}).status_code == 200


def test_a_batch_over_the_row_cap_is_refused(model_dir, live_server):
    app = create_app(model_dir[0], max_rows=5, api_key="")
    rows = records(model_dir[2].head(6))
    with live_server(app) as url:
        response = httpx.post(f"{url}/predict", json=rows)
        assert response.status_code == 413 and "5-row limit" in response.json()["error"]
        assert httpx.post(f"{url}/predict", json=rows[:5]).status_code == 200


def _slow(monkeypatch, seconds: float) -> None:
    original = Backend.answer

    def answer(self, columns):
        time.sleep(seconds)
        return original(self, columns)

    monkeypatch.setattr(Backend, "answer", answer)


def test_a_slow_prediction_times_out_without_blocking_other_requests(
    model_dir, live_server, monkeypatch
):
    app = create_app(model_dir[0], backend="native", timeout=0.5, api_key="")
    _slow(monkeypatch, 2.0)
    with live_server(app) as url, ThreadPoolExecutor(1) as pool:
        pending = pool.submit(httpx.post, f"{url}/predict", json=[one_row(model_dir)], timeout=10)
        time.sleep(0.2)
        start = time.perf_counter()
        assert httpx.get(f"{url}/health").status_code == 200
        assert time.perf_counter() - start < 0.4  # the event loop was free
        response = pending.result()
    assert response.status_code == 503 and "took over 0.5 s" in response.json()["error"]


def test_shutdown_finishes_requests_in_flight(model_dir, live_server, monkeypatch):
    app = create_app(model_dir[0], backend="native", api_key="")
    _slow(monkeypatch, 1.0)
    with ThreadPoolExecutor(1) as pool:
        with live_server(app) as url:
            pending = pool.submit(httpx.post, f"{url}/predict", json=[one_row(model_dir)])
            time.sleep(0.3)
        assert pending.result().status_code == 200  # the server stopped after answering


def test_a_public_host_without_a_key_is_warned_about(model_dir, monkeypatch, caplog):
    monkeypatch.delenv("FITFINDER_API_KEY", raising=False)
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    serve(model_dir[0], host="0.0.0.0")
    assert "without an API key" in caplog.text
    caplog.clear()
    serve(model_dir[0], host="127.0.0.1")
    assert "without an API key" not in caplog.text


def test_missing_serve_extra_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(MissingExtraError, match=r"\[serve\]"):
        require_serve()


@pytest.mark.parametrize("backend", ["onnx", "native"])
def test_a_loaded_backend_has_answered_the_saved_sample_once(model_dir, backend, monkeypatch):
    answered = []
    original = Backend.answer

    def answer(self, columns):
        answered.append(len(next(iter(columns.values()))))
        return original(self, columns)

    monkeypatch.setattr(Backend, "answer", answer)
    load_backend(model_dir[0], backend)
    assert answered == [100]  # the 100 sample rows, before any request


def test_a_model_without_a_saved_sample_loads_without_warming_up(model_dir, tmp_path, monkeypatch):
    folder = tmp_path / "no_sample"
    dataclasses.replace(model_dir[1], sample=None).save(folder)
    monkeypatch.setattr(Backend, "answer", lambda *_: pytest.fail("answered without a sample"))
    assert load_backend(folder, "native").kind == "native"
