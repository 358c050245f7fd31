"""A forecast model served over HTTP: a live uvicorn server answering with the forecast frame."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest

from fitfinder import AutoML, load
from fitfinder.errors import ConfigError
from fitfinder.serve import create_app

pytest.importorskip("statsforecast")

H = 8


def _last(frame: pd.DataFrame, n: int) -> pd.Series:
    """True on each series' last ``n`` rows."""
    return frame.groupby("series_id").cumcount(ascending=False) < n


@pytest.fixture(scope="module")
def forecast_model(series, tmp_path_factory):
    """A panel model with a known covariate (CPI), saved; the test window's rows beside it."""
    data = series("aus_accommodation").sort_values(["series_id", "timestamp"])
    train, future = data[~_last(data, H)], data[_last(data, H)]
    automl = AutoML(
        task="forecast",
        horizon=H,
        time_budget=None,
        max_trials=3,
        estimators=["baseline", "global_lightgbm"],
        verbose=0,
    )
    automl.fit(
        train,
        target="target",
        time_column="timestamp",
        id_column="series_id",
        known_covariates=["CPI"],
    )
    folder = tmp_path_factory.mktemp("forecast") / "model"
    automl.save(folder)
    return folder, train.reset_index(drop=True), future[["series_id", "timestamp", "CPI"]]


@pytest.fixture(scope="module")
def client(forecast_model, live_server):
    app = create_app(forecast_model[0], api_key="")
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        yield http


def _json_rows(frame: pd.DataFrame) -> list[dict]:
    return frame.assign(timestamp=frame["timestamp"].astype(str)).to_dict("records")


def _same_forecast(body: dict, expected: pd.DataFrame) -> None:
    got = pd.DataFrame(body["forecast"])
    assert list(got.columns) == list(expected.columns)
    assert got["series_id"].tolist() == expected["series_id"].tolist()
    assert pd.to_datetime(got["timestamp"]).tolist() == expected["timestamp"].tolist()
    for column in ("forecast", "q10", "q90"):
        np.testing.assert_allclose(got[column], expected[column], rtol=1e-9)


def test_future_covariates_as_json_records_or_csv_give_the_models_forecast(client, forecast_model):
    folder, _, future = forecast_model
    expected = load(folder).predict(future=future)
    _same_forecast(client.post("/predict", json={"future": _json_rows(future)}).json(), expected)
    csv = client.post(
        "/predict", content=future.to_csv(index=False), headers={"content-type": "text/csv"}
    )
    assert csv.status_code == 200
    _same_forecast(csv.json(), expected)


def test_newer_history_moves_the_origin_without_refitting(client, forecast_model):
    folder, train, _ = forecast_model
    history, cut = train[~_last(train, H)], train[_last(train, H)]
    future = cut[["series_id", "timestamp", "CPI"]]
    columns = {c: history[c].astype(str if c == "timestamp" else object).tolist() for c in history}
    response = client.post("/predict", json={"history": columns, "future": _json_rows(future)})
    assert response.status_code == 200
    _same_forecast(response.json(), load(folder).predict(future=future, history=history))


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 422, "CPI"),  # no future: the known covariate is missing
        (b'{"futur": []}', 422, "'future' and/or 'history'"),
        (b'{"future": [1, 2]}', 422, "list of records"),
        (b'{"future": {"CPI": [1], "timestamp": []}}', 422, "different lengths"),
        (b"{not json", 400, "not valid JSON"),
    ],
)
def test_bad_bodies_get_a_one_line_error(client, body, status, message):
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert message in response.json()["error"]
    assert "\n" not in response.json()["error"]


def test_future_rows_of_an_unknown_series_or_without_the_covariate_are_refused(
    client, forecast_model
):
    future = forecast_model[2]
    one = future[future["series_id"] == future["series_id"].iloc[0]]
    stranger = _json_rows(one.assign(series_id="Atlantis"))
    assert (
        "not in the history" in client.post("/predict", json={"future": stranger}).json()["error"]
    )
    bare = _json_rows(future.drop(columns="CPI"))
    response = client.post("/predict", json={"future": bare})
    assert response.status_code == 422 and "CPI" in response.json()["error"]
    xml = client.post("/predict", content=b"<a/>", headers={"content-type": "application/xml"})
    assert xml.status_code == 415


def test_health_schema_and_metadata_describe_the_forecast(client):
    assert client.get("/health").json() == {"status": "ok", "backend": "native"}
    schema = client.get("/schema").json()
    assert schema["horizon"] == H and schema["known_covariates"] == ["CPI"]
    assert schema["id_column"] == "series_id" and len(schema["series"]) == 8
    metadata = client.get("/metadata").json()
    assert metadata["task"] == "forecast" and metadata["series"] == 8
    assert "statsforecast" in metadata["versions"]
    assert "future" in str(client.get("/openapi.json").json()["paths"]["/predict"])


def test_a_forecast_model_has_no_onnx_backend(forecast_model):
    with pytest.raises(ConfigError, match="native"):
        create_app(forecast_model[0], backend="onnx")


def test_future_and_history_rows_count_against_the_row_cap(forecast_model, live_server):
    folder, _, future = forecast_model
    app = create_app(folder, max_rows=len(future) - 1, api_key="")
    with live_server(app) as url:
        response = httpx.post(f"{url}/predict", json={"future": _json_rows(future)}, timeout=60)
    assert response.status_code == 413 and "row limit" in response.json()["error"]
