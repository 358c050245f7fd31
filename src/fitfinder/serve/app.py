"""The HTTP prediction server: a FastAPI app over one model directory, run by uvicorn.

``POST /predict`` (JSON records, JSON column arrays or CSV), ``GET /health``, ``/schema``,
``/metadata``, ``/metrics`` (Prometheus text) and OpenAPI docs at ``/docs`` whose request schema
is built from the model's columns. Bad input gets a 4xx JSON ``{"error", "field"}``. With an API
key (``FITFINDER_API_KEY``) every request needs ``X-API-Key: <key>`` or ``Authorization: Bearer
<key>``.
"""

from __future__ import annotations

import hmac
import os
import time
from datetime import datetime
from typing import Any

import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field, create_model

from fitfinder.data.schema import Role
from fitfinder.errors import FitfinderError
from fitfinder.serve.backend import Backend, load_backend
from fitfinder.serve.metrics import Metrics
from fitfinder.serve.validate import RequestError, parse_body, to_columns

API_KEY_ENV = "FITFINDER_API_KEY"
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
INLINE_ROWS = 64  # batches up to this size are predicted on the event loop, larger in a thread
NUMPY = orjson.OPT_SERIALIZE_NUMPY
ENV_PREFIX = "FITFINDER_SERVE_"  # settings handed to worker processes (--workers > 1)
JSON_TYPES: dict[Role, Any] = {
    Role.NUMERIC: float,
    Role.BOOLEAN: bool,
    Role.CATEGORICAL: str,
    Role.DATETIME: datetime,
    Role.TEXT: str,
}


def create_app(
    model_dir: str | os.PathLike,
    *,
    backend: str = "auto",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    api_key: str | None = None,
    threads: int | None = 1,
) -> FastAPI:
    """The app serving the model in ``model_dir``; ``api_key`` defaults to $FITFINDER_API_KEY."""
    model = load_backend(model_dir, backend, threads)
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
    metrics = Metrics()
    app = FastAPI(
        title="fitfinder model",
        description=f"{model.task} model served by fitfinder ({model.kind} backend)",
        version=str(model.description.get("versions", {}).get("fitfinder", "")),
    )
    _routes(app, model, metrics, max_body_bytes)
    app.add_middleware(_Guard, api_key=key, metrics=metrics, paths=_paths(app))
    return app


def app_from_env() -> FastAPI:
    """``create_app`` with settings from the environment (uvicorn factory for --workers > 1)."""
    env = os.environ
    return create_app(
        env[f"{ENV_PREFIX}DIR"],
        backend=env.get(f"{ENV_PREFIX}BACKEND", "auto"),
        max_body_bytes=int(env.get(f"{ENV_PREFIX}MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
    )


def _routes(app: FastAPI, model: Backend, metrics: Metrics, max_body_bytes: int) -> None:
    columns = model.schema.used_columns

    @app.post(
        "/predict",
        openapi_extra={"requestBody": _request_body(model)},
        responses={200: {"model": _response_model(model)}, 400: {}, 413: {}, 415: {}, 422: {}},
    )
    async def predict(request: Request) -> Response:
        """Predictions (and class probabilities) for the rows in the body, in the model's labels."""
        try:
            body = await _read_body(request, max_body_bytes)
            raw = parse_body(body, request.headers.get("content-type", ""), columns)
            arrays = to_columns(raw, model.schema)
        except RequestError as exc:
            return JSONResponse(exc.payload(), status_code=exc.status)
        except FitfinderError as exc:
            return JSONResponse({"error": str(exc), "field": None}, status_code=422)
        n_rows = len(next(iter(arrays.values())))
        if n_rows <= INLINE_ROWS:  # a thread hop costs more than predicting a few rows
            predictions, proba = model.answer(arrays)
        else:
            predictions, proba = await run_in_threadpool(model.answer, arrays)
        metrics.add_rows(n_rows)
        result: dict[str, Any] = {"predictions": predictions.tolist()}  # labels may be strings
        if proba is not None:
            result["classes"] = model.labels
            result["probabilities"] = np.ascontiguousarray(proba, dtype=np.float64)
        return Response(orjson.dumps(result, option=NUMPY), media_type="application/json")

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "backend": model.kind}

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

    @app.get("/metrics", response_class=PlainTextResponse)
    def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"body of {declared} bytes is over the {limit}-byte limit")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"body is over the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


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
    if model.task == "regression":
        return create_model("Prediction", predictions=(list[float], ...))
    return create_model(
        "Prediction",
        predictions=(list[Any], ...),
        classes=(list[Any], ...),
        probabilities=(list[list[float]], ...),
    )


# -- API key and metrics for every request ----------------------------------------------------
class _Guard:
    """Pure ASGI middleware: checks the API key (when set) and records every request."""

    def __init__(self, app, api_key: str | None, metrics: Metrics, paths: frozenset[str]):
        self.app, self.api_key, self.metrics, self.paths = app, api_key, metrics, paths

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), [500]

        async def record_status(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            if self.api_key and not self._authorized(scope):
                denied = JSONResponse(
                    {
                        "error": "missing or wrong API key: send X-API-Key or Authorization: Bearer",
                        "field": None,
                    },
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await denied(scope, receive, record_status)
            else:
                await self.app(scope, receive, record_status)
        finally:
            path = scope["path"] if scope["path"] in self.paths else "other"
            self.metrics.observe(path, scope["method"], status[0], time.perf_counter() - start)

    def _authorized(self, scope) -> bool:
        headers = dict(scope["headers"])
        given = headers.get(b"x-api-key", b"").decode("latin-1")
        bearer = headers.get(b"authorization", b"").decode("latin-1")
        if not given and bearer.lower().startswith("bearer "):
            given = bearer[7:].strip()
        return bool(given) and hmac.compare_digest(given.encode(), self.api_key.encode())


def _paths(app: FastAPI) -> frozenset[str]:
    return frozenset(route.path for route in app.routes)


def serve(
    model_dir: str | os.PathLike,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    backend: str = "auto",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> None:
    """Run the server with uvicorn until interrupted; loopback only unless ``host`` says otherwise."""
    import uvicorn

    app = create_app(model_dir, backend=backend, max_body_bytes=max_body_bytes)  # fails early
    options = {"host": host, "port": port, "log_level": "warning", "access_log": False}
    if workers <= 1:
        uvicorn.run(app, **options)
        return
    os.environ.update(
        {
            f"{ENV_PREFIX}DIR": str(model_dir),
            f"{ENV_PREFIX}BACKEND": backend,
            f"{ENV_PREFIX}MAX_BODY_BYTES": str(max_body_bytes),
        }
    )
    uvicorn.run("fitfinder.serve.app:app_from_env", factory=True, workers=workers, **options)
