"""Run an exported graph with onnxruntime on raw tables, answering like ``FittedModel``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd

from fitfinder.data import Schema, as_frame
from fitfinder.data.schema import Role
from fitfinder.errors import ModelError
from fitfinder.export import ONNX_FILE

NANOSECONDS = 1e9


class OnnxModel:
    """An ONNX graph plus the schema, task and labels needed to feed it raw tables."""

    def __init__(
        self,
        graph: bytes | str | os.PathLike,
        schema: Schema,
        task: str,
        labels: list | None,
        threads: int | None = None,
    ):
        options = ort.SessionOptions()
        options.inter_op_num_threads = 1
        if threads:
            options.intra_op_num_threads = threads
        source = graph if isinstance(graph, bytes) else str(graph)
        self.session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        self.schema, self.task, self.labels = schema, task, labels

    @property
    def classes_(self) -> np.ndarray | None:
        return None if self.labels is None else np.asarray(self.labels)

    def predict(self, X) -> np.ndarray:
        """Labels (classification) or values (regression), like ``FittedModel.predict``."""
        return self.run(self._conform(X))[0]

    def predict_proba(self, X) -> np.ndarray:
        if self.labels is None:
            raise ModelError("predict_proba is for classification; this model predicts values")
        return self.run(self._conform(X))[1]

    def run(self, columns: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
        """(labels or values, probabilities or None) for conformed columns (a frame
        ``Schema.conform`` returned, or a mapping of column name to its conformed values)."""
        outputs = self.session.run(None, self.feeds(columns))
        if self.labels is None:
            return outputs[0].astype(np.float64), None
        return outputs[0], outputs[1]

    def feeds(self, columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """One [N, 1] array per used column, typed as the graph's inputs expect."""
        return {
            name: _feed(columns[name], self.schema.roles[name]) for name in self.schema.used_columns
        }

    def _conform(self, X) -> pd.DataFrame:
        columns = list(self.schema.roles) if isinstance(X, np.ndarray) else None
        return self.schema.conform(as_frame(X, columns=columns))


def _feed(values, role: Role) -> np.ndarray:
    """Conformed values as the graph takes them: "" for missing strings, epoch seconds for dates,
    texts cut and lowercased."""
    if role is Role.TEXT:
        from fitfinder.export.text import feed_text

        values = feed_text(values)
    elif role is Role.CATEGORICAL:
        values = np.asarray(values, dtype=object)
        values = np.where(pd.isna(values), "", values)
    elif role is Role.DATETIME:
        stamps = np.asarray(values, dtype="datetime64[ns]")
        values = stamps.astype(np.int64) / NANOSECONDS
        values[np.isnat(stamps)] = np.nan
    else:
        values = np.asarray(values, dtype=np.float64)
    return values.reshape(-1, 1)


def check_graph(path: Path, description: dict) -> None:
    """ModelError unless ``path`` is the graph exported from the model ``description``
    describes (its hash is recorded there by ``export_onnx``): a graph left from an earlier
    model, or copied in from another, is never used."""
    from fitfinder.modeldir import file_hash

    recorded = (description.get("onnx") or {}).get("sha256")
    if recorded is None or file_hash(path) != recorded:
        raise ModelError(
            f"{path} was not exported from the model in {path.parent} (stale or foreign); "
            f"run: fitfinder export {path.parent}"
        )


def load_onnx(folder: str | os.PathLike, threads: int | None = None) -> OnnxModel:
    """The ``model.onnx`` of a model directory, with the schema and labels of its model.json."""
    from fitfinder.model import read_description

    path = Path(folder) / ONNX_FILE
    if not path.is_file():
        raise ModelError(f"no {ONNX_FILE} in {folder}; run: fitfinder export {folder}")
    description = read_description(folder)
    check_graph(path, description)
    schema = Schema.from_dict(description["schema"])
    return OnnxModel(path, schema, description["task"], description.get("labels"), threads)
