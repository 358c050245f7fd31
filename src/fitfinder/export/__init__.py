"""ONNX export of fitted models and an onnxruntime wrapper (needs the [onnx] extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fitfinder.errors import MissingExtraError

if TYPE_CHECKING:
    from fitfinder.export.onnx import build_onnx, export_onnx
    from fitfinder.export.runtime import OnnxModel, load_onnx

ONNX_FILE = "model.onnx"  # the graph's name in a model directory; serve uses it when present
__all__ = ["ONNX_FILE", "OnnxModel", "build_onnx", "export_onnx", "load_onnx"]
_HOMES = {
    "build_onnx": "onnx",
    "export_onnx": "onnx",
    "OnnxModel": "runtime",
    "load_onnx": "runtime",
}


def require_onnx(part: str = "ONNX export") -> None:
    """Raise MissingExtraError unless onnx, onnxruntime and skl2onnx import."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError(part, "onnx") from exc


def __getattr__(name: str):
    """Import on first use, so that a missing [onnx] extra is reported by name."""
    if name not in _HOMES:
        raise AttributeError(f"module 'fitfinder.export' has no attribute {name!r}")
    require_onnx()
    from importlib import import_module

    return getattr(import_module(f"fitfinder.export.{_HOMES[name]}"), name)
