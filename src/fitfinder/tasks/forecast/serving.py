"""The routes of a forecast model: ``POST /predict`` answers the next ``horizon`` steps of every
series, ``GET /schema`` and ``/metadata`` say what it takes.

A request body is empty (forecast from the end of the saved history), CSV (the known
covariates of the next steps), or a JSON object with two optional members: ``future`` (the
known covariates of the next steps) and ``history`` (newer rows to forecast from, without
refitting), each as a list of records or an object of column arrays, in the user's column
names. The same checks as ``ForecastModel.predict`` apply; a bad body gets a 4xx JSON
``{"error", "field"}``. Forecast models are answered natively (there is no ONNX graph of a
statsforecast or mlforecast model).
"""

from __future__ import annotations

import io
import os
from typing import Any

import orjson
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from fitfinder.errors import ConfigError, FitfinderError
from fitfinder.model import read_description
from fitfinder.serve.http import ServeSettings, json_response, read_body
from fitfinder.serve.metrics import Metrics
from fitfinder.serve.validate import RequestError
from fitfinder.tasks.forecast.model import ForecastModel

PARTS = ("future", "history")
BACKEND = "native"


def add_routes(
    app: FastAPI, folder: str | os.PathLike, settings: ServeSettings, metrics: Metrics
) -> str:
    """``/predict``, ``/schema`` and ``/metadata`` for the forecast model in ``folder``."""
    if settings.backend == "onnx":
        raise ConfigError("forecast models have no ONNX graph; serve them with --backend native")
    model = ForecastModel.load(folder)
    if not model.schema.known_covariates:  # warm up: lazy imports, numba, thread pools
        model.predict()
    description = read_description(folder)
    schema = model.schema
    app.description = f"forecasts {schema.horizon} steps of {len(model.series)} series"

    @app.post("/predict", openapi_extra={"requestBody": _request_body()})
    async def predict(request: Request) -> Response:
        """The forecast frame (id, time, forecast and quantile columns) as records."""
        try:
            body = await read_body(request, settings.max_body_bytes)
            parts = _parts(body, request.headers.get("content-type", ""))
            settings.check_rows(sum(len(frame) for frame in parts.values()))
            forecast = await settings.run(model.predict, **parts)
        except RequestError as exc:
            return JSONResponse(exc.payload(), status_code=exc.status)
        except FitfinderError as exc:
            return JSONResponse({"error": str(exc), "field": None}, status_code=422)
        metrics.add_rows(len(forecast))
        return json_response({"forecast": _records(forecast, schema.time_column)})

    @app.get("/schema")
    def schema_route() -> dict:
        """The columns a request may carry and the steps a forecast covers."""
        return {
            "task": model.task,
            "target": schema.target,
            "time_column": schema.time_column,
            "id_column": schema.id_column,
            "freq": schema.freq,
            "horizon": schema.horizon,
            "known_covariates": list(schema.known_covariates),
            "past_covariates": list(schema.past_covariates),
            "static_columns": list(schema.static_columns),
            "series": model.series.index.astype(str).tolist(),
        }

    @app.get("/metadata")
    def metadata() -> dict:
        return {
            **_jsonable(model.description()),
            "backend": BACKEND,
            "versions": description.get("versions", {}),
        }

    return BACKEND


def _parts(body: bytes, content_type: str) -> dict[str, pd.DataFrame]:
    """``future`` and ``history`` frames from a request body (absent ones left out)."""
    kind = content_type.split(";")[0].strip().lower()
    if not body.strip():
        return {}
    if kind in ("text/csv", "application/csv"):
        return {"future": _csv(body)}
    if kind not in ("", "application/json"):
        raise RequestError(
            415, f"unsupported content type '{kind}'; send application/json or text/csv"
        )
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestError(400, f"body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or set(data) - set(PARTS):
        raise RequestError(422, "body must be an object with 'future' and/or 'history'")
    return {name: _frame(name, data[name]) for name in PARTS if data.get(name) is not None}


def _frame(name: str, value: Any) -> pd.DataFrame:
    """Records or column arrays as a frame; a 422 naming ``name`` when they are neither."""
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        return pd.DataFrame.from_records(value)
    if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
        if len({len(v) for v in value.values()}) == 1:
            return pd.DataFrame(value)
        raise RequestError(422, f"the column arrays of '{name}' have different lengths", name)
    raise RequestError(
        422, f"'{name}' must be a non-empty list of records or an object of column arrays", name
    )


def _csv(body: bytes) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(body))
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise RequestError(400, f"body is not valid CSV: {exc}".splitlines()[0]) from exc


def _records(forecast: pd.DataFrame, time_column: str) -> list[dict]:
    out = forecast.copy()
    out[time_column] = out[time_column].map(pd.Timestamp.isoformat)
    return out.to_dict("records")


def _jsonable(description: dict) -> dict:
    return orjson.loads(orjson.dumps(description, default=str, option=orjson.OPT_SERIALIZE_NUMPY))


def _request_body() -> dict:
    frame = {
        "oneOf": [
            {"type": "array", "items": {"type": "object"}, "title": "Records"},
            {"type": "object", "title": "ColumnArrays", "additionalProperties": {"type": "array"}},
        ]
    }
    return {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"future": frame, "history": frame},
                    "additionalProperties": False,
                }
            },
            "text/csv": {"schema": {"type": "string", "description": "future known covariates"}},
        },
    }
