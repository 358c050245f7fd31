"""One of statsforecast's reference models (spec ``model``), in the main Python.

``StatsForecast(models=[Model(season_length=<manifest>)], freq=<manifest>, n_jobs=1)``, fitted
on the training part; known covariates are its exogenous regressors (only AutoARIMA uses
them), past covariates are dropped (their test-window values are never given). With
``max_points``, each series keeps only its last that many training points; with
``approximation`` (AutoARIMA only), the order search uses approximations (the final model is
refitted exactly), as R's auto.arima does on long or high-frequency series. The 80 % interval
is statsforecast's ``level=[80]``. A warm-up fit on a short piece of the data runs before the
clock starts, so fit_time_s leaves out numba's compilation.
"""

from __future__ import annotations

import pandas as pd
from forecast_common import run
from statsforecast import StatsForecast
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

MODELS = {m.__name__: m for m in (AutoETS, AutoARIMA, AutoTheta, SeasonalNaive)}


def _long(frame: pd.DataFrame, spec: dict, with_target: bool = True) -> pd.DataFrame:
    """statsforecast's columns: unique_id, ds, (y), known covariates."""
    names = {spec["id_column"]: "unique_id", spec["time_column"]: "ds", spec["target"]: "y"}
    columns = ["unique_id", "ds", *(["y"] if with_target else []), *spec["known_covariates"]]
    return frame.rename(columns=names)[columns]


def _forecaster(spec: dict) -> StatsForecast:
    extra = {"approximation": True} if spec.get("approximation") else {}
    model = MODELS[spec["model"]](season_length=spec["season_length"], **extra)
    return StatsForecast(models=[model], freq=spec["freq"], n_jobs=1)


def _history(train: pd.DataFrame, spec: dict) -> pd.DataFrame:
    df = _long(train, spec)
    if spec.get("max_points"):
        df = df.groupby("unique_id", sort=False).tail(spec["max_points"])
    return df


def warm_up(train: pd.DataFrame, spec: dict) -> None:
    df = _history(train, spec)
    first = df[df["unique_id"] == df["unique_id"].iloc[0]]
    _forecaster(spec).fit(first.tail(3 * spec["season_length"] + 10))


def fit(train: pd.DataFrame, spec: dict) -> StatsForecast:
    return _forecaster(spec).fit(_history(train, spec))


def predict(
    sf: StatsForecast, train: pd.DataFrame, future: pd.DataFrame | None, spec: dict
) -> pd.DataFrame:
    known = _long(future, spec, with_target=False) if spec["known_covariates"] else None
    fc = sf.predict(h=spec["horizon"], X_df=known, level=[80])
    name = spec["model"]
    names = {"unique_id": spec["id_column"], "ds": spec["time_column"], name: "forecast",
             f"{name}-lo-80": "q10", f"{name}-hi-80": "q90"}  # fmt: skip
    return fc.rename(columns=names)


def describe(sf: StatsForecast, spec: dict) -> dict:
    return {"best": spec["model"]}


if __name__ == "__main__":
    run(fit, predict, describe, warm_up)
