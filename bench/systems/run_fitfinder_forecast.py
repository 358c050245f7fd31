"""fitfinder's AutoML(task="forecast") as a user runs it, in the main Python (forecast_bench.py).

Only the horizon, the budget and the seed are given: the frequency and the seasonal periods
are fitfinder's own inference, as for a user who passes none.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from forecast_common import run

from fitfinder import AutoML
from fitfinder.model import JOURNAL_FILE


def fit(train: pd.DataFrame, spec: dict) -> AutoML:
    automl = AutoML(
        task="forecast",
        horizon=spec["horizon"],
        time_budget=spec["budget"],
        seed=spec["seed"],
        verbose=0,
        storage=f"sqlite:///{Path(spec['out_dir']) / JOURNAL_FILE}",
    )
    return automl.fit(
        train,
        target=spec["target"],
        time_column=spec["time_column"],
        id_column=spec["id_column"],
        known_covariates=spec["known_covariates"],
    )


def predict(
    automl: AutoML, train: pd.DataFrame, future: pd.DataFrame | None, spec: dict
) -> pd.DataFrame:
    return automl.predict(future=future if spec["known_covariates"] else None)


def describe(automl: AutoML, spec: dict) -> dict:
    board = automl.leaderboard()
    return {
        "best": automl.best_family,
        "n_trials": len(board),
        "n_done": int((board["status"] == "done").sum()),
        "families": sorted(board["family"].unique().tolist()),
        "backtest_intervals": automl.model_.info.get("backtest_intervals"),
    }


if __name__ == "__main__":
    run(fit, predict, describe)
