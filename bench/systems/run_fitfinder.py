"""fitfinder's AutoML, run in the main Python."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from common import run

from fitfinder import AutoML
from fitfinder.ensemble import ENSEMBLE_FAMILY
from fitfinder.estimators.registry import select_families
from fitfinder.model import JOURNAL_FILE

#: manifest metric name -> fitfinder's name
METRICS = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "rmse", "macro_f1": "f1_macro"}


def spec_settings(spec: dict) -> dict:
    """The AutoML settings every fitfinder system takes from the benchmark's spec."""
    return {
        "time_budget": spec["budget"],
        "metric": METRICS[spec["metric"]],
        "task": spec["task"],
        "seed": spec["seed"],
        "verbose": 0,
    }


def fit(
    X_train: pd.DataFrame,
    y_train: pd.Series,
    spec: dict,
    search: str = "auto",
    ensemble: bool = True,
    leave_out: tuple[str, ...] = (),
) -> AutoML:
    """fitfinder as a user runs it; ``leave_out`` drops families from the default set."""
    estimators = None
    if leave_out:
        chosen = select_families(None, spec["task"], len(X_train), spec["budget"])
        estimators = [f.name for f in chosen if f.name not in leave_out]
    automl = AutoML(
        **spec_settings(spec),
        storage=f"sqlite:///{Path(spec['out_dir']) / JOURNAL_FILE}",  # kept for the best-trial run
        search=search,
        ensemble=ensemble,
        estimators=estimators,
    )
    automl.fit(X_train, y_train)
    # what the final model is (ensemble used, recheck's choice) for reading the results later
    info = json.dumps(automl.model_.info, default=str)
    (Path(spec["out_dir"]) / "model_info.json").write_text(info)
    return automl


def journal_curve(automl: AutoML, spec: dict, started: float) -> list[tuple[float, float]]:
    """(seconds since ``started``, validation score) of each finished trial in the journal.

    The ensemble's row counts only when the final model is that ensemble (its score is then
    the model's validation score). Seconds run from the fit() call, not from the journal's
    run creation, which comes after loading and splitting the data.
    """
    used_ensemble = "ensemble" in automl.model_.info
    return [
        (trial.finished_at.timestamp() - started, trial.score)
        for trial in automl.journal_.trials(automl.run_id_)
        if trial.status == "done"
        and trial.score is not None
        and (trial.family != ENSEMBLE_FAMILY or used_ensemble)
    ]


if __name__ == "__main__":
    run(fit, journal_curve)
