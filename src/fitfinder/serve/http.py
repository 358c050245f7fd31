"""What every task's routes share: the server's settings, reading a size-capped body, and JSON
responses that carry NumPy arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from fitfinder.serve.validate import RequestError

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
NUMPY = orjson.OPT_SERIALIZE_NUMPY


@dataclass(frozen=True)
class ServeSettings:
    """How a model is served: ``backend`` ("auto", "onnx" or "native"), the body size limit and
    the inference threads."""

    backend: str = "auto"
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    threads: int | None = 1


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
