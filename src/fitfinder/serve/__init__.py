"""The HTTP prediction server (needs the [serve] extra: FastAPI and uvicorn)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fitfinder.serve.backend import require_serve

if TYPE_CHECKING:
    from fitfinder.serve.app import create_app, serve

__all__ = ["create_app", "serve"]


def __getattr__(name: str):
    """Import on first use, so that a missing [serve] extra is reported by name."""
    if name not in __all__:
        raise AttributeError(f"module 'fitfinder.serve' has no attribute {name!r}")
    require_serve()
    from fitfinder.serve import app

    return getattr(app, name)
