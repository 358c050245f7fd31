"""FLAML AutoML, run with the FLAML venv's python (bench/venvs.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from common import run

if TYPE_CHECKING:
    from flaml import AutoML

#: manifest metric name -> FLAML's name
METRICS = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "rmse", "macro_f1": "macro_f1"}
LOG_NAME = "flaml_log.jsonl"  # FLAML's training log, one JSON record per trial


def fit(X_train: pd.DataFrame, y_train: pd.Series, spec: dict) -> AutoML:
    from flaml import AutoML  # imported here so that the log reader needs no FLAML

    automl = AutoML()
    automl.fit(
        X_train,
        y_train,
        task="regression" if spec["task"] == "regression" else "classification",
        metric=METRICS[spec["metric"]],
        time_budget=spec["budget"],
        seed=spec["seed"],
        n_jobs=2,
        verbose=0,
        log_file_name=str(Path(spec["out_dir"]) / LOG_NAME),
    )
    return automl


def log_curve(path: Path, greater_is_better: bool) -> list[tuple[float, float]]:
    """(wall_clock_time, validation score) of each trial in a FLAML training log.

    FLAML's ``wall_clock_time`` counts from the start of its fit(); its ``validation_loss`` is
    ``1 - score`` for metrics where greater is better (roc_auc, macro_f1) and the metric itself
    otherwise (log_loss, rmse). Checkpoint lines (only ``curr_best_record_id``) and trials
    without a finite loss are skipped.
    """
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        (
            r["wall_clock_time"],
            1.0 - r["validation_loss"] if greater_is_better else r["validation_loss"],
        )
        for r in records
        if "validation_loss" in r and math.isfinite(r["validation_loss"])
    ]


def flaml_curve(automl: AutoML, spec: dict, started: float) -> list[tuple[float, float]]:
    """The curve from the log this fit wrote (FLAML's clock starts with its fit())."""
    return log_curve(Path(spec["out_dir"]) / LOG_NAME, spec["greater_is_better"])


if __name__ == "__main__":
    run(fit, flaml_curve)
