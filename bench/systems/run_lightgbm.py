"""LightGBM with default parameters: what a user would try by hand (the budget is unused)."""

from __future__ import annotations

import lightgbm as lgb
import pandas as pd
from common import run


class DefaultLightGBM:
    """LGBMClassifier/Regressor() with non-numeric columns as pandas ``category``."""

    def __init__(self, task: str, seed: int) -> None:
        params = {"verbose": -1, "n_jobs": 2, "random_state": seed}
        cls = lgb.LGBMRegressor if task == "regression" else lgb.LGBMClassifier
        self.model = cls(**params)
        self.dtypes: dict[str, pd.CategoricalDtype] = {}

    def _encode(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.astype(self.dtypes) if self.dtypes else X

    def fit(self, X: pd.DataFrame, y: pd.Series) -> DefaultLightGBM:
        text = X.select_dtypes(exclude=["number", "bool"]).columns
        self.dtypes = {c: pd.CategoricalDtype(X[c].dropna().unique()) for c in text}
        self.model.fit(self._encode(X), y)
        self.classes_ = getattr(self.model, "classes_", None)
        return self

    def predict(self, X: pd.DataFrame):
        return self.model.predict(self._encode(X))

    def predict_proba(self, X: pd.DataFrame):
        return self.model.predict_proba(self._encode(X))


def fit(X_train: pd.DataFrame, y_train: pd.Series, spec: dict) -> DefaultLightGBM:
    return DefaultLightGBM(spec["task"], spec["seed"]).fit(X_train, y_train)


if __name__ == "__main__":
    run(fit)
