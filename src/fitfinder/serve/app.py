"""The HTTP prediction server: a FastAPI app over one model directory, run by uvicorn.

The model's task adds its own ``POST /predict``, ``GET /schema`` and ``/metadata`` (tabular
models: :mod:`fitfinder.serve.tabular`; forecasts: :mod:`fitfinder.tasks.forecast.serving`);
every app has ``GET /health`` (liveness), ``/ready`` (readiness), ``/metrics`` (Prometheus
text) and OpenAPI docs at ``/docs``. With an API key (``FITFINDER_API_KEY``) every request but
the two probes needs ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
from dataclasses import asdict

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse

from fitfinder.model import read_description
from fitfinder.serve.http import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    ServeSettings,
)
from fitfinder.serve.metrics import Metrics
from fitfinder.tasks import get_task

API_KEY_ENV = "FITFINDER_API_KEY"
SETTINGS_ENV = "FITFINDER_SERVE_SETTINGS"  # JSON settings for worker processes (--workers > 1)
OPEN_PATHS = frozenset({"/health", "/ready"})  # probes answer without the key
LOOPBACK = ("127.0.0.1", "::1", "localhost")
GRACE_SECONDS = 30  # in-flight requests get this long to finish after SIGTERM / Ctrl-C

log = logging.getLogger("fitfinder")


def create_app(
    model_dir: str | os.PathLike,
    *,
    backend: str = "auto",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    timeout: float = DEFAULT_TIMEOUT,
    api_key: str | None = None,
    threads: int | None = 1,
) -> FastAPI:
    """The app serving the model in ``model_dir``; ``api_key`` defaults to $FITFINDER_API_KEY."""
    settings = ServeSettings(backend, max_body_bytes, max_rows, timeout, threads)
    return _app(model_dir, settings, api_key)


def _app(model_dir: str | os.PathLike, settings: ServeSettings, api_key: str | None) -> FastAPI:
    description = read_description(model_dir)
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
    metrics = Metrics()
    app = FastAPI(
        title="fitfinder model",
        version=str(description.get("versions", {}).get("fitfinder", "")),
    )
    kind = get_task(description["task"]).add_routes(app, model_dir, settings, metrics)
    _common_routes(app, kind, metrics)
    app.add_middleware(_Guard, api_key=key, metrics=metrics, paths=_paths(app))
    return app


def app_from_env() -> FastAPI:
    """The app of the settings ``serve`` put in the environment (uvicorn factory for
    ``--workers`` > 1)."""
    settings = json.loads(os.environ[SETTINGS_ENV])
    return _app(settings.pop("model_dir"), ServeSettings(**settings), None)


def _common_routes(app: FastAPI, kind: str, metrics: Metrics) -> None:
    @app.get("/health")
    def health() -> dict:
        """Liveness: the process answers (open without the API key)."""
        return {"status": "ok", "backend": kind}

    @app.get("/ready")
    def ready() -> dict:
        """Readiness: the model is loaded and warmed up (open without the API key)."""
        return {"status": "ready", "backend": kind}

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
            if self.api_key and scope["path"] not in OPEN_PATHS and not self._authorized(scope):
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
    max_rows: int = DEFAULT_MAX_ROWS,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Run the server with uvicorn until interrupted (in-flight requests finish first);
    loopback only unless ``host`` says otherwise."""
    import uvicorn

    settings = ServeSettings(backend, max_body_bytes, max_rows, timeout)
    app = _app(model_dir, settings, None)  # fails early, before any worker starts
    if host not in LOOPBACK and not os.environ.get(API_KEY_ENV):
        log.warning(
            "serving on %s without an API key: anyone who can reach port %d can use the model; "
            "set %s",
            host,
            port,
            API_KEY_ENV,
        )
    options = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "timeout_graceful_shutdown": GRACE_SECONDS,
    }
    if workers <= 1:
        uvicorn.run(app, **options)
        return
    os.environ[SETTINGS_ENV] = json.dumps({"model_dir": str(model_dir), **asdict(settings)})
    uvicorn.run("fitfinder.serve.app:app_from_env", factory=True, workers=workers, **options)
