"""fitfinder's AutoML, run in the main Python."""

from __future__ import annotations

import pandas as pd
from common import run

from fitfinder import AutoML

#: manifest metric name -> fitfinder's name
METRICS = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "rmse", "macro_f1": "f1_macro"}


def fit(X_train: pd.DataFrame, y_train: pd.Series, spec: dict) -> AutoML:
    automl = AutoML(
        time_budget=spec["budget"],
        metric=METRICS[spec["metric"]],
        task=spec["task"],
        seed=spec["seed"],
        verbose=0,
    )
    automl.fit(X_train, y_train)
    return automl


if __name__ == "__main__":
    run(fit)
