"""FittedModel: the found model with its schema; predict, save and load.

A model directory holds ``model.json`` (schema, task, metric, labels, best config, decision
threshold, library versions, data fingerprint), ``pipeline.joblib`` (the fitted scikit-learn
pipeline), ``sample.parquet`` (up to 200 conformed validation rows, for the ONNX parity check) and, when
the model came from a search, ``journal.db`` (every trial, for the leaderboard). How it is
written and checked: :mod:`fitfinder.modeldir`.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import warnings
from contextlib import closing
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from fitfinder import modeldir
from fitfinder.data import Schema, as_frame
from fitfinder.errors import ModelError
from fitfinder.modeldir import MODEL_FILE, Writer
from fitfinder.threshold import decide

log = logging.getLogger("fitfinder")

PIPELINE_FILE = "pipeline.joblib"
JOURNAL_FILE = "journal.db"
SAMPLE_FILE = "sample.parquet"
SAMPLE_ROWS = 200
FORMAT_VERSION = 2  # 2: model.json records each file's SHA-256
TRACKED_LIBRARIES = (
    "fitfinder",
    "scikit-learn",
    "lightgbm",
    "xgboost",
    "numpy",
    "pandas",
    "statsforecast",
    "mlforecast",
)


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a saved pipeline depends on."""
    found = {}
    for name in TRACKED_LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


@dataclass
class FittedModel:
    """A fitted pipeline plus what it needs to take raw tables and answer in the user's labels."""

    pipeline: Any
    schema: Schema
    task: str
    metric: str
    labels: list | None = None
    info: dict = field(default_factory=dict)  # best trial, refit, fingerprint, versions...
    # conformed validation rows for the ONNX parity check
    sample: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    @property
    def classes_(self) -> np.ndarray | None:
        return None if self.labels is None else np.asarray(self.labels)

    @property
    def threshold(self) -> float | list[float] | None:
        """The tuned decision rule (``fitfinder.threshold``), if any: a binary model's cut-off,
        or a multiclass model's class weights."""
        return self.info.get("decision_threshold", {}).get("value")

    def predict(self, X) -> np.ndarray:
        """Predictions in the user's labels (classification) or values (regression)."""
        if self.task == "regression":
            return np.asarray(self.pipeline.predict(self._features(X)), dtype=float)
        return self.labels_of(self.predict_proba(X))

    def description(self) -> dict:
        """What ``fitfinder info`` shows: task, metric, labels and the fit's record."""
        return {"task": self.task, "metric": self.metric, "labels": self.labels, **self.info}

    def prediction_table(
        self, table: pd.DataFrame | None, *, proba: bool = False, history: Any = None
    ) -> pd.DataFrame:
        """The CLI's output: a ``prediction`` column (and ``proba_<label>`` columns)."""
        if table is None:
            raise ModelError("give the table to predict: fitfinder predict MODEL TABLE")
        if history is not None:
            raise ModelError("--history is for forecast models; this model predicts tables")
        result = pd.DataFrame({"prediction": self.predict(table)})
        if proba and self.task != "regression":
            probabilities = self.predict_proba(table)
            for i, label in enumerate(self.labels):
                result[f"proba_{label}"] = probabilities[:, i]
        return result

    def labels_of(self, proba: np.ndarray) -> np.ndarray:
        """The user's labels for rows of ``predict_proba`` output (applies the threshold)."""
        return self.classes_[decide(proba, self.threshold)]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, one column per label in ``classes_`` order."""
        if self.task == "regression":
            raise ModelError("predict_proba is for classification; this model does regression")
        proba = np.asarray(self.pipeline.predict_proba(self._features(X)), dtype=float)
        return _all_classes(proba, self.pipeline.classes_, len(self.labels))

    def _features(self, X) -> pd.DataFrame:
        frame = as_frame(X, columns=list(self.schema.roles) if isinstance(X, np.ndarray) else None)
        return self.schema.conform(frame)

    def export_onnx(self, path: str | os.PathLike, X=None) -> dict:
        """Write one ONNX graph of the whole model after a parity check (``fitfinder.export``)."""
        from fitfinder.export import export_onnx

        return export_onnx(self, path, X)

    # -- persistence --------------------------------------------------------------
    def save(self, path: str | os.PathLike, journal: str | os.PathLike | None = None) -> Path:
        """Write the model directory; copy the search journal beside it when given."""
        description = {"labels": self.labels, **self.info}
        description.pop("onnx", None)  # a graph exported earlier is not part of this save
        files = {}
        if self.sample is not None:
            sample = self.sample.head(SAMPLE_ROWS)
            files[SAMPLE_FILE] = sample.to_parquet
        return write_directory(
            path, self.pipeline, self.task, self.metric, self.schema, description, journal, files
        )


def write_directory(
    path: str | os.PathLike,
    pipeline: Any,
    task: str,
    metric: str,
    schema: Any,
    description: dict,
    journal: str | os.PathLike | None = None,
    files: dict[str, Writer] | None = None,
) -> Path:
    """Write a model directory: the pipeline, the extra ``files`` (name -> writer), a copy of
    the search journal when given, and ``model.json`` last (task, metric, schema, library
    versions, ``description`` and each file's hash; see :mod:`fitfinder.modeldir`)."""
    from fitfinder.export import ONNX_FILE

    out = Path(path)
    modeldir.begin(out, leftovers=(PIPELINE_FILE, SAMPLE_FILE, ONNX_FILE))
    writers = {PIPELINE_FILE: lambda p: joblib.dump(pipeline, p, compress=3), **(files or {})}
    for name, writer in writers.items():
        modeldir.write_file(out, name, writer)
    if journal is not None and Path(journal).resolve() != (out / JOURNAL_FILE).resolve():
        _copy_sqlite(journal, out / JOURNAL_FILE)
    header = {
        "format_version": FORMAT_VERSION,
        "task": task,
        "metric": metric,
        "schema": schema.to_dict(),
        "versions": library_versions(),
    }
    modeldir.commit(out, {**header, **description}, writers, default=_jsonable)
    return out


def _copy_sqlite(source: str | os.PathLike, target: Path) -> None:
    """Copy a live SQLite database, write-ahead log included (a file copy can miss it)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def load(path: str | os.PathLike, trusted: bool = True) -> Any:
    """Load a model directory written by ``save`` (the task it was fitted for reads it);
    refuses major version mismatches and files that do not match their recorded hashes.

    Loading a trusted directory unpickles its pipeline, which can run any code: load only
    directories you or your pipeline wrote. ``trusted=False`` loads only the exported ONNX
    graph (an :class:`fitfinder.export.OnnxModel`, the same predict API) and unpickles nothing.
    """
    if not trusted:
        from fitfinder.export import load_onnx

        return load_onnx(path)
    from fitfinder.tasks import get_task

    return get_task(read_description(path)["task"]).load(Path(path))


def read_pipeline(folder: Path) -> tuple[dict, Any]:
    """A model directory's description and pipeline, after the library version check and the
    check of every file against the hash ``model.json`` recorded (before anything is
    unpickled)."""
    description = read_description(folder)
    check_versions(description.get("versions", {}))
    modeldir.verify(folder, description)
    return description, joblib.load(folder / PIPELINE_FILE)


def load_tabular(folder: Path) -> FittedModel:
    """A tabular model directory as a :class:`FittedModel`."""
    description, pipeline = read_pipeline(folder)
    info = {k: v for k, v in description.items() if k not in CORE_KEYS}
    return FittedModel(
        pipeline=pipeline,
        schema=Schema.from_dict(description["schema"]),
        task=description["task"],
        metric=description["metric"],
        labels=description.get("labels"),
        info=info,
        sample=read_sample(folder),
    )


def read_sample(path: str | os.PathLike) -> pd.DataFrame | None:
    """The conformed validation rows saved with a model directory's model, if any."""
    sample_file = Path(path) / SAMPLE_FILE
    return pd.read_parquet(sample_file) if sample_file.is_file() else None


def read_description(path: str | os.PathLike) -> dict:
    """The parsed model.json of a model directory."""
    description_file = Path(path) / MODEL_FILE
    if not description_file.is_file():
        raise ModelError(
            f"no {MODEL_FILE} in {path}; give the directory that fitfinder fit --out wrote"
        )
    try:
        description = json.loads(description_file.read_text())
    except json.JSONDecodeError as exc:
        raise ModelError(
            f"{description_file} is not valid JSON ({exc.msg}); re-save the model"
        ) from exc
    _check_description(description, description_file)
    return description


def _check_description(description: Any, where: Path) -> None:
    """ModelError unless ``description`` is a model.json this version can read: an object
    with a task, a schema and versions of the right types, of a format not newer than ours."""
    if not isinstance(description, dict):
        raise ModelError(f"{where} is not a model description (a JSON object); re-save the model")
    version = description.get("format_version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelError(f"{where} has an invalid format_version {version!r}; re-save the model")
    if version > FORMAT_VERSION:
        raise ModelError(
            f"{where} has format version {version} but this fitfinder reads up to "
            f"{FORMAT_VERSION}; upgrade fitfinder or re-save the model with this version"
        )
    for key, kind in (("task", str), ("schema", dict), ("versions", dict)):
        required = key != "versions"  # versions are optional
        if (required or key in description) and not isinstance(description.get(key), kind):
            raise ModelError(
                f"{where} has no valid '{key}' entry (changed by hand?); re-save the model"
            )


CORE_KEYS = {
    "format_version",
    "task",
    "metric",
    "labels",
    "schema",
    "versions",
    modeldir.HASHES_KEY,
}


def check_versions(saved: dict[str, str]) -> None:
    """Warn on a minor difference of a saved library version; refuse a major one."""
    current = library_versions()
    for name, was in saved.items():
        now = current.get(name)
        if now is None or now == was:
            continue
        if _major(now) != _major(was):
            raise ModelError(
                f"model saved with {name} {was} but {now} is installed; "
                f"install {name}=={was} or refit the model"
            )
        warnings.warn(
            f"model saved with {name} {was}, running with {now}", UserWarning, stacklevel=3
        )


def _major(text: str) -> str:
    return text.split(".")[0]


def _all_classes(proba: np.ndarray, seen: np.ndarray, n_classes: int) -> np.ndarray:
    """Expand probabilities to every class when the training part saw only some."""
    if proba.shape[1] == n_classes:
        return proba
    full = np.zeros((proba.shape[0], n_classes))
    full[:, np.asarray(seen, dtype=int)] = proba
    return full


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
