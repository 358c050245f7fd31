"""What every task's routes share: the server's settings, reading a size-capped body, the row
cap, predicting off the event loop within a time limit, and JSON responses that carry NumPy
arrays."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from fitfinder.serve.validate import RequestError

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
DEFAULT_TIMEOUT = 30.0  # seconds for one request's predictions
NUMPY = orjson.OPT_SERIALIZE_NUMPY


@dataclass(frozen=True)
class ServeSettings:
    """How a model is served: ``backend`` ("auto", "onnx" or "native"), the body size and row
    limits of a request, the seconds its predictions may take, and the inference threads."""

    backend: str = "auto"
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_rows: int = DEFAULT_MAX_ROWS
    timeout: float = DEFAULT_TIMEOUT
    threads: int | None = 1

    def check_rows(self, n_rows: int) -> None:
        """A 413 RequestError when a request carries more than ``max_rows`` rows."""
        if n_rows > self.max_rows:
            raise RequestError(
                413, f"{n_rows} rows is over the {self.max_rows}-row limit; send smaller batches"
            )

    async def run(self, predict: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``predict(*args, **kwargs)`` in a worker thread, so that a slow model never blocks
        the event loop; a 503 RequestError after ``timeout`` seconds (the thread cannot be
        stopped and finishes in the background; its answer is dropped)."""
        try:
            return await asyncio.wait_for(
                run_in_threadpool(predict, *args, **kwargs), timeout=self.timeout
            )
        except TimeoutError as exc:
            raise RequestError(
                503, f"the prediction took over {self.timeout:g} s; send fewer rows or retry"
            ) from exc


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or a 413 RequestError as soon as it is over ``limit`` bytes."""
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


def json_response(content: Any) -> Response:
    """``content`` as JSON (NumPy arrays included), serialised by orjson."""
    return Response(orjson.dumps(content, option=NUMPY), media_type="application/json")
