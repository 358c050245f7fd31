"""fitfinder's run without its ensemble: the best single trial of the same search, refit.

Runs after ``fitfinder`` on the same dataset and budget: it resumes that run's journal with
``ensemble=False`` and a 1 s budget, so no new trial starts and the final step is the one a fit
with ``ensemble=False`` takes (recheck of near ties when time allows, refit, decision
threshold). Paired with ``fitfinder``, it isolates what the ensemble adds from search noise.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from common import run
from run_fitfinder import METRICS

from fitfinder import AutoML
from fitfinder.model import JOURNAL_FILE


def fit(X_train: pd.DataFrame, y_train: pd.Series, spec: dict) -> AutoML:
    journal = Path(spec["out_dir"]).parent / "fitfinder" / JOURNAL_FILE
    if not journal.exists():
        raise SystemExit(f"no fitfinder journal at {journal}; run the fitfinder system first")
    automl = AutoML(
        time_budget=1.0,
        metric=METRICS[spec["metric"]],
        task=spec["task"],
        seed=spec["seed"],
        ensemble=False,
        storage=f"sqlite:///{journal}",
        resume=True,
        verbose=0,
    )
    return automl.fit(X_train, y_train)


if __name__ == "__main__":
    run(fit)
