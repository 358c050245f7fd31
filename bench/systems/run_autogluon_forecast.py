"""AutoGluon-TimeSeries' TimeSeriesPredictor (``presets="medium_quality"``), run with the
``autogluon-ts`` venv's python (bench/venvs.py) by forecast_bench.py.

medium_quality trains SeasonalNaive, ETS, Theta, RecursiveTabular, DirectTabular and the
pretrained Chronos2 and Toto2. Pretrained models load their weights from a model hub, which
cannot happen here (no network but the package registries), so they are excluded by name:
what remains are its statistical and tabular models. The driver sets HF_HUB_OFFLINE=1 too, so
nothing tries the network. Frequency and MASE's seasonal period are AutoGluon's own inference,
as for fitfinder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from forecast_common import run

if TYPE_CHECKING:
    from autogluon.timeseries import TimeSeriesPredictor

#: models that load pretrained weights from a hub: excluded (not downloadable here)
PRETRAINED = ["Chronos", "Chronos2", "Toto", "Toto2"]  # every pretrained model in 1.6.3


def _frame(data: pd.DataFrame, spec: dict):
    from autogluon.timeseries import TimeSeriesDataFrame

    return TimeSeriesDataFrame.from_data_frame(
        data, id_column=spec["id_column"], timestamp_column=spec["time_column"]
    )


def fit(train: pd.DataFrame, spec: dict) -> TimeSeriesPredictor:
    from autogluon.timeseries import TimeSeriesPredictor

    predictor = TimeSeriesPredictor(
        prediction_length=spec["horizon"],
        target=spec["target"],
        eval_metric="MASE",
        known_covariates_names=spec["known_covariates"] or None,
        path=str(Path(spec["out_dir"]) / "autogluon_model"),
        verbosity=0,
    )
    predictor.fit(
        _frame(train, spec),
        presets="medium_quality",
        time_limit=spec["budget"],
        excluded_model_types=PRETRAINED,
        random_seed=spec["seed"],
    )
    return predictor


def predict(
    predictor: TimeSeriesPredictor, train: pd.DataFrame, future: pd.DataFrame | None, spec: dict
) -> pd.DataFrame:
    known = _frame(future, spec) if spec["known_covariates"] else None
    fc = predictor.predict(_frame(train, spec), known_covariates=known).reset_index()
    names = {"item_id": spec["id_column"], "timestamp": spec["time_column"], "mean": "forecast",
             "0.1": "q10", "0.9": "q90"}  # fmt: skip
    return fc.rename(columns=names)


def describe(predictor: TimeSeriesPredictor, spec: dict) -> dict:
    board = predictor.leaderboard()
    return {"best": predictor.model_best, "models": board["model"].tolist()}


if __name__ == "__main__":
    run(fit, predict, describe)
