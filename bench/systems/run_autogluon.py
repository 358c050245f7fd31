"""AutoGluon's TabularPredictor (``presets="medium_quality"``), run with its venv's python
(bench/venvs.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from common import run

if TYPE_CHECKING:
    from autogluon.tabular import TabularPredictor

#: manifest metric name -> AutoGluon's name
METRICS = {
    "roc_auc": "roc_auc",
    "log_loss": "log_loss",
    "rmse": "root_mean_squared_error",
    "macro_f1": "f1_macro",
}
LABEL = "__target__"  # a column name no dataset uses


class Fitted:
    """The predictor behind the interface common.run expects (arrays and ``classes_``)."""

    def __init__(self, predictor: TabularPredictor):
        self.predictor = predictor
        self.classes_ = predictor.class_labels  # None for regression

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.predictor.predict(X).to_numpy()

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        proba = self.predictor.predict_proba(X, as_multiclass=True)
        return proba[self.classes_].to_numpy()


def fit(X_train: pd.DataFrame, y_train: pd.Series, spec: dict) -> Fitted:
    from autogluon.tabular import TabularPredictor

    predictor = TabularPredictor(
        label=LABEL,
        problem_type=spec["task"],
        eval_metric=METRICS[spec["metric"]],
        path=str(Path(spec["out_dir"]) / "autogluon_model"),
        verbosity=0,
    )
    train = X_train.assign(**{LABEL: y_train.to_numpy()})
    predictor.fit(train, time_limit=spec["budget"], presets="medium_quality")
    return Fitted(predictor)


if __name__ == "__main__":
    run(fit)
