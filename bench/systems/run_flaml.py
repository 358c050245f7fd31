"""FLAML AutoML, run with the FLAML venv's python (bench/flaml_env.py)."""

from __future__ import annotations

import pandas as pd
from common import run
from flaml import AutoML

#: manifest metric name -> FLAML's name
METRICS = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "rmse", "macro_f1": "macro_f1"}


def fit(X_train: pd.DataFrame, y_train: pd.Series, spec: dict) -> AutoML:
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
    )
    return automl


if __name__ == "__main__":
    run(fit)
