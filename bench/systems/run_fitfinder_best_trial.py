"""fitfinder's run without its ensemble: the best single trial of the same search, refit.

Runs after ``fitfinder`` on the same dataset and budget: it resumes that run's journal with
``ensemble=False``, the run's algorithm set and ``max_trials=1`` (the journal holds more), so
no new trial starts, and ``recheck=False``: the final model is the trial with the lowest
validation loss, refit on all training rows (decision threshold tuned as usual). Paired with
``fitfinder``, it isolates what the ensemble adds from search noise.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from common import run
from run_fitfinder import spec_settings

from fitfinder import AutoML
from fitfinder.model import JOURNAL_FILE
from fitfinder.storage import Journal


def fit(X_train: pd.DataFrame, y_train: pd.Series, spec: dict) -> AutoML:
    journal = Path(spec["out_dir"]).parent / "fitfinder" / JOURNAL_FILE
    if not journal.exists():
        raise SystemExit(f"no fitfinder journal at {journal}; run the fitfinder system first")
    storage = f"sqlite:///{journal}"
    run = Journal(storage).latest_run()
    automl = AutoML(
        **spec_settings(spec),
        max_trials=1,
        estimators=run.settings["estimators"],  # the default set depends on the budget
        ensemble=False,
        recheck=False,
        storage=storage,
        resume=True,
    )
    return automl.fit(X_train, y_train)


if __name__ == "__main__":
    run(fit)
