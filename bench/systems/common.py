"""What every system script shares: read the spec, load the split, write predictions.

Imported by scripts running in fitfinder's Python and in the FLAML venv, so it uses only
numpy, pandas and the standard library.

Spec (JSON): data (parquet path), split (npz with ``train``/``test`` row indices), target,
drop (columns to drop), task (binary / multiclass / regression), metric (the manifest's
name), greater_is_better (the metric's direction), positive_class, budget (s), seed, out_dir.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: fit(X_train, y_train, spec) -> a fitted object with predict (and predict_proba, classes_)
Fit = Callable[[pd.DataFrame, pd.Series, dict], Any]
#: curve(fitted, spec, fit start as time.time()) -> (elapsed s, validation score) per trial
Curve = Callable[[Any, dict, float], list[tuple[float, float]]]


def load_split(spec: dict) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Train features, train target and test features, as the driver split them."""
    # the manifest's dropped_columns are mostly absent from the files already
    df = pd.read_parquet(spec["data"]).drop(columns=spec["drop"], errors="ignore")
    idx = np.load(spec["split"])
    train, test = df.iloc[idx["train"]], df.iloc[idx["test"]]
    target = spec["target"]
    return train.drop(columns=[target]), train[target], test.drop(columns=[target])


def write_outputs(out_dir: Path, pred: np.ndarray, proba, classes, info: dict) -> None:
    """predictions.parquet (``pred``, one ``proba:<label>`` column per class) and meta.json.

    Labels are written as strings so that every system's output compares the same way.
    """
    pred = np.asarray(pred)
    frame = pd.DataFrame({"pred": pred.astype(float if proba is None else str)})
    if proba is not None:
        proba = np.asarray(proba, dtype=float)
        for j, label in enumerate(classes):
            frame[f"proba:{label}"] = proba[:, j]
    frame.to_parquet(out_dir / "predictions.parquet", index=False)
    (out_dir / "meta.json").write_text(json.dumps(info, default=str))


def write_curve(path: Path, points: list[tuple[float, float]], greater_is_better: bool) -> None:
    """curve.csv: per finished trial, in time order, its validation score and the best so far."""
    frame = pd.DataFrame(points, columns=["elapsed_s", "val_score"]).sort_values("elapsed_s")
    best = frame["val_score"].cummax() if greater_is_better else frame["val_score"].cummin()
    frame.assign(best_val_score=best).to_csv(path, index=False)


def run(fit: Fit, curve: Curve | None = None) -> None:
    """Load the spec named on the command line, time ``fit``, predict the test rows, save.

    With ``curve``, also write the system's anytime curve (curve.csv) from the fitted object.
    """
    spec = json.loads(Path(sys.argv[1]).read_text())
    X_train, y_train, X_test = load_split(spec)
    started, start = time.time(), time.perf_counter()
    model = fit(X_train, y_train, spec)
    fit_time = time.perf_counter() - start
    if curve is not None:
        points = curve(model, spec, started)
        write_curve(Path(spec["out_dir"]) / "curve.csv", points, spec["greater_is_better"])
    start = time.perf_counter()
    pred = model.predict(X_test)
    proba = model.predict_proba(X_test) if spec["task"] != "regression" else None
    predict_time = time.perf_counter() - start
    labels = list(model.classes_) if proba is not None else None
    info = {"fit_time_s": fit_time, "predict_time_s": predict_time}
    write_outputs(Path(spec["out_dir"]), pred, proba, labels, info)
