"""The HTTP prediction server: a FastAPI app over one model directory, run by uvicorn.

The model's task adds its own ``POST /predict``, ``GET /schema`` and ``/metadata`` (tabular
models: :mod:`fitfinder.serve.tabular`; forecasts: :mod:`fitfinder.tasks.forecast.serving`);
every app has ``GET /health``, ``/metrics`` (Prometheus text) and OpenAPI docs at ``/docs``.
With an API key (``FITFINDER_API_KEY``) every request needs ``X-API-Key: <key>`` or
``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import hmac
import os
import time

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse

from fitfinder.model import read_description
from fitfinder.serve.http import DEFAULT_MAX_BODY_BYTES, ServeSettings
from fitfinder.serve.metrics import Metrics
from fitfinder.tasks import get_task

API_KEY_ENV = "FITFINDER_API_KEY"
ENV_PREFIX = "FITFINDER_SERVE_"  # settings handed to worker processes (--workers > 1)


def create_app(
    model_dir: str | os.PathLike,
    *,
    backend: str = "auto",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    api_key: str | None = None,
    threads: int | None = 1,
) -> FastAPI:
    """The app serving the model in ``model_dir``; ``api_key`` defaults to $FITFINDER_API_KEY."""
    description = read_description(model_dir)
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
    metrics = Metrics()
    app = FastAPI(
        title="fitfinder model",
        version=str(description.get("versions", {}).get("fitfinder", "")),
    )
    settings = ServeSettings(backend, max_body_bytes, threads)
    kind = get_task(description["task"]).add_routes(app, model_dir, settings, metrics)
    _common_routes(app, kind, metrics)
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


def _common_routes(app: FastAPI, kind: str, metrics: Metrics) -> None:
    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "backend": kind}

    @app.get("/metrics", response_class=PlainTextResponse)
    def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")


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
