"""The routes of a tabular model: ``POST /predict`` (JSON records, JSON column arrays or CSV),
``GET /schema`` and ``/metadata``, with OpenAPI request and response schemas built from the
model's columns. Bad input gets a 4xx JSON ``{"error", "field"}``."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, create_model

from fitfinder.data.schema import Role
from fitfinder.errors import FitfinderError
from fitfinder.serve.backend import Backend, load_backend
from fitfinder.serve.http import ServeSettings, json_response, read_body
from fitfinder.serve.metrics import Metrics
from fitfinder.serve.validate import RequestError, parse_body, to_columns

JSON_TYPES: dict[Role, Any] = {
    Role.NUMERIC: float,
    Role.BOOLEAN: bool,
    Role.CATEGORICAL: str,
    Role.DATETIME: datetime,
    Role.TEXT: str,
}


def add_routes(
    app: FastAPI, folder: str | os.PathLike, settings: ServeSettings, metrics: Metrics
) -> str:
    """``/predict``, ``/schema`` and ``/metadata`` for the tabular model in ``folder``; returns
    the backend that answers ("onnx" or "native")."""
    model = load_backend(folder, settings.backend, settings.threads)
    columns = model.schema.used_columns
    max_body_bytes = settings.max_body_bytes
    app.description = f"{model.task} model served by fitfinder ({model.kind} backend)"

    @app.post(
        "/predict",
        openapi_extra={"requestBody": _request_body(model)},
        responses={
            200: {"model": _response_model(model)},
            **{code: {} for code in (400, 413, 415, 422, 503)},
        },
    )
    async def predict(request: Request) -> Response:
        """Predictions (and class probabilities) for the rows in the body, in the model's labels."""
        try:
            body = await read_body(request, max_body_bytes)
            raw = parse_body(body, request.headers.get("content-type", ""), columns)
            arrays = to_columns(raw, model.schema)
        except RequestError as exc:
            return JSONResponse(exc.payload(), status_code=exc.status)
        except FitfinderError as exc:
            return JSONResponse({"error": str(exc), "field": None}, status_code=422)
        n_rows = len(next(iter(arrays.values())))
        try:
            settings.check_rows(n_rows)
            predictions, proba = await settings.run(model.answer, arrays)
        except RequestError as exc:
            return JSONResponse(exc.payload(), status_code=exc.status)
        metrics.add_rows(n_rows)
        result: dict[str, Any] = {"predictions": predictions.tolist()}  # labels may be strings
        if proba is not None:
            result["classes"] = model.labels
            result["probabilities"] = np.ascontiguousarray(proba, dtype=np.float64)
        return json_response(result)

    @app.get("/schema")
    def schema() -> dict:
        """The columns the model expects, each with its role and JSON type."""
        return {
            "task": model.task,
            "labels": model.labels,
            "columns": [_column(model, name) for name in columns],
        }

    @app.get("/metadata")
    def metadata() -> dict:
        keys = ("metric", "validation_score", "best_family", "best_config", "validation", "refit")
        info = {k: model.description.get(k) for k in keys}
        return {
            "task": model.task,
            "labels": model.labels,
            "backend": model.kind,
            **info,
            "onnx": model.description.get("onnx"),
            "versions": model.description.get("versions", {}),
        }

    return model.kind


def _column(model: Backend, name: str) -> dict:
    role = model.schema.roles[name]
    entry = {"name": name, "role": role.value, "type": _json_type(role)}
    if role is Role.CATEGORICAL:
        entry["categories"] = model.schema.categories.get(name, [])
    return entry


def _json_type(role: Role) -> str:
    return {
        Role.NUMERIC: "number",
        Role.BOOLEAN: "boolean",
        Role.DATETIME: "string (date-time)",
    }.get(role, "string")


# -- OpenAPI: request and response schemas built from the model's columns ---------------------
def _record_model(model: Backend) -> type[BaseModel]:
    fields = {
        f"field_{i}": (
            JSON_TYPES[model.schema.roles[name]] | None,
            Field(None, alias=name, description=f"{model.schema.roles[name].value} column"),
        )
        for i, name in enumerate(model.schema.used_columns)
    }
    return create_model("Record", **fields)


def _request_body(model: Backend) -> dict:
    record = _record_model(model).model_json_schema(by_alias=True)
    arrays = {
        "type": "object",
        "title": "ColumnArrays",
        "properties": {
            name: {"type": "array", "items": prop} for name, prop in record["properties"].items()
        },
        "required": list(record["properties"]),
    }
    record["required"] = list(record["properties"])
    return {
        "required": True,
        "content": {
            "application/json": {"schema": {"oneOf": [{"type": "array", "items": record}, arrays]}},
            "text/csv": {"schema": {"type": "string", "description": "CSV with a header row"}},
        },
    }


def _response_model(model: Backend) -> type[BaseModel]:
    if model.labels is None:
        return create_model("Prediction", predictions=(list[float], ...))
    return create_model(
        "Prediction",
        predictions=(list[Any], ...),
        classes=(list[Any], ...),
        probabilities=(list[list[float]], ...),
    )
