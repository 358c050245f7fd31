"""What answers a prediction request: the exported ONNX graph, or the native model."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fitfinder.data import Schema
from fitfinder.errors import ConfigError, MissingExtraError, ModelError
from fitfinder.export import ONNX_FILE
from fitfinder.model import load, read_description, read_sample

log = logging.getLogger("fitfinder")

BACKENDS = ("auto", "onnx", "native")


@dataclass
class Backend:
    """A loaded model: ``kind`` is "onnx" or "native"."""

    kind: str
    schema: Schema
    task: str
    labels: list | None
    description: dict
    model: Any

    def answer(self, columns: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        """(predictions, probabilities or None) for conformed column arrays."""
        if self.kind == "onnx":
            return self.model.run(columns)
        frame = pd.DataFrame(columns)
        if self.labels is None:  # values: regression or ranking scores
            return self.model.predict(frame), None
        proba = self.model.predict_proba(frame)
        return self.model.labels_of(proba), proba

    def warm_up(self, rows: pd.DataFrame | None) -> None:
        """Answer conformed ``rows`` once and forget it, so that the first request does not
        pay for lazy imports, thread pools and session set-up (importing PyTorch alone takes
        seconds). No rows: nothing to do."""
        if rows is not None and len(rows):
            self.answer({c: rows[c].to_numpy() for c in self.schema.used_columns})


def load_backend(folder: str | os.PathLike, kind: str = "auto", threads: int | None = 1) -> Backend:
    """The model in ``folder``, warmed up on its saved sample rows: ONNX when ``model.onnx`` is
    there (``auto``), else native.

    Only files of ``folder`` are read; the native path unpickles the model's own pipeline.
    """
    backend = _load(folder, kind, threads)
    backend.warm_up(read_sample(folder))
    return backend


def _load(folder: str | os.PathLike, kind: str, threads: int | None) -> Backend:
    if kind not in BACKENDS:
        raise ConfigError(f"unknown backend '{kind}'; use one of: {', '.join(BACKENDS)}")
    description = read_description(folder)
    has_graph = (Path(folder) / ONNX_FILE).is_file()
    usable = has_graph and _onnxruntime_installed() and _current_graph(folder, description)
    if kind == "onnx" or (kind == "auto" and usable):
        from fitfinder.export import load_onnx

        model = load_onnx(folder, threads=threads)
        return Backend("onnx", model.schema, model.task, model.labels, description, model)
    if kind == "auto" and has_graph:
        log.warning(
            "%s has %s but onnxruntime is missing: serving the native model", folder, ONNX_FILE
        )
    model = load(folder)
    return Backend("native", model.schema, model.task, model.labels, description, model)


def _current_graph(folder: str | os.PathLike, description: dict) -> bool:
    """Whether the directory's graph was exported from its model (warns when not)."""
    from fitfinder.export.runtime import check_graph

    try:
        check_graph(Path(folder) / ONNX_FILE, description)
    except ModelError as exc:
        log.warning("%s: serving the native model", exc)
        return False
    return True


def _onnxruntime_installed() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def require_serve() -> None:
    """Raise MissingExtraError unless FastAPI and uvicorn import."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError("fitfinder serve", "serve") from exc
